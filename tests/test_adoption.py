"""Adopting connlint on legacy code: baseline, --add-noqa, --changed-since, --stdin-filename."""

from __future__ import annotations

import json
import subprocess

from .conftest import write
from .test_cli import CLOSE_GO, CLOSE_PY, connlint


def codes(proc):
    return [(d["path"], d["code"], d["location"]["line"]) for d in json.loads(proc.stdout)]


def test_baseline_survives_unrelated_edits_and_reports_new_and_stale(in_tmp):
    go = write(in_tmp, "svc/main.go", CLOSE_GO)
    write(in_tmp, "app.py", CLOSE_PY)
    proc = connlint("--write-baseline", "connlint-baseline.json", cwd=in_tmp)
    assert proc.returncode == 0
    assert "wrote 2 finding(s)" in proc.stderr
    data = json.loads((in_tmp / "connlint-baseline.json").read_text())
    assert [(e["code"], e["path"], e["count"]) for e in data["findings"]] == [
        ("CL101", "app.py", 1), ("CL101", "svc/main.go", 1)
    ]
    assert connlint("--baseline", "connlint-baseline.json", cwd=in_tmp).returncode == 0
    # unrelated edits move the finding: still baselined
    go.write_text(CLOSE_GO.replace("package main\n", "package main\n\n// A comment.\n"))
    assert connlint("--baseline", "connlint-baseline.json", cwd=in_tmp).returncode == 0
    # a new finding is reported; a fixed one makes its entry stale
    go.write_text(CLOSE_GO.replace("}\n", '\tw.Header().Add("Connection", "close")\n}\n'))
    write(in_tmp, "app.py", "print('fixed')\n")
    proc = connlint("--format", "json", "--baseline", "connlint-baseline.json", cwd=in_tmp)
    assert codes(proc) == [("svc/main.go", "CL101", 7)]
    assert "1 baseline entry is stale" in proc.stderr


def test_baseline_from_config_and_bad_file(in_tmp):
    write(in_tmp, "main.go", CLOSE_GO)
    write(in_tmp, "pyproject.toml", '[tool.connlint]\nbaseline = "ci/baseline.json"\n')
    assert connlint("--write-baseline", "ci/baseline.json", cwd=in_tmp).returncode == 0
    assert connlint(cwd=in_tmp).returncode == 0
    write(in_tmp, "ci/baseline.json", "not json")
    proc = connlint(cwd=in_tmp)
    assert proc.returncode == 2
    assert "ci/baseline.json: not a connlint baseline" in proc.stderr


def test_add_noqa_then_clean(in_tmp):
    write(in_tmp, "main.go", CLOSE_GO)
    write(in_tmp, "app.py", CLOSE_PY.replace('{"Connection": "close"}', '{"Connection": "close"}  # noqa: E501'))
    proc = connlint("--add-noqa", cwd=in_tmp)
    assert proc.returncode == 0, proc.stderr
    assert 'w.Header().Set("Connection", "close") //connlint:ignore CL101 TODO: explain why\n' in (
        in_tmp / "main.go").read_text()
    assert '{"Connection": "close"}  # noqa: E501, CL101\n' in (in_tmp / "app.py").read_text()
    assert connlint(cwd=in_tmp).returncode == 0
    assert connlint("--add-noqa", cwd=in_tmp).stderr.startswith("connlint: added 0 ")


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t", "HOME": str(cwd), "PATH": "/usr/bin:/bin"})


def test_changed_since(in_tmp):
    git(in_tmp, "init", "-q")
    write(in_tmp, "old.go", CLOSE_GO)
    git(in_tmp, "add", "-A")
    git(in_tmp, "commit", "-qm", "base")
    write(in_tmp, "old.go", CLOSE_GO.replace("}\n", '\tw.Header().Add("Connection", "close")\n}\n'))
    write(in_tmp, "new.go", CLOSE_GO)
    proc = connlint("--format", "json", "--changed-since", "HEAD", cwd=in_tmp)
    assert codes(proc) == [("new.go", "CL101", 6), ("old.go", "CL101", 7)]
    proc = connlint("--changed-since", "no-such-rev", cwd=in_tmp)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1


def test_stdin_filename(in_tmp):
    write(in_tmp, "pyproject.toml", '[tool.connlint]\nper-file-ignores = {"legacy/*" = ["CL101"]}\n')
    proc = connlint("--format", "json", "--stdin-filename", "svc/main.go", cwd=in_tmp, input=CLOSE_GO)
    assert codes(proc) == [("svc/main.go", "CL101", 6)]
    proc = connlint("--stdin-filename", "legacy/main.go", cwd=in_tmp, input=CLOSE_GO)
    assert proc.returncode == 0


def test_conflicting_modes(in_tmp):
    proc = connlint("--fix", "--diff", cwd=in_tmp)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "connlint: error: --fix and --diff cannot be used together"
