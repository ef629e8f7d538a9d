"""Characters str.splitlines takes for line breaks (\\f, \\v, \\x1c-\\x1e, \\x85, U+2028, U+2029), lone CRs and
other encodings: `--diff` output that patch and git apply take, baselines that hash the finding's own line,
and `full` / `gitlab` showing it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from connlint.reporters.gitlab import fingerprint

from .conftest import write

ODD = ["\f", "\v", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
PY = 'from flask import Flask\n# a{ch}b\n\ndef v(resp):\n    resp.headers["Connection"] = "close"{tail}\n'
GO = ('package main\n// a{ch}b\n\nimport "net/http"\n\nfunc h(w http.ResponseWriter, r *http.Request) {{\n'
      '\tw.Header().Set("Connection", "close"){tail}\n}}\n')
LATIN1 = ("# -*- coding: latin-1 -*-\n# caf\xe9 \x85 \xa0\n" + PY.format(ch="", tail="")).encode("latin-1")


def run(*args, cwd):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNLINT")}
    return subprocess.run([sys.executable, "-m", "connlint.cli", "--no-cache", *args], cwd=cwd,
                          capture_output=True, env=env)


def cases():
    for ch in ODD:
        yield f"odd-{ord(ch):x}.py", PY.format(ch=ch, tail="").encode()
        yield f"odd-{ord(ch):x}.go", GO.format(ch=ch, tail="").encode()
        yield f"odd-{ord(ch):x}-no-newline.py", PY.format(ch=ch, tail="").encode().rstrip(b"\n")
    yield "crlf.py", PY.format(ch="", tail="").replace("\n", "\r\n").encode()
    yield "lone-cr.py", PY.format(ch="\r", tail="").encode()  # a line break for Python, not for patch
    yield "lone-cr.go", GO.format(ch="\r", tail="").encode()
    yield "latin-1 cookie.py", LATIN1
    yield "with space.go", GO.format(ch="", tail="").encode()


@pytest.mark.parametrize("name,data", list(cases()), ids=[name for name, _ in cases()])
def test_diff_applies_with_patch_and_git_apply_and_equals_fix(tmp_path, name, data):
    tree = tmp_path / "tree"
    write(tree, f"src/{name}", data)
    for tool in ("patch", "git-apply"):
        shutil.copytree(tree, tmp_path / tool)
    diff = run("--diff", "--exit-zero", ".", cwd=tree)
    assert diff.returncode == 0, diff.stderr.decode()  # --exit-zero: 0 although there are fixes
    assert b"Traceback" not in diff.stderr and diff.stdout.startswith(b"--- a/src/")
    fixed = run("--fix", ".", cwd=tree)
    assert fixed.returncode == 0, fixed.stderr.decode()
    expected = (tree / "src" / name).read_bytes()
    assert expected != data
    subprocess.run(["patch", "-p1", "--quiet", "--batch"], input=diff.stdout, cwd=tmp_path / "patch", check=True)
    subprocess.run(["git", "apply", "-"], input=diff.stdout, cwd=tmp_path / "git-apply", check=True)
    for tool in ("patch", "git-apply"):
        assert (tmp_path / tool / "src" / name).read_bytes() == expected, tool


COMMENTED = {".py": ('"close"\n', '"close"  # why\n'), ".go": ('"close")\n', '"close") // why\n')}


@pytest.mark.parametrize("name,text", [
    ("formfeed.py", PY.format(ch="\f", tail="")), ("ls.py", PY.format(ch="\u2028", tail="")),
    ("nel.go", GO.format(ch="\x85", tail="")), ("lone-cr.go", GO.format(ch="\r", tail="")),
])
def test_a_baseline_hashes_the_findings_own_line(in_tmp, name, text):
    """Editing the finding's line makes it new again; with lines split by str.splitlines the hash was
    another line's, and the edit went unseen."""
    path = write(in_tmp, name, text.encode())
    assert run("--write-baseline", "b.json", cwd=in_tmp).returncode == 0
    assert run("--baseline", "b.json", cwd=in_tmp).returncode == 0
    before, after = COMMENTED[os.path.splitext(name)[1]]
    path.write_bytes(text.replace(before, after).encode())
    proc = run("--baseline", "b.json", "--format", "json", cwd=in_tmp)
    assert [d["code"] for d in json.loads(proc.stdout)] == ["CL101"]


GO_LONE_CR = GO.format(ch="\r", tail="").encode()  # tree-sitter counts LF only: the finding is on line 7


def test_full_shows_the_go_line_a_lone_cr_does_not_break(in_tmp):
    write(in_tmp, "main.go", GO_LONE_CR)
    out = run("--format", "full", "main.go", cwd=in_tmp).stdout.decode()
    assert out.startswith("main.go:7:2: CL101 ")
    assert '\n7 |     w.Header().Set("Connection", "close")\n' in out


def test_gitlab_hashes_the_go_line_a_lone_cr_does_not_break(in_tmp):
    write(in_tmp, "main.go", GO_LONE_CR)
    [issue] = json.loads(run("--format", "gitlab", "main.go", cwd=in_tmp).stdout)
    assert issue["location"]["lines"]["begin"] == 7
    assert issue["fingerprint"] == fingerprint("CL101", issue["location"]["path"],
                                               'w.Header().Set("Connection", "close")', 1)
