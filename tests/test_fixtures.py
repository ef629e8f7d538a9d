"""Every fixture is an executable spec: each `ruleid` line fires, nothing unclaimed fires."""

from __future__ import annotations

from pathlib import Path

import pytest

from connlint import api
from connlint.config import Config
from connlint.discovery import language_of
from connlint.registry import all_rules

from .conftest import FIXTURES
from .fixtures_harness import expectations, fixture_code

FIXTURE_FILES = sorted(
    p for p in FIXTURES.rglob("*") if p.is_file() and language_of(p.name) and ".fixed." not in p.name
    and ".unsafe-fixed." not in p.name
    and p.name.startswith("CL")
)


def findings(path: Path, code: str, prefilter: bool = True):
    plan = api.make_plan(Config(root=FIXTURES, select=(code,)), prefilter=prefilter)
    display = path.relative_to(FIXTURES).as_posix()
    result = api.lint_source(display, language_of(path.name), path.read_bytes(), plan)
    assert not result.errors, result.errors
    return result.findings


def lint(path: Path, code: str, prefilter: bool = True):
    return {(f.line, f.code) for f in findings(path, code, prefilter)}


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture(path: Path) -> None:
    code = fixture_code(path)
    assert code in all_rules(), f"{path.name}: no rule {code}"
    want = expectations(path)
    assert want.positives, f"{path.name} has no `ruleid:` positives"
    assert want.negatives, f"{path.name} has no `ok:` look-alike negatives"
    found = findings(path, code)
    got = {(f.line, f.code) for f in found}
    missed = sorted(want.positives - got)
    unclaimed = sorted(got - want.positives - want.todo_negatives)
    assert not missed, f"false negatives (line, code): {missed}"
    assert not unclaimed, f"false positives (line, code): {unclaimed}"
    assert not (got & want.negatives), f"`ok:` lines reported: {sorted(got & want.negatives)}"
    wrong = sorted(
        (f.line, f.code, f.severity.value, want.severities[(f.line, f.code)])
        for f in found
        if (f.line, f.code) in want.severities and f.severity.value != want.severities[(f.line, f.code)]
    )
    assert not wrong, f"wrong severity (line, code, got, want): {wrong}"


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_prefilter_never_hides_a_finding(path: Path) -> None:
    code = fixture_code(path)
    assert lint(path, code, prefilter=True) == lint(path, code, prefilter=False)


TODO = [
    pytest.param(path, line, code, kind, id=f"{path.name}:{line}:{kind}")
    for path in FIXTURE_FILES
    for kind, items in (("todoruleid", expectations(path).todo_positives), ("todook", expectations(path).todo_negatives))
    for line, code in sorted(items)
]


@pytest.mark.xfail(strict=True, reason="known gap, annotated todoruleid/todook")
@pytest.mark.parametrize("path,line,code,kind", TODO)
def test_known_gaps(path: Path, line: int, code: str, kind: str) -> None:
    got = lint(path, fixture_code(path))
    if kind == "todoruleid":
        assert (line, code) in got
    else:
        assert (line, code) not in got


def test_every_rule_has_fixtures_in_each_language() -> None:
    for code, rule in all_rules().items():
        if code == "CL000":
            continue
        for language in rule.languages:
            ext = {"python": ".py", "go": ".go"}[language]
            files = [p for p in FIXTURE_FILES if fixture_code(p) == code and p.suffix == ext]
            assert files, f"{code} declares {language} but has no fixtures/{language}/{code}*{ext}"
