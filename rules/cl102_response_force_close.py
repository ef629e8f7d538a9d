"""CL102 response-force-close

## What it does
Flags server code that makes the framework close the connection after the response through an API call
rather than a header.

CL101 covers the `Connection: close` header; this rule covers:

- fasthttp and fiber: `ctx.SetConnectionClose()`, `ctx.Response.SetConnectionClose()` and
  `ctx.Response.Header.SetConnectionClose()` on a handler's `*fasthttp.RequestCtx`, and the same through
  fiber's `c.Context()` (v2), `c.RequestCtx()` (v3) or `c.Response()`, also through local aliases
  (`resp := &ctx.Response`). A client-side `fasthttp.Request`/`Response` is not this rule's (see CL202).
- aiohttp: `resp.force_close()` on a `web.Response` / `web.StreamResponse` / `web.json_response(...)` /
  `web.FileResponse` / `web.HTTPException`, on the response a middleware gets from `await handler(request)`,
  on an `on_response_prepare` callback's response, or on a parameter annotated as a web response.
- http.server: `self.close_connection = True` in a method of a `BaseHTTPRequestHandler` subclass (bases
  followed through imports and through the file's own classes; `SimpleHTTPRequestHandler`, wsgiref's,
  werkzeug's and Django's `WSGIRequestHandler` included).

Not reported: a close inside a condition on the client's own request to close (`if
ctx.Request.Header.ConnectionClose()`, `if not request.keep_alive`, an HTTP/1.0 request), where the server
closes anyway; `self.close_connection = True` in `setup()`/`__init__`, or before a call to
`handle_one_request()`/`parse_request()`/`handle()` that recomputes it (the `handle()` loop idiom), or next
to a `send_header("Connection", "close")` that already sets it; and in an HTTP/1.0 handler, which closes
every connection anyway (CL203 reports the handler).

A close that happens only on an error, overload or shutdown path is reported as a note, not an error (the
same paths as CL101): the same block writes a 4xx/5xx status (`ctx.SetStatusCode(503)`, `ctx.Error(msg,
500)`, fiber `c.SendStatus(429)` or `fiber.ErrRequestEntityTooLarge`, `self.send_error(...)`,
`web.Response(status=503)`, `web.HTTPTooManyRequests()`), an enclosing condition tests an error, a 4xx/5xx
status or a draining/shutdown/overload flag (`if err != nil`, `if s.draining`), the code runs in an `except`
block, or the function (or the field a Go closure is bound to, e.g. `ErrorHandler:`) is named for an error,
overload or shutdown path. A close in middleware or a global hook (fiber `c.Next()` / `app.Use(...)`, a
`func(fasthttp.RequestHandler) fasthttp.RequestHandler` wrapper, an aiohttp middleware or
`on_response_prepare` hook) and `self.close_connection = True` in an `end_headers`/`send_response` override
are reported with a message saying that they affect every route.

## Why is this bad?
The server closes the TCP connection right after the response: fasthttp and aiohttp send
`Connection: close` first, http.server just closes the socket without telling the client, whose next
request on that connection then fails or has to be retried. Every client must open a new connection, and
a TLS handshake, for each request, and the server, closing first, keeps a TIME_WAIT socket for 60 s per
request; under load that is tens of thousands of sockets, exhausted ports and added latency.

## Example
    func handler(ctx *fasthttp.RequestCtx) {
        ctx.SetContentType("application/json")
        ctx.SetConnectionClose()
    }

    async def handle(request):
        resp = web.json_response({"ok": True})
        resp.force_close()
        return resp

Use instead: delete the call and let the server keep connections alive; bound idle connections with the
server's idle timeout (fasthttp/fiber `IdleTimeout`, aiohttp `keepalive_timeout`, http.server with
`protocol_version = "HTTP/1.1"` and a handler `timeout`). Close only when shedding load, rejecting a broken
request or shutting down.

## Fix
Safe: the `SetConnectionClose()` / `force_close()` call or the `self.close_connection = True` statement is
removed when it stands alone on its line (a Go `if` left empty goes too when its condition makes no call).
Not fixed: notes (error, overload, shutdown paths), a removal that would leave a Go variable unused, and an
http.server method that sends no Content-Length (nor a 204/304) or leaves a request body unread, where the
close is what ends the response, or of a handler without a `timeout` (a kept-alive idle client would hold
its thread).

## References
- fasthttp `RequestCtx.SetConnectionClose`, `ResponseHeader.SetConnectionClose`, `Server.IdleTimeout`
- aiohttp `StreamResponse.force_close`, `web.run_app(keepalive_timeout=...)`
- Python `http.server.BaseHTTPRequestHandler.close_connection`
- RFC 9112 section 9.6 (tear-down)
"""

