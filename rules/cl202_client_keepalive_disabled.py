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

## References
- Go net/http `Transport.DisableKeepAlives`, `Request.Close`; RFC 9112 section 9.6 (tear-down)
- requests "Session Objects" (connection pooling), httpx "Resource limits", aiohttp "Connectors"
"""

from __future__ import annotations

from functools import cached_property
from typing import Iterator

import libcst as cst

from connlint.findings import Hit, Severity
from connlint.frontends.go import GoFile, import_base
from connlint.frontends.python import PythonFile
from connlint.registry import Rule

from ._go import COMPOSITE_LITERALS, FASTHTTP, METHOD_CALLS, NET_HTTP, GoNames, assignments, named, strip
from ._http import go_close_value, has_close_token, is_connection, py_connection_close_entry, py_side, py_test_client
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


@RULE.go("disablekeepalives", "connection&close", "close&request&true", "close&clone&true")
def check_go(f: GoFile) -> Iterator[Hit]:
    g = _Go(f)
    uses_resty = any(import_base(p).startswith(RESTY) for p in f.imports.values())

    for m in f.matches(COMPOSITE_LITERALS):
        kind = g.member(m["type"])
        for key, value, element in f.keyed_elements(m["lit"]):
            if kind == (NET_HTTP, "Transport") and key == "DisableKeepAlives" and f.bool_value(strip(value)) is True:
                yield f.report(element)
            elif kind == (NET_HTTP, "Request") and key == "Close" and f.bool_value(strip(value)) is True:
                if _literal_outgoing(g, m["lit"]):
                    yield f.report(element)

    for assign, target, value, count in assignments(f):
        if target.type == "selector_expression":
            field = f.text(target.child_by_field_name("field"))
            operand = target.child_by_field_name("operand")
            if field == "DisableKeepAlives" and f.bool_value(strip(value)) is True:
                yield f.report(assign)
            elif field == "Close" and f.bool_value(strip(value)) is True and g.outgoing(operand):
                yield f.report(assign)
        elif target.type == "index_expression" and count == 1:  # req.Header["Connection"] = []string{"close"}
            if (
                is_connection(f.string_value(target.child_by_field_name("index")))
                and go_close_value(f, value)
                and _go_request_header(g, target.child_by_field_name("operand"))
            ):
                yield f.report(assign)

    for m in f.matches(METHOD_CALLS):
        method, args, recv = f.text(m["method"]), f.call_args(m["call"]), m["recv"]
        header_pair = (
            len(args) == 2 and is_connection(f.string_value(args[0])) and has_close_token(f.string_value(args[1]))
        )
        if method in ("Set", "Add") and header_pair and _go_request_header(g, recv):
            yield f.report(m["call"])
        elif method == "SetConnectionClose" and not args:
            if g.fasthttp_request(recv) or _go_request_header(g, recv) == "fast":
                yield f.report(m["call"])
        elif uses_resty and method in ("SetHeader", "SetHeaderVerbatim") and header_pair:
            yield f.report(m["call"])
        elif uses_resty and method == "SetCloseConnection" and len(args) == 1 and f.bool_value(strip(args[0])) is True:
            yield f.report(m["call"])
        elif uses_resty and method == "SetHeaders" and len(args) == 1 and strip(args[0]).type == "composite_literal":
            for key, value, element in f.keyed_nodes(strip(args[0])):
                if is_connection(f.string_value(strip(key))) and has_close_token(f.string_value(value)):
                    yield f.report(element)


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
    return py_connection_close_entry(f, f.arg(call, "headers", position))


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


@RULE.python("connection&close", "force_close", "keepalive_")
def check_python(f: PythonFile) -> Iterator[Hit]:
    seen: set[int] = set()
    for node in _python_nodes(f):
        if id(node) not in seen and not _py_expected_to_fail(f, node):
            seen.add(id(node))
            yield f.report(node)


def _python_nodes(f: PythonFile) -> Iterator[cst.CSTNode]:
    for call in f.nodes(cst.Call):
        callee = f.callee(call) or ""
        func = call.func
        if callee in PY_MODULE_CALLS:
            entry = _py_headers_entry(f, call)
            if entry is not None:
                yield entry
            continue
        if callee in PY_CLIENT_CTORS or callee in ("requests.Session", "requests.session"):
            if not py_test_client(f, call):
                entry = _py_headers_entry(f, call)
                if entry is not None:
                    yield entry
            continue
        if callee.startswith("aiohttp.") and callee.endswith("Connector"):
            force = keyword_arg(call, "force_close")
            if force is not None and f.bool_value(force.value) is True:
                yield force
            zero = _py_zero(f, call, "keepalive_timeout")
            if zero is not None:
                yield zero
            continue
        if callee == "httpx.Limits":
            for keyword in ("max_keepalive_connections", "keepalive_expiry"):
                zero = _py_zero(f, call, keyword)
                if zero is not None:
                    yield zero
            continue
        if not isinstance(func, cst.Attribute):
            continue
        method, owner = func.attr.value, func.value
        if method in PY_CLIENT_METHODS:
            # http.client and urllib3 take headers as the 4th positional: request(method, url, body, headers)
            entry = _py_headers_entry(f, call, 3 if method in ("request", "urlopen") else None)
            if entry is not None and _py_client(f, owner):
                yield entry
        elif method == "putheader" and py_side(f, owner) not in ("server", "request"):
            name, value = f.arg(call, None, 0), f.arg(call, None, 1)
            if is_connection(f.string_value(name)) and has_close_token(f.string_value(value)):
                yield call
        elif method in ("update", "setdefault", "__setitem__") and isinstance(owner, cst.Attribute) and (
            owner.attr.value == "headers" and _py_session_headers(f, owner)
        ):
            if method == "update":
                entry = py_connection_close_entry(f, f.arg(call, None, 0))
                if entry is None:
                    entry = next(
                        (a for a in call.args if a.keyword is not None and is_connection(a.keyword.value)
                         and has_close_token(f.string_value(a.value))),
                        None,
                    )
                if entry is not None:
                    yield entry
            else:
                name, value = f.arg(call, None, 0), f.arg(call, None, 1)
                if is_connection(f.string_value(name)) and has_close_token(f.string_value(value)):
                    yield call

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
                    yield assign
            elif _py_session_headers(f, node):  # session.headers = {"Connection": "close"}
                entry = py_connection_close_entry(f, assign.value)
                if entry is not None:
                    yield entry

