"""CL202 client-keepalive-disabled

## What it does
Flags HTTP clients configured to close the connection after every request. Go: `http.Transport{DisableKeepAlives:
true}` and `t.DisableKeepAlives = true`; on an outgoing request (made in the same function by
`http.NewRequest[WithContext]`, `req.Clone(ctx)` or `&http.Request{...}`, a `RoundTrip` method's request, or a
`ReverseProxy.Rewrite` func's `pr.Out`) `req.Close = true` and `req.Header.Set/Add("Connection", "close")`;
resty `SetHeader("Connection", "close")`, `SetHeaders` and `SetCloseConnection(true)`; fasthttp
`req.SetConnectionClose()` on a request from `fasthttp.AcquireRequest()` or declared `fasthttp.Request`. Python:
a `Connection: close` header given to requests, httpx, aiohttp, urllib3 or http.client calls, sessions and clients
(`headers=`, `session.headers[...]`, `session.headers.update(...)`, `conn.putheader(...)`),
`aiohttp.TCPConnector(force_close=True)` or `keepalive_timeout=0`, and `httpx.Limits(max_keepalive_connections=0)`
or `keepalive_expiry=0`.

The request a server handler receives (its `*http.Request` parameter, gin/echo/fiber contexts), requests built as
test input for a handler (`httptest.NewRequest`, or a request passed to `ServeHTTP`) and in-process test clients
(Flask `test_client()`, Starlette/FastAPI `TestClient`, Django's test client) are not flagged. Neither is a
`ReverseProxy.Director`: the proxy resets `Close` and strips the `Connection` header after the Director returns.

## Why is this bad?
The client closes its connection after each response, so every request pays a new TCP (and TLS) handshake, and
the side that closes first, here the client, keeps each socket in TIME_WAIT for 60 s. A busy client then holds
tens of thousands of TIME_WAIT sockets and runs out of ephemeral ports (`connect: cannot assign requested
address`), while latency grows by a round trip or three per request.

## Example
    client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

    requests.get(url, headers={"Connection": "close"})

Use instead: delete the setting and share one long-lived client (one `http.Client`/`http.Transport`, one
`requests.Session`/`httpx.Client`/`aiohttp.ClientSession`) for all requests; bound idle connections with the
transport's idle timeout (`IdleConnTimeout`, `keepalive_expiry`) instead of disabling reuse.

## Fix
Safe: removed are `DisableKeepAlives: true` and `Close: true` fields (the remaining fields realigned as gofmt
does; `&http.Transport{}` when none is left), the `t.DisableKeepAlives = true`, `req.Close = true`,
`req.Header.Set/Add("Connection", "close")`, `req.Header["Connection"] = ...` and fasthttp
`req.SetConnectionClose()` statements, resty `SetHeader("Connection", "close")` and `SetCloseConnection(true)`
(the statement, or just that link of a method chain: resty's setters return their receiver) and a
`"Connection": "close"` entry of `SetHeaders`; in Python `force_close=True`, a `"Connection": "close"` entry of
a header dict or list (with its `headers=` argument, or the whole `session.headers.update(...)` statement, when
nothing else is left), and the `session.headers["Connection"] = "close"` and `conn.putheader("Connection",
"close")` statements. A zero becomes the library's default, as its source sets it: aiohttp connectors
`keepalive_timeout=15`, httpx `keepalive_expiry=5.0` and `max_keepalive_connections=20` (the clients' default
limits). Not fixed: a value with other tokens (`TE, close`), a header dict that would be left empty but is
bound to a name or assigned to `session.headers`, a statement sharing its line or whose receiver is itself a
call, and a removal that would leave a Go variable or import unused.

## References
- Go net/http `Transport.DisableKeepAlives`, `Request.Close`; RFC 9112 section 9.6 (tear-down)
- requests "Session Objects" (connection pooling), httpx "Resource limits", aiohttp "Connectors"
"""

from __future__ import annotations

from functools import cached_property
from typing import Iterator

import libcst as cst

from connlint.findings import Edit, Fix, Hit, Severity
from connlint.frontends.go import GoFile, import_base
from connlint.frontends.python import PythonFile
from connlint.registry import Rule

