"""Settings a user relies on: the cache key covers the whole plan, the nearest config applies to each
file, commands and folders are never confused, and `fail-on` decides the exit code."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from connlint import cache, plan as planning
from connlint.config import Config, ConfigError, Resolver
from connlint.registry import all_rules

from .conftest import write
from .test_cli import CLOSE_GO, CLOSE_PY, connlint

NOTE_GO = '''package main

import "net/http"

func shed(w http.ResponseWriter, r *http.Request, busy bool) {
	if busy {
		w.Header().Set("Connection", "close")
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
}
'''


def _touch(path: Path) -> None:
    """A new mtime an hour ago: the file is read again, and its stamp may be trusted afterwards."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - 3_600_000_000_000))


# ---- 1. the cache key is the whole plan ---------------------------------------------------------

def test_warm_cache_follows_ignore_cl002(in_tmp):
    path = write(in_tmp, "app.py", CLOSE_PY.replace('"close"}', '"close"}  # noqa: CL101, CL202'))
    first = connlint(cwd=in_tmp)
    assert first.returncode == 1 and ": CL002 warning: Suppression for CL202 silences" in first.stdout
    _touch(path)
    second = connlint("--ignore", "CL002", cwd=in_tmp)
    assert (second.returncode, second.stdout) == (0, "No problems found in 1 file.\n")


def test_warm_cache_follows_require_reason_and_per_file_ignores(in_tmp):
    path = write(in_tmp, "app.py", CLOSE_PY.replace('"close"}', '"close"}  # noqa: CL101'))
    write(in_tmp, "svc/main.go", CLOSE_GO)
    assert connlint(cwd=in_tmp).stdout.splitlines()[0].startswith("svc/main.go:6:2: CL101 ")
    write(in_tmp, "pyproject.toml", '[tool.connlint]\nrequire-reason = true\n'
                                    '[tool.connlint.per-file-ignores]\n"svc/*" = ["CL101"]\n')
    _touch(path)
    proc = connlint(cwd=in_tmp)
    assert proc.stdout.splitlines()[0] == ("app.py:6:48: CL001 warning: Suppression comment gives no reason; "
                                           "add one after the codes.")
    assert "svc/main.go" not in proc.stdout and proc.returncode == 1


# Values a field can take other than its default, by field name where the type does not say.
OTHER = {
    "source": Path("/elsewhere/connlint.toml"),
    "ignore_tests": True,
    "baseline": Path("/elsewhere/baseline.json"),
    "per_file_ignores": (("gen/*", ("CL101",)),),
    "select": ("CL1",),
    "extend_select": ("CL2",),
    "ignore": ("CL301",),
    "fail_on": "note",
}


def _other(name: str, value):
    if name in OTHER:
        return OTHER[name]
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, Path):
        return value / "elsewhere"
    if isinstance(value, tuple):
        return value + ("other/",)
    raise AssertionError(f"say in OTHER how to change the new field {name!r}")


def test_every_config_field_changes_every_file_key(tmp_path):
    base = Config(root=tmp_path)
    reference = planning.make_plan(base).fingerprint
    for item in dataclasses.fields(Config):
        changed = dataclasses.replace(base, **{item.name: _other(item.name, getattr(base, item.name))})
        assert changed != base, item.name
        fingerprint = planning.make_plan(changed).fingerprint
        assert fingerprint != reference, f"changing {item.name} leaves the cache key as it was"
        assert cache.key(fingerprint, "a.py", "python", b"x") != cache.key(reference, "a.py", "python", b"x")


PLAN_OTHER = {
    "config": lambda p: dataclasses.replace(p.config, require_reason=True),
    "rules": lambda p: {**p.rules, "go": ()},
    "per_file_ignores": lambda p: (("x",),),
    "known_codes": lambda p: p.known_codes - {"CL101"},
    "test_exempt_codes": lambda p: p.test_exempt_codes | {"CL101"},
    "enabled": lambda p: p.enabled - {"CL101"},
}


def test_every_plan_field_is_in_the_fingerprint(tmp_path):
    """Walks the Plan's fields, so a field added later is in the key or this test fails."""
    plan = planning.make_plan(Config(root=tmp_path))
    spec = planning.make_plan(Config(root=tmp_path, per_file_ignores=(("gen/*", ("CL101",)),))).per_file_ignores
    PLAN_OTHER["per_file_ignores"] = lambda p: spec
    for item in dataclasses.fields(planning.Plan):
        if item.name == "fingerprint":
            continue
        value = getattr(plan, item.name)
        other = PLAN_OTHER[item.name](plan) if item.name in PLAN_OTHER else _other(item.name, value)
        changed = dataclasses.replace(plan, **{item.name: other})
        assert planning.fingerprint(changed) != plan.fingerprint, f"Plan.{item.name} is not in the fingerprint"
    assert planning.fingerprint(plan) == plan.fingerprint


