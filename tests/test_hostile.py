"""Hostile input never crashes the run, hangs, or loses another file's findings."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from connlint import api, cli
from connlint.config import Config
from connlint.registry import all_rules

from .conftest import cli_runner, write
from .test_cli import connlint

GO = 'package main\n\nimport "net/http"\n\nfunc h(w http.ResponseWriter, r *http.Request) {\n\tw.Header().Set("Connection", "close")\n}\n'
PY = 'from flask import Flask\n\n\ndef v(resp):\n    resp.headers["Connection"] = "close"\n'


def lint(tmp_path, name: str, data: bytes, **config):
    write(tmp_path, name, data)
    report = api.run([str(tmp_path / name)], Config(root=tmp_path, **config))
    assert not report.errors, report.errors
    return [(f.code, f.line, f.col, f.message) for f in report.findings]


def codes_lines(found):
    return [(code, line, col) for code, line, col, _ in found]


@pytest.mark.parametrize(
    "name,data,expected",
    [
        ("crlf.py", PY.replace("\n", "\r\n").encode(), [("CL101", 5, 5)]),
        ("cr.py", PY.replace("\n", "\r").encode(), [("CL101", 5, 5)]),
        ("crlf.go", GO.replace("\n", "\r\n").encode(), [("CL101", 6, 2)]),
        ("bom.py", b"\xef\xbb\xbf" + PY.encode(), [("CL101", 5, 5)]),
        ("bom.go", b"\xef\xbb\xbf" + GO.encode(), [("CL101", 6, 2)]),
        ("tabs.py", PY.replace("    resp", "\tresp").encode(), [("CL101", 5, 2)]),
        ("unicode.py", PY.replace("    resp.", '    é = "ü"; resp.').encode(), [("CL101", 5, 14)]),  # code points, not bytes
        ("unicode.go", GO.replace("\tw.", '\té := "ü"; _ = é; w.').encode(), [("CL101", 6, 19)]),
        ("cookie.py", ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + PY).encode("latin-1"), [("CL101", 7, 5)]),
        ("empty.py", b"", []),
        ("empty.go", b"", []),
        ("onlybom.py", b"\xef\xbb\xbf", []),
    ],
)
def test_encodings_line_endings_and_columns(tmp_path, name, data, expected):
    assert codes_lines(lint(tmp_path, name, data)) == expected


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("nul.py", b'import flask\x00 "Connection": "close"', "binary file (contains NUL bytes), not linted"),
        ("nul.go", b'package main\x00 "Connection": "close"', "binary file (contains NUL bytes), not linted"),
        ("utf16.py", PY.encode("utf-16"), "UTF-16/UTF-32 encoded (byte order mark): source must be UTF-8 "
         "(or a PEP 263 encoding), not linted"),
        ("latin1.py", ("# caf\xe9\n" + PY).encode("latin-1"),
         "syntax error: cannot decode source: invalid or missing encoding declaration"),
        ("latin1.go", ("// caf\xe9\n" + GO).encode("latin-1"), "Go source is not valid UTF-8 (byte offset 6)"),
    ],
)
def test_undecodable_files_are_cl000(tmp_path, name, data, message):
    assert [(c, m) for c, _, _, m in lint(tmp_path, name, data)] == [("CL000", message)]


@pytest.mark.parametrize(
    "source",
    [
        "def f(:\n",
        "class C\n    pass\n",
        "x = (1,\n",
        "if True:\nprint(1)\n",
        "return = 3\n",
        "f'{'\n",
        "\tif x:\n        y\n",
        "def f():\n\treturn 1\n        return 2\n",
    ],
)
def test_python_syntax_errors(tmp_path, source):
    found = lint(tmp_path, "bad.py", ("import flask\nresp.headers['Connection'] = 'close'\n" + source).encode())
    assert [c for c, *_ in found] == ["CL000"]
    assert found[0][3].startswith("syntax error: ")
    assert found[0][1] >= 3


@pytest.mark.parametrize("tail", ["func broken( {\n", "var x = \n", "}}}\n", "type T struct {\n", "import (\n"])
def test_go_syntax_errors_keep_intact_findings(tmp_path, tail):
    found = lint(tmp_path, "bad.go", (GO + tail).encode())
    assert ("CL101", 6, 2) in codes_lines(found)
    assert any(c == "CL000" for c, *_ in found)


def test_deep_nesting(tmp_path):
    parens = "import flask  # 'Connection': 'close'\nx = " + "(" * 5000 + "1" + ")" * 5000 + "\n"
    assert lint(tmp_path, "parens.py", parens.encode()) == [("CL000", 2, 205, "syntax error: too many nested parentheses")]
    nested = "1"
    for _ in range(190):
        nested = "{'k': " + nested + "}"
    found = lint(tmp_path, "dict.py", (PY + "x = " + nested + "\n").encode())
    assert codes_lines(found) == [("CL101", 5, 5)]
    go_nested = GO + "var x = " + "(" * 5000 + "1" + ")" * 5000 + "\n"
    assert ("CL101", 6, 2) in codes_lines(lint(tmp_path, "deep.go", go_nested.encode()))


def test_very_long_line(tmp_path):
    line = '    x = "' + "a" * 1_000_000 + '"; resp.headers["Connection"] = "close"\n'
    found = lint(tmp_path, "long.py", (PY + line).encode())
    assert codes_lines(found) == [("CL101", 5, 5), ("CL101", 6, 1_000_013)]


def test_huge_file_is_reported_not_parsed(tmp_path):
    body = (GO + "// " + "x" * 100 + "\n") * 20_000  # 4.5 MB
    found = lint(tmp_path, "huge.go", body.encode(), max_file_size_mb=1)
    assert [(c, m[:20]) for c, _, _, m in found] == [("CL000", "file too large (4.5 ")]


def test_fifo_socket_folder_named_py_and_odd_names(tmp_path):
    os.mkfifo(tmp_path / "pipe.go")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock.py"))
    (tmp_path / "folder.py").mkdir()
    for name in ("with space.go", "ünï.go", "new\nline.go", '"; rm -rf ;.go', "</script>.go"):
        write(tmp_path, name, GO)
    proc = connlint("--format", "json", ".", cwd=tmp_path)  # would hang if the FIFO were opened
    sock.close()
    assert proc.returncode == 1
    paths = sorted(d["path"] for d in json.loads(proc.stdout))
    assert paths == sorted(['"; rm -rf ;.go', "</script>.go", "new\nline.go", "with space.go", "ünï.go"])
    assert "pipe.go: not a regular file, skipped" in proc.stderr
    assert "sock.py: not a regular file, skipped" in proc.stderr


def test_rule_crash_is_named_exit_2_and_others_still_reported(tmp_path, monkeypatch):
    write(tmp_path, "a.go", GO)
    write(tmp_path, "boom.go", GO)
    rule = all_rules()["CL101"]
    real = rule.checkers["go"]

    def flaky(f):
        if f.path.endswith("boom.go"):
            raise ValueError("kaboom")
        return real(f)

    monkeypatch.setitem(rule.checkers, "go", flaky)
    monkeypatch.chdir(tmp_path)
    result = cli_runner().invoke(cli.main, ["check", "--isolated", "--no-cache", "-j", "1", "."])
    assert result.exit_code == 2
    assert "a.go:6:2: CL101" in result.stdout
    assert "boom.go: internal error in rule CL101 (connection-close-header): ValueError: kaboom" in result.stderr


def test_no_network(tmp_path, monkeypatch):
    def no_socket(*args, **kwargs):
        raise AssertionError("connlint must not open sockets")

    monkeypatch.setattr(socket, "socket", no_socket)
    monkeypatch.setattr(socket, "create_connection", no_socket)
    write(tmp_path, "a.go", GO)
    write(tmp_path, "gunicorn.conf.py", "import os\nkeepalive = 0\nos.system('touch pwned')\n")
    report = api.run([str(tmp_path)], Config(root=tmp_path), jobs=1)
    assert not report.errors
    assert not (tmp_path / "pwned").exists()


def test_closed_pipe_exits_quietly(tmp_path):
    for i in range(300):
        write(tmp_path, f"p{i}/main.go", GO)
    proc = subprocess.run(
        f"{sys.executable} -m connlint.cli --isolated --no-cache . | head -1", shell=True, cwd=tmp_path,
        capture_output=True, text=True,
    )
    assert proc.stdout.count("\n") == 1
    assert proc.stderr == ""


def _wait_until_parsing(proc: subprocess.Popen, timeout: float = 60) -> None:
    """Until the child parses Python (libcst's native parser is mapped), so that Ctrl-C lands mid-run and
    not in start-up however loaded the machine is; a fixed 1.5 s where there is no /proc."""
    maps = f"/proc/{proc.pid}/maps"
    if not os.path.exists(maps):
        time.sleep(1.5)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with open(maps, encoding="utf-8", errors="replace") as f:
                if "libcst/native" in f.read():
                    time.sleep(0.2)
                    return
        except FileNotFoundError:  # it ended: the caller says so
            return
        time.sleep(0.02)


def test_ctrl_c_exits_130_without_partial_report(tmp_path):
    for i in range(400):
        write(tmp_path, f"p{i}/app.py", PY * 40)
    proc = subprocess.Popen(
        [sys.executable, "-m", "connlint.cli", "--isolated", "--no-cache", "-j", "1", "-o", "report.txt", "."],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    _wait_until_parsing(proc)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert not (tmp_path / "report.txt").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".report.txt")]


def test_worker_crash_is_named_and_other_findings_kept(tmp_path, monkeypatch):
    for i in range(api.POOL_THRESHOLD + 2):
        write(tmp_path, f"p{i}/main.go", GO)
    rule = all_rules()["CL101"]
    real = rule.checkers["go"]

    def dies_on_p3(f):
        if f.path.endswith("p3/main.go"):
            os._exit(3)  # a crash no exception handler can catch (like a segfault in a parser)
        return real(f)

    monkeypatch.setitem(rule.checkers, "go", dies_on_p3)  # forked workers inherit the patch
    report = api.run([str(tmp_path)], Config(root=tmp_path), jobs=2)
    assert [e for e in report.errors if "crashed" in e] == [
        f"{tmp_path / 'p3/main.go'}: internal error: the worker process linting it crashed"
    ]
    assert len([f for f in report.findings if f.code == "CL101"]) == api.POOL_THRESHOLD + 1
