"""CL301 server-missing-idle-timeout

## What it does
Flags HTTP servers that keep connections alive with no idle timeout.

Go: the package-level `http.ListenAndServe`, `http.ListenAndServeTLS`, `http.Serve` and `http.ServeTLS`
(whatever name `net/http` is imported under), which serve with a zero-value `http.Server` and cannot be
given a timeout; and an `http.Server{...}` / `&http.Server{...}` literal, `new(http.Server)` or
`var s http.Server` that sets neither `IdleTimeout` nor `ReadTimeout` (the idle timeout falls back to
`ReadTimeout`), or sets them to 0, unless the function (for a package-level variable, the file) later
assigns one of them (`srv.IdleTimeout = cfg.Idle`, `flag.DurationVar(&srv.ReadTimeout, ...)`).
A timeout set to any non-zero value, a config variable included, counts as set. The rule stays quiet when
the server's configuration may be finished elsewhere: the variable or literal is passed to a function (other
than `http2.ConfigureServer` or a `fmt`/`log` function), returned, copied into another variable, slice or
map, stored in an exported field or exported package-level variable (an API its callers configure; this
covers `httptest.Server{Config: ...}` and `ts.Config = ...`), or stored in an unexported field that the
file sets a timeout on (`s.srv.IdleTimeout = ...`). It also stays quiet when the function serving it calls
`srv.SetKeepAlivesEnabled(false)` other than on its way to `Shutdown`/`Close` (then there are no idle
connections; CL201 reports that). Dot imports of `net/http` are not resolved.

Go frameworks whose start helpers serve with no idle timeout:
- gin: `Run`, `RunTLS`, `RunUnix`, `RunFd` and `RunListener` (and `ginS.Run...`), which call
  `http.ListenAndServe`/`ListenAndServeTLS`/`Serve` and cannot be given a timeout, on a `*gin.Engine`: a
  variable from `gin.New()`/`gin.Default()` or from a function in the file returning `*gin.Engine`, or a
  parameter, variable or struct field declared `*gin.Engine`.
- echo v3/v4: `e.Start`/`e.StartH2CServer` (which serve `e.Server`) and `e.StartTLS`/`e.StartAutoTLS`
  (which serve `e.TLSServer`; timeouts set on `e.Server` do not apply to them) on a variable from
  `echo.New()`, which creates both servers with no timeouts, unless the file sets `IdleTimeout` or
  `ReadTimeout` on that field (`e.Server.IdleTimeout = d`, on any receiver), replaces it (`e.Server = srv`)
  or hands it to other code. An `*echo.Echo` parameter is not reported (its creator may configure it); the
  echo value being passed to route-registration functions does not silence the rule. echo v5 is not
  reported: its `Start` serves with `ReadTimeout: 30 * time.Second`.
- fiber v2: `app.Listen`, `ListenTLS`, `ListenMutualTLS` and `Listener` on a variable from `fiber.New()` with
  no config, or with a `fiber.Config{...}` literal (directly or through a variable in the same function,
  followed through its later field assignments) that sets neither `IdleTimeout` nor `ReadTimeout` (fasthttp
  also falls back to `ReadTimeout`), or sets them to 0, unless it sets `DisableKeepalive` (CL201's case) or
  the file sets the timeout on the underlying fasthttp server (`app.Server().IdleTimeout = d`) or hands
  `app.Server()` to other code. fiber v3 is not reported.

The finding is on the starting call. Code inside the frameworks' own packages (unqualified `New()`) is not
resolved.

Python: an `http.server` request handler (a subclass of `BaseHTTPRequestHandler`, `SimpleHTTPRequestHandler`
or `CGIHTTPRequestHandler`, directly or through classes in the same file, or a `wsgiref` `WSGIRequestHandler`
subclass whose `handle()` loops over `handle_one_request()`, as Django's runserver does) that enables
keep-alive with `protocol_version = "HTTP/1.1"` (class attribute, or a later `Handler.protocol_version = ...`)
but has no `timeout` class attribute (or `Handler.timeout = N`), or has `timeout = None`. The handler's
`protocol_version` assignment is reported. A handler that calls `settimeout(...)` or sets `self.timeout`
in a method, or a file that calls `socket.setdefaulttimeout(N)`, counts as having a timeout.

## Why is this bad?
A keep-alive connection stays open between requests until one side closes it. With no idle timeout the
server never does: every client that goes away without closing (a crashed pod, a NAT or load balancer
that drops state, a browser tab left open, a slowloris attacker) pins a file descriptor and a goroutine
(Go) or a handler thread (Python `http.server`, which serves one connection per thread and, without
`ThreadingMixIn`, blocks every other client) until the process runs out of them. Go's `http.Server` waits
for the next request with no deadline when both `IdleTimeout` and `ReadTimeout` are zero, and
`ReadHeaderTimeout` only starts once the next request's first bytes arrive. Disabling keep-alive instead
trades this for a TCP/TLS handshake and a TIME_WAIT socket per request; bound idle connections instead.

## Example
    log.Fatal(http.ListenAndServe(":8080", mux))

    r := gin.Default()
    r.Run(":8080")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

Use instead:

    srv := &http.Server{
        Addr:              ":8080",
        Handler:           mux,
        ReadHeaderTimeout: 10 * time.Second,
        IdleTimeout:       120 * time.Second,
    }
    log.Fatal(srv.ListenAndServe())  // gin: Handler: r; echo: set e.Server.IdleTimeout
                                     // fiber: fiber.New(fiber.Config{IdleTimeout: ...})

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 60  # seconds a connection may sit idle (or stall mid-request)

## Fix
Unsafe (it adds a behaviour: idle, and for Python also stalled, connections are closed): an `http.Server{...}`
literal gets `IdleTimeout: 120 * time.Second` (CL302's fix adds `ReadHeaderTimeout: 10 * time.Second`; both
apply in one run), laid out as gofmt does; a package-level `http.ListenAndServe(addr, h)` (likewise
`ListenAndServeTLS`, `Serve`, `ServeTLS`) becomes `(&http.Server{Addr: addr, Handler: h, ReadHeaderTimeout:
10 * time.Second, IdleTimeout: 120 * time.Second}).ListenAndServe()` (no `Handler` for a nil handler). The
`time` import is added when missing (under its local name when imported as another). A Python handler gets
`timeout = 60` after its `protocol_version` line (`Handler.timeout = 60` after `Handler.protocol_version =
...`). Not fixed: an explicit zero (`IdleTimeout: 0`, a later `srv.IdleTimeout = 0`, `timeout = None`),
`new(http.Server)` and `var s http.Server`, a serve call with a multi-line argument, code where `time` names
something else, and the frameworks (gin, echo, fiber).

## References
- Go net/http `Server.IdleTimeout`, `Server.ReadTimeout`, `Server.ReadHeaderTimeout`
- gin `Engine.Run`; echo v4 `Echo.Start`, `Echo.Server`, `Echo.TLSServer`; fiber v2 `Config.IdleTimeout`
- Python `socketserver.StreamRequestHandler.timeout`, `http.server.BaseHTTPRequestHandler.protocol_version`
- Filippo Valsorda, "So you want to expose Go on the Internet" (Cloudflare blog, 2016)
"""

