"""CL201 server-keepalive-disabled

## What it does
Flags servers configured to close every connection after one response. Go:
`srv.SetKeepAlivesEnabled(false)` (any receiver, `false` possibly a constant) unless it is on a shutdown
path, fasthttp `fasthttp.Server{DisableKeepalive: true}` and `MaxRequestsPerConn: 1`, fiber
`fiber.Config{DisableKeepalive: true}` (also the same fields assigned at run time). Python: a
`BaseHTTPRequestHandler` / `SimpleHTTPRequestHandler` / `CGIHTTPRequestHandler` subclass (or werkzeug's or
Django's `WSGIRequestHandler`) setting `protocol_version = "HTTP/1.0"`; uvicorn `run()` / `Config()` with
`timeout_keep_alive=0`; `keepalive = 0` in a gunicorn config file (`gunicorn.conf.py`, `*gunicorn*conf*.py`)
or in a gunicorn options dict; aiohttp `web.run_app` / `web.AppRunner` / `web.Server` with
`keepalive_timeout=0`; Tornado `HTTPServer(..., no_keep_alive=True)` and `app.listen(..., no_keep_alive=True)`;
hypercorn `keep_alive_timeout = 0` or `keep_alive_max_requests = 1` (on a `Config`, in `Config.from_mapping`
or in a hypercorn config file); Sanic `app.config.KEEP_ALIVE = False`.

`SetKeepAlivesEnabled(false)` (and a run-time `DisableKeepalive = true`) is correct while shutting down, so
it is not reported when the same function then calls `Shutdown`/`Close` on the same server, when the
function (or the closure it sits in) is named like a shutdown hook (`Shutdown`, `stop`, `drain`,
`gracefulStop`, `onSignal`...), or when it runs after a receive from `ctx.Done()` or a signal channel, or
in a branch on a signal.

## Why is this bad?
Every request then pays a new TCP (and TLS) handshake, and the server, being the side that closes first,
keeps a TIME_WAIT socket for 60 s per request; under load that is tens of thousands of sockets, exhausted
ports and added latency on every call. Keep-alive costs little: idle connections are bounded by the
server's idle timeout.

## Example
    srv := &http.Server{Addr: ":8080", Handler: mux}
    srv.SetKeepAlivesEnabled(false)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

    uvicorn.run(app, timeout_keep_alive=0)

Use instead: leave keep-alive on and bound idle connections with an idle timeout: Go
`http.Server{IdleTimeout: 90 * time.Second}` (fasthttp/fiber `IdleTimeout`), `protocol_version =
"HTTP/1.1"` with a `Content-Length` and a handler `timeout`, uvicorn `timeout_keep_alive=5`, gunicorn
`keepalive = 2`, aiohttp `keepalive_timeout=75`, Tornado `idle_connection_timeout=...`, hypercorn
`keep_alive_timeout = 5`. Call `SetKeepAlivesEnabled(false)` only when shutting down.

## Fix
Safe: `SetKeepAlivesEnabled(false)` (never reported on a shutdown path) and the fasthttp/fiber
`DisableKeepalive = true` / `MaxRequestsPerConn = 1` statements are removed, and so are the `DisableKeepalive:
true` / `MaxRequestsPerConn: 1` fields (the remaining fields realigned as gofmt does) and Tornado's
`no_keep_alive=True` (a positional `True` followed by more positionals becomes `False`). A zero timeout becomes
the server's own default, as its source sets it: uvicorn `timeout_keep_alive=5`, gunicorn `keepalive = 2`,
hypercorn `keep_alive_timeout = 5` and `keep_alive_max_requests = 1000`, aiohttp `keepalive_timeout=75` for
`web.run_app` and `3630` for `AppRunner`/`Server`; Sanic's `KEEP_ALIVE = False` becomes `True`. Not fixed:
`protocol_version = "HTTP/1.0"` (HTTP/1.1 needs a `Content-Length` or chunking on every response, which only a
person can check), a statement sharing its line, a removal that would leave a Go variable or import unused, and
an assignment to several targets.

## References
- Go net/http `Server.SetKeepAlivesEnabled` and `Server.IdleTimeout`; fasthttp `Server.DisableKeepalive`
- Python `http.server.BaseHTTPRequestHandler.protocol_version`; uvicorn `--timeout-keep-alive`;
  gunicorn `keepalive`; aiohttp `keepalive_timeout`; Tornado `HTTPServer(no_keep_alive=...)`;
  hypercorn `keep_alive_timeout`
- RFC 9112 section 9.3 (persistent connections)
"""

