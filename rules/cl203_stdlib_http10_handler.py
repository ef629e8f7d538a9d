"""CL203 stdlib-http10-handler

## What it does
Flags an `http.server` request handler (a subclass of `BaseHTTPRequestHandler` or
`SimpleHTTPRequestHandler`, directly or through classes in the same file; the Python 2 and `six.moves`
names count too) that never enables HTTP/1.1: no `protocol_version` in its class body or in an in-file
base, no later `Handler.protocol_version = ...` and no `http.server.test(Handler, protocol=...)` in the
file. Such a handler keeps the library default `protocol_version = "HTTP/1.0"`. The class name is reported.
When every server the file builds with the handler is single-threaded (`HTTPServer`, `TCPServer`, or an
in-file subclass without `ThreadingMixIn`), the finding is a note: there a kept-alive connection would
block every other client, so the server must become a `ThreadingHTTPServer` first.

The rule stays quiet when HTTP/1.1 may be enabled where it cannot see: a base class from another module
(other than `http.server`), a decorator from another module or a metaclass, a `protocol_version` set in a
method (`self.protocol_version`, `cls.protocol_version` in `__init_subclass__`), a property, a conditional
class attribute, an assignment on a library class or a server's `RequestHandlerClass`, or an assignment
through a parameter or variable (`handler_class.protocol_version = ...`, as werkzeug's `serving.py` does)
for any class the variable could hold: one named anywhere but as a base, an attribute owner, a constructor
call or the handler argument of a `socketserver` server. A base class that only serves as a base is
reported once for all its subclasses, unless one of them sets `protocol_version` (then the others are
reported); a subclass is not reported again when an in-file base of it is. Not reported either: handlers
that keep the connection open by hand (`self.close_connection = False`, `send_header("Connection",
"keep-alive")`), a `handle()` override that serves one request without `super().handle()`, handlers that
stream close-delimited bodies (writes to `wfile` in a loop and no `Content-Length` anywhere), handlers
whose servers only ever answer one request (`srv.handle_request()` outside a loop and no `serve_forever()`,
e.g. an OAuth redirect catcher), and `CGIHTTPRequestHandler` subclasses (CGI output carries no
`Content-Length`, so HTTP/1.1 would leave clients waiting for the end of the body; each request forks a
process anyway). An explicit `protocol_version = "HTTP/1.0"` is CL201's.

Test servers are linted (the rule is server-side and not exempt under `ignore-tests`).

## Why is this bad?
With HTTP/1.0, `BaseHTTPRequestHandler` closes the connection after every response (unless the client
asked for HTTP/1.0 keep-alive, which modern clients do not). Every request pays a new TCP (and TLS)
handshake, and the server, closing first, keeps a TIME_WAIT socket for 60 s per request. HTTP/1.1 keeps
the connection open, but then the client can only find the end of a response from its `Content-Length`
(or chunked `Transfer-Encoding`): a body without one leaves the client waiting until the connection
closes. `SimpleHTTPRequestHandler` and `send_error` already send `Content-Length`.

## Example
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

Use instead:

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 60  # bound idle keep-alive connections (CL301)
        disable_nagle_algorithm = True  # see below

        def do_GET(self):
            body = b"ok"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

On a kept-alive connection, http.server writes the headers and the body in two sends; with Nagle's
algorithm on, the body then waits for the client's delayed ACK (about 40 ms per request, measured in
`bench/timewait.py`). `disable_nagle_algorithm = True` (TCP_NODELAY) avoids that stall.

## Fix
Unsafe: `protocol_version = "HTTP/1.1"` and `timeout = 60` (the latter unless the handler has a timeout)
become the first statements of the class body, after its docstring. HTTP/1.1 keep-alive needs a
`Content-Length` (or chunked encoding) on every response, or clients wait for the connection to close, so the
fix is not offered when the handler or an in-file subclass builds responses itself (`end_headers()`,
`wfile.write`) and never sends a `Content-Length`; nor for the single-threaded notes (switch the server
first) or a one-line class body.

## References
- Python `http.server.BaseHTTPRequestHandler.protocol_version` ("you must then include an accurate
  Content-Length header")
- RFC 9112 section 9.3 (persistent connections) and section 6.3 (message body length)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import libcst as cst

from connlint.findings import Fix, Hit, Severity
from connlint.frontends.python import PythonFile, dotted
from connlint.registry import Rule

from ._http import is_connection
from ._py import param_names, target_names, walk
from ._py_handlers import HANDLER_BASES, Handlers, default_timeout_set, insert_class_attributes, is_http10

RULE = Rule(
    "CL203",
    "stdlib-http10-handler",
    Severity.WARNING,
    __doc__,
    "This `http.server` handler keeps the default `protocol_version = \"HTTP/1.0\"`, so it closes the "
    "connection after every response (a new TCP/TLS handshake and a server TIME_WAIT socket per request); set "
    "`protocol_version = \"HTTP/1.1\"` with a `timeout`, serve it from a threading server, and send a "
    "`Content-Length` (or chunked encoding) on every response.",
)

MSG = (
    "`{cls}` keeps http.server's default `protocol_version = \"HTTP/1.0\"`, so it closes the connection "
    "after every response (a new TCP/TLS handshake and a server TIME_WAIT socket per request); set "
    "`protocol_version = \"HTTP/1.1\"` with a `timeout`, serve it from a threading server, and send a "
    "`Content-Length` (or chunked encoding) on every response."
)
MSG_SINGLE_THREADED = (
    "`{cls}` keeps http.server's default `protocol_version = \"HTTP/1.0\"`, so it closes the connection "
    "after every response, but `{server}` serves one connection at a time, where a kept-alive connection "
    "would block every other client; switch to `ThreadingHTTPServer`, then set `protocol_version = "
    "\"HTTP/1.1\"` with a `timeout` and send a `Content-Length` on every response."
)

HTTP_SERVER = "http.server"
# Old spellings of the http.server handlers: Python 2 modules and their six.moves aliases.
LEGACY_MODULES = ("BaseHTTPServer", "SimpleHTTPServer", "CGIHTTPServer")
CGI_BASE = "http.server.CGIHTTPRequestHandler"
HTTP11, TIMEOUT_SECONDS = "HTTP/1.1", 60  # what the fix sets
# test(HandlerClass, ServerClass, protocol="HTTP/1.0", ...) sets `HandlerClass.protocol_version = protocol`.
TEST_FUNCTIONS = {"http.server.test", "BaseHTTPServer.test", "six.moves.BaseHTTPServer.test"}


def _normalise(qualname: str | None) -> str | None:
    """`six.moves.BaseHTTPServer.BaseHTTPRequestHandler` / `BaseHTTPServer.X` -> `http.server.X`."""
    if qualname is None:
        return None
    name = qualname.removeprefix("six.moves.")
    module, _, member = name.rpartition(".")
    if module in LEGACY_MODULES and f"{HTTP_SERVER}.{member}" in HANDLER_BASES:
        return f"{HTTP_SERVER}.{member}"
    return qualname


class _Handlers(Handlers):
    """The shared handler-class model, with legacy spellings of the library bases resolved."""

    def bases(self, cls: cst.ClassDef) -> list[cst.ClassDef | str | None]:
        return [_normalise(b) if isinstance(b, str) else b for b in super().bases(cls)]


def _own_nodes(cls: cst.ClassDef) -> Iterator[cst.CSTNode]:
    """Nodes of the class body, methods included, nested classes excluded."""
    stack: list[cst.CSTNode] = list(cls.body.children)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, cst.ClassDef):
            stack.extend(node.children)


def _class_scope_nodes(cls: cst.ClassDef) -> Iterator[cst.CSTNode]:
    """Nodes that run in the class body itself (conditionals included, methods and nested classes not)."""
    stack: list[cst.CSTNode] = list(cls.body.children)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (cst.ClassDef, cst.FunctionDef, cst.Lambda)):
            stack.extend(node.children)


def _targets(node: cst.CSTNode) -> list[cst.BaseExpression]:
    if isinstance(node, cst.Assign):
        return [t.target for t in node.targets]
    if isinstance(node, (cst.AnnAssign, cst.AugAssign)):
        return [node.target]
    return []


def _names_protocol_version(cls: cst.ClassDef) -> bool:
    """`protocol_version` bound in the class body in a way the handler model does not read: a property or
    method, a conditional or tuple assignment, an `if`/`try` block."""
    for node in _class_scope_nodes(cls):
        if isinstance(node, cst.FunctionDef) and node.name.value == "protocol_version":
            return True
        for target in _targets(node):
            for sub in walk(target):
                if isinstance(sub, cst.Name) and sub.value == "protocol_version":
                    return True
    return False


# socketserver servers that take a request handler class; THREADED serve clients concurrently.
THREADED = {
    "http.server.ThreadingHTTPServer", "socketserver.ThreadingTCPServer", "socketserver.ForkingTCPServer",
    "socketserver.ThreadingUnixStreamServer", "socketserver.ForkingUnixStreamServer",
    "socketserver.ThreadingMixIn", "socketserver.ForkingMixIn", "SocketServer.ThreadingMixIn",
    "SocketServer.ForkingMixIn", "SocketServer.ThreadingTCPServer", "SocketServer.ForkingTCPServer",
}
SERVERS = THREADED | {
    "http.server.HTTPServer", "socketserver.TCPServer", "socketserver.UnixStreamServer",
    "BaseHTTPServer.HTTPServer", "SocketServer.TCPServer", "SocketServer.UnixStreamServer",
}
# Calls that take a handler class without setting attributes on it.
SAFE_SINKS = SERVERS | {"functools.partial", "isinstance", "issubclass", "super"}
HARMLESS_DECORATORS = {"typing.final", "typing_extensions.final", "final", "functools.total_ordering"}


class _Settings:
    """Where the file sets `protocol_version` (to anything but a literal "HTTP/1.0") outside class bodies."""

    def __init__(self, f: PythonFile, handlers: _Handlers) -> None:
        self.f = f
        self.handlers = handlers
        self.everything = False  # on a library class or a server's `RequestHandlerClass`: every handler
        self.variable = False  # through a variable or parameter: any handler class that escapes
        self.classes: set[int] = set()  # ids of in-file classes it is set on
        for node in (*f.nodes(cst.Assign), *f.nodes(cst.AnnAssign), *f.nodes(cst.AugAssign)):
            value = getattr(node, "value", None)
            for target in _targets(node):
                if isinstance(target, cst.Attribute) and target.attr.value == "protocol_version":
                    self._receiver(target.value, value, node)
        for call in f.nodes(cst.Call):
            callee = f.callee(call)
            if callee == "setattr" and f.string_value(f.arg(call, None, 1)) == "protocol_version":
                self._receiver(f.arg(call, None, 0), f.arg(call, None, 2), call)
            elif callee in TEST_FUNCTIONS:
                protocol = f.arg(call, "protocol", 2)
                if protocol is not None:
                    self._receiver(f.arg(call, "HandlerClass", 0), protocol, call)

    def _receiver(self, expr: cst.BaseExpression | None, value: cst.BaseExpression | None, at: cst.CSTNode) -> None:
        f = self.f
        if value is not None and is_http10(f, value):
            return  # still HTTP/1.0 (CL201 reports it on a handler class)
        if isinstance(expr, cst.Call) and f.callee(expr) == "type":  # type(self).protocol_version = ...
            expr = f.arg(expr, None, 0)
        if expr is None:  # http.server.test() on its default, BaseHTTPRequestHandler itself
            self.everything = True
        elif isinstance(expr, cst.Name):
            self._name(expr.value, at, 0)
        elif isinstance(expr, cst.Attribute) and expr.attr.value != "RequestHandlerClass" and _normalise(
            f.qualname(expr)
        ) not in HANDLER_BASES:
            self.variable = True  # `self.handler_class.protocol_version`: a class stored somewhere
        else:
            self.everything = True

    def _name(self, name: str, at: cst.CSTNode, depth: int) -> None:
        f = self.f
        functions = [a for a in f.ancestors(at) if isinstance(a, (cst.FunctionDef, cst.Lambda))]
        if name in ("self", "cls") and functions and isinstance(functions[0], cst.FunctionDef):
            owner = f.enclosing_class(functions[0])
            if owner is not None:
                self.classes.add(id(owner))
                return
        if depth > 3:
            self.variable = True
            return
        for scope in (*functions, f.module):
            if isinstance(scope, (cst.FunctionDef, cst.Lambda)) and name in param_names(scope):
                self.variable = True
                return
            values = _bindings(f, name, scope)
            if values:
                for value in values:
                    items = value.elements if isinstance(value, (cst.Tuple, cst.List, cst.Set)) else None
                    for item in [e.value for e in items] if items is not None else [value]:
                        if isinstance(item, cst.Name):
                            self._name(item.value, at, depth + 1)
                        else:
                            self.variable = True
                return
        local = self.handlers.lookup(name, at)
        if local is not None:
            self.classes.add(id(local))
        elif _normalise(f.qualname(cst.Name(name))) in HANDLER_BASES:
            self.everything = True
        elif name not in f.imports:
            self.variable = True
        # else a class from another module: in-file subclasses of it are unknown to the rule anyway

    def escapes(self, cls: cst.ClassDef) -> bool:
        """Can the class reach a variable: named anywhere but as a base, a call, an attribute owner or
        an argument of a server constructor, or decorated by an in-file decorator?"""
        f = self.f
        if cls.decorators:
            return True
        for name in f.nodes(cst.Name):
            if name.value != cls.name.value or name is cls.name:
                continue
            parent = f.parent(name)
            if isinstance(parent, cst.Attribute) and parent.attr is name:
                continue  # `x.Handler`: another object's attribute
            if isinstance(parent, (cst.Param, cst.FunctionDef, cst.ClassDef, cst.ImportAlias, cst.AsName)):
                continue
            if self.handlers.lookup(name.value, name) is not cls:
                continue
            if isinstance(parent, cst.Attribute) and parent.value is name:
                continue  # `Handler.timeout = 5`, `Handler.log_message`
            if isinstance(parent, cst.Call) and parent.func is name:
                continue  # an instance
            if isinstance(parent, cst.Arg):
                holder = f.parent(parent)
                if isinstance(holder, cst.ClassDef):
                    continue  # a base
                if isinstance(holder, cst.Call) and (
                    f.callee(holder) in SAFE_SINKS or _server_kind(f, self.handlers, holder.func, holder) is not None
                ):
                    continue
            return True
        return False


def _bindings(f: PythonFile, name: str, scope: cst.CSTNode) -> list[cst.BaseExpression]:
    """Values bound to `name` in a function (or the module): assignments and `for name in ...` iterables."""
    values: list[cst.BaseExpression] = []
    for node in (*f.nodes(cst.Assign), *f.nodes(cst.AnnAssign), *f.nodes(cst.For), *f.nodes(cst.With)):
        if (f.enclosing_function(node) or f.module) is not scope:
            continue
        if isinstance(node, cst.Assign):
            values.extend(node.value for t in node.targets if isinstance(t.target, cst.Name) and t.target.value == name)
            if any(not isinstance(t.target, cst.Name) and name in target_names(t.target) for t in node.targets):
                values.append(cst.Ellipsis())  # unpacked: unknown
        elif isinstance(node, cst.AnnAssign):
            if isinstance(node.target, cst.Name) and node.target.value == name and node.value is not None:
                values.append(node.value)
        elif isinstance(node, cst.For):
            if isinstance(node.target, cst.Name) and node.target.value == name:
                values.append(node.iter)
            elif name in target_names(node.target):
                values.append(cst.Ellipsis())
        else:
            if any(item.asname is not None and name in target_names(item.asname.name) for item in node.items):
                values.append(cst.Ellipsis())
    return values


def _foreign_hooks(f: PythonFile, handlers: _Handlers, cls: cst.ClassDef) -> bool:
    """A decorator not defined in this file, or a metaclass keyword."""
    if any(a.keyword is not None and a.keyword.value == "metaclass" for a in cls.bases):
        return True
    for decorator in cls.decorators:
        expr = decorator.decorator
        expr = expr.func if isinstance(expr, cst.Call) else expr
        if f.qualname(expr) in HARMLESS_DECORATORS:
            continue
        if not (isinstance(expr, cst.Name) and _defined_here(f, expr.value)):
            return True
    return False


def _defined_here(f: PythonFile, name: str) -> bool:
    return name not in f.imports and any(d.name.value == name for d in f.nodes(cst.FunctionDef))


def _keeps_alive_by_hand(f: PythonFile, cls: cst.ClassDef) -> bool:
    """`self.close_connection = False` or `send_header("Connection", "keep-alive")`: the handler overrides
    the HTTP/1.0 close itself."""
    for node in _own_nodes(cls):
        for target in _targets(node):
            if isinstance(target, cst.Attribute) and target.attr.value == "close_connection":
                value = node.value  # type: ignore[union-attr]
                if f.bool_value(value) is not True and f.number_value(value) != 1.0:
                    return True
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "send_header":
            name, value = f.string_value(f.arg(node, "keyword", 0)), f.string_value(f.arg(node, "value", 1))
            if is_connection(name) and value is not None and "keep-alive" in value.lower():
                return True
    return False


def _sends_content_length(f: PythonFile, cls: cst.ClassDef) -> bool:
    """A "Content-Length" string that is not a lookup in the request's headers."""
    for node in _own_nodes(cls):
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            value = f.string_value(node)
            if value is not None and value.lower() == "content-length" and not _reads_header(f, node):
                return True
    return False


