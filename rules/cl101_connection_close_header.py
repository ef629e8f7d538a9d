"""CL101 connection-close-header

## What it does
Flags server code that sets a `Connection: close` header on a response.

Go: `w.Header().Set("Connection", "close")` (also `Add`, `h := w.Header()`, `w.Header()["Connection"] = ...`),
gin `c.Header`, echo `c.Response().Header()`, fasthttp `ctx.Response.Header.Set/Add` (and the `[]byte`
variants), fiber `c.Set` / `c.Append` / `c.Response().Header.Set`, an `http.Header{"Connection": {"close"}}`
literal that is copied into a response (`for k, v := range hdr { w.Header()[k] = v }`, `maps.Copy`), assigned
to `resp.Header` in a `ReverseProxy.ModifyResponse` hook or written with `http.Response.Write`; header names
and values through constants of the file, echo/fiber/fasthttp `HeaderConnection`, `http.CanonicalHeaderKey`
and `textproto.CanonicalMIMEHeaderKey`.

Python: `resp.headers["Connection"] = "close"`, `headers.set/add/setdefault/update`, Django
`response["Connection"]`, `headers=` given to a Flask/Werkzeug, Django, Starlette/FastAPI, aiohttp or Sanic
response (also wrapped in `CIMultiDict`/`Headers`), Flask view tuples `(body, status, {"Connection": "close"})`,
aiohttp `hdrs.CONNECTION`, Falcon `resp.set_header`, http.server `send_header` and Tornado `set_header` in
handler classes, raw ASGI `{"type": "http.response.start", "headers": [(b"connection", b"close")]}` messages
and send wrappers, and WSGI `start_response(status, [("Connection", "close")])`.

The severity follows where the header is set. A close that only happens on an error path (a 4xx/5xx
response, `http.Error`, `send_error`, an `err != nil` or `except` branch, a function named like
`sendError`/`reject`/`tooLarge`), when overloaded (429/503), while draining or shutting down, or when the
response has no Content-Length is reported as a note: it is usually deliberate. One set in middleware or a
global hook (`r.Use(...)`, `func(http.Handler) http.Handler`, gin `c.Next()`, `@app.after_request`,
`@app.middleware("http")`, `BaseHTTPMiddleware.dispatch`, Django `process_response`) says it affects every
route. Headers inside `assert` statements and comparisons (test expectations) are not reported.

## Why is this bad?
What the server does with the header differs, and the message says which case applies:

- Go net/http and fasthttp, uvicorn, hypercorn and http.server close the TCP connection after the response
  (under HTTP/2 Go sends GOAWAY, ending the whole connection). Every client must then open a new
  connection, and a TLS handshake, for its next request, and the server, which closes first, keeps a
  TIME_WAIT socket for 60 s. Under load that is tens of thousands of sockets and exhausted ports.
- aiohttp and Tornado send the header but keep their side open; HTTP/1.1 clients then close the
  connection themselves, so the handshakes are the same and the TIME_WAIT sockets pile up on the clients.
- WSGI forbids hop-by-hop headers in applications (PEP 3333): gunicorn silently drops the header, so the
  line only misleads, and wsgiref (Django's runserver) and waitress fail the response with an
  AssertionError. Sanic overwrites it with its own keep-alive decision.

## Example
    w.Header().Set("Connection", "close")

    @app.after_request
    def no_keepalive(response):
        response.headers["Connection"] = "close"
        return response

Use instead: delete the line and let the server keep connections alive; bound idle connections with
the server's idle timeout (Go `http.Server{IdleTimeout: ...}`, uvicorn `--timeout-keep-alive`, gunicorn
`keepalive`) instead. To shed load or drain an instance, close only on that path (Go
`srv.SetKeepAlivesEnabled(false)` before `Shutdown`, aiohttp `resp.force_close()`).

## Fix
Safe: a statement that only sets the header is removed, and so is a `"Connection": "close"` entry of a header
dict, map or list (with its `headers=` argument, or a Flask view tuple's headers, when nothing else is left),
when the value is exactly `close`. Not fixed: notes (error, overload, shutdown paths), Sanic, a value with
other tokens (`close, TE`), a package- or module-level header map (other code may use it), a removal that
would leave a Go variable or import unused, a response written by hand on a hijacked Go connection, and an
http.server handler that sends no Content-Length, leaves the request body unread (there the close is what
ends the response) or sets no `timeout` (a kept-alive idle client would hold its thread).

## References
- RFC 9112 section 9.6 (tear-down); RFC 9110 section 7.6.1 (Connection); PEP 3333 (hop-by-hop headers)
- Go net/http `Server.SetKeepAlivesEnabled`, `httputil.ReverseProxy.ModifyResponse`
- gunicorn `gunicorn/http/wsgi.py` (`is_hoppish` headers are dropped); aiohttp `StreamResponse.force_close`
"""

from __future__ import annotations

import re
from typing import Iterator, Sequence

import libcst as cst

from connlint.findings import Edit, Fix, Hit, Severity
from connlint.frontends.go import GoFile, canonical_header_key
from connlint.frontends.python import PythonFile, dict_items, dotted
from connlint.registry import Rule

from ._go import FIBER, named, node_key
from ._http import (
    GO_CONNECTION_CLOSE_NEEDS,
    PY_CONNECTION_CLOSE_NEEDS,
    has_close_token,
    is_connection,
    py_close_entry_node,
    py_connection_close_keyword,
    py_is_response_factory,
    py_side,
)
from ._paths import (
    ERROR_PATH,
    GLOBAL,
    NO_LENGTH,
    OVERLOAD,
    SHUTDOWN,
    go_close_context,
    go_is_modify_response,
    is_path_only,
    phrase,
    py_class_bases,
    py_close_context,
)
from ._py import imports_any, walk
from ._py_handlers import handler_has_timeout, stdlib_response_framed

RULE = Rule(
    "CL101",
    "connection-close-header",
    Severity.ERROR,
    __doc__,
    "Response sets `Connection: close`, so the connection is closed after every response (a new TCP/TLS "
    "handshake per request, TIME_WAIT sockets on the side that closes first); remove the header.",
)

# ---- messages ------------------------------------------------------------------------------