from __future__ import annotations

from typing import Iterator

import libcst as cst
import tree_sitter

from connlint.findings import Fix, Hit, Severity
from connlint.frontends.go import GoFile
from connlint.frontends.python import PythonFile
from connlint.registry import Rule

from ._go import ECHO, FIBER, GIN, NET_HTTP
from ._go_server import (
    SET,
    UNSET,
    ZERO,
    Declaration,
    add_timeout_edits,
    declaration,
    field_write,
    fixable_literal,
    follow,
    is_zero,
    positional_literal,
    servers,
    time_qualifier,
    unwrap,
    value_context,
)
from ._py import is_none
from ._py_handlers import Attr, Handlers, default_timeout_set, insert_after_statement

RULE = Rule(
    "CL301",
    "server-missing-idle-timeout",
    Severity.WARNING,
    __doc__,
    "Server keeps connections alive with no idle timeout, so idle keep-alive connections are held forever "
    "(file descriptors, goroutines or threads); set an idle timeout (Go: an `http.Server` with `IdleTimeout` "
    "and `ReadHeaderTimeout`; Python `http.server`: a `timeout` class attribute).",
)

# ---- Go ------------------------------------------------------------------------------------

SERVE_FUNCS = ("ListenAndServe", "ListenAndServeTLS", "Serve", "ServeTLS")
# Each package-level function's parameters: the fix moves `addr` and `handler` into an `http.Server`
# literal and passes the others, in order, to the server's method of the same name.
SERVE_PARAMS = {
    "ListenAndServe": ("addr", "handler"),
    "ListenAndServeTLS": ("addr", "cert", "key", "handler"),
    "Serve": ("listener", "handler"),
    "ServeTLS": ("listener", "handler", "cert", "key"),
}
TIMEOUT_FIELDS = ("IdleTimeout", "ReadTimeout")
IDLE_FIELD, IDLE_SECONDS = "IdleTimeout", 120
HEADER_SECONDS = 10  # the fix's `ReadHeaderTimeout`, as CL302's fix sets it

