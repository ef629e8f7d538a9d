"""`connlint sockets`: from the symptom (TIME_WAIT or CLOSE_WAIT sockets piling up) to the code causing it.

Reads Linux's socket tables (`/proc/net/tcp`, `/proc/net/tcp6`) and the kernel settings that govern
TIME_WAIT, counts sockets per TCP state, lists the endpoints holding TIME_WAIT and CLOSE_WAIT, and says
which side closes first, hence whether server or client code is at fault and which rules to run.

The side that closes a TCP connection first keeps its socket in TIME_WAIT for 60 s (fixed in Linux):
- TIME_WAIT on a port this host listens on: the server closes (CL101, CL102, CL201, CL203);
- TIME_WAIT on ephemeral local ports towards one remote ip:port: the client closes (CL202, CL401-CL403).
CLOSE_WAIT is the other half: the peer closed and this host's process has not, which never times out.

Standard library only (psutil would add nothing on Linux and cannot read these tables elsewhere without
root); cli.py imports this module only inside the `sockets` command, so `connlint --version` stays fast.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

from .reporters.common import printable

EXIT_OK, EXIT_EXCEEDED, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130

# include/net/tcp_states.h
STATES = {
    0x01: "ESTABLISHED", 0x02: "SYN_SENT", 0x03: "SYN_RECV", 0x04: "FIN_WAIT1", 0x05: "FIN_WAIT2",
    0x06: "TIME_WAIT", 0x07: "CLOSE", 0x08: "CLOSE_WAIT", 0x09: "LAST_ACK", 0x0A: "LISTEN",
    0x0B: "CLOSING", 0x0C: "NEW_SYN_RECV", 0x0D: "BOUND_INACTIVE",
}
STATE_ORDER = tuple(STATES.values())
MAX_STATE = 0x0F  # 0x0E and 0x0F: states a kernel newer than this table may add; beyond, no state at all
TIME_WAIT_SECONDS = 60  # TCP_TIMEWAIT_LEN: not tunable in Linux
DEFAULT_EPHEMERAL = (32768, 60999)  # Linux's default ip_local_port_range

SERVER_RULES = "CL101,CL102,CL201,CL203"
CLIENT_RULES = "CL202,CL401,CL402,CL403"

_ADDR = {4: re.compile(r"^([0-9A-Fa-f]{8}):([0-9A-Fa-f]{4})$"), 6: re.compile(r"^([0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$")}
_HEX2 = re.compile(r"[0-9A-Fa-f]{2}")
_DECIMAL = re.compile(r"[0-9]+")  # ASCII digits: int() would also take "-1", "+1", "1_0" and "\u0663"
_SLOT = re.compile(r"[0-9]+:")
_SOCKET_LINK = re.compile(r"^socket:\[(\d+)\]$")


class SocketsError(Exception):
    """A fatal problem (no socket table at all, an unreadable --pid): one line, exit 2."""


@dataclass(frozen=True, eq=False)  # identity hashing: a table has many sockets and they key dicts
class Socket:
    family: int  # 4 or 6
    local_addr: str
    local_port: int
    remote_addr: str
    remote_port: int
    state: str
    uid: int
    inode: int  # 0 when no process owns the socket (TIME_WAIT, orphaned FIN_WAIT, request sockets)


@dataclass
class Table:
    sockets: list[Socket]
    malformed: dict[str, int]  # path -> skipped lines
    missing: list[str]  # socket tables that could not be read


@lru_cache(maxsize=65536)
def _host(hexaddr: str) -> str:
    # The kernel prints each 32-bit word of the network-order address as a native-endian integer.
    raw = b"".join(int(hexaddr[i:i + 8], 16).to_bytes(4, sys.byteorder) for i in range(0, len(hexaddr), 8))
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw))
    ip6 = ipaddress.IPv6Address(raw)
    return str(ip6.ipv4_mapped) if ip6.ipv4_mapped else str(ip6)


def _address(text: str, family: int) -> tuple[str, int]:
    match = _ADDR[family].match(text)
    if not match:
        raise ValueError(f"bad address {text!r}")
    return _host(match.group(1)), int(match.group(2), 16)


def parse_line(line: str, family: int) -> Socket:
    """One row of /proc/net/tcp{,6}; ValueError when it is not one."""
    fields = line.split()
    if len(fields) < 10 or not all(pattern.fullmatch(fields[i]) for i, pattern in
                                   ((0, _SLOT), (3, _HEX2), (7, _DECIMAL), (9, _DECIMAL))):
        raise ValueError("not a socket row")
    code = int(fields[3], 16)
    if not 1 <= code <= MAX_STATE:
        raise ValueError(f"no TCP state is numbered {code:#04x}")
    local_addr, local_port = _address(fields[1], family)
    remote_addr, remote_port = _address(fields[2], family)
    state = STATES.get(code, f"STATE_{code:02X}")
    return Socket(family, local_addr, local_port, remote_addr, remote_port, state, int(fields[7]), int(fields[9]))


def read_table(proc_root: Path) -> Table:
    sockets: list[Socket] = []
    malformed: dict[str, int] = {}
    missing: list[str] = []
    for name, family in (("tcp", 4), ("tcp6", 6)):
        path = proc_root / "net" / name
        try:
            data = path.read_bytes()
        except OSError:
            missing.append(str(path))
            continue
        bad = 0
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines()):
            if not line.strip() or (number == 0 and line.split()[0] == "sl"):
                continue
            try:
                sockets.append(parse_line(line, family))
            except ValueError:
                bad += 1
        malformed[str(path)] = bad
    if len(missing) == 2:
        raise SocketsError(f"cannot read {missing[0]} or {missing[1]}: `connlint sockets` needs Linux's /proc")
    return Table(sockets, malformed, missing)


# --- kernel settings ---------------------------------------------------------------------------------


def _natural(v: str) -> int:
    """A setting's value as a non-negative integer; ValueError for anything else."""
    if not _DECIMAL.fullmatch(v):
        raise ValueError(f"not a number: {v!r}")
    return int(v)