_HANDSHAKE = (
    "so the client's next request pays a new TCP/TLS handshake and the server, which closes first, keeps a "
    "TIME_WAIT socket for 60 s"
)
EFFECTS = {
    "net/http": "Go's net/http closes the connection after this response (under HTTP/2 it sends GOAWAY, ending "
    "the whole connection), " + _HANDSHAKE,
    "fasthttp": "fasthttp closes the connection after this response, " + _HANDSHAKE,
    "proxy": "the proxy copies it into the client's response and net/http then closes the client connection "
    "(GOAWAY under HTTP/2), " + _HANDSHAKE,
    "asgi": "uvicorn and hypercorn honour it and close the connection after this response, " + _HANDSHAKE,
    "stdlib": "http.server closes the connection after this response, " + _HANDSHAKE,
    "server": "the server closes the connection after this response, " + _HANDSHAKE,
    "aiohttp": "aiohttp sends it but keeps its side open, so the client closes the connection after this response "
    "and pays a new TCP/TLS handshake for its next request, with the TIME_WAIT sockets on the client",
    "tornado": "Tornado sends it but keeps its side open, so the client closes the connection after this response "
    "and pays a new TCP/TLS handshake for its next request, with the TIME_WAIT sockets on the client",
    "wsgi": "PEP 3333 forbids hop-by-hop headers in WSGI applications: gunicorn silently drops it (the line only "
    "misleads) and wsgiref and waitress fail the response with an AssertionError",
    "django": "under WSGI it breaks PEP 3333 (gunicorn drops it, runserver and waitress fail with an AssertionError) "
    "and under ASGI uvicorn closes the connection after this response, " + _HANDSHAKE,
    "sanic": "Sanic overwrites the Connection header with its own keep-alive decision, so the line has no effect "
    "and only misleads",
    "generic": "servers that honour it (Go net/http, uvicorn, http.server) close the connection after this "
    "response, " + _HANDSHAKE,
}
NO_EFFECT = ("wsgi", "sanic")
FIXES = {
    None: "remove the header and bound idle connections with the server's idle timeout instead",
    GLOBAL: "remove the header and bound idle connections with the server's idle timeout instead",
    ERROR_PATH: "that is usually deliberate (the connection may hold an unread request body); keep it only where "
    "the connection cannot be reused",
    OVERLOAD: "closing sheds load but every rejected client must reconnect; prefer the 429/503 with `Retry-After` "
    "on the open connection unless clients should move to another instance",
    SHUTDOWN: "this is the intended use, moving clients to other instances while this one drains",
    NO_LENGTH: "set Content-Length or use chunked encoding so the connection can be reused",
}


def _message(context: str | None, runtime: str) -> str:
    effect = EFFECTS[runtime]
    if context == GLOBAL:
        head = f"`Connection: close` is set {phrase(GLOBAL)}: {effect}"
    elif context:
        head = f"Response sets `Connection: close` {phrase(context)}: {effect}"
    else:
        head = f"Response sets `Connection: close`: {effect}"
    fix = "remove the line" if runtime in NO_EFFECT else FIXES[context]
    return f"{head}; {fix}."


def _severity(context: str | None, runtime: str) -> Severity:
    if is_path_only(context):
        return Severity.NOTE
    if runtime == "sanic":
        return Severity.WARNING  # no effect at run time: misleading code, not a closed connection
    return Severity.ERROR


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
GO_LITERALS = "(composite_literal body: (literal_value) @body) @lit"
FASTHTTP_SETTERS = ("Set", "Add", "SetBytesV", "SetBytesKV", "SetCanonical", "AddBytesV", "AddBytesKV", "SetBytesK",
                    "AddBytesK")


def _field(f: GoFile, node) -> str:
    """The member name of a selector expression `x.Member`, else ""."""
    if node is None or node.type != "selector_expression":
        return ""
    return f.text(node.child_by_field_name("field"))


def _go_str(f: GoFile, node, _depth: int = 0) -> str | None:
    """A string value, also through `[]byte("...")` and `textproto.CanonicalMIMEHeaderKey("...")`."""
    if node is None or _depth > 4:
        return None
    if node.type == "type_conversion_expression":
        return _go_str(f, node.child_by_field_name("operand"), _depth + 1)
    if node.type == "call_expression":
        func = node.child_by_field_name("function")
        args = f.call_args(node)
        if f.selector(func) == ("net/textproto", "CanonicalMIMEHeaderKey") and len(args) == 1:
            inner = _go_str(f, args[0], _depth + 1)
            return canonical_header_key(inner) if inner is not None else None
        if func is not None and func.type in ("slice_type", "parenthesized_type") and len(args) == 1:
            return _go_str(f, args[0], _depth + 1)  # []byte("close") parsed as a call
    return f.string_value(node)


def _go_is_header_call(f: GoFile, node) -> bool:
    """`X.Header()`: a ResponseWriter's header map (a request's Header is a field, not a method)."""
    if node.type != "call_expression" or f.call_args(node):
        return False
    func = node.child_by_field_name("function")
    return _field(f, func) == "Header"


def _go_header_vars(f: GoFile) -> dict[int, set[str]]:
    """Per function (by start byte): names bound to `X.Header()`."""
    found: dict[int, set[str]] = {}
    for m in f.matches(GO_HEADER_VARS):
        if f.text(m["m"]) != "Header" or m["args"].named_child_count:
            continue
        func = f.enclosing_function(m["var"])
        found.setdefault(func.start_byte if func else -1, set()).add(f.text(m["var"]))
    return found


def _go_param_type(f: GoFile, ident) -> tuple[str | None, str] | None:
    """(import path, type name) of the parameter of an enclosing function that `ident` names."""
    name = f.text(ident)
    func = f.enclosing_function(ident)
    while func is not None:
        params = func.child_by_field_name("parameters")
        for decl in params.named_children if params is not None else ():
            if decl.type != "parameter_declaration":
                continue
            if name in (f.text(n) for n in decl.children_by_field_name("name")):
                kind = decl.child_by_field_name("type")
                while kind is not None and kind.type == "pointer_type" and kind.named_child_count:
                    kind = kind.named_children[0]
                return f.selector(kind) or (None, f.text(kind))
        func = f.enclosing_function(func)
    return None


def _go_proxy_response(f: GoFile, operand) -> bool:
    """`resp` in a `ReverseProxy.ModifyResponse` hook: its `*http.Response` parameter."""
    if operand is None or operand.type != "identifier" or _go_param_type(f, operand) != ("net/http", "Response"):
        return False
    func = f.enclosing_function(operand)
    while func is not None:
        if go_is_modify_response(f, func):
            return True
        func = f.enclosing_function(func)
    return False


