"""`connlint server`: real LSP sessions over stdio (JSON-RPC with Content-Length framing), and the
position conversions and code actions they rely on."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("pygls")

from connlint.findings import Edit, Finding, Fix, Severity  # noqa: E402
from connlint.rpc import MAX_HEADERS, MAX_MESSAGE  # noqa: E402
from connlint.server import Document, code_actions, suppression_edit  # noqa: E402
from lsprotocol import types as lsp  # noqa: E402

from .conftest import write  # noqa: E402

TIMEOUT = 30.0  # per expected message; the server's start-up imports libcst and tree-sitter

GO = '''package main

import "net/http"

func healthz(w http.ResponseWriter, r *http.Request) {
\ts := "\U0001F600"; w.Header().Set("Connection", "close")
\t_ = s
}
'''
GO_LINE = 5  # 0-based; the call starts after a non-BMP character (2 UTF-16 units, 4 UTF-8 bytes)
GO_CALL = 'w.Header().Set("Connection", "close")'
PY = '''from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/json")
def as_json():
    resp = jsonify(status="ok")
    resp.headers["Connection"] = "close"
    return resp
'''
PY_LINE = 8
PY_BROKEN = 'headers = {"Connection": "close"\ndef f(:\n'
DOCS = "https://github.com/connlint/connlint/blob/main/README.md#cl101"


class LspClient:
    """A minimal LSP client: JSON-RPC over the server's stdin/stdout, every wait bounded."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONNLINT")}
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.inbox: queue.Queue = queue.Queue()
        self.backlog: list[dict] = []
        self.stderr: list[str] = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.stderr_done = threading.Thread(target=self._drain_stderr, daemon=True)
        self.stderr_done.start()

    def _read(self) -> None:
        stream = self.proc.stdout
        try:
            while True:
                headers = {}
                while True:
                    line = stream.readline()
                    if not line:
                        return
                    line = line.strip()
                    if not line:
                        break
                    name, _, value = line.decode("ascii").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = stream.read(int(headers["content-length"]))
                self.inbox.put(json.loads(body.decode("utf-8")))
        finally:
            self.inbox.put(None)

    def _drain_stderr(self) -> None:
        for line in self.proc.stderr:
            self.stderr.append(line.decode("utf-8", "replace"))

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        self.send_bytes(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def send_bytes(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def notify(self, method: str, params: dict | None = None) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: dict | None = None):
        reply = self.call(method, params)
        assert "error" not in reply, reply["error"]
        return reply["result"]

    def call(self, method: str, params: dict | None = None) -> dict:
        """Send a request; its whole reply (a result or an error)."""
        self.next_id += 1
        ident = self.next_id
        self.send({"id": ident, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == ident and "method" not in m, f"the reply to {method}")

    def notification(self, method: str, where=lambda params: True) -> dict:
        return self.wait(lambda m: m.get("method") == method and where(m.get("params")), method)["params"]

    def diagnostics(self, uri: str, version: int | None = None) -> list[dict]:
        params = self.notification(
            "textDocument/publishDiagnostics",
            lambda p: p["uri"] == uri and (version is None or p.get("version") == version),
        )
        return params["diagnostics"]

    def wait(self, match, what: str) -> dict:
        for index, message in enumerate(self.backlog):
            if match(message):
                return self.backlog.pop(index)
        deadline = time.monotonic() + TIMEOUT
        while True:
            remaining = deadline - time.monotonic()
            try:
                message = self.inbox.get(timeout=max(remaining, 0.01))
            except queue.Empty:
                message = None
                remaining = 0
            if message is None:
                raise AssertionError(f"no {what} within {TIMEOUT:.0f}s (server exit code {self.proc.poll()});"
                                     f" stderr:\n{''.join(self.stderr[-40:])}")
            if "method" in message and "id" in message:  # a request from the server: accept it
                self.send({"id": message["id"], "result": None})
            if match(message):
                return message
            self.backlog.append(message)

    def open(self, uri: str, language: str, text: str, version: int = 1) -> None:
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": language,
                                                              "version": version, "text": text}})

    def change(self, uri: str, version: int, *changes: dict) -> None:
        self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                               "contentChanges": list(changes)})

    def close(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            return self.proc.wait(timeout=TIMEOUT)
        finally:
            for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                try:
                    stream.close()
                except OSError:
                    pass


def start(cwd: Path, argv: list[str] | None = None, encodings: list[str] | None = None) -> tuple[LspClient, str]:
    client = LspClient(argv or [sys.executable, "-m", "connlint.cli", "server"], cwd)
    capabilities: dict = {"textDocument": {"publishDiagnostics": {"versionSupport": True},
                                           "codeAction": {"codeActionLiteralSupport": {
                                               "codeActionKind": {"valueSet": ["quickfix"]}}}}}
    if encodings:
        capabilities["general"] = {"positionEncodings": encodings}
    result = client.request("initialize", {"processId": os.getpid(), "rootUri": cwd.as_uri(),
                                           "capabilities": capabilities})
    caps = result["capabilities"]
    assert caps["codeActionProvider"], caps
    assert result["serverInfo"]["name"] == "connlint"
    client.notify("initialized", {})
    return client, caps.get("positionEncoding", "utf-16")


def shut_down(client: LspClient) -> None:
    assert client.request("shutdown") is None
    client.notify("exit")
    deadline = time.monotonic() + TIMEOUT
    while client.proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.close() == 0


def col(line: str, code_points: int, encoding: str) -> int:
    prefix = line[:code_points]
    return {"utf-8": len(prefix.encode("utf-8")), "utf-32": len(prefix)}.get(
        encoding, len(prefix.encode("utf-16-le")) // 2)


def rng(line: int, start: int, end: int) -> dict:
    return {"start": {"line": line, "character": start}, "end": {"line": line, "character": end}}


def apply(text: str, edits: list[dict], encoding: str = "utf-16") -> str:
    """Apply LSP text edits (as an editor would) to text."""
    doc = Document(text, "go", encoding)
    spans = sorted(((doc.offset_at(lsp.Position(**e["range"]["start"])), doc.offset_at(lsp.Position(**e["range"]["end"])),
                     e["newText"]) for e in edits), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


@pytest.mark.parametrize("encodings", [None, ["utf-8", "utf-16"], ["utf-32"]], ids=["default", "utf-8", "utf-32"])
def test_session_diagnostics_suppress_and_change(tmp_path, encodings):
    client, encoding = start(tmp_path, encodings=encodings)
    try:
        if encodings is None:
            assert encoding == "utf-16"
        go_uri = (tmp_path / "svc" / "main.go").as_uri()
        py_uri = (tmp_path / "web" / "app.py").as_uri()
        client.open(go_uri, "go", GO)
        client.open(py_uri, "python", PY)

        line = GO.splitlines()[GO_LINE]
        first = line.index(GO_CALL)
        expected_range = rng(GO_LINE, col(line, first, encoding), col(line, first + len(GO_CALL), encoding))
        if encoding == "utf-16":
            assert expected_range == rng(GO_LINE, 12, 49)  # pinned: code points 11..48 plus the surrogate pair
        go_diags = client.diagnostics(go_uri)
        assert len(go_diags) == 1, go_diags
        diag = go_diags[0]
        assert diag["range"] == expected_range
        assert (diag["code"], diag["severity"], diag["source"]) == ("CL101", 1, "connlint")
        assert diag["codeDescription"] == {"href": DOCS}

        py_diags = client.diagnostics(py_uri)
        assert [(d["code"], d["range"]) for d in py_diags] == [("CL101", rng(PY_LINE, 4, 40))]

        # The suppression action, applied as an editor would, silences the finding.
        actions = client.request("textDocument/codeAction", {
            "textDocument": {"uri": go_uri}, "range": diag["range"],
            "context": {"diagnostics": [diag]}})
        suppress = [a for a in actions if a["title"] == "Suppress CL101 on this line"]
        assert len(suppress) == 1, actions
        assert suppress[0]["kind"] == "quickfix"
        assert suppress[0]["diagnostics"][0]["code"] == "CL101"
        end = col(line, len(line), encoding)
        assert suppress[0]["edit"]["changes"] == {go_uri: [
            {"range": rng(GO_LINE, end, end), "newText": " //connlint:ignore CL101 TODO: reason"}]}
        suppressed = apply(GO, suppress[0]["edit"]["changes"][go_uri], encoding)
        assert suppressed.splitlines()[GO_LINE] == line + " //connlint:ignore CL101 TODO: reason"
        client.change(go_uri, 2, {"text": suppressed})
        assert client.diagnostics(go_uri, version=2) == []

        # An incremental change deleting the offending line: no diagnostics left.
        client.change(py_uri, 2, {"range": rng(PY_LINE, 0, 0) | {"end": {"line": PY_LINE + 1, "character": 0}},
                                  "text": ""})
        assert client.diagnostics(py_uri, version=2) == []
        shut_down(client)
    finally:
        client.close()


def test_session_config_suppressions_and_syntax_errors(tmp_path):
    write(tmp_path, "connlint.toml", '[per-file-ignores]\n"legacy/*.py" = ["CL101"]\n')
    write(tmp_path, "bad/connlint.toml", "nope = 1\n")
    (tmp_path / "legacy").mkdir()
    client, _ = start(tmp_path)
    try:
        ignored = (tmp_path / "legacy" / "app.py").as_uri()
        noqa = (tmp_path / "noqa.py").as_uri()
        broken = (tmp_path / "broken.py").as_uri()
        misconfigured = (tmp_path / "bad" / "app.py").as_uri()
        client.open(ignored, "python", PY)
        client.open(noqa, "python", PY.replace('= "close"\n', '= "close"  # noqa: CL101\n')
                    .replace("app = Flask(__name__)", "app = Flask(__name__)  # noqa: CL999"))
        client.open(broken, "python", PY_BROKEN)
        client.open(misconfigured, "python", PY)
        assert client.diagnostics(ignored) == []
        unknown = client.diagnostics(noqa)  # the finding is suppressed; the unknown code is a warning
        assert [(d.get("code"), d["severity"], d["range"]) for d in unknown] == [(None, 2, rng(2, 0, 36))]
        assert "CL999" in unknown[0]["message"]
        # A broken config is shown once and the defaults apply.
        message = client.notification("window/showMessage")
        assert message["type"] == 1 and "nope" in message["message"], message
        assert [d["code"] for d in client.diagnostics(misconfigured)] == ["CL101"]
        syntax = client.diagnostics(broken)
        assert [(d["code"], d["severity"]) for d in syntax] == [("CL000", 1)]

        # No code action for a syntax error (it cannot be suppressed).
        assert client.request("textDocument/codeAction", {
            "textDocument": {"uri": broken}, "range": syntax[0]["range"],
            "context": {"diagnostics": syntax}}) == []

        # Closing a document clears its diagnostics.
        client.notify("textDocument/didClose", {"textDocument": {"uri": broken}})
        assert client.diagnostics(broken) == []
        shut_down(client)
    finally:
        client.close()


def test_saving_a_config_relints_open_documents_under_their_own_uris(tmp_path):
    """A saved config file re-lints every open document, published under the URI the editor used."""
    client, _ = start(tmp_path)
    try:
        spaced = (tmp_path / "my app.py").as_uri()  # file:///...my%20app.py
        client.open(spaced, "python", PY)
        assert [d["code"] for d in client.diagnostics(spaced)] == ["CL101"]
        write(tmp_path, "connlint.toml", 'ignore = ["CL101"]\n')
        client.notify("textDocument/didSave", {"textDocument": {"uri": (tmp_path / "connlint.toml").as_uri()}})
        assert client.diagnostics(spaced) == []
        shut_down(client)
    finally:
        client.close()


PATCHED_SERVER = '''
import dataclasses
from connlint.findings import Edit, Fix
from connlint.registry import all_rules

rule = all_rules()["CL101"]
original = rule.checkers["go"]


def patched(parsed):
    for hit in original(parsed):
        fix = Fix("Keep the connection alive", (Edit({start}, {end}, '"keep-alive"'),), True)
        yield dataclasses.replace(hit, fix=fix)


rule.checkers["go"] = patched
from connlint.server import serve

serve()
'''


def test_session_fix_code_action(tmp_path):
    """A rule's Fix (edits as code-point offsets) becomes a preferred quickfix with LSP positions."""
    start_offset = GO.index('"close"')
    script = write(tmp_path, "patched_server.py",
                   PATCHED_SERVER.format(start=start_offset, end=start_offset + len('"close"')))
    client, encoding = start(tmp_path, argv=[sys.executable, str(script)])
    try:
        uri = (tmp_path / "main.go").as_uri()
        client.open(uri, "go", GO)
        diags = client.diagnostics(uri)
        assert [d["code"] for d in diags] == ["CL101"]
        actions = client.request("textDocument/codeAction", {
            "textDocument": {"uri": uri}, "range": rng(GO_LINE, 0, 0),  # the cursor at the line's start
            "context": {"diagnostics": diags, "only": ["quickfix"]}})
        assert [a["title"] for a in actions] == ["Keep the connection alive", "Suppress CL101 on this line"]
        fix = actions[0]
        assert fix["isPreferred"] is True and fix["kind"] == "quickfix"
        assert fix["diagnostics"][0]["code"] == "CL101"
        assert fix["edit"]["changes"] == {uri: [{"range": rng(GO_LINE, 41, 48), "newText": '"keep-alive"'}]}
        fixed = apply(GO, fix["edit"]["changes"][uri])
        assert 'Set("Connection", "keep-alive")' in fixed
        client.change(uri, 2, {"text": fixed})
        assert client.diagnostics(uri, version=2) == []

        # Only other kinds asked for: no quick fixes.
        assert client.request("textDocument/codeAction", {
            "textDocument": {"uri": uri}, "range": rng(GO_LINE, 0, 0),
            "context": {"diagnostics": [], "only": ["refactor"]}}) == []
        shut_down(client)
    finally:
        client.close()


# ---- hostile editors -------------------------------------------------------------------------------
def test_message_over_the_limit_is_skipped_and_the_session_goes_on(tmp_path):
    client, _ = start(tmp_path)
    try:
        size = MAX_MESSAGE + 1
        client.send_bytes(b"Content-Length: %d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n"
                          % size + b" " * size)
        message = client.notification("window/showMessage")
        assert message == {"type": 1, "message": "connlint: skipped a message of 67,108,865 bytes from the editor "
                                                 "(the limit is 64 MiB); a document that large is not linted"}
        client.send_bytes(b"X-Junk: " + b"x" * (MAX_HEADERS + 10) + b"\r\n\r\n")  # a header block too large
        uri = (tmp_path / "app.py").as_uri()
        client.open(uri, "python", PY)
        assert [d["code"] for d in client.diagnostics(uri)] == ["CL101"]
        shut_down(client)
    finally:
        client.close()


@pytest.mark.parametrize("length", [2 ** 40, 10 ** 20])  # MemoryError / OverflowError when allocated
def test_absurd_content_length_is_read_through_until_the_editor_hangs_up(tmp_path, length):
    client, _ = start(tmp_path)
    try:
        client.send_bytes(b"Content-Length: %d\r\n\r\n{}" % length)
        client.send({"id": 99, "method": "shutdown"})  # read as part of the announced body
        client.proc.stdin.close()
        assert client.proc.wait(timeout=TIMEOUT) == 0
        client.stderr_done.join(TIMEOUT)
        assert "Error" not in "".join(client.stderr), client.stderr
        replies = client.backlog + list(iter(lambda: client.inbox.get(timeout=TIMEOUT), None))
        assert not [m for m in replies if m.get("id") == 99]
    finally:
        client.close()


def test_invalid_params_get_an_error_answer_and_the_session_goes_on(tmp_path):
    client, _ = start(tmp_path)
    try:
        uri = (tmp_path / "app.py").as_uri()
        reply = client.call("textDocument/codeAction", {"textDocument": {"uri": uri}})  # no range, no context
        assert reply["error"]["code"] == -32602, reply
        assert "textDocument/codeAction" in reply["error"]["message"] and "range" in reply["error"]["message"]
        assert client.call("textDocument/hover", [1, 2])["error"]["code"] == -32602
        client.send({"id": {"odd": True}, "method": "textDocument/codeAction", "params": None})
        assert client.wait(lambda m: "error" in m and m.get("id") is None, "the reply with id null")["error"]["code"] \
            == -32602
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri}})  # no text: ignored, no answer
        log = client.notification("window/logMessage", lambda p: "ignored" in p["message"])
        assert log["message"].startswith("connlint: ignored a textDocument/didOpen notification: invalid params: ")
        client.open(uri, "python", PY)
        assert [d["code"] for d in client.diagnostics(uri)] == ["CL101"]
        shut_down(client)
    finally:
        client.close()


