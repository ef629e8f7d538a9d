"""Scale test: lint a generated tree of N files (default 100,000; mixed sizes, some broken) and check
that every expected finding is reported, memory stays bounded and no file descriptor leaks.

    python bench/scale.py [--files 100000] [--jobs 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

from connlint import api
from connlint.config import Config

GO_BAD = 'package p{i}\n\nimport "net/http"\n\nfunc h{i}(w http.ResponseWriter, r *http.Request) {{\n\tw.Header().Set("Connection", "close")\n}}\n'
GO_OK = 'package p{i}\n\nimport "fmt"\n\nfunc F{i}() {{ fmt.Println("hello {i}") }}\n'
GO_BROKEN = 'package p{i}\n\nimport "net/http"\n\nfunc h(w http.ResponseWriter) {{\n\tw.Header().Set("Connection", "close")\n\nfunc (\n'
PY_BAD = 'from flask import Flask\n\n\ndef view_{i}(resp):\n    resp.headers["Connection"] = "close"\n    return resp\n'
PY_OK = 'def f_{i}(x):\n    return x * {i}\n'
PY_BROKEN = 'import flask\n\ndef v(:\n    resp.headers["Connection"] = "close"\n'


def generate(root: Path, count: int, seed: int = 7) -> Counter:
    rng = random.Random(seed)
    expected: Counter = Counter()
    kinds = ["go_bad", "go_ok", "go_broken", "py_bad", "py_ok", "py_broken"]
    weights = [5, 60, 1, 5, 28, 1]
    for i in range(count):
        kind = rng.choices(kinds, weights)[0]
        folder = root / f"d{i // 500:03d}"
        folder.mkdir(exist_ok=True)
        template = {"go_bad": GO_BAD, "go_ok": GO_OK, "go_broken": GO_BROKEN,
                    "py_bad": PY_BAD, "py_ok": PY_OK, "py_broken": PY_BROKEN}[kind]
        text = template.format(i=i)
        if rng.random() < 0.01:  # some large files
            text += ("// padding\n" if kind.startswith("go") else "# padding\n") * rng.randint(1_000, 20_000)
        ext = ".go" if kind.startswith("go") else ".py"
        (folder / f"f{i}{ext}").write_text(text)
        if kind.endswith("_bad"):
            expected["CL101"] += 1
        elif kind == "py_broken":
            expected["CL000"] += 1
        elif kind == "go_broken":
            expected["CL000"] += 1
            expected["CL101"] += 1  # Go: the intact part is still linted
    return expected


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="generate into (and keep) this folder")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="connlint-scale-"))
    root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    expected = generate(root, args.files)
    print(f"generated {args.files:,} files in {time.perf_counter() - started:.1f} s under {root}")

    fds_before = len(os.listdir("/proc/self/fd"))
    started = time.perf_counter()
    report = api.run([str(root)], Config(root=root, select=("CL000", "CL101")), jobs=args.jobs)
    elapsed = time.perf_counter() - started
    fds_after = len(os.listdir("/proc/self/fd"))
    got = Counter(f.code for f in report.findings)
    rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rss_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"linted {report.files_checked:,} files in {elapsed:.1f} s; findings {dict(got)}; expected {dict(expected)}")
    print(f"peak RSS: main {rss_self:.0f} MB, largest worker {rss_children:.0f} MB; open fds before {fds_before}, after {fds_after}")
    ok = got == expected and fds_after <= fds_before and not report.errors and report.files_checked == args.files
    print("OK" if ok else "FAILED")
    if args.keep is None:
        shutil.rmtree(root)
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