def _reads_header(f: PythonFile, node: cst.CSTNode) -> bool:
    """`self.headers["Content-Length"]`, `self.headers.get("Content-Length")`."""
    parent = f.parent(node)
    if isinstance(parent, cst.Index):
        sub = f.parent(f.parent(parent))  # Index -> SubscriptElement -> Subscript
        return isinstance(sub, cst.Subscript) and (dotted(sub.value) or "").endswith("headers")
    if isinstance(parent, cst.Arg):
        call = f.parent(parent)
        func = call.func if isinstance(call, cst.Call) else None
        return isinstance(func, cst.Attribute) and func.attr.value in ("get", "get_all") and (
            dotted(func.value) or ""
        ).endswith("headers")
    return False


def _streams(cls: cst.ClassDef) -> bool:
    """`self.wfile.write(...)` (or `.flush()`) inside a loop: a body of unknown length."""
    for node in _own_nodes(cls):
        if isinstance(node, (cst.For, cst.While)):
            for sub in walk(node.body):
                if isinstance(sub, cst.Call) and isinstance(sub.func, cst.Attribute):
                    receiver = dotted(sub.func.value) or ""
                    if sub.func.attr.value in ("write", "flush", "writelines") and receiver.endswith("wfile"):
                        return True
    return False


def _writes_response(cls: cst.ClassDef) -> bool:
    """`end_headers()` or `self.wfile.write(...)` in the class: it builds responses itself (unlike
    `send_error` and `SimpleHTTPRequestHandler`, which send a `Content-Length`)."""
    for node in _own_nodes(cls):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            method = node.func.attr.value
            if method == "end_headers":
                return True
            if method in ("write", "writelines") and (dotted(node.func.value) or "").endswith("wfile"):
                return True
    return False


