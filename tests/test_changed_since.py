"""--changed-since against real git repositories: odd file names, configs that change git's output, and
configs that would make git run a command."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import write
from .test_cli import CLOSE_GO

NAMES = ["plain.go", "with space.go", "tab\there.go", 'quote"d.go', "back\\slash.go", "naïve.go",
         "new\nline.go", "dïr with space/x.go"]
UNTRACKED = ["nouveau-é.go", "untracked space.go"]
# the finding on line 6 stays, a line is added above it (6) and a new finding below (8): only line 8 is new
CHANGED_GO = CLOSE_GO.replace('\tw.Header()', '\t// changed\n\tw.Header()').replace(
    "}\n", '\tw.Header().Add("Connection", "close")\n}\n')


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=git_env(cwd))


def git_env(home):
    return {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@t", "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1",
            "PATH": os.environ["PATH"], "LC_ALL": "C"}


def changed_since(repo, home):
    proc = subprocess.run([sys.executable, "-m", "connlint.cli", "--no-cache", "--format", "json",
                           "--changed-since", "HEAD", "."], cwd=repo, capture_output=True, env=git_env(home))
    assert proc.returncode in (0, 1), proc.stderr.decode()
    assert b"Traceback" not in proc.stderr
    return sorted((d["path"], d["location"]["line"]) for d in json.loads(proc.stdout))


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo é x"
    root.mkdir()
    git(root, "init", "-q")
    for name in NAMES:
        write(root, name, CLOSE_GO)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    for name in NAMES:
        write(root, name, CHANGED_GO)
    for name in UNTRACKED:
        write(root, name, CLOSE_GO)
    return root


EXPECTED = sorted([(name, 8) for name in NAMES] + [(name, 6) for name in UNTRACKED])


@pytest.mark.parametrize("setting", [
    None,
    ("diff.mnemonicPrefix", "true"),  # `git diff REV` then says c/ and w/, not a/ and b/
    ("diff.noprefix", "true"),
    ("diff.srcPrefix", "x/"),
    ("color.ui", "always"),
    ("color.diff", "always"),
    ("diff.interHunkContext", "5"),  # would merge the two hunks and count the unchanged line 7 as changed
    ("diff.relative", "true"),
    ("core.quotePath", "true"),
    ("diff.renames", "copies"),
])
def test_every_changed_line_of_every_name_is_kept(repo, tmp_path, setting):
    if setting is not None:
        git(repo, "config", *setting)
    assert changed_since(repo, tmp_path) == EXPECTED


@pytest.mark.parametrize("settings,attributes", [
    ([("core.fsmonitor", "{hook}")], ""),
    ([("diff.external", "{hook}")], ""),
    ([("diff.evil.textconv", "{hook}")], "*.go diff=evil\n"),
    ([("diff.evil.command", "{hook}")], "*.go diff=evil\n"),
    ([("filter.evil.clean", "{hook}"), ("filter.evil.required", "true")], "*.go filter=evil\n"),
    ([("filter.evil.process", "{hook}")], "*.go filter=evil\n"),
    ([('filter.a=b.clean', "{hook}")], "*.go filter=a=b\n"),  # a name `-c name=value` would cut short
    ([("core.pager", "{hook}"), ("pager.diff", "{hook}")], ""),
])
def test_a_hostile_git_config_runs_nothing(repo, tmp_path, settings, attributes):
    marker = tmp_path / "ran"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch '{marker}'\ncat\n")
    hook.chmod(0o755)
    for key, value in settings:
        git(repo, "config", key, value.format(hook=hook))
    if attributes:
        write(repo, ".gitattributes", attributes)
    found = changed_since(repo, tmp_path)
    assert not marker.exists()
    assert found == EXPECTED


def test_a_revision_that_looks_like_an_option_is_refused(repo, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "connlint.cli", "--changed-since", f"--output={tmp_path}/x", "."],
                          cwd=repo, capture_output=True, text=True, env=git_env(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"connlint: error: --changed-since --output={tmp_path}/x: "
                                                f"not a git revision"]
    assert not (tmp_path / "x").exists()
