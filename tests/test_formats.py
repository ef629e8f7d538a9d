"""Every output format: exact output on a small tree, odd file names, colour, statistics, determinism."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from connlint.findings import Edit, Finding, Fix, Report, Severity
from connlint.reporters import FORMATS, render
from connlint.reporters.statistics import render as statistics, render_json as statistics_json

from .conftest import FIXTURES, REPO, write
from .test_cli import CLOSE_GO, CLOSE_PY
from .test_sarif import assert_valid, validator  # noqa: F401  (validator is a fixture)

FIX = Fix("Remove the `Connection: close` header", (Edit(104, 127, "{}"),))
ESC = "\x1b"


def connlint(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CONNLINT") and k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run([sys.executable, "-m", "connlint.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={**base, **(env or {})})


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A small repository (it holds `.git`) that is the current folder."""
    (tmp_path / ".git").mkdir()
    write(tmp_path, "svc/main.go", CLOSE_GO)
    write(tmp_path, "app/views.py", CLOSE_PY)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def report() -> Report:
    """Findings of each severity, one fixable, one over several lines, in the tree above."""
    findings = [
        Finding("svc/main.go", 6, 2, 6, 39, "CL101", "connection-close-header",
                "Handler sets `Connection: close`, 100% of responses close.", Severity.ERROR),
        Finding("app/views.py", 6, 23, 6, 46, "CL101", "connection-close-header",
                "View returns `Connection: close`; remove it.", Severity.ERROR, FIX),
        Finding("svc/main.go", 5, 1, 7, 2, "CL301", "server-missing-idle-timeout",
                "Server has no idle timeout.", Severity.WARNING),
        Finding("app/views.py", 1, 1, 1, 5, "CL203", "stdlib-http10-handler", "Handler speaks HTTP/1.0.",
                Severity.NOTE),
    ]
    out = Report(findings=findings, files_checked=3)
    out.sort()
    return out


# ---- exact output of each format ---------------------------------------------------------------

TEXT = """\
app/views.py:1:1: CL203 note: Handler speaks HTTP/1.0.
app/views.py:6:23: CL101 [*] error: View returns `Connection: close`; remove it.
svc/main.go:5:1: CL301 warning: Server has no idle timeout.
svc/main.go:6:2: CL101 error: Handler sets `Connection: close`, 100% of responses close.

Found 4 problems (2 errors, 1 warning, 1 note) in 2 files.
[*] 1 fixable with --fix.
"""

FULL = """\
app/views.py:1:1: CL203 note: Handler speaks HTTP/1.0.
1 | from flask import Flask
  | ^^^^

app/views.py:6:23: CL101 [*] error: View returns `Connection: close`; remove it.
6 |     return "ok", 200, {"Connection": "close"}
  |                       ^^^^^^^^^^^^^^^^^^^^^^^
  = help: Remove the `Connection: close` header

svc/main.go:5:1: CL301 warning: Server has no idle timeout.
5 | func h(w http.ResponseWriter, r *http.Request) {
  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

svc/main.go:6:2: CL101 error: Handler sets `Connection: close`, 100% of responses close.
6 |     w.Header().Set("Connection", "close")
  |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

Found 4 problems (2 errors, 1 warning, 1 note) in 2 files.
[*] 1 fixable with --fix.
"""

GITHUB = """\
::notice file=app/views.py,line=1,col=1,endLine=1,endColumn=4,title=CL203 stdlib-http10-handler::Handler speaks HTTP/1.0.
::error file=app/views.py,line=6,col=23,endLine=6,endColumn=45,title=CL101 connection-close-header::View returns `Connection: close`; remove it.
::warning file=svc/main.go,line=5,endLine=7,title=CL301 server-missing-idle-timeout::Server has no idle timeout.
::error file=svc/main.go,line=6,col=2,endLine=6,endColumn=38,title=CL101 connection-close-header::Handler sets `Connection: close`, 100%25 of responses close.
"""