from __future__ import annotations

import fnmatch
import re
from typing import Iterator

import libcst as cst

from connlint.findings import Edit, Fix, Hit, Severity
from connlint.frontends.go import GoFile
from connlint.frontends.python import PythonFile, dotted
from connlint.registry import Rule

from ._go import (
    COMPOSITE_LITERALS,
    FASTHTTP,
    FIBER,
    METHOD_CALLS,
    go_delete_element,
    go_delete_statement,
    node_key,
    within,
)
from ._paths import words
from ._py import imports_any, keyword_arg
from ._py_handlers import is_http10

RULE = Rule(
    "CL201",
    "server-keepalive-disabled",
    Severity.ERROR,
    __doc__,
    "Server keep-alive is disabled, so it closes every connection after one response (a new TCP/TLS "
    "handshake per request, a TIME_WAIT socket per request on the server); leave keep-alive on and bound "
    "idle connections with an idle timeout instead.",
)

# ---- Go ------------------------------------------------------------------------------------

# (import path, type) of the config structs whose fields disable keep-alive, and the package that defines
# each type (for code inside that package, which names it unqualified).
GO_CONFIG_TYPES = {(FASTHTTP, "Server"): "fasthttp", (FIBER, "Config"): "fiber"}

GO_FIELD_ASSIGNS = """
(assignment_statement
  left: (expression_list . (selector_expression operand: (_) @recv field: (field_identifier) @field) .)
  right: (expression_list . (_) @value .)) @assign
"""
GO_RECEIVES = '(unary_expression operator: "<-" operand: (_) @chan) @recv'
GO_RANGES = "(for_statement (range_clause right: (_) @chan) body: (block) @body)"
GO_NOTIFY = "(call_expression function: (_) @fn arguments: (argument_list . (_) @chan)) @call"
GO_SIGNAL_CHANS = """
(short_var_declaration
  left: (expression_list . (identifier) @name .)
  right: (expression_list . (call_expression arguments: (argument_list . (channel_type value: (_) @elem)))))
(var_spec name: (identifier) @name type: (channel_type value: (_) @elem))
"""

SHUTDOWN_METHODS = re.compile(r"^(Shutdown\w*|Close|Stop|GracefulStop|GracefulShutdown)$")
SERVE_METHODS = re.compile(r"^(ListenAndServe\w*|Serve\w*|Listen\w*|Start\w*|Run\w*)$")
# Words of a function (or closure variable) name that mark a shutdown path.
HOOK_WORDS = {
    "shutdown", "shutting", "stop", "stopping", "stopped", "drain", "draining", "close", "closing",
    "graceful", "gracefully", "signal", "signals", "sigterm", "sigint", "sighup", "terminate",
    "terminating", "termination", "quit", "teardown", "halt", "cleanup", "exit", "exiting", "kill",
    "finalize", "finalise", "dispose", "destroy", "interrupt", "interrupted",
}
# Words that mark a function that starts or runs a server, even if it also shuts it down later:
# `runWithGracefulShutdown`, `serveUntilSignal`, `setupSignals`.
START_WORDS = {
    "run", "running", "serve", "serving", "start", "starting", "listen", "listening", "main", "new", "init",
    "setup", "create", "open", "launch", "boot", "configure", "build",
}
# Channel names that carry a shutdown signal: `<-quit`, `<-sigCh`, `<-stopCh`, `<-done`.
SIGNAL_CHANNEL_WORDS = HOOK_WORDS | {"sig", "sigs", "sigch", "sigchan", "done", "term", "shut", "cancel"}
SIGNAL_PACKAGES = ("os", "syscall", "golang.org/x/sys/unix", "os/signal")


def _hook_name(name: str) -> bool:
    """`Shutdown`, `gracefulStop`, `onSignal`, `drainConns`; not `runWithGracefulShutdown`."""
    parts = words(name)
    pairs = {a + b for a, b in zip(parts, parts[1:])}  # ShutDown, tearDown, cleanUp
    if START_WORDS.intersection(parts) or START_WORDS.intersection(pairs):
        return False
    return bool(HOOK_WORDS.intersection(parts) or HOOK_WORDS.intersection(pairs))