@dataclass
class _ServerUse:
    call: cst.Call  # the server constructor given the handler class
    name: str  # the server class as written
    threaded: bool
    answers_once: bool


def _server_kind(f: PythonFile, handlers: _Handlers, server: cst.BaseExpression, at: cst.CSTNode) -> bool | None:
    """None when `server` is not a socketserver server class; else whether it serves clients concurrently."""
    callee = f.qualname(server)
    if callee in SERVERS:
        return callee in THREADED
    if isinstance(server, cst.Name):
        cls = handlers.lookup(server.value, at)
        if cls is not None:
            bases = [k for k in handlers.mro(cls) if isinstance(k, str)]
            if any(b in SERVERS for b in bases):
                return any(b in THREADED for b in bases)
    return None


def _server_uses(f: PythonFile, handlers: _Handlers) -> dict[int, list[_ServerUse]]:
    """Per in-file class: the servers built with it as their request handler class."""
    uses: dict[int, list[_ServerUse]] = {}
    for call in f.nodes(cst.Call):
        func = call.func
        init = isinstance(func, cst.Attribute) and func.attr.value == "__init__"  # HTTPServer.__init__(self, ...)
        handler = f.arg(call, "RequestHandlerClass", 2 if init else 1)
        if not isinstance(handler, cst.Name):
            continue
        cls = handlers.lookup(handler.value, call)
        if cls is None:
            continue
        server = func.value if init else func  # type: ignore[union-attr]
        threaded = _server_kind(f, handlers, server, call)
        if threaded is not None:
            name = dotted(server) or "server"
            uses.setdefault(id(cls), []).append(_ServerUse(call, name, threaded, _answers_once(f, call)))
    return uses