JUNIT = """\
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="connlint" tests="4" failures="4" errors="0">
  <testsuite name="connlint" tests="4" failures="4" errors="0" skipped="0">
    <testcase name="CL203 stdlib-http10-handler at 1:1" classname="app/views.py" file="app/views.py" line="1">
      <failure message="Handler speaks HTTP/1.0." type="CL203">app/views.py:1:1: CL203 Handler speaks HTTP/1.0.</failure>
    </testcase>
    <testcase name="CL101 connection-close-header at 6:23" classname="app/views.py" file="app/views.py" line="6">
      <failure message="View returns `Connection: close`; remove it." type="CL101">app/views.py:6:23: CL101 View returns `Connection: close`; remove it.</failure>
    </testcase>
    <testcase name="CL301 server-missing-idle-timeout at 5:1" classname="svc/main.go" file="svc/main.go" line="5">
      <failure message="Server has no idle timeout." type="CL301">svc/main.go:5:1: CL301 Server has no idle timeout.</failure>
    </testcase>
    <testcase name="CL101 connection-close-header at 6:2" classname="svc/main.go" file="svc/main.go" line="6">
      <failure message="Handler sets `Connection: close`, 100% of responses close." type="CL101">svc/main.go:6:2: CL101 Handler sets `Connection: close`, 100% of responses close.</failure>
    </testcase>
  </testsuite>
</testsuites>
"""

JUNIT_FILES = """\
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="connlint" tests="3" failures="2" errors="0">
  <testsuite name="connlint" tests="3" failures="2" errors="0" skipped="0">
    <testcase name="app/clean.py" classname="app/clean.py" file="app/clean.py" />
    <testcase name="app/views.py" classname="app/views.py" file="app/views.py">
      <failure message="2 problems" type="CL101,CL203">app/views.py:1:1: CL203 Handler speaks HTTP/1.0.
app/views.py:6:23: CL101 View returns `Connection: close`; remove it.</failure>
    </testcase>
    <testcase name="svc/main.go" classname="svc/main.go" file="svc/main.go">
      <failure message="2 problems" type="CL101,CL301">svc/main.go:5:1: CL301 Server has no idle timeout.
svc/main.go:6:2: CL101 Handler sets `Connection: close`, 100% of responses close.</failure>
    </testcase>
  </testsuite>
</testsuites>
"""


def test_text_and_concise(tree):
    assert render("text", report()) == TEXT
    assert render("concise", report()) == TEXT


def test_text_clean_run():
    assert render("text", Report(files_checked=1)) == "No problems found in 1 file.\n"


def test_full_shows_the_line_the_carets_and_the_fix(tree):
    assert render("full", report()) == FULL


def test_full_takes_sources_and_tolerates_unreadable_files(tree):
    (tree / "folder.py").mkdir()
    os.mkfifo(tree / "pipe.go")  # would hang if it were opened
    findings = [
        Finding("gone.py", 3, 1, 3, 2, "CL101", "connection-close-header", "Gone.", Severity.ERROR, FIX),
        Finding("folder.py", 1, 1, 1, 2, "CL101", "connection-close-header", "A folder.", Severity.ERROR),
        Finding("pipe.go", 1, 1, 1, 2, "CL101", "connection-close-header", "A FIFO.", Severity.ERROR),
        Finding("svc/main.go", 99, 1, 99, 2, "CL101", "connection-close-header", "Past the end.", Severity.ERROR),
        Finding("mem.py", 2, 2, 2, 3, "CL101", "connection-close-header", "In memory.", Severity.ERROR),
    ]
    text = render("full", Report(findings=findings), sources={"mem.py": "a\r\n\tb = 1\r\n"})
    assert text == (
        "gone.py:3:1: CL101 [*] error: Gone.\n"
        "  = help: Remove the `Connection: close` header\n\n"
        "folder.py:1:1: CL101 error: A folder.\n\n"
        "pipe.go:1:1: CL101 error: A FIFO.\n\n"
        "svc/main.go:99:1: CL101 error: Past the end.\n\n"
        "mem.py:2:2: CL101 error: In memory.\n"
        "2 |     b = 1\n"
        "  |     ^\n\n"
        "Found 5 problems (5 errors) in 5 files.\n"
        "[*] 1 fixable with --fix.\n"
    )


