"""Helpers shared by several rules: header names and values, and what an object is (server or client side)."""

from __future__ import annotations

import re

import libcst as cst

from connlint.frontends.go import GoFile
from connlint.frontends.python import PythonFile, dict_items, dotted

from ._go import named, strip

RESPONSE_NAME = re.compile(r"^_*(resp|response|res|rsp|rw|reply|http_response|httpresponse|flask_response)\d*_*$|_(resp|response)$", re.I)
CLIENT_NAME = re.compile(r"(session|client|http|conn|pool|sess)s?$|^(s|sess)$", re.I)
REQUEST_NAME = re.compile(r"(^|_)(req|request|r|prepared|preq)\d*$", re.I)

# Prefilter tokens for a `Connection: close` header (see Rule.needs): the name as a string literal, a keyword
# (`dict(Connection="close")`) or a header constant; "close" as a string literal or a comma-separated token in one.
# Plain parts come first in each token: the regular expressions only run on files that hold those.
_PY_CLOSE = r"""close&re:(['"]|,)\s*close\s*[,'"]"""
PY_CONNECTION_CLOSE_NEEDS = (
    r"""connection&re:['"]\s*connection\s*['"]&""" + _PY_CLOSE,
    r"connection&re:[(,]\s*connection\s*=&" + _PY_CLOSE,
    "hdrs&" + _PY_CLOSE,
)
_GO_CLOSE = r"close&re:([\"`]|,)\s*close\s*[,\"`]"
GO_CONNECTION_CLOSE_NEEDS = (
    r"connection&re:[\"`]\s*connection\s*[\"`]&" + _GO_CLOSE,
    "headerconnection&" + _GO_CLOSE,
)

PY_CLIENT_FACTORIES = {
    "requests.Session", "requests.session", "requests.sessions.Session", "httpx.Client", "httpx.AsyncClient",
    "aiohttp.ClientSession", "aiohttp.client.ClientSession", "urllib3.PoolManager", "urllib3.HTTPConnectionPool",
    "urllib3.HTTPSConnectionPool",
}
PY_REQUEST_FACTORIES = {"requests.Request", "httpx.Request", "urllib.request.Request", "requests.PreparedRequest"}
PY_RESPONSE_SUFFIXES = ("Response", "response", "make_response", "json_response", "jsonify", "HttpResponse")
PY_TEST_CLIENTS = ("test_client", "asgi_client", "TestClient", "testclient")
PY_TEST_CLIENT_FIXTURES = ("client", "test_client", "app_client", "async_client")
PY_TEST_CLIENT_FACTORIES = ("django.test.Client", "django.test.AsyncClient", "django.test.client.Client",
                            "werkzeug.test.Client", "flask.testing.FlaskClient")


def is_connection(name: str | None) -> bool:
    """Is this header name `Connection` (any case, surrounding spaces ignored)?"""
    return name is not None and name.strip().lower() == "connection"


def has_close_token(value: str | None) -> bool:
    """Does this header value hold the token `close` (`close`, `keep-alive, close`)?"""
    return value is not None and any(tok.strip().lower() == "close" for tok in value.split(","))


def go_close_value(f: GoFile, value) -> bool:
    """A Go header value that closes: `"close"`, or a `[]string{"close"}` literal."""
    value = strip(value)
    if has_close_token(f.string_value(value)):
        return True
    if value is not None and value.type == "composite_literal":
        return any(has_close_token(f.string_value(strip(e))) for e in named(value.child_by_field_name("body")))
    return False