class _GoShutdownPaths:
    """Knows when a statement runs while the server is shutting down."""

    def __init__(self, f: GoFile) -> None:
        self.f = f
        notified = set()
        for m in f.matches(GO_NOTIFY):
            if f.selector(m["fn"]) in (("os/signal", "Notify"), ("os/signal", "NotifyContext")):
                notified.add(f.text(m["chan"]))
        for m in f.matches(GO_SIGNAL_CHANS):
            if f.selector(m["elem"]) == ("os", "Signal"):
                notified.add(f.text(m["name"]))
        self.signal_channels = notified
        self.receives = [m for m in f.matches(GO_RECEIVES) if self._signal_channel(m["chan"])]
        self.ranges = [m for m in f.matches(GO_RANGES) if self._signal_channel(m["chan"])]
        self.method_calls = f.matches(METHOD_CALLS)

    def _signal_channel(self, chan) -> bool:
        f = self.f
        if f.text(chan) in self.signal_channels:
            return True
        if chan.type == "call_expression":  # ctx.Done(), r.Context().Done()
            func = chan.child_by_field_name("function")
            return func is not None and func.type == "selector_expression" and f.text(
                func.child_by_field_name("field")
            ) == "Done"
        if chan.type == "selector_expression":
            chan = chan.child_by_field_name("field")
        if chan is None or chan.type not in ("identifier", "field_identifier"):
            return False
        parts = words(f.text(chan))
        return bool(SIGNAL_CHANNEL_WORDS.intersection(parts)) or "".join(parts) in SIGNAL_CHANNEL_WORDS

    def _hook_literal(self, literal) -> bool:
        """A closure bound to a hook-like name, passed to a hook registration, or deferred."""
        f = self.f
        parent = literal.parent
        if parent is None:
            return False
        if parent.type == "call_expression" and parent.parent is not None and parent.parent.type == "defer_statement":
            return True  # defer func() { ... }(): runs as the function exits
        if parent.type == "argument_list" and parent.parent is not None:
            func = parent.parent.child_by_field_name("function")
            if func is not None and func.type == "selector_expression":
                func = func.child_by_field_name("field")
            return func is not None and _hook_name(f.text(func))  # srv.RegisterOnShutdown(func() {...})
        if parent.type == "expression_list" and parent.parent is not None:  # shutdown := func() {...}
            holder = parent.parent
            left = holder.child_by_field_name("left")
            names = left.named_children if left is not None else holder.children_by_field_name("name")
            return any(_hook_name(f.text(n)) for n in names)
        if parent.type in ("literal_element", "keyed_element"):
            element = parent if parent.type == "keyed_element" else parent.parent
            if element is not None and element.type == "keyed_element" and element.named_child_count:
                return _hook_name(f.text(element.named_children[0]))
        return False

    def _named_hook(self, node) -> bool:
        f = self.f
        func = f.enclosing_function(node)
        while func is not None:
            if func.type != "func_literal":
                return _hook_name(f.function_name(func))
            if self._hook_literal(func):
                return True
            func = f.enclosing_function(func)
        return False

    def _after_signal(self, node, func) -> bool:
        for m in self.receives:
            recv = m["recv"]
            if recv.end_byte > node.start_byte:
                continue
            stmt = recv
            case = None
            while stmt.parent is not None and stmt.parent.type != "statement_list":
                if stmt.type == "communication_case":
                    case = stmt
                    break
                stmt = stmt.parent
            if case is not None:  # select { case <-quit: ... }
                if within(node, case):
                    return True
                continue
            if stmt.parent is not None and within(node, stmt.parent):  # `<-quit` earlier in an enclosing block
                return True
        return any(within(node, m["body"]) for m in self.ranges)  # for range sigCh { ... }

    def _signal_selector(self, expr) -> bool:
        f = self.f
        stack = [expr]
        while stack:
            n = stack.pop()
            if n.type == "selector_expression":
                sel = f.selector(n)
                if sel and sel[0] in SIGNAL_PACKAGES and (sel[1].startswith("SIG") or sel[1] in ("Interrupt", "Kill")):
                    return True
            stack.extend(n.named_children)
        return False

    def _in_signal_branch(self, node, func) -> bool:
        for anc in self.f.ancestors(node):
            if func is not None and node_key(anc) == node_key(func):
                break
            if anc.type == "expression_case" and self._signal_selector(anc.child_by_field_name("value") or anc):
                return True
            if anc.type == "if_statement":
                body = anc.child_by_field_name("consequence")
                cond = anc.child_by_field_name("condition")
                if body is not None and cond is not None and within(node, body) and self._signal_selector(cond):
                    return True
        return False

    def _shuts_down_same_server(self, node, recv, func) -> bool:
        """`recv.Shutdown(ctx)` / `Close()` later in the same function, with no Serve call in between."""
        f = self.f
        if func is None:
            return False
        target = f.text(recv)
        serve_at = None
        for m in self.method_calls:
            call = m["call"]
            if call.start_byte < node.end_byte or not within(call, func):
                continue
            other = f.enclosing_function(call)
            if other is None or node_key(other) != node_key(func):
                continue
            name, other_recv = f.text(m["method"]), f.text(m["recv"])
            same = other_recv == target or target.startswith(other_recv + ".") or other_recv.startswith(target + ".")
            if not same:
                continue
            if SERVE_METHODS.match(name):
                serve_at = call.start_byte if serve_at is None else min(serve_at, call.start_byte)
            elif SHUTDOWN_METHODS.match(name):
                if any(a.type == "defer_statement" for a in f.ancestors(call)):
                    continue
                if serve_at is None or call.start_byte < serve_at:
                    return True
        return False

    def covers(self, node, recv=None) -> bool:
        func = self.f.enclosing_function(node)
        return (
            self._named_hook(node)
            or self._after_signal(node, func)
            or self._in_signal_branch(node, func)
            or (recv is not None and self._shuts_down_same_server(node, recv, func))
        )