def _go_response_header(f: GoFile, recv, header_vars: dict[int, set[str]]) -> str | None:
    """The runtime ("net/http", "fasthttp" or "proxy") when `recv` is a response's header map, else None."""
    if _go_is_header_call(f, recv):
        return "net/http"
    if recv.type == "identifier":
        func = f.enclosing_function(recv)
        return "net/http" if f.text(recv) in header_vars.get(func.start_byte if func else -1, ()) else None
    if _field(f, recv) == "Header":
        operand = recv.child_by_field_name("operand")
        if operand is None:
            return None
        if _field(f, operand) == "Response":
            return "fasthttp"  # fasthttp ctx.Response.Header, fiber c.Context().Response.Header
        if operand.type == "call_expression" and not f.call_args(operand):
            if _field(f, operand.child_by_field_name("function")) == "Response":
                return "fasthttp"  # fiber c.Response().Header
        if _go_proxy_response(f, operand):
            return "proxy"
    return None


def _go_close_values(f: GoFile, value) -> bool:
    """`"close"`, or a `[]string{"close"}` / `{"close"}` literal."""
    if has_close_token(_go_str(f, value)):
        return True
    body = value.child_by_field_name("body") if value.type == "composite_literal" else value
    if body is not None and body.type == "literal_value":
        for element in body.named_children:
            inner = element
            if element.type == "literal_element" and element.named_child_count:
                inner = element.named_children[0]
            if has_close_token(_go_str(f, inner)):
                return True
    return False


def _go_fiber_ctx(f: GoFile, recv) -> bool:
    if recv.type != "identifier":
        return False
    found = _go_param_type(f, recv)
    return found is not None and found[0] == FIBER and found[1] == "Ctx"


def _go_close_entry(f: GoFile, literal):
    """The `"Connection": {"close"}` element of a map literal."""
    for key, value, element in f.keyed_nodes(literal):
        if is_connection(_go_str(f, key)) and _go_close_values(f, value):
            return element
    return None


def _go_binding(f: GoFile, expr):
    """(name, scope) of the variable a value is bound to: `h := lit`, `var h = lit`, `h = lit`."""
    node = expr
    if node.parent is not None and node.parent.type == "unary_expression":
        node = node.parent
    parent = node.parent
    if parent is None or parent.type != "expression_list" or parent.parent is None:
        return None
    holder = parent.parent
    if holder.type in ("short_var_declaration", "assignment_statement"):
        left = holder.child_by_field_name("left")
        names = left.named_children if left is not None else []
    elif holder.type == "var_spec":
        names = holder.children_by_field_name("name")
    else:
        return None
    if len(names) != 1 or names[0].type != "identifier":
        return None
    scope = f.enclosing_function(holder) or f.root
    return f.text(names[0]), scope


def _go_references(f: GoFile, literal) -> list:
    """The literal and the identifiers that refer to the variable it is bound to."""
    refs = [literal]
    binding = _go_binding(f, literal)
    if binding is None:
        return refs
    name, scope = binding
    stack = [scope]
    while stack:
        node = stack.pop()
        if node.type == "identifier" and f.text(node) == name and node.start_byte > literal.end_byte:
            refs.append(node)
        stack.extend(node.named_children)
    return refs


def _go_copied_into_response(f: GoFile, ref, header_vars) -> tuple[object, str] | None:
    """(statement, runtime) when the header map `ref` ends up in a response."""
    parent = ref.parent
    # for k, v := range hdr { w.Header()[k] = v } / { w.Header().Set(k, v[0]) } / nested range over v
    right = parent.child_by_field_name("right") if parent is not None and parent.type == "range_clause" else None
    if right is not None and node_key(right) == node_key(ref):
        left = parent.child_by_field_name("left")
        loop = parent.parent
        body = loop.child_by_field_name("body") if loop is not None else None
        if left is None or not left.named_child_count or body is None:
            return None
        key_var = f.text(left.named_children[0])
        stack = [body]
        while stack:
            node = stack.pop()
            stack.extend(node.named_children)
            if node.type == "index_expression" and f.text(node.child_by_field_name("index")) == key_var:
                runtime = _go_response_header(f, node.child_by_field_name("operand"), header_vars)
                if runtime and node.parent is not None and node.parent.type == "expression_list":
                    return loop, runtime
            if node.type == "call_expression":
                func = node.child_by_field_name("function")
                args = f.call_args(node)
                if (
                    func is not None and func.type == "selector_expression" and args
                    and f.text(func.child_by_field_name("field")) in ("Set", "Add")
                    and f.text(args[0]) == key_var
                ):
                    runtime = _go_response_header(f, func.child_by_field_name("operand"), header_vars)
                    if runtime:
                        return loop, runtime
        return None
    # maps.Copy(w.Header(), hdr)
    if parent is not None and parent.type == "argument_list" and parent.parent is not None:
        call = parent.parent
        args = f.call_args(call)
        if f.selector(call.child_by_field_name("function")) in (("maps", "Copy"), ("golang.org/x/exp/maps", "Copy")):
            if len(args) == 2 and node_key(args[1]) == node_key(ref):
                runtime = _go_response_header(f, args[0], header_vars)
                return (call, runtime) if runtime else None
    # resp.Header = hdr inside ReverseProxy.ModifyResponse
    if parent is not None and parent.type == "expression_list" and parent.parent is not None:
        stmt = parent.parent
        values = stmt.child_by_field_name("right") or stmt
        if stmt.type == "assignment_statement" and node_key(values) == node_key(parent):
            left = stmt.child_by_field_name("left")
            target = left.named_children[0] if left is not None and left.named_child_count == 1 else None
            if _field(f, target) == "Header":
                if _go_proxy_response(f, target.child_by_field_name("operand")):
                    return stmt, "proxy"
    # &http.Response{Header: hdr, ...} written to a connection with resp.Write(conn)
    if parent is not None and parent.type in ("keyed_element", "literal_element"):
        element = parent if parent.type == "keyed_element" else parent.parent
        literal = element.parent.parent if element is not None and element.parent is not None else None
        if (
            element is not None and element.type == "keyed_element" and element.named_child_count == 2
            and f.text(element.named_children[0]) == "Header"
            and literal is not None and literal.type == "composite_literal"
            and f.selector(literal.child_by_field_name("type")) == ("net/http", "Response")
        ):
            written = _go_written_response(f, literal)
            return (written, "server") if written is not None else None
    return None


