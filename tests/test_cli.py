"""The command line: output formats, exit codes, config, discovery, suppressions and CL000."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import write

CLOSE_GO = '''package main

import "net/http"

func h(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Connection", "close")
}
'''
CLOSE_PY = '''from flask import Flask
app = Flask(__name__)

@app.route("/")
def index():
    return "ok", 200, {"Connection": "close"}
'''
CLEAN_PY = 'print("Connection: close is discussed here, not set")\n'


def connlint(*args: str, cwd: Path, input: str | None = None, **popen) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNLINT")}
    return subprocess.run(
        [sys.executable, "-m", "connlint.cli", *args], cwd=cwd, capture_output=True, text=True, env=env,
        input=input, **popen,
    )


CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, PR_CAPBSET_DROP = 1, 2, 24


def drop_root_file_access() -> None:
    """In the child, before exec: take CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH out of the bounding set.

    Root then gets the owner's permission bits like anyone else (exec recomputes root's capabilities from
    the bounding set), so a mode-000 file is unreadable for it too. Fails loudly if the kernel refuses.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), f"prctl(PR_CAPBSET_DROP, {cap})")


def test_text_output_exit_1_and_summary(in_tmp):
    write(in_tmp, "svc/main.go", CLOSE_GO)
    write(in_tmp, "app/views.py", CLOSE_PY)
    proc = connlint(cwd=in_tmp)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("app/views.py:6:24: CL101 ")
    assert lines[1].startswith("svc/main.go:6:2: CL101 ")
    assert lines[2] == ""
    assert lines[3] == "Found 2 problems (2 errors) in 2 files."


def test_clean_tree_exits_0(in_tmp):
    write(in_tmp, "a.py", CLEAN_PY)
    proc = connlint(".", cwd=in_tmp)
    assert proc.returncode == 0
    assert proc.stdout == "No problems found in 1 file.\n"


def test_exit_zero_and_missing_path(in_tmp):
    write(in_tmp, "main.go", CLOSE_GO)
    assert connlint("--exit-zero", cwd=in_tmp).returncode == 0
    proc = connlint("nope/", cwd=in_tmp)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "connlint: error: nope/: no such file or folder"


def test_bad_option_is_one_line_exit_2(in_tmp):
    proc = connlint("--format", "xml", cwd=in_tmp)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert proc.stderr.startswith("connlint: error: ")


def test_json_format_and_output_file(in_tmp):
    write(in_tmp, "main.go", CLOSE_GO)
    proc = connlint("--output-format", "json", "-o", "out.json", cwd=in_tmp)
    assert proc.returncode == 1
    assert proc.stdout == ""
    data = json.loads((in_tmp / "out.json").read_text())
    assert [(d["code"], d["path"], d["location"], d["end_location"]) for d in data] == [
        ("CL101", "main.go", {"line": 6, "column": 2}, {"line": 6, "column": 39})
    ]
    assert not [p for p in in_tmp.iterdir() if p.name.endswith(".tmp")]
    umask = os.umask(0)
    os.umask(umask)
    assert (in_tmp / "out.json").stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600
    (in_tmp / "out.json").chmod(0o640)
    connlint("--output-format", "json", "-o", "out.json", cwd=in_tmp)
    assert (in_tmp / "out.json").stat().st_mode & 0o777 == 0o640  # an existing report keeps its mode


def test_select_ignore_and_unknown_code(in_tmp):
    write(in_tmp, "main.go", CLOSE_GO)
    assert connlint("--ignore", "CL101", cwd=in_tmp).returncode == 0
    assert connlint("--select", "CL2", cwd=in_tmp).returncode == 0
    assert connlint("--select", "CL1", cwd=in_tmp).returncode == 1
    proc = connlint("--select", "CL999", cwd=in_tmp)
    assert proc.returncode == 2
    assert "unknown rule code or prefix 'CL999'" in proc.stderr


def test_explain_and_rule_commands(in_tmp):
    proc = connlint("--explain", "CL101", cwd=in_tmp)
    assert proc.returncode == 0
    assert proc.stdout.startswith("# CL101 connection-close-header")
    assert "## Why is this bad?" in proc.stdout
    assert connlint("rule", "connection-close-header", cwd=in_tmp).stdout == proc.stdout
    listing = json.loads(connlint("rules", "--format", "json", cwd=in_tmp).stdout)
    by_code = {item["code"]: item for item in listing}
    assert by_code["CL101"]["name"] == "connection-close-header"
    assert list(by_code) == sorted(by_code)


# ---- config -------------------------------------------------------------------------------

