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

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

Use instead:

    srv := &http.Server{
        Addr:              ":8080",
        Handler:           mux,
        ReadHeaderTimeout: 10 * time.Second,
        IdleTimeout:       120 * time.Second,
    }
    log.Fatal(srv.ListenAndServe())

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 60  # seconds a connection may sit idle (or stall mid-request)

## References
- Go net/http `Server.IdleTimeout`, `Server.ReadTimeout`, `Server.ReadHeaderTimeout`
- Python `socketserver.StreamRequestHandler.timeout`, `http.server.BaseHTTPRequestHandler.protocol_version`
- Filippo Valsorda, "So you want to expose Go on the Internet" (Cloudflare blog, 2016)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import libcst as cst
import tree_sitter

from connlint.findings import Hit, Severity
from connlint.frontends.go import GoFile
from connlint.frontends.python import PythonFile, dotted
from connlint.registry import Rule

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

NET_HTTP = "net/http"
SERVE_FUNCS = ("ListenAndServe", "ListenAndServeTLS", "Serve", "ServeTLS")
TIMEOUT_FIELDS = ("IdleTimeout", "ReadTimeout")
# Functions that take a server without setting its timeouts.
GO_SAFE_CALLS = {("golang.org/x/net/http2", "ConfigureServer")}
GO_SAFE_PACKAGES = ("fmt", "log", "log/slog")

GO_CALLS = "(call_expression function: (selector_expression) @fn) @call"
GO_SERVERS = """
(composite_literal type: (qualified_type) @type) @server
(call_expression function: (identifier) @new arguments: (argument_list . (qualified_type) @type .)) @server
(var_spec type: (qualified_type) @type) @server
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

UNSET, ZERO, SET = "unset", "zero", "set"

Node = tree_sitter.Node


def _go_unwrap(node: Node) -> Node:
    while node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def _go_is_zero(f: GoFile, node: Node | None) -> bool:
    """`0`, `0.0`, `0 * time.Second`, `time.Duration(0)`."""
    if node is None:
        return False
    node = _go_unwrap(node)
    if f.int_value(node) == 0:
        return True
    if node.type == "float_literal":
        try:
            return float(f.text(node).replace("_", "")) == 0.0
        except ValueError:
            return False
    if node.type == "binary_expression" and f.text(node.child_by_field_name("operator")) == "*":
        return _go_is_zero(f, node.child_by_field_name("left")) or _go_is_zero(f, node.child_by_field_name("right"))
    if node.type in ("call_expression", "type_conversion_expression"):
        args = f.call_args(node) if node.type == "call_expression" else node.named_children[1:]
        return len(args) == 1 and _go_is_zero(f, args[0])
    return False


def _go_literal_state(f: GoFile, literal: Node) -> str | None:
    """UNSET / ZERO / SET from a `http.Server{...}` literal's fields; None for a positional literal."""
    body = literal.child_by_field_name("body")
    if body is not None and any(c.type not in ("keyed_element", "comment") for c in body.named_children):
        return None
    fields = f.keyed_fields(literal)
    values = [fields[name] for name in TIMEOUT_FIELDS if name in fields]
    if not values:
        return UNSET
    return ZERO if all(_go_is_zero(f, v) for v in values) else SET


def _go_value_context(node: Node) -> Node:
    """The outermost expression that is `node`, looking through `&` and parentheses."""
    while node.parent is not None and (
        node.parent.type == "parenthesized_expression"
        or (node.parent.type == "unary_expression" and node.parent.child_by_field_name("operator").type == "&")
    ):
        node = node.parent
    return node


def _go_assigned_target(value: Node) -> Node | None:
    """For `x, y := a, b` (also `=`, `var x = a`): the target that `value` (one of the right side) is bound to."""
    exprs = value.parent
    if exprs is None or exprs.type != "expression_list":
        return None
    stmt = exprs.parent
    if stmt is None:
        return None
    if stmt.type in ("short_var_declaration", "assignment_statement"):
        if stmt.child_by_field_name("right") != exprs:
            return None
        if stmt.type == "assignment_statement" and _go_operator(stmt) != "=":
            return None
        left = [c for c in stmt.child_by_field_name("left").named_children if c.type != "comment"]
    elif stmt.type == "var_spec":
        left = stmt.children_by_field_name("name")
    else:
        return None
    right = [c for c in exprs.named_children if c.type != "comment"]
    if len(left) != len(right):
        return None
    return left[right.index(value)]


def _go_operator(stmt: Node) -> str:
    op = stmt.child_by_field_name("operator")
    return op.type if op is not None else ""