def _go_written_response(f: GoFile, literal):
    """The `resp.Write(w)` call that sends a response literal bound to `resp` in the same function."""
    for ref in _go_references(f, literal)[1:]:
        selector = ref.parent
        call = selector.parent if selector is not None else None
        if (
            selector is not None and selector.type == "selector_expression"
            and selector.child_by_field_name("operand") == ref
            and f.text(selector.child_by_field_name("field")) == "Write"
            and call is not None and call.type == "call_expression"
            and call.child_by_field_name("function") == selector and len(f.call_args(call)) == 1
        ):
            return call
    return None


def _go_findings(f: GoFile) -> Iterator[tuple[object, object, str]]:
    """(node to report, node whose path decides the severity, runtime)."""
    header_vars = _go_header_vars(f)
    uses_fiber = any(path.startswith(FIBER) for path in f.imports.values())
    for m in f.matches(GO_CALLS):
        if not (is_connection(_go_str(f, m["name"])) and has_close_token(_go_str(f, m["value"]))):
            continue
        method = f.text(m["method"])
        recv = m["recv"]
        runtime = _go_response_header(f, recv, header_vars)
        if runtime and (method in ("Set", "Add") or (runtime == "fasthttp" and method in FASTHTTP_SETTERS)):
            yield m["call"], m["call"], runtime
        elif method == "Header" and not _go_is_header_call(f, recv):  # gin: c.Header(k, v)
            yield m["call"], m["call"], "net/http"
        elif method in ("Set", "Append") and uses_fiber and _go_fiber_ctx(f, recv):  # fiber: c.Set(k, v)
            yield m["call"], m["call"], "fasthttp"
    for m in f.matches(GO_INDEX_ASSIGN):
        runtime = _go_response_header(f, m["recv"], header_vars)
        if runtime and is_connection(_go_str(f, m["name"])) and _go_close_values(f, m["value"]):
            yield m["assign"], m["assign"], runtime
    for m in f.matches(GO_LITERALS):
        entry = _go_close_entry(f, m["lit"])
        if entry is None:
            continue
        for ref in _go_references(f, m["lit"]):
            use = _go_copied_into_response(f, ref, header_vars)
            if use is not None:
                yield entry, use[0], use[1]
                break


def _go_echoes_client(f: GoFile, node) -> bool:
    """Inside `if r.Close { ... }` or `if r.Header.Get("Connection") == "close" { ... }`: the client asked to
    close, and the server closes then anyway; the header only repeats that."""
    child = node
    for anc in f.ancestors(node):
        if anc.type in ("function_declaration", "method_declaration"):
            return False
        if anc.type == "if_statement" and node_key(child) == node_key(anc.child_by_field_name("consequence") or anc):
            cond = anc.child_by_field_name("condition")
            stack = [cond] if cond is not None else []
            strings, request_close = [], False
            while stack:
                n = stack.pop()
                stack.extend(n.named_children)
                if n.type in ("interpreted_string_literal", "raw_string_literal", "identifier", "selector_expression"):
                    strings.append(_go_str(f, n))
                if _field(f, n) == "Close":
                    operand = n.child_by_field_name("operand")
                    request_close |= operand is not None and operand.type == "identifier" and _go_param_type(
                        f, operand
                    ) == ("net/http", "Request")
            if request_close or (any(map(is_connection, strings)) and any(map(has_close_token, strings))):
                return True
        child = anc
    return False


# ---- Go fixes ------------------------------------------------------------------------------
# Only a value that is exactly `close` is removed: `close, TE` also names other hop-by-hop headers, and
# dropping those tokens is left to a human. A finding on an error, overload or shutdown path (a note), and
# a response written by hand on a hijacked connection (which the handler then closes), get no fix.

FIX_TITLE = "Remove the `Connection: close` header"
def _go_only_close(f: GoFile, value) -> bool:
    """`"close"` or `[]string{"close"}` / `{"close"}` and nothing else."""
    if value is None:
        return False
    if value.type == "literal_element" and value.named_child_count == 1:
        value = value.named_children[0]
    text = _go_str(f, value)
    if text is not None:
        return text.strip().lower() == "close"
    body = value.child_by_field_name("body") if value.type == "composite_literal" else value
    if body is None or body.type != "literal_value":
        return False
    elements = named(body)
    return len(elements) == 1 and _go_only_close(f, elements[0])


def _go_literal_fixable(f: GoFile, literal, header_vars) -> bool:
    """The literal is written inline where it is copied into a response, or bound to a local variable whose
    every use is such a copy (a package-level map may be used by other files for other purposes)."""
    binding = _go_binding(f, literal)
    if binding is None:
        return True
    if binding[1].type == "source_file":
        return False
    refs = _go_references(f, literal)[1:]
    return bool(refs) and all(_go_copied_into_response(f, ref, header_vars) is not None for ref in refs)


def _go_fix(f: GoFile, node, header_vars) -> Fix | None:
    edit = None
    if node.type == "call_expression":
        args = f.call_args(node)
        if len(args) == 2 and _go_only_close(f, args[1]):
            edit = f.remove_statement(node)
    elif node.type == "assignment_statement":
        right = node.child_by_field_name("right")
        if right is not None and right.named_child_count == 1 and _go_only_close(f, right.named_children[0]):
            edit = f.remove_statement(node)
    elif node.type == "keyed_element" and _go_only_close(f, node.named_children[-1]):
        literal = node.parent.parent if node.parent is not None else None
        if literal is not None and literal.type == "composite_literal" and _go_literal_fixable(f, literal, header_vars):
            elements = named(node.parent)
            copy = literal.parent.parent if literal.parent is not None else None
            if len(elements) == 1 and copy is not None and copy.type == "call_expression" and f.selector(
                copy.child_by_field_name("function")
            ) in (("maps", "Copy"), ("golang.org/x/exp/maps", "Copy")):
                edit = f.remove_statement(copy)  # maps.Copy(w.Header(), http.Header{"Connection": {"close"}})
            if edit is None and not f.orphaned_names(node):
                edit = f.delete_element(node)
    return Fix(FIX_TITLE, (edit,), safe=True) if edit is not None else None


@RULE.go(*GO_CONNECTION_CLOSE_NEEDS)
def check_go(f: GoFile) -> Iterator[Hit]:
    seen: set[tuple] = set()
    header_vars = _go_header_vars(f)
    for node, where, runtime in _go_findings(f):
        if node_key(node) in seen or _go_echoes_client(f, where):
            continue
        seen.add(node_key(node))
        context = go_close_context(f, where)
        if context is None and runtime == "proxy":
            context = GLOBAL
        severity = _severity(context, runtime)
        fix = _go_fix(f, node, header_vars) if severity == Severity.ERROR and runtime != "server" else None
        yield f.report(node, message=_message(context, runtime), severity=severity, fix=fix)


