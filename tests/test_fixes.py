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

FIXED = sorted(
    p for p in FIXTURES.rglob("CL*")
    if (".fixed." in p.name or ".unsafe-fixed." in p.name) and p.suffix in (".py", ".go")
)


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


COMBINED_GO = """package main

import "net/http"

func main() {
	mux := http.NewServeMux()
	srv := &http.Server{
		Addr:    ":8080",
		Handler: mux,
	}
	go srv.ListenAndServe()
	api := &http.Server{Addr: ":8081", Handler: mux}
	go api.ListenAndServe()
	admin := http.Server{}
	go admin.ListenAndServe()
	http.ListenAndServe(":9090", nil)
}
"""

COMBINED_GO_FIXED = """package main

import (
	"net/http"
	"time"
)

func main() {
	mux := http.NewServeMux()
	srv := &http.Server{
		Addr:              ":8080",
		Handler:           mux,
		IdleTimeout:       120 * time.Second,
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.ListenAndServe()
	api := &http.Server{Addr: ":8081", Handler: mux, IdleTimeout: 120 * time.Second, ReadHeaderTimeout: 10 * time.Second}
	go api.ListenAndServe()
	admin := http.Server{IdleTimeout: 120 * time.Second, ReadHeaderTimeout: 10 * time.Second}
	go admin.ListenAndServe()
	(&http.Server{Addr: ":9090", ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}).ListenAndServe()
}
"""


def test_cl301_and_cl302_fixes_compose():
    """Both rules add their own field to the same literals and both need the `time` import: one run adds
    each field once, in gofmt layout, and the import once."""
    plan = api.make_plan(Config(root=FIXTURES, select=("CL301", "CL302")))

    def run(data: bytes):
        return fix_source(
            "main.go", data, lambda d: api.lint_source("main.go", "go", d, plan).findings,
            lambda d: api._parse_errors("go", d) == 0, True, "utf-8",
        )

    outcome = run(COMBINED_GO.encode())
    assert not outcome.dropped, outcome.dropped
    assert outcome.fixed.decode() == COMBINED_GO_FIXED
    assert {f.code for f in outcome.applied} == {"CL301", "CL302"}
    assert not run(outcome.fixed).changed


def test_cli_fix_diff_show_fixes(in_tmp):
    from .test_cli import CLOSE_GO

    path = write(in_tmp, "main.go", CLOSE_GO)
    path.chmod(0o640)
    diff = connlint("--diff", "main.go", cwd=in_tmp)
    assert diff.returncode == 1
    assert diff.stdout.startswith("--- a/main.go\n+++ b/main.go\n")
    assert '-\tw.Header().Set("Connection", "close")\n' in diff.stdout
    assert path.read_text() == CLOSE_GO  # --diff writes nothing

    fixed = connlint("--fix", "--show-fixes", "main.go", cwd=in_tmp)
    assert fixed.returncode == 0, fixed.stderr
    assert "fixed: main.go:6:2: CL101 Remove the `Connection: close` header" in fixed.stderr
    assert "Connection" not in path.read_text()
    assert oct(path.stat().st_mode & 0o777) == "0o640"
    assert not [p for p in in_tmp.iterdir() if p.name.startswith(".connlint-")]
    again = connlint("--fix", "main.go", cwd=in_tmp)
    assert again.returncode == 0
    assert "fixed 0 problem(s)" in again.stderr


def test_sarif_carries_fixes(in_tmp):
    from .test_cli import CLOSE_GO

    write(in_tmp, "main.go", CLOSE_GO)
    sarif = json.loads(connlint("--format", "sarif", "main.go", cwd=in_tmp).stdout)
    result = sarif["runs"][0]["results"][0]
    replacement = result["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert replacement["deletedRegion"]["charLength"] > 0
