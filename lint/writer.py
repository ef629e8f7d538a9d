"""Writing the files connlint is asked to write: `--fix`, `--add-noqa`, `-o`, `--write-baseline`.

One writer; what the path names decides how:

- a symbolic link is followed to its target (every link of a chain), which is written as below; the link
  stays. A path in /proc (`/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`) is written through, never replaced.
- a regular file is replaced atomically: a temporary `.connlint-<pid>-<random>.tmp` in its folder, fsync,
  rename over it, fsync of the folder. The new file keeps the old one's owner, group, mode and extended
  attributes (ACLs, user.*), except setuid/setgid, which are dropped (as GNU `sed -i` and the kernel on a
  write do: rewritten content is not the program the bits were granted to), and security.* (an SELinux
  label is the folder's to give). Nothing is written (WriteRefused) when the file cannot be replaced
  without changing what else it is: several hard links (replacing would split them), read-only for the
  user running (root included: a file with no write bit), an owner, group or attribute that cannot be
  kept, a folder where no temporary file can be made; nor, given `expected`, when its content is no longer
  `expected` just before the rename (another process changed it since it was read).
- a character device, FIFO or socket is written through: opened without creating or truncating. A FIFO
  nobody reads within FIFO_WAIT seconds and a socket nobody listens on are refused, never waited on.
- a path that does not exist is created with the umask's mode; anything else (folder, block device) is
  refused.

Before its first write into a folder the writer deletes connlint's own stale temporary files there: named
`.connlint-<pid>-<8 characters>.tmp`, a regular file with one link, owned by the user running, older than
STALE_AFTER seconds and whose process is gone (a writer killed with SIGKILL).
"""

from __future__ import annotations

import errno
import os
import re
import socket
import stat
import tempfile
import time

FIFO_WAIT = 5.0  # seconds to wait for a reader to open a FIFO
STALE_AFTER = 600  # seconds: a temporary file older than this whose writer is gone is deleted
MAX_LINKS = 40  # symbolic links followed, as the kernel's limit
TEMP_PREFIX, TEMP_SUFFIX = ".connlint-", ".tmp"
TEMP_NAME = re.compile(r"\.connlint-(\d+)-[a-z0-9_]{8}\.tmp")
SETID = stat.S_ISUID | stat.S_ISGID
_cleaned: set[str] = set()  # folders whose stale temporary files this process has already deleted