def test_fingerprint_refuses_a_field_it_cannot_put_in_words(tmp_path):
    with pytest.raises(TypeError, match="no stable form for object"):
        planning.stable(object())


def test_fingerprint_covers_the_parser_versions(monkeypatch):
    planning.environment.cache_clear()
    try:
        before = planning.environment()
        from importlib import metadata

        real = metadata.version
        monkeypatch.setattr(metadata, "version", lambda name: "9.9" if name == "libcst" else real(name))
        planning.environment.cache_clear()
        assert planning.environment() != before and "libcst=9.9" in planning.environment()
    finally:
        planning.environment.cache_clear()


# ---- 4. the nearest config applies to each file ---------------------------------------------------

@pytest.fixture
def monorepo(in_tmp):
    (in_tmp / ".git").mkdir()
    write(in_tmp, "pyproject.toml", '[tool.connlint]\nignore = ["CL301"]\n')
    write(in_tmp, "top.go", CLOSE_GO)
    write(in_tmp, "svc/pyproject.toml", '[tool.connlint]\nignore = ["CL101"]\nextend-exclude = ["gen/"]\n'
                                        '[tool.connlint.per-file-ignores]\n"legacy/*" = ["CL202"]\n')
    write(in_tmp, "svc/app.go", CLOSE_GO)
    write(in_tmp, "svc/gen/skip.go", CLOSE_GO)
    write(in_tmp, "svc/legacy/client.go", 'package legacy\n\nimport "net/http"\n\n'
                                          'var t = &http.Transport{DisableKeepAlives: true}\n')
    write(in_tmp, "lib/pkg/app.go", CLOSE_GO)
    return in_tmp


def test_each_file_gets_its_nearest_config(monorepo):
    proc = connlint(".", cwd=monorepo)
    paths = sorted({line.split(":")[0] for line in proc.stdout.splitlines() if ": CL" in line})
    assert paths == ["lib/pkg/app.go", "top.go"]  # svc/ ignores CL101, excludes gen/, CL202 ignored in legacy/
    assert connlint("svc/", cwd=monorepo).stdout == "No problems found in 2 files.\n"
    assert connlint("svc/app.go", "top.go", cwd=monorepo).stdout.count(": CL101 ") == 1
    inside = connlint(".", cwd=monorepo / "svc")
    assert inside.stdout == "No problems found in 2 files.\n"


def test_config_flag_and_isolated_apply_to_every_file(monorepo):
    write(monorepo, "all.toml", 'select = ["CL202"]\n')
    proc = connlint("--config", "all.toml", ".", cwd=monorepo)
    assert [line.split(":")[0] for line in proc.stdout.splitlines() if ": CL" in line] == ["svc/legacy/client.go"]
    isolated = connlint("--isolated", ".", cwd=monorepo)
    found = {line.split(":")[0] for line in isolated.stdout.splitlines() if ": CL" in line}
    assert found == {"lib/pkg/app.go", "svc/app.go", "svc/gen/skip.go", "svc/legacy/client.go", "top.go"}


def test_the_search_stops_at_the_repository_root(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.connlint]\nignore = ["CL101"]\n')
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    write(tmp_path, "repo/main.go", CLOSE_GO)
    assert connlint(".", cwd=tmp_path / "repo").stdout.startswith("main.go:6:2: CL101 ")


def test_show_settings_names_the_file_that_applied(monorepo):
    proc = connlint("--show-settings", "svc/app.go", cwd=monorepo)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:3] == ["Settings for: svc/app.go", f"Config file: {monorepo / 'svc' / 'pyproject.toml'}",
                         f"Root: {monorepo / 'svc'}"]
    assert 'ignore = ["CL101"]' in lines and 'fail-on = "warning"' in lines
    assert any(line.startswith("enabled rules = CL000, CL001, CL002, CL102") for line in lines)
    top = connlint("--show-settings", "--select", "CL1", cwd=monorepo).stdout.splitlines()
    assert top[1] == f"Config file: {monorepo / 'pyproject.toml'}" and 'select = ["CL1"]' in top
    none = connlint("--isolated", "--show-settings", cwd=monorepo).stdout.splitlines()
    assert none[1:3] == ["Config file: none (the defaults)", "  (--isolated: one configuration for every file)"]