def _go_config_type(f: GoFile, type_node, package: str) -> str | None:
    """'fasthttp' or 'fiber' when a composite literal's type is fasthttp.Server or fiber.Config."""
    sel = f.selector(type_node)
    if sel in GO_CONFIG_TYPES:
        return GO_CONFIG_TYPES[sel]
    if type_node.type == "type_identifier":  # inside the package itself: Server{...}
        for (path, name), pkg in GO_CONFIG_TYPES.items():
            if package == pkg and f.text(type_node) == name:
                return pkg
    return None


def _go_field_message(field: str, where: str, literal: bool) -> str:
    written = f"`{field}: " if literal else f"`{field} = "
    if field == "DisableKeepalive":
        return (
            f"{written}true` makes the {where} close every connection after one response; remove it and bound "
            "idle connections with `IdleTimeout` instead."
        )
    return (
        f"{written}1` makes the {where} close every connection after one response; remove it (or set it far "
        "above 1) and bound idle connections with `IdleTimeout` instead."
    )


def _go_disables(f: GoFile, field: str, value) -> bool:
    if field == "DisableKeepalive":
        return f.bool_value(value) is True
    if field == "MaxRequestsPerConn":
        return f.int_value(value) == 1
    return False


def _fix(edit: Edit | None, title: str) -> Fix | None:
    return Fix(title, (edit,)) if edit is not None else None


