"""Engine behaviour: cache, parallel workers, prefilter, fast start."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from connlint import api
from connlint.config import Config
from connlint.reporters import render

from .conftest import FIXTURES, write
from .test_cli import CLOSE_GO, CLOSE_PY, connlint


def _run(root: Path, **kwargs):
    return api.run([str(root)], Config(root=root), **kwargs)


def test_warm_cache_parses_nothing(tmp_path, monkeypatch):
    write(tmp_path, "src/main.go", CLOSE_GO)
    write(tmp_path, "src/app.py", CLOSE_PY)
    cache_dir = tmp_path / ".connlint_cache"
    cold = _run(tmp_path / "src", cache_dir=cache_dir)
    assert (cache_dir / ".gitignore").read_text().endswith("*\n")

    def forbidden(*args, **kwargs):
        raise AssertionError("parsed although cached")

    monkeypatch.setattr(api, "lint_source", forbidden)
    warm = _run(tmp_path / "src", cache_dir=cache_dir)
    assert warm.findings == cold.findings
    assert [f.code for f in warm.findings] == ["CL101", "CL101"]


def test_cache_misses_on_change_and_on_other_rules(tmp_path):
    path = write(tmp_path, "src/main.go", CLOSE_GO)
    cache_dir = tmp_path / "cache"
    assert len(_run(tmp_path / "src", cache_dir=cache_dir).findings) == 1
    path.write_text(CLOSE_GO.replace('"close"', '"keep-alive"'))
    assert _run(tmp_path / "src", cache_dir=cache_dir).findings == []
    path.write_text(CLOSE_GO)
    report = api.run([str(tmp_path / "src")], Config(root=tmp_path, ignore=("CL101",)), cache_dir=cache_dir)
    assert report.findings == []


def _age(*paths: Path, seconds: int = 3600) -> None:
    """Set mtimes in the past: the cache trusts the stamp of a file not modified in the last seconds."""
    for path in paths:
        past = path.stat().st_mtime - seconds
        os.utime(path, (past, past))


def test_warm_run_reads_no_unchanged_file(tmp_path, monkeypatch):
    _age(write(tmp_path, "src/main.go", CLOSE_GO), write(tmp_path, "src/quiet.py", "x = 1\n"),
         write(tmp_path, "src/app.py", CLOSE_PY))
    cache_dir = tmp_path / "cache"
    cold = _run(tmp_path / "src", cache_dir=cache_dir)

    def forbidden(path):
        raise AssertionError(f"read {path} although unchanged")

    monkeypatch.setattr(api, "_read", forbidden)
    warm = _run(tmp_path / "src", cache_dir=cache_dir)
    assert warm.findings == cold.findings and [f.code for f in warm.findings] == ["CL101", "CL101"]
    assert warm.files_checked == 3


def test_same_size_and_mtime_but_rewritten_is_read_again(tmp_path):
    path = write(tmp_path, "src/main.go", CLOSE_GO)
    _age(path)
    before = path.stat()
    cache_dir = tmp_path / "cache"
    assert [f.code for f in _run(tmp_path / "src", cache_dir=cache_dir).findings] == ["CL101"]
    path.write_text(CLOSE_GO.replace('"close"', '"clone"'))  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the old mtime: the ctime still moves
    assert path.stat().st_size == before.st_size
    assert _run(tmp_path / "src", cache_dir=cache_dir).findings == []


def test_recently_modified_file_is_read_again(tmp_path, monkeypatch):
    write(tmp_path, "src/main.go", CLOSE_GO)  # mtime now: within the settle window, its stamp is not kept
    cache_dir = tmp_path / "cache"
    _run(tmp_path / "src", cache_dir=cache_dir)
    reads = []
    real = api._read
    monkeypatch.setattr(api, "_read", lambda p: reads.append(p) or real(p))
    assert [f.code for f in _run(tmp_path / "src", cache_dir=cache_dir).findings] == ["CL101"]
    assert len(reads) == 1


def test_stamps_belong_to_the_run_plan(tmp_path):
    _age(write(tmp_path, "src/main.go", CLOSE_GO))
    cache_dir = tmp_path / "cache"
    assert [f.code for f in _run(tmp_path / "src", cache_dir=cache_dir).findings] == ["CL101"]
    quiet = api.run([str(tmp_path / "src")], Config(root=tmp_path, ignore=("CL101",)), cache_dir=cache_dir)
    assert quiet.findings == []
    assert [f.code for f in _run(tmp_path / "src", cache_dir=cache_dir).findings] == ["CL101"]


def test_concurrent_runs_share_one_cache(tmp_path):
    for i in range(12):
        _age(write(tmp_path, f"src/pkg{i}/main.go", CLOSE_GO if i % 2 else CLOSE_GO.replace('"close"', '"keep-alive"')))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNLINT")}
    command = [sys.executable, "-m", "connlint.cli", "--isolated", "--format", "concise", "--cache-dir", "cache",
               "-j", "2", "src"]
    procs = [subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env) for _ in range(4)]
    outputs = {(p.wait(), *p.communicate()) for p in procs}
    outputs.add(tuple(subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, env=env).__dict__[k]
                      for k in ("returncode", "stdout", "stderr")))
    assert len(outputs) == 1
    code, out, err = outputs.pop()
    assert (code, err) == (1, "") and out.count("CL101") == 6


def test_corrupt_cache_entry_is_a_miss(tmp_path):
    _age(write(tmp_path, "src/main.go", CLOSE_GO))
    cache_dir = tmp_path / "cache"
    cold = _run(tmp_path / "src", cache_dir=cache_dir)
    with sqlite3.connect(cache_dir / "cache.sqlite3") as db:
        assert db.execute("UPDATE results SET blob = '{not json'").rowcount == 1
    assert _run(tmp_path / "src", cache_dir=cache_dir).findings == cold.findings


def test_corrupt_cache_is_set_aside(tmp_path):
    write(tmp_path, "src/main.go", CLOSE_GO)
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    (cache_dir / "cache.sqlite3").write_bytes(b"this is not a database" * 100)
    report = _run(tmp_path / "src", cache_dir=cache_dir)
    assert [f.code for f in report.findings] == ["CL101"]
    assert (cache_dir / "cache.sqlite3.corrupt").exists()
    assert [f.code for f in _run(tmp_path / "src", cache_dir=cache_dir).findings] == ["CL101"]


def test_unwritable_cache_only_warns(tmp_path):
    write(tmp_path, "src/main.go", CLOSE_GO)
    blocker = write(tmp_path, "cache", "a file, not a folder")
    report = _run(tmp_path / "src", cache_dir=blocker / "sub")
    assert [f.code for f in report.findings] == ["CL101"]
    assert any("cache disabled" in n.message for n in report.notices)


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_output_identical_whatever_jobs_and_cache(fmt, tmp_path):
    outputs = set()
    for args in (["-j", "1", "--no-cache"], ["-j", "2", "--no-cache"], ["-j", "2", "--cache-dir", str(tmp_path)],
                 ["-j", "3", "--cache-dir", str(tmp_path)]):
        proc = connlint("--isolated", "--format", fmt, *args, ".", cwd=FIXTURES)
        assert proc.returncode == 1, proc.stderr
        outputs.add(proc.stdout)
    assert len(outputs) == 1


def test_pool_used_for_many_files(tmp_path):
    for i in range(api.POOL_THRESHOLD + 4):
        write(tmp_path, f"pkg{i}/main.go", CLOSE_GO)
    serial = _run(tmp_path, jobs=1)
    parallel = _run(tmp_path, jobs=2)
    assert len(serial.findings) == api.POOL_THRESHOLD + 4
    assert render("json", serial) == render("json", parallel)


def test_big_python_files_parsed_one_at_a_time_same_findings(tmp_path, monkeypatch):
    monkeypatch.setattr(api, "BIG_PYTHON_FILE", 10)  # every file takes the shared lock (forked workers see it)
    for i in range(api.POOL_THRESHOLD + 2):
        write(tmp_path, f"app{i}/views.py", CLOSE_PY + "# padding\n" * 50)
    serial, parallel = _run(tmp_path, jobs=1), _run(tmp_path, jobs=2)
    assert len(serial.findings) == api.POOL_THRESHOLD + 2 and not parallel.errors
    assert render("json", serial) == render("json", parallel)


def test_heap_trimmer_raises_its_limit_after_trimming(monkeypatch):
    trimmer = api._HeapTrimmer()
    if trimmer.trim is None or trimmer.resident() is None:
        pytest.skip("no glibc malloc_trim or /proc here")
    calls = []
    real = trimmer.trim
    trimmer.trim = lambda pad: calls.append(pad) or real(pad)
    trimmer.limit = 0
    trimmer.check()
    assert calls == [0] and trimmer.limit >= api._HeapTrimmer.FLOOR
    trimmer.check()  # under the new limit: no second trim
    assert calls == [0]


def test_prefilter_skips_files_without_tokens(tmp_path, monkeypatch):
    write(tmp_path, "quiet.py", "def f():\n    return 1\n")
    calls = []
    real = api.lint_source
    monkeypatch.setattr(api, "lint_source", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    _run(tmp_path)
    assert calls == []


def test_version_and_help_do_not_import_parsers():
    for args in (["--version"], ["--help"]):
        proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "connlint.cli", *args],
                              capture_output=True, text=True)
        assert proc.returncode == 0
        imported = proc.stderr
        assert "libcst" not in imported and "tree_sitter" not in imported, args
