"""Fixes: each `X.fixed.<ext>` (safe fixes) / `X.unsafe-fixed.<ext>` (all fixes) fixture is the exact result
of fixing `X.<ext>` with only its rule enabled; fixing again changes nothing; the result parses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connlint import api
from connlint.config import Config
from connlint.discovery import language_of
from connlint.fixes import fix_source, python_encoding

from .conftest import FIXTURES, write
from .fixtures_harness import fixture_code
from .test_cli import connlint

FIXED = sorted(p for p in FIXTURES.rglob("CL*") if ".fixed." in p.name or ".unsafe-fixed." in p.name)


def source_of(fixed: Path) -> Path:
    marker = ".unsafe-fixed." if ".unsafe-fixed." in fixed.name else ".fixed."
    stem, ext = fixed.name.split(marker)
    return fixed.with_name(f"{stem}.{ext}")


def fix(path: Path, data: bytes, unsafe: bool):
    language = language_of(path.name)
    plan = api.make_plan(Config(root=FIXTURES, select=(fixture_code(path),)))
    display = path.relative_to(FIXTURES).as_posix()
    encoding = python_encoding(data) if language == "python" else "utf-8"
    return fix_source(
        display, data, lambda d: api.lint_source(display, language, d, plan).findings,
        lambda d: api._parse_errors(language, d) <= api._parse_errors(language, data), unsafe, encoding,
    )


@pytest.mark.parametrize("fixed", FIXED, ids=lambda p: p.name)
def test_fixed_fixture(fixed: Path) -> None:
    source = source_of(fixed)
    unsafe = ".unsafe-fixed." in fixed.name
    outcome = fix(source, source.read_bytes(), unsafe)
    assert outcome.applied, "no fix applied"
    assert not outcome.dropped, outcome.dropped
    assert outcome.fixed.decode() == fixed.read_text(encoding="utf-8")
    again = fix(source, outcome.fixed, unsafe)
    assert not again.changed, "fixing twice changed the file again"
    assert api._parse_errors(language_of(source.name), outcome.fixed) == 0


def test_every_fixed_fixture_has_a_source():
    for fixed in FIXED:
        assert source_of(fixed).exists(), fixed.name