def _ports(v: str) -> tuple[int, int, bool]:
    """(low, high, reversed) from an ip_local_port_range value; ValueError unless it is two ports.

    Linux refuses a range written high to low, so one can only come from a copied or faked /proc:
    it is read in order (and said so) rather than giving a negative number of ports.
    """
    parts = v.split()
    if len(parts) != 2:
        raise ValueError(f"not two ports: {v!r}")
    first, second = (_natural(p) for p in parts)
    if not (1 <= first <= 65535 and 1 <= second <= 65535):
        raise ValueError(f"not two ports: {v!r}")
    return min(first, second), max(first, second), first > second


def _fin_timeout(v: str) -> str:
    v = str(_natural(v))
    return (f"an orphaned socket waits {v} s in FIN_WAIT2 for the peer's FIN; it does not shorten TIME_WAIT "
            f"(fixed at {TIME_WAIT_SECONDS} s)")


def _tw_reuse(v: str) -> str:
    return {
        "0": "off: a new outgoing connection never reuses a port still in TIME_WAIT",
        "1": "on: new outgoing connections may reuse a TIME_WAIT port when TCP timestamps make it safe (clients only)",
        "2": "loopback only (the default): outgoing connections to 127.0.0.1/::1 may reuse TIME_WAIT ports",
    }.get(v, "new outgoing connections may reuse TIME_WAIT ports (0 off, 1 on, 2 loopback only)")


def _max_tw(v: str) -> str:
    return (f"at most {_natural(v):,} TIME_WAIT sockets; beyond that the kernel drops them early and logs "
            "'time wait bucket table overflow'")


def _port_range(v: str) -> str:
    lo, hi, flipped = _ports(v)
    n = hi - lo + 1
    order = f" (written high to low: read as {lo}-{hi})" if flipped else ""
    return (f"{n:,} ephemeral ports for outgoing connections{order}: at most {n:,} connections to one remote "
            f"ip:port at once, TIME_WAIT included (about {n // TIME_WAIT_SECONDS:,} new ones per second, sustained)")