from ._go import (
    COMPOSITE_LITERALS,
    FASTHTTP,
    METHOD_CALLS,
    NET_HTTP,
    GoNames,
    assignments,
    go_delete_element,
    go_delete_statement,
    named,
    strip,
)
from ._http import (
    GO_CONNECTION_CLOSE_NEEDS,
    PY_CONNECTION_CLOSE_NEEDS,
    go_close_value,
    has_close_token,
    is_connection,
    py_close_entry_node,
    py_connection_close_keyword,
    py_side,
    py_test_client,
)
from ._py import keyword_arg

RULE = Rule(
    "CL202",
    "client-keepalive-disabled",
    Severity.ERROR,
    __doc__,
    "Client closes the connection after every request, so each request pays a new TCP/TLS handshake and the "
    "client host piles up TIME_WAIT sockets; remove the setting and reuse one client/transport.",
    tests_exempt=True,
)

# ---- Go ------------------------------------------------------------------------------------

HTTPUTIL = "net/http/httputil"
RESTY = ("github.com/go-resty/resty", "resty.dev")


class _Go(GoNames):
    """Names resolved (`GoNames`), plus which requests are outgoing: built here, not handed to a handler."""

    @cached_property
    def handler_inputs(self) -> set[tuple[int, str]]:
        return self._handler_inputs()

    @cached_property
    def returned(self) -> set[tuple[int, str]]:
        return self._returned()

    def _handler_inputs(self) -> set[tuple[int, str]]:
        """Names handed to a handler as its request: `h.ServeHTTP(w, req)`, echo `e.NewContext(req, rec)`."""
        found = set()
        for m in self.f.matches(METHOD_CALLS):
            method, args = self.f.text(m["method"]), named(m["args"])
            arg = None
            if method == "ServeHTTP" and len(args) == 2:
                arg = args[1]
            elif method == "NewContext" and len(args) == 2:
                arg = args[0]
            elif method == "Init" and args:  # fasthttp RequestCtx.Init(&req, addr, logger)
                arg = args[0]
            arg = strip(arg)
            if arg is not None and arg.type == "unary_expression":
                arg = arg.child_by_field_name("operand")
            if arg is not None and arg.type == "identifier":
                found.add((self.scope(arg), self.f.text(arg)))
        return found

    def _returned(self) -> set[tuple[int, str]]:
        """Names a function returns: `return r, nil`."""
        found = set()
        for ret in self.f.captures("(return_statement (expression_list) @values)").get("values", []):
            for value in named(ret):
                value = strip(value)
                if value is not None and value.type == "identifier":
                    found.add((self.scope(value), self.f.text(value)))
        return found

    # ---- net/http requests ---------------------------------------------------------------
    def outgoing(self, expr, depth: int = 0) -> bool:
        """Is `expr` an outgoing *http.Request this code builds and sends?"""
        expr = strip(expr)
        if expr is None or depth > 4:
            return False
        if expr.type == "identifier":
            found = self.lookup(expr)
            if found is None:
                return False
            kind, func, data = found
            if kind == "param":
                return self._roundtrip_request(func, data)
            key = (func.start_byte, self.f.text(expr))
            if key in self.handler_inputs:
                return False
            kinds = {self._outgoing_value(v, depth + 1) for k, v in data if k == "value"}
            # A request built field by field and returned may be a server adapter's incoming request (net/http/cgi).
            return "sent" in kinds or ("built" in kinds and key not in self.returned)
        if expr.type == "selector_expression" and self.f.text(expr.child_by_field_name("field")) == "Out":
            operand = strip(expr.child_by_field_name("operand"))  # Rewrite: func(pr *httputil.ProxyRequest)
            if operand is not None and operand.type == "identifier":
                found = self.lookup(operand)
                return found is not None and found[0] == "param" and self.member(found[2]) == (HTTPUTIL, "ProxyRequest")
        return False

    def _roundtrip_request(self, func, param_type) -> bool:
        return (
            func.type == "method_declaration"
            and self.f.function_name(func) == "RoundTrip"
            and self.member(param_type) == (NET_HTTP, "Request")
        )

    def _outgoing_value(self, value, depth: int) -> str | None:
        """'sent' for a client request constructor, 'built' for a request assembled by hand or cloned."""
        value = strip(value)
        if value is None:
            return None
        if value.type == "unary_expression" and self.f.text(value.child_by_field_name("operator")) == "&":
            value = strip(value.child_by_field_name("operand"))
        if value.type == "composite_literal":
            return "built" if self.member(value.child_by_field_name("type")) == (NET_HTTP, "Request") else None
        if value.type != "call_expression":
            return None
        func = value.child_by_field_name("function")
        args = self.f.call_args(value)
        if self.member(func) in ((NET_HTTP, "NewRequest"), (NET_HTTP, "NewRequestWithContext")):
            return "sent"
        if func.type == "identifier" and self.f.text(func) == "new" and len(args) == 1:
            return "built" if self.member(args[0]) == (NET_HTTP, "Request") else None
        operand = func.child_by_field_name("operand") if func.type == "selector_expression" else None
        if operand is not None and len(args) == 1 and not self.f.package_of(operand):  # not `proto.Clone(m)`
            method = self.f.text(func.child_by_field_name("field"))
            if method == "Clone":
                return "built"
            if method == "WithContext" and self.outgoing(func.child_by_field_name("operand"), depth + 1):
                return "sent"
        return None

    # ---- fasthttp requests ---------------------------------------------------------------
    def fasthttp_request(self, expr) -> bool:
        expr = strip(expr)
        if expr is None or expr.type != "identifier":
            return False
        found = self.lookup(expr)
        if found is None or found[0] != "local":
            return False
        _, func, data = found
        if (func.start_byte, self.f.text(expr)) in self.handler_inputs:
            return False
        for kind, value in data:
            if kind == "type" and self.member(value) == (FASTHTTP, "Request"):
                return True
            value = strip(value) if kind == "value" else None
            if value is None:
                continue
            if value.type == "unary_expression":
                value = strip(value.child_by_field_name("operand"))
            if value.type == "composite_literal":
                if self.member(value.child_by_field_name("type")) == (FASTHTTP, "Request"):
                    return True
            if value.type == "call_expression":
                callee = value.child_by_field_name("function")
                if self.member(callee) == (FASTHTTP, "AcquireRequest"):
                    return True
                args = self.f.call_args(value)
                if self.f.text(callee) == "new" and len(args) == 1 and self.member(args[0]) == (FASTHTTP, "Request"):
                    return True
        return False