GIN_S = "github.com/gin-gonic/gin/ginS"
# gin's serving methods (and ginS's functions of the same names) and the net/http function each calls.
GIN_RUN = {
    "Run": "ListenAndServe", "RunTLS": "ListenAndServeTLS", "RunUnix": "Serve", "RunFd": "Serve",
    "RunListener": "Serve",
}
# echo v3/v4 only: v5's Start serves a fresh `http.Server` with `ReadTimeout: 30 * time.Second`.
ECHO_IMPORTS = ("github.com/labstack/echo", "github.com/labstack/echo/v4")
# echo's starting methods and the `*http.Server` field of `Echo` each serves.
ECHO_START = {"Start": "Server", "StartH2CServer": "Server", "StartTLS": "TLSServer", "StartAutoTLS": "TLSServer"}
FIBER_IMPORTS = ("github.com/gofiber/fiber/v2",)  # v2 verified; v3's defaults are not
FIBER_LISTEN = ("Listen", "ListenTLS", "ListenMutualTLS", "Listener")

GO_CALLS = "(call_expression function: (selector_expression) @fn) @call"
GO_METHOD_CALLS = """
(call_expression function: (selector_expression operand: (_) @recv field: (field_identifier) @method)) @call
"""
GO_FIELD_DECLS = "(field_declaration name: (field_identifier) @name type: (_) @type)"
GO_ASSIGNS = """
(assignment_statement left: (expression_list . (identifier) @name .) right: (expression_list . (_) @value .))
"""

MSG_GO_CALL = (
    "`http.{name}` serves with no idle timeout, so idle keep-alive connections are held forever "
    "(file descriptors, goroutines); use an `http.Server` with `IdleTimeout` and `ReadHeaderTimeout` and "
    "call its `{name}` method instead."
)
MSG_GO_UNSET = (
    "This `http.Server` sets neither `IdleTimeout` nor `ReadTimeout`, so idle keep-alive connections are "
    "held forever (file descriptors, goroutines); set `IdleTimeout` (and `ReadHeaderTimeout`)."
)
MSG_GO_ZERO = (
    "This `http.Server` sets its idle timeout to 0 (`IdleTimeout` and `ReadTimeout` both 0 means no "
    "timeout), so idle keep-alive connections are held forever (file descriptors, goroutines); set "
    "`IdleTimeout` to a positive duration."
)
MSG_GIN = (
    "gin's `{method}` serves with `http.{func}`, which has no idle timeout, so idle keep-alive connections "
    "are held forever (file descriptors, goroutines); serve the engine with an `http.Server{{Handler: "
    "engine, IdleTimeout: ..., ReadHeaderTimeout: ...}}` instead."
)
MSG_ECHO = (
    "echo's `{method}` serves `e.{field}`, which `echo.New()` creates with no timeouts and this file never "
    "sets `IdleTimeout` or `ReadTimeout` on, so idle keep-alive connections are held forever (file "
    "descriptors, goroutines); set `e.{field}.IdleTimeout` (and `ReadHeaderTimeout`) before starting."
)
MSG_FIBER = (
    "fiber's `{method}` serves with no idle timeout: the app's `fiber.Config` sets neither `IdleTimeout` nor "
    "`ReadTimeout` (or sets them to 0), so idle keep-alive connections are held forever (file descriptors, "
    "goroutines); set `IdleTimeout` in `fiber.Config`."
)