def _answers_once(f: PythonFile, server: cst.Call) -> bool:
    """The server is bound to a name whose only serving call is one `handle_request()` outside a loop."""
    parent = f.parent(server)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name):
        var = parent.targets[0].target.value
    elif isinstance(parent, cst.WithItem) and parent.asname is not None and isinstance(parent.asname.name, cst.Name):
        var = parent.asname.name.value
    else:
        return False
    scope = f.enclosing_function(server) or f.module
    once = False
    for call in f.nodes(cst.Call):
        func = call.func
        if not (isinstance(func, cst.Attribute) and dotted(func.value) == var):
            continue
        if not _within(f, call, scope):
            continue  # another function's variable of the same name
        if func.attr.value == "handle_request":
            if f.in_loop(call):
                return False
            once = True
        elif func.attr.value.startswith("serve"):
            return False
    for attr in f.nodes(cst.Attribute):  # `target=srv.serve_forever` passed to a thread
        if dotted(attr.value) == var and attr.attr.value.startswith("serve") and _within(f, attr, scope):
            return False
    return once


def _within(f: PythonFile, node: cst.CSTNode, scope: cst.CSTNode) -> bool:
    """Can `node` see `scope`'s variables: it is in the function or a closure in it (module: anywhere)?"""
    return scope is f.module or any(a is scope for a in f.ancestors(node))


