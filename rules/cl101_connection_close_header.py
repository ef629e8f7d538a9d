"""CL101 connection-close-header

## What it does
Flags server code that sets a `Connection: close` header on a response.

Go: `w.Header().Set("Connection", "close")` (also `Add`, `h := w.Header()`, `w.Header()["Connection"] = ...`,
gin `c.Header`, echo `c.Response().Header()`, fasthttp `ctx.Response.Header.Set`, fiber `c.Set`), and Python
`resp.headers["Connection"] = "close"`, `headers.set/add/setdefault`, Django `response["Connection"]`,
`headers=` given to a Flask/Werkzeug, Django, Starlette/FastAPI or aiohttp response, Flask view tuples
`(body, status, {"Connection": "close"})`, http.server `send_header` and Tornado `set_header`.

## Why is this bad?
The server honours the header: it closes the TCP connection after the response (Go's net/http, uvicorn
and aiohttp do; under HTTP/2 Go sends GOAWAY for the whole connection). Every client must then open a new
connection, and a TLS handshake, for each request, and the side that closes first, here the server,
keeps a TIME_WAIT socket for 60 s. Under load that is tens of thousands of sockets and exhausted ports.
(gunicorn drops the header, so there the line only misleads.)

## Example
    w.Header().Set("Connection", "close")

Use instead: delete the line and let the server keep connections alive; bound idle connections with
the server's idle timeout (Go `http.Server{IdleTimeout: ...}`) instead.

## References
- RFC 9112 section 9.6 (tear-down), Go net/http `Server.SetKeepAlivesEnabled`
"""

from __future__ import annotations

from typing import Iterator

import libcst as cst

from connlint.findings import Hit, Severity
from connlint.frontends.go import GoFile
from connlint.frontends.python import PythonFile, dotted
from connlint.registry import Rule

from ._http import has_close_token, is_connection, py_connection_close_entry, py_is_response_factory, py_side

RULE = Rule(
    "CL101",
    "connection-close-header",
    Severity.ERROR,
    __doc__,
    "Response sets `Connection: close`, so the server closes the connection after every response "
    "(new TCP/TLS handshake per request, TIME_WAIT sockets on the server); remove the header.",
)

# ---- Go ------------------------------------------------------------------------------------

GO_CALLS = """
(call_expression
  function: (selector_expression operand: (_) @recv field: (field_identifier) @method)
  arguments: (argument_list . (_) @name . (_) @value .)) @call
"""
GO_INDEX_ASSIGN = """
(assignment_statement
  left: (expression_list . (index_expression operand: (_) @recv index: (_) @name) .)
  right: (expression_list . (_) @value .)) @assign
"""
GO_HEADER_VARS = """
(short_var_declaration
  left: (expression_list . (identifier) @var .)
  right: (expression_list . (call_expression
      function: (selector_expression field: (field_identifier) @m)
      arguments: (argument_list) @args) .))
(assignment_statement
  left: (expression_list . (identifier) @var .)
  right: (expression_list . (call_expression
      function: (selector_expression field: (field_identifier) @m)
      arguments: (argument_list) @args) .))
"""
FIBER = "github.com/gofiber/fiber"


def _go_is_header_call(f: GoFile, node) -> bool:
    """`X.Header()`: a ResponseWriter's header map (a request's Header is a field, not a method)."""
    if node.type != "call_expression" or f.call_args(node):
        return False
    func = node.child_by_field_name("function")
    return func is not None and func.type == "selector_expression" and f.text(func.child_by_field_name("field")) == "Header"


def _go_header_vars(f: GoFile) -> dict[int, set[str]]:
    """Per function (by start byte): names bound to `X.Header()`."""
    found: dict[int, set[str]] = {}
    for m in f.matches(GO_HEADER_VARS):
        if f.text(m["m"]) != "Header" or m["args"].named_child_count:
            continue
        func = f.enclosing_function(m["var"])
        found.setdefault(func.start_byte if func else -1, set()).add(f.text(m["var"]))
    return found


def _go_response_header(f: GoFile, recv, header_vars: dict[int, set[str]]) -> bool:
    if _go_is_header_call(f, recv):
        return True
    if recv.type == "identifier":
        func = f.enclosing_function(recv)
        return f.text(recv) in header_vars.get(func.start_byte if func else -1, ())
    if recv.type == "selector_expression":  # fasthttp: ctx.Response.Header
        operand = recv.child_by_field_name("operand")
        return (
            f.text(recv.child_by_field_name("field")) == "Header"
            and operand is not None
            and operand.type == "selector_expression"
            and f.text(operand.child_by_field_name("field")) == "Response"
        )
    return False


def _go_close_values(f: GoFile, value) -> bool:
    """`"close"`, or a `[]string{"close"}` literal."""
    if has_close_token(f.string_value(value)):
        return True
    if value.type == "composite_literal":
        body = value.child_by_field_name("body")
        for element in body.named_children if body is not None else ():
            inner = element.named_children[0] if element.type == "literal_element" and element.named_child_count else element
            if has_close_token(f.string_value(inner)):
                return True
    return False