from __future__ import annotations

import re
from typing import Iterator

import libcst as cst

from connlint.findings import Fix, Hit, Severity
from connlint.frontends.go import GoFile
from connlint.frontends.python import PythonFile, dotted
from connlint.registry import Rule

from ._go import FASTHTTP, FIBER, METHOD_CALLS, GoNames, named, strip, within
from ._http import has_close_token, is_connection
from ._paths import (
    ERROR_PATH,
    GLOBAL,
    NO_LENGTH,
    OVERLOAD,
    SHUTDOWN,
    go_close_context,
    phrase,
    py_close_context,
    py_status_code,
    severity_for,
    status_kind,
)
from ._py import imports_any, parameters, walk
from ._py_handlers import handler_has_timeout, stdlib_response_framed

RULE = Rule(
    "CL102",
    "response-force-close",
    Severity.ERROR,
    __doc__,
    "The handler makes the server close the connection after the response (a new TCP/TLS handshake per "
    "request, a TIME_WAIT socket per request on the server); remove the call and let an idle timeout bound "
    "idle connections instead.",
)

# ---- messages ------------------------------------------------------------------------------

_HANDSHAKE = (
    "so the client's next request pays a new TCP/TLS handshake and the server, which closes first, keeps a "
    "TIME_WAIT socket for 60 s"
)
EFFECTS = {
    "fasthttp": "fasthttp sends `Connection: close` and closes the connection after this response, " + _HANDSHAKE,
    "fiber": "fiber (fasthttp) sends `Connection: close` and closes the connection after this response, " + _HANDSHAKE,
    "aiohttp": "aiohttp sends `Connection: close` and closes the connection after this response, " + _HANDSHAKE,
    "stdlib": "http.server closes the socket after this response without sending `Connection: close`, so the "
    "client learns it only when its next request on the connection fails, every request pays a new TCP/TLS "
    "handshake and the server keeps a TIME_WAIT socket for 60 s",
}
REMEDIES = {
    "fasthttp": "remove the call and bound idle connections with the server's `IdleTimeout` instead",
    "fiber": "remove the call and bound idle connections with `fiber.Config{IdleTimeout: ...}` instead",
    "aiohttp": "remove the call and let `keepalive_timeout` bound idle connections instead",
    "stdlib": "remove it and bound idle connections with the handler's `timeout` instead",
}
PATH_FIXES = {
    ERROR_PATH: "that is usually deliberate (the connection may hold an unread request body); keep it only where "
    "the connection cannot be reused",
    OVERLOAD: "closing sheds load but every rejected client must reconnect; prefer the 429/503 with `Retry-After` "
    "on the open connection unless clients should move to another instance",
    SHUTDOWN: "this is the intended use, moving clients to other instances while this one drains",
    NO_LENGTH: "set a Content-Length so the connection can be reused",
}


def _message(code: str, context: str | None, runtime: str) -> str:
    effect = EFFECTS[runtime]
    if context in PATH_FIXES:
        return f"`{code}` runs {phrase(context)}: {effect}; {PATH_FIXES[context]}."
    if context == GLOBAL:
        return f"`{code}` runs {phrase(GLOBAL)}: {effect}; {REMEDIES[runtime]}."
    return f"`{code}`: {effect}; {REMEDIES[runtime]}."


# ---- Go ------------------------------------------------------------------------------------

# A close inside a condition on the client's own request to close changes nothing: the server closes anyway.
GO_MIRROR_METHODS = {"ConnectionClose", "IsHTTP11"}
MIRROR_STRINGS = {"close", "connection", "http/1.0"}
PY_MIRROR_NAMES = {"keep_alive", "request_version", "close_connection"}