def test_show_files_lists_what_would_be_linted(monorepo):
    proc = connlint("--show-files", cwd=monorepo)
    assert (proc.returncode, proc.stdout.splitlines()) == (0, ["lib/pkg/app.go", "svc/app.go", "svc/legacy/client.go", "top.go"])


def test_a_broken_nested_config_is_one_line_exit_2(monorepo):
    write(monorepo, "svc/pyproject.toml", '[tool.connlint]\nselct = ["CL1"]\n')
    proc = connlint(".", cwd=monorepo)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (f"connlint: error: {monorepo / 'svc' / 'pyproject.toml'}: tool.connlint.selct: "
                           "unknown option (did you mean 'select'?)\n")


def test_resolver_looks_each_folder_up_once(monorepo, monkeypatch):
    from connlint import config as config_module

    calls = []
    real = config_module.config_in
    monkeypatch.setattr(config_module, "config_in", lambda folder, skipped=None: calls.append(folder) or real(folder, skipped))
    resolver = Resolver(tuple(all_rules()), cwd=monorepo)
    for name in ("a.go", "b.go", "c.go"):
        assert resolver.for_path(monorepo / "svc" / "legacy" / name).source == monorepo / "svc" / "pyproject.toml"
    assert sorted(map(str, calls)) == sorted({str(monorepo), str(monorepo / "svc"), str(monorepo / "svc" / "legacy")})


def test_isolated_and_config_together_is_an_error():
    with pytest.raises(ConfigError, match="--isolated and --config cannot be used together"):
        Resolver((), isolated=True, config_file=Path("x.toml"))


# ---- 5. a command or a folder? ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["server", "rules", "rule", "sockets"])
def test_a_command_that_is_also_a_folder_is_refused(in_tmp, name):
    write(in_tmp, f"{name}/main.go", CLOSE_GO)
    proc = connlint(name, cwd=in_tmp)
    command = f"connlint {name} --stdio" if name == "server" else f"connlint {name} --"
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == (f"connlint: error: `{name}` is both a connlint command and a path here: "
                           f"`connlint check {name}` lints the path, `{command}` runs the command\n")
    assert connlint("check", name, cwd=in_tmp).stdout.startswith(f"{name}/main.go:6:2: CL101 ")


def test_the_two_spellings_of_the_command(in_tmp):
    for name in ("rules", "rule", "server"):
        (in_tmp / name).mkdir()
    assert connlint("rules", "--", cwd=in_tmp).stdout.startswith("CL000  syntax-error")
    assert connlint("rule", "CL101", cwd=in_tmp).stdout.startswith("# CL101 connection-close-header")
    server = connlint("server", "--stdio", cwd=in_tmp, input="")  # end of input: the server stops
    assert (server.returncode, server.stderr) == (0, "")
    assert connlint("rules", cwd=in_tmp.parent).returncode == 0  # no such folder there: no question


# ---- 6. fail-on and severities ------------------------------------------------------------------------

def test_notes_are_shown_but_do_not_fail_by_default(in_tmp):
    write(in_tmp, "shed.go", NOTE_GO)
    proc = connlint(cwd=in_tmp)
    assert proc.stdout.splitlines()[0] == (
        "shed.go:7:3: CL101 note: " + proc.stdout.splitlines()[0].split(" note: ", 1)[1])
    assert proc.returncode == 0
    assert "Found 1 problem (1 note) in 1 file." in proc.stdout
    assert connlint("--fail-on", "note", cwd=in_tmp).returncode == 1
    write(in_tmp, "main.go", CLOSE_GO)
    assert connlint(cwd=in_tmp).returncode == 1
    assert connlint("--fail-on", "error", "--select", "CL301,CL302", cwd=in_tmp).returncode == 0


