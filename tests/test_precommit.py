"""The pre-commit hooks, run by the real `pre-commit try-repo` on a sample git repository.

try-repo clones the hook repository at a commit, so the working tree (with changes not yet committed)
is copied into a throw-away git repository first. It then installs connlint into a fresh virtualenv
with pip, which needs the package index: without it (or without git or pre-commit) the tests skip.
The hook environment is built once for this module (PRE_COMMIT_HOME in a temporary folder).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO, write

CLOSE_GO = '''package main

import "net/http"

func h(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Connection", "close")
}
'''
CLEAN_PY = 'print("keep-alive")\n'
TIMEOUT = 900


def _pre_commit() -> str | None:
    beside = Path(sys.executable).with_name("pre-commit")
    return str(beside) if beside.is_file() else shutil.which("pre-commit")


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["git", "-c", "user.name=connlint", "-c", "user.email=connlint@example.invalid", "-c", "commit.gpgsign=false",
         "-c", "init.defaultBranch=main", *args],
        cwd=cwd, check=True, capture_output=True,
    )


def _index_reachable(folder: Path) -> str | None:
    """None if pip can download from its package index, else why not."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--quiet",
         "--dest", str(folder), "pathspec"],
        capture_output=True, text=True, timeout=120,
    )
    return None if proc.returncode == 0 else (proc.stderr.strip().splitlines() or ["pip failed"])[-1]


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory):
    """(pre-commit executable, a committed copy of the working tree, environment for pre-commit)."""
    executable = _pre_commit()
    if executable is None:
        pytest.skip("pre-commit is not installed (pip install -e '.[test]' installs it)")
    if shutil.which("git") is None:
        pytest.skip("git is not installed: pre-commit needs it")
    base = tmp_path_factory.mktemp("precommit")
    why = _index_reachable(base / "probe")
    if why:
        pytest.skip(f"the package index is not reachable, and pre-commit try-repo installs the hook with pip: {why}")

    copy = base / "connlint"
    listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             cwd=REPO, check=True, capture_output=True).stdout.decode("utf-8", "surrogateescape")
    for rel in filter(None, listing.split("\0")):
        source = REPO / rel
        if source.is_file() and not source.is_symlink():
            (copy / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / rel)
    _git("init", "-q", cwd=copy)
    _git("add", "-A", cwd=copy)
    _git("commit", "-q", "-m", "working tree", cwd=copy)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONNLINT", "GIT_", "PRE_COMMIT"))}
    env["PRE_COMMIT_HOME"] = str(base / "cache")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return executable, copy, env


@pytest.fixture
def sample(tmp_path):
    """A git repository with a Go file that sets `Connection: close` and a clean Python file."""
    write(tmp_path, "svc/main.go", CLOSE_GO)
    write(tmp_path, "app.py", CLEAN_PY)
    _git("init", "-q", cwd=tmp_path)
    _git("add", "-A", cwd=tmp_path)
    return tmp_path


def try_repo(hook_repo, sample: Path, hook: str, *files: str) -> subprocess.CompletedProcess:
    executable, copy, env = hook_repo
    return subprocess.run(
        [executable, "try-repo", str(copy), hook, "--verbose", "--color", "never", "--files", *files],
        cwd=sample, capture_output=True, text=True, env=env, timeout=TIMEOUT,
    )


def test_connlint_hook_reports_the_finding(hook_repo, sample):
    proc = try_repo(hook_repo, sample, "connlint", "svc/main.go", "app.py")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "svc/main.go:6:2: CL101 " in proc.stdout
    assert "Failed" in proc.stdout


def test_connlint_hook_passes_a_clean_file(hook_repo, sample):
    proc = try_repo(hook_repo, sample, "connlint", "app.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout


def test_connlint_hook_skips_files_of_other_types(hook_repo, sample):
    write(sample, "notes.txt", "Connection: close\n")
    proc = try_repo(hook_repo, sample, "connlint", "notes.txt")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no files to check" in proc.stdout.lower()


def test_connlint_fix_hook_is_a_valid_hook(hook_repo, sample):
    proc = try_repo(hook_repo, sample, "connlint-fix", "app.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "connlint (fix)" in proc.stdout
    assert "Passed" in proc.stdout
    assert (sample / "app.py").read_text(encoding="utf-8") == CLEAN_PY