Node = tree_sitter.Node


def _go_literal_state(f: GoFile, literal: Node) -> str | None:
    """UNSET / ZERO / SET from a `http.Server{...}` literal's fields; None for a positional literal."""
    if positional_literal(literal):
        return None
    fields = f.keyed_fields(literal)
    values = [fields[name] for name in TIMEOUT_FIELDS if name in fields]
    if not values:
        return UNSET
    return ZERO if all(is_zero(f, v) for v in values) else SET


def _go_literal_fix(f: GoFile, literal: Node) -> Fix | None:
    """Unsafe: add `IdleTimeout: 120 * time.Second` to the literal (CL302's fix adds `ReadHeaderTimeout`)."""
    if not fixable_literal(f, literal, IDLE_FIELD, TIMEOUT_FIELDS, keepalive_quiets=True):
        return None
    added = add_timeout_edits(f, literal, IDLE_FIELD, IDLE_SECONDS)
    if added is None:
        return None
    field, edits = added
    return Fix(f"Add `{field}` to the `http.Server` (idle keep-alive connections are then closed)", edits, safe=False)


def _go_serve_fix(f: GoFile, call: Node, func: str) -> Fix | None:
    """Unsafe: `http.ListenAndServe(addr, h)` -> `(&http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: ...,
    IdleTimeout: ...}).ListenAndServe()` (likewise `ListenAndServeTLS`, `Serve`, `ServeTLS`)."""
    args = f.call_args(call)
    params = SERVE_PARAMS[func]
    arg_list = call.child_by_field_name("arguments")
    if len(args) != len(params) or any(c.type == "..." for c in arg_list.children):
        return None
    if any("\n" in f.text(a) for a in args):
        return None  # a multi-line argument (a func literal handler): rewrite by hand
    qualifier = time_qualifier(f, call)
    if qualifier is None:
        return None
    time_name, import_edit = qualifier
    given = dict(zip(params, (f.text(a) for a in args)))
    fields = []
    if "addr" in given:
        fields.append(f"Addr: {given['addr']}")
    if unwrap(args[params.index("handler")]).type != "nil":
        fields.append(f"Handler: {given['handler']}")
    fields.append(f"ReadHeaderTimeout: {HEADER_SECONDS} * {time_name}.Second")
    fields.append(f"{IDLE_FIELD}: {IDLE_SECONDS} * {time_name}.Second")
    method_args = ", ".join(given[p] for p in params if p not in ("addr", "handler"))
    http = f.text(call.child_by_field_name("function").child_by_field_name("operand"))
    text = f"(&{http}.Server{{{', '.join(fields)}}}).{func}({method_args})"
    edits = (f.replace(call, text),) + ((import_edit,) if import_edit is not None else ())
    return Fix(
        f"Serve with an `http.Server` with `ReadHeaderTimeout: {HEADER_SECONDS}s` and `IdleTimeout: "
        f"{IDLE_SECONDS}s` (idle keep-alive connections are then closed)",
        edits,
        safe=False,
    )


def _go_http_findings(f: GoFile) -> Iterator[Hit]:
    for m in f.matches(GO_CALLS):
        sel = f.selector(m["fn"])
        if sel is not None and sel[0] == NET_HTTP and sel[1] in SERVE_FUNCS:
            yield f.report(m["call"], MSG_GO_CALL.format(name=sel[1]), fix=_go_serve_fix(f, m["call"], sel[1]))

    for server, kind in servers(f):
        state = _go_literal_state(f, server) if kind == "literal" else UNSET
        if state in (None, SET):
            continue
        state = follow(f, server, state, TIMEOUT_FIELDS, keepalive_quiets=True)
        fix = _go_literal_fix(f, server) if kind == "literal" and state in (UNSET, ZERO) else None
        if state == UNSET:
            yield f.report(server, MSG_GO_UNSET, fix=fix)
        elif state == ZERO:
            yield f.report(server, MSG_GO_ZERO, fix=fix)


# ---- Go frameworks: gin, echo, fiber ---------------------------------------------------------


def _go_imports(f: GoFile, paths: tuple[str, ...]) -> bool:
    return any(path in paths for path in f.imports.values())


