"""CL401 client-per-request

## What it does
Flags an HTTP client or connection pool that is built per request or per loop iteration, so nothing is reused.

Go: a new transport (`&http.Transport{...}`, `new(http.Transport)`, `http.DefaultTransport.(*http.Transport).Clone()`,
x/net `http2.Transport`), or an `&http.Client{Transport: ...}` wrapping one (reported once, on the client), created
inside a handler (a function taking `http.ResponseWriter` and `*http.Request`, or a gin, echo, fiber or fasthttp
context, and closures inside it), in a loop body that sends requests with it, or in a function that builds it,
calls `Do`/`Get`/`Post`/`PostForm`/`Head`/`RoundTrip` on it (not in a loop) and neither returns, stores nor hands
it to another function. A bare `&http.Client{Timeout: ...}` shares `http.DefaultTransport` and is cheap: not
flagged, nor is a client wrapping a transport it was given, nor a transport whose `Dial` func never dials (an
in-memory conn, as in `httputil.DumpRequestOut`).

Python: `requests.get/post/...` (also `httpx.get/...` and `aiohttp.request`) called in a loop, each call making a
new session; `requests.Session()`, `httpx.Client()`/`AsyncClient()`, `aiohttp.ClientSession()` or
`urllib3.PoolManager()` created in a loop body that sends requests with it, or in a request handler: Flask/Quart,
FastAPI/Starlette, Sanic and aiohttp route functions (decorated with a path, or registered with `Route(...)`,
`add_route`, `add_url_rule`, `web.get`), `before_request` hooks and middleware, Django views (functions taking
`request` in `views.py` or with a view decorator) and middleware, class-based view methods (`get`, `post`,
`dispatch`, `get_context_data`, DRF viewset actions, Tornado `RequestHandler`), parameters typed as a framework
`Request`, raw ASGI/WSGI callables, and functions of the same file that those call; `urllib.request.urlopen()` (or
a `build_opener()` opener) in a loop, which always sends `Connection: close`. In a handler a client stored on
`self`, `flask.g` or `request.state` still lives for one request and is flagged.

Not flagged: clients created at package/module level, in `init()`, `main()`, `TestXxx`/`ExampleXxx` functions or
`__init__` (once), in startup and lifespan hooks (`on_event("startup")`, `lifespan=`, aiohttp `on_startup` /
`cleanup_ctx`), under `sync.Once`/`sync.OnceValue` or a `functools.cache`, behind an `if client is None:` guard,
stored on an object, in a map, a list or a global, returned (constructors, factories), or built as a pool
(`[httpx.Client(...) for ...]`); a `with requests.Session() as s:` around a loop; in-process test clients
(`httpx.Client(app=...)`). A loop that sleeps between iterations (a poll or a retry: `time.sleep`, `time.Sleep`,
a ticker) is reported as a note. Skipped in test files unless `ignore-tests = false`.

## Why is this bad?
A client's connection pool lives in its transport/session. A new one per request starts empty, so every request
opens a new TCP connection and, for HTTPS, a TLS handshake (one to three extra round trips and CPU), and the old
pool's connection is closed by the client when it is dropped or garbage-collected, leaving a TIME_WAIT socket on
the client for 60 s. Under load that exhausts ephemeral ports (`cannot assign requested address`) and file
descriptors; in Go an abandoned transport also keeps its idle connections and their goroutines until they time
out (forever without `IdleConnTimeout`).

## Example
    func proxy(w http.ResponseWriter, r *http.Request) {
        client := &http.Client{Transport: &http.Transport{MaxIdleConns: 100}}
        resp, err := client.Do(outgoing(r))

    for url in urls:
        body = requests.get(url, timeout=5).json()

Use instead: build the transport/client once (a package variable, a field set by a constructor, a startup or
lifespan hook) and share it; in Python open one `requests.Session()`/`httpx.Client()` before the loop (`with
requests.Session() as s: for url in urls: s.get(url)`) or at application startup.

## References
- Go net/http `Transport` ("Transports should be reused instead of created as needed"), `Client`
- requests "Session Objects" (connection pooling), httpx "Clients", aiohttp "Client Quickstart" (do not create a
  session per request), urllib3 `PoolManager`
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import PurePosixPath
from typing import Iterator

import libcst as cst

from connlint.findings import Hit, Severity
from connlint.frontends.go import FUNCTION_NODES, GoFile
from connlint.frontends.python import PythonFile, dotted
from connlint.registry import Rule

from ._go import HTTP2, NET_HTTP, GoNames, named, strip, within
from ._http import py_test_client
from ._py import imports_any

RULE = Rule(
    "CL401",
    "client-per-request",
    Severity.WARNING,
    __doc__,
    "HTTP client/connection pool is created per request, so its connections are never reused (a new TCP/TLS "
    "handshake and a TIME_WAIT socket per request); create it once at startup and reuse it.",
    tests_exempt=True,
)

WHY = "so its connections are never reused (a new TCP/TLS handshake and a TIME_WAIT socket per request)"
WHY_NONE = "so no connection is ever reused (a new TCP/TLS handshake and a TIME_WAIT socket per request)"


class _Flow:
    """What happens to a new client: used for requests, stored somewhere that outlives the call, or handed away."""

    def __init__(self) -> None:
        self.used = False
        self.reused = False  # used in a loop of its own function: built once, reused across iterations
        self.stored = False
        self.escaped = False


# ---- Go ------------------------------------------------------------------------------------

TRANSPORT_TYPES = {(NET_HTTP, "Transport"), (HTTP2, "Transport")}
CLIENT_TYPE = (NET_HTTP, "Client")
GO_USE_METHODS = {"Do", "Get", "Post", "PostForm", "Head", "RoundTrip"}
GO_HANDLER_CONTEXTS = {
    ("github.com/gin-gonic/gin", "Context"),
    ("github.com/labstack/echo", "Context"),
    ("github.com/gofiber/fiber", "Ctx"),
    ("github.com/valyala/fasthttp", "RequestCtx"),
}
GO_ONCE_FUNCS = {("sync", "OnceValue"), ("sync", "OnceValues"), ("sync", "OnceFunc")}
GO_DIAL_FIELDS = ("Dial", "DialContext", "DialTLS", "DialTLSContext")
GO_DIAL_CALL = re.compile(r"^Dial\w*$")
GO_SLEEPS = {("time", "Sleep"), ("time", "After"), ("time", "Tick"), ("time", "NewTicker"), ("time", "NewTimer")}
GO_ONE_SHOT_FUNCS = re.compile(r"^(main|init|(Test|Benchmark|Fuzz|Example)([A-Z_0-9].*)?)$")  # run once
GO_PASS_THROUGH = ("parenthesized_expression", "unary_expression", "literal_element", "literal_value",
                   "composite_literal")

GO_SITES = """
(composite_literal type: (_) @type) @lit
(call_expression function: (identifier) @new arguments: (argument_list . (_) @type .)) @call
(call_expression
  function: (selector_expression operand: (_) @operand field: (field_identifier) @clone)
  arguments: (argument_list) @args) @clonecall