def _go_request_header(g: _Go, recv) -> str | None:
    """'net' for an outgoing `req.Header`, 'fast' for a fasthttp client request's `req.Header`."""
    recv = strip(recv)
    if recv is None or recv.type != "selector_expression" or g.f.text(recv.child_by_field_name("field")) != "Header":
        return None
    owner = recv.child_by_field_name("operand")
    if g.outgoing(owner):
        return "net"
    if g.fasthttp_request(owner):
        return "fast"
    return None


def _fix(edit: Edit | None, title: str) -> Fix | None:
    return Fix(title, (edit,)) if edit is not None else None


def _only_close(value: str | None) -> bool:
    """A `Connection` value that says nothing but `close`: removing the header loses nothing else."""
    return value is not None and value.strip().lower() == "close"





def _go_pure(node) -> bool:
    """An operand whose evaluation has no effect: identifiers and field selections, no calls."""
    node = strip(node)
    while node is not None and node.type == "selector_expression":
        node = strip(node.child_by_field_name("operand"))
    return node is not None and node.type == "identifier"


def _go_resty_link(f: GoFile, call, title: str) -> Fix | None:
    """Drop one resty builder call: its methods return their receiver, so `x.SetHeader(...)` is `x` less the header.

    A call standing as a statement is removed (when its receiver has no side effects); inside a chain or an
    expression only the `.SetHeader(...)` link is cut.
    """
    function = call.child_by_field_name("function")
    operand = function.child_by_field_name("operand") if function is not None else None
    if operand is None:
        return None
    if call.parent is not None and call.parent.type == "expression_statement":
        if _go_pure(operand):
            return _fix(go_delete_statement(f, call), title)
    if f.orphaned_names(call.child_by_field_name("arguments")):
        return None
    start, end = f.char_offset(operand.end_byte), f.char_offset(call.end_byte)
    return Fix(title, (Edit(start, end, ""),))