def _go_constructor(f: GoFile, node: Node | None) -> tuple[str, Node] | None:
    """("gin" | "echo" | "fiber", call) when `node` is `gin.New()`/`gin.Default()`, `echo.New()` or `fiber.New(...)`."""
    if node is None:
        return None
    node = unwrap(node)
    if node.type != "call_expression":
        return None
    fn = node.child_by_field_name("function")
    sel = f.selector(fn)
    if sel in ((GIN, "New"), (GIN, "Default")):
        return "gin", node
    if sel == (ECHO, "New") and _go_import_path(f, fn) in ECHO_IMPORTS:
        return "echo", node
    if sel == (FIBER, "New") and _go_import_path(f, fn) in FIBER_IMPORTS:
        return "fiber", node
    if fn.type == "identifier" and _go_returns_gin_engine(f, f.text(fn)):
        return "gin", node  # r := setupRouter() where `func setupRouter() *gin.Engine`
    return None


def _go_import_path(f: GoFile, selector: Node) -> str | None:
    """The import path, with its major-version suffix, of `pkg` in `pkg.Member`."""
    return f.package_of(selector.child_by_field_name("operand")) if selector.type == "selector_expression" else None


def _go_returns_gin_engine(f: GoFile, name: str) -> bool:
    """A function declared in the file whose only result is `*gin.Engine`."""
    for func in f.captures("(source_file (function_declaration) @func)").get("func", []):
        if f.text(func.child_by_field_name("name")) != name:
            continue
        result = func.child_by_field_name("result")
        if result is not None and result.type == "parameter_list":
            params = [c for c in result.named_children if c.type == "parameter_declaration"]
            result = params[0].child_by_field_name("type") if len(params) == 1 else None
        return _go_is_gin_engine_type(f, result)
    return False


def _go_is_gin_engine_type(f: GoFile, node: Node | None) -> bool:
    """`*gin.Engine`."""
    if node is None or node.type != "pointer_type" or not node.named_children:
        return False
    return f.selector(node.named_children[0]) == (GIN, "Engine")


def _go_origin(f: GoFile, recv: Node) -> tuple[str, Node | None, Declaration | None] | None:
    """What a method's receiver expression is: (framework, constructor call or None, declaration).

    A constructor call itself, a variable initialised with one (or declared and then assigned one), or for
    gin also a parameter, variable or struct field of type `*gin.Engine` (gin's `Run` never has timeouts).
    """
    recv = unwrap(recv)
    made = _go_constructor(f, recv)
    if made is not None:
        return made[0], made[1], None
    if recv.type == "identifier":
        decl = declaration(f, recv)
        if decl is None:
            return None
        made = _go_constructor(f, decl.value)
        if made is None and decl.value is None and decl.kind != "param":
            made = _go_assigned_constructor(f, recv, decl)
        if made is not None:
            return made[0], made[1], decl
        if decl.value is None and _go_is_gin_engine_type(f, decl.type):
            return "gin", None, decl
        return None
    if recv.type == "selector_expression":
        name = f.text(recv.child_by_field_name("field"))
        for m in f.matches(GO_FIELD_DECLS):
            if f.text(m["name"]) == name and _go_is_gin_engine_type(f, m["type"]):
                return "gin", None, None
    return None


def _go_assigned_constructor(f: GoFile, ident: Node, decl: Declaration) -> tuple[str, Node] | None:
    """`var e *echo.Echo` ... `e = echo.New()`: the last such assignment before `ident` in its scope."""
    name = f.text(ident)
    found = None
    for m in f.matches(GO_ASSIGNS, decl.scope):
        if f.text(m["name"]) == name and m["name"].start_byte < ident.start_byte:
            found = _go_constructor(f, m["value"])
    return found


def _go_server_field_configured(f: GoFile, field: str) -> bool:
    """Does the file set a timeout on, replace, or hand out an echo `X.<field>` (`e.Server.IdleTimeout = d`)?"""
    for sel in f.captures("(selector_expression) @sel").get("sel", []):
        if f.text(sel.child_by_field_name("field")) != field:
            continue
        outer = value_context(sel)
        parent = outer.parent
        if parent is not None and parent.type == "selector_expression" and parent.child_by_field_name("operand") == outer:
            if outer != sel:
                continue  # (&e.Server).X: unusual; a method or field of the server
            if f.text(parent.child_by_field_name("field")) in TIMEOUT_FIELDS and field_write(f, parent) == SET:
                return True
            continue  # e.Server.Addr, e.Server.Shutdown(ctx)
        return True  # assigned (`e.Server = srv`), passed, aliased or returned: configured elsewhere
    return False