@RULE.python("httprequesthandler")
def check_python(f: PythonFile) -> Iterator[Hit]:
    handlers = _Handlers(f)
    if not handlers.classes:
        return
    settings = _Settings(f, handlers)
    if settings.everything:
        return
    servers = _server_uses(f, handlers)

    def in_file(cls: cst.ClassDef) -> list[cst.ClassDef]:
        return [k for k in handlers.mro(cls) if isinstance(k, cst.ClassDef)]

    def http10(cls: cst.ClassDef) -> bool:
        """The handler serves HTTP/1.0 with the library default, and would keep connections with HTTP/1.1."""
        base = handlers.library_base(cls)
        if base is None or base not in HANDLER_BASES or base == CGI_BASE:
            return False
        if handlers.attr(cls, "protocol_version") != "default":
            return False  # set (HTTP/1.1, or HTTP/1.0 for CL201), or maybe set by a base from elsewhere
        uses = servers.get(id(cls), [])
        if uses and all(u.answers_once for u in uses):
            return False  # never more than one request: nothing to reuse
        mine = in_file(cls)
        if any(_names_protocol_version(k) or id(k) in settings.classes for k in mine):
            return False
        if any(_foreign_hooks(f, handlers, k) for k in mine):
            return False  # a decorator or metaclass from elsewhere may set it
        if settings.variable and any(settings.escapes(k) for k in mine):
            return False  # the class may reach `handler_class.protocol_version = ...`
        if not handlers.loops_over_requests(cls, base):
            return False
        if any(_keeps_alive_by_hand(f, k) for k in mine):
            return False
        return not (any(_streams(k) for k in mine) and not any(_sends_content_length(f, k) for k in mine))

    subclasses: dict[int, list[cst.ClassDef]] = {}
    for cls in handlers.classes:
        for base in handlers.bases(cls):
            if isinstance(base, cst.ClassDef):
                subclasses.setdefault(id(base), []).append(cls)

    def descendants(cls: cst.ClassDef, seen: set[int]) -> Iterator[cst.ClassDef]:
        for sub in subclasses.get(id(cls), ()):
            if id(sub) not in seen:
                seen.add(id(sub))
                yield sub
                yield from descendants(sub, seen)

    verdicts: dict[int, bool] = {}

    def reported(cls: cst.ClassDef) -> bool:
        if id(cls) in verdicts:
            return verdicts[id(cls)]
        verdicts[id(cls)] = False  # guards against inheritance cycles
        verdict = http10(cls)
        if verdict and any(reported(k) for k in in_file(cls)[1:]):
            verdict = False  # the base's finding covers it
        if verdict and handlers.referenced_only_as_base(cls):
            # An abstract base: report it only when none of its subclasses enables HTTP/1.1 (or may).
            verdict = all(http10(sub) for sub in descendants(cls, {id(cls)}))
        verdicts[id(cls)] = verdict
        return verdict

    for cls in handlers.classes:
        if not reported(cls):
            continue
        uses = servers.get(id(cls), [])
        if uses and not any(u.threaded for u in uses):
            message = MSG_SINGLE_THREADED.format(cls=cls.name.value, server=uses[0].name)
            yield f.report(cls.name, message=message, severity=Severity.NOTE)
        else:
            yield f.report(cls.name, message=MSG.format(cls=cls.name.value), fix=_fix(f, handlers, cls))