# ---- Python --------------------------------------------------------------------------------

PY_SERVER_MODULES = (
    "flask", "quart", "django", "starlette", "fastapi", "aiohttp.web", "aiohttp", "tornado", "werkzeug",
    "http.server", "sanic", "bottle", "falcon", "pyramid", "litestar", "socketserver", "wsgiref",
)
HEADER_SETTERS = ("set", "add", "setdefault", "add_header", "__setitem__", "append", "setlist")
HANDLER_SETTERS = ("send_header", "set_header", "add_header", "append_header")
MAPPING_SETTERS = ("update", "extend", "set_headers")
FLASK_LIKE = ("flask", "quart")
POSITIONAL_HEADERS = ("flask.", "quart.", "werkzeug.", "starlette.", "fastapi.")
SANIC_FACTORIES = ("text", "json", "html", "raw", "empty", "redirect", "file", "file_stream", "HTTPResponse",
                   "JSONResponse", "ResponseStream", "json_dumps")
HEADER_WRAPPERS = ("CIMultiDict", "CIMultiDictProxy", "MultiDict", "Headers", "MutableHeaders", "HTTPHeaders",
                   "EnvironHeaders", "dict", "Header")
ASGI_START = "http.response.start"
# (module prefix, runtime), first match wins: what serves the file's responses.
PY_RUNTIMES = (
    ("sanic", "sanic"), ("aiohttp", "aiohttp"), ("tornado", "tornado"), ("falcon.asgi", "asgi"),
    ("starlette", "asgi"), ("fastapi", "asgi"), ("quart", "asgi"), ("litestar", "asgi"), ("django", "django"),
    ("flask", "wsgi"), ("werkzeug", "wsgi"), ("falcon", "wsgi"), ("bottle", "wsgi"), ("pyramid", "wsgi"),
    ("webob", "wsgi"), ("h11", "server"), ("uvicorn", "server"), ("hypercorn", "server"), ("wsproto", "server"),
    ("http.server", "stdlib"), ("socketserver", "stdlib"), ("wsgiref", "stdlib"),
)
STDLIB_HANDLER_MODULES = ("http.server", "socketserver", "wsgiref")


def _py_mutable_headers(f: PythonFile, expr: cst.BaseExpression) -> bool:
    """`headers = MutableHeaders(scope=message)`: an ASGI response start message's headers (Starlette)."""
    value = f.resolve(expr) if isinstance(expr, cst.Name) else None
    return (
        isinstance(value, cst.Call)
        and (f.callee(value) or "").rsplit(".", 1)[-1] == "MutableHeaders"
        and (f.arg(value, "scope") is not None or f.arg(value, "raw") is not None)
    )


def _headers_owner(f: PythonFile, expr: cst.BaseExpression, server_file: bool) -> bool:
    """Is `expr` a response's header map: `resp.headers`, or a response object itself (Django)?"""
    if isinstance(expr, cst.Attribute) and expr.attr.value in ("headers", "_headers"):
        side = py_side(f, expr.value)
        return side == "server" or (side is None and server_file)
    if _py_mutable_headers(f, expr):
        return True
    return isinstance(expr, (cst.Name, cst.Attribute)) and py_side(f, expr) == "server"


def _py_close_value(f: PythonFile, expr: cst.BaseExpression | None) -> cst.BaseExpression | None:
    """The node holding "close": the value itself, or the branch of `"close" if draining else "keep-alive"`."""
    if expr is None:
        return None
    if has_close_token(f.string_value(expr)):
        return expr
    if isinstance(expr, cst.IfExp):
        return _py_close_value(f, expr.body) or _py_close_value(f, expr.orelse)
    return None


def _py_entry(f: PythonFile, mapping: cst.BaseExpression | None, _depth: int = 0) -> cst.CSTNode | None:
    """A `Connection: close` entry of a dict or header list, also wrapped: `CIMultiDict({...})`, `a + [...]`."""
    if mapping is None or _depth > 3:
        return None
    entry = py_close_entry_node(f, mapping)
    if entry is not None:
        return entry
    value = f.resolve(mapping)
    if isinstance(value, cst.Call) and (f.callee(value) or "").rsplit(".", 1)[-1] in HEADER_WRAPPERS:
        inner = f.arg(value, None, 0) or f.arg(value, "headers") or f.arg(value, "raw")
        return _py_entry(f, inner, _depth + 1)
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
        return _py_entry(f, value.left, _depth + 1) or _py_entry(f, value.right, _depth + 1)
    return None


def _py_pair(f: PythonFile, expr: cst.BaseExpression | None) -> bool:
    """`("Connection", "close")` or `(b"connection", b"close")`."""
    return (
        isinstance(expr, cst.Tuple)
        and len(expr.elements) == 2
        and is_connection(f.string_value(expr.elements[0].value))
        and has_close_token(f.string_value(expr.elements[1].value))
    )


def _py_expectation(f: PythonFile, node: cst.CSTNode) -> bool:
    """Inside `assert ...`, a comparison or a mock assertion: a test's expected value, not a response."""
    for anc in f.ancestors(node):
        if isinstance(anc, (cst.Assert, cst.Comparison)):
            return True
        if isinstance(anc, cst.Call) and (dotted(anc.func) or "").rsplit(".", 1)[-1].startswith("assert"):
            return True
        if isinstance(anc, (cst.FunctionDef, cst.ClassDef)):
            return False
    return False


def _py_function_mentions_start(f: PythonFile, node: cst.CSTNode) -> bool:
    """The function holding `node` (or one around it) handles ASGI `http.response.start` messages."""
    for func in (a for a in f.ancestors(node) if isinstance(a, cst.FunctionDef)):
        for string in (n for n in walk(func) if isinstance(n, cst.SimpleString)):
            if f.string_value(string) == ASGI_START:
                return True
    return False


def _py_message_headers(f: PythonFile, expr: cst.BaseExpression) -> bool:
    """`message["headers"]` or `message.setdefault("headers", [])` / `message.get("headers")`."""
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
        return f.string_value(expr.slice[0].slice.value) == "headers"
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
        return expr.func.attr.value in ("setdefault", "get") and f.string_value(f.arg(expr, None, 0)) == "headers"
    return False


def _py_start_response(f: PythonFile, call: cst.Call) -> bool:
    """A WSGI `start_response(status, headers)` call: the name, or the second parameter of `app(environ, sr)`."""
    if not isinstance(call.func, cst.Name):
        return False
    name = call.func.value
    if name == "start_response":
        return True
    for func in (a for a in f.ancestors(call) if isinstance(a, cst.FunctionDef)):
        params = [p.name.value for p in func.params.params if p.name.value != "self"]
        if len(params) >= 2 and params[0] in ("environ", "env") and params[1] == name:
            return True
    return False