def _go_fiber_state(f: GoFile, call: Node) -> str | None:
    """UNSET / ZERO / SET for the config given to `fiber.New(...)`; None when unknown or keep-alive is off."""
    args = f.call_args(call)
    if not args:
        return UNSET
    if len(args) != 1:
        return None
    config = unwrap(args[0])
    later: Node | None = None  # the config variable, whose fields may be set after its declaration
    scope = f.root
    if config.type == "identifier":
        decl = declaration(f, config)
        if decl is None or decl.kind == "param" or decl.value is None:
            return None
        later, config = config, unwrap(decl.value)
        scope = decl.scope
    if config.type != "composite_literal" or f.selector(config.child_by_field_name("type")) != (FIBER, "Config"):
        return None
    if positional_literal(config):
        return None
    fields = f.keyed_fields(config)
    if "DisableKeepalive" in fields and f.bool_value(fields["DisableKeepalive"]) is not False:
        return None  # no idle connections (CL201 reports disabled keep-alive)
    values = [fields[name] for name in TIMEOUT_FIELDS if name in fields]
    state = UNSET if not values else (ZERO if all(is_zero(f, v) for v in values) else SET)
    if later is not None and state != SET:
        name = f.text(later)
        for sel in f.captures("(selector_expression) @sel", scope).get("sel", []):
            operand = unwrap(sel.child_by_field_name("operand"))
            member = f.text(sel.child_by_field_name("field"))
            if operand.type != "identifier" or f.text(operand) != name or operand.start_byte <= config.end_byte:
                continue
            if member == "DisableKeepalive" or (member in TIMEOUT_FIELDS and field_write(f, sel) == SET):
                return None
    return state


def _go_fiber_server_configured(f: GoFile) -> bool:
    """`app.Server().IdleTimeout = d`, or `app.Server()` handed out: the fasthttp server configured directly."""
    for call in f.captures("(call_expression) @call").get("call", []):
        fn = call.child_by_field_name("function")
        if fn is None or fn.type != "selector_expression" or f.text(fn.child_by_field_name("field")) != "Server":
            continue
        if f.call_args(call):
            continue
        outer = value_context(call)
        parent = outer.parent
        if parent is not None and parent.type == "selector_expression" and parent.child_by_field_name("operand") == outer:
            if f.text(parent.child_by_field_name("field")) in TIMEOUT_FIELDS and field_write(f, parent) == SET:
                return True
            continue  # app.Server().Shutdown(), app.Server().Logger
        if parent is not None and parent.type == "expression_statement":
            continue
        return True  # srv := app.Server(), configure(app.Server()): configured elsewhere
    return False


def _go_framework_findings(f: GoFile) -> Iterator[Hit]:
    gin = _go_imports(f, (GIN,))
    echo = _go_imports(f, ECHO_IMPORTS)
    fiber = _go_imports(f, FIBER_IMPORTS)
    if _go_imports(f, (GIN_S,)):
        for m in f.matches(GO_CALLS):
            sel = f.selector(m["fn"])
            if sel is not None and sel[0] == GIN_S and sel[1] in GIN_RUN:
                yield f.report(m["call"], MSG_GIN.format(method=sel[1], func=GIN_RUN[sel[1]]))
    if not (gin or echo or fiber):
        return
    echo_configured: dict[str, bool] = {}
    fiber_configured: bool | None = None
    for m in f.matches(GO_METHOD_CALLS):
        method = f.text(m["method"])
        if not (
            (gin and method in GIN_RUN) or (echo and method in ECHO_START) or (fiber and method in FIBER_LISTEN)
        ):
            continue
        if f.package_of(unwrap(m["recv"])) is not None:
            continue  # pkg.Func(...), not a method
        origin = _go_origin(f, m["recv"])
        if origin is None:
            continue
        framework, made, decl = origin
        if framework == "gin" and method in GIN_RUN:
            yield f.report(m["call"], MSG_GIN.format(method=method, func=GIN_RUN[method]))
        elif framework == "echo" and method in ECHO_START and made is not None:
            if decl is not None and decl.kind == "package" and f.text(unwrap(m["recv"]))[:1].isupper():
                continue  # exported package-level variable: its importers configure it
            field = ECHO_START[method]
            if field not in echo_configured:
                echo_configured[field] = _go_server_field_configured(f, field)
            if not echo_configured[field]:
                yield f.report(m["call"], MSG_ECHO.format(method=method, field=field))
        elif framework == "fiber" and method in FIBER_LISTEN and made is not None:
            if decl is not None and decl.kind == "package" and f.text(unwrap(m["recv"]))[:1].isupper():
                continue
            if _go_fiber_state(f, made) not in (UNSET, ZERO):
                continue
            if fiber_configured is None:
                fiber_configured = _go_fiber_server_configured(f)
            if not fiber_configured:
                yield f.report(m["call"], MSG_FIBER.format(method=method))