@RULE.go("keepalive", "maxrequestsperconn")
def check_go(f: GoFile) -> Iterator[Hit]:
    paths: _GoShutdownPaths | None = None
    package = f.package_name

    for m in f.matches(METHOD_CALLS):
        if f.text(m["method"]) != "SetKeepAlivesEnabled":
            continue
        args = f.call_args(m["call"])
        if len(args) != 1 or f.bool_value(args[0]) is not False:
            continue
        paths = paths or _GoShutdownPaths(f)
        if not paths.covers(m["call"], m["recv"]):
            yield f.report(
                m["call"],
                message="`SetKeepAlivesEnabled(false)` makes the server close every connection after one "
                "response; leave keep-alives on and bound idle connections with `IdleTimeout` (call it only "
                "while shutting down).",
                fix=_fix(go_delete_statement(f, m["call"]), "Remove `SetKeepAlivesEnabled(false)`"),
            )

    for m in f.matches(COMPOSITE_LITERALS):
        pkg = _go_config_type(f, m["type"], package)
        if pkg is None:
            continue
        for field, value, element in f.keyed_elements(m["lit"]):
            if field == "MaxRequestsPerConn" and pkg != "fasthttp":
                continue
            if _go_disables(f, field, value):
                where = "fasthttp server" if pkg == "fasthttp" else "fiber app"
                yield f.report(
                    element,
                    message=_go_field_message(field, where, literal=True),
                    fix=_fix(go_delete_element(f, element), f"Remove `{field}: {f.text(value)}`"),
                )

    uses = {name for name in ("fasthttp", "fiber") if package == name}
    for path in f.imports.values():
        if path.startswith(FASTHTTP):
            uses.add("fasthttp")
        elif path.startswith(FIBER):
            uses.add("fiber")
    if not uses:
        return
    for m in f.matches(GO_FIELD_ASSIGNS):
        field = f.text(m["field"])
        if field not in ("DisableKeepalive", "MaxRequestsPerConn") or not _go_disables(f, field, m["value"]):
            continue
        where = {frozenset({"fasthttp"}): "fasthttp server", frozenset({"fiber"}): "fiber app"}.get(
            frozenset(uses), "server"
        )
        paths = paths or _GoShutdownPaths(f)
        if not paths.covers(m["assign"], m["recv"]):
            yield f.report(
                m["assign"],
                message=_go_field_message(field, where, literal=False),
                fix=_fix(go_delete_statement(f, m["assign"]), f"Remove the `{field}` assignment"),
            )


# ---- Python --------------------------------------------------------------------------------

HANDLER_BASES = {
    "http.server.BaseHTTPRequestHandler",
    "http.server.SimpleHTTPRequestHandler",
    "http.server.CGIHTTPRequestHandler",
    "BaseHTTPServer.BaseHTTPRequestHandler",
    "SimpleHTTPServer.SimpleHTTPRequestHandler",
    "CGIHTTPServer.CGIHTTPRequestHandler",
    "werkzeug.serving.WSGIRequestHandler",
    "django.core.servers.basehttp.WSGIRequestHandler",
}
UVICORN = {"uvicorn.run", "uvicorn.main.run", "uvicorn.Config", "uvicorn.config.Config"}
AIOHTTP = {
    "aiohttp.web.run_app", "aiohttp.web.AppRunner", "aiohttp.web.Server",
    "aiohttp.web_runner.AppRunner", "aiohttp.web_server.Server",
}
TORNADO_SERVER = {"tornado.httpserver.HTTPServer"}
TORNADO_APPS = {"tornado.web.Application"}
HYPERCORN_CONFIG = {"hypercorn.config.Config", "hypercorn.Config"}
CONFIG_NAME = re.compile(r"conf|cfg|settings", re.I)
GUNICORN_CONFIG_FILES = ("gunicorn.conf.py", "gunicorn_config.py", "gunicorn_conf.py", "*gunicorn*conf*.py")
HYPERCORN_CONFIG_FILES = ("hypercorn.conf.py", "hypercorn_config.py", "hypercorn_conf.py", "*hypercorn*conf*.py")

MSG_HANDLER = (
    "`protocol_version = \"HTTP/1.0\"` makes the handler close every connection after one response; use "
    "\"HTTP/1.1\" (with a Content-Length on every response) and bound idle connections with the handler's "
    "`timeout` instead."
)
MSG_UVICORN = (
    "`timeout_keep_alive=0` makes uvicorn close every connection after one response; keep a positive idle "
    "timeout (the default is 5 s) instead."
)
MSG_GUNICORN = (
    "`keepalive = 0` makes gunicorn close every connection after one response; set it to a few seconds "
    "(the idle timeout for kept-alive connections) instead."
)
MSG_AIOHTTP = (
    "`keepalive_timeout=0` makes aiohttp close every connection after one response; keep a positive idle "
    "timeout (the default is {default} s) instead."
)
MSG_TORNADO = (
    "`no_keep_alive=True` makes Tornado close every connection after one response; remove it and bound idle "
    "connections with `idle_connection_timeout` instead."
)
MSG_HYPERCORN_TIMEOUT = (
    "`keep_alive_timeout = 0` makes hypercorn close every connection after one response; keep a positive "
    "idle timeout (the default is 5 s) instead."
)
MSG_HYPERCORN_MAX = (
    "`keep_alive_max_requests = 1` makes hypercorn close every connection after one response; remove it "
    "(the default is 1000) and bound idle connections with `keep_alive_timeout` instead."
)
MSG_SANIC = (
    "`KEEP_ALIVE = False` makes Sanic close every connection after one response; leave it on and bound idle "
    "connections with `KEEP_ALIVE_TIMEOUT` instead."
)
# hypercorn setting -> (the value that disables keep-alive, message)
HYPERCORN_SETTINGS = {
    "keep_alive_timeout": (0.0, MSG_HYPERCORN_TIMEOUT),
    "keep_alive_max_requests": (1.0, MSG_HYPERCORN_MAX),
}