@RULE.go("connection&close")
def check_go(f: GoFile) -> Iterator[Hit]:
    header_vars = _go_header_vars(f)
    uses_fiber = any(path.startswith(FIBER) for path in f.imports.values())
    for m in f.matches(GO_CALLS):
        if not (is_connection(f.string_value(m["name"])) and has_close_token(f.string_value(m["value"]))):
            continue
        method = f.text(m["method"])
        recv = m["recv"]
        if method in ("Set", "Add") and _go_response_header(f, recv, header_vars):
            yield f.report(m["call"])
        elif method == "Header" and not _go_is_header_call(f, recv):  # gin: c.Header(k, v)
            yield f.report(m["call"])
        elif method in ("Set", "Append") and uses_fiber and recv.type == "identifier" and recv.parent is not None:
            yield f.report(m["call"])
    for m in f.matches(GO_INDEX_ASSIGN):
        if (
            is_connection(f.string_value(m["name"]))
            and _go_response_header(f, m["recv"], header_vars)
            and _go_close_values(f, m["value"])
        ):
            yield f.report(m["assign"])


# ---- Python --------------------------------------------------------------------------------

PY_SERVER_MODULES = (
    "flask", "quart", "django", "starlette", "fastapi", "aiohttp.web", "aiohttp", "tornado", "werkzeug",
    "http.server", "sanic", "bottle", "falcon", "pyramid", "litestar", "socketserver", "wsgiref",
)
HEADER_SETTERS = ("set", "add", "setdefault", "add_header", "__setitem__", "append", "setlist")
HANDLER_SETTERS = ("send_header", "set_header", "add_header", "append_header")
FLASK_LIKE = ("flask", "quart")
POSITIONAL_HEADERS = ("flask.", "quart.", "werkzeug.", "starlette.", "fastapi.")


def _imports_any(f: PythonFile, prefixes: tuple[str, ...]) -> bool:
    return any(q == p or q.startswith(p + ".") for q in f.imports.values() for p in prefixes)


def _headers_owner(f: PythonFile, expr: cst.BaseExpression, server_file: bool) -> bool:
    """Is `expr` a response's header map: `resp.headers`, or a response object itself (Django)?"""
    if isinstance(expr, cst.Attribute) and expr.attr.value in ("headers", "_headers"):
        side = py_side(f, expr.value)
        return side == "server" or (side is None and server_file)
    return isinstance(expr, (cst.Name, cst.Attribute)) and py_side(f, expr) == "server"


@RULE.python("connection&close")
def check_python(f: PythonFile) -> Iterator[Hit]:
    server_file = _imports_any(f, PY_SERVER_MODULES)

    for assign in f.nodes(cst.Assign):
        for target in assign.targets:
            sub = target.target
            if not (isinstance(sub, cst.Subscript) and len(sub.slice) == 1):
                continue
            index = sub.slice[0].slice
            if not isinstance(index, cst.Index) or not is_connection(f.string_value(index.value)):
                continue
            if has_close_token(f.string_value(assign.value)) and _headers_owner(f, sub.value, server_file):
                yield f.report(assign)

    for call in f.nodes(cst.Call):
        func = call.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            name, value = f.arg(call, "key", 0) or f.arg(call, "name", 0), f.arg(call, "value", 1)
            if method in HANDLER_SETTERS and py_side(f, func.value) not in ("client", "request"):
                if is_connection(f.string_value(name)) and has_close_token(f.string_value(value)):
                    yield f.report(call)
                    continue
            if method in HEADER_SETTERS and _headers_owner(f, func.value, server_file):
                if is_connection(f.string_value(name)) and has_close_token(f.string_value(value)):
                    yield f.report(call)
                    continue
            if method in ("update", "extend") and _headers_owner(f, func.value, server_file):
                entry = py_connection_close_entry(f, f.arg(call, None, 0))
                if entry is not None:
                    yield f.report(entry)
                    continue
        callee = f.callee(call)
        if py_is_response_factory(callee) and (server_file or "." in (callee or "")):
            headers = f.arg(call, "headers")
            if headers is None and callee and callee.startswith(POSITIONAL_HEADERS):
                headers = f.arg(call, None, 2)
            entry = py_connection_close_entry(f, headers)
            if entry is not None:
                yield f.report(entry)

    if _imports_any(f, FLASK_LIKE):
        for ret in f.nodes(cst.Return):
            if isinstance(ret.value, cst.Tuple) and len(ret.value.elements) in (2, 3):
                entry = py_connection_close_entry(f, ret.value.elements[-1].value)
                if entry is not None and f.enclosing_function(ret) is not None:
                    yield f.report(entry)


__all__ = ["RULE", "dotted"]