class _GoServer:
    """What a receiver is on the server side: a handler's fasthttp ctx, its response or its response header."""

    def __init__(self, f: GoFile) -> None:
        self.f = f
        self.g = GoNames(f)
        self.package = f.package_name

    def _type_kind(self, type_node) -> str | None:
        """'ctx' for `*fasthttp.RequestCtx`, 'fiber' for `*fiber.Ctx` / `fiber.Ctx`."""
        member = self.g.member(type_node)
        if member == (FASTHTTP, "RequestCtx"):
            return "ctx"
        if member == (FIBER, "Ctx"):
            return "fiber"
        node = strip(type_node)
        if node is not None and node.type == "pointer_type" and node.named_child_count == 1:
            node = node.named_children[0]
        if node is not None and node.type == "type_identifier":  # inside the package itself
            name = self.f.text(node)
            if self.package == "fasthttp" and name == "RequestCtx":
                return "ctx"
            if self.package == "fiber" and name == "Ctx":
                return "fiber"
        return None

    def kind(self, expr, depth: int = 0):
        """(kind, framework, handler function) where kind is 'ctx', 'response', 'header' or 'fiber'."""
        f = self.f
        expr = strip(expr)
        if expr is None or depth > 12:
            return None
        if expr.type == "unary_expression" and f.text(expr.child_by_field_name("operator")) == "&":
            return self.kind(expr.child_by_field_name("operand"), depth + 1)
        if expr.type == "identifier":
            found = self.g.lookup(expr)
            if found is None:
                return None
            where, func, data = found
            if where == "param":
                kind = self._type_kind(data)
                return (kind, "fiber" if kind == "fiber" else "fasthttp", func) if kind else None
            for how, value in data:  # ctx := c.Context(); resp := &ctx.Response
                if how == "value":
                    result = self.kind(value, depth + 1)
                    if result is not None:
                        return result
            return None
        if expr.type == "selector_expression":
            base = self.kind(expr.child_by_field_name("operand"), depth + 1)
            field = f.text(expr.child_by_field_name("field"))
            if base is not None and base[0] == "ctx" and field == "Response":
                return ("response",) + base[1:]
            if base is not None and base[0] == "response" and field == "Header":
                return ("header",) + base[1:]
            return None
        if expr.type == "call_expression" and not f.call_args(expr):
            func = expr.child_by_field_name("function")
            if func is None or func.type != "selector_expression":
                return None
            base = self.kind(func.child_by_field_name("operand"), depth + 1)
            method = f.text(func.child_by_field_name("field"))
            if base is not None and base[0] == "fiber":
                if method in ("Context", "RequestCtx"):
                    return ("ctx",) + base[1:]
                if method == "Response":
                    return ("response",) + base[1:]
        return None


def _go_mirrors(f: GoFile, node) -> bool:
    """Inside `if ctx.Request.Header.ConnectionClose() {...}`: the client asked to close, the server closes anyway."""
    for anc in f.ancestors(node):
        if anc.type in ("function_declaration", "method_declaration", "func_literal"):
            return False
        body = anc.child_by_field_name("consequence") if anc.type == "if_statement" else None
        if body is None or not within(node, body):
            continue
        stack = [anc.child_by_field_name("condition")]
        while stack:
            n = stack.pop()
            if n is None:
                continue
            if n.type == "selector_expression" and f.text(n.child_by_field_name("field")) in GO_MIRROR_METHODS:
                if "Request" in f.text(n.child_by_field_name("operand")):
                    return True
            if (f.string_value(n) or "").strip().lower() in MIRROR_STRINGS:
                return True
            stack.extend(n.named_children)
    return False


@RULE.go("setconnectionclose")
def check_go(f: GoFile) -> Iterator[Hit]:
    server: _GoServer | None = None
    for m in f.matches(METHOD_CALLS):
        if f.text(m["method"]) != "SetConnectionClose" or named(m["args"]):
            continue
        server = server or _GoServer(f)
        found = server.kind(m["recv"])
        if found is None or found[0] == "fiber" or _go_mirrors(f, m["call"]):
            continue
        context = go_close_context(f, m["call"])
        code = " ".join(f.text(m["call"]).split())
        severity = severity_for(context, Severity.ERROR)
        fix = None
        if severity == Severity.ERROR:
            edit = f.remove_statement(m["call"])  # also `defer ctx.SetConnectionClose()`
            fix = Fix(f"Remove the `{code}` call", (edit,), safe=True) if edit is not None else None
        yield f.report(m["call"], message=_message(code, context, found[1]), severity=severity, fix=fix)


# ---- Python --------------------------------------------------------------------------------