"""
GO_DECLS = """
(short_var_declaration left: (expression_list (identifier) @local))
(var_spec name: (identifier) @local)
(range_clause left: (expression_list (identifier) @local))
(parameter_declaration name: (identifier) @param)
(variadic_parameter_declaration name: (identifier) @param)
"""

GO_MESSAGES = {
    "handler": f"HTTP transport/client is created for each request this handler serves, {WHY}; create it once at "
               "startup (package variable or a field set by a constructor) and reuse it.",
    "loop": f"HTTP transport/client is created on every loop iteration, {WHY}; create it once before the loop "
            "(or at startup) and reuse it.",
    "paced": f"HTTP transport/client is created on every iteration of this polling/retry loop, {WHY}; the loop "
             "waits between iterations so the cost is small, but create it once before the loop and reuse it.",
    "call": f"HTTP transport/client is created and used once on every call of this function, {WHY}; create it "
            "once at startup (package variable or a field set by a constructor) and reuse it.",
}


def _fkey(func) -> int:
    return func.start_byte if func is not None else -1


class _GoFlow:
    """Per-file facts for following where a new transport goes."""

    def __init__(self, f: GoFile) -> None:
        self.f = f
        self.g = GoNames(f)

    @cached_property
    def decls(self) -> dict[int, dict[str, str]]:
        """Per function (by start byte): names it declares, 'local' or 'param'."""
        found: dict[int, dict[str, str]] = {}
        for m in self.f.matches(GO_DECLS):
            for kind, node in m.items():
                func = GoFile.enclosing_function(node)
                if kind == "param" and node.parent is not None:
                    params = node.parent.parent  # parameter_list of the function itself
                    func = params.parent if params is not None else None
                    if func is None or func.type not in FUNCTION_NODES:
                        continue
                    if params == func.child_by_field_name("result"):
                        kind = "result"
                found.setdefault(_fkey(func), {}).setdefault(self.f.text(node), kind)
        return found

    @cached_property
    def idents(self) -> dict[str, list]:
        found: dict[str, list] = {}
        for node in self.f.captures("(identifier) @id").get("id", []):
            found.setdefault(self.f.text(node), []).append(node)
        return found

    def binding(self, ident) -> tuple[object, str] | None:
        """The function declaring the name used at `ident` and how ('local'/'param'); None for package level."""
        name = self.f.text(ident)
        func = GoFile.enclosing_function(ident)
        while func is not None:
            kind = self.decls.get(_fkey(func), {}).get(name)
            if kind is not None:
                return func, kind
            func = GoFile.enclosing_function(func)
        return None

    # ---- what a site is --------------------------------------------------------------------
    def transport_site(self, m: dict) -> object | None:
        """The expression building a new transport, or None."""
        f = self.f
        if "lit" in m:
            if self.g.member(m["type"]) not in TRANSPORT_TYPES or self._in_memory(m["lit"]):
                return None
            node = m["lit"]
            parent = node.parent
            if parent is not None and parent.type == "unary_expression" and f.text(
                parent.child_by_field_name("operator")
            ) == "&":
                node = parent
            return node
        if "new" in m:
            return m["call"] if f.text(m["new"]) == "new" and self.g.member(m["type"]) in TRANSPORT_TYPES else None
        if f.text(m["clone"]) != "Clone" or named(m["args"]):
            return None
        operand = strip(m["operand"])
        if operand is not None and operand.type == "type_assertion_expression":
            if self.g.member(operand.child_by_field_name("type")) == (NET_HTTP, "Transport"):
                return m["clonecall"]
        return None

    def _in_memory(self, literal) -> bool:
        """A transport whose dialer is a func literal that never dials: it talks to an in-memory conn."""
        for name, value, _ in self.f.keyed_elements(literal):
            value = strip(value)
            if name in GO_DIAL_FIELDS and value is not None and value.type == "func_literal":
                calls = self.f.captures("(call_expression function: (_) @fn)", value).get("fn", [])
                names = [self.f.text(c.child_by_field_name("field") if c.type == "selector_expression" else c)
                         for c in calls]
                if not any(GO_DIAL_CALL.match(n) for n in names):
                    return True
        return False

    def report_node(self, site):
        """`&http.Client{Transport: <site>}` is reported as the client; anything else as the transport."""
        node = site
        parent = node.parent
        if parent is not None and parent.type == "literal_element":
            node, parent = parent, parent.parent
        if parent is None or parent.type != "keyed_element" or self.f.text(strip(parent.named_children[0])) != (
            "Transport"
        ):
            return site
        literal = parent.parent.parent if parent.parent is not None else None
        if literal is None or literal.type != "composite_literal":
            return site
        if self.g.member(literal.child_by_field_name("type")) != CLIENT_TYPE:
            return site
        outer = literal.parent
        if outer is not None and outer.type == "unary_expression":
            return outer
        return literal

    # ---- where it runs ---------------------------------------------------------------------
    def handler(self, func) -> bool:
        params = func.child_by_field_name("parameters")
        kinds = set()
        for decl in named(params):
            if decl.type in ("parameter_declaration", "variadic_parameter_declaration"):
                kinds.add(self.g.member(decl.child_by_field_name("type")))
        if {(NET_HTTP, "ResponseWriter"), (NET_HTTP, "Request")} <= kinds:
            return True
        return bool(kinds & GO_HANDLER_CONTEXTS)

    def _immediate(self, literal) -> bool:
        """A func literal run right away, once: `func(){...}()`, `go func(){...}()`, errgroup `g.Go(func...)`."""
        parent = literal.parent
        while parent is not None and parent.type == "parenthesized_expression":
            literal, parent = parent, parent.parent
        if parent is None:
            return False
        if parent.type == "call_expression" and parent.child_by_field_name("function") == literal:
            return True
        if parent.type == "argument_list":
            fn = parent.parent.child_by_field_name("function") if parent.parent is not None else None
            return fn is not None and fn.type == "selector_expression" and self.f.text(
                fn.child_by_field_name("field")
            ) == "Go"
        return False

    def _once(self, literal) -> bool:
        """`once.Do(func() {...})`, `sync.OnceValue(func() *http.Client {...})`."""
        parent = literal.parent
        if parent is None or parent.type != "argument_list" or parent.parent is None:
            return False
        fn = parent.parent.child_by_field_name("function")
        if fn is None:
            return False
        if fn.type == "selector_expression" and self.f.text(fn.child_by_field_name("field")) == "Do":
            return len(self.f.call_args(parent.parent)) == 1
        return self.g.member(fn) in GO_ONCE_FUNCS

    def paced(self, loop) -> bool:
        """A loop that waits between iterations (`time.Sleep`, `time.After`, a ticker): a poll or a retry."""
        for fn in self.f.captures("(call_expression function: (_) @fn)", loop).get("fn", []):
            if self.g.member(fn) in GO_SLEEPS:
                return True
        for sel in self.f.captures("(selector_expression field: (field_identifier) @field) @sel", loop).get("sel", []):
            parent = sel.parent
            if self.f.text(sel.child_by_field_name("field")) == "C" and parent is not None and (
                parent.type == "range_clause"
                or (parent.type == "unary_expression" and self.f.text(parent.child_by_field_name("operator")) == "<-")
            ):
                return True
        return False

    def context(self, site) -> str | None:
        """'handler', 'loop' or 'call' (a plain function), or None when it runs once (init, main, sync.Once)."""
        child, opaque, loop, handler = site, False, None, False
        home = GoFile.enclosing_function(site)
        top_name = ""
        for anc in GoFile.ancestors(site):
            if anc.type == "for_statement" and child == anc.child_by_field_name("body") and not opaque and not loop:
                loop = anc
            elif anc.type in FUNCTION_NODES:
                if self.handler(anc):
                    handler = True
                if anc.type == "func_literal":
                    if self._once(anc):
                        return None
                    if not self._immediate(anc):
                        opaque = True
                else:
                    top_name = self.f.function_name(anc)
                    break
            child = anc
        if handler:
            return "handler"
        if loop is not None:
            return "paced" if self.paced(loop) else "loop"
        if home is None or GO_ONE_SHOT_FUNCS.match(top_name):
            return None
        return "call"

    # ---- where it goes ---------------------------------------------------------------------
    def flow(self, site) -> _Flow:
        flow = _Flow()
        home = GoFile.enclosing_function(site)
        seen: set[tuple[int, str]] = set()
        work = [site]
        while work:
            node = work.pop()
            for name, func, target in self._walk(node, home, flow):
                key = (_fkey(func), name)
                if key in seen:
                    continue
                seen.add(key)
                for ref in self.idents.get(name, []):
                    if ref.start_byte <= target.start_byte or (func is not None and not within(ref, func)):
                        continue
                    bound = self.binding(ref)
                    if (bound[0] if bound else None) != func:
                        continue
                    if self._opaque_between(ref, home):
                        flow.escaped = True
                    work.append(ref)
        return flow

    def _in_later_loop(self, node, home) -> bool:
        """A use inside a loop that does not also build the client: the client is reused across iterations."""
        for anc in GoFile.ancestors(node):
            if anc == home:
                return False
            if anc.type == "for_statement":
                return True
        return False

    def _opaque_between(self, node, home) -> bool:
        """Is `node` inside a func literal (under `home`) that may outlive the call, e.g. a returned handler?"""
        for anc in GoFile.ancestors(node):
            if anc == home:
                return False
            if anc.type == "func_literal" and not self._immediate(anc):
                return True
        return False

    def _walk(self, node, home, flow: _Flow) -> Iterator[tuple[str, object, object]]:
        """Follow one value up its expression; yield the local names it is bound to."""
        f = self.f
        child = node
        parent = node.parent
        while parent is not None:
            kind = parent.type
            if kind == "keyed_element":
                if child != parent.named_children[-1]:
                    return
            elif kind in GO_PASS_THROUGH:
                pass
            elif kind == "argument_list":
                call = parent.parent
                fn = call.child_by_field_name("function") if call is not None else None
                if fn is not None and fn.type == "identifier" and f.text(fn) == "append":
                    flow.stored = True
                    return
                flow.escaped = True
                child, parent = call, call.parent
                continue
            elif kind == "selector_expression":
                if child == parent.child_by_field_name("operand"):
                    call = parent.parent
                    if (
                        call is not None
                        and call.type == "call_expression"
                        and call.child_by_field_name("function") == parent
                        and f.text(parent.child_by_field_name("field")) in GO_USE_METHODS
                        and not self._opaque_between(node, home)
                    ):
                        flow.used = True
                        flow.reused = flow.reused or self._in_later_loop(node, home)
                return
            elif kind == "send_statement":
                if child == parent.child_by_field_name("value"):
                    flow.stored = True
                return
            elif kind == "return_statement":
                flow.stored = True
                return
            elif kind == "expression_list":
                yield from self._bind(parent, child, home, flow)
                return
            else:
                return
            child, parent = parent, parent.parent

    def _bind(self, values, child, home, flow: _Flow) -> Iterator[tuple[str, object, object]]:
        decl = values.parent
        if decl is None:
            return
        if decl.type == "return_statement":
            flow.stored = True
            return
        if decl.type == "var_spec" and values == decl.child_by_field_name("value"):
            targets = decl.children_by_field_name("name")
        elif decl.type in ("short_var_declaration", "assignment_statement") and values == decl.child_by_field_name(
            "right"
        ):
            targets = named(decl.child_by_field_name("left"))
        else:
            return
        items = named(values)
        index = items.index(child) if child in items else -1
        if len(items) != len(targets):
            index = 0 if index == 0 else -1
        if not 0 <= index < len(targets):
            return
        target = strip(targets[index])
        if target.type == "identifier":
            if self.f.text(target) == "_":
                return
            bound = self.binding(target)
            if bound is None or (home is not None and not within(bound[0], home)):
                flow.stored = True  # package variable, or a variable of an enclosing function (lazy init, cache)
                return
            if bound[1] == "result":
                flow.stored = True  # a named result, returned by a bare `return`
                return
            yield self.f.text(target), bound[0], target
        elif target.type == "selector_expression":
            owner = strip(target.child_by_field_name("operand"))
            bound = self.binding(owner) if owner is not None and owner.type == "identifier" else None
            if bound is not None and bound[1] == "local" and home is not None and within(bound[0], home):
                yield self.f.text(owner), bound[0], target  # proxy.Transport = t: a local value carries it
            else:
                flow.stored = True  # s.client = c
        else:
            flow.stored = True  # m[k] = c


@RULE.go("transport&net/http")
def check_go(f: GoFile) -> Iterator[Hit]:
    go = _GoFlow(f)
    for m in f.matches(GO_SITES):
        site = go.transport_site(m)
        if site is None:
            continue
        where = go.context(site)
        if where is None:
            continue
        flow = go.flow(site)
        if flow.stored:
            continue
        if where in ("loop", "paced") and not flow.used:
            continue
        if where == "call" and not (flow.used and not flow.escaped and not flow.reused):
            continue
        severity = Severity.NOTE if where == "paced" else None
        yield f.report(go.report_node(site), message=GO_MESSAGES[where], severity=severity)


# ---- Python --------------------------------------------------------------------------------

PY_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
PY_SESSION_PER_CALL = {
    **{f"requests.{v}": "requests.Session()" for v in PY_VERBS},
    **{f"requests.api.{v}": "requests.Session()" for v in PY_VERBS},
    **{f"httpx.{v}": "httpx.Client()" for v in PY_VERBS + ("stream",)},
    "aiohttp.request": "aiohttp.ClientSession()",
}
PY_URLOPEN = {"urllib.request.urlopen", "urllib2.urlopen", "six.moves.urllib.request.urlopen"}
PY_OPENERS = {"urllib.request.build_opener", "urllib2.build_opener", "six.moves.urllib.request.build_opener"}
PY_CLIENTS = {
    "requests.Session", "requests.session", "requests.sessions.Session", "requests.sessions.session",
    "httpx.Client", "httpx.AsyncClient", "aiohttp.ClientSession", "aiohttp.client.ClientSession",
    "urllib3.PoolManager", "urllib3.ProxyManager", "urllib3.poolmanager.PoolManager",
}
PY_USE_METHODS = set(PY_VERBS) | {"stream", "send", "urlopen", "ws_connect", "request_encode_url",
                                  "request_encode_body"}
PY_STORE_METHODS = {"append", "appendleft", "add", "extend", "insert", "setdefault", "put", "put_nowait",
                    "__setitem__", "update", "register", "push"}
PY_OWNING_CALLS = {"enter_context", "enter_async_context", "closing", "aclosing"}  # return what they are given
PY_SLEEPS = {"time.sleep", "asyncio.sleep", "trio.sleep", "anyio.sleep", "gevent.sleep", "eventlet.sleep"}
PY_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)

PY_WEB_FRAMEWORKS = ("flask", "quart", "fastapi", "starlette", "sanic", "aiohttp", "litestar", "bottle", "django",
                     "rest_framework", "ninja", "tornado", "falcon", "pyramid", "werkzeug", "http.server")
PY_ROUTE_DECORATORS = {"route", "get", "post", "put", "patch", "delete", "head", "options", "api_route",
                       "websocket", "view", "api_view"}
PY_REQUEST_HOOKS = {"before_request", "after_request", "before_app_request", "after_app_request",
                    "teardown_request", "middleware"}  # Flask/Quart hooks, Sanic/aiohttp middleware
PY_MIDDLEWARE_METHODS = {"__call__", "process_request", "process_view", "process_response", "process_exception"}
PY_REQUEST_STORAGE = {"self", "cls", "request", "flask.g", "quart.g", "request.state", "request.ctx"}  # one request
PY_VIEW_DECORATORS = {"login_required", "permission_required", "require_http_methods", "require_GET",
                      "require_POST", "require_safe", "csrf_exempt", "api_view", "cache_page", "never_cache",
                      "staff_member_required", "user_passes_test", "action"}
PY_REQUEST_TYPES = {
    "aiohttp.web.Request", "aiohttp.web.BaseRequest", "aiohttp.web_request.Request", "starlette.requests.Request",
    "fastapi.Request", "fastapi.requests.Request", "django.http.HttpRequest", "django.http.request.HttpRequest",
    "rest_framework.request.Request", "sanic.Request", "sanic.request.Request", "litestar.Request",
    "tornado.httputil.HTTPServerRequest", "quart.Request", "flask.Request",
}
PY_HANDLER_BASE = re.compile(r"(View|ViewSet|APIView|RequestHandler|WebSocketHandler|HTTPEndpoint|WebSocketEndpoint)$")
PY_HANDLER_METHODS = re.compile(
    r"^(get|post|put|patch|delete|head|options|dispatch|prepare|on_message|list|create|retrieve|update|"
    r"partial_update|destroy|get_context_data|get_queryset|get_object|form_valid|do_[A-Z]+|on_(get|post|put|"
    r"patch|delete|head|options)(_\w+)?)$"
)
PY_ROUTE_REGISTRARS = {"Route", "WebSocketRoute", "add_route", "add_get", "add_post", "add_put", "add_patch",
                       "add_delete", "add_head", "add_api_route", "add_url_rule", "add_websocket_route",
                       "add_api_websocket_route"}
PY_AIOHTTP_ROUTES = {f"aiohttp.web.{v}" for v in ("get", "post", "put", "patch", "delete", "head", "route", "view")}
PY_STARTUP_NAMES = {"__init__", "__new__", "__post_init__", "__enter__", "__aenter__", "setUp", "setUpClass",
                    "asyncSetUp", "setup", "startup", "on_startup", "lifespan", "init_app", "create_app"}
PY_STARTUP_DECORATORS = {"on_event", "before_serving", "before_first_request", "listener", "lru_cache", "cache",
                         "cached_property", "asynccontextmanager", "contextmanager", "fixture", "once"}
PY_STARTUP_REGISTRARS = {"on_startup", "on_shutdown", "cleanup_ctx", "on_cleanup"}


def _py_name(call: cst.Call) -> str:
    return dotted(call.func) or "client"


def _py_loop(f: PythonFile, node: cst.CSTNode) -> cst.CSTNode | None:
    """The loop of its own function that runs `node` once per iteration (a `while` test too, a first iterable not)."""
    child = node
    for anc in f.ancestors(node):
        if isinstance(anc, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return None
        if isinstance(anc, cst.For) and child is anc.body:
            return anc
        if isinstance(anc, cst.While) and (child is anc.body or child is anc.test):
            return anc
        if isinstance(anc, PY_COMPREHENSIONS):
            if child is not anc.for_in:
                return anc
            path = [node, *f.ancestors(node)]
            if anc.for_in.iter not in path:
                return anc
        child = anc
    return None


def _py_paced(f: PythonFile, loop: cst.CSTNode) -> bool:
    """A loop that sleeps between iterations: a poll or a retry."""
    for call in f.nodes(cst.Call):
        if f.callee(call) in PY_SLEEPS and any(a is loop for a in f.ancestors(call)):
            return True
    return False


def _py_none_guard(f: PythonFile, node: cst.CSTNode) -> bool:
    """Inside `if client is None:` / `if not client:` (lazy initialisation) in its own function."""
    for anc in f.ancestors(node):
        if isinstance(anc, (cst.FunctionDef, cst.ClassDef)):
            return False
        if isinstance(anc, cst.If):
            for test in _py_operands(anc.test):
                if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
                    if isinstance(test.expression, (cst.Name, cst.Attribute, cst.Subscript)):
                        return True
                if isinstance(test, cst.Comparison) and any(
                    isinstance(c.operator, (cst.Is, cst.Equal)) and isinstance(c.comparator, cst.Name)
                    and c.comparator.value == "None" for c in test.comparisons
                ):
                    return True
                if isinstance(test, cst.Comparison) and any(
                    isinstance(c.operator, cst.NotIn) for c in test.comparisons
                ):
                    return True  # if key not in cache:
                if isinstance(test, cst.Attribute) and test.attr.value in ("closed", "is_closed"):
                    return True
    return False


def _py_operands(test: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    if isinstance(test, cst.BooleanOperation):
        yield from _py_operands(test.left)
        yield from _py_operands(test.right)
    else:
        yield test


def _py_decorator_call(decorator: cst.Decorator) -> tuple[cst.BaseExpression, cst.Call | None]:
    expr = decorator.decorator
    return (expr.func, expr) if isinstance(expr, cst.Call) else (expr, None)


def _py_params(func: cst.FunctionDef) -> list[cst.Param]:
    params = list(func.params.posonly_params) + list(func.params.params)
    if params and params[0].name.value in ("self", "cls"):
        params = params[1:]
    return params


class _PyHandlers:
    """Which functions of a file run once per request."""

    def __init__(self, f: PythonFile) -> None:
        self.f = f
        self.web = imports_any(f, *PY_WEB_FRAMEWORKS)
        parts = PurePosixPath(f.path.replace("\\", "/")).parts
        self.views_file = bool(parts) and (parts[-1] in ("views.py", "views.pyi") or parts[-1].endswith("_views.py")
                                           or "views" in parts[:-1])
        self.registered, self.startup = self._registered()
        self.classes = self._handler_classes()
        self.handlers = self._handlers()

    def _registered(self) -> tuple[set[str], set[str]]:
        """Function names handed to a router (`Route("/", home)`) or to a startup hook list."""
        routes, startup = set(), set()
        f = self.f
        for call in f.nodes(cst.Call):
            q = f.callee(call) or ""
            last = q.rsplit(".", 1)[-1]
            names = {a.value.value for a in call.args if isinstance(a.value, cst.Name)}
            if last in PY_ROUTE_REGISTRARS or q in PY_AIOHTTP_ROUTES:
                routes |= names
            owner = call.func.value if isinstance(call.func, cst.Attribute) else None
            if isinstance(owner, cst.Attribute) and owner.attr.value in PY_STARTUP_REGISTRARS:
                startup |= names  # app.on_startup.append(init_session)
            if last in ("add_event_handler", "register_listener"):
                startup |= names
            for a in call.args:
                if a.keyword is not None and a.keyword.value in ("on_startup", "lifespan"):
                    value = a.value
                    items = [e.value for e in value.elements] if isinstance(value, (cst.List, cst.Tuple)) else [value]
                    startup |= {v.value for v in items if isinstance(v, cst.Name)}
        return routes, startup

    def _handler_classes(self) -> set[str]:
        found: set[str] = set()
        changed = True
        while changed:
            changed = False
            for cls in self.f.nodes(cst.ClassDef):
                if cls.name.value in found:
                    continue
                for base in cls.bases:
                    q = self.f.qualname(base.value) or ""
                    local = isinstance(base.value, cst.Name) and base.value.value in found
                    if local or (self.web and PY_HANDLER_BASE.search(q.rsplit(".", 1)[-1])):
                        found.add(cls.name.value)
                        changed = True
                        break
        return found

    def exempt(self, func: cst.FunctionDef) -> bool:
        """Startup/lifespan hooks, constructors and cached factories run once."""
        if func.name.value in PY_STARTUP_NAMES or func.name.value in self.startup:
            return True
        for decorator in func.decorators:
            expr, call = _py_decorator_call(decorator)
            last = (dotted(expr) or "").rsplit(".", 1)[-1]
            if last in PY_STARTUP_DECORATORS:
                return True
        return False

    def _direct(self, func: cst.FunctionDef) -> bool:
        f = self.f
        params = _py_params(func)
        names = [p.name.value for p in params]
        for decorator in func.decorators:
            expr, call = _py_decorator_call(decorator)
            last = (dotted(expr) or "").rsplit(".", 1)[-1]
            q = f.qualname(expr) or ""
            if last in PY_REQUEST_HOOKS and self.web:
                return True
            if call is not None and isinstance(expr, cst.Attribute) and last in PY_ROUTE_DECORATORS and self.web:
                path = f.string_value(f.arg(call, "path", 0) or f.arg(call, "rule", 0) or f.arg(call, "uri", 0))
                if path is not None and (path == "" or path.startswith("/")):  # not `@mock.patch("pkg.name")`
                    return True
            if names[:1] in (["request"], ["req"]) and (
                q.startswith(("django.", "rest_framework.")) or last in PY_VIEW_DECORATORS
            ):
                return True
        for p in params:
            if p.annotation is not None and f.qualname(p.annotation.annotation) in PY_REQUEST_TYPES:
                return True
        if names[:3] == ["scope", "receive", "send"] or names[:2] == ["environ", "start_response"]:
            return True
        if func.name.value in PY_MIDDLEWARE_METHODS and names[:1] == ["request"] and self.web:
            return True  # Django middleware
        cls = f.enclosing_class(func)
        if cls is not None and f.enclosing_function(func) is None:
            return cls.name.value in self.classes and bool(PY_HANDLER_METHODS.match(func.name.value))
        if func.name.value in self.registered and f.enclosing_function(func) is None:
            return True
        return self.views_file and names[:1] == ["request"] and f.enclosing_function(func) is None

    def _handlers(self) -> dict[cst.FunctionDef, str]:
        """Handler functions ('handler'), and functions of this file they call ('callee', two levels deep)."""
        f = self.f
        found = {func: "handler" for func in f.nodes(cst.FunctionDef) if not self.exempt(func) and self._direct(func)}
        if not found:
            return found
        module_funcs = {s.name.value: s for s in f.module.body if isinstance(s, cst.FunctionDef)}
        frontier = list(found)
        for _ in range(2):
            called = []
            for caller in frontier:
                cls = f.enclosing_class(caller)
                methods = {}
                if cls is not None and isinstance(cls.body, cst.IndentedBlock):
                    methods = {s.name.value: s for s in cls.body.body if isinstance(s, cst.FunctionDef)}
                for call in f.nodes(cst.Call):
                    if f.enclosing_function(call) is not caller:
                        continue
                    target = None
                    if isinstance(call.func, cst.Name):
                        target = module_funcs.get(call.func.value)
                    elif isinstance(call.func, cst.Attribute) and dotted(call.func.value) in ("self", "cls"):
                        target = methods.get(call.func.attr.value)
                    if target is not None and target not in found and not self.exempt(target):
                        found[target] = "callee"
                        called.append(target)
            frontier = called
        return found

    def context(self, node: cst.CSTNode) -> str | None:
        """'handler'/'callee' when `node` runs per request; a nested def counts as its enclosing handler."""
        for func in self.f.ancestors(node):
            if not isinstance(func, cst.FunctionDef):
                continue
            if func in self.handlers:
                return self.handlers[func]
            if self.exempt(func):
                return None
        return None


def _py_scope(f: PythonFile, node: cst.CSTNode) -> cst.CSTNode:
    return f.enclosing_function(node) or f.module


def _py_globals(f: PythonFile, func: cst.CSTNode) -> set[str]:
    names = set()
    for kind in (cst.Global, cst.Nonlocal):
        for stmt in f.nodes(kind):
            if _py_scope(f, stmt) is func:
                names |= {n.name.value for n in stmt.names}
    return names


class _PyFlow:
    def __init__(self, f: PythonFile) -> None:
        self.f = f
        self.order = {id(n): i for i, n in enumerate(f.nodes(cst.Name))}

    def refs(self, target: cst.Name) -> Iterator[cst.Name]:
        f = self.f
        scope = _py_scope(f, target)
        start = self.order[id(target)]
        for name in f.nodes(cst.Name)[start + 1:]:
            if name.value != target.value:
                continue
            parent = f.parent(name)
            if isinstance(parent, cst.Attribute) and parent.attr is name:
                continue
            if isinstance(parent, (cst.Arg, cst.Param, cst.FunctionDef, cst.ClassDef, cst.ImportAlias)):
                if not (isinstance(parent, cst.Arg) and parent.value is name):
                    continue
            if scope is f.module or any(a is scope for a in f.ancestors(name)):
                yield name

    def flow(self, call: cst.Call, per_request_self: bool) -> _Flow:
        flow = _Flow()
        seen: set[int] = set()
        work: list[cst.CSTNode] = [call]
        scope = _py_scope(self.f, call)
        while work:
            node = work.pop()
            for target in self._walk(node, flow, per_request_self):
                if id(target) in seen:
                    continue
                seen.add(id(target))
                for ref in self.refs(target):
                    if _py_scope(self.f, ref) is not scope:
                        flow.escaped = True  # captured by a nested function
                    work.append(ref)
        return flow

    def _walk(self, node: cst.CSTNode, flow: _Flow, per_request_self: bool) -> Iterator[cst.Name]:
        f = self.f
        child, parent = node, f.parent(node)
        while parent is not None:
            if isinstance(parent, (cst.Await, cst.Element, cst.DictElement, cst.StarredElement, cst.List,
                                   cst.Tuple, cst.Set, cst.Dict, cst.IfExp, cst.BooleanOperation)):
                if isinstance(parent, cst.DictElement) and child is parent.key:
                    return
            elif isinstance(parent, cst.Arg):
                call = f.parent(parent)
                if not isinstance(call, cst.Call):
                    return
                last = (dotted(call.func) or "").rsplit(".", 1)[-1]
                if last in PY_STORE_METHODS or last == "setattr":
                    flow.stored = True
                    return
                if last not in PY_OWNING_CALLS:
                    flow.escaped = True
                child, parent = call, f.parent(call)
                continue
            elif isinstance(parent, PY_COMPREHENSIONS):
                if child is getattr(parent, "elt", None) or child is getattr(parent, "value", None):
                    flow.stored = True  # a pool of clients: [httpx.Client(...) for _ in shards]
                return
            elif isinstance(parent, cst.Attribute):
                grand = f.parent(parent)
                if child is parent.value and isinstance(grand, cst.Call) and grand.func is parent:
                    if parent.attr.value in PY_USE_METHODS:
                        flow.used = True
                return
            elif isinstance(parent, (cst.Assign, cst.AnnAssign, cst.NamedExpr)):
                if child is not parent.value:
                    return
                targets = [t.target for t in parent.targets] if isinstance(parent, cst.Assign) else [parent.target]
                for target in targets:
                    yield from self._target(target, flow, per_request_self)
                if not isinstance(parent, cst.NamedExpr):
                    return
            elif isinstance(parent, cst.WithItem):
                if child is parent.item and parent.asname is not None and isinstance(parent.asname.name, cst.Name):
                    yield parent.asname.name
                return
            elif isinstance(parent, (cst.Return, cst.Yield, cst.Lambda)):
                flow.stored = True
                return
            else:
                return
            child, parent = parent, f.parent(parent)

    def _target(self, target: cst.BaseExpression, flow: _Flow, per_request_self: bool) -> Iterator[cst.Name]:
        f = self.f
        if isinstance(target, cst.Name):
            scope = _py_scope(f, target)
            if scope is not f.module and target.value in _py_globals(f, scope):
                flow.stored = True
            else:
                yield target
        elif isinstance(target, cst.Attribute):
            owner = f.qualname(target.value) or ""
            if not (per_request_self and owner in PY_REQUEST_STORAGE):
                flow.stored = True  # self.session = ..., app.state.client = ...
        elif isinstance(target, cst.Subscript):
            flow.stored = True


def _py_opener(f: PythonFile, call: cst.Call) -> bool:
    """`opener.open(url)` on an opener from `urllib.request.build_opener()`."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "open"):
        return False
    owner = f.resolve(func.value)
    return isinstance(owner, cst.Call) and f.callee(owner) in PY_OPENERS


