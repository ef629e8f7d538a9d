"""Every fixture is an executable spec: each `ruleid` line fires, nothing unclaimed fires."""

from __future__ import annotations

import difflib
import warnings
from pathlib import Path

import pytest

from connlint import api
from connlint.config import Config
from connlint.discovery import language_of
from connlint.fixes import python_encoding
from connlint.registry import all_rules

from .conftest import FIXTURES, REPO
from .fixtures_harness import UPDATE_HINT, expectations, fixture_code, snapshot, snapshot_path

FIXTURE_FILES = sorted(
    p for p in FIXTURES.rglob("*") if p.is_file() and language_of(p.name) and ".fixed." not in p.name
    and ".unsafe-fixed." not in p.name
    and p.name.startswith("CL")
)


def lint_result(path: Path, code: str, prefilter: bool = True):
    plan = api.make_plan(Config(root=FIXTURES, select=(code,)), prefilter=prefilter)
    display = path.relative_to(FIXTURES).as_posix()
    result = api.lint_source(display, language_of(path.name), path.read_bytes(), plan)
    assert not result.errors, result.errors
    return result


def findings(path: Path, code: str, prefilter: bool = True):
    return lint_result(path, code, prefilter).findings


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


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_snapshot(path: Path, request: pytest.FixtureRequest) -> None:
    """Every finding's range, severity, message and fix as in the reviewed `<fixture>.snap` beside it."""
    code, rel, data = fixture_code(path), path.relative_to(REPO).as_posix(), path.read_bytes()
    result = lint_result(path, code)
    text = data.decode(python_encoding(data) if path.suffix == ".py" else "utf-8")
    got = snapshot(rel, code, text, result.findings, result.notices)
    snap = snapshot_path(path)
    want = snap.read_text(encoding="utf-8") if snap.exists() else None
    if request.config.getoption("snapshot_update"):
        if got != want:
            snap.write_text(got, encoding="utf-8", newline="\n")
            warnings.warn(f"snapshot written: {snap.relative_to(REPO).as_posix()}", stacklevel=1)
        return
    assert want is not None, f"no snapshot {snap.relative_to(REPO).as_posix()}: run `{UPDATE_HINT}` and review it"
    if got != want:
        diff = difflib.unified_diff(want.splitlines(), got.splitlines(), "snapshot", "now", lineterm="")
        pytest.fail(f"{rel}: findings differ from the snapshot (if intended: `{UPDATE_HINT}`)\n"
                    + "\n".join(diff), pytrace=False)


def test_every_snapshot_has_its_fixture(request: pytest.FixtureRequest) -> None:
    orphans = sorted(set(FIXTURES.rglob("*.snap")) - {snapshot_path(p) for p in FIXTURE_FILES})
    if request.config.getoption("snapshot_update"):
        for orphan in orphans:
            orphan.unlink()
            warnings.warn(f"snapshot removed: {orphan.relative_to(REPO).as_posix()}", stacklevel=1)
        return
    assert not orphans, f"snapshots with no fixture (run `{UPDATE_HINT}`): {[p.name for p in orphans]}"


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