def _py_wsgi_headers_names(f: PythonFile, func: cst.FunctionDef | None) -> set[str]:
    """Names passed as the headers of a `start_response` call in `func`."""
    names: set[str] = set()
    if func is None:
        return names
    stack: list[cst.CSTNode] = [func.body]
    while stack:
        n = stack.pop()
        stack.extend(n.children)
        if isinstance(n, cst.Call) and _py_start_response(f, n):
            headers = f.arg(n, "response_headers", 1) or f.arg(n, "headers")
            if isinstance(headers, cst.Name):
                names.add(headers.value)
    return names


def _py_wsgi_name(f: PythonFile, expr: cst.BaseExpression, at: cst.CSTNode) -> bool:
    """`headers` when the same function passes it to `start_response(status, headers)`."""
    return isinstance(expr, cst.Name) and expr.value in _py_wsgi_headers_names(f, f.enclosing_function(at))


def _py_handler_runtime(f: PythonFile, node: cst.CSTNode, method: str) -> str | None:
    """For `self.set_header(...)` / `self.send_header(...)`: "tornado" or "stdlib" when the class is a request
    handler (bases followed through the file; a base imported from the project counts when the file uses
    that framework), else None."""
    cls = f.enclosing_class(node)
    if cls is None:
        return None
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    if any(isinstance(s, cst.FunctionDef) and s.name.value == method for s in body):
        return None  # the class defines its own set_header
    bases = py_class_bases(f, cls)
    if any(b.startswith("tornado.") for b in bases):
        return "tornado"
    if any(b.startswith(STDLIB_HANDLER_MODULES) for b in bases):
        return "stdlib"
    local_classes = {c.name.value for c in f.nodes(cst.ClassDef)}
    project_base = any(b and b != "object" and b not in local_classes for b in bases)  # `from .base import BaseHandler`
    if project_base:
        if imports_any(f, "tornado") and method != "send_header":
            return "tornado"
        if imports_any(f, *STDLIB_HANDLER_MODULES) and method == "send_header":
            return "stdlib"
    return None


def _py_runtime_of(f: PythonFile, expr: cst.CSTNode) -> str | None:
    """The runtime a name or call belongs to: `web.Response` -> aiohttp, `resp` bound to `jsonify()` -> wsgi."""
    if isinstance(expr, cst.Await):
        expr = expr.expression
    if isinstance(expr, cst.Name):
        value = f.resolve(expr)
        if isinstance(value, cst.Await):
            value = value.expression
        if value is not expr and isinstance(value, cst.Call):
            expr = value
    if isinstance(expr, cst.Call):
        expr = expr.func
    q = f.qualname(expr) if isinstance(expr, (cst.Name, cst.Attribute)) else None
    if not q or q == dotted(expr) and not f.is_imported(expr):
        return None
    for prefix, runtime in PY_RUNTIMES:
        if q == prefix or q.startswith(prefix + "."):
            return runtime
    return None


def _py_runtime(f: PythonFile, node: cst.CSTNode) -> str:
    """What serves this response: the handler class, the names used around the header, else the file's imports."""
    cls = f.enclosing_class(node)
    if cls is not None and any(b.startswith(STDLIB_HANDLER_MODULES) for b in py_class_bases(f, cls)):
        return "stdlib"  # http.server / wsgiref handler subclasses: the server itself
    scopes = [a for a in f.ancestors(node) if isinstance(a, (cst.SimpleStatementLine, cst.FunctionDef))]
    for scope in scopes:
        targets: list[cst.CSTNode] = []
        if isinstance(scope, cst.FunctionDef):
            targets.extend(dec.decorator for dec in scope.decorators)
            targets.extend(p.annotation.annotation for p in scope.params.params if p.annotation is not None)
            targets.append(scope.body)
        else:
            targets.append(scope)
        for target in targets:
            stack = [target]
            while stack:
                n = stack.pop()
                if isinstance(n, (cst.Call, cst.Name, cst.Attribute, cst.Await)):
                    runtime = _py_runtime_of(f, n)
                    if runtime is not None:
                        return runtime
                    if isinstance(n, cst.Attribute):
                        head = n
                        while isinstance(head, cst.Attribute):
                            head = head.value
                        runtime = _py_runtime_of(f, head)  # @app.route: app = Flask(__name__)
                        if runtime is not None:
                            return runtime
                stack.extend(reversed(n.children))
    found = {runtime for prefix, runtime in PY_RUNTIMES if imports_any(f, prefix)}
    if len(found) > 1:
        found.discard("stdlib")  # a framework that also imports http.server for status phrases
    return found.pop() if len(found) == 1 else "generic"