def _go_field_name(f: GoFile, node: Node) -> str | None:
    if node.type == "literal_element" and node.named_child_count == 1:
        node = node.named_children[0]
    return f.text(node) if node.type in ("identifier", "field_identifier") else None


@dataclass
class _Binding:
    kind: str  # "var" (a local or package-level variable), "field", "immediate", "escapes"
    name: str = ""
    scope: Node | None = None
    after: int = 0


def _go_binding(f: GoFile, server: Node) -> _Binding:
    """Where the server value goes."""
    if server.type == "var_spec":
        names = [f.text(n) for n in server.children_by_field_name("name")]
        scope = _go_scope_of(f, server)
        after = server.end_byte if scope is not f.root else 0
        return _Binding("var", names[0] if len(names) == 1 else "", scope, after)
    value = _go_value_context(server)
    parent = value.parent
    if parent is None:
        return _Binding("escapes")
    if parent.type == "selector_expression" and parent.child_by_field_name("operand") == value:
        return _Binding("immediate")  # (&http.Server{...}).ListenAndServe()
    if parent.type == "literal_element" and parent.parent is not None and parent.parent.type == "keyed_element":
        keyed = parent.parent
        if keyed.named_children[-1] == parent:
            name = _go_field_name(f, keyed.named_children[0])
            return _Binding("field", name) if name else _Binding("escapes")
        return _Binding("escapes")
    target = _go_assigned_target(value)
    if target is None:
        return _Binding("escapes")  # argument, return value, slice/map element, channel send
    if target.type == "identifier":
        name = f.text(target)
        if name == "_":
            return _Binding("escapes")
        scope = _go_scope_of(f, server)
        if target.parent is not None and target.parent.parent is not None:
            if target.parent.parent.type == "assignment_statement":  # `srv = ...`: declared where?
                scope = _go_declaring_scope(f, server, name)
        return _Binding("var", name, scope, value.end_byte if scope is not f.root else 0)
    if target.type == "selector_expression":
        return _Binding("field", f.text(target.child_by_field_name("field")))
    return _Binding("escapes")


def _go_call_of_argument(node: Node) -> Node | None:
    if node.parent is not None and node.parent.type == "argument_list":
        call = node.parent.parent
        return call if call is not None and call.type == "call_expression" else None
    return None


def _go_safe_callee(f: GoFile, call: Node) -> bool:
    sel = f.selector(call.child_by_field_name("function"))
    return sel is not None and (sel in GO_SAFE_CALLS or sel[0] in GO_SAFE_PACKAGES)


def _go_timeout_write(f: GoFile, selector: Node) -> str | None:
    """SET / ZERO when `selector` (`x.IdleTimeout`) is written: assigned, or its address taken; else None."""
    target = _go_value_context(selector)
    if target != selector:  # &x.IdleTimeout: flag.DurationVar and friends may set it
        return SET
    exprs = selector.parent
    stmt = exprs.parent if exprs is not None and exprs.type == "expression_list" else None
    if stmt is None or stmt.type != "assignment_statement" or stmt.child_by_field_name("left") != exprs:
        return None
    if _go_operator(stmt) != "=":
        return SET
    left = [c for c in exprs.named_children if c.type != "comment"]
    right = [c for c in stmt.child_by_field_name("right").named_children if c.type != "comment"]
    if len(left) != len(right):
        return SET  # x.IdleTimeout, err = parse(...)
    return ZERO if _go_is_zero(f, right[left.index(selector)]) else SET


def _go_keepalive_off(f: GoFile, selector: Node) -> bool:
    call = selector.parent
    if call is None or call.type != "call_expression":
        return False
    if f.text(selector.child_by_field_name("field")) != "SetKeepAlivesEnabled":
        return False
    args = f.call_args(call)
    return len(args) == 1 and f.bool_value(args[0]) is False