# Fixes put back each server's own default, as its source defines it (uvicorn 0.54 `Config(timeout_keep_alive=5)`;
# gunicorn 27 `Keepalive.default = 2`; hypercorn 0.18 `Config.keep_alive_timeout = 5 * SECONDS`,
# `keep_alive_max_requests = 1000`; aiohttp 3.14 `run_app(keepalive_timeout=75.0)` and, for `AppRunner`/`Server`,
# `RequestHandler(keepalive_timeout=3630)`; Sanic `KEEP_ALIVE: True`).
FIX_UVICORN = ("5", "Use uvicorn's default keep-alive timeout (5 s)")
FIX_GUNICORN = ("2", "Use gunicorn's default keep-alive timeout (`keepalive = 2`, 2 s)")
FIX_AIOHTTP_RUN_APP = ("75", "Use `web.run_app`'s default keep-alive timeout (75 s)")
FIX_AIOHTTP_HANDLER = ("3630", "Use aiohttp's default keep-alive timeout for runners and servers (3630 s)")
FIX_HYPERCORN = {
    "keep_alive_timeout": ("5", "Use hypercorn's default keep-alive timeout (5 s)"),
    "keep_alive_max_requests": ("1000", "Use hypercorn's default `keep_alive_max_requests` (1000)"),
}
FIX_SANIC = ("True", "Leave Sanic keep-alive on (`KEEP_ALIVE = True`, its default)")
TITLE_TORNADO = "Remove `no_keep_alive=True`"


def _py_set(f: PythonFile, value: cst.CSTNode, fix: tuple[str, str]) -> Fix:
    """Replace a setting's value with the server's default."""
    text, title = fix
    return Fix(title, (f.replace(value, text),))


def _py_file_matches(f: PythonFile, patterns: tuple[str, ...]) -> bool:
    name = re.split(r"[\\/]", f.path)[-1].lower()
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _py_module_assignments(f: PythonFile) -> Iterator[tuple[str, cst.BaseExpression, cst.CSTNode]]:
    """(name, value, statement) for `name = value` / `name: T = value` at module level."""
    for stmt in f.module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                if isinstance(small.targets[0].target, cst.Name):
                    yield small.targets[0].target.value, small.value, small
            elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value is not None:
                yield small.target.value, small.value, small


def _py_handler_classes(f: PythonFile) -> set[str]:
    """Names of classes in this file that derive (directly or through each other) from a handler base."""
    classes = f.nodes(cst.ClassDef)
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for cls in classes:
            if cls.name.value in found:
                continue
            for base in cls.bases:
                q = f.qualname(base.value)
                if q in HANDLER_BASES or (isinstance(base.value, cst.Name) and base.value.value in found):
                    found.add(cls.name.value)
                    changed = True
                    break
    return found


