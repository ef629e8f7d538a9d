"""What ruff users expect of the command line: `-` for standard input, format-on-save with --fix,
-q, --fix-only, the fixable hint, unsafe fixes unmarked, and a one-line error for an ignored option."""

from __future__ import annotations

import pytest

from .conftest import write
from .test_cli import CLOSE_GO, CLOSE_PY, connlint

SERVER_GO = '''package main

import "net/http"

func main() {
	srv := &http.Server{Addr: ":80"}
	srv.ListenAndServe()
}

func h(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Connection", "close")
}
'''


def test_dash_is_standard_input_linted_as_python(in_tmp):
    proc = connlint("-", cwd=in_tmp, input=CLOSE_PY)
    assert proc.returncode == 1
    assert proc.stdout.startswith("-:6:24: CL101 [*] error: Response sets `Connection: close`")
    named = connlint("--stdin-filename", "svc/main.go", "-", cwd=in_tmp, input=CLOSE_GO)
    assert named.stdout.startswith("svc/main.go:6:2: CL101 [*] error: ")


def test_fix_with_stdin_filename_prints_the_fixed_source(in_tmp):
    proc = connlint("--fix", "--stdin-filename", "srv.go", cwd=in_tmp, input=SERVER_GO)
    assert proc.stdout == SERVER_GO.replace('\tw.Header().Set("Connection", "close")\n', "")
    assert proc.returncode == 1  # CL301 and CL302 are left, on standard error
    assert [line.split(": ")[1] for line in proc.stderr.splitlines() if ": CL" in line] == ["CL301 warning", "CL302 warning"]
    assert proc.stderr.endswith("No fixes available (2 more with --fix --unsafe-fixes).\n")
    unsafe = connlint("--fix", "--unsafe-fixes", "--stdin-filename", "srv.go", cwd=in_tmp, input=SERVER_GO)
    assert "IdleTimeout: 120 * time.Second" in unsafe.stdout and unsafe.stderr == "" and unsafe.returncode == 0
    clean = connlint("--fix-only", "--stdin-filename", "srv.go", cwd=in_tmp, input="package main\n")
    assert (clean.returncode, clean.stdout, clean.stderr) == (0, "package main\n", "")
    assert not (in_tmp / "srv.go").exists()


def test_quiet_prints_the_findings_only(in_tmp):
    write(in_tmp, "srv.go", SERVER_GO)
    write(in_tmp, "notes.txt", "not code\n")
    proc = connlint("-q", ".", "notes.txt", cwd=in_tmp)
    assert proc.returncode == 1 and proc.stderr == ""
    assert [line.split(": ")[1] for line in proc.stdout.splitlines()] == ["CL301 warning", "CL302 warning", "CL101 [*] error"]
    loud = connlint(".", "notes.txt", cwd=in_tmp)
    assert loud.stderr == "connlint: warning: notes.txt: not a Python (.py, .pyi) or Go (.go) file, skipped\n" and loud.stdout.endswith(
        "Found 3 problems (1 error, 2 warnings) in 1 file.\n[*] 1 fixable with --fix (2 more with --fix --unsafe-fixes).\n")


def test_unsafe_fixes_are_marked_only_with_unsafe_fixes(in_tmp):
    write(in_tmp, "srv.go", SERVER_GO)
    lines = connlint(cwd=in_tmp).stdout.splitlines()
    assert lines[0].startswith("srv.go:6:10: CL301 warning: ") and lines[2].startswith("srv.go:11:2: CL101 [*] error: ")
    full = connlint("--format", "full", cwd=in_tmp).stdout
    assert "(unsafe fix: --fix --unsafe-fixes)" in full and "header\n" in full


def test_fix_only_fixes_and_reports_nothing_else(in_tmp):
    path = write(in_tmp, "srv.go", SERVER_GO)
    proc = connlint("--fix-only", cwd=in_tmp)
    assert (proc.returncode, proc.stdout) == (0, "")
    assert proc.stderr == "connlint: fixed 1 problem(s) in 1 file(s)\n"
    assert '"Connection", "close"' not in path.read_text() and "IdleTimeout" not in path.read_text()
    quiet = connlint("--fix-only", "-q", "--unsafe-fixes", cwd=in_tmp)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    assert "IdleTimeout: 120 * time.Second" in path.read_text()


@pytest.mark.parametrize("args, message", [
    (["--unsafe-fixes"], "--unsafe-fixes only applies with --fix, --fix-only or --diff"),
    (["--show-fixes"], "--show-fixes only applies with --fix or --fix-only"),
    (["--statistics", "--format", "sarif"], "--statistics prints text or JSON, not --format sarif"),
    (["--diff", "--format", "json"], "--format does not apply with --diff, which prints no report"),
    (["--fix-only", "-o", "x.txt"], "-o/--output does not apply with --fix-only, which prints no report"),
    (["--fix", "--diff"], "--fix and --diff cannot be used together"),
    (["--show-files", "--statistics"], "--statistics does not apply with --show-files, which prints no report"),
    (["--stdin-filename", "a.py", "b.py"], "--stdin-filename lints standard input: give no other PATHS (or `-`)"),
    (["-", "b.py"], "`-` (standard input) cannot be combined with other PATHS"),
    (["--add-noqa", "-"], "standard input cannot be combined with --add-noqa"),
])
def test_an_option_that_would_be_ignored_is_an_error(in_tmp, args, message):
    proc = connlint(*args, cwd=in_tmp, input="")
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", f"connlint: error: {message}\n")


def test_unknown_config_key_suggests_the_right_one(in_tmp):
    write(in_tmp, "connlint.toml", "extend-exlude = []\n")
    proc = connlint(cwd=in_tmp)
    assert proc.returncode == 2
    assert proc.stderr.endswith(": extend-exlude: unknown option (did you mean 'extend-exclude'?)\n")
    write(in_tmp, "connlint.toml", "colour = true\n")
    assert connlint(cwd=in_tmp).stderr.endswith(": colour: unknown option\n")


def test_file_names_reach_standard_error_escaped(in_tmp):
    """Notices, --show-fixes and errors print file names; an escape sequence in one stays inert."""
    odd = "esc\x1b[31m"
    write(in_tmp, f"{odd}.txt", "x\n")
    write(in_tmp, f"{odd}.go", CLOSE_GO)
    proc = connlint(".", f"{odd}.txt", cwd=in_tmp)
    assert proc.stderr == "connlint: warning: esc\\x1b[31m.txt: not a Python (.py, .pyi) or Go (.go) file, skipped\n"
    fixed = connlint("--fix", "--show-fixes", cwd=in_tmp)
    assert "\x1b" not in fixed.stderr and "fixed: esc\\x1b[31m.go:6:2: CL101 " in fixed.stderr