def _py_findings(f: PythonFile) -> Iterator[tuple[cst.CSTNode, cst.CSTNode, str | None]]:
    """(node to report, node whose path decides the severity, runtime or None to guess from the file)."""
    server_file = imports_any(f, *PY_SERVER_MODULES)

    for assign in f.nodes(cst.Assign):
        for target in assign.targets:
            sub = target.target
            if not (isinstance(sub, cst.Subscript) and len(sub.slice) == 1):
                continue
            index = sub.slice[0].slice
            if not isinstance(index, cst.Index):
                continue
            if is_connection(f.string_value(index.value)):
                value = _py_close_value(f, assign.value)
                if value is not None and _headers_owner(f, sub.value, server_file):
                    yield assign, value, None
            elif f.string_value(index.value) == "headers" and _py_function_mentions_start(f, assign):
                entry = _py_entry(f, assign.value)  # message["headers"] = [*headers, (b"connection", b"close")]
                if entry is not None:
                    yield entry, entry, "asgi"

    for aug in f.nodes(cst.AugAssign):
        if isinstance(aug.operator, cst.AddAssign):
            entry = _py_entry(f, aug.value)
            if entry is None:
                continue
            if _py_message_headers(f, aug.target) and _py_function_mentions_start(f, aug):
                yield entry, entry, "asgi"
            elif _py_wsgi_name(f, aug.target, aug):
                yield entry, entry, "wsgi"

    for call in f.nodes(cst.Call):
        func = call.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            name, value = f.arg(call, "key", 0) or f.arg(call, "name", 0), f.arg(call, "value", 1)
            is_close = is_connection(f.string_value(name)) and _py_close_value(f, value) is not None
            if method in HANDLER_SETTERS and is_close:
                receiver = func.value
                if isinstance(receiver, cst.Name) and receiver.value == "self":
                    runtime = _py_handler_runtime(f, call, method)
                    if runtime is not None:
                        yield call, _py_close_value(f, value), runtime
                        continue
                elif py_side(f, receiver) not in ("client", "request"):
                    yield call, _py_close_value(f, value), None
                    continue
            if method in HEADER_SETTERS and is_close and _headers_owner(f, func.value, server_file):
                yield call, _py_close_value(f, value), None
                continue
            if method in MAPPING_SETTERS and _headers_owner(f, func.value, server_file):
                entry = _py_entry(f, f.arg(call, None, 0)) or py_connection_close_keyword(f, call)
                if entry is not None:
                    yield entry, entry, None
                    continue
            if method in ("append", "insert", "extend"):
                item = f.arg(call, None, 1 if method == "insert" else 0)
                if method == "extend":
                    entry = _py_entry(f, item)
                else:
                    entry = item if _py_pair(f, item) else None
                if entry is not None:
                    owner = func.value
                    if _py_message_headers(f, owner) and _py_function_mentions_start(f, call):
                        yield entry, entry, "asgi"  # message["headers"].append((b"connection", b"close"))
                        continue
                    if _py_wsgi_name(f, owner, call):
                        yield entry, entry, "wsgi"  # headers.append(("Connection", "close")); start_response(s, h)
                        continue
        if _py_start_response(f, call):
            entry = _py_entry(f, f.arg(call, "response_headers", 1) or f.arg(call, "headers"))
            if entry is not None:
                yield entry, entry, "wsgi"
                continue
        callee = f.callee(call)
        last = (callee or "").rsplit(".", 1)[-1]
        sanic = bool(callee) and callee.startswith("sanic.") and last in SANIC_FACTORIES
        # HTTP errors that carry headers: FastAPI/Starlette HTTPException(headers=...), aiohttp web.HTTPxxx(headers=...)
        error = f.is_imported(call.func) and last.startswith(("HTTP", "Http")) and f.arg(call, "headers") is not None
        if sanic or error or (py_is_response_factory(callee) and (server_file or "." in (callee or ""))):
            headers = f.arg(call, "headers")
            if headers is None and callee and callee.startswith(POSITIONAL_HEADERS):
                headers = f.arg(call, None, 2)
            entry = _py_entry(f, headers)
            if entry is not None:
                yield entry, entry, None

    for mapping in f.nodes(cst.Dict):  # raw ASGI: {"type": "http.response.start", "headers": [...]}
        items = {f.string_value(k): v for k, v in dict_items(mapping)}
        if f.string_value(items.get("type")) == ASGI_START and "headers" in items:
            entry = _py_entry(f, items["headers"])
            if entry is not None:
                yield entry, entry, "asgi"

    if imports_any(f, *FLASK_LIKE):
        for ret in f.nodes(cst.Return):
            if isinstance(ret.value, cst.Tuple) and len(ret.value.elements) in (2, 3):
                entry = py_close_entry_node(f, ret.value.elements[-1].value)
                if entry is not None and f.enclosing_function(ret) is not None:
                    yield entry, entry, None


def _py_echoes_client(f: PythonFile, node: cst.CSTNode) -> bool:
    """Inside `if request.headers.get("Connection") == "close":`: the client asked to close, and the server
    closes then anyway; the header only repeats that."""
    child = node
    for anc in f.ancestors(node):
        if isinstance(anc, (cst.FunctionDef, cst.ClassDef)):
            return False
        if isinstance(anc, cst.If) and child is anc.body:
            test = anc.test
            if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
                if (dotted(test.expression) or "").endswith(("keep_alive", "should_keep_alive")):
                    return True  # aiohttp `if not request.keep_alive:`
            strings = []
            stack: list[cst.CSTNode] = [test]
            while stack:
                n = stack.pop()
                if isinstance(n, (cst.SimpleString, cst.ConcatenatedString, cst.Name, cst.Attribute)):
                    strings.append(f.string_value(n))
                stack.extend(n.children)
            if any(map(is_connection, strings)) and any(map(has_close_token, strings)):
                return True
        child = anc
    return False


# ---- Python fixes --------------------------------------------------------------------------
# As in Go: only a value that is exactly `close`, never on an error/overload/shutdown path (a note) nor for
# Sanic (a warning). http.server frames nothing itself: under HTTP/1.1 a response without Content-Length
# is ended by the close, and an unread request body would be read as the next request, so a handler's
# close is removed only when the method sends a length (or a 204/304) and reads or expects no body, and
# the handler has a `timeout` (else an idle kept-alive client holds a thread, or a plain HTTPServer).

def _py_only_close(f: PythonFile, expr: cst.BaseExpression | None) -> bool:
    text = f.string_value(expr)
    return text is not None and text.strip().lower() == "close"



def _py_stdlib_framed(f: PythonFile, node: cst.CSTNode) -> bool:
    """The http.server handler method holding `node` frames its response (Content-Length, Transfer-Encoding,
    or a 204/304 status) and reads the request body or is a GET/HEAD handler, and its class bounds idle
    connections with a `timeout`."""
    method = None
    for anc in f.ancestors(node):
        if isinstance(anc, cst.ClassDef):
            break
        if isinstance(anc, cst.FunctionDef):
            method = anc  # the outermost function below the class: the handler method
    cls = f.enclosing_class(node)
    if method is None or cls is None or not handler_has_timeout(f, cls):
        return False
    return stdlib_response_framed(f, method)


def _py_name_uses(f: PythonFile, scope: cst.CSTNode, name: str) -> list[cst.Name]:
    """Loads of `name` in `scope`: not attribute names, keyword names or assignment targets."""
    uses = []
    for n in walk(scope):
        if not (isinstance(n, cst.Name) and n.value == name):
            continue
        parent = f.parent(n)
        if isinstance(parent, cst.Attribute) and parent.attr is n:
            continue
        if isinstance(parent, cst.Arg) and parent.keyword is n:
            continue
        if isinstance(parent, (cst.AssignTarget, cst.Param)):
            continue
        uses.append(n)
    return uses