def _go_var_state(f: GoFile, binding: _Binding, state: str) -> str | None:
    """The variable's final state after the rest of its scope, or None when it escapes (stay quiet)."""
    if not binding.name or binding.scope is None:
        return None
    keepalive_off: Node | None = None  # `srv.SetKeepAlivesEnabled(false)` in the serving function itself
    idents = sorted(f.captures("(identifier) @id", binding.scope).get("id", []), key=lambda n: n.start_byte)
    for ident in idents:
        if ident.start_byte < binding.after or f.text(ident) != binding.name:
            continue
        parent = ident.parent
        if parent is not None and parent.type == "literal_element" and parent.parent is not None:
            if parent.parent.type == "keyed_element" and parent.parent.named_children[0] == parent:
                continue  # a struct literal key that happens to share the name
        if parent is not None and parent.type == "selector_expression" and parent.child_by_field_name("operand") == ident:
            member = f.text(parent.child_by_field_name("field"))
            if _go_keepalive_off(f, parent) and _go_scope_of(f, parent) == binding.scope:
                keepalive_off = parent
            elif member in ("Shutdown", "Close") and keepalive_off is not None:
                keepalive_off = None  # turned off on the way out: a shutdown path (CL201's exemption)
            if member in TIMEOUT_FIELDS:
                written = _go_timeout_write(f, parent)
                if written == SET:
                    return None
                if written == ZERO:
                    state = ZERO
            continue
        value = _go_value_context(ident)
        call = _go_call_of_argument(value)
        if call is not None:
            if _go_safe_callee(f, call):
                continue
            return None  # passed to a function that may configure it
        container = value.parent
        if container is None:
            continue
        if container.type == "expression_list":
            stmt = container.parent
            if stmt is not None and stmt.type == "return_statement":
                return None
            if stmt is not None and stmt.type in ("short_var_declaration", "assignment_statement", "var_spec"):
                if stmt.type == "var_spec" or stmt.child_by_field_name("right") == container:
                    return None  # copied or aliased
        elif container.type in ("return_statement", "literal_element", "send_statement", "keyed_element"):
            return None
    return None if keepalive_off is not None else state


GO_DECLARATIONS = """
(var_spec name: (identifier) @name)
(short_var_declaration left: (expression_list (identifier) @name))
(parameter_declaration name: (identifier) @name)
"""


def _go_declaring_scope(f: GoFile, node: Node, name: str) -> Node:
    """The body of the innermost function around `node` declaring `name`, else the file (a package variable)."""
    for func in f.ancestors(node):
        if func.type not in ("function_declaration", "method_declaration", "func_literal"):
            continue
        declared = f.captures(GO_DECLARATIONS, func).get("name", [])
        if any(f.text(n) == name and f.enclosing_function(n) == func for n in declared):
            body = func.child_by_field_name("body")
            return body if body is not None else f.root
    return f.root


def _go_scope_of(f: GoFile, node: Node) -> Node:
    """The body of the function holding `node`, or the file for package-level code."""
    func = f.enclosing_function(node)
    body = func.child_by_field_name("body") if func is not None else None
    return body if body is not None else f.root


def _go_field_state(f: GoFile, field: str, state: str) -> str | None:
    """A server stored in a struct field: quiet when exported or when the file sets a timeout through it."""
    if not field or field[:1].isupper():
        return None
    for sel in f.captures("(selector_expression) @sel").get("sel", []):
        if f.text(sel.child_by_field_name("field")) not in TIMEOUT_FIELDS:
            continue
        operand = sel.child_by_field_name("operand")
        if operand is None:
            continue
        operand = _go_unwrap(operand)
        if operand.type != "selector_expression" or f.text(operand.child_by_field_name("field")) != field:
            continue
        written = _go_timeout_write(f, sel)
        if written == SET:
            return None
        if written == ZERO:
            state = ZERO
    return state


@RULE.go("serve")
def check_go(f: GoFile) -> Iterator[Hit]:
    if not any(path == NET_HTTP for path in f.imports.values()):
        return
    for m in f.matches(GO_CALLS):
        sel = f.selector(m["fn"])
        if sel is not None and sel[0] == NET_HTTP and sel[1] in SERVE_FUNCS:
            yield f.report(m["call"], MSG_GO_CALL.format(name=sel[1]))

    for m in f.matches(GO_SERVERS):
        if f.selector(m["type"]) != (NET_HTTP, "Server"):
            continue
        server = m["server"]
        if server.type == "var_spec":
            if server.child_by_field_name("value") is not None:
                continue  # `var s http.Server = ...`: the value is checked on its own
            state: str | None = UNSET
        elif server.type == "call_expression":
            if "new" not in m or f.text(m["new"]) != "new":
                continue
            state = UNSET
        else:
            state = _go_literal_state(f, server)
        if state in (None, SET):
            continue
        binding = _go_binding(f, server)
        if binding.kind == "var":
            if binding.scope is f.root and binding.name[:1].isupper():
                continue  # exported package-level variable: its importers configure it
            state = _go_var_state(f, binding, state)
        elif binding.kind == "field":
            state = _go_field_state(f, binding.name, state)
        elif binding.kind == "escapes":
            state = None
        if state == UNSET:
            yield f.report(server, MSG_GO_UNSET)
        elif state == ZERO:
            yield f.report(server, MSG_GO_ZERO)


