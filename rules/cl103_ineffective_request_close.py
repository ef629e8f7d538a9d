"""CL103 ineffective-request-close

## What it does
Flags Go handlers that try to close the connection by marking the request they received, which the server no
longer reads. Go: `r.Close = true`, `r.Header.Set/Add("Connection", "close")`, `r.Header["Connection"] =
[]string{"close"}` and `r.Header = http.Header{"Connection": {"close"}}` on the `*http.Request` parameter of a
function that also takes an `http.ResponseWriter` (plain, chi and gorilla handlers, middleware closures, negroni
`(rw, r, next)`) or of a `ServeHTTP` method, on gin's `c.Request` and echo's `c.Request()`, and through
`r.WithContext(ctx)` or `h := r.Header`; fasthttp `ctx.Request.SetConnectionClose()`,
`ctx.Request.Header.SetConnectionClose()` and `ctx.Request.Header.Set("Connection", "close")` on a handler's
`*fasthttp.RequestCtx`, and fiber `c.Request()` / `c.Context().Request` alike.

Not flagged: outgoing requests (`http.NewRequest`, a `r.Clone(ctx)` bound to a new variable), an incoming request
the handler itself forwards upstream (passed to `Do`/`RoundTrip` or `Write`, or with `RequestURI` cleared: there
`Close` does act on the upstream connection, which is CL202's business), requests built as test input
(`httptest.NewRequest`, `&http.Request{...}` handed to `ServeHTTP`: the handler under test may read `Close` as a
real server would have set it), and reading `r.Close`.

## Why is this bad?
The line does nothing, and hides what the code really does. Go's server decides whether to keep the connection
from the request as it was read, before the handler runs (since Go 1.7 it copies `Request.Close` and the
`Connection` header aside precisely because handlers may mutate them, golang/go#14940); HTTP/2 ignores both, and
`httputil.ReverseProxy` resets `Close` and strips `Connection` on the request it forwards. fasthttp likewise reads
the request's `Connection` header before calling the handler. So the connection stays open, whatever the author
meant. Usually the intent was wrong anyway: closing after every response costs each client a new TCP/TLS
handshake and leaves a TIME_WAIT socket on the server.

## Example
    func handler(w http.ResponseWriter, r *http.Request) {
        r.Close = true
        r.Header.Set("Connection", "close")
        ...
    }

Use instead: delete the lines. Only if this connection really must close (e.g. the handler drains or rejects a
broken client), set it on the response: `w.Header().Set("Connection", "close")` (gin `c.Header(...)`, echo
`c.Response().Header().Set(...)`, fasthttp `ctx.SetConnectionClose()`), which the server honours.

## References
- Go net/http `Request.Close`: "For server requests, the HTTP server handles this automatically and this field is
  not needed by Handlers."
- golang/go#14940 "net/http: don't read Request headers after ServeHTTP starts"
- RFC 9112 section 9.6 (tear-down)
"""

from __future__ import annotations

from functools import cached_property
from typing import Iterator

from connlint.findings import Hit, Severity
from connlint.frontends.go import GoFile
from connlint.registry import Rule

from ._go import ECHO, FASTHTTP, FIBER, GIN, METHOD_CALLS, NET_HTTP, GoNames, assignments, named, strip
from ._http import go_close_value, has_close_token, is_connection

RULE = Rule(
    "CL103",
    "ineffective-request-close",
    Severity.WARNING,
    __doc__,
    "Marking the incoming request `Close`/`Connection: close` does nothing, as the server decided about the "
    "connection before the handler ran; delete the line, or set `Connection: close` on the response if the "
    "connection really must close.",
)

FASTHTTP_MESSAGE = (
    "Marking the incoming fasthttp request `Connection: close` does nothing, as the server read that header before "
    "the handler ran; delete the line, or call `ctx.SetConnectionClose()` if the connection really must close."
)

SEND_METHODS = ("Do", "RoundTrip")  # client.Do(r), transport.RoundTrip(r)
WRITE_METHODS = ("Write", "WriteProxy")  # r.Write(upstreamConn)
COPY_METHODS = ("WithContext", "Clone")  # r.WithContext(ctx) is the same request; a clone copies Close