def _py_inline(f: PythonFile, container: cst.CSTNode) -> bool:
    """The header literal is written where it is used, or bound to a local name used only once: a module-level
    or shared mapping may also serve requests or other responses."""
    for anc in f.ancestors(container):
        if isinstance(anc, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            return True
        if isinstance(anc, cst.Assign):
            if len(anc.targets) != 1:
                return False
            target = anc.targets[0].target
            if not isinstance(target, cst.Name):
                return True  # message["headers"] = [...]: written in place
            func = f.enclosing_function(anc)
            return func is not None and len(_py_name_uses(f, func, target.value)) == 1
    return True


def _py_delete_item(f: PythonFile, items: Sequence[cst.CSTNode], item: cst.CSTNode) -> Edit:
    """Remove an argument, element or dict entry: its whole line(s) when it stands alone there (keeping the
    commas and comments of its neighbours), else the item with its comma."""
    text = f.source_text
    start, end = f.span(item)
    line_start = text.rfind("\n", 0, start) + 1
    after = STANDALONE_TAIL.match(text, end)
    if not text[line_start:start].strip() and after is not None and len(items) > 1:
        return Edit(line_start, after.end(), "")
    return f.delete_from_list(items, item)


STANDALONE_TAIL = re.compile(r"[ \t]*,?[ \t]*(#[^\r\n]*)?(\r\n|\r|\n)")


def _py_drop_container(f: PythonFile, container: cst.Dict | cst.List | cst.Tuple) -> Edit | None:
    """What to remove when the `Connection: close` entry is the container's only one."""
    parent = f.parent(container)
    if isinstance(parent, cst.Arg):
        call = f.parent(parent)
        method = call.func.attr.value if isinstance(call.func, cst.Attribute) else None
        if method in MAPPING_SETTERS + ("extend",) and len(call.args) == 1 and isinstance(f.parent(call), cst.Expr):
            return f.delete_statement(call)  # resp.headers.update({"Connection": "close"})
        if parent.keyword is not None and parent.keyword.value == "headers":
            return _py_delete_item(f, call.args, parent)  # JSONResponse(..., headers={"Connection": "close"})
        callee = f.callee(call) or ""
        if parent.keyword is None and parent is call.args[-1] and callee.startswith(POSITIONAL_HEADERS) and (
            py_is_response_factory(callee)
        ):
            return _py_delete_item(f, call.args, parent)  # Response("ok", 200, {"Connection": "close"})
    if isinstance(parent, cst.Element):
        view = f.parent(parent)  # return body, status, {"Connection": "close"}
        if isinstance(view, cst.Tuple) and isinstance(f.parent(view), cst.Return) and view.elements[-1] is parent:
            if len(view.elements) == 3:
                return _py_delete_item(f, view.elements, parent)
            if len(view.elements) == 2:  # a 1-tuple is no valid view result: return the body alone
                start, end = f.span(view.elements[0])
                outer_start, outer_end = _py_outer_span(f, view)
                return Edit(outer_start, outer_end, f.source_text[start:end])
    if isinstance(parent, cst.AugAssign) and isinstance(f.parent(parent), cst.SimpleStatementLine):
        return f.delete_statement(parent)  # headers += [("Connection", "close")]
    if isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, cst.Add):
        if parent.right is container:  # base + [("Connection", "close")]
            return Edit(f.span(parent.left)[1], f.span(container)[1], "")
        return Edit(f.span(container)[0], f.span(parent.right)[0], "")
    empty = "{}" if isinstance(container, cst.Dict) else "[]" if isinstance(container, cst.List) else "()"
    return Edit(*_py_outer_span(f, container), empty)


def _py_outer_span(f: PythonFile, node: cst.CSTNode) -> tuple[int, int]:
    """A node's span with its parentheses (a tuple's own span stops inside them)."""
    text = f.source_text
    start, end = f.span(node)
    for _ in getattr(node, "lpar", ()):
        match = re.search(r"\(\s*$", text[:start])
        start = match.start() if match else start
    for _ in getattr(node, "rpar", ()):
        match = re.compile(r"\s*\)").match(text, end)
        end = match.end() if match else end
    return start, end


def _py_remove_entry(f: PythonFile, entry: cst.CSTNode) -> Edit | None:
    """Remove a `"Connection": "close"` dict entry or `("Connection", "close")` pair."""
    holder = f.parent(entry)
    if isinstance(entry, cst.Tuple) and len(entry.elements) == 2:
        if not _py_only_close(f, entry.elements[1].value):
            return None
        if isinstance(holder, cst.Arg):  # headers.append(("Connection", "close")), .insert(0, (...))
            call = f.parent(holder)
            method = call.func.attr.value if isinstance(call.func, cst.Attribute) else None
            if method in ("append", "insert") and isinstance(f.parent(call), cst.Expr):
                return f.delete_statement(call)
            return None
        if not isinstance(holder, cst.Element):
            return None
    elif not (isinstance(holder, cst.DictElement) and holder.key is entry and _py_only_close(f, holder.value)):
        return None  # also the keys `dict(Connection="close")` stands for, which are not in the tree
    container = f.parent(holder)
    if not isinstance(container, (cst.Dict, cst.List, cst.Tuple)) or not _py_inline(f, container):
        return None
    if len(container.elements) > 1:
        return _py_delete_item(f, container.elements, holder)
    return _py_drop_container(f, container)


def _py_fix(f: PythonFile, node: cst.CSTNode, runtime: str) -> Fix | None:
    if runtime == "stdlib" and not _py_stdlib_framed(f, node):
        return None
    edit = None
    if isinstance(node, cst.Assign):  # resp.headers["Connection"] = "close"
        if len(node.targets) == 1 and _py_only_close(f, node.value):
            edit = f.delete_statement(node)
    elif isinstance(node, cst.Call):  # resp.headers.set("Connection", "close"), self.send_header(...)
        if len(node.args) == 2 and _py_only_close(f, f.arg(node, "value", 1)) and isinstance(f.parent(node), cst.Expr):
            edit = f.delete_statement(node)
    else:
        edit = _py_remove_entry(f, node)
    return Fix(FIX_TITLE, (edit,), safe=True) if edit is not None else None


@RULE.python(*PY_CONNECTION_CLOSE_NEEDS)
def check_python(f: PythonFile) -> Iterator[Hit]:
    seen: set[int] = set()
    for node, where, runtime in _py_findings(f):
        if id(node) in seen or _py_expectation(f, node) or _py_echoes_client(f, where):
            continue
        seen.add(id(node))
        runtime = runtime or _py_runtime(f, node)
        context = py_close_context(f, where)
        severity = _severity(context, runtime)
        fix = _py_fix(f, node, runtime) if severity == Severity.ERROR else None
        yield f.report(node, message=_message(context, runtime), severity=severity, fix=fix)


__all__ = ["RULE", "dotted"]