def py_connection_close_entry(f: PythonFile, mapping: cst.BaseExpression | None) -> cst.BaseExpression | None:
    """The key of a `{"Connection": "close"}` entry in a dict literal (followed through a local name)."""
    mapping = f.resolve(mapping)
    for key, value in dict_items(mapping):
        if is_connection(f.string_value(key)) and has_close_token(f.string_value(value)):
            return key
    if isinstance(mapping, (cst.List, cst.Tuple)):  # [("Connection", "close")] header lists
        for element in mapping.elements:
            pair = element.value
            if isinstance(pair, cst.Tuple) and len(pair.elements) == 2:
                k, v = pair.elements[0].value, pair.elements[1].value
                if is_connection(f.string_value(k)) and has_close_token(f.string_value(v)):
                    return pair
    return None



def py_connection_close_keyword(f: PythonFile, call: cst.Call) -> cst.Arg | None:
    """The `Connection="close"` keyword argument of a call: `dict(Connection="close")`, `headers.update(...)`."""
    for arg in call.args:
        if arg.keyword is not None and is_connection(arg.keyword.value) and has_close_token(f.string_value(arg.value)):
            return arg
    return None


def py_close_entry_node(f: PythonFile, mapping: cst.BaseExpression | None) -> cst.CSTNode | None:
    """`py_connection_close_entry`, with the key it makes up for a `dict(Connection="close")` call (a node that
    is not in the tree, so has no position) replaced by the call's keyword argument."""
    entry = py_connection_close_entry(f, mapping)
    if entry is None or f.parent(entry) is not None:
        return entry
    call = f.resolve(mapping)
    return py_connection_close_keyword(f, call) if isinstance(call, cst.Call) else None


def py_is_response_factory(qualname: str | None) -> bool:
    """Does this callee build a response (`Response`, `make_response`, `jsonify`), not a client's?"""
    if not qualname:
        return False
    last = qualname.rsplit(".", 1)[-1]
    return last.endswith(PY_RESPONSE_SUFFIXES) and not last.startswith(("Client", "client"))


def py_side(f: PythonFile, obj: cst.BaseExpression) -> str | None:
    """'server' for a response, 'client' for a session or client, 'request' for a request, else None."""
    value = f.resolve(obj) if isinstance(obj, cst.Name) else obj
    if isinstance(value, cst.Await):
        value = value.expression
    if isinstance(value, cst.Call):
        q = f.callee(value)
        if q in PY_CLIENT_FACTORIES:
            return "client"
        if q in PY_REQUEST_FACTORIES:
            return "request"
        if py_is_response_factory(q):
            return "server"
    name = dotted(obj) or ""
    last = name.rsplit(".", 1)[-1]
    if REQUEST_NAME.search(last):
        return "request"
    if CLIENT_NAME.search(last):
        return "client"
    if RESPONSE_NAME.search(last):
        return "server"
    return None


def py_test_client(f: PythonFile, obj: cst.BaseExpression) -> bool:
    """An in-process test client (no socket): Flask/Sanic `app.test_client()`, Starlette `TestClient`, Django's."""
    value = f.resolve(obj) if isinstance(obj, cst.Name) else obj
    if isinstance(value, cst.Call):
        q = f.callee(value) or ""
        if q in PY_TEST_CLIENT_FACTORIES or q.rsplit(".", 1)[-1] in PY_TEST_CLIENTS:
            return True
        if q in ("httpx.Client", "httpx.AsyncClient") and f.arg(value, "app") is not None:
            return True
        if q in ("httpx.Client", "httpx.AsyncClient") and f.arg(value, "transport") is not None:
            transport = f.resolve(f.arg(value, "transport"))
            in_process = ("ASGITransport", "WSGITransport")
            return isinstance(transport, cst.Call) and (f.callee(transport) or "").endswith(in_process)
    name = dotted(obj) or ""
    if name in ("self.client", "self.async_client", "cls.client") and any(
        q.startswith("django.test") for q in f.imports.values()
    ):
        return True
    if isinstance(obj, cst.Name) and not f.assigned_values(obj):  # a pytest fixture: def test_x(client)
        func = f.enclosing_function(obj)
        if func is not None and func.name.value.startswith("test") and name in PY_TEST_CLIENT_FIXTURES:
            return True
    return False