def test_fail_on_in_config_and_per_file(in_tmp):
    write(in_tmp, "pyproject.toml", '[tool.connlint]\nfail-on = "error"\nselect = ["CL301", "CL302"]\n')
    write(in_tmp, "srv.go", 'package main\n\nimport "net/http"\n\nfunc main() {\n'
                            '\tsrv := &http.Server{Addr: ":80"}\n\tsrv.ListenAndServe()\n}\n')
    proc = connlint(cwd=in_tmp)
    assert proc.stdout.count(" warning: ") == 2 and proc.returncode == 0
    assert connlint("--fail-on", "warning", cwd=in_tmp).returncode == 1
    write(in_tmp, "strict/pyproject.toml", '[tool.connlint]\nfail-on = "warning"\nselect = ["CL301"]\n')
    write(in_tmp, "strict/srv.go", (in_tmp / "srv.go").read_text())
    assert connlint(cwd=in_tmp).returncode == 1  # the strict folder's warning fails the run
    bad = connlint("--fail-on", "info", cwd=in_tmp)
    assert bad.returncode == 2 and "Invalid value for '--fail-on'" in bad.stderr
    write(in_tmp, "pyproject.toml", '[tool.connlint]\nfail-on = "warn"\n')
    assert connlint(cwd=in_tmp).stderr.endswith(
        "tool.connlint.fail-on: expected one of error, warning, note, got 'warn'\n")


# ---- config and cache that another user may have planted (issue 12) ---------------------------------

def test_a_config_others_may_have_written_is_not_used(tmp_path):
    shared = tmp_path / "tmp"
    write(shared, "pyproject.toml", '[tool.connlint]\nignore = ["CL101"]\n')
    shared.chmod(0o1777)  # like /tmp: anybody may put a file here
    write(shared, "project/main.go", CLOSE_GO)
    proc = connlint(".", cwd=shared / "project")
    assert proc.stdout.startswith("main.go:6:2: CL101 ") and proc.returncode == 1
    assert proc.stderr == (f"connlint: warning: {shared / 'pyproject.toml'}: not used as a config file: "
                           f"its folder {shared} is writable by every user\n")
    own = write(shared, "project/connlint.toml", 'ignore = ["CL101"]\n')
    own.chmod(0o666)
    proc = connlint(".", cwd=shared / "project")
    assert proc.stdout.startswith("main.go:6:2: CL101 ")
    assert f"{own}: not used as a config file: it is writable by every user" in proc.stderr
    own.chmod(0o644)
    assert connlint(".", cwd=shared / "project").returncode == 0


@pytest.mark.parametrize("plant", ["folder-link", "db-link", "world-writable", "foreign-owner"])
def test_a_planted_cache_is_not_used(in_tmp, plant):
    write(in_tmp, "main.go", CLOSE_GO)
    outside = in_tmp.parent / f"{in_tmp.name}-outside"
    outside.mkdir()
    cache_dir = in_tmp / ".connlint_cache"
    if plant == "folder-link":
        cache_dir.symlink_to(outside, target_is_directory=True)
        why = "it is a symbolic link"
    else:
        cache_dir.mkdir()
        if plant == "db-link":
            (cache_dir / "cache.sqlite3").symlink_to(outside / "foreign.sqlite3")
            why = "cache.sqlite3 is not a regular file"
        elif plant == "world-writable":
            cache_dir.chmod(0o777)
            why = "it is writable by every user"
        else:
            if os.getuid() != 0:
                pytest.skip("only root can give a folder to another user")
            os.chown(cache_dir, 65534, 65534)
            why = "it belongs to another user"
    proc = connlint(cwd=in_tmp)
    assert proc.stdout.startswith("main.go:6:2: CL101 ") and proc.returncode == 1
    assert proc.stderr.count(f"cache disabled ({cache_dir}): {why}") >= 1
    assert list(outside.iterdir()) == []


def test_a_pathological_gitignore_pattern_is_matched_in_linear_time(in_tmp):
    """`*a*a...*c` against a long name backtracks for minutes with Python's re (pathspec's default)."""
    (in_tmp / ".git").mkdir()
    pattern = "*a" * 16 + "*c"
    write(in_tmp, ".gitignore", pattern + "\n")
    write(in_tmp, "pyproject.toml", f'[tool.connlint]\nextend-exclude = ["{pattern}"]\n'
                                    f'[tool.connlint.per-file-ignores]\n"{pattern}" = ["CL202"]\n')
    write(in_tmp, "a" * 40 + ".go", CLOSE_GO)
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "connlint.cli", "."], cwd=in_tmp, capture_output=True,
                          text=True, timeout=60)
    assert proc.stdout.startswith("a" * 40 + ".go:6:2: CL101 ")


def test_patterns_match_names_that_are_not_utf8():
    from connlint.patterns import gitignore_spec

    spec = gitignore_spec(["gen/*.go", "!gen/keep*.go"])
    undecodable = "gen/a" + b"\xff".decode("utf-8", "surrogateescape") + ".go"
    assert spec.match_file(undecodable) and spec.check_file(undecodable).include is True
    assert spec.check_file("gen/keep\udcff.go").include is False