def _keepalive(v: str) -> str:
    seconds = _natural(v)
    return (f"an idle connection with SO_KEEPALIVE gets its first TCP probe after {seconds} s "
            f"({seconds / 3600:g} h); unrelated to HTTP keep-alive")


SETTINGS: tuple[tuple[str, str, Callable[[str], str]], ...] = (
    ("tcp_fin_timeout", "sys/net/ipv4/tcp_fin_timeout", _fin_timeout),
    ("tcp_tw_reuse", "sys/net/ipv4/tcp_tw_reuse", _tw_reuse),
    ("tcp_max_tw_buckets", "sys/net/ipv4/tcp_max_tw_buckets", _max_tw),
    ("ip_local_port_range", "sys/net/ipv4/ip_local_port_range", _port_range),
    ("tcp_keepalive_time", "sys/net/ipv4/tcp_keepalive_time", _keepalive),
)


def read_settings(proc_root: Path) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for name, rel, meaning in SETTINGS:
        path = proc_root / rel
        try:
            value = " ".join(path.read_text(encoding="utf-8", errors="replace").split())
        except OSError as exc:
            out[name] = {"value": None, "path": str(path), "meaning": None,
                         "error": "missing" if isinstance(exc, FileNotFoundError) else (exc.strerror or str(exc))}
            continue
        try:
            text = meaning(value)
        except (ValueError, TypeError):
            text = "unexpected value"
        out[name] = {"value": value, "path": str(path), "meaning": text, "error": None}
    return out


def _ephemeral(settings: dict[str, dict]) -> tuple[int, int]:
    try:
        lo, hi, _ = _ports(settings["ip_local_port_range"]["value"])
        return lo, hi
    except (AttributeError, KeyError, ValueError, TypeError):
        return DEFAULT_EPHEMERAL


# --- --pid -----------------------------------------------------------------------------------------


def pid_inodes(proc_root: Path, pid: int) -> set[int]:
    """The socket inodes process PID holds open, from its /proc/PID/fd links."""
    folder = proc_root / str(pid) / "fd"
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        raise SocketsError(f"no process {pid} ({folder} does not exist)") from None
    except PermissionError:
        raise SocketsError(f"cannot read {folder}: permission denied (run as the process's user or root)") from None
    except OSError as exc:
        raise SocketsError(f"cannot read {folder}: {exc.strerror or exc}") from None
    inodes = set()
    for name in names:
        try:
            match = _SOCKET_LINK.match(os.readlink(folder / name))
        except OSError:  # closed meanwhile
            continue
        if match:
            inodes.add(int(match.group(1)))
    return inodes


# --- analysis --------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _is_loopback(addr: str) -> bool:
    return ipaddress.ip_address(addr).is_loopback


def _endpoint(addr: str, port: int | None) -> str:
    host = f"[{addr}]" if ":" in addr else addr
    return f"{host}:{'*' if port is None else port}"


def _roles(sockets: list[Socket], ephemeral: tuple[int, int]) -> dict[Socket, str]:
    """Which end of each connection this host is: "server", "client" or "unknown".

    A port this host listens on makes it the server. Failing that (the listener is gone, or it is another
    namespace's), many sockets sharing one local port mean a server port and many sharing one remote
    ip:port mean a client's destination; then the ephemeral port range decides.
    """
    listening = {s.local_port for s in sockets if s.state == "LISTEN"}
    local_addrs = {s.local_addr for s in sockets}
    conns = [s for s in sockets if s.state != "LISTEN"]
    by_local = Counter(s.local_port for s in conns)
    by_remote = Counter((s.remote_addr, s.remote_port) for s in conns)
    lo, hi = ephemeral
    roles: dict[Socket, str] = {}
    for s in conns:
        nl, nr = by_local[s.local_port], by_remote[(s.remote_addr, s.remote_port)]
        local_eph, remote_eph = lo <= s.local_port <= hi, lo <= s.remote_port <= hi
        remote_here = s.remote_addr in local_addrs or _is_loopback(s.remote_addr)
        if s.local_port in listening:
            role = "server"
        elif s.remote_port in listening and remote_here:
            role = "client"
        elif nl > 1 and nl > nr:
            role = "server"
        elif nr > 1 and nr > nl:
            role = "client"
        elif local_eph and not remote_eph:
            role = "client"
        elif remote_eph and not local_eph:
            role = "server"
        else:
            role = "unknown"
        roles[s] = role
    return roles


