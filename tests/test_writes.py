"""What connlint writes (`-o`, `--write-baseline`, `--fix`, `--add-noqa`) and where: devices, FIFOs and
sockets written through, symbolic links followed, a replaced file keeping what it was, races and refusals
reported, stale temporary files cleaned. Device tests use nodes made in the test folder (the same kind as
/dev/null and /dev/stdout), never the real ones."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from connlint import api, fixes
from connlint.config import Config

from .conftest import write
from .test_cli import CLOSE_GO, connlint

FIXED_GO = CLOSE_GO.replace('\tw.Header().Set("Connection", "close")\n', "")
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (chown, mknod, setuid)")


def report_lines(data: bytes) -> list[str]:
    return [line for line in data.decode().splitlines() if line.startswith("main.go:")]


# ---- -o and --write-baseline: what the path names ------------------------------------------

@root_only
@pytest.mark.parametrize("option", ["-o", "--write-baseline"])
def test_a_character_device_is_written_through(in_tmp, option):
    write(in_tmp, "main.go", CLOSE_GO)
    null = in_tmp / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # /dev/null's numbers
    proc = connlint(option, str(null), "main.go", cwd=in_tmp)
    assert proc.returncode in (0, 1), proc.stderr
    st = os.lstat(null)
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3)
    assert not [p for p in in_tmp.iterdir() if p.name.startswith(".connlint-")]


def test_a_link_to_a_file_descriptor_is_written_through(in_tmp):
    """/dev/stdout is a link to /proc/self/fd/1: its target is no path to replace."""
    write(in_tmp, "main.go", CLOSE_GO)
    (in_tmp / "stdout").symlink_to("/proc/self/fd/1")
    proc = connlint("-o", "stdout", "main.go", cwd=in_tmp)
    assert proc.returncode == 1, proc.stderr
    assert report_lines(proc.stdout.encode())[0].startswith("main.go:6:2: CL101 ")
    assert os.readlink(in_tmp / "stdout") == "/proc/self/fd/1"


def test_a_fifo_is_written_through(in_tmp):
    write(in_tmp, "main.go", CLOSE_GO)
    fifo = in_tmp / "report.fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    proc = connlint("-o", str(fifo), "main.go", cwd=in_tmp)
    reader.join(20)
    assert proc.returncode == 1, proc.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert received and report_lines(received[0])[0].startswith("main.go:6:2: CL101 ")


def test_a_fifo_nobody_reads_is_refused_not_waited_on(in_tmp):
    write(in_tmp, "main.go", CLOSE_GO)
    fifo = in_tmp / "report.fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    proc = connlint("-o", str(fifo), "main.go", cwd=in_tmp)
    assert time.monotonic() - started < 30
    assert proc.returncode == 2
    assert proc.stderr.endswith(f"connlint: error: {fifo}: cannot write: nothing read the FIFO within 5 s\n")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_unix_socket_is_written_through(in_tmp):
    write(in_tmp, "main.go", CLOSE_GO)
    path = in_tmp / "report.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    server.settimeout(20)
    received = []

    def serve():
        conn, _ = server.accept()
        with conn:
            received.append(b"".join(iter(lambda: conn.recv(65536), b"")))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    proc = connlint("-o", str(path), "main.go", cwd=in_tmp)
    thread.join(20)
    server.close()
    assert proc.returncode == 1, proc.stderr
    assert stat.S_ISSOCK(os.lstat(path).st_mode)
    assert received and report_lines(received[0])[0].startswith("main.go:6:2: CL101 ")


@pytest.mark.parametrize("option", ["-o", "--write-baseline"])
def test_a_symbolic_link_is_followed_and_its_target_replaced(in_tmp, option):
    write(in_tmp, "main.go", CLOSE_GO)
    target = write(in_tmp, "reports/latest.txt", "old\n")
    target.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(target, 1000, 1000)
    (in_tmp / "link.txt").symlink_to("reports/latest.txt")
    (in_tmp / "chain.txt").symlink_to("link.txt")
    (in_tmp / "dangling.txt").symlink_to("reports/new.txt")
    for name in ("chain.txt", "dangling.txt"):
        proc = connlint(option, name, "main.go", cwd=in_tmp)
        assert proc.returncode in (0, 1), proc.stderr
    assert os.readlink(in_tmp / "chain.txt") == "link.txt" and os.readlink(in_tmp / "link.txt") == "reports/latest.txt"
    assert os.readlink(in_tmp / "dangling.txt") == "reports/new.txt"
    assert target.read_text() != "old\n" and target.read_text() == (in_tmp / "reports/new.txt").read_text()
    assert "CL101" in target.read_text()
    st = target.stat()
    assert stat.S_IMODE(st.st_mode) == 0o640
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (1000, 1000)
    assert not [p for p in (in_tmp / "reports").iterdir() if p.name.startswith(".connlint-")]


# ---- --fix: the file, once, as it was --------------------------------------------------------

def test_fix_through_a_symbolic_link_in_the_tree_fixes_the_target_once(in_tmp):
    real = write(in_tmp, "svc/real.go", CLOSE_GO)
    link = in_tmp / "svc" / "a_link.go"  # walked before its target
    link.symlink_to("real.go")
    listed = connlint("--format", "json", ".", cwd=in_tmp)
    assert [d["path"] for d in json.loads(listed.stdout)] == ["svc/real.go"]
    proc = connlint("--fix", "--show-fixes", ".", cwd=in_tmp)
    assert proc.returncode == 0, proc.stderr
    assert os.readlink(link) == "real.go"
    assert real.read_text() == FIXED_GO
    assert "fixed: svc/real.go:6:2: CL101 " in proc.stderr
    assert "connlint: fixed 1 problem(s) in 1 file(s)" in proc.stderr


def test_fix_skips_a_file_changed_during_the_run(in_tmp, monkeypatch):
    path = write(in_tmp, "main.go", CLOSE_GO)
    edited = CLOSE_GO + "// saved in an editor meanwhile\n"
    real_fix_source = fixes.fix_source

    def racing(*args, **kwargs):
        outcome = real_fix_source(*args, **kwargs)
        path.write_text(edited)  # between reading the file for fixing and replacing it
        return outcome

    monkeypatch.setattr(fixes, "fix_source", racing)
    report = api.run([str(path)], Config(root=in_tmp), fix="apply")
    assert path.read_text() == edited
    assert report.errors == ["main.go: cannot write the fixed file: it changed since connlint read it "
                             "(run connlint again)"]
    assert report.fixes == []
    assert [(f.code, f.line) for f in report.findings] == [("CL101", 6)]


def test_fix_does_not_bring_back_a_file_removed_during_the_run(in_tmp, monkeypatch):
    path = write(in_tmp, "main.go", CLOSE_GO)
    real_fix_source = fixes.fix_source

    def racing(*args, **kwargs):
        outcome = real_fix_source(*args, **kwargs)
        path.unlink()
        return outcome

    monkeypatch.setattr(fixes, "fix_source", racing)
    report = api.run([str(path)], Config(root=in_tmp), fix="apply")
    assert not path.exists()
    assert report.errors == ["main.go: cannot write the fixed file: it was removed since connlint read it "
                             "(run connlint again)"]


def test_add_noqa_skips_a_file_changed_during_the_run(in_tmp, monkeypatch):
    path = write(in_tmp, "main.go", CLOSE_GO)
    edited = CLOSE_GO + "// saved in an editor meanwhile\n"
    real_parse_errors = api._parse_errors

    def racing(language, data):
        path.write_text(edited)
        return real_parse_errors(language, data)

    from connlint import adoption

    report = api.run([str(path)], Config(root=in_tmp))
    monkeypatch.setattr(api, "_parse_errors", racing)
    assert adoption.add_noqa(report) == 0
    assert path.read_text() == edited
    assert report.errors == ["main.go: cannot write: it changed since connlint read it (run connlint again)"]


@root_only
def test_fix_keeps_owner_and_group_and_drops_setuid(in_tmp):
    path = write(in_tmp, "main.go", CLOSE_GO)
    os.chown(path, 1000, 1001)
    path.chmod(0o6755)
    proc = connlint("--fix", "main.go", cwd=in_tmp)
    assert proc.returncode == 0, proc.stderr
    st = path.stat()
    assert path.read_text() == FIXED_GO
    assert (st.st_uid, st.st_gid) == (1000, 1001)
    assert stat.S_IMODE(st.st_mode) == 0o755


def test_fix_keeps_extended_attributes(in_tmp):
    path = write(in_tmp, "main.go", CLOSE_GO)
    try:
        os.setxattr(path, "user.origin", b"vendored from x")
    except OSError:
        pytest.skip("no user extended attributes on this file system")
    proc = connlint("--fix", "main.go", cwd=in_tmp)
    assert proc.returncode == 0, proc.stderr
    assert path.read_text() == FIXED_GO
    assert os.getxattr(path, "user.origin") == b"vendored from x"


def refused(in_tmp, proc, reason):
    assert proc.returncode == 2
    assert f"connlint: error: main.go: cannot write the fixed file: {reason}" in proc.stderr
    assert "connlint: fixed 0 problem(s) in 0 file(s)" in proc.stderr
    assert "fixed: " not in proc.stderr  # --show-fixes lists only fixes written
    assert proc.stdout.startswith("main.go:6:2: CL101 ")  # still reported: not fixed
    assert not [p for p in in_tmp.iterdir() if p.name.startswith(".connlint-")]


def test_fix_refuses_a_file_with_hard_links(in_tmp, tmp_path_factory):
    path = write(in_tmp, "main.go", CLOSE_GO)
    other = tmp_path_factory.mktemp("elsewhere") / "main.go"
    os.link(path, other)
    proc = connlint("--fix", "--show-fixes", "main.go", cwd=in_tmp)
    refused(in_tmp, proc, "it has 2 hard links, which replacing it would split")
    assert path.read_text() == CLOSE_GO and os.path.samefile(path, other)


def test_fix_refuses_a_read_only_file(in_tmp):
    """Even as root, who may write anything: a file without write bits is read-only for connlint."""
    path = write(in_tmp, "main.go", CLOSE_GO)
    path.chmod(0o444)
    proc = connlint("--fix", "--show-fixes", "main.go", cwd=in_tmp)
    refused(in_tmp, proc, "it is read-only")
    assert path.read_text() == CLOSE_GO


# ---- as an unprivileged user ----------------------------------------------------------------

NOBODY = 65534


@pytest.fixture
def shared_tmp():
    """A folder any user can enter (pytest's tmp_path is root's alone)."""
    folder = tempfile.mkdtemp(prefix="connlint-writes-", dir="/tmp")
    os.chmod(folder, 0o777)
    yield folder
    shutil.rmtree(folder)


def fix_as_nobody(path: str) -> list[str]:
    """`api.run(fix="apply")` on `path` in a forked child running as uid/gid 65534; returns report.errors."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            report = api.run([path], Config(root=os.path.dirname(path)), fix="apply")
            os.write(write_end, json.dumps(report.errors).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as fh:
        out = fh.read()
    os.waitpid(pid, 0)
    return json.loads(out)


@root_only
@pytest.mark.parametrize("owner,mode,locked,error", [
    (NOBODY, 0o444, False, "it is read-only"),  # in a folder it may write to: replacing would work
    (0, 0o666, False, "its owner and group (0:0) could not be kept"),  # replacing would make it nobody's
    (NOBODY, 0o644, True, "its folder is not writable (Permission denied): replacing a file atomically "
                          "needs a temporary file beside it"),
    (NOBODY, 0o640, False, None),  # its own file: fixed, mode kept
], ids=["read-only", "another-users", "folder-not-writable", "own"])
def test_unprivileged_fix(shared_tmp, owner, mode, locked, error):
    folder = Path(shared_tmp) / ("locked" if locked else "open")
    folder.mkdir()
    folder.chmod(0o755 if locked else 0o777)
    path = write(folder, "main.go", CLOSE_GO)
    os.chown(path, owner, owner)
    path.chmod(mode)
    errors = fix_as_nobody(str(path))
    if error is None:
        assert errors == [] and path.read_text() == FIXED_GO
    else:
        assert [e.split(": ", 1)[1] for e in errors] == [f"cannot write the fixed file: {error}"]
        assert path.read_text() == CLOSE_GO
    st = path.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (owner, owner, mode)


# ---- stale temporary files ------------------------------------------------------------------

def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_stale_temporary_files_of_dead_writers_are_cleaned_where_connlint_writes(in_tmp):
    write(in_tmp, "svc/main.go", CLOSE_GO)
    write(in_tmp, "other/keep.txt", "")
    dead, hour_ago = dead_pid(), time.time() - 3600
    names = {
        f".connlint-{dead}-abcdefgh.tmp": True,  # old, its writer gone: deleted
        f".connlint-{dead}-ijklmnop.tmp": False,  # its writer gone but young
        f".connlint-{os.getpid()}-qrstuvwx.tmp": False,  # old but its writer alive
        ".connlint-abcdefgh.tmp": False,  # not a name connlint gives (no process id)
        f".connlint-{dead}-abcdefgh.tmp.bak": False,
    }
    for name in names:
        write(in_tmp, f"svc/{name}", "partial")
        if name != f".connlint-{dead}-ijklmnop.tmp":
            os.utime(in_tmp / "svc" / name, (hour_ago, hour_ago))
    (in_tmp / "svc" / f".connlint-{dead}-symlink1.tmp").symlink_to("main.go")  # not a regular file
    write(in_tmp, f"other/.connlint-{dead}-abcdefgh.tmp", "partial")  # a folder connlint does not write to
    os.utime(in_tmp / "other" / f".connlint-{dead}-abcdefgh.tmp", (hour_ago, hour_ago))
    proc = connlint("--fix", "svc/main.go", cwd=in_tmp)
    assert proc.returncode == 0, proc.stderr
    left = {p.name for p in (in_tmp / "svc").iterdir()}
    assert left == {"main.go", f".connlint-{dead}-symlink1.tmp"} | {n for n, gone in names.items() if not gone}
    assert (in_tmp / "other" / f".connlint-{dead}-abcdefgh.tmp").exists()


def test_a_fix_killed_with_sigkill_leaves_a_temporary_file_the_next_run_deletes(in_tmp):
    write(in_tmp, "a/main.go", CLOSE_GO)
    write(in_tmp, "b/main.go", CLOSE_GO)
    ready = in_tmp / "ready"
    script = (f"import os, sys, time\n"
              f"os.replace = lambda *a, **k: (open({str(ready)!r}, 'w').close(), time.sleep(60))\n"
              f"from connlint import cli\nsys.argv = ['connlint', '--fix', 'a/main.go']\ncli.entry()\n")
    child = subprocess.Popen([sys.executable, "-c", script], cwd=in_tmp, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    left = [p for p in (in_tmp / "a").iterdir() if p.name.startswith(".connlint-")]
    assert [p.name for p in left] == [f".connlint-{child.pid}-{left[0].name[-12:-4]}.tmp"]
    old = time.time() - 3600
    os.utime(left[0], (old, old))
    assert connlint("--fix", "b/main.go", cwd=in_tmp).returncode == 0
    assert left[0].exists()  # only folders connlint writes to are cleaned
    assert connlint("--fix", "a/main.go", cwd=in_tmp).returncode == 0
    assert sorted(p.name for p in (in_tmp / "a").iterdir()) == ["main.go"]
    assert (in_tmp / "a/main.go").read_text() == FIXED_GO