def test_full_aligns_carets_under_tabs_wide_characters_and_control_characters(tree):
    write(tree, "wide.py", "\tx = '日本' + f(\x1b)\n")
    #            columns: 1=\t 2=x ... 7='日' 8='本' 9=' ... 15=\x1b
    findings = [
        Finding("wide.py", 1, 7, 1, 9, "CL101", "connection-close-header", "Wide.", Severity.ERROR),
        Finding("wide.py", 1, 15, 1, 16, "CL101", "connection-close-header", "Escape.", Severity.ERROR),
    ]
    lines = render("full", Report(findings=findings)).splitlines()
    assert lines[1] == "1 |     x = '日本' + f(\ufffd)"
    assert lines[2] == "  |          ^^^^"
    assert lines[6] == "  |                    ^"
    assert ESC not in "".join(lines)


def test_github(tree):
    assert render("github", report()) == GITHUB


def test_github_escapes_data_and_properties():
    finding = Finding("a,b:c%d\r\n.py", 1, 1, 1, 2, "CL101", "connection-close-header", "50% of\r\nit: a, b",
                      Severity.ERROR)
    assert render("github", Report(findings=[finding])) == (
        "::error file=a%2Cb%3Ac%25d%0D%0A.py,line=1,col=1,endLine=1,endColumn=1,"
        "title=CL101 connection-close-header::50%25 of%0D%0Ait: a, b\n"
    )


def test_github_paths_are_relative_to_the_repository_root(tree, monkeypatch):
    monkeypatch.chdir(tree / "svc")
    finding = Finding("main.go", 6, 2, 6, 39, "CL101", "connection-close-header", "m", Severity.ERROR)
    assert render("github", Report(findings=[finding])).startswith("::error file=svc/main.go,line=6,")


def gitlab_fingerprint(code: str, path: str, line: str, occurrence: int = 1) -> str:
    text = " ".join(line.split())
    return hashlib.sha256(f"{code}\0{path}\0{text}\0{occurrence}".encode()).hexdigest()[:32]


def test_gitlab(tree):
    issues = json.loads(render("gitlab", report()))
    views = CLOSE_PY.splitlines()
    go = CLOSE_GO.splitlines()
    assert issues == [
        {"description": "CL203 Handler speaks HTTP/1.0.", "check_name": "CL203",
         "fingerprint": gitlab_fingerprint("CL203", "app/views.py", views[0]), "severity": "info",
         "location": {"path": "app/views.py", "lines": {"begin": 1}}},
        {"description": "CL101 View returns `Connection: close`; remove it.", "check_name": "CL101",
         "fingerprint": gitlab_fingerprint("CL101", "app/views.py", views[5]), "severity": "major",
         "location": {"path": "app/views.py", "lines": {"begin": 6}}},
        {"description": "CL301 Server has no idle timeout.", "check_name": "CL301",
         "fingerprint": gitlab_fingerprint("CL301", "svc/main.go", go[4]), "severity": "minor",
         "location": {"path": "svc/main.go", "lines": {"begin": 5}}},
        {"description": "CL101 Handler sets `Connection: close`, 100% of responses close.", "check_name": "CL101",
         "fingerprint": gitlab_fingerprint("CL101", "svc/main.go", go[5]), "severity": "major",
         "location": {"path": "svc/main.go", "lines": {"begin": 6}}},
    ]
    assert render("gitlab", report()).startswith('[\n  {\n    "description": "CL203 Handler speaks HTTP/1.0.",\n')


