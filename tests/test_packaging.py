"""The package as installed: `python -m connlint`, dependency floors, the skip policy CI relies on."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from .conftest import REPO, write
from .skip_policy import ENV as NO_SKIPS

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

CLOSE_GO = 'package main\n\nimport "net/http"\n\nfunc h(w http.ResponseWriter, r *http.Request) {\n\tw.Header().Set("Connection", "close")\n}\n'
LOWEST = "CONNLINT_LOWEST_DEPS"  # set by .ci/run's lowest-dependencies run


def run(*argv: str, cwd=None, env=None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CONNLINT")}
    return subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, env={**base, **(env or {})})


# ---- python -m connlint -----------------------------------------------------------------------------

def test_python_m_connlint_is_the_console_script(tmp_path):
    from connlint import __version__

    version = run(sys.executable, "-m", "connlint", "--version")
    assert (version.returncode, version.stdout) == (0, f"connlint {__version__}\n")
    write(tmp_path, "svc/main.go", CLOSE_GO)
    as_module = run(sys.executable, "-m", "connlint", "--isolated", "--no-cache", ".", cwd=tmp_path)
    script = run(sys.executable, "-c", "import sys; from connlint.cli import entry; sys.argv[0] = 'connlint'; entry()",
                 "--isolated", "--no-cache", ".", cwd=tmp_path)
    assert as_module.returncode == script.returncode == 1, as_module.stderr
    assert as_module.stdout == script.stdout
    assert as_module.stdout.startswith("svc/main.go:6:2: CL101")
    assert run(sys.executable, "-m", "connlint", "--select", "CL999", ".", cwd=tmp_path).returncode == 2


def test_console_script_names_cli_entry():
    scripts = {ep.name: ep.value for ep in metadata.entry_points(group="console_scripts") if ep.name == "connlint"}
    assert scripts == {"connlint": "connlint.cli:entry"}


# ---- dependency floors ------------------------------------------------------------------------------

def requirements() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]
    return [r for r in reqs if r.marker is None or r.marker.evaluate()]


def floor(req: Requirement) -> str:
    (spec,) = [s for s in req.specifier if s.operator == ">="]
    return spec.version


def test_every_dependency_has_a_floor():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for text in project["dependencies"] + project["optional-dependencies"]["test"]:
        assert [s.operator for s in Requirement(text).specifier] == [">="], f"{text}: one `>=` floor, no cap"


def test_installed_versions_meet_the_floors():
    """Always: what is installed satisfies pyproject. In CI's lowest run: exactly the floors are installed."""
    lowest = os.environ.get(LOWEST) == "1"
    for req in requirements():
        installed = metadata.version(req.name)
        assert req.specifier.contains(installed, prereleases=True), f"{req.name} {installed} does not satisfy {req}"
        if lowest:
            want = floor(req)
            assert Version(installed) == Version(want), f"{LOWEST}=1 but {req.name} is {installed}, its floor {want}"


# ---- skipped tests say why, and fail in CI ------------------------------------------------------------

SKIPPING = '''
import pytest

def test_runs():
    pass

@pytest.mark.skipif(True, reason="needs a thing CI always has")
def test_skips():
    pass

@pytest.mark.xfail(strict=True, reason="a known gap")
def test_known_gap():
    assert False
'''


@pytest.mark.parametrize("ci", [False, True])
def test_a_skip_says_why_and_fails_in_ci(tmp_path, ci):
    write(tmp_path, "test_sample.py", SKIPPING)
    write(tmp_path, "pytest.ini", "[pytest]\naddopts = -rs\n")
    proc = run(sys.executable, "-m", "pytest", "-p", "tests.skip_policy", "-p", "no:cacheprovider",
               "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path), str(tmp_path / "test_sample.py"),
               cwd=REPO, env={NO_SKIPS: "1"} if ci else None)
    if ci:
        assert proc.returncode == 1, proc.stdout
        assert f"skipped, but {NO_SKIPS}=1 (CI) allows no skip: needs a thing CI always has" in proc.stdout
        assert re.search(r"= 1 passed, 1 xfailed, (\d+ warnings?, )?1 error in ", proc.stdout), proc.stdout
    else:
        assert proc.returncode == 0, proc.stdout
        assert re.search(r"^SKIPPED \[1\] \S*test_sample\.py:7: needs a thing CI always has$", proc.stdout, re.M)
        assert re.search(r"= 1 passed, 1 skipped, 1 xfailed(, \d+ warnings?)? in ", proc.stdout), proc.stdout


# ---- the README promises only what exists --------------------------------------------------------------

def test_readme_installs_only_from_what_exists():
    """connlint is not on PyPI yet: no bare `pip install connlint`; pre-commit's `rev` names a real tag or
    is the `<commit sha>` placeholder the README explains."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    from_pypi = re.findall(r"pip install ['\"]?connlint(?:\[[\w,]+\])?['\"]?(?!\s*@)(?=[\s`]|$)", readme, re.M)
    assert not from_pypi, f"the README installs connlint from PyPI, where it is not: {from_pypi}"
    assert "pip install git+https://github.com/connlint/connlint" in readme
    revs = re.findall(r"^\s*rev:\s*(\S.*?)\s*(?:#.*)?$", readme, re.M)
    assert revs, "the README's pre-commit snippet has no rev"
    tags = set()
    if (REPO / ".git").exists():
        tags = set(subprocess.run(["git", "tag", "--list"], cwd=REPO, capture_output=True, text=True,
                                  check=True).stdout.split())
    for rev in revs:
        assert rev == "<commit sha>" or rev in tags, f"pre-commit rev {rev!r} is neither a tag of this repository nor the placeholder"


DRIVER = '''import sys
from connlint import cli

def interrupted(*args, **kwargs):
    exec("raise KeyboardInterrupt")  # Ctrl-C inside a string exec, as during a lazy import's dataclasses

cli.main.main = interrupted
cli.entry()
'''


def test_ctrl_c_under_python_m_exits_130(tmp_path):
    """`python -m connlint` exits 130 on Ctrl-C on every Python (CPython 3.11 made it a SIGINT death)."""
    write(tmp_path, "drive_connlint.py", DRIVER)
    proc = run(sys.executable, "-m", "drive_connlint", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (130, "connlint: interrupted\n")