AIOHTTP_RESPONSES = {
    "aiohttp.web.Response", "aiohttp.web.StreamResponse", "aiohttp.web.json_response", "aiohttp.web.FileResponse",
    "aiohttp.web_response.Response", "aiohttp.web_response.StreamResponse", "aiohttp.web_response.json_response",
    "aiohttp.web_fileresponse.FileResponse",
}
AIOHTTP_EXCEPTION_MODULES = ("aiohttp.web.", "aiohttp.web_exceptions.")
AIOHTTP_MIDDLEWARE = {"aiohttp.web.middleware", "aiohttp.web_middlewares.middleware"}
# Request handler bases and the protocol_version they default to ("?" when it is decided at run time).
HANDLER_PROTOCOLS = {
    "http.server.BaseHTTPRequestHandler": "HTTP/1.0",
    "http.server.SimpleHTTPRequestHandler": "HTTP/1.0",
    "http.server.CGIHTTPRequestHandler": "HTTP/1.0",
    "BaseHTTPServer.BaseHTTPRequestHandler": "HTTP/1.0",
    "SimpleHTTPServer.SimpleHTTPRequestHandler": "HTTP/1.0",
    "CGIHTTPServer.CGIHTTPRequestHandler": "HTTP/1.0",
    "wsgiref.simple_server.WSGIRequestHandler": "HTTP/1.0",
    "werkzeug.serving.WSGIRequestHandler": "?",  # werkzeug switches to HTTP/1.1 for threaded servers
    "django.core.servers.basehttp.WSGIRequestHandler": "HTTP/1.1",
}
RECOMPUTE = ("handle_one_request", "parse_request", "handle")  # they set close_connection from the request again
NO_RESPONSE_YET = ("setup", "__init__")
HANDLER_METHOD = re.compile(r"^do_[A-Z]+$")
EVERY_RESPONSE_METHODS = ("end_headers", "send_response", "send_response_only")


def _py_mirrors(f: PythonFile, node: cst.CSTNode) -> bool:
    """Inside `if not request.keep_alive:` or a test of the request's Connection header or HTTP version."""
    child = node
    for anc in f.ancestors(node):
        if isinstance(anc, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return False
        if isinstance(anc, cst.If) and child is anc.body:
            for n in walk(anc.test):
                name = n.value if isinstance(n, cst.Name) else n.attr.value if isinstance(n, cst.Attribute) else ""
                if name in PY_MIRROR_NAMES:
                    return True
                if isinstance(n, cst.BaseString) and (f.string_value(n) or "").strip().lower() in MIRROR_STRINGS:
                    return True
        child = anc
    return False


def _py_param(f: PythonFile, name: cst.Name) -> tuple[cst.FunctionDef, cst.Param] | None:
    """The parameter a name refers to when it is never assigned in its function."""
    if f.assigned_values(name):
        return None
    func = f.enclosing_function(name)
    while func is not None:
        for param in parameters(func):
            if param.name.value == name.value:
                return func, param
        func = f.enclosing_function(func)
    return None


def _py_on_prepare_hooks(f: PythonFile) -> set[str]:
    """Functions registered with `app.on_response_prepare.append(fn)`."""
    found = set()
    for call in f.nodes(cst.Call):
        func = call.func
        if (
            isinstance(func, cst.Attribute) and func.attr.value in ("append", "insert")
            and isinstance(func.value, cst.Attribute) and func.value.attr.value == "on_response_prepare"
        ):
            for a in call.args:
                name = dotted(a.value)
                if name:
                    found.add(name.rsplit(".", 1)[-1])
    return found


class _PyAiohttp:
    """Which receivers of `.force_close()` are aiohttp server responses."""

    def __init__(self, f: PythonFile) -> None:
        self.f = f
        self.imported = imports_any(f, "aiohttp")
        self._hooks: set[str] | None = None

    def _middleware(self, func: cst.FunctionDef) -> bool:
        decorators = [d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator for d in func.decorators]
        return any(self.f.qualname(d) in AIOHTTP_MIDDLEWARE for d in decorators)

    def response(self, expr: cst.BaseExpression) -> tuple[str, cst.Call | None] | None:
        """('response', factory call), ('global', None) for middleware and hooks, or None."""
        f = self.f
        if not isinstance(expr, cst.Name):
            return None  # `self.force_close()`, `request.protocol.force_close()`: not a response
        values = f.assigned_values(expr)
        if not values:
            found = _py_param(f, expr)
            if found is None or not self.imported:
                return None
            func, param = found
            if self._hooks is None:
                self._hooks = _py_on_prepare_hooks(f)
            if func.name.value in self._hooks:
                return "global", None  # app.on_response_prepare.append(on_prepare)
            annotation = param.annotation.annotation if param.annotation is not None else None
            return ("response", None) if f.qualname(annotation) in AIOHTTP_RESPONSES else None
        for value in values:
            if isinstance(value, cst.Await) and isinstance(value.expression, cst.Call) and self.imported:
                call = value.expression  # resp = await handler(request)
                if isinstance(call.func, cst.Name) and _py_param(f, call.func) is not None:
                    func = f.enclosing_function(call)
                    if func is not None and (self._middleware(func) or len(parameters(func)) == 2):
                        return "global", None
            if isinstance(value, cst.Call):
                q = f.callee(value) or ""
                last = q.rsplit(".", 1)[-1]
                if q in AIOHTTP_RESPONSES or (q.startswith(AIOHTTP_EXCEPTION_MODULES) and last.startswith("HTTP")):
                    return "response", value
        return None

    def status_context(self, factory: cst.Call | None) -> str | None:
        """The path a response's own status speaks of: `web.Response(status=503)`, `web.HTTPBadRequest()`."""
        if factory is None:
            return None
        q = self.f.callee(factory) or ""
        if q.startswith(AIOHTTP_EXCEPTION_MODULES):
            return None  # its status is known to `py_close_context` when it is in the same block
        return status_kind(py_status_code(self.f, self.f.arg(factory, "status")))


def _py_force_close(f: PythonFile) -> Iterator[Hit]:
    aiohttp = _PyAiohttp(f)
    for call in f.nodes(cst.Call):
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "force_close" and not call.args):
            continue
        found = aiohttp.response(func.value)
        if found is None or _py_mirrors(f, call):
            continue
        kind, factory = found
        context = py_close_context(f, call) or aiohttp.status_context(factory)
        if context is None and kind == "global":
            context = GLOBAL
        code = f"{dotted(func.value)}.force_close()"
        severity = severity_for(context, Severity.ERROR)
        fix = None
        if severity == Severity.ERROR and isinstance(f.parent(call), cst.Expr):
            edit = f.delete_statement(call)
            fix = Fix(f"Remove the `{code}` call", (edit,), safe=True) if edit is not None else None
        yield f.report(call, message=_message(code, context, "aiohttp"), severity=severity, fix=fix)