@RULE.go(
    "disablekeepalives", *GO_CONNECTION_CLOSE_NEEDS, "setconnectionclose", "setcloseconnection", "close&request&true",
    "close&clone&true",
)
def check_go(f: GoFile) -> Iterator[Hit]:
    g = _Go(f)
    uses_resty = any(import_base(p).startswith(RESTY) for p in f.imports.values())

    for m in f.matches(COMPOSITE_LITERALS):
        kind = g.member(m["type"])
        for key, value, element in f.keyed_elements(m["lit"]):
            if kind == (NET_HTTP, "Transport") and key == "DisableKeepAlives" and f.bool_value(strip(value)) is True:
                yield f.report(element, fix=_fix(go_delete_element(f, element), "Remove `DisableKeepAlives: true`"))
            elif kind == (NET_HTTP, "Request") and key == "Close" and f.bool_value(strip(value)) is True:
                if _literal_outgoing(g, m["lit"]):
                    yield f.report(element, fix=_fix(go_delete_element(f, element), "Remove `Close: true`"))

    for assign, target, value, count in assignments(f):
        if target.type == "selector_expression":
            field = f.text(target.child_by_field_name("field"))
            operand = target.child_by_field_name("operand")
            if field == "DisableKeepAlives" and f.bool_value(strip(value)) is True:
                yield f.report(assign, fix=_fix(go_delete_statement(f, assign), "Remove `DisableKeepAlives = true`"))
            elif field == "Close" and f.bool_value(strip(value)) is True and g.outgoing(operand):
                yield f.report(assign, fix=_fix(go_delete_statement(f, assign), "Remove `req.Close = true`"))
        elif target.type == "index_expression" and count == 1:  # req.Header["Connection"] = []string{"close"}
            if (
                is_connection(f.string_value(target.child_by_field_name("index")))
                and go_close_value(f, value)
                and _go_request_header(g, target.child_by_field_name("operand"))
            ):
                exact = _only_close(f.string_value(strip(value))) or (
                    strip(value).type == "composite_literal"
                    and len(elements := named(strip(value).child_by_field_name("body"))) == 1
                    and _only_close(f.string_value(strip(elements[0])))
                )
                edit = go_delete_statement(f, assign) if exact else None
                yield f.report(assign, fix=_fix(edit, "Remove the `Connection: close` header"))

    for m in f.matches(METHOD_CALLS):
        method, args, recv = f.text(m["method"]), f.call_args(m["call"]), m["recv"]
        header_pair = (
            len(args) == 2 and is_connection(f.string_value(args[0])) and has_close_token(f.string_value(args[1]))
        )
        exact_pair = header_pair and _only_close(f.string_value(args[1]))
        if method in ("Set", "Add") and header_pair and _go_request_header(g, recv):
            edit = go_delete_statement(f, m["call"]) if exact_pair else None
            yield f.report(m["call"], fix=_fix(edit, "Remove the `Connection: close` header"))
        elif method == "SetConnectionClose" and not args:
            if g.fasthttp_request(recv) or _go_request_header(g, recv) == "fast":
                yield f.report(m["call"], fix=_fix(go_delete_statement(f, m["call"]), "Remove `SetConnectionClose()`"))
        elif uses_resty and method in ("SetHeader", "SetHeaderVerbatim") and header_pair:
            fix = _go_resty_link(f, m["call"], "Remove the `Connection: close` header") if exact_pair else None
            yield f.report(m["call"], fix=fix)
        elif uses_resty and method == "SetCloseConnection" and len(args) == 1 and f.bool_value(strip(args[0])) is True:
            yield f.report(m["call"], fix=_go_resty_link(f, m["call"], "Remove `SetCloseConnection(true)`"))
        elif uses_resty and method == "SetHeaders" and len(args) == 1 and strip(args[0]).type == "composite_literal":
            entries = f.keyed_nodes(strip(args[0]))
            for key, value, element in entries:
                if is_connection(f.string_value(strip(key))) and has_close_token(f.string_value(value)):
                    fix = None
                    if _only_close(f.string_value(value)):
                        title = "Remove the `Connection: close` header"
                        fix = (
                            _fix(go_delete_element(f, element), title)
                            if len(entries) > 1
                            else _go_resty_link(f, m["call"], title)
                        )
                    yield f.report(element, fix=fix)