def _top(sockets: Iterable[Socket], roles: dict[Socket, str], top: int) -> dict[str, list[dict]]:
    local: Counter = Counter()
    remote: Counter = Counter()
    for s in sockets:
        role = roles.get(s, "unknown")
        # A client's local ports and a server's remote ports are ephemeral: group them by address.
        local[(s.local_addr, None if role == "client" else s.local_port, role)] += 1
        remote[(s.remote_addr, None if role == "server" else s.remote_port, role)] += 1

    def rows(counter: Counter) -> list[dict]:
        ordered = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1] or 0, kv[0][2]))
        return [{"endpoint": _endpoint(a, p), "address": a, "port": p, "role": r, "count": n}
                for (a, p, r), n in ordered[:top]]

    return {"local": rows(local), "remote": rows(remote)}


def _interpret(selected: list[Socket], roles: dict[Socket, str], settings: dict[str, dict],
               ephemeral: tuple[int, int]) -> list[str]:
    lines: list[str] = []
    tw = [s for s in selected if s.state == "TIME_WAIT"]
    cw = [s for s in selected if s.state == "CLOSE_WAIT"]
    span = ephemeral[1] - ephemeral[0] + 1

    server_tw = Counter(s.local_port for s in tw if roles.get(s) == "server")
    for port, n in server_tw.most_common(3):
        lines.append(
            f"{n:,} TIME_WAIT on local port {port}: this server closes connections actively (the side that closes "
            f"first keeps TIME_WAIT for {TIME_WAIT_SECONDS} s); look for {SERVER_RULES.replace(',', '/')} findings "
            f"in its code: `connlint --select {SERVER_RULES} <path>`")
    client_tw = Counter((s.remote_addr, s.remote_port) for s in tw if roles.get(s) == "client")
    for (addr, port), n in client_tw.most_common(3):
        line = (f"{n:,} TIME_WAIT on ephemeral local ports towards {_endpoint(addr, port)}: this host's client "
                f"closes connections instead of reusing them; look for {CLIENT_RULES.replace(',', '/')} findings "
                f"in the client code: `connlint --select {CLIENT_RULES} <path>`")
        if n >= span // 2:
            line += (f"; {n:,} of {span:,} ephemeral ports are taken for this destination (connect() fails with "
                     "EADDRNOTAVAIL when none is left)")
        lines.append(line)
    unknown_tw = sum(1 for s in tw if roles.get(s) == "unknown")
    if unknown_tw:
        lines.append(f"{unknown_tw:,} TIME_WAIT could not be attributed to a server or a client side (no listener "
                     "on either port and no shared endpoint)")

    server_cw = Counter(s.local_port for s in cw if roles.get(s) == "server")
    for port, n in server_cw.most_common(3):
        lines.append(
            f"{n:,} CLOSE_WAIT on local port {port}: clients hung up and this server has not closed its side; "
            "it leaks sockets or its handlers are stuck (CLOSE_WAIT never times out)")
    client_cw = Counter((s.remote_addr, s.remote_port) for s in cw if roles.get(s) != "server")
    for (addr, port), n in client_cw.most_common(3):
        lines.append(
            f"{n:,} CLOSE_WAIT towards {_endpoint(addr, port)}: the server closed connections this process still "
            "holds; a response body or connection never closed, or a pool that keeps dead idle connections")

    fin2 = sum(1 for s in selected if s.state == "FIN_WAIT2")
    if fin2 >= 100:
        lines.append(f"{fin2:,} FIN_WAIT2: this host closed and the peers have not; the peer process leaks "
                     "CLOSE_WAIT (tcp_fin_timeout bounds orphaned ones)")

    try:
        buckets = int(settings["tcp_max_tw_buckets"]["value"])
    except (TypeError, ValueError, KeyError):
        buckets = 0
    if buckets and len(tw) >= 0.8 * buckets:
        lines.append(f"{len(tw):,} TIME_WAIT is near tcp_max_tw_buckets ({buckets:,}): the kernel is about to "
                     "drop TIME_WAIT sockets early")
    if not tw and not cw:
        lines.append("No TIME_WAIT or CLOSE_WAIT sockets: nothing points at connection-closing code.")
    return lines


