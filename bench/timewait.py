"""What a connection-closing finding costs, measured: the same tiny HTTP app served with and without the
anti-pattern, driven by one keep-alive client, on loopback.

For each server and variant: requests/s, TCP connections the client had to open, TIME_WAIT sockets left
on the server's port (counted with `connlint sockets --format json --port P`, split into the server's and
the client's side), and p50/p99 latency. Prints a markdown table and writes a PNG plot.

    python bench/timewait.py [--requests 2000] [--repeat 3] [--only http.server,uvicorn,gunicorn]
                             [--plot docs/timewait.png]

Needs nothing for http.server; uvicorn and gunicorn rows run when they are installed
(`pip install -e '.[bench]'` also brings matplotlib). Everything binds 127.0.0.1, every server is a child
process killed at the end, and each variant stops after --timeout seconds whatever happens.
Note that TIME_WAIT sockets live 60 s: run it again within a minute and use fresh ports (it does).
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
HOST = "127.0.0.1"  # loopback only, always
BODY = b"ok\n" * 20


# --- the apps (served by the child processes) --------------------------------------------------------


class KeepAliveHandler(BaseHTTPRequestHandler):
    """Fixed: HTTP/1.1, Content-Length, no Connection header: the connection is reused.

    http.server writes the headers and the body in two send()s; on a kept-alive connection Nagle's
    algorithm then holds the body until the client's delayed ACK (~40 ms). TCP_NODELAY avoids that.
    """

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    close = False

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(BODY)))
        if self.close:
            self.send_header("Connection", "close")  # the anti-pattern (CL101)
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args) -> None:
        pass


class NagleHandler(KeepAliveHandler):
    disable_nagle_algorithm = False  # http.server's default


class CloseHandler(KeepAliveHandler):
    close = True


class Http10Handler(KeepAliveHandler):
    protocol_version = "HTTP/1.0"  # http.server's default: one request per connection (CL203)


async def _asgi(scope, receive, send, close: bool) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(BODY)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})


async def asgi_ok(scope, receive, send) -> None:
    await _asgi(scope, receive, send, close=False)


async def asgi_close(scope, receive, send) -> None:
    await _asgi(scope, receive, send, close=True)


def _wsgi(start_response, close: bool) -> list[bytes]:
    headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))]
    if close:
        headers.append(("Connection", "close"))
    start_response("200 OK", headers)
    return [BODY]


def wsgi_ok(environ, start_response):
    return _wsgi(start_response, close=False)


def wsgi_close(environ, start_response):
    return _wsgi(start_response, close=True)


# --- the variants -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    server: str  # the --only name
    label: str
    change: str  # what the variant does
    asks_close: bool  # does the app send `Connection: close`?
    command: tuple[str, ...]  # {port} is replaced
    max_requests: int | None = None  # for a variant too slow to run --requests times


PY = sys.executable
VARIANTS = (
    Variant("http.server", "http.server (ThreadingHTTPServer)", "fixed: HTTP/1.1, TCP_NODELAY, no Connection header",
            False, (PY, __file__, "--serve", "keepalive", "--port", "{port}")),
    Variant("http.server", "http.server (ThreadingHTTPServer)",
            "HTTP/1.1 but Nagle left on (headers and body in two writes)",
            False, (PY, __file__, "--serve", "nagle", "--port", "{port}"), max_requests=200),
    Variant("http.server", "http.server (ThreadingHTTPServer)", "handler sends `Connection: close` (CL101)",
            True, (PY, __file__, "--serve", "close", "--port", "{port}")),
    Variant("http.server", "http.server (ThreadingHTTPServer)", "default HTTP/1.0 handler (CL203)",
            False, (PY, __file__, "--serve", "http10", "--port", "{port}")),
    Variant("uvicorn", "uvicorn", "fixed: no Connection header",
            False, (PY, "-m", "uvicorn", "--app-dir", str(HERE), "timewait:asgi_ok", "--host", HOST,
                    "--port", "{port}", "--log-level", "warning", "--no-access-log")),
    Variant("uvicorn", "uvicorn", "app sends `Connection: close` (CL101)",
            True, (PY, "-m", "uvicorn", "--app-dir", str(HERE), "timewait:asgi_close", "--host", HOST,
                   "--port", "{port}", "--log-level", "warning", "--no-access-log")),
    Variant("gunicorn", "gunicorn (gthread worker)", "fixed: no Connection header",
            False, (PY, "-m", "gunicorn", "--chdir", str(HERE), "-b", f"{HOST}:{{port}}", "-w", "1",
                    "-k", "gthread", "--threads", "4", "--keep-alive", "5", "--log-level", "warning",
                    "timewait:wsgi_ok")),
    Variant("gunicorn", "gunicorn (gthread worker)", "app sends `Connection: close` (CL101)",
            True, (PY, "-m", "gunicorn", "--chdir", str(HERE), "-b", f"{HOST}:{{port}}", "-w", "1",
                   "-k", "gthread", "--threads", "4", "--keep-alive", "5", "--log-level", "warning",
                   "timewait:wsgi_close")),
    Variant("gunicorn", "gunicorn (sync worker, the default)", "fixed app, but the sync worker never keeps alive",
            False, (PY, "-m", "gunicorn", "--chdir", str(HERE), "-b", f"{HOST}:{{port}}", "-w", "1",
                   "--log-level", "warning", "timewait:wsgi_ok")),
)


@dataclass
class Result:
    variant: Variant
    requests: int = 0
    seconds: float = 0.0
    connections: int = 0
    close_header_seen: int = 0  # responses that reached the client with `Connection: close`
    latencies: list[float] = field(default_factory=list)
    tw_server: int = 0
    tw_client: int = 0
    error: str | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def honours(self) -> str:
        """For a variant whose app asks for a close: did the server close?"""
        if not self.variant.asks_close:
            return "-"
        if self.connections > self.requests // 2:
            return "yes: closes every connection"
        return "no: drops the header, keeps alive" if not self.close_header_seen else "no: sends it, keeps alive"


# --- measuring ------------------------------------------------------------------------------------------


class CountingConnection(http.client.HTTPConnection):
    """http.client's keep-alive connection, reused; it reconnects by itself after a server's close."""

    opened = 0

    def connect(self) -> None:
        super().connect()
        self.opened += 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode}")
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start listening")


def time_wait(port: int) -> tuple[int, int]:
    """TIME_WAIT on the port, (server side, client side), as `connlint sockets` counts them."""
    out = subprocess.run([PY, "-m", "connlint.cli", "sockets", "--format", "json", "--port", str(port)],
                         capture_output=True, text=True, timeout=60, cwd=REPO)
    if out.returncode != 0:
        raise RuntimeError(f"connlint sockets failed: {out.stderr.strip()}")
    roles = json.loads(out.stdout)["by_role"]["TIME_WAIT"]
    return roles["server"], roles["client"] + roles["unknown"]


def drive(result: Result, port: int, n: int, deadline: float) -> None:
    conn = CountingConnection(HOST, port, timeout=5)
    start = time.perf_counter()
    try:
        for _ in range(n):
            if time.monotonic() > deadline:
                result.error = f"stopped after {result.requests} requests (--timeout)"
                break
            t0 = time.perf_counter()
            for attempt in (1, 2):
                try:
                    conn.request("GET", "/")
                    response = conn.getresponse()
                    response.read()
                    break
                except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                    conn.close()  # the server closed an idle keep-alive connection: reconnect once
                    if attempt == 2:
                        raise
            result.latencies.append(time.perf_counter() - t0)
            result.requests += 1
            if (response.getheader("Connection") or "").lower() == "close":
                result.close_header_seen += 1
    finally:
        result.seconds = time.perf_counter() - start
        result.connections = conn.opened
        conn.close()


def measure(variant: Variant, n: int, timeout: float) -> Result:
    result = Result(variant)
    port = free_port()
    command = [part.replace("{port}", str(port)) for part in variant.command]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.monotonic() + timeout
    try:
        wait_listening(port, proc, timeout=min(20.0, timeout))
        time.sleep(0.3)  # the readiness probe's own close settles into TIME_WAIT: the baseline counts it
        before = time_wait(port)
        drive(result, port, min(n, variant.max_requests or n), deadline)
        time.sleep(0.5)  # let the last FIN/ACKs land
        after = time_wait(port)
        result.tw_server, result.tw_client = (max(0, a - b) for a, b in zip(after, before))
    except Exception as exc:  # report the row as failed, go on with the others
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=5)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        if result.error and proc.stderr:
            tail = proc.stderr.read().decode("utf-8", "replace").strip().splitlines()[-3:]
            if tail:
                result.error += " | " + " / ".join(tail)
        if proc.stderr:
            proc.stderr.close()
    return result


# --- reporting ------------------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for name in ("uvicorn", "gunicorn", "h11", "httptools"):
        if importlib.util.find_spec(name):
            from importlib.metadata import version

            versions.append(f"{name} {version(name)}")
    return (f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}" + (f", {', '.join(versions)}" if versions else ""))


def table(results: list[Result]) -> str:
    lines = [
        "| Server | Variant | Honours `Connection: close`? | Requests/s | TCP connections | "
        "TIME_WAIT left (server + client side) | p50 ms | p99 ms |",
        "|---|---|---|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        if r.error and not r.requests:
            lines.append(f"| {r.variant.label} | {r.variant.change} | failed: {r.error} | | | | | |")
            continue
        tw = f"{r.tw_server + r.tw_client:,} ({r.tw_server:,} + {r.tw_client:,})"
        change = r.variant.change + (f" ({r.requests:,} requests)" if r.variant.max_requests else "")
        lines.append(f"| {r.variant.label} | {change} | {r.honours} | {r.rps:,.0f} | "
                     f"{r.connections:,} | {tw} | {r.pct(0.50):.2f} | {r.pct(0.99):.2f} |")
    return "\n".join(lines) + "\n"


def plot(results: list[Result], path: Path, n: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in results if r.requests]
    labels = [f"{r.variant.label.split(' (')[0]}{' sync' if 'sync' in r.variant.label else ''}: "
              f"{r.variant.change.split(' (')[0].replace('`', '')}"
              f"{f' ({r.requests:,} requests)' if r.variant.max_requests else ''}" for r in rows]
    colors = ["#c0392b" if r.connections > r.requests // 2 else "#e67e22" if r.pct(0.5) > 10 else "#27ae60"
              for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 0.55 * len(rows) + 1.6), sharey=True)
    y = list(range(len(rows)))[::-1]
    ax1.barh(y, [r.tw_server + r.tw_client for r in rows], color=colors)
    ax1.set_yticks(y, labels, fontsize=8)
    ax1.set_xlabel(f"TIME_WAIT sockets left after {n:,} requests")
    ax2.barh(y, [r.rps for r in rows], color=colors)
    ax2.set_xlabel("requests/s (one keep-alive client)")
    for ax, values, fmt in ((ax1, [r.tw_server + r.tw_client for r in rows], "{:,.0f}"),
                            (ax2, [r.rps for r in rows], "{:,.0f}")):
        for yi, v in zip(y, values):
            ax.text(v, yi, " " + fmt.format(v), va="center", fontsize=7)
        ax.margins(x=0.18)
    fig.suptitle("Connection: close costs a TCP connection and a 60 s TIME_WAIT socket per request "
                 "(red: closes every connection; orange: kept alive but stalled)", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- entry points ---------------------------------------------------------------------------------------


def serve(kind: str, port: int) -> None:
    handler = {"keepalive": KeepAliveHandler, "nagle": NagleHandler, "close": CloseHandler,
               "http10": Http10Handler}[kind]
    with ThreadingHTTPServer((HOST, port), handler) as server:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        server.serve_forever()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per variant (default 2,000)")
    parser.add_argument("--only", default="", help="comma-separated servers: http.server,uvicorn,gunicorn")
    parser.add_argument("--repeat", type=int, default=3, help="runs per variant; the median is shown (default 3)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per run at most (default 120)")
    parser.add_argument("--plot", default=str(REPO / "docs" / "timewait.png"), help="PNG to write ('' for none)")
    parser.add_argument("--serve", choices=["keepalive", "nagle", "close", "http10"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return 0
    if not Path("/proc/net/tcp").exists():
        print("timewait.py: needs Linux (/proc/net/tcp) to count TIME_WAIT sockets", file=sys.stderr)
        return 2

    wanted = {s.strip() for s in args.only.split(",") if s.strip()}
    variants = []
    for variant in VARIANTS:
        if wanted and variant.server not in wanted:
            continue
        if variant.server != "http.server" and not importlib.util.find_spec(variant.server):
            print(f"skipped {variant.label}: {variant.server} is not installed", file=sys.stderr)
            continue
        variants.append(variant)
    # Rounds interleave the variants so that background load hits them alike; each row is its median run.
    runs: dict[Variant, list[Result]] = {v: [] for v in variants}
    for round_ in range(1, args.repeat + 1):
        for variant in variants:
            print(f"round {round_}/{args.repeat}: {variant.label}: {variant.change} ...", file=sys.stderr, flush=True)
            runs[variant].append(measure(variant, args.requests, args.timeout))
    results = [sorted(rs, key=lambda r: r.rps)[len(rs) // 2] for rs in runs.values()]
    print(f"Measured on {machine()}; {args.requests:,} requests per row, one keep-alive client "
          f"(http.client, reconnecting when the server closes), loopback; the median of {args.repeat} runs.\n")
    print(table(results))
    if args.plot and any(r.requests for r in results):
        try:
            plot(results, Path(args.plot), args.requests)
            print(f"Plot: {args.plot}")
        except ImportError:
            print("no plot: matplotlib is not installed (pip install -e '.[bench]')", file=sys.stderr)
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