def test_pyproject_config_select_exclude_per_file_ignores(in_tmp):
    write(in_tmp, "pyproject.toml", '[tool.connlint]\nexclude = ["generated/"]\n'
          'per-file-ignores = {"legacy/*.go" = ["CL101"]}\n')
    write(in_tmp, "generated/main.go", CLOSE_GO)
    write(in_tmp, "legacy/main.go", CLOSE_GO)
    write(in_tmp, "svc/main.go", CLOSE_GO)
    proc = connlint(cwd=in_tmp / "svc")  # config found upward
    assert proc.stdout.splitlines()[0].startswith("main.go:6:2: CL101")
    proc = connlint(cwd=in_tmp)
    assert [ln.split(":")[0] for ln in proc.stdout.splitlines() if "CL101" in ln] == ["svc/main.go"]


def test_connlint_toml(in_tmp):
    write(in_tmp, "connlint.toml", 'ignore = ["CL101"]\n')
    write(in_tmp, "main.go", CLOSE_GO)
    assert connlint(cwd=in_tmp).returncode == 0
    assert connlint("--isolated", cwd=in_tmp).returncode == 1


@pytest.mark.parametrize(
    "body,message",
    [
        ('[tool.connlint]\nselet = ["CL1"]\n', "pyproject.toml: tool.connlint.selet: unknown option"),
        ('[tool.connlint]\nselect = ["CL777"]\n', "tool.connlint.select: unknown rule code or prefix 'CL777'"),
        ('[tool.connlint]\nselect = "CL1"\n', "tool.connlint.select: expected a list of strings"),
        ('[tool.connlint\nselect = 1\n', "pyproject.toml: invalid TOML"),
        ('[tool.connlint]\nrespect-gitignore = "yes"\n', "respect-gitignore: expected true or false"),
    ],
)
def test_bad_config_is_one_line_exit_2(in_tmp, body, message):
    write(in_tmp, "pyproject.toml", body)
    write(in_tmp, "main.go", CLOSE_GO)
    proc = connlint(cwd=in_tmp)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert message in proc.stderr


def test_missing_config_file(in_tmp):
    proc = connlint("--config", "nope.toml", cwd=in_tmp)
    assert proc.returncode == 2
    assert "nope.toml: config file not found" in proc.stderr


# ---- discovery ----------------------------------------------------------------------------

def test_gitignore_nested_default_skips_and_explicit_file(in_tmp):
    (in_tmp / ".git").mkdir()
    write(in_tmp, ".gitignore", "build/\n*.gen.go\n")
    write(in_tmp, "svc/.gitignore", "local_*.py\n!local_keep.py\n")
    for rel in ("build/a.go", "svc/x.gen.go", "svc/local_a.py", "node_modules/m/a.go", "vendor/v/a.go",
                ".venv/lib/a.py", "venv2/lib/a.py", "__pycache__/a.py", "pkg/testdata/a.go"):
        write(in_tmp, rel, CLOSE_GO if rel.endswith(".go") else CLOSE_PY)
    write(in_tmp, "venv2/pyvenv.cfg", "home = /usr\n")
    write(in_tmp, "svc/local_keep.py", CLOSE_PY)
    write(in_tmp, "svc/main.go", CLOSE_GO)
    proc = connlint("--format", "json", cwd=in_tmp)
    assert sorted({d["path"] for d in json.loads(proc.stdout)}) == ["svc/local_keep.py", "svc/main.go"]
    # `connlint svc/` honours the root .gitignore too
    proc = connlint("--format", "json", "svc", cwd=in_tmp)
    assert sorted({d["path"] for d in json.loads(proc.stdout)}) == ["svc/local_keep.py", "svc/main.go"]
    # a file named explicitly is always linted, and so is a folder (with the .gitignore files below it)
    proc = connlint("--format", "json", "build/a.go", cwd=in_tmp)
    assert [d["path"] for d in json.loads(proc.stdout)] == ["build/a.go"]
    write(in_tmp, "build/.gitignore", "skip_*.go\n")
    write(in_tmp, "build/skip_me.go", CLOSE_GO)
    proc = connlint("--format", "json", "build", cwd=in_tmp)
    assert [d["path"] for d in json.loads(proc.stdout)] == ["build/a.go"]
    proc = connlint("--format", "json", "--no-respect-gitignore", cwd=in_tmp)
    assert "build/a.go" in {d["path"] for d in json.loads(proc.stdout)}