def test_a_document_not_open_is_never_read_from_disk(tmp_path):
    uri = write(tmp_path, "app.py", PY).as_uri()  # a finding on disk, but the editor never opened it
    client, _ = start(tmp_path)
    try:
        assert client.request("textDocument/codeAction", {
            "textDocument": {"uri": uri}, "range": rng(PY_LINE, 0, 40), "context": {"diagnostics": []}}) is None
        client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                 "contentChanges": [{"text": PY}]})
        shut_down(client)  # handled in order: anything published for the file came before the reply
        assert not [m for m in client.backlog if m.get("method") == "textDocument/publishDiagnostics"
                    and m["params"]["uri"] == uri and m["params"]["diagnostics"]], client.backlog
    finally:
        client.close()


def test_window_messages_escape_control_characters(tmp_path):
    folder = tmp_path / "bad\x1b[2J"
    write(folder, "connlint.toml", "nope = 1\n")
    client, _ = start(tmp_path)
    try:
        client.open((folder / "app.py").as_uri(), "python", PY)
        message = client.notification("window/showMessage")["message"]
        assert "bad\\x1b[2J" in message and "\x1b" not in message, message
        log = client.notification("window/logMessage", lambda p: "nope" in p["message"])["message"]
        assert "\x1b" not in log
        shut_down(client)
    finally:
        client.close()


