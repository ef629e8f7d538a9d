"""`connlint sockets`: fixture /proc tables (IPv4, IPv6, every state, malformed rows, missing settings) and
real loopback sockets this test opens and closes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from connlint.cli import main
from connlint.sockets import STATE_ORDER, parse_line, snapshot

from .conftest import FIXTURES

PROC = FIXTURES / "proc"
linux_only = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux's /proc/net/tcp")
# The kernel prints addresses as native-endian words; the fixtures were written on a little-endian host.
little_endian = pytest.mark.skipif(sys.byteorder != "little", reason="fixture addresses are little-endian")

FIXTURE_STATES = {
    "ESTABLISHED": 7, "SYN_SENT": 1, "SYN_RECV": 1, "FIN_WAIT1": 1, "FIN_WAIT2": 2, "TIME_WAIT": 31,
    "CLOSE": 1, "CLOSE_WAIT": 3, "LAST_ACK": 1, "LISTEN": 3, "CLOSING": 1, "NEW_SYN_RECV": 1,
}


def sockets(*args: str, proc: Path | str | None = PROC):
    extra = ["--proc-root", str(proc)] if proc is not None else []
    return CliRunner().invoke(main, ["sockets", *extra, *args])


def as_json(*args: str, proc: Path | str | None = PROC) -> dict:
    result = sockets("--format", "json", *args, proc=proc)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# --- fixture tables ----------------------------------------------------------------------------------


def test_counts_every_state_in_ipv4_and_ipv6():
    report = as_json()
    assert {k: v for k, v in report["states"].items() if v} == FIXTURE_STATES
    assert list(report["states"]) == list(STATE_ORDER)  # every state present, zeros included, fixed order
    assert report["total"] == sum(FIXTURE_STATES.values()) == 53
    assert report["by_family"] == {"ipv4": 44, "ipv6": 9}
    assert report["time_wait"] == 31 and report["close_wait"] == 3


def test_malformed_lines_are_skipped_and_counted():
    report = as_json()
    assert report["malformed_lines"] == 5
    assert report["malformed"] == {str(PROC / "net" / "tcp"): 4, str(PROC / "net" / "tcp6"): 1}
    assert "Skipped 5 malformed line(s)" in sockets().output


@pytest.mark.parametrize("line", [
    "",
    "garbage",
    "   0: 0100007F:1F90 0100007F",  # truncated
    "   0: 0100007G:1F90 0100007F:9C40 06 00000000:00000000 03:00000F9F 00000000 0 0 0 3",  # bad hex
    "   0: 0100007F:1F90 0100007F:9C40 6 00000000:00000000 03:00000F9F 00000000 0 0 0 3",  # one-digit state
    "   0: 0100007F:1F90 0100007F:9C40 06 00000000:00000000 03:00000F9F 00000000 0 0 x 3",  # inode
    "   0: 0x00007F:1F90 0100007F:9C40 06 00000000:00000000 03:00000F9F 00000000 0 0 0 3",  # 0x prefix
    "   0 0100007F:1F90 0100007F:9C40 06 00000000:00000000 03:00000F9F 00000000 0 0 0 3",  # no colon after sl
    # impossible rows: no such state, ports and addresses of the wrong width, numbers that are not numbers
    "   0: 0100007F:1F90 0100007F:9C40 00 00000000:00000000 03:00000F9F 00000000 0 0 0 3",  # state 0
    "   0: 0100007F:1F90 0100007F:9C40 2A 00000000:00000000 03:00000F9F 00000000 0 0 0 3",  # state 0x2A
    "   0: 0100007F:1F90 0100007F:9C40 FF 00000000:00000000 03:00000F9F 00000000 0 0 0 3",  # state 0xFF
    "   0: 0100007F:1F900 0100007F:9C40 06 00000000:00000000 03:00000F9F 00000000 0 0 0 3",  # port 0x1F900
    "   0: 0100007F:1F90 0100007F:10000 06 00000000:00000000 03:00000F9F 00000000 0 0 0 3",  # port 65536
    "   0: 100007F:1F90 0100007F:9C40 06 00000000:00000000 03:00000F9F 00000000 0 0 0 3",  # 7-digit address
    "   0: 0100007F0:1F90 0100007F:9C40 06 00000000:00000000 03:00000F9F 00000000 0 0 0 3",  # 9-digit address
    "   0: 0100007F:1F90 0100007F:9C40 06 00000000:00000000 03:00000F9F 00000000 -1 0 0 3",  # uid -1
    "   0: 0100007F:1F90 0100007F:9C40 06 00000000:00000000 03:00000F9F 00000000 0 0 \u0663 3",  # Arabic 3
    "  -1: 0100007F:1F90 0100007F:9C40 06 00000000:00000000 03:00000F9F 00000000 0 0 0 3",  # slot -1
])
def test_parse_line_rejects_malformed_rows(line):
    with pytest.raises(ValueError):
        parse_line(line, 4)


@little_endian
def test_parse_line_decodes_addresses():
    s = parse_line("   0: 0100007F:1F90 0500000A:9C40 06 00000000:00000000 03:00000F9F 00000000  1000 0 0 1", 4)
    assert (s.local_addr, s.local_port, s.remote_addr, s.remote_port, s.state) == (
        "127.0.0.1", 8080, "10.0.0.5", 40000, "TIME_WAIT")
    six = parse_line("0: B80D0120000000000000000001000000:01BB 0000000000000000FFFF00000100007F:B414 0C "
                     "0:0 0:0 0 0 0 0 1", 6)
    assert (six.local_addr, six.local_port, six.remote_addr, six.state) == (
        "2001:db8::1", 443, "127.0.0.1", "NEW_SYN_RECV")  # IPv4-mapped shown as IPv4
    newer = parse_line("0: 0100007F:1F90 0500000A:9C40 0E 0:0 0:0 0 0 0 0 1", 4)
    assert newer.state == "STATE_0E"  # a state a newer kernel may add is counted, not dropped


@little_endian
def test_top_endpoints_and_sides():
    top = as_json()["top"]
    tw_local = [(r["endpoint"], r["count"], r["role"]) for r in top["TIME_WAIT"]["local"]]
    assert tw_local == [("10.0.0.1:8080", 18, "server"), ("10.0.0.1:*", 7, "client"),
                        ("[::1]:8443", 4, "server"), ("[2001:db8::1]:*", 2, "client")]
    tw_remote = [(r["endpoint"], r["count"], r["role"]) for r in top["TIME_WAIT"]["remote"]]
    assert tw_remote[:3] == [("10.0.0.5:*", 12, "server"), ("93.184.216.34:443", 7, "client"),
                             ("10.0.0.6:*", 6, "server")]
    cw_local = [(r["endpoint"], r["count"], r["role"]) for r in top["CLOSE_WAIT"]["local"]]
    assert cw_local == [("10.0.0.1:8080", 2, "server"), ("10.0.0.1:*", 1, "client")]
    assert as_json("--top", "1")["top"]["TIME_WAIT"]["local"] == top["TIME_WAIT"]["local"][:1]


@little_endian
def test_interpretation_points_at_server_and_client_rules():
    report = as_json()
    assert report["by_role"]["TIME_WAIT"] == {"server": 22, "client": 9, "unknown": 0}
    lines = report["interpretation"]
    assert lines[0].startswith("18 TIME_WAIT on local port 8080: this server closes connections actively")
    assert lines[0].endswith("`connlint --select CL101,CL102,CL201,CL203 <path>`")
    client = next(line for line in lines if "towards 93.184.216.34:443" in line)
    assert client.startswith("7 TIME_WAIT on ephemeral local ports towards 93.184.216.34:443: this host's client")
    assert "`connlint --select CL202,CL401,CL402,CL403 <path>`" in client
    assert any(line.startswith("2 CLOSE_WAIT on local port 8080: clients hung up") for line in lines)
    text = sockets().output
    assert "Interpretation:\n  18 TIME_WAIT on local port 8080" in text


def test_kernel_settings_with_missing_files_are_reported_not_fatal():
    result = sockets()
    assert result.exit_code == 0
    kernel = as_json()["kernel"]
    assert list(kernel) == ["tcp_fin_timeout", "tcp_tw_reuse", "tcp_max_tw_buckets", "ip_local_port_range",
                            "tcp_keepalive_time"]
    assert kernel["tcp_fin_timeout"]["value"] == "30" and "FIN_WAIT2" in kernel["tcp_fin_timeout"]["meaning"]
    assert kernel["tcp_tw_reuse"]["meaning"].startswith("off")
    assert kernel["ip_local_port_range"]["value"] == "32768 60999"
    assert "28,232 ephemeral ports" in kernel["ip_local_port_range"]["meaning"]
    for name in ("tcp_max_tw_buckets", "tcp_keepalive_time"):
        assert kernel[name]["value"] is None and kernel[name]["error"] == "missing"
        assert f"missing: {PROC / 'sys/net/ipv4' / name}" in result.output


def test_setting_meanings_read_the_value(tmp_path):
    shutil.copytree(PROC, tmp_path / "proc")
    ipv4 = tmp_path / "proc/sys/net/ipv4"
    (ipv4 / "tcp_max_tw_buckets").write_text("20\n")
    (ipv4 / "tcp_keepalive_time").write_text("7200\n")
    (ipv4 / "tcp_tw_reuse").write_text("nonsense\n")
    report = as_json(proc=tmp_path / "proc")
    kernel = report["kernel"]
    assert "2 h" in kernel["tcp_keepalive_time"]["meaning"]
    assert "at most 20 TIME_WAIT" in kernel["tcp_max_tw_buckets"]["meaning"]
    assert kernel["tcp_tw_reuse"]["value"] == "nonsense" and kernel["tcp_tw_reuse"]["meaning"]
    assert any("near tcp_max_tw_buckets (20)" in line for line in report["interpretation"])


def copy_proc(tmp_path: Path, name: str = "proc") -> Path:
    shutil.copytree(PROC, tmp_path / name)
    return tmp_path / name


IMPOSSIBLE_ROWS = (
    "  90: 0100007F:1F90 0100007F:9C40 00 00000000:00000000 03:00000F9F 00000000  1000 0 0 1",
    "  91: 0100007F:1F90 0100007F:9C40 6F 00000000:00000000 03:00000F9F 00000000  1000 0 0 1",
    "  92: 0100007F:1F90 0100007F:9C40 06 00000000:00000000 03:00000F9F 00000000    -1 0 0 1",
    "  93: 0100007F:1F90 0100007F:9C40 06 00000000:00000000 03:00000F9F 00000000  1000 0 -7 1",
    "  -4: 0100007F:1F90 0100007F:9C40 06 00000000:00000000 03:00000F9F 00000000  1000 0 0 1",
)


def test_impossible_rows_are_skipped_and_counted(tmp_path):
    proc = copy_proc(tmp_path)
    with open(proc / "net" / "tcp", "a") as fh:
        fh.write("".join(row + "\n" for row in IMPOSSIBLE_ROWS))
    report = as_json(proc=proc)
    assert {k: v for k, v in report["states"].items() if v} == FIXTURE_STATES  # none of them counted
    assert report["malformed"][str(proc / "net" / "tcp")] == 4 + len(IMPOSSIBLE_ROWS)


@little_endian
def test_reversed_port_range_is_read_in_order(tmp_path):
    proc = copy_proc(tmp_path)
    (proc / "sys/net/ipv4/ip_local_port_range").write_text("60999\t32768\n")
    report = as_json(proc=proc)
    meaning = report["kernel"]["ip_local_port_range"]["meaning"]
    assert meaning.startswith("28,232 ephemeral ports for outgoing connections (written high to low: read as "
                              "32768-60999): at most 28,232 connections")
    assert report["by_role"] == as_json()["by_role"]  # the same range decides the sides
    assert report["interpretation"] == as_json()["interpretation"]
    assert "-28" not in sockets(proc=proc).output
    for value in ("0 60999", "32768 65536", "32768", "1 2 3", "-1 5", "a b"):
        (proc / "sys/net/ipv4/ip_local_port_range").write_text(value + "\n")
        assert as_json(proc=proc)["kernel"]["ip_local_port_range"]["meaning"] == "unexpected value", value


def test_settings_values_and_paths_are_escaped_in_text(tmp_path):
    proc = copy_proc(tmp_path, "pr\x1b[2Joc")
    ipv4 = proc / "sys/net/ipv4"
    (ipv4 / "tcp_tw_reuse").write_text("1\x1b]0;owned\x07\n")
    (ipv4 / "tcp_fin_timeout").write_text("30\x1b[31m\n")
    (ipv4 / "tcp_keepalive_time").write_text("-5\n")
    text = sockets(proc=proc).output
    assert "\x1b" not in text and "\x07" not in text
    assert "tcp_tw_reuse         1\\x1b]0;owned\\x07" in text
    assert "tcp_fin_timeout      30\\x1b[31m    unexpected value" in text
    assert "tcp_keepalive_time   -5            unexpected value" in text
    assert f"missing: {tmp_path}/pr\\x1b[2Joc/sys/net/ipv4/tcp_max_tw_buckets" in text
    kernel = as_json(proc=proc)["kernel"]  # JSON keeps the value as read (escaped by JSON itself)
    assert kernel["tcp_tw_reuse"]["value"] == "1\x1b]0;owned\x07"
    error = sockets("--pid", "999999", proc=proc)  # an error naming the folder
    assert error.exit_code == 2 and f"{tmp_path}/pr\\x1b[2Joc/999999/fd" in error.output
    assert "\x1b" not in error.output


def test_port_filter_keeps_local_or_remote_port():
    report = as_json("--port", "443")
    assert {k: v for k, v in report["states"].items() if v} == {
        "TIME_WAIT": 9, "CLOSE_WAIT": 1, "LAST_ACK": 1, "ESTABLISHED": 1}
    assert report["filters"] == {"port": 443, "pid": None}
    assert as_json("--port", "9")["total"] == 0
    assert "No TIME_WAIT or CLOSE_WAIT" in as_json("--port", "9")["interpretation"][0]


def test_pid_filter_maps_socket_inodes_and_claims_time_wait_on_its_ports(tmp_path):
    proc = tmp_path / "proc"
    shutil.copytree(PROC, proc)
    fd = proc / "4242" / "fd"
    fd.mkdir(parents=True)
    os.symlink("socket:[1001]", fd / "3")  # LISTEN 0.0.0.0:8080
    os.symlink("socket:[2001]", fd / "4")  # one ESTABLISHED on 8080
    os.symlink("/dev/null", fd / "0")
    os.symlink("pipe:[77]", fd / "5")
    report = as_json("--pid", "4242", proc=proc)
    assert {k: v for k, v in report["states"].items() if v} == {
        "LISTEN": 1, "ESTABLISHED": 1, "TIME_WAIT": 18, "SYN_RECV": 1, "NEW_SYN_RECV": 1, "FIN_WAIT1": 1,
        "FIN_WAIT2": 2, "CLOSING": 1}
    assert report["notes"] and "cannot be attributed" in report["notes"][0]
    both = as_json("--pid", "4242", "--port", "9", proc=proc)
    assert both["total"] == 0


def test_pid_errors_exit_2(tmp_path):
    result = sockets("--pid", "999999")
    assert result.exit_code == 2
    assert "no process 999999" in result.output


def test_missing_tables(tmp_path):
    proc = tmp_path / "proc"
    (proc / "net").mkdir(parents=True)
    shutil.copy(PROC / "net" / "tcp", proc / "net" / "tcp")
    result = sockets("--format", "json", proc=proc)
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["missing"] == [str(proc / "net" / "tcp6")] and report["by_family"]["ipv6"] == 0
    assert all(s["error"] == "missing" for s in report["kernel"].values())
    (proc / "net" / "tcp").unlink()
    result = sockets(proc=proc)
    assert result.exit_code == 2
    assert "needs Linux's /proc" in result.output


def test_max_time_wait_exit_status():
    assert sockets("--max-time-wait", "31").exit_code == 0
    result = sockets("--max-time-wait", "30")
    assert result.exit_code == 1
    assert "TIME_WAIT 31 exceeds --max-time-wait 30." in result.output
    assert as_json("--max-time-wait", "31")["exceeded"] is False


def test_watch_refreshes_a_bounded_number_of_times():
    result = sockets("--watch", "0.1", "--count", "3")
    assert result.exit_code == 0
    assert result.output.count("--- ") == 3 and result.output.count("TCP sockets: 53") == 3
    lines = sockets("--watch", "0.1", "--count", "2", "--format", "json").output.splitlines()
    assert len(lines) == 2 and all(json.loads(line)["time_wait"] == 31 for line in lines)
    exceeded = sockets("--watch", "0.1", "--count", "5", "--max-time-wait", "3")
    assert exceeded.exit_code == 1 and exceeded.output.count("TCP sockets") == 1  # an alert stops the watch


def test_watch_option_bounds():
    assert sockets("--watch", "0").exit_code == 2
    assert sockets("--watch", "100000").exit_code == 2


def test_ctrl_c_exits_130_quietly():
    proc = subprocess.Popen(
        [sys.executable, "-m", "connlint.cli", "sockets", "--proc-root", str(PROC), "--watch", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith("--- ")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert err == ""


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "connlint.cli", "sockets", "--proc-root", str(PROC), *args]


@pytest.mark.parametrize("args, status", [
    ((), 0), (("--max-time-wait", "31"), 0), (("--max-time-wait", "30"), 1), (("--format", "json"), 0),
    (("--watch", "0.1", "--count", "50"), 0), (("--watch", "0.1", "--max-time-wait", "30"), 1),
])
def test_closed_pipe_is_quiet_and_the_status_is_only_the_limit(args, status):
    """`connlint sockets | head -1`: no traceback, and exit 1 only when --max-time-wait is exceeded."""
    proc = subprocess.Popen(command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        if "--watch" in args:
            assert proc.stdout.readline().startswith(b"--- ")  # then the reader stops, as head -1 does
        proc.stdout.close()
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert (proc.returncode, err.decode()) == (status, "")


def test_closed_or_failing_stdout_is_one_line_error():
    closed = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", *command()], capture_output=True, text=True,
                            timeout=30)
    assert (closed.returncode, closed.stderr) == (2, "connlint: error: cannot write the report: standard output "
                                                     "is closed\n")
    if os.path.exists("/dev/full"):
        with open("/dev/full", "w") as full:
            failed = subprocess.run(command(), stdout=full, stderr=subprocess.PIPE, text=True, timeout=30)
        assert (failed.returncode, failed.stderr) == (2, "connlint: error: cannot write the report: No space left "
                                                         "on device\n")


def test_version_does_not_import_the_sockets_module():
    code = "import sys, connlint.cli; assert 'connlint.sockets' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# --- real loopback sockets -----------------------------------------------------------------------------


def wait_for(port: int, predicate, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        report = snapshot(Path("/proc"), port=port)
        if predicate(report["states"]) or time.monotonic() > deadline:
            return report
        time.sleep(0.02)


@pytest.fixture
def listener():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    yield srv, srv.getsockname()[1]
    srv.close()


@linux_only
def test_real_server_closing_first_leaves_time_wait_on_its_port(listener):
    srv, port = listener
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    conn, _ = srv.accept()
    report = wait_for(port, lambda s: s["ESTABLISHED"] == 2)
    assert report["states"]["LISTEN"] == 1 and report["states"]["ESTABLISHED"] == 2

    conn.close()  # the server closes first: the client sees CLOSE_WAIT, the server FIN_WAIT2
    report = wait_for(port, lambda s: s["CLOSE_WAIT"] == 1 and s["FIN_WAIT2"] == 1)
    assert report["states"]["CLOSE_WAIT"] == 1 and report["states"]["FIN_WAIT2"] == 1
    assert report["by_role"]["CLOSE_WAIT"]["client"] == 1

    client.close()
    report = wait_for(port, lambda s: s["TIME_WAIT"] == 1)
    assert report["states"]["TIME_WAIT"] == 1 and report["states"]["CLOSE_WAIT"] == 0
    assert report["by_role"]["TIME_WAIT"] == {"server": 1, "client": 0, "unknown": 0}
    assert report["top"]["TIME_WAIT"]["local"][0]["endpoint"] == f"127.0.0.1:{port}"
    assert report["interpretation"][0].startswith(f"1 TIME_WAIT on local port {port}: this server closes")

    # the same through the command line, as the alert would run it
    result = sockets("--port", str(port), "--format", "json", "--max-time-wait", "0", proc=None)
    assert result.exit_code == 1
    assert json.loads(result.output)["time_wait"] == 1
    assert sockets("--port", str(port), "--max-time-wait", "1", proc=None).exit_code == 0


@linux_only
def test_real_client_closing_first_leaves_time_wait_on_its_ephemeral_port(listener):
    srv, port = listener
    clients = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(3)]
    conns = [srv.accept()[0] for _ in clients]
    for c in clients:
        c.close()  # the client closes first
    wait_for(port, lambda s: s["CLOSE_WAIT"] == 3)
    for c in conns:
        c.close()
    report = wait_for(port, lambda s: s["TIME_WAIT"] == 3)
    assert report["states"]["TIME_WAIT"] == 3
    assert report["by_role"]["TIME_WAIT"] == {"server": 0, "client": 3, "unknown": 0}
    assert report["top"]["TIME_WAIT"]["remote"][0] == {
        "endpoint": f"127.0.0.1:{port}", "address": "127.0.0.1", "port": port, "role": "client", "count": 3}
    assert any(line.startswith(f"3 TIME_WAIT on ephemeral local ports towards 127.0.0.1:{port}: this host's client")
               for line in report["interpretation"])


@linux_only
def test_real_pid_filter_sees_this_process(listener):
    srv, port = listener
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    conn, _ = srv.accept()
    try:
        wait_for(port, lambda s: s["ESTABLISHED"] == 2)
        report = as_json("--pid", str(os.getpid()), "--port", str(port), proc=None)
        assert report["states"]["LISTEN"] == 1 and report["states"]["ESTABLISHED"] == 2
        other = as_json("--pid", "1", "--port", str(port), proc=None) if os.access("/proc/1/fd", os.R_OK) else None
        assert other is None or other["total"] == 0
    finally:
        client.close()
        conn.close()