class _Handlers:
    """Which expressions denote the request a handler received."""

    def __init__(self, f: GoFile) -> None:
        self.f = f
        self.g = GoNames(f)

    @cached_property
    def forwarded(self) -> list[tuple[int, str]]:
        """(byte offset, request text) where a request is sent upstream: `client.Do(r)`, `r.Write(conn)`,
        `r.RequestURI = ""` (required before a server request can be sent by a client)."""
        sent = []
        for m in self.f.matches(METHOD_CALLS):
            method, args = self.f.text(m["method"]), named(m["args"])
            if method in SEND_METHODS and len(args) == 1:
                sent.append(args[0])
            elif method in WRITE_METHODS and len(args) == 1:
                sent.append(m["recv"])
        for _, target, value, _ in assignments(self.f):
            field = target.child_by_field_name("field") if target.type == "selector_expression" else None
            if self.f.text(field) == "RequestURI" and self.f.string_value(strip(value)) == "":
                sent.append(target.child_by_field_name("operand"))
        found = []
        for expr in sent:
            for origin in self._origins(expr):
                found.append((expr.start_byte, self.f.text(origin)))
        return found

    def _origins(self, expr, depth: int = 0) -> list:
        """`expr` and the requests it copies: `out` of `out := r.Clone(ctx)` also names `r` (a copy keeps `Close`)."""
        expr = self._base(expr, COPY_METHODS)
        if expr is None:
            return []
        found = [expr]
        if expr.type == "identifier" and depth < 4:
            binding = self.g.lookup(expr)
            if binding is not None and binding[0] == "local":
                for kind, value in binding[2]:
                    if kind == "value" and value is not None:
                        found.extend(self._origins(value, depth + 1))
        return found

    def _base(self, expr, methods: tuple[str, ...]):
        """`r` of `r.WithContext(ctx)` (and of `r.Clone(ctx)` when `Clone` is in `methods`)."""
        expr = strip(expr)
        while expr is not None and expr.type == "call_expression":
            func = expr.child_by_field_name("function")
            if func.type != "selector_expression" or self.f.text(func.child_by_field_name("field")) not in methods:
                break
            expr = strip(func.child_by_field_name("operand"))
        return expr

    def _sent_upstream(self, scope, text: str) -> bool:
        return any(scope.start_byte <= pos < scope.end_byte and seen == text for pos, seen in self.forwarded)

    # ---- net/http ------------------------------------------------------------------------
    def _is_handler_request(self, func, param_type) -> bool:
        """A `*http.Request` parameter of a function that also takes a ResponseWriter, or of `ServeHTTP`."""
        if param_type is None or param_type.type != "pointer_type":
            return False
        if self.g.member(param_type) != (NET_HTTP, "Request"):
            return False
        params = [p for p in named(func.child_by_field_name("parameters")) if p.type == "parameter_declaration"]
        if any(self.g.member(p.child_by_field_name("type")) == (NET_HTTP, "ResponseWriter") for p in params):
            return True
        return func.type == "method_declaration" and self.f.function_name(func) == "ServeHTTP" and len(params) == 2

    def _param_of(self, ident, package: str, name: str, pointer: bool | None) -> bool:
        found = self.g.lookup(ident)
        if found is None or found[0] != "param":
            return False
        param_type = found[2]
        if pointer is not None and (param_type is not None and param_type.type == "pointer_type") != pointer:
            return False
        return self.g.member(param_type) == (package, name)

    def request(self, expr, depth: int = 0) -> bool:
        """Is `expr` the incoming *http.Request of the handler it is written in (and not forwarded upstream)?"""
        expr = self._base(expr, ("WithContext",))  # a clone bound to a new name is a new (outgoing) request
        if expr is None or depth > 4:
            return False
        if expr.type == "identifier":
            found = self.g.lookup(expr)
            if found is None:
                return False
            kind, func, data = found
            if self._sent_upstream(func, self.f.text(expr)):
                return False
            if kind == "param":
                return self._is_handler_request(func, data)
            values = [v for k, v in data if k == "value"]  # req := r.WithContext(ctx), req := c.Request
            return bool(values) and len(values) == len(data) and all(self.request(v, depth + 1) for v in values)
        context = None
        if expr.type == "selector_expression" and self.f.text(expr.child_by_field_name("field")) == "Request":
            context = self._context_param(expr.child_by_field_name("operand"), GIN, True)  # gin: c.Request
        elif expr.type == "call_expression" and not self.f.call_args(expr):
            func = expr.child_by_field_name("function")  # echo: c.Request()
            if func.type == "selector_expression" and self.f.text(func.child_by_field_name("field")) == "Request":
                context = self._context_param(func.child_by_field_name("operand"), ECHO, None)
        return context is not None and not self._sent_upstream(context, self.f.text(expr))

    def _context_param(self, operand, package: str, pointer: bool | None):
        """The handler declaring `c` as its `package.Context` parameter."""
        operand = strip(operand)
        if operand is None or operand.type != "identifier" or not self._param_of(operand, package, "Context", pointer):
            return None
        return self.g.lookup(operand)[1]

    def header(self, recv, depth: int = 0) -> bool:
        """`r.Header` of an incoming request, or a local bound to it (`h := r.Header`)."""
        recv = strip(recv)
        if recv is None or depth > 4:
            return False
        if recv.type == "selector_expression" and self.f.text(recv.child_by_field_name("field")) == "Header":
            return self.request(recv.child_by_field_name("operand"))
        if recv.type == "identifier":
            found = self.g.lookup(recv)
            if found is None or found[0] != "local":
                return False
            values = [v for k, v in found[2] if k == "value"]
            return bool(values) and len(values) == len(found[2]) and all(self.header(v, depth + 1) for v in values)
        return False

    # ---- fasthttp / fiber ----------------------------------------------------------------
    def fast_request(self, expr) -> bool:
        """`ctx.Request` of a fasthttp handler's `*fasthttp.RequestCtx`, fiber `c.Request()` / `c.Context().Request`."""
        expr = strip(expr)
        if expr is None:
            return False
        if expr.type == "selector_expression" and self.f.text(expr.child_by_field_name("field")) == "Request":
            ctx = strip(expr.child_by_field_name("operand"))
            if ctx is not None and ctx.type == "identifier":
                return self._param_of(ctx, FASTHTTP, "RequestCtx", True)
            return ctx is not None and self._fiber_call(ctx, ("Context", "RequestCtx"))  # fiber v2 / v3
        return self._fiber_call(expr, ("Request",))

    def _fiber_call(self, expr, methods: tuple[str, ...]) -> bool:
        if expr.type != "call_expression" or self.f.call_args(expr):
            return False
        func = expr.child_by_field_name("function")
        if func.type != "selector_expression" or self.f.text(func.child_by_field_name("field")) not in methods:
            return False
        operand = strip(func.child_by_field_name("operand"))
        return operand is not None and operand.type == "identifier" and self._param_of(operand, FIBER, "Ctx", None)

    def fast_header(self, recv) -> bool:
        recv = strip(recv)
        return (
            recv is not None
            and recv.type == "selector_expression"
            and self.f.text(recv.child_by_field_name("field")) == "Header"
            and self.fast_request(recv.child_by_field_name("operand"))
        )