def _literal_outgoing(g: _Go, literal) -> bool:
    """`&http.Request{..., Close: true}` is outgoing unless it is returned or handed to a handler as its request."""
    child, node = literal, literal.parent
    while node is not None and node.type in ("unary_expression", "parenthesized_expression"):
        child, node = node, node.parent
    if node is None:
        return False
    if node.type == "argument_list":
        func = node.parent.child_by_field_name("function") if node.parent is not None else None
        is_method = func is not None and func.type == "selector_expression"
        return not is_method or g.f.text(func.child_by_field_name("field")) not in ("ServeHTTP", "NewContext")
    decl = node.parent if node.type == "expression_list" else None
    if decl is None:
        return True
    if decl.type == "return_statement":
        return False
    if decl.type == "var_spec" and node == decl.child_by_field_name("value"):
        names = decl.children_by_field_name("name")
    elif decl.type in ("short_var_declaration", "assignment_statement") and node == decl.child_by_field_name("right"):
        names = named(decl.child_by_field_name("left"))
    else:
        return True
    values = named(node)
    index = values.index(child) if child in values else -1
    if 0 <= index < len(names) and names[index].type == "identifier":
        key = (g.scope(names[index]), g.f.text(names[index]))
        return key not in g.handler_inputs and key not in g.returned
    return True


# ---- Python --------------------------------------------------------------------------------

PY_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request", "stream")
PY_MODULE_CALLS = (
    {f"requests.{v}" for v in PY_VERBS if v != "stream"}
    | {f"requests.api.{v}" for v in PY_VERBS if v != "stream"}
    | {f"httpx.{v}" for v in PY_VERBS}
    | {"urllib3.request", "aiohttp.request", "requests.Request", "httpx.Request"}
)
PY_CLIENT_CTORS = {
    "httpx.Client", "httpx.AsyncClient", "aiohttp.ClientSession", "aiohttp.client.ClientSession",
    "urllib3.PoolManager", "urllib3.ProxyManager", "urllib3.HTTPConnectionPool", "urllib3.HTTPSConnectionPool",
    "urllib3.connection_from_url", "urllib3.proxy_from_url",
}
PY_CONNECTIONS = {"http.client.HTTPConnection", "http.client.HTTPSConnection"}
PY_CLIENT_METHODS = PY_VERBS + ("urlopen", "request_encode_url", "request_encode_body", "ws_connect")
def _py_client(f: PythonFile, obj: cst.BaseExpression) -> bool:
    if py_test_client(f, obj):
        return False
    value = f.resolve(obj) if isinstance(obj, cst.Name) else obj
    if isinstance(value, cst.Await):
        value = value.expression
    if isinstance(value, cst.Call) and f.callee(value) in PY_CLIENT_CTORS | PY_CONNECTIONS:
        return True
    return py_side(f, obj) == "client"


def _py_headers_entry(f: PythonFile, call: cst.Call, position: int | None = None):
    return py_close_entry_node(f, f.arg(call, "headers", position))


def _py_zero(f: PythonFile, call: cst.Call, keyword: str) -> cst.Arg | None:
    for a in call.args:
        if a.keyword is not None and a.keyword.value == keyword and f.number_value(a.value) == 0:
            return a
    return None


def _py_session_headers(f: PythonFile, expr: cst.BaseExpression) -> bool:
    """`session.headers` of a client (requests/httpx/aiohttp)."""
    return isinstance(expr, cst.Attribute) and expr.attr.value == "headers" and _py_client(f, expr.value)