# ---- Python --------------------------------------------------------------------------------

PY_HANDLER_BASES = {
    "http.server.BaseHTTPRequestHandler",
    "http.server.SimpleHTTPRequestHandler",
    "http.server.CGIHTTPRequestHandler",
}
# Handles one request per connection unless `handle()` is overridden with a loop (Django's runserver).
PY_SINGLE_REQUEST_BASES = {"wsgiref.simple_server.WSGIRequestHandler"}
PY_KEEPALIVE_MIN = "HTTP/1.1"

MSG_PY = (
    "`{cls}` enables HTTP/1.1 keep-alive without a `timeout`, so idle keep-alive connections are held "
    "forever (file descriptors, handler threads); set a `timeout` class attribute (seconds)."
)


@dataclass
class _Attr:
    node: cst.CSTNode  # the assignment to report
    value: cst.BaseExpression
    owner: cst.ClassDef


class _PyHandlers:
    """The file's classes, their in-file bases and their `protocol_version` / `timeout` settings."""

    def __init__(self, f: PythonFile) -> None:
        self.f = f
        self.classes = f.nodes(cst.ClassDef)
        self.external: dict[int, dict[str, list[_Attr]]] = {}
        for assign in f.nodes(cst.Assign):
            for target in assign.targets:
                self._external(assign, target.target, assign.value)
        for assign in f.nodes(cst.AnnAssign):
            if assign.value is not None:
                self._external(assign, assign.target, assign.value)

    def _external(self, node: cst.CSTNode, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if not (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)):
            return
        if target.attr.value not in ("protocol_version", "timeout"):
            return
        cls = self.lookup(target.value.value, node)
        if cls is not None:
            self.external.setdefault(id(cls), {}).setdefault(target.attr.value, []).append(_Attr(node, value, cls))

    def _scope(self, node: cst.CSTNode) -> cst.CSTNode:
        return self.f.enclosing(node, (cst.FunctionDef, cst.Lambda)) or self.f.module

    def lookup(self, name: str, at: cst.CSTNode) -> cst.ClassDef | None:
        """The class `name` refers to at `at`: defined in a scope holding `at` (the last such definition)."""
        found = None
        at_scopes = {id(s) for s in self.f.ancestors(at)}
        for cls in self.classes:
            if cls.name.value != name or cls is at:
                continue
            scope = self._scope(cls)
            if scope is self.f.module or id(scope) in at_scopes:
                found = cls
        return found

    def bases(self, cls: cst.ClassDef) -> list[cst.ClassDef | str | None]:
        """Each base: an in-file class, a qualified name, or None when unknown."""
        out: list[cst.ClassDef | str | None] = []
        for arg in cls.bases:
            if arg.keyword is not None or arg.star:
                continue
            local = self.lookup(arg.value.value, cls) if isinstance(arg.value, cst.Name) else None
            out.append(local if local is not None else self.f.qualname(arg.value))
        return out

    def mro(self, cls: cst.ClassDef, _seen: frozenset[int] = frozenset()) -> Iterator[cst.ClassDef | str | None]:
        """The class, then its bases depth-first (good enough for single inheritance and mixins)."""
        if id(cls) in _seen:
            return
        yield cls
        for base in self.bases(cls):
            if isinstance(base, cst.ClassDef):
                yield from self.mro(base, _seen | {id(cls)})
            else:
                yield base

    def own_attr(self, cls: cst.ClassDef, name: str) -> _Attr | None:
        """The class body's `name = ...`, overridden by a later `Cls.name = ...` elsewhere in the file."""
        found = None
        for stmt in cls.body.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        if isinstance(target.target, cst.Name) and target.target.value == name:
                            found = _Attr(small, small.value, cls)
                elif isinstance(small, cst.AnnAssign) and small.value is not None:
                    if isinstance(small.target, cst.Name) and small.target.value == name:
                        found = _Attr(small, small.value, cls)
        external = self.external.get(id(cls), {}).get(name)
        return external[-1] if external else found

    def attr(self, cls: cst.ClassDef, name: str) -> _Attr | str | None:
        """The effective assignment of a class attribute; "default" when inherited from the library."""
        for klass in self.mro(cls):
            if isinstance(klass, cst.ClassDef):
                own = self.own_attr(klass, name)
                if own is not None:
                    return own
            elif klass in PY_HANDLER_BASES or klass in PY_SINGLE_REQUEST_BASES:
                return "default"
            elif klass not in ("object", "builtins.object"):
                return None  # a base from elsewhere may set it
        return "default"

    def library_base(self, cls: cst.ClassDef) -> str | None:
        for klass in self.mro(cls):
            if isinstance(klass, str) and (klass in PY_HANDLER_BASES or klass in PY_SINGLE_REQUEST_BASES):
                return klass
        return None

    def loops_over_requests(self, cls: cst.ClassDef, base: str) -> bool:
        """Does the connection loop over requests: the nearest `handle()` override loops, or the library's does."""
        for klass in self.mro(cls):
            if not isinstance(klass, cst.ClassDef):
                break
            handle = _py_method(klass, "handle")
            if handle is None:
                continue
            if _py_calls_in_loop(handle, "handle_one_request"):
                return True
            if not _py_calls(handle, "handle"):  # no super().handle(): the override decides
                return False
        return base in PY_HANDLER_BASES

    def sets_timeout_in_methods(self, cls: cst.ClassDef) -> bool:
        """`self.connection.settimeout(...)` / `self.timeout = ...` inside a method of the class or an in-file base."""
        for klass in self.mro(cls):
            if not isinstance(klass, cst.ClassDef):
                continue
            for node in _py_walk(klass.body):
                if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
                    seconds = self.f.arg(node, "value", 0)
                    if node.func.attr.value == "settimeout" and seconds is not None and not _py_is_none(seconds):
                        return True  # settimeout(None) makes the socket blocking: no timeout
                if isinstance(node, cst.Assign):
                    for target in node.targets:
                        t = target.target
                        if isinstance(t, cst.Attribute) and t.attr.value == "timeout" and dotted(t.value) == "self":
                            if not _py_is_none(node.value):
                                return True
        return False

    def referenced_only_as_base(self, cls: cst.ClassDef) -> bool:
        """True when the class has in-file subclasses and nothing else names it (an abstract base)."""
        subclasses = [c for c in self.classes if any(b is cls for b in self.bases(c))]
        if not subclasses:
            return False
        for name in self.f.nodes(cst.Name):
            if name.value != cls.name.value or name is cls.name:
                continue
            parent = self.f.parent(name)
            if isinstance(parent, cst.Arg) and isinstance(self.f.parent(parent), cst.ClassDef):
                continue
            if isinstance(parent, cst.Attribute) and parent.value is name and isinstance(
                self.f.parent(parent), cst.AssignTarget
            ):
                continue
            return False
        return True