class _PyHandlers:
    """BaseHTTPRequestHandler subclasses of this file and the protocol version each one speaks."""

    def __init__(self, f: PythonFile) -> None:
        self.f = f
        self.classes = {cls.name.value: cls for cls in f.nodes(cst.ClassDef)}
        self.assigned: dict[str, list[cst.BaseExpression]] = {}  # Name.protocol_version = value
        self.dynamic = False  # some other object's protocol_version is set to something not HTTP/1.0
        for assign in f.nodes(cst.Assign):
            for target in assign.targets:
                t = target.target
                if isinstance(t, cst.Attribute) and t.attr.value == "protocol_version":
                    owner = t.value
                    if isinstance(owner, cst.Name) and owner.value in self.classes:
                        self.assigned.setdefault(owner.value, []).append(assign.value)
                    elif not self._http10(assign.value):
                        self.dynamic = True

    def _http10(self, value: cst.BaseExpression) -> bool:
        text = self.f.string_value(value)
        return text is not None and text.strip().upper() == "HTTP/1.0"

    def _lineage(self, cls: cst.ClassDef, seen: set[str]) -> Iterator[cst.ClassDef | str]:
        """The class, then its bases (in-file classes, or the qualified names of imported ones)."""
        yield cls
        for base in cls.bases:
            expr = base.value
            if isinstance(expr, cst.Name) and expr.value in self.classes and not self.f.is_imported(expr):
                if expr.value not in seen:
                    seen.add(expr.value)
                    yield from self._lineage(self.classes[expr.value], seen)
            else:
                yield self.f.qualname(expr) or ""

    def protocol(self, cls: cst.ClassDef) -> str | None:
        """'HTTP/1.0', 'HTTP/1.1' or '?' for a request handler class; None when it is not one."""
        lineage = list(self._lineage(cls, {cls.name.value}))
        known = [q for q in lineage if isinstance(q, str) and q in HANDLER_PROTOCOLS]
        duck = any(
            isinstance(c, cst.ClassDef) and any(
                isinstance(s, cst.FunctionDef) and HANDLER_METHOD.match(s.name.value) for s in c.body.body
            )
            for c in lineage
        )
        if not known and not duck:
            return None
        if self.dynamic:
            return "?"
        for item in lineage:
            if isinstance(item, str):
                return HANDLER_PROTOCOLS.get(item, "?")
            values = self.assigned.get(item.name.value, []) + self._class_attribute(item)
            if values:
                return "HTTP/1.0" if all(self._http10(v) for v in values) else "HTTP/1.1"
        return "?"

    def _class_attribute(self, cls: cst.ClassDef) -> list[cst.BaseExpression]:
        values = []
        for stmt in cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ():
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign) and any(
                        isinstance(t.target, cst.Name) and t.target.value == "protocol_version" for t in small.targets
                    ):
                        values.append(small.value)
                    elif isinstance(small, cst.AnnAssign) and small.value is not None and isinstance(
                        small.target, cst.Name
                    ) and small.target.value == "protocol_version":
                        values.append(small.value)
        return values