def test_gitlab_fingerprints_survive_moves_and_reindenting_but_stay_unique(tree):
    line = '\tw.Header().Set("Connection", "close")'
    moved = CLOSE_GO.replace(line, "\t// a comment\n\n    " + line.strip() + "   ")

    def fingerprints(text: str, lines: list[int]) -> list[str]:
        findings = [Finding("svc/main.go", n, 2, n, 3, "CL101", "connection-close-header", "m", Severity.ERROR)
                    for n in lines]
        return [i["fingerprint"] for i in json.loads(render("gitlab", Report(findings=findings),
                                                             sources={"svc/main.go": text}))]

    before = fingerprints(CLOSE_GO, [6])
    assert fingerprints(moved, [8]) == before
    assert fingerprints(CLOSE_GO.replace('"close"', '"Close"'), [6]) != before
    twice = CLOSE_GO.replace(line, line + "\n" + line)
    both = fingerprints(twice, [6, 7])
    assert both[0] == before[0] and both[1] != both[0]
    assert fingerprints("", [6]) == [gitlab_fingerprint("CL101", "svc/main.go", "")]  # past the end


def test_json_lines_are_the_json_objects(tree):
    lines = render("json-lines", report()).splitlines()
    assert [json.loads(line) for line in lines] == json.loads(render("json", report()))
    assert lines[1].startswith('{"code": "CL101", "name": "connection-close-header", "message": "View returns')
    assert render("json-lines", Report(files_checked=3)) == ""


def test_junit(tree):
    assert render("junit", report()) == JUNIT


def test_junit_with_the_files_checked_has_a_testcase_per_file(tree):
    assert render("junit", report(), files=["app/clean.py", "app/views.py", "svc/main.go"]) == JUNIT_FILES


def test_junit_clean_run_is_one_passing_testcase():
    root = ET.fromstring(render("junit", Report(files_checked=2)).split("\n", 1)[1])
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("1", "0")
    (case,) = suite.findall("testcase")
    assert case.get("name") == "connlint" and case.find("failure") is None
    assert case.find("system-out").text == "No problems found in 2 files."


def test_statistics():
    findings = [
        Finding(f"f{i}.py", 1, 1, 1, 2, code, name, "m", Severity.ERROR, FIX if i == 0 else None)
        for code, name, count in (("CL301", "server-missing-idle-timeout", 2), ("CL101", "connection-close-header", 12),
                                  ("CL201", "server-keepalive-disabled", 2))
        for i in range(count)
    ]
    assert statistics(Report(findings=findings)) == (
        "  12  CL101  connection-close-header\n"
        "   2  CL201  server-keepalive-disabled\n"
        "   2  CL301  server-missing-idle-timeout\n"
    )
    assert json.loads(statistics_json(Report(findings=findings)))[0] == {
        "code": "CL101", "name": "connection-close-header", "count": 12, "fixable": 1}
    many = [findings[0]] * 12345
    assert statistics(Report(findings=many)) == "12345  CL301  server-missing-idle-timeout\n"
    assert statistics(Report()) == ""


# ---- odd file names ------------------------------------------------------------------------------

ODD_NAMES = ["with space.go", "ünï 日本.go", "new\nline.go", "cr\rname.go", 'q"uote\'s.go', "<tag>&amp;.go",
             "a,b:c%25d.go", "esc\x1b[31m.go", "bell\x07.go", "undecodable\udcff.go", "::error title=x::y.go"]


def odd_report() -> Report:
    findings = [Finding(name, 1, 1, 1, 2, "CL101", "connection-close-header", f"In {name}: 100%", Severity.ERROR)
                for name in ODD_NAMES]
    out = Report(findings=findings, files_checked=len(findings))
    out.sort()
    return out