@RULE.python(  # a client library imported (the light import pass resolves nothing else), or urllib's calls
    *(rf"{lib}&re:\bfrom\s+{lib}\b|\bimport\s[^\n]*\b{lib}\b" for lib in ("requests", "httpx", "aiohttp", "urllib3")),
    "urlopen",
    "build_opener",
)
def check_python(f: PythonFile) -> Iterator[Hit]:
    handlers = flows = None
    for call in f.nodes(cst.Call):
        callee = f.callee(call) or ""
        if callee in PY_SESSION_PER_CALL or callee in PY_URLOPEN or _py_opener(f, call):
            loop = _py_loop(f, call)
            if loop is None:
                continue
            paced = _py_paced(f, loop)
            if callee in PY_SESSION_PER_CALL:
                what = "creates a new session and connection pool"
                fix = f"create one `{PY_SESSION_PER_CALL[callee]}` before the loop and call its methods"
            else:
                what = "opens a new connection (and sends `Connection: close`)"
                fix = "use one `requests.Session()` or `urllib3.PoolManager()` created before the loop"
            yield f.report(call, message=(
                f"`{_py_name(call)}()` in a {'polling/retry ' if paced else ''}loop {what} on every iteration, "
                f"{WHY_NONE}; {'the loop sleeps between iterations so the cost is small, but ' if paced else ''}{fix}."
            ), severity=Severity.NOTE if paced else None)
            continue
        if callee not in PY_CLIENTS or py_test_client(f, call):
            continue
        if handlers is None:
            handlers, flows = _PyHandlers(f), _PyFlow(f)
        if _py_none_guard(f, call):
            continue
        loop = _py_loop(f, call)
        where, flow = None, None
        if loop is not None:
            flow = flows.flow(call, per_request_self=False)
            where = "loop" if flow.used and not flow.stored else None
        if where is None:
            where = handlers.context(call)
            flow = flows.flow(call, per_request_self=True) if where is not None else None
        if where is None or flow.stored:
            continue
        name = _py_name(call)
        severity = None
        if where == "loop" and _py_paced(f, loop):
            severity = Severity.NOTE
            message = (f"`{name}()` is created on every iteration of this polling/retry loop, {WHY}; the loop sleeps "
                       f"between iterations so the cost is small, but create it once before the loop and reuse it.")
        elif where == "loop":
            message = (f"`{name}()` is created on every loop iteration, {WHY}; create it once before the loop "
                       f"(`with {name}() as s:` around the loop) or at startup and reuse it.")
        elif where == "handler":
            message = (f"`{name}()` is created for each request this handler serves, {WHY}; create it once at "
                       "startup (module level or an app startup/lifespan hook) and reuse it.")
        else:
            message = (f"`{name}()` is created on every call of this function, which a request handler of this file "
                       f"calls, {WHY}; create it once at startup (module level or an app startup/lifespan hook) "
                       "and reuse it.")
        yield f.report(call, message=message, severity=severity)
