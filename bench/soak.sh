#!/usr/bin/env bash
# Long property-based soak: 4 properties x 25,000 inputs (random bytes, mutated fixtures, random text,
# line-ending variants) through the whole lint pipeline. Figures go into docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
time HYPOTHESIS_PROFILE=soak "$PY" -m pytest -q -p no:cacheprovider tests/test_properties.py \
  --hypothesis-show-statistics "$@"