# ---- the conversions and actions, in-process ----------------------------------------------------
def finding(line, col, end_line, end_col, code="CL101", fix=None):
    return Finding("x", line, col, end_line, end_col, code, "n", "m", Severity.ERROR, fix)


@pytest.mark.parametrize("encoding, expected", [("utf-16", 3), ("utf-8", 5), ("utf-32", 2)])
def test_columns_count_in_the_negotiated_encoding(encoding, expected):
    doc = Document('a\U0001F600b = 1\n', "python", encoding)
    assert doc.position(doc.offset(1, 3)) == lsp.Position(0, expected)  # before `b`
    assert doc.offset_at(lsp.Position(0, expected)) == 2


def test_bom_crlf_and_go_lone_cr():
    doc = Document('\ufeffx = 1\r\ny = "\u00e9"; z\r\n', "python")
    assert doc.source.startswith("x")
    assert doc.position(doc.offset(2, 10)) == lsp.Position(1, 9)  # `z`; the BOM is not a column
    assert doc.position(doc.offset(1, 1)) == lsp.Position(0, 1)  # the BOM is in the editor's text
    assert doc.position(doc.offset(1, 99)) == lsp.Position(0, 6)  # clamped to the line's content
    go = Document("a\rb\nc", "go")  # tree-sitter counts LF only; LSP also breaks at CR
    assert go.position(go.offset(1, 3)) == lsp.Position(1, 0)
    assert go.position(go.offset(2, 1)) == lsp.Position(2, 0)