@pytest.mark.parametrize("fmt", FORMATS)
def test_odd_file_names_render_writable_text(tree, fmt):
    text = render(fmt, odd_report())
    text.encode("utf-8")  # no lone surrogate left
    assert render(fmt, odd_report()) == text


@pytest.mark.parametrize("fmt", ["text", "concise", "full"])
def test_odd_file_names_cannot_break_text_lines_or_reach_the_terminal(tree, fmt):
    lines = render(fmt, odd_report()).splitlines()
    headers = [line for line in lines if ": CL101 " in line]
    assert len(headers) == len(ODD_NAMES)
    assert "new\\nline.go:1:1: CL101 error: In new\\nline.go: 100%" in headers
    assert "undecodable\\xff.go:1:1: CL101 error: In undecodable\\xff.go: 100%" in headers
    assert "esc\\x1b[31m.go:1:1: CL101 error: In esc\\x1b[31m.go: 100%" in headers
    assert not any(ch in "".join(lines) for ch in (ESC, "\r", "\x07"))


RUNNER_ESCAPES = {"%0D": "\r", "%0A": "\n", "%3A": ":", "%2C": ",", "%25": "%"}


def workflow_command(line: str) -> tuple[str, dict[str, str], str]:
    """(command, properties, message) as the Actions runner reads a line: it undoes these escapes only."""
    match = re.fullmatch(r"::(\w+)(?: ([^:]*))?::(.*)", line)
    assert match, line

    def unescape(text: str) -> str:
        return re.sub("%(0D|0A|3A|2C|25)", lambda m: RUNNER_ESCAPES[m.group()], text)

    props = dict(item.split("=", 1) for item in match.group(2).split(",")) if match.group(2) else {}
    return match.group(1), {k: unescape(v) for k, v in props.items()}, unescape(match.group(3))


def test_odd_file_names_in_github_annotations(tree):
    lines = render("github", odd_report()).splitlines()
    assert len(lines) == len(ODD_NAMES)
    commands = [workflow_command(line) for line in lines]
    utf8 = [n for n in ODD_NAMES if "\udcff" not in n]
    named = [c for c in commands if "file" in c[1]]
    assert sorted(props["file"] for _, props, _ in named) == sorted(utf8)  # the real path, control characters too
    for _, props, message in named:
        assert props == {"file": props["file"], "line": "1", "col": "1", "endLine": "1", "endColumn": "1",
                         "title": "CL101 connection-close-header"}
        assert message == f"In {props['file']}: 100%".replace("\x1b", "\\x1b").replace("\x07", "\\x07")
    # Not UTF-8: no file can be named (the runner reads UTF-8 text); the message says where.
    assert [c for c in commands if "file" not in c[1]] == [
        ("error", {"title": "CL101 connection-close-header"}, "undecodable\\xff.go:1:1: In undecodable\\xff.go: 100%")]


def test_cli_github_annotations_name_the_real_file(tree):
    names = ["esc\x1b[31m.go", "bell\x07.go", "a,b:c%25d.go", "new\nline.go"]
    for name in names:
        write(tree, f"odd/{name}", CLOSE_GO)
    try:
        write(tree, os.fsdecode(b"odd/undecodable\xff.go"), CLOSE_GO)
    except (OSError, UnicodeError):  # a file system that only takes UTF-8 names
        pass
    proc = connlint("--isolated", "--no-cache", "--format", "github", "odd", cwd=tree)
    assert proc.returncode == 1, proc.stderr
    commands = [workflow_command(line) for line in proc.stdout.splitlines()]
    assert sorted(props["file"] for _, props, _ in commands if "file" in props) == sorted(f"odd/{n}" for n in names)
    undecodable = [message for _, props, message in commands if "file" not in props]
    assert all(m.startswith("odd/undecodable\\xff.go:6:2: ") for m in undecodable), undecodable