def _py_expected_to_fail(f: PythonFile, node: cst.CSTNode) -> bool:
    """Inside `with pytest.raises(...)` / `self.assertRaises(...)`: a call the test expects to be rejected."""
    for anc in f.ancestors(node):
        if isinstance(anc, cst.With):
            for item in anc.items:
                if isinstance(item.item, cst.Call):
                    q = f.callee(item.item) or ""
                    if q == "pytest.raises" or q.rsplit(".", 1)[-1] in ("assertRaises", "assertRaisesRegex"):
                        return True
    return False


# Fixes put back the library defaults, as their source defines them: aiohttp 3.14 `BaseConnector` keeps idle
# connections 15 s (`keepalive_timeout = 15.0` when not given); httpx 0.28 `Limits(keepalive_expiry=5.0)` and the
# clients' `DEFAULT_LIMITS = Limits(max_connections=100, max_keepalive_connections=20)`.
PY_DEFAULTS = {
    "keepalive_timeout": ("15", "Use aiohttp connectors' default keep-alive timeout (15 s)"),
    "keepalive_expiry": ("5.0", "Use httpx's default keep-alive expiry (5.0 s)"),
    "max_keepalive_connections": ("20", "Use httpx clients' default `max_keepalive_connections` (20)"),
}
TITLE_HEADER = "Remove the `Connection: close` header"


def _py_has_call(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.Call) or any(_py_has_call(child) for child in node.children)


def _py_delete_statement(f: PythonFile, node: cst.CSTNode) -> Edit | None:
    """Remove the simple statement that is exactly `node` (an expression call or a one-target assignment),
    when nothing in it but `node` itself could have an effect."""
    if isinstance(node, cst.Call):
        holder = f.parent(node)
        if not isinstance(holder, cst.Expr) or _py_has_call(node.func):
            return None
    elif isinstance(node, cst.Assign):
        if len(node.targets) != 1 or _py_has_call(node.targets[0]) or _py_has_call(node.value):
            return None
        holder = node
    else:
        return None
    if not isinstance(f.parent(holder), cst.SimpleStatementLine):
        return None
    return f.delete_statement(holder)


def _py_remove_argument(f: PythonFile, arg: cst.Arg) -> Edit | None:
    """Remove an argument, unless it is a positional one that a later positional would slide into."""
    call = f.parent(arg)
    if not isinstance(call, cst.Call):
        return None
    index = next(i for i, a in enumerate(call.args) if a is arg)
    if arg.keyword is None and any(a.keyword is None and a.star != "**" for a in call.args[index + 1:]):
        return None
    return f.delete_from_list(call.args, arg)


def _py_header_entry_fix(f: PythonFile, entry: cst.CSTNode) -> Fix | None:
    """Drop a `Connection: close` entry (a dict key, a `(name, value)` pair, a `Connection=` keyword of `dict(...)`
    or `headers.update(...)`); when its container empties, the argument or statement holding it."""
    element = f.parent(entry)
    if isinstance(entry, cst.Arg):
        element, items, value = entry, f.parent(entry).args, entry.value
    elif isinstance(element, cst.DictElement) and entry is element.key:
        items, value = f.parent(element).elements, element.value
    elif isinstance(entry, cst.Tuple) and isinstance(element, cst.Element):  # [("Connection", "close")]
        items, value = f.parent(element).elements, entry.elements[1].value
    else:
        return None
    if not _only_close(f.string_value(value)):
        return None
    if len(items) > 1:
        return Fix(TITLE_HEADER, (f.delete_from_list(items, element),))
    container = f.parent(element)
    func = container.func if isinstance(container, cst.Call) else None
    if func is not None and not (isinstance(func, cst.Name) and func.value == "dict"):
        # the only argument of `headers.update(Connection="close")`: the statement goes
        return _fix(_py_delete_statement(f, container), TITLE_HEADER)
    holder = f.parent(container)
    if not isinstance(holder, cst.Arg):
        return None  # a header dict bound to a name or assigned: emptying it is not removing it
    call = f.parent(holder)
    if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "update":
        return _fix(_py_delete_statement(f, call), TITLE_HEADER)  # session.headers.update({...}) alone
    return _fix(_py_remove_argument(f, holder), TITLE_HEADER)