def snapshot(proc_root: Path, port: int | None = None, pid: int | None = None, top: int = 5,
             max_time_wait: int | None = None) -> dict:
    """Read the tables and settings once; the report as a JSON-able dict."""
    table = read_table(proc_root)
    settings = read_settings(proc_root)
    ephemeral = _ephemeral(settings)
    roles = _roles(table.sockets, ephemeral)
    selected = table.sockets
    notes: list[str] = []
    if pid is not None:
        inodes = pid_inodes(proc_root, pid)
        owned = [s for s in selected if s.inode and s.inode in inodes]
        ports = {s.local_port for s in owned if s.state == "LISTEN"}
        # TIME_WAIT and orphaned sockets belong to no process: count those on the ports PID listens on.
        selected = owned + [s for s in selected if not s.inode and s.local_port in ports and s.state != "LISTEN"]
        notes.append(f"pid {pid}: its sockets, plus sockets no process owns (TIME_WAIT, ...) on the ports it "
                     "listens on; TIME_WAIT left by its outgoing connections cannot be attributed")
    if port is not None:
        selected = [s for s in selected if port in (s.local_port, s.remote_port)]

    states = {name: 0 for name in STATE_ORDER}
    states.update(Counter(s.state for s in selected))
    time_wait = states["TIME_WAIT"]
    by_role = {state: {r: sum(1 for s in selected if s.state == state and roles.get(s, "unknown") == r)
                       for r in ("server", "client", "unknown")}
               for state in ("TIME_WAIT", "CLOSE_WAIT")}
    return {
        "filters": {"port": port, "pid": pid},
        "total": len(selected),
        "by_family": {"ipv4": sum(1 for s in selected if s.family == 4),
                      "ipv6": sum(1 for s in selected if s.family == 6)},
        "states": states,
        "time_wait": time_wait,
        "close_wait": states["CLOSE_WAIT"],
        "by_role": by_role,
        "top": {state: _top((s for s in selected if s.state == state), roles, top)
                for state in ("TIME_WAIT", "CLOSE_WAIT")},
        "kernel": settings,
        "interpretation": _interpret(selected, roles, settings, ephemeral),
        "notes": notes,
        "malformed_lines": sum(table.malformed.values()),
        "malformed": table.malformed,
        "missing": table.missing,
        "max_time_wait": max_time_wait,
        "exceeded": max_time_wait is not None and time_wait > max_time_wait,
    }


# --- output ----------------------------------------------------------------------------------------