@pytest.mark.parametrize("fmt", ["json", "json-lines", "gitlab"])
def test_odd_file_names_round_trip_through_json(tree, fmt):
    text = render(fmt, odd_report())
    if fmt == "json-lines":
        items = [json.loads(line) for line in text.splitlines()]
    else:
        items = json.loads(text)
    paths = [item["location"]["path"] if fmt == "gitlab" else item["path"] for item in items]
    assert sorted(paths) == sorted(ODD_NAMES)
    if fmt == "gitlab":
        assert len({item["fingerprint"] for item in items}) == len(ODD_NAMES)


def test_odd_file_names_in_junit_are_well_formed_xml(tree):
    text = render("junit", odd_report())
    root = ET.fromstring(text.split("\n", 1)[1])
    classnames = sorted(case.get("classname") for case in root.iter("testcase"))
    expected = sorted(n.replace("\x1b", "\\x1b").replace("\x07", "\\x07").replace("\udcff", "\\xff")
                      for n in ODD_NAMES)
    assert classnames == expected
    assert [f.get("message") for f in root.iter("failure")][0].startswith("In ")


# ---- determinism -----------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_same_report_in_any_order_renders_the_same(tree, fmt):
    shuffled = report()
    shuffled.findings.reverse()
    shuffled.sort()
    assert render(fmt, shuffled) == render(fmt, report())


@pytest.mark.parametrize("fmt", ["full", "json-lines", "github", "gitlab", "junit"])
def test_byte_identical_cli_runs(fmt):
    first = connlint("--isolated", "--no-cache", "--format", fmt, ".", cwd=FIXTURES)
    second = connlint("--isolated", "--no-cache", "--format", fmt, ".", cwd=FIXTURES)
    assert first.returncode == 1, first.stderr
    assert first.stdout and first.stdout == second.stdout


# ---- the command line --------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_accepts_every_format(tree, fmt):
    proc = connlint("--isolated", "--no-cache", "--format", fmt, ".", cwd=tree)
    assert proc.returncode == 1, proc.stderr
    assert "svc/main.go" in proc.stdout
    assert ESC not in proc.stdout


def test_cli_concise_is_text_and_full_adds_source_lines(tree):
    text = connlint("--isolated", "--no-cache", ".", cwd=tree).stdout
    assert connlint("--isolated", "--no-cache", "--output-format", "concise", ".", cwd=tree).stdout == text
    full = connlint("--isolated", "--no-cache", "--format", "full", ".", cwd=tree).stdout
    assert '6 |     w.Header().Set("Connection", "close")\n  |     ^^^^' in full
    assert [line for line in full.splitlines() if ": CL" in line] == [line for line in text.splitlines() if ": CL" in line]


def test_cli_github_and_gitlab_name_the_finding(tree):
    github = connlint("--isolated", "--no-cache", "--format", "github", "svc", cwd=tree).stdout
    assert github.startswith("::error file=svc/main.go,line=6,col=2,endLine=6,endColumn=38,"
                             "title=CL101 connection-close-header::")
    gitlab = json.loads(connlint("--isolated", "--no-cache", "--format", "gitlab", "svc", cwd=tree).stdout)
    assert [(i["check_name"], i["location"]) for i in gitlab] == [("CL101", {"path": "svc/main.go", "lines": {"begin": 6}})]


def test_cli_statistics(tree):
    write(tree, "svc/other.go", CLOSE_GO)
    proc = connlint("--isolated", "--no-cache", "--statistics", "svc", cwd=tree)
    assert proc.returncode == 1
    assert proc.stdout == "   2  CL101  connection-close-header\n"
    proc = connlint("--isolated", "--no-cache", "--statistics", "--format", "json", "svc", cwd=tree)
    assert json.loads(proc.stdout) == [{"code": "CL101", "name": "connection-close-header", "count": 2, "fixable": 2}]
    assert connlint("--isolated", "--no-cache", "--statistics", "--exit-zero", "svc", cwd=tree).returncode == 0
    clean = connlint("--isolated", "--no-cache", "--statistics", "--select", "CL403", "svc", cwd=tree)
    assert (clean.returncode, clean.stdout) == (0, "")