class WriteRefused(OSError):
    """The file was left as it was, for the reason given (an OSError: callers report `strerror`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.strerror = reason


def write_file(path: str, data: bytes, *, expected: bytes | None = None) -> None:
    """Write `data` to `path` as the module docstring says; OSError (WriteRefused among them) if not."""
    target, through = _resolve(path)
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        if expected is not None:
            raise WriteRefused("it was removed since connlint read it (run connlint again)") from None
        st = None
    kind = stat.S_IFMT(st.st_mode) if st is not None else None
    if through or kind in (stat.S_IFCHR, stat.S_IFIFO):
        _write_through(target, data, kind == stat.S_IFIFO)
    elif kind == stat.S_IFSOCK:
        _send(target, data)
    elif kind in (stat.S_IFREG, None):
        _replace(target, data, st, expected)
    elif kind == stat.S_IFDIR:
        raise WriteRefused("it is a folder")
    else:
        raise WriteRefused("not a regular file, character device, FIFO or socket")


def _resolve(path: str) -> tuple[str, bool]:
    """The path after every symbolic link, and whether it lies in /proc (a file descriptor's magic link,
    whose target is no real path: it is opened as named instead)."""
    current = os.path.abspath(path)
    for _ in range(MAX_LINKS):
        current = os.path.join(os.path.realpath(os.path.dirname(current)), os.path.basename(current))
        if current.startswith("/proc/"):
            return current, True
        try:
            link = os.readlink(current)
        except OSError:  # not a link, or not there
            return current, False
        current = os.path.join(os.path.dirname(current), link)
    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP))


def _write_through(target: str, data: bytes, fifo: bool) -> None:
    flags = os.O_WRONLY | os.O_APPEND | os.O_NOCTTY | os.O_NONBLOCK
    deadline = time.monotonic() + FIFO_WAIT
    while True:
        try:
            fd = os.open(target, flags)
            break
        except OSError as exc:
            if exc.errno != errno.ENXIO or not fifo:
                raise
            if time.monotonic() >= deadline:
                raise WriteRefused(f"nothing read the FIFO within {FIFO_WAIT:g} s") from None
            time.sleep(0.05)
    try:
        os.set_blocking(fd, True)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _send(target: str, data: bytes) -> None:
    for kind in (socket.SOCK_STREAM, socket.SOCK_SEQPACKET, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_UNIX, kind) as sock:
            sock.settimeout(FIFO_WAIT)
            try:
                sock.connect(target)
            except OSError as exc:
                if exc.errno == errno.EPROTOTYPE:
                    continue
                raise WriteRefused(f"nothing listens on the socket ({exc.strerror or exc})") from None
            sock.sendall(data)
            return
    raise WriteRefused("a socket of a type connlint cannot write to")


def _replace(target: str, data: bytes, st: os.stat_result | None, expected: bytes | None) -> None:
    if st is not None:
        _check_replaceable(target, st)
    folder = os.path.dirname(target)
    _clean_stale(folder)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=TEMP_SUFFIX, dir=folder)
    except PermissionError as exc:
        raise WriteRefused(f"its folder is not writable ({exc.strerror}): replacing a file atomically "
                           f"needs a temporary file beside it") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            if st is not None:
                _keep_owner(fh.fileno(), st)
            os.fchmod(fh.fileno(), _mode(st))
            if st is not None:
                _keep_attributes(target, fh.fileno())
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if expected is not None and _content(target) != expected:
            raise WriteRefused("it changed since connlint read it (run connlint again)")
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _sync_folder(folder)


def _check_replaceable(target: str, st: os.stat_result) -> None:
    if st.st_nlink > 1:
        raise WriteRefused(f"it has {st.st_nlink} hard links, which replacing it would split")
    if os.geteuid() == 0:
        writable = bool(st.st_mode & 0o222)
    else:
        writable = os.access(target, os.W_OK, effective_ids=os.access in os.supports_effective_ids)
    if not writable:
        raise WriteRefused("it is read-only")


def _keep_owner(fd: int, st: os.stat_result) -> None:
    now = os.fstat(fd)
    if (now.st_uid, now.st_gid) == (st.st_uid, st.st_gid):
        return
    try:
        os.fchown(fd, st.st_uid if now.st_uid != st.st_uid else -1, st.st_gid if now.st_gid != st.st_gid else -1)
    except PermissionError:
        raise WriteRefused(f"its owner and group ({st.st_uid}:{st.st_gid}) could not be kept") from None


def _keep_attributes(target: str, fd: int) -> None:
    """Extended attributes (POSIX ACLs, user.*), except security.* (an SELinux label is the folder's to give)."""
    try:
        names = os.listxattr(target)
    except (AttributeError, OSError):  # not Linux, or a file system without them
        return
    for name in names:
        if name.startswith("security."):
            continue
        try:
            os.setxattr(fd, name, os.getxattr(target, name))
        except OSError as exc:
            raise WriteRefused(f"its extended attribute {name} could not be kept ({exc.strerror})") from None


def _mode(st: os.stat_result | None) -> int:
    if st is not None:
        return stat.S_IMODE(st.st_mode) & ~SETID
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _content(target: str) -> bytes | None:
    """The file's bytes now, read without blocking (None if it is gone or no longer a regular file)."""
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        return fh.read() if stat.S_ISREG(os.fstat(fd).st_mode) else None


def _sync_folder(folder: str) -> None:
    """Make the rename durable; a file system that cannot fsync a folder is left to its own devices."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _clean_stale(folder: str) -> None:
    """Delete connlint's temporary files left in `folder` by writers that were killed (once per process)."""
    if folder in _cleaned:
        return
    _cleaned.add(folder)
    try:
        with os.scandir(folder) as entries:
            names = [e.name for e in entries if TEMP_NAME.fullmatch(e.name)]
    except OSError:
        return
    now = time.time()
    for name in names:
        path = os.path.join(folder, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if (stat.S_ISREG(st.st_mode) and st.st_nlink == 1 and st.st_uid == os.geteuid()
                and now - st.st_mtime > STALE_AFTER and not _alive(int(TEMP_NAME.fullmatch(name).group(1)))):
            try:
                os.unlink(path)
            except OSError:
                pass


def _alive(pid: int) -> bool:
    if pid <= 0:
        return True  # not a process id connlint writes: leave the file alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process
    return True