@RULE.go("net/http&serve", r"package http&serve&re:(?m)^package http\b", "gin-gonic&run", "labstack/echo&start", "gofiber/fiber&listen")
def check_go(f: GoFile) -> Iterator[Hit]:
    if any(path == NET_HTTP for path in f.imports.values()):
        yield from _go_http_findings(f)
    yield from _go_framework_findings(f)


# ---- Python --------------------------------------------------------------------------------

PY_KEEPALIVE_MIN = "HTTP/1.1"
PY_TIMEOUT_SECONDS = 60  # what the fix sets

MSG_PY = (
    "`{cls}` enables HTTP/1.1 keep-alive without a `timeout`, so idle keep-alive connections are held "
    "forever (file descriptors, handler threads); set a `timeout` class attribute (seconds)."
)


@RULE.python("protocol_version")
def check_python(f: PythonFile) -> Iterator[Hit]:
    handlers = Handlers(f)
    if not handlers.classes or default_timeout_set(f):
        return
    reported: set[int] = set()
    for cls in handlers.classes:
        base = handlers.library_base(cls)
        if base is None or not handlers.loops_over_requests(cls, base):
            continue
        protocol = handlers.attr(cls, "protocol_version")
        if not isinstance(protocol, Attr):
            continue
        version = f.string_value(protocol.value)
        if version is None or not version.startswith("HTTP/") or version < PY_KEEPALIVE_MIN:
            continue
        timeout = handlers.attr(cls, "timeout")
        if timeout is None or (isinstance(timeout, Attr) and not is_none(timeout.value)):
            continue  # unknown base, or a timeout is set
        if handlers.sets_timeout_in_methods(cls) or handlers.referenced_only_as_base(cls):
            continue
        culprit = protocol
        if isinstance(timeout, Attr) and timeout.owner is not protocol.owner and any(
            k is protocol.owner for k in handlers.mro(timeout.owner)
        ):
            culprit = timeout  # a subclass's `timeout = None` undid its base's setting
        if id(culprit.node) in reported:
            continue
        reported.add(id(culprit.node))
        fix = _py_fix(f, culprit) if culprit is protocol and timeout == "default" else None
        yield f.report(culprit.node, MSG_PY.format(cls=culprit.owner.name.value), fix=fix)


def _py_fix(f: PythonFile, protocol: Attr) -> Fix | None:
    """Unsafe: `timeout = 60` after the `protocol_version` line (`Handler.timeout = 60` after
    `Handler.protocol_version = ...`). Not offered for `timeout = None`, which may be deliberate."""
    node = protocol.node
    target = node.targets[0].target if isinstance(node, cst.Assign) and len(node.targets) == 1 else getattr(
        node, "target", None
    )
    if isinstance(target, cst.Name):
        line = f"timeout = {PY_TIMEOUT_SECONDS}"
    elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
        line = f"{target.value.value}.timeout = {PY_TIMEOUT_SECONDS}"
    else:
        return None
    edit = insert_after_statement(f, node, line)
    if edit is None:
        return None
    return Fix(
        f"Add `{line}`: idle (or stalled) connections are closed after {PY_TIMEOUT_SECONDS} s; HTTP/1.1 "
        "keep-alive also needs a `Content-Length` on every response",
        (edit,),
        safe=False,
    )