def _py_protocol_version(f: PythonFile) -> Iterator[Hit]:
    handlers = _py_handler_classes(f)
    if not handlers:
        return
    for cls in f.nodes(cst.ClassDef):
        if cls.name.value not in handlers or not isinstance(cls.body, cst.IndentedBlock):
            continue
        for stmt in cls.body.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if isinstance(small, cst.Assign):
                    names = [t.target.value for t in small.targets if isinstance(t.target, cst.Name)]
                elif isinstance(small, cst.AnnAssign) and small.value and isinstance(small.target, cst.Name):
                    names = [small.target.value]
                else:
                    continue
                if "protocol_version" in names and is_http10(f, small.value):
                    yield f.report(small, message=MSG_HANDLER)
    for assign in f.nodes(cst.Assign):  # Handler.protocol_version = "HTTP/1.0"
        for target in assign.targets:
            t = target.target
            if not (isinstance(t, cst.Attribute) and t.attr.value == "protocol_version"):
                continue
            owner = t.value
            is_handler = f.qualname(owner) in HANDLER_BASES or (
                isinstance(owner, cst.Name) and owner.value in handlers and not f.is_imported(owner)
            )
            if is_handler and is_http10(f, assign.value):
                yield f.report(assign, message=MSG_HANDLER)


def _py_receiver_is(
    f: PythonFile, expr: cst.BaseExpression, factories: set[str], package: str, hint: re.Pattern | None = None
) -> bool:
    """`expr` is built by one of `factories`; or, in a file that uses `package`, it is built by a local
    or the project's own factory (`app = make_app()`), or cannot be resolved and its name matches `hint`."""
    value = f.resolve(expr)
    if isinstance(value, cst.Call):
        q = f.callee(value) or ""
        if q in factories or any(q.startswith(fac + ".") for fac in factories):
            return True
        if q.startswith(package + "."):
            return False
        return imports_any(f, package)
    if value is not expr and not isinstance(value, (cst.Name, cst.Attribute)):
        return False
    name = (dotted(value) or "").rsplit(".", 1)[-1]
    return imports_any(f, package) and (hint is None or bool(hint.search(name)))


def _py_gunicorn_options(f: PythonFile) -> Iterator[Hit]:
    """`{"keepalive": 0}` options given to a gunicorn BaseApplication in a file that imports gunicorn."""
    if not imports_any(f, "gunicorn"):
        return
    for d in f.nodes(cst.Dict):
        for el in d.elements:
            if not isinstance(el, cst.DictElement) or f.string_value(el.key) != "keepalive":
                continue
            if f.number_value(el.value) == 0:
                yield f.report(el, message=MSG_GUNICORN, fix=_py_set(f, el.value, FIX_GUNICORN))


def _py_config_files(f: PythonFile) -> Iterator[Hit]:
    """Module-level settings of a gunicorn or hypercorn config file (the last assignment of a name wins)."""
    settings: dict[str, tuple[float, str]] = {}
    fixes: dict[str, tuple[str, str]] = {}
    if _py_file_matches(f, GUNICORN_CONFIG_FILES):
        settings["keepalive"] = (0.0, MSG_GUNICORN)
        fixes["keepalive"] = FIX_GUNICORN
    if _py_file_matches(f, HYPERCORN_CONFIG_FILES):
        settings.update(HYPERCORN_SETTINGS)
        fixes.update(FIX_HYPERCORN)
    if not settings:
        return
    last: dict[str, tuple[cst.BaseExpression, cst.CSTNode]] = {}
    for name, value, node in _py_module_assignments(f):
        if name in settings:
            last[name] = (value, node)
    for name, (value, node) in last.items():
        bad, message = settings[name]
        if f.number_value(value) == bad:
            yield f.report(node, message=message, fix=_py_set(f, value, fixes[name]))