def render_text(report: dict) -> str:
    out: list[str] = []
    filters = report["filters"]
    where = ", ".join(f"{k} {v}" for k, v in filters.items() if v is not None)
    fam = report["by_family"]
    out.append(f"TCP sockets{f' ({where})' if where else ''}: {report['total']:,} "
               f"(IPv4 {fam['ipv4']:,}, IPv6 {fam['ipv6']:,})")
    shown = [(k, v) for k, v in report["states"].items() if v]
    width = max((len(k) for k, _ in shown), default=0)
    for name, n in shown:
        out.append(f"  {name:<{width}}  {n:>8,}")
    for state in ("TIME_WAIT", "CLOSE_WAIT"):
        top = report["top"][state]
        if not top["local"]:
            continue
        for side, title in (("local", "local endpoint (this host)"), ("remote", "remote endpoint")):
            out.append("")
            out.append(f"{state} by {title}:")
            for row in top[side]:
                role = {"server": "server side", "client": "client side"}.get(row["role"], "side unknown")
                out.append(f"  {row['count']:>8,}  {row['endpoint']:<45} {role}")
    out.append("")
    out.append("Kernel settings:")
    width = max(len(k) for k in report["kernel"])
    for name, s in report["kernel"].items():  # values and paths escaped: a faked /proc cannot reach the terminal
        if s["value"] is None:
            out.append(f"  {name:<{width}}  {'-':<13} {s['error']}: {printable(s['path'])}")
        else:
            out.append(f"  {name:<{width}}  {printable(s['value']):<13} {printable(s['meaning'])}")
    out.append("")
    out.append("Interpretation:")
    out.extend(f"  {line}" for line in report["interpretation"])
    for note in report["notes"]:
        out.append(f"Note: {note}.")
    if report["malformed_lines"]:
        out.append(f"Skipped {report['malformed_lines']:,} malformed line(s) in the socket tables.")
    for path in report["missing"]:
        out.append(f"Not readable: {printable(path)}.")
    if report["max_time_wait"] is not None:
        verdict = "exceeds" if report["exceeded"] else "within"
        out.append(f"TIME_WAIT {report['time_wait']:,} {verdict} --max-time-wait {report['max_time_wait']:,}.")
    return "\n".join(out) + "\n"


def render(report: dict, fmt: str, stream: bool = False) -> str:
    if fmt == "json":
        return json.dumps(report, separators=(",", ":")) + "\n" if stream else json.dumps(report, indent=2) + "\n"
    return render_text(report)


def run(proc_root: str | os.PathLike = "/proc", port: int | None = None, pid: int | None = None,
        watch: float | None = None, count: int | None = None, fmt: str = "text", max_time_wait: int | None = None,
        top: int = 5, write: Callable[[str], None] | None = None, err: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep) -> int:
    """The command: print one report (or one per --watch interval); the exit status.

    The status says what the tables say (1 only when --max-time-wait is exceeded), whoever stops reading:
    a reader that closes the pipe (`| head -1`) ends the command quietly with the status of the last
    report; standard output closed or failing otherwise is an error (exit 2).
    """
    write = write or _to_stdout
    err = err or _to_stderr
    root = Path(proc_root)
    clear = watch is not None and fmt == "text" and _isatty(sys.stdout)
    try:
        n = 0
        while True:
            try:
                report = snapshot(root, port=port, pid=pid, top=top, max_time_wait=max_time_wait)
            except SocketsError as exc:
                err(f"connlint: error: {printable(str(exc))}\n")
                return EXIT_ERROR
            n += 1
            status = EXIT_EXCEEDED if report["exceeded"] else EXIT_OK
            if watch is None:
                text = render(report, fmt)
            elif fmt == "text":
                stamp = time.strftime("%H:%M:%S")
                text = (("\x1b[H\x1b[2J" if clear else ("\n" if n > 1 else "")) +
                        f"--- {stamp}, every {watch:g} s (Ctrl-C stops) ---\n" + render(report, fmt))
            else:
                text = render(report, fmt, stream=True)
            try:
                write(text)
            except BrokenPipeError:
                return status
            except OSError as exc:
                err(f"connlint: error: cannot write the report: {exc.strerror or exc}\n")
                return EXIT_ERROR
            if watch is None or report["exceeded"] or (count is not None and n >= count):
                return status
            sleep(watch)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def _to_stdout(text: str) -> None:
    """Write and flush; on failure stdout is pointed at the null device, so the flush at exit is silent."""
    stream = sys.stdout
    if stream is None:  # started with standard output closed
        raise OSError(errno.EBADF, "standard output is closed")
    try:
        stream.write(text)
        stream.flush()
    except OSError:
        _discard(stream)
        raise


def _discard(stream) -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, stream.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (a test's capture)
        pass


def _to_stderr(text: str) -> None:
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, AttributeError, ValueError):  # standard error closed too: the status still tells
        pass


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False