def _py_walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)


def _py_method(cls: cst.ClassDef, name: str) -> cst.FunctionDef | None:
    for stmt in cls.body.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name:
            return stmt
    return None


def _py_calls(node: cst.CSTNode, method: str) -> bool:
    return any(
        isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value == method
        for n in _py_walk(node)
    )


def _py_calls_in_loop(func: cst.FunctionDef, method: str) -> bool:
    return any(isinstance(n, (cst.While, cst.For)) and _py_calls(n, method) for n in _py_walk(func.body))


def _py_is_none(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


def _py_default_timeout_set(f: PythonFile) -> bool:
    """`socket.setdefaulttimeout(N)`: accepted sockets get a timeout too."""
    for call in f.nodes(cst.Call):
        if f.callee(call) == "socket.setdefaulttimeout":
            value = f.arg(call, None, 0)
            if value is not None and not _py_is_none(value):
                return True
    return False


@RULE.python("protocol_version")
def check_python(f: PythonFile) -> Iterator[Hit]:
    handlers = _PyHandlers(f)
    if not handlers.classes or _py_default_timeout_set(f):
        return
    reported: set[int] = set()
    for cls in handlers.classes:
        base = handlers.library_base(cls)
        if base is None or not handlers.loops_over_requests(cls, base):
            continue
        protocol = handlers.attr(cls, "protocol_version")
        if not isinstance(protocol, _Attr):
            continue
        version = f.string_value(protocol.value)
        if version is None or not version.startswith("HTTP/") or version < PY_KEEPALIVE_MIN:
            continue
        timeout = handlers.attr(cls, "timeout")
        if timeout is None or (isinstance(timeout, _Attr) and not _py_is_none(timeout.value)):
            continue  # unknown base, or a timeout is set
        if handlers.sets_timeout_in_methods(cls) or handlers.referenced_only_as_base(cls):
            continue
        culprit = protocol
        if isinstance(timeout, _Attr) and timeout.owner is not protocol.owner and any(
            k is protocol.owner for k in handlers.mro(timeout.owner)
        ):
            culprit = timeout  # a subclass's `timeout = None` undid its base's setting
        if id(culprit.node) in reported:
            continue
        reported.add(id(culprit.node))
        yield f.report(culprit.node, MSG_PY.format(cls=culprit.owner.name.value))