def test_excluded_folder_named_explicitly_is_linted(in_tmp):
    for rel in ("vendor/v/a.go", "vendor/v/node_modules/m/a.go", "lib/site-packages/requests/api.py",
                "gen/x/a.go"):
        write(in_tmp, rel, CLOSE_GO if rel.endswith(".go") else CLOSE_PY)
    write(in_tmp, "connlint.toml", 'extend-exclude = ["gen/"]\n')
    for named, expected in (("vendor", ["vendor/v/a.go"]), ("vendor/v", ["vendor/v/a.go"]),
                            ("lib/site-packages", ["lib/site-packages/requests/api.py"]),
                            ("lib/site-packages/requests", ["lib/site-packages/requests/api.py"]),
                            ("gen", ["gen/x/a.go"]), (".", [])):
        proc = connlint("--format", "json", named, cwd=in_tmp)
        assert sorted({d["path"] for d in json.loads(proc.stdout)}) == expected, named


def test_force_exclude_applies_excludes_to_named_paths(in_tmp):
    write(in_tmp, "vendor/v/a.go", CLOSE_GO)
    write(in_tmp, "gen/b.go", CLOSE_GO)
    write(in_tmp, "svc/c.go", CLOSE_GO)
    write(in_tmp, "connlint.toml", 'extend-exclude = ["gen/"]\n')
    named = ("vendor/v/a.go", "gen/b.go", "svc/c.go", "vendor")
    proc = connlint("--format", "json", *named, cwd=in_tmp)
    assert sorted(d["path"] for d in json.loads(proc.stdout)) == ["gen/b.go", "svc/c.go", "vendor/v/a.go"]
    proc = connlint("--format", "json", "--force-exclude", *named, cwd=in_tmp)
    assert [d["path"] for d in json.loads(proc.stdout)] == ["svc/c.go"]
    write(in_tmp, "connlint.toml", 'extend-exclude = ["gen/"]\nforce-exclude = true\n')
    proc = connlint("--format", "json", *named, cwd=in_tmp)
    assert [d["path"] for d in json.loads(proc.stdout)] == ["svc/c.go"]
    proc = connlint("--format", "json", "--stdin-filename", "gen/b.go", "-", cwd=in_tmp, input=CLOSE_GO)
    assert (proc.returncode, json.loads(proc.stdout)) == (0, [])
    proc = connlint("--format", "json", "--stdin-filename", "svc/c.go", "-", cwd=in_tmp, input=CLOSE_GO)
    assert [d["code"] for d in json.loads(proc.stdout)] == ["CL101"]


def test_exclude_flag(in_tmp):
    write(in_tmp, "a/main.go", CLOSE_GO)
    write(in_tmp, "b/main.go", CLOSE_GO)
    proc = connlint("--format", "json", "--exclude", "a/", cwd=in_tmp)
    assert [d["path"] for d in json.loads(proc.stdout)] == ["b/main.go"]


def test_symlinks_out_of_tree_and_loops(tmp_path):
    outside = tmp_path / "outside"
    write(outside, "evil.go", CLOSE_GO)
    tree = tmp_path / "tree"
    write(tree, "main.go", CLOSE_GO)
    (tree / "out").symlink_to(outside, target_is_directory=True)
    (tree / "evil_link.go").symlink_to(outside / "evil.go")
    (tree / "loop").symlink_to(tree, target_is_directory=True)
    (tree / "dangling.go").symlink_to(tree / "missing.go")
    proc = connlint("--format", "json", ".", cwd=tree)
    assert proc.returncode == 1
    found = sorted((d["path"], d["code"]) for d in json.loads(proc.stdout))
    assert found == [("dangling.go", "CL000"), ("main.go", "CL101")]
    text = connlint(".", cwd=tree).stdout
    assert "dangling.go:1:1: CL000 error: broken symbolic link" in text


# ---- suppressions -------------------------------------------------------------------------

def test_python_noqa_forms(in_tmp):
    write(in_tmp, "a.py", 'from flask import Flask\napp = Flask(__name__)\n'
          'def v(resp):\n'
          '    resp.headers["Connection"] = "close"  # noqa: CL101\n'
          '    resp.headers["Connection"] = "close"  # noqa\n'
          '    resp.headers["Connection"] = "close"  # NOQA:E501,CL101\n'
          '    resp.headers["Connection"] = "close"  # noqa: E501\n'
          '    resp.headers["Connection"] = "close"  # noqa: CL998\n')
    proc = connlint("a.py", cwd=in_tmp)
    assert [ln.split(": ")[0] for ln in proc.stdout.splitlines() if "CL101" in ln] == ["a.py:7:5", "a.py:8:5"]
    assert "connlint: warning: a.py:8: unknown rule code CL998 in suppression comment" in proc.stderr
    assert proc.returncode == 1