def test_cli_colour_only_when_asked_or_on_a_terminal(tree):
    plain = connlint("--isolated", "--no-cache", "svc", cwd=tree).stdout
    assert ESC not in plain  # a pipe
    forced = connlint("--isolated", "--no-cache", "svc", cwd=tree, env={"FORCE_COLOR": "1"}).stdout
    assert forced.startswith(f"{ESC}[1msvc/main.go{ESC}[0m:6:2: {ESC}[1;31mCL101{ESC}[0m ")
    assert re.sub(r"\x1b\[[0-9;]*m", "", forced) == plain
    full = connlint("--isolated", "--no-cache", "--format", "full", "svc", cwd=tree, env={"FORCE_COLOR": "1"}).stdout
    assert f"  |     {ESC}[1;31m^^^^" in full
    both = connlint("--isolated", "--no-cache", "svc", cwd=tree, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    assert both == plain
    for fmt in ("json", "github", "sarif"):
        assert ESC not in connlint("--isolated", "--no-cache", "--format", fmt, "svc", cwd=tree,
                                   env={"FORCE_COLOR": "1"}).stdout
    proc = connlint("--isolated", "--no-cache", "-o", "out.txt", "svc", cwd=tree, env={"FORCE_COLOR": "1"})
    assert proc.stdout == "" and (tree / "out.txt").read_text(encoding="utf-8") == plain


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_cli_colours_a_terminal_unless_no_color(tree):
    def on_tty(env: dict) -> str:
        leader, follower = os.openpty()
        base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
        proc = subprocess.Popen([sys.executable, "-m", "connlint.cli", "--isolated", "--no-cache", "svc"],
                                cwd=tree, stdout=follower, stderr=subprocess.DEVNULL, env={**base, **env})
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other end closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=60)
        os.close(leader)
        return b"".join(chunks).decode("utf-8")

    assert f"{ESC}[1;31mCL101" in on_tty({"TERM": "xterm"})
    assert ESC not in on_tty({"TERM": "xterm", "NO_COLOR": "1"})
    assert ESC not in on_tty({"TERM": "dumb"})


def test_cli_junit_output_file_parses(tree):
    proc = connlint("--isolated", "--no-cache", "--format", "junit", "-o", "report.xml", ".", cwd=tree)
    assert proc.returncode == 1 and proc.stdout == ""
    root = ET.parse(tree / "report.xml").getroot()
    assert {case.get("classname") for case in root.iter("testcase")} == {"app/views.py", "svc/main.go"}


# ---- the README's GitHub workflow ----------------------------------------------------------------------

def test_readme_github_workflow_produces_valid_sarif(validator, tmp_path):  # noqa: F811
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    workflow = next(block for block in re.findall(r"```yaml\n(.*?)```", readme, re.S) if "upload-sarif" in block)
    commands = [line.split("run:", 1)[1].strip() for line in workflow.splitlines()
                if line.strip().startswith("- run: connlint")]
    assert commands, "the README's workflow runs no connlint command"
    sarif_file = re.search(r"sarif_file:\s*(\S+)", workflow).group(1)

    checkout = tmp_path / "repo"  # what actions/checkout leaves: a git repository as the current folder
    (checkout / ".git").mkdir(parents=True)
    write(checkout, "svc/main.go", CLOSE_GO)
    write(checkout, "app/views.py", CLOSE_PY)
    for command in commands:
        argv = shlex.split(command)
        proc = connlint(*argv[1:], cwd=checkout)
        assert proc.returncode == 0, proc.stderr  # the workflow step must not fail before the upload
    doc = json.loads((checkout / sarif_file).read_text(encoding="utf-8"))
    assert_valid(validator, doc)
    uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"])
    assert uris == ["app/views.py", "svc/main.go"]
