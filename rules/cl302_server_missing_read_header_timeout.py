"""CL302 server-missing-read-header-timeout

## What it does
Flags Go HTTP servers with no deadline for reading a request's headers.

An `http.Server{...}` / `&http.Server{...}` literal, `new(http.Server)` or `var s http.Server` (whatever
name `net/http` is imported under) that sets neither `ReadHeaderTimeout` nor `ReadTimeout`, or sets them so
that there is no deadline (`ReadHeaderTimeout` 0 falls back to `ReadTimeout`; 0 or negative means none, and
a negative `ReadHeaderTimeout` disables the header deadline even when `ReadTimeout` is set), unless the
function (for a package-level variable, the file) later assigns one of them (`srv.ReadHeaderTimeout = d`,
`flag.DurationVar(&srv.ReadTimeout, ...)`). Any other value, a config variable included, counts as set.
Like CL301, the rule stays quiet when the server's configuration may be finished elsewhere: the value is
passed to a function (other than `http2.ConfigureServer` or a `fmt`/`log` function), returned, copied,
stored in an exported field or exported package-level variable (an API its callers configure, which covers
`httptest.Server{Config: ...}` and `ts.Config = ...`), or stored in an unexported field that the file sets
one of the two timeouts on. Unlike CL301, `SetKeepAlivesEnabled(false)` does not silence it: the first
request's headers are read either way.

The rule never asks for `WriteTimeout`. It bounds the writing of the whole response, so a server-wide
value cuts off Server-Sent Events, long polling, streaming and large downloads mid-response; set write
deadlines per handler (`http.NewResponseController(w).SetWriteDeadline`) where they are wanted.

The package-level `http.ListenAndServe`, `http.ListenAndServeTLS`, `http.Serve` and `http.ServeTLS`
(gosec G114), and the framework helpers gin `Run`, echo `Start` and fiber `Listen`, have no header deadline
either, but they are CL301's findings and CL302 does not report them again: it is one root cause (a server
nobody configured) with one fix (an `http.Server` with `ReadHeaderTimeout` and `IdleTimeout`, which CL301's
message asks for), and a second finding on the same line would only double the noise and the suppressions.
Once the code builds an `http.Server`, CL302 checks that. If you select CL302 without CL301, you lose those
findings; keep both selected. Dot imports of `net/http` are not resolved.

## Why is this bad?
Go's `http.Server` waits for a request's header block with no deadline when both `ReadHeaderTimeout` and
`ReadTimeout` are zero. A client that opens a connection and sends its headers one byte at a time
(slowloris), or a client that stalls halfway through, keeps that connection, its goroutine and its buffers
forever; a few thousand such connections from one machine exhaust the server's file descriptors or memory,
and every keep-alive connection is exposed again at each new request. `IdleTimeout` does not help: it only
covers the wait before the first byte of the next request. `ReadTimeout` does bound the headers, but it also
bounds the request body, which cuts off slow uploads; `ReadHeaderTimeout` bounds just the headers.

## Example
    srv := &http.Server{
        Addr:         ":8080",
        Handler:      mux,
        IdleTimeout:  120 * time.Second,
        WriteTimeout: 30 * time.Second,
    }

Use instead:

    srv := &http.Server{
        Addr:              ":8080",
        Handler:           mux,
        ReadHeaderTimeout: 10 * time.Second,
        IdleTimeout:       120 * time.Second,
    }

## Fix
Unsafe (slow request headers are then cut off): an `http.Server{...}` literal gets `ReadHeaderTimeout: 10 *
time.Second`, laid out as gofmt does, adding the `time` import when missing (CL301's fix adds `IdleTimeout`;
both apply in one run). Not fixed: an explicit `ReadHeaderTimeout` (zero or negative), a later zeroing
write (`srv.ReadTimeout = 0`), `new(http.Server)` and `var s http.Server`, and code where `time` names
something else.

## References
- Go net/http `Server.ReadHeaderTimeout`, `Server.ReadTimeout`, `ResponseController.SetWriteDeadline`
- gosec G112 (missing `ReadHeaderTimeout`) and G114 (serving functions with no timeouts)
- Filippo Valsorda, "The complete guide to Go net/http timeouts" (Cloudflare blog, 2016)
"""