def _header_literal_closes(h: _Handlers, value) -> bool:
    value = strip(value)
    if value is None or value.type != "composite_literal":
        return False
    if h.g.member(value.child_by_field_name("type")) != (NET_HTTP, "Header"):
        return False
    for key, values, _ in h.f.keyed_nodes(value):
        if not is_connection(h.f.string_value(strip(key))):
            continue
        values = strip(values)
        if values is not None and values.type == "literal_value":  # {"close"}: an elided []string literal
            if any(has_close_token(h.f.string_value(strip(v))) for v in named(values)):
                return True
        elif go_close_value(h.f, values):
            return True
    return False


@RULE.go(
    "close&responsewriter", "close&servehttp", "close&gin-gonic", "close&labstack/echo", "close&fasthttp",
    "close&gofiber",
)
def check_go(f: GoFile) -> Iterator[Hit]:
    h = _Handlers(f)

    for assign, target, value, count in assignments(f):
        if target.type == "selector_expression":
            field, operand = f.text(target.child_by_field_name("field")), target.child_by_field_name("operand")
            if field == "Close" and f.bool_value(strip(value)) is True and h.request(operand):
                yield f.report(assign)
            elif field == "Header" and _header_literal_closes(h, value) and h.request(operand):
                yield f.report(assign)  # r.Header = http.Header{"Connection": {"close"}}
        elif target.type == "index_expression" and count == 1:  # r.Header["Connection"] = []string{"close"}
            if (
                is_connection(f.string_value(target.child_by_field_name("index")))
                and go_close_value(f, value)
                and h.header(target.child_by_field_name("operand"))
            ):
                yield f.report(assign)

    for m in f.matches(METHOD_CALLS):
        method, args, recv = f.text(m["method"]), f.call_args(m["call"]), m["recv"]
        if method in ("Set", "Add") and len(args) == 2:
            if is_connection(f.string_value(args[0])) and has_close_token(f.string_value(args[1])):
                if h.header(recv):
                    yield f.report(m["call"])
                elif h.fast_header(recv):
                    yield f.report(m["call"], message=FASTHTTP_MESSAGE)
        elif method == "SetConnectionClose" and not args and (h.fast_request(recv) or h.fast_header(recv)):
            yield f.report(m["call"], message=FASTHTTP_MESSAGE)