def _py_calls(f: PythonFile) -> Iterator[Hit]:
    for call in f.nodes(cst.Call):
        q = f.callee(call) or ""
        if q in UVICORN:
            arg = keyword_arg(call, "timeout_keep_alive")
            if arg is not None and f.number_value(arg.value) == 0:
                yield f.report(arg, message=MSG_UVICORN, fix=_py_set(f, arg.value, FIX_UVICORN))
        elif q in AIOHTTP:
            arg = keyword_arg(call, "keepalive_timeout")
            if arg is not None and f.number_value(arg.value) == 0:
                default = FIX_AIOHTTP_RUN_APP if q == "aiohttp.web.run_app" else FIX_AIOHTTP_HANDLER
                yield f.report(
                    arg, message=MSG_AIOHTTP.format(default=default[0]), fix=_py_set(f, arg.value, default)
                )
        elif q in TORNADO_SERVER:
            arg = keyword_arg(call, "no_keep_alive")
            if arg is None:
                positional = [a for a in call.args if a.keyword is None and not a.star]
                arg = positional[1] if len(positional) > 1 else None
            if arg is None:
                continue
            later = call.args[[id(a) for a in call.args].index(id(arg)) + 1:]
            if arg.keyword is not None or not any(a.keyword is None and a.star != "**" for a in later):
                fix = Fix(TITLE_TORNADO, (f.delete_from_list(call.args, arg),))
            else:  # HTTPServer(app, True, True): later positionals keep their places
                fix = Fix("Pass `no_keep_alive=False`", (f.replace(arg.value, "False"),))
            if f.bool_value(arg.value) is True:
                yield f.report(arg, message=MSG_TORNADO, fix=fix)
        elif any(q == c + ".from_mapping" for c in HYPERCORN_CONFIG):
            for name, (bad, message) in HYPERCORN_SETTINGS.items():
                arg = keyword_arg(call, name)
                if arg is not None and f.number_value(arg.value) == bad:
                    yield f.report(arg, message=message, fix=_py_set(f, arg.value, FIX_HYPERCORN[name]))
            mapping = f.resolve(f.arg(call, "mapping", 0))
            if isinstance(mapping, cst.Dict):
                for el in mapping.elements:
                    if not isinstance(el, cst.DictElement):
                        continue
                    key = f.string_value(el.key)
                    if key in HYPERCORN_SETTINGS and f.number_value(el.value) == HYPERCORN_SETTINGS[key][0]:
                        yield f.report(
                            el, message=HYPERCORN_SETTINGS[key][1], fix=_py_set(f, el.value, FIX_HYPERCORN[key])
                        )
        elif isinstance(call.func, cst.Attribute) and call.func.attr.value == "listen":
            arg = keyword_arg(call, "no_keep_alive")
            if arg is None or f.bool_value(arg.value) is not True:
                continue
            if _py_receiver_is(f, call.func.value, TORNADO_APPS, "tornado"):
                fix = Fix(TITLE_TORNADO, (f.delete_from_list(call.args, arg),))
                yield f.report(arg, message=MSG_TORNADO, fix=fix)


def _py_attribute_settings(f: PythonFile) -> Iterator[Hit]:
    """`config.keep_alive_timeout = 0` (hypercorn) and `app.config.KEEP_ALIVE = False` (Sanic)."""
    hypercorn = imports_any(f, "hypercorn")
    sanic = imports_any(f, "sanic")
    if not (hypercorn or sanic):
        return
    for assign in f.nodes(cst.Assign):
        for target in assign.targets:
            t = target.target
            if not isinstance(t, cst.Attribute):
                continue
            attr = t.attr.value
            if hypercorn and attr in HYPERCORN_SETTINGS:
                bad, message = HYPERCORN_SETTINGS[attr]
                if f.number_value(assign.value) == bad and _py_receiver_is(
                    f, t.value, HYPERCORN_CONFIG, "hypercorn", CONFIG_NAME
                ):
                    fix = _py_set(f, assign.value, FIX_HYPERCORN[attr]) if len(assign.targets) == 1 else None
                    yield f.report(assign, message=message, fix=fix)
            elif sanic and attr == "KEEP_ALIVE" and f.bool_value(assign.value) is False:
                owner = dotted(t.value) or ""
                if owner == "config" or owner.endswith(".config"):
                    fix = _py_set(f, assign.value, FIX_SANIC) if len(assign.targets) == 1 else None
                    yield f.report(assign, message=MSG_SANIC, fix=fix)


@RULE.python(  # the settings checked, given a value (not `send_keepalive = ...`, not `tcp_keepalive=True`)
    "protocol_version",
    r"""keepalive&re:\bkeepalive(_timeout)?['"]?\s*[=:](?!=)""",
    r"""keep_alive&re:\b(timeout_keep_alive|keep_alive_timeout|keep_alive_max_requests|no_keep_alive|keep_alive)['"]?\s*[=:](?!=)""",
    "tornado&httpserver",
)
def check_python(f: PythonFile) -> Iterator[Hit]:
    yield from _py_protocol_version(f)
    yield from _py_calls(f)
    yield from _py_attribute_settings(f)
    yield from _py_gunicorn_options(f)
    yield from _py_config_files(f)