from __future__ import annotations

from typing import Iterator

import tree_sitter

from connlint.findings import Fix, Hit, Severity
from connlint.frontends.go import GoFile
from connlint.registry import Rule

from ._go import NET_HTTP
from ._go_server import (
    SET,
    UNSET,
    ZERO,
    add_timeout_edits,
    fixable_literal,
    follow,
    is_negative,
    is_zero,
    positional_literal,
    servers,
)

RULE = Rule(
    "CL302",
    "server-missing-read-header-timeout",
    Severity.WARNING,
    __doc__,
    "HTTP server has no deadline for reading request headers, so a client that sends them slowly "
    "(slowloris) holds a connection and its goroutine open forever; set `ReadHeaderTimeout` (not "
    "`WriteTimeout`, which cuts off streaming responses).",
)

HEADER_FIELDS = ("ReadHeaderTimeout", "ReadTimeout")
HEADER_FIELD, HEADER_SECONDS = "ReadHeaderTimeout", 10

MSG_UNSET = (
    "This `http.Server` sets neither `ReadHeaderTimeout` nor `ReadTimeout`, so a client that sends its "
    "request headers slowly (slowloris) holds a connection and its goroutine open forever; set "
    "`ReadHeaderTimeout` (for example `10 * time.Second`)."
)
MSG_OFF = (
    "This `http.Server` turns its header read deadline off (`ReadHeaderTimeout` 0 falls back to "
    "`ReadTimeout`; 0 or negative means no deadline), so a client that sends its request headers slowly "
    "(slowloris) holds a connection and its goroutine open forever; set `ReadHeaderTimeout` to a positive "
    "duration."
)

Node = tree_sitter.Node


def _off(f: GoFile, node: Node) -> bool:
    return is_zero(f, node) or is_negative(f, node)


def _literal_state(f: GoFile, literal: Node) -> str | None:
    """UNSET / ZERO (no deadline) / SET from a `http.Server{...}` literal; None for a positional literal."""
    if positional_literal(literal):
        return None
    fields = f.keyed_fields(literal)
    header, read = fields.get("ReadHeaderTimeout"), fields.get("ReadTimeout")
    if header is not None and not is_zero(f, header):
        return ZERO if is_negative(f, header) else SET  # negative: no header deadline, ReadTimeout or not
    if read is not None and not _off(f, read):
        return SET
    return ZERO if header is not None or read is not None else UNSET


def _fix(f: GoFile, literal: Node) -> Fix | None:
    """Unsafe: add `ReadHeaderTimeout: 10 * time.Second` to the literal (CL301's fix adds `IdleTimeout`)."""
    if not fixable_literal(f, literal, HEADER_FIELD, HEADER_FIELDS):
        return None
    added = add_timeout_edits(f, literal, HEADER_FIELD, HEADER_SECONDS)
    if added is None:
        return None
    field, edits = added
    return Fix(f"Add `{field}` to the `http.Server` (slow request headers are then cut off)", edits, safe=False)


@RULE.go("net/http&server")
def check_go(f: GoFile) -> Iterator[Hit]:
    if not any(path == NET_HTTP for path in f.imports.values()):
        return
    for server, kind in servers(f):
        state = _literal_state(f, server) if kind == "literal" else UNSET
        if state in (None, SET):
            continue
        state = follow(f, server, state, HEADER_FIELDS)
        fix = _fix(f, server) if kind == "literal" and state in (UNSET, ZERO) else None
        if state == UNSET:
            yield f.report(server, MSG_UNSET, fix=fix)
        elif state == ZERO:
            yield f.report(server, MSG_OFF, fix=fix)