def _py_truthy(f: PythonFile, value: cst.BaseExpression) -> bool:
    return f.bool_value(value) is True or f.number_value(value) == 1


def _py_method_calls(func: cst.FunctionDef, names: tuple[str, ...]) -> list[cst.Call]:
    """Calls of the named methods inside `func` (`self.x()`, `super().x()`, `Base.x(self)`)."""
    return [
        n for n in walk(func.body)
        if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value in names
    ]


def _py_sends_close_header(f: PythonFile, func: cst.FunctionDef) -> bool:
    for call in _py_method_calls(func, ("send_header",)):
        name, value = f.arg(call, "keyword", 0), f.arg(call, "value", 1)
        if is_connection(f.string_value(name)) and has_close_token(f.string_value(value)):
            return True
    return False


def _py_is_self_flag(target: cst.BaseExpression) -> bool:
    return (
        isinstance(target, cst.Attribute) and target.attr.value == "close_connection"
        and isinstance(target.value, cst.Name) and target.value.value == "self"
    )


# http.server frames nothing itself: under HTTP/1.1 a response without Content-Length is ended by the close,
# and an unread request body would be parsed as the next request. So `self.close_connection = True` is
# removed only from a handler method that sends a length (or a 204/304) and reads or expects no body, of a
# handler with a `timeout` (else an idle kept-alive client holds a thread, or all of a plain HTTPServer).
def _py_close_connection(f: PythonFile) -> Iterator[Hit]:
    handlers: _PyHandlers | None = None
    for assign in f.nodes(cst.Assign):
        if not any(_py_is_self_flag(t.target) for t in assign.targets) or not _py_truthy(f, assign.value):
            continue
        cls = f.enclosing_class(assign)
        method = f.enclosing_function(assign)
        if cls is None or method is None:
            continue
        outer = method  # the method itself, when the assignment sits in a nested function
        for anc in f.ancestors(method):
            if anc is cls:
                break
            if isinstance(anc, cst.FunctionDef):
                outer = anc
        if outer.name.value in NO_RESPONSE_YET:
            continue
        handlers = handlers or _PyHandlers(f)
        if handlers.protocol(cls) in (None, "HTTP/1.0"):
            continue
        line = f.report(assign).line
        if any(f.report(c).line > line for c in _py_method_calls(method, RECOMPUTE)):
            continue
        if _py_sends_close_header(f, method) or _py_mirrors(f, assign):
            continue
        context = py_close_context(f, assign)
        code = "self.close_connection = True"
        fix = None
        removable = severity_for(context, Severity.ERROR) == Severity.ERROR and len(assign.targets) == 1
        if removable and stdlib_response_framed(f, outer) and handler_has_timeout(f, cls):
            edit = f.delete_statement(assign)
            start, end = f.span(assign)
            title = f"Remove `{' '.join(f.source_text[start:end].split())}`"
            fix = Fix(title, (edit,), safe=True) if edit is not None else None
        if context is None and outer.name.value in EVERY_RESPONSE_METHODS:
            message = (
                f"`{code}` in `{outer.name.value}` runs for every response of this handler: {EFFECTS['stdlib']}; "
                f"{REMEDIES['stdlib']}."
            )
            yield f.report(assign, message=message, fix=fix)
            continue
        severity = severity_for(context, Severity.ERROR)
        yield f.report(assign, message=_message(code, context, "stdlib"), severity=severity, fix=fix)


@RULE.python("force_close", "close_connection")
def check_python(f: PythonFile) -> Iterator[Hit]:
    yield from _py_force_close(f)
    yield from _py_close_connection(f)