def test_fix_offsets_skip_the_bom():
    doc = Document('\ufeffpackage p\n', "go")
    fix = Fix("t", (Edit(8, 9, "q"),))
    actions = code_actions("file:///x.go", doc, [finding(1, 9, 1, 10, fix=fix)],
                           lsp.Range(lsp.Position(0, 9), lsp.Position(0, 9)))
    edit = actions[0].edit.changes["file:///x.go"][0]
    assert (edit.range.start, edit.range.end) == (lsp.Position(0, 9), lsp.Position(0, 10))


def test_suppression_extends_an_existing_comment():
    py = Document('x = 1  # noqa: CL102\n', "python")
    at, end, text = suppression_edit(py, finding(1, 1, 1, 6))
    assert (py.text[:at] + text + py.text[end:]) == 'x = 1  # noqa: CL102, CL101\n'
    go = Document('package p\n\n//connlint:ignore CL202 legacy\nvar x = 1\n', "go")
    at, end, text = suppression_edit(go, finding(4, 1, 4, 10))
    assert (go.text[:at] + text + go.text[end:]).splitlines()[2] == "//connlint:ignore CL202,CL101 legacy"
    trailing = Document('x = 1   \r\n', "python")
    at, end, text = suppression_edit(trailing, finding(1, 1, 1, 6))
    assert (trailing.text[:at] + text + trailing.text[end:]) == 'x = 1  # noqa: CL101\r\n'
    continued = Document('x = f(1, \\\n  2)\n', "python")  # after the continuation, which it covers
    at, end, text = suppression_edit(continued, finding(1, 1, 2, 4))
    assert (continued.text[:at] + text + continued.text[end:]) == 'x = f(1, \\\n  2)  # noqa: CL101\n'
    assert suppression_edit(Document('x = """never closed\n', "python"), finding(1, 1, 1, 6)) is None


def test_server_command_without_pygls(monkeypatch):
    from click.testing import CliRunner

    from connlint.cli import main

    for name in [m for m in sys.modules if m == "pygls" or m.startswith("pygls.")] + ["pygls"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if pygls were not installed
    monkeypatch.delitem(sys.modules, "connlint.server", raising=False)
    result = CliRunner().invoke(main, ["server"])
    assert result.exit_code == 2
    assert "pip install 'pygls>=1.3'" in result.output  # a package that is on PyPI (connlint is not yet)