def _fix(f: PythonFile, handlers: _Handlers, cls: cst.ClassDef) -> Fix | None:
    """Unsafe: `protocol_version = "HTTP/1.1"` (and `timeout = 60` unless the handler has a timeout) at the
    top of the class body. Not offered for a single-threaded server, where keep-alive blocks other clients,
    nor when the handler (or an in-file subclass) builds responses itself and never sends a
    `Content-Length`: on HTTP/1.1 its clients would then wait for the connection to close."""
    for sub in handlers.classes:  # the class and its in-file subclasses, which inherit the setting
        mine = [k for k in handlers.mro(sub) if isinstance(k, cst.ClassDef)]
        if not any(k is cls for k in mine):
            continue
        if any(_writes_response(k) for k in mine) and not any(_sends_content_length(f, k) for k in mine):
            return None
    lines = [f'protocol_version = "{HTTP11}"']
    if handlers.attr(cls, "timeout") == "default" and not (
        handlers.sets_timeout_in_methods(cls) or default_timeout_set(f)
    ):
        lines.append(f"timeout = {TIMEOUT_SECONDS}")
    edit = insert_class_attributes(f, cls, lines)
    if edit is None:
        return None
    return Fix(
        f"Set {' and '.join(f'`{line}`' for line in lines)}: HTTP/1.1 keep-alive needs a `Content-Length` "
        "(or chunked encoding) on every response, or clients wait for the connection to close",
        (edit,),
        safe=False,
    )