@RULE.python(*PY_CONNECTION_CLOSE_NEEDS, "force_close", "keepalive_")
def check_python(f: PythonFile) -> Iterator[Hit]:
    seen: set[int] = set()
    for node, fix in _python_nodes(f):
        if id(node) not in seen and not _py_expected_to_fail(f, node):
            seen.add(id(node))
            yield f.report(node, fix=fix)


def _python_nodes(f: PythonFile) -> Iterator[tuple[cst.CSTNode, Fix | None]]:
    """Each finding's node, with the fix that removes it."""
    for call in f.nodes(cst.Call):
        callee = f.callee(call) or ""
        func = call.func
        if callee in PY_MODULE_CALLS:
            entry = _py_headers_entry(f, call)
            if entry is not None:
                yield entry, _py_header_entry_fix(f, entry)
            continue
        if callee in PY_CLIENT_CTORS or callee in ("requests.Session", "requests.session"):
            if not py_test_client(f, call):
                entry = _py_headers_entry(f, call)
                if entry is not None:
                    yield entry, _py_header_entry_fix(f, entry)
            continue
        if callee.startswith("aiohttp.") and callee.endswith("Connector"):
            force = keyword_arg(call, "force_close")
            if force is not None and f.bool_value(force.value) is True:
                yield force, Fix("Remove `force_close=True`", (f.delete_from_list(call.args, force),))
            zero = _py_zero(f, call, "keepalive_timeout")
            if zero is not None:
                yield zero, _py_default(f, zero)
            continue
        if callee == "httpx.Limits":
            for keyword in ("max_keepalive_connections", "keepalive_expiry"):
                zero = _py_zero(f, call, keyword)
                if zero is not None:
                    yield zero, _py_default(f, zero)
            continue
        if not isinstance(func, cst.Attribute):
            continue
        method, owner = func.attr.value, func.value
        if method in PY_CLIENT_METHODS:
            # http.client and urllib3 take headers as the 4th positional: request(method, url, body, headers)
            entry = _py_headers_entry(f, call, 3 if method in ("request", "urlopen") else None)
            if entry is not None and _py_client(f, owner):
                yield entry, _py_header_entry_fix(f, entry)
        elif method == "putheader" and py_side(f, owner) not in ("server", "request"):
            name, value = f.arg(call, None, 0), f.arg(call, None, 1)
            if is_connection(f.string_value(name)) and has_close_token(f.string_value(value)):
                edit = _py_delete_statement(f, call) if _only_close(f.string_value(value)) else None
                yield call, _fix(edit, TITLE_HEADER)
        elif method in ("update", "setdefault", "__setitem__") and isinstance(owner, cst.Attribute) and (
            owner.attr.value == "headers" and _py_session_headers(f, owner)
        ):
            if method == "update":
                entry = py_close_entry_node(f, f.arg(call, None, 0)) or py_connection_close_keyword(f, call)
                if entry is not None:
                    yield entry, _py_header_entry_fix(f, entry)
            else:
                name, value = f.arg(call, None, 0), f.arg(call, None, 1)
                if is_connection(f.string_value(name)) and has_close_token(f.string_value(value)):
                    edit = _py_delete_statement(f, call) if _only_close(f.string_value(value)) else None
                    yield call, _fix(edit, TITLE_HEADER)

    for assign in f.nodes(cst.Assign):
        for target in assign.targets:
            node = target.target
            if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
                key = node.slice[0].slice.value
                if (
                    is_connection(f.string_value(key))
                    and has_close_token(f.string_value(assign.value))
                    and _py_session_headers(f, node.value)
                ):
                    edit = _py_delete_statement(f, assign) if _only_close(f.string_value(assign.value)) else None
                    yield assign, _fix(edit, TITLE_HEADER)
            elif _py_session_headers(f, node):  # session.headers = {"Connection": "close"}
                entry = py_close_entry_node(f, assign.value)
                if entry is not None:
                    yield entry, _py_header_entry_fix(f, entry)


def _py_default(f: PythonFile, arg: cst.Arg) -> Fix:
    text, title = PY_DEFAULTS[arg.keyword.value]
    return Fix(title, (f.replace(arg.value, text),))
