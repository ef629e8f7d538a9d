"""What the language server reads from the editor, made safe before pygls sees it (pygls 1.3+ and 2.x).

- `BoundedReader`: standard input with each message bounded. pygls allocates a body as large as its
  `Content-Length` says, so `Content-Length: 99999999999999` ended the server with MemoryError, and the
  editor, restarting it and sending the same message again, went round in a crash loop. A message over
  `MAX_MESSAGE` is read through in small chunks and dropped, and pygls gets a `SKIPPED` notification
  in its place; a header block over `MAX_HEADERS` is dropped the same way. pygls sees each message with
  one canonical `Content-Length` header, the one this reader checked.
- `Protocol`: a request whose params do not validate gets a JSON-RPC InvalidParams error (-32602)
  instead of no answer (pygls logs it and sends nothing); such a notification is logged and ignored.
"""

from __future__ import annotations

import json
import re
from typing import BinaryIO, Callable

from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol

MAX_MESSAGE = 64 << 20  # bytes in one message body; a 20 MB file (max-file-size) sent as JSON fits
MAX_HEADERS = 64 << 10  # bytes in one header block (a real one is under 100)
CHUNK = 1 << 20
SKIPPED = "connlint/messageSkipped"  # the stand-in notification for a message dropped unread
CONTENT_LENGTH = re.compile(rb"content-length[ \t]*:[ \t]*([0-9]+)[ \t]*\r?\n", re.IGNORECASE)


class BoundedReader:
    """Standard input as pygls reads it (`readline` for headers, `read` for a body), bounded.

    Each message's header block is read ahead in full; pygls is then handed `Content-Length: N` and the
    blank line, and reads the body through `read`. pygls calls these from one worker thread at a time.
    """

    def __init__(self, stream: BinaryIO, limit: int = MAX_MESSAGE) -> None:
        self.stream = stream
        self.limit = limit
        self.lines: list[bytes] = []  # the header lines still to hand out, last first
        self.body: bytes | None = None  # a stand-in message's body, handed out by the next read

    @property
    def closed(self) -> bool:  # pygls 1.x stops reading when its input is closed
        return self.stream.closed

    def close(self) -> None:  # pygls 1.x closes its input at shutdown
        self.stream.close()

    def readline(self) -> bytes:
        if not self.lines:
            self._next_message()
        return self.lines.pop() if self.lines else b""  # b"": the end of the input

    def read(self, size: int) -> bytes:
        if self.body is not None:
            body, self.body = self.body, None
            return body
        return self.stream.read(size)

    def _next_message(self) -> None:
        length = self._headers()
        if length is None:
            return
        if length > self.limit:
            if not self._drain(length):
                return
            self.body = json.dumps({"jsonrpc": "2.0", "method": SKIPPED,
                                    "params": {"length": length, "limit": self.limit}}).encode("ascii")
            length = len(self.body)
        self.lines = [b"\r\n", b"Content-Length: %d\r\n" % length]

    def _headers(self) -> int | None:
        """The Content-Length of the next header block, read up to its blank line; None at the end."""
        length, size = None, 0
        while True:
            line = self.stream.readline(MAX_HEADERS + 1 - size)
            if not line:
                return None
            size += len(line)
            if size > MAX_HEADERS:  # not a header block: skip past it, then look for the next one
                while line and not line.endswith(b"\n"):
                    line = self.stream.readline(CHUNK)
                length, size = None, 0
                continue
            if length is None:
                match = CONTENT_LENGTH.fullmatch(line)
                length = int(match.group(1)) if match else None
            elif not line.strip():
                if length:  # an empty body is no message
                    return length
                length, size = None, 0

    def _drain(self, length: int) -> bool:
        """Read `length` bytes and keep none; False if the input ends first."""
        while length > 0:
            chunk = self.stream.read(min(length, CHUNK))
            if not chunk:
                return False
            length -= len(chunk)
        return True


IGNORED = object()  # what a message becomes once it has been answered (or logged) here


class Protocol(LanguageServerProtocol):
    """pygls's protocol, answering a request whose params do not validate with InvalidParams (-32602).

    pygls turns each JSON object of a message into its typed form as the JSON is parsed
    (`structure_message` in pygls 2, `_deserialize_message` in 1.x) and raises there when it cannot,
    which pygls only logs. `log` is called with a line about a notification that was ignored.
    """

    log: Callable[[str], None] = staticmethod(lambda line: None)

    def structure_message(self, data):  # pygls 2
        return self._structure(super().structure_message, data)

    def _deserialize_message(self, data):  # pygls 1.x
        return self._structure(super()._deserialize_message, data)

    def handle_message(self, message):  # pygls 2
        if message is not IGNORED:
            super().handle_message(message)

    def _procedure_handler(self, message):  # pygls 1.x
        if message is not IGNORED:
            super()._procedure_handler(message)

    def _structure(self, structure, data):
        try:
            return structure(data)
        except JsonRpcException as exc:
            method = data.get("method")
            if not isinstance(method, str):  # a response from the editor, or no message at all: pygls's case
                raise
            detail = _details(exc)
            if "id" not in data:
                self.log(f"connlint: ignored a {method} notification: invalid params: {detail}")
                return IGNORED
            ident = data["id"]
            if not isinstance(ident, (int, str)) or isinstance(ident, bool):
                ident = None  # JSON-RPC: an id that cannot be read is answered as null
            error = JsonRpcInvalidParams(f"invalid params for {method}: {detail}")
            self._send_response(ident, None, error.to_response_error())
            return IGNORED


def _details(exc: Exception) -> str:
    """What did not validate, as cattrs says it (`required field missing @ $.params.range`)."""
    cause = exc.__cause__
    try:
        from cattrs import transform_error  # cattrs 23.1+

        return "; ".join(transform_error(cause)) if cause is not None else str(exc)
    except Exception:  # an older cattrs, or an error it cannot describe
        return str(cause or exc)