def test_go_ignore_directive(in_tmp):
    write(in_tmp, "a.go", 'package main\nimport "net/http"\nfunc h(w http.ResponseWriter) {\n'
          '\tw.Header().Set("Connection", "close") //connlint:ignore CL101 proxy requires it\n'
          '\t//connlint:ignore CL202,CL101 one-shot endpoint\n'
          '\tw.Header().Set("Connection", "close")\n'
          '\tw.Header().Set("Connection", "close") //connlint:ignore CL201 wrong code\n'
          '}\n')
    proc = connlint("--format", "json", "--select", "CL101", "a.go", cwd=in_tmp)
    assert [d["location"]["line"] for d in json.loads(proc.stdout)] == [7]
    proc = connlint("--format", "json", "a.go", cwd=in_tmp)
    found = [(d["code"], d["location"]["line"], d["message"]) for d in json.loads(proc.stdout)]
    assert [(code, line) for code, line, _ in found] == [("CL002", 5), ("CL101", 7), ("CL002", 7)]
    assert found[0][2] == "Suppression for CL202 silences nothing on this line; remove those codes."
    assert found[2][2] == "Suppression for CL201 silences nothing on this line; remove it."


def test_unexplained_suppression_with_require_reason(in_tmp):
    write(in_tmp, "pyproject.toml", "[tool.connlint]\nrequire-reason = true\n")
    write(in_tmp, "a.py", 'from flask import Flask\napp = Flask(__name__)\ndef v(resp):\n'
          '    resp.headers["Connection"] = "close"  # noqa: CL101\n'
          '    resp.headers["Connection"] = "close"  # noqa: CL101 -- the LB drains on close\n'
          '    x = 1  # noqa: CL101 stale\n'
          '    y = 2  # noqa\n')
    proc = connlint("--format", "json", cwd=in_tmp)
    assert [(d["code"], d["location"]["line"], d["location"]["column"]) for d in json.loads(proc.stdout)] == [
        ("CL001", 4, 43), ("CL002", 6, 12),
    ]


# ---- CL000 --------------------------------------------------------------------------------

def test_cl000_python_syntax_error_and_binary_run_goes_on(in_tmp):
    write(in_tmp, "broken.py", 'import flask\ndef v(:\n    resp.headers["Connection"] = "close"\n')
    write(in_tmp, "binary.py", b'\x00\x01"Connection": "close"\x00')
    write(in_tmp, "latin.go", b'package main\n// \xe9 "Connection" "close"\n')
    write(in_tmp, "main.go", CLOSE_GO)
    proc = connlint(cwd=in_tmp)
    assert proc.returncode == 1
    out = proc.stdout.splitlines()
    assert out[0] == "binary.py:1:1: CL000 error: binary file (contains NUL bytes), not linted"
    assert out[1].startswith("broken.py:2:7: CL000 error: syntax error: ")
    assert out[2] == "latin.go:2:1: CL000 error: Go source is not valid UTF-8 (byte offset 16)"
    assert out[3].startswith("main.go:6:2: CL101")


def test_cl000_go_syntax_error_still_lints_intact_parts(in_tmp):
    write(in_tmp, "main.go", CLOSE_GO + "\nfunc broken( {\n")
    proc = connlint("--format", "json", cwd=in_tmp)
    codes = [(d["code"], d["location"]["line"]) for d in json.loads(proc.stdout)]
    assert ("CL101", 6) in codes
    assert any(code == "CL000" for code, _ in codes)


def test_cl000_cannot_be_deselected(in_tmp):
    write(in_tmp, "broken.py", 'import flask\nresp.headers["Connection"] = "close" +\n')
    proc = connlint("--ignore", "CL000", cwd=in_tmp)
    assert "CL000" in proc.stdout


def test_unreadable_file(in_tmp):
    path = write(in_tmp, "secret.go", CLOSE_GO)
    path.chmod(0)
    # Root reads every file: as root (how CI runs), lint without the capabilities that bypass permissions.
    proc = connlint(cwd=in_tmp, preexec_fn=drop_root_file_access if os.geteuid() == 0 else None)
    assert "secret.go:1:1: CL000 error: cannot read: Permission denied" in proc.stdout, proc.stderr
    assert proc.returncode == 1


# ---- determinism --------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_byte_identical_runs(fmt):
    from .conftest import FIXTURES

    first = connlint("--isolated", "--format", fmt, ".", cwd=FIXTURES)
    second = connlint("--isolated", "--format", fmt, ".", cwd=FIXTURES)
    assert first.returncode == 1
    assert first.stdout == second.stdout
