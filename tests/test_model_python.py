"""The Python semantic model: scopes and bindings, qualified names through aliases, classes, calls."""

from __future__ import annotations

import libcst as cst

from connlint.frontends import python

SOURCE = b'''import httpx as hx
from http.server import BaseHTTPRequestHandler as Base
import aiohttp.web

Client = hx.Client
TIMEOUT = 5


class Handler(Base):
    protocol_version = "HTTP/1.1"


class Quiet(Handler):
    pass


def view(request):
    client = Client(timeout=TIMEOUT)
    with hx.AsyncClient() as session:
        session.get("/")
    client.get("/a")
    helper(client)


def shadow():
    hx = None  # local to all of shadow(): not the module
    return hx.AsyncClient()


def helper(client):
    client.close()
    return [client for client in range(3)]


async def handler(request):
    async with aiohttp.ClientSession() as s:
        await s.get("x")
'''


def _name(f, value: str, nth: int = 0) -> cst.Name:
    return [n for n in f.nodes(cst.Name) if n.value == value][nth]


def test_scopes_follow_the_language():
    f = python.parse("app.py", SOURCE)
    model = f.model
    client = model.resolve(_name(f, "client", 0))
    assert (client.kind, client.scope.name.value) == ("assign", "view")
    assert model.resolve(_name(f, "client", 2)) is client  # `helper(client)`
    param = model.resolve(_name(f, "client", 4))  # `client.close()` in helper
    assert param.kind == "param" and param is not client
    comp = model.resolve(_name(f, "client", 5))
    assert comp.kind == "loop" and isinstance(comp.scope, cst.ListComp)
    assert model.resolve(_name(f, "TIMEOUT", 1)).value.value == "5"
    assert model.resolve(_name(f, "range")) is None  # a builtin


def test_qualified_names_through_aliases_and_locals():
    f = python.parse("app.py", SOURCE)
    model = f.model
    assert [f.module.code_for_node(c) for c in model.calls("httpx.Client")] == ["Client(timeout=TIMEOUT)"]
    assert [f.module.code_for_node(c) for c in model.calls("httpx.AsyncClient")] == ["hx.AsyncClient()"]
    assert [f.module.code_for_node(c) for c in model.calls("httpx.Client().get")] == ['client.get("/a")']
    assert [f.module.code_for_node(c) for c in model.calls("httpx.AsyncClient().get")] == ['session.get("/")']
    assert [f.module.code_for_node(c) for c in model.calls("aiohttp.ClientSession().get")] == ['s.get("x")']
    assert model.calls("helper") and model.created_by(_name(f, "client", 0)) == "httpx.Client"


def test_class_hierarchy_through_the_file():
    f = python.parse("app.py", SOURCE)
    model = f.model
    handler, quiet = model.classes("Handler")[0], model.classes("Quiet")[0]
    assert model.bases(quiet) == ["Handler", "http.server.BaseHTTPRequestHandler"]
    assert model.subclasses("http.server.BaseHTTPRequestHandler") == [handler, quiet]


def test_global_and_nonlocal_bind_where_they_say():
    f = python.parse("g.py", b"pool = None\n\ndef setup():\n    global pool\n    pool = make()\n")
    binding = f.model.resolve(_name(f, "pool", 0))
    assert isinstance(binding.scope, cst.Module) and len(binding.values) == 2 and binding.value is None
