"""CL403 idle-pool-too-small

## What it does
Flags HTTP client connection pools that keep fewer idle connections per host than the code uses at once.

Go: an `http.Transport` (a literal, `&http.Transport{...}`, `new(http.Transport)`, `var t http.Transport`, or
`http.DefaultTransport.(*http.Transport).Clone()`, followed through later `t.Field = ...` assignments) whose
`MaxIdleConnsPerHost` is
- unset or 0 (the default, 2) while the same file fans requests out through it: a `go` statement or an
  errgroup-style `g.Go(...)` in a loop whose goroutine sends requests (`Do/Get/Post/Head/PostForm`, resty
  `R().Get(...)`, `RoundTrip`, directly or through functions of the same file) on the transport or a client
  built on it (`http.Client{Transport: t}`, `c.Transport = t`, resty `SetTransport(t)`; followed through
  variables, struct fields and a constructor's return value), for example a worker pool
  `for i := 0; i < n; i++ { go worker() }`. A fan-out bounded by its loop count, a semaphore channel
  (`make(chan struct{}, N)` released in the goroutine), `semaphore.NewWeighted(N)` or `g.SetLimit(N)` that is
  no wider than the idle pool is not flagged; an explicit `MaxIdleConnsPerHost` is flagged only when such a
  bound is known and wider;
- below `MaxConnsPerHost` (an explicit cap on connections per host says that many are expected);
- negative: `MaxIdleConnsPerHost: -1` turns the idle pool off (Go's `tryPutIdleConn` refuses every
  connection, as with `DisableKeepAlives`, but without sending `Connection: close`).
It also flags an explicit `MaxIdleConns` (the idle limit across all hosts; 0 means no limit) below an explicit
`MaxIdleConnsPerHost`, including the 100 a clone of `http.DefaultTransport` inherits: the total limit then
evicts idle connections the per-host setting meant to keep. Not flagged: `DisableKeepAlives` (CL202's), a
transport each goroutine builds for itself (CL401's), one handed to `http2.ConfigureTransport` (HTTP/2
multiplexes) or to a function that may set its pool size, and one whose dial function ignores the address (an
in-memory listener or a Unix socket: no TCP).

Python: a requests `HTTPAdapter(pool_maxsize=N)` mounted on a session, a `urllib3.PoolManager(maxsize=N)` /
`ProxyManager` / `HTTPConnectionPool` / `HTTPSConnectionPool` / `connection_from_url`, or a `requests.Session()`
left with its default adapters (`pool_maxsize` 10), whose size is smaller than the `ThreadPoolExecutor(
max_workers=M)` / `ThreadPool(M)` / `multiprocessing.dummy.Pool(M)` that uses it in the same file (the session
or pool, or a function of the same file that uses it, is passed to `submit`/`map`/`apply_async`...). urllib3's
own default `maxsize` is 1. N and M must be literals or module constants; `pool_block=True` / `block=True`
pools are not flagged (they make threads wait instead of opening extra connections), nor is a session each
task creates for itself.

## Why is this bad?
Under concurrency the client opens as many connections per host as there are requests in flight, but when
they finish it keeps only the idle-pool size and closes the rest: Go's Transport closes every connection
beyond `MaxIdleConnsPerHost` (2 by default) after each burst, and urllib3 logs "Connection pool is full,
discarding connection" and closes it. The next burst dials them all again, so a steady fan-out of 50
requests pays about 48 new TCP (and TLS) handshakes per round, and the client, the side that closes, keeps
each closed socket in TIME_WAIT for 60 s, until it runs out of ephemeral ports. Connections that negotiate
HTTP/2 multiplex requests and are not affected.

## Example
    client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 100}}
    for _, u := range urls {
        go func(u string) { resp, err := client.Get(u); ... }(u)
    }

    session.mount("https://", HTTPAdapter(pool_maxsize=4))
    with ThreadPoolExecutor(max_workers=32) as pool:
        pool.map(session.get, urls)

Use instead: size the idle pool to the expected concurrency per host: `MaxIdleConnsPerHost` equal to
`MaxConnsPerHost` or to the number of workers (and `MaxIdleConns` at least that times the number of hosts);
`HTTPAdapter(pool_maxsize=32)` / `urllib3.PoolManager(maxsize=32)` for 32 threads.

## References
- Go net/http `Transport.MaxIdleConnsPerHost`, `DefaultMaxIdleConnsPerHost`, `Transport.MaxConnsPerHost`,
  `Transport.MaxIdleConns`; golang/go#13801 (the default of 2 under load)
- requests `HTTPAdapter` (`pool_connections`, `pool_maxsize`, `pool_block`); urllib3 "Customizing pool
  behavior" (`maxsize`, `block`)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import libcst as cst
import tree_sitter

from connlint.findings import Hit, Severity
from connlint.frontends.go import FUNCTION_NODES, GoFile
from connlint.frontends.python import PythonFile, dotted
from connlint.registry import Rule

from ._go import HTTP2, NET_HTTP, GoNames, named, strip, within
from ._go_server import binding as _go_binding, declaring_scope as _go_declaring_scope, value_context as _go_value_context
from ._py import param_names, target_names, walk

RULE = Rule(
    "CL403",
    "idle-pool-too-small",
    Severity.WARNING,
    __doc__,
    "The client's idle pool keeps fewer connections per host than it uses concurrently, so the extra "
    "connections are closed after each burst and dialled again (TIME_WAIT on the client); size the idle pool "
    "(Go `MaxIdleConnsPerHost`, requests `pool_maxsize`, urllib3 `maxsize`) to the concurrency per host.",
    tests_exempt=True,
)

Node = tree_sitter.Node

# ---- Go ------------------------------------------------------------------------------------

SEMAPHORE = "golang.org/x/sync/semaphore"
DEFAULT_IDLE_PER_HOST = 2  # net/http DefaultMaxIdleConnsPerHost
DEFAULT_TRANSPORT_MAX_IDLE = 100  # http.DefaultTransport's MaxIdleConns, inherited by its Clone()
POOL_FIELDS = ("MaxIdleConnsPerHost", "MaxConnsPerHost", "MaxIdleConns", "DisableKeepAlives")
DIAL_FIELDS = ("Dial", "DialContext", "DialTLS", "DialTLSContext")

GO_TRANSPORTS = """
(composite_literal type: (_) @type) @lit
(call_expression function: (identifier) @new arguments: (argument_list . (_) @type .)) @new_call
(var_spec type: (_) @type) @var
(call_expression
  function: (selector_expression field: (field_identifier) @clone) arguments: (argument_list) @args) @clone_call
"""
GO_FIELD_SELECTORS = "(selector_expression field: (field_identifier) @field) @sel"
GO_FANOUTS = """
(go_statement) @go
(call_expression function: (selector_expression field: (field_identifier) @m) arguments: (argument_list . (_) @fn .)) @call
"""
GO_CALL_NODES = "(call_expression) @call"
GO_FUNCS = """
(function_declaration name: (identifier) @name) @func
(method_declaration name: (field_identifier) @name) @func
"""

SETTERS = ("SetTransport",)  # resty: a client method that stores the transport it is given
# Request methods of *http.Client (and resty's *Request) with their arity; RoundTrip is http.RoundTripper's.
REQUEST_ARITY = {"Do": 1, "Get": 1, "Head": 1, "Post": 3, "PostForm": 2, "RoundTrip": 1}

MSG_GO_DEFAULT = (
    "This `http.Transport` leaves `MaxIdleConnsPerHost` at its default of 2 while this file sends requests "
    "through it from {width} goroutines at once, so after each burst it closes all but 2 connections per host "
    "and dials them again (TIME_WAIT on the client); set `MaxIdleConnsPerHost` to the expected concurrency "
    "per host."
)
MSG_GO_BELOW_WIDTH = (
    "`MaxIdleConnsPerHost` is {idle} while this file sends requests through this `http.Transport` from {width} "
    "goroutines at once, so after each burst it closes the connections beyond {idle} per host and dials them "
    "again (TIME_WAIT on the client); set `MaxIdleConnsPerHost` to the expected concurrency per host."
)
MSG_GO_BELOW_MAX = (
    "`MaxIdleConnsPerHost` is {idle}{default} but `MaxConnsPerHost` allows {max} connections per host, so "
    "after each burst the Transport closes the connections beyond {idle} and dials them again (TIME_WAIT on "
    "the client); set `MaxIdleConnsPerHost` to `MaxConnsPerHost`."
)
MSG_GO_NEGATIVE = (
    "A negative `MaxIdleConnsPerHost` turns the idle pool off, so the Transport closes every HTTP/1.x "
    "connection after its response (a new TCP/TLS handshake per request, TIME_WAIT on the client); set it to "
    "the expected concurrency per host."
)
MSG_GO_TOTAL = (
    "`MaxIdleConns` is {total}{inherited}, below `MaxIdleConnsPerHost` {idle}, so the Transport evicts idle "
    "connections the per-host setting meant to keep and dials them again (TIME_WAIT on the client); raise "
    "`MaxIdleConns` (0 means no limit) to at least `MaxIdleConnsPerHost` times the number of hosts."
)

_UNKNOWN = object()  # a field set to a value that is not a constant


@dataclass
class _Setting:
    value: object  # int or bool, or _UNKNOWN
    node: Node  # what to report for it


@dataclass(frozen=True)
class _Ref:
    """A name a transport or its client is reachable by: a variable in a scope, or a struct field."""

    kind: str  # "var" or "field"
    name: str
    scope: tuple[int, int] = (0, 0)  # byte range of the variable's scope


@dataclass
class _Transport:
    node: Node  # the literal / call / var_spec to report
    fields: dict[str, _Setting] = field(default_factory=dict)
    cloned_default: bool = False
    own: set[_Ref] = field(default_factory=set)  # names of the transport itself
    refs: set[_Ref] = field(default_factory=set)  # names of it and of the clients using it
    opaque: bool = False  # its dial function ignores the address: an in-memory pipe or a Unix socket, no TCP


def _last(f: GoFile, node: Node) -> str:
    """`Name` of `x.Name` (a selector), or an identifier's text."""
    return f.text(node.child_by_field_name("field")) if node.type == "selector_expression" else f.text(node)


def _is_transport_type(g: GoNames, node: Node | None) -> bool:
    return node is not None and g.member(node) == (NET_HTTP, "Transport")


def _go_default_transport_clone(g: GoNames, call: Node) -> bool:
    """`http.DefaultTransport.(*http.Transport).Clone()`, also through `dt := http.DefaultTransport.(*http.Transport)`."""
    func = call.child_by_field_name("function")
    operand = strip(func.child_by_field_name("operand")) if func is not None else None
    if operand is None:
        return False
    if operand.type == "identifier":
        found = g.lookup(operand)
        if found is None or found[0] != "local":
            return False
        values = [v for k, v in found[2] if k == "value"]
        if len(values) != 1 or values[0] is None:
            return False
        operand = strip(values[0])
    if operand.type != "type_assertion_expression":
        return False
    return g.member(operand.child_by_field_name("operand")) == (NET_HTTP, "DefaultTransport") and _is_transport_type(
        g, operand.child_by_field_name("type")
    )


def _go_setting(f: GoFile, name: str, value: Node | None) -> object:
    value = strip(value)
    if name == "DisableKeepAlives":
        flag = f.bool_value(value)
        return flag if flag is not None else _UNKNOWN
    number = f.int_value(value)
    return number if number is not None else _UNKNOWN


def _go_fixed_endpoint_dialer(f: GoFile, value: Node) -> bool:
    """A dial func literal that ignores its address (an in-memory listener, a Unix socket): no TCP TIME_WAIT."""
    value = strip(value)
    if value is None or value.type != "func_literal":
        return False
    params = [p for p in named(value.child_by_field_name("parameters")) if p.type == "parameter_declaration"]
    strings = [p for p in params if f.text(p.child_by_field_name("type")) == "string"]
    names = [n for p in strings for n in p.children_by_field_name("name")]
    if not names:
        return False
    addr = f.text(names[-1])
    body = value.child_by_field_name("body")
    if body is None:
        return False
    used = addr != "_" and any(f.text(i) == addr for i in f.captures("(identifier) @id", body).get("id", []))
    tcp = any(
        (f.string_value(s) or "").startswith("tcp")
        for s in f.captures("(interpreted_string_literal) @s", body).get("s", [])
    )
    return not used and not tcp


def _go_transports(f: GoFile, g: GoNames) -> list[_Transport]:
    found = []
    for m in f.matches(GO_TRANSPORTS):
        if "lit" in m:
            if not _is_transport_type(g, m["type"]):
                continue
            body = m["lit"].child_by_field_name("body")
            if body is not None and any(c.type not in ("keyed_element", "comment") for c in body.named_children):
                continue  # positional literal
            t = _Transport(m["lit"])
            for name, value, element in f.keyed_elements(m["lit"]):
                if name in POOL_FIELDS:
                    t.fields[name] = _Setting(_go_setting(f, name, value), element)
                elif name in DIAL_FIELDS and _go_fixed_endpoint_dialer(f, value):
                    t.opaque = True
            found.append(t)
        elif "new_call" in m:
            if f.text(m["new"]) == "new" and _is_transport_type(g, m["type"]):
                found.append(_Transport(m["new_call"]))
        elif "var" in m:
            if m["var"].child_by_field_name("value") is None and _is_transport_type(g, m["type"]):
                found.append(_Transport(m["var"]))
        elif "clone_call" in m:
            if f.text(m["clone"]) == "Clone" and not named(m["args"]) and _go_default_transport_clone(g, m["clone_call"]):
                found.append(_Transport(m["clone_call"], cloned_default=True))
    return found


class _GoFlow:
    """Which names a transport, and the clients built on it, are reachable by in this file."""

    def __init__(self, f: GoFile, g: GoNames) -> None:
        self.f = f
        self.g = g
        self.funcs: dict[str, list[Node]] = {}
        for m in f.matches(GO_FUNCS):
            self.funcs.setdefault(f.text(m["name"]), []).append(m["func"])
        self.calls = f.captures(GO_CALL_NODES).get("call", [])

    def names_of(self, value: Node, depth: int = 0) -> set[_Ref]:
        """Where a value (a transport or client) is stored: variables, struct fields, callers' variables."""
        f = self.f
        bound = _go_binding(f, value)
        if bound.kind == "var" and bound.name and bound.scope is not None:
            return {_Ref("var", bound.name, (bound.scope.start_byte, bound.scope.end_byte))}
        if bound.kind == "field" and bound.name:
            return {_Ref("field", bound.name)}
        refs: set[_Ref] = set()
        outer = _go_value_context(value)
        container = outer.parent
        if container is not None and container.type == "expression_list":
            container = container.parent
        if depth < 2 and container is not None and container.type == "return_statement":
            func = f.enclosing_function(container)
            name = f.function_name(func)
            for call in self.calls if name else ():
                callee = strip(call.child_by_field_name("function"))
                if callee is not None and _last(f, callee) == name:
                    refs |= self.names_of(call, depth + 1)
        return refs

    def matches(self, node: Node | None, refs: set[_Ref]) -> bool:
        """Is `node` (`c`, `s.client`) one of `refs`?"""
        node = strip(node)
        if node is None:
            return False
        if node.type == "identifier":
            name = self.f.text(node)
            return any(r.kind == "var" and r.name == name and r.scope[0] <= node.start_byte < r.scope[1] for r in refs)
        if node.type == "selector_expression":
            name = self.f.text(node.child_by_field_name("field"))
            return any(r.kind == "field" and r.name == name for r in refs)
        return False

    def mentions(self, tree: Node, t: _Transport, refs: set[_Ref]) -> bool:
        if tree.start_byte <= t.node.start_byte and t.node.end_byte <= tree.end_byte:
            return True
        for node in self.f.captures("[(identifier) (selector_expression)] @n", tree).get("n", []):
            if self.matches(node, refs):
                return True
        return False

    def link_clients(self, t: _Transport) -> None:
        """Add the names of `http.Client`s (literals or `c.Transport = ...`) built on the transport."""
        f = self.f
        for _ in range(2):
            added = False
            for m in f.matches("(composite_literal type: (_) @type) @lit"):
                if self.g.member(m["type"]) != (NET_HTTP, "Client"):
                    continue
                value = f.keyed_fields(m["lit"]).get("Transport")
                if value is not None and self.mentions(value, t, t.refs):
                    new = self.names_of(m["lit"]) - t.refs
                    t.refs |= new
                    added = added or bool(new)
            for m in f.matches(GO_FIELD_SELECTORS):
                if f.text(m["field"]) != "Transport":
                    continue
                written, value = _go_written(m["sel"])
                if written and value is not None and self.mentions(value, t, t.refs):
                    new = self._owner_refs(m["sel"].child_by_field_name("operand")) - t.refs
                    t.refs |= new
                    added = added or bool(new)
            for call in self.calls:  # resty: client.SetTransport(t)
                callee = call.child_by_field_name("function")
                args = f.call_args(call)
                if callee is None or callee.type != "selector_expression" or len(args) != 1:
                    continue
                if f.text(callee.child_by_field_name("field")) in SETTERS and self.mentions(args[0], t, t.refs):
                    owner = strip(callee.child_by_field_name("operand"))
                    if owner is not None and owner.type in ("identifier", "selector_expression"):
                        new = self._owner_refs(owner) - t.refs
                    else:  # resty.New().SetTransport(t).SetTimeout(...): the chain's value is the client
                        new = self.names_of(_builder_chain(f, call)) - t.refs
                    t.refs |= new
                    added = added or bool(new)
            if not added:
                break

    def _owner_refs(self, owner: Node | None) -> set[_Ref]:
        f = self.f
        owner = strip(owner)
        if owner is not None and owner.type == "identifier":
            scope = _go_declaring_scope(f, owner, f.text(owner))
            return {_Ref("var", f.text(owner), (scope.start_byte, scope.end_byte))}
        if owner is not None and owner.type == "selector_expression":
            return {_Ref("field", f.text(owner.child_by_field_name("field")))}
        return set()

    def handed_off(self, t: _Transport) -> bool:
        """Is the transport passed to a function that may configure it (not a package's, nor this file's)?"""
        f = self.f
        for call in self.calls:
            callee = strip(call.child_by_field_name("function"))
            if callee is None:
                continue
            args = [a for a in f.call_args(call) if self.matches(a, t.own) or (
                a.type == "unary_expression" and self.matches(a.child_by_field_name("operand"), t.own)
            )]
            if not args:
                continue
            member = f.selector(callee)  # pkg.Func (a dot-imported name stays unknown)
            if member is not None:
                if member[0] == HTTP2 or "ConfigureTransport" in member[1]:
                    return True  # HTTP/2 multiplexes: the idle pool size does not matter
                continue
            name = callee.child_by_field_name("field") if callee.type == "selector_expression" else callee
            if f.text(name) in self.funcs:
                continue  # this file's function: its writes are checked with the file's assignments
            if callee.type == "selector_expression" and f.text(name) in SETTERS:
                continue  # resty's client.SetTransport(t) stores it
            return True
        return False


def _builder_chain(f: GoFile, call: Node) -> Node:
    """The outermost call of a `x.SetA(...).SetB(...)` builder chain that `call` is part of."""
    while True:
        parent = call.parent
        if parent is None or parent.type != "selector_expression" or parent.child_by_field_name("operand") != call:
            return call
        outer = parent.parent
        if outer is None or outer.type != "call_expression" or not _last(f, parent).startswith("Set"):
            return call
        call = outer


def _go_written(selector: Node) -> tuple[bool, Node | None]:
    """(written, value) for `x.F` on the left of an assignment (value None when not one-to-one), or `&x.F`."""
    outer = _go_value_context(selector)
    if outer is not selector:
        return True, None  # &t.MaxIdleConnsPerHost handed to flag.IntVar & co
    exprs = selector.parent
    stmt = exprs.parent if exprs is not None and exprs.type == "expression_list" else None
    if stmt is None or stmt.type != "assignment_statement" or stmt.child_by_field_name("left") != exprs:
        return False, None
    op = stmt.child_by_field_name("operator")
    left, right = named(exprs), named(stmt.child_by_field_name("right"))
    if (op is not None and op.type != "=") or len(left) != len(right):
        return True, None
    return True, right[left.index(selector)]


def _go_apply_assignments(f: GoFile, flow: _GoFlow, transports: list[_Transport]) -> bool:
    """Attach `t.MaxIdleConnsPerHost = ...` writes to their transport; False when one belongs to none we know."""
    all_known = True
    for m in f.matches(GO_FIELD_SELECTORS):
        name = f.text(m["field"])
        if name not in POOL_FIELDS:
            continue
        written, value = _go_written(m["sel"])
        if not written:
            continue
        operand = m["sel"].child_by_field_name("operand")
        owners = [t for t in transports if flow.matches(operand, t.own)]
        if not owners:
            if name == "MaxIdleConnsPerHost":
                all_known = False
            continue
        setting = _go_setting(f, name, value) if value is not None else _UNKNOWN
        stmt = _go_value_context(m["sel"]).parent
        report = stmt.parent if stmt is not None and stmt.type == "expression_list" else m["sel"]
        for t in owners:
            t.fields[name] = _Setting(setting, report)
    return all_known


# ---- Go: concurrency ---------------------------------------------------------------------------


@dataclass
class _Spawn:
    width: int | None  # goroutines at once; None when unbounded
    refs: list[Node]  # receivers of the requests, and the arguments handed to the functions that send them
    runs: list[Node]  # the code each goroutine runs: the spawn site and this file's functions it calls


class _Fanouts:
    """Loops that start goroutines sending requests, with how wide they are and what they send through."""

    def __init__(self, f: GoFile, g: GoNames, flow: _GoFlow) -> None:
        self.f = f
        self.g = g
        self.funcs = flow.funcs
        self._reach: dict[int, list[Node] | None] = {}
        self.spawns: list[_Spawn] = []
        for m in f.matches(GO_FANOUTS):
            if "go" in m:
                call = next((c for c in named(m["go"]) if c.type == "call_expression"), None)
                if call is None:
                    continue
                spawned = strip(call.child_by_field_name("function"))
                site, extra = m["go"], f.call_args(call)
            else:
                if f.text(m["m"]) != "Go" or len(f.call_args(m["call"])) != 1:
                    continue
                spawned, site, extra = strip(m["fn"]), m["call"], []
            loop = self._loop(site)
            if loop is None or spawned is None:
                continue
            refs = self._spawned_refs(spawned)
            if refs:
                if spawned.type == "selector_expression":  # go s.worker(): the worker's receiver fields
                    refs.append(spawned.child_by_field_name("operand"))
                self.spawns.append(_Spawn(self._width(site, loop, spawned), refs + list(extra), self._runs(site, spawned)))

    def width(self, flow: _GoFlow, refs: set[_Ref], t_node: Node) -> int | None | str:
        """The widest fan-out through `refs` of a transport shared by the goroutines (not one made in each):
        an int, None when unbounded, "" when there is none."""
        widths = [
            s.width for s in self.spawns
            if any(flow.matches(r, refs) for r in s.refs) and not any(within(t_node, n) for n in s.runs)
        ]
        if not widths:
            return ""
        if any(w is None for w in widths):
            return None
        return max(w for w in widths if w is not None)

    def _loop(self, site: Node) -> Node | None:
        """The `for` statement `site` runs in, within its own function."""
        for anc in self.f.ancestors(site):
            if anc.type in FUNCTION_NODES:
                return None
            if anc.type == "for_statement":
                return anc
        return None

    def _runs(self, site: Node, spawned: Node) -> list[Node]:
        runs, todo = [site], [] if spawned.type == "func_literal" else self._resolve(spawned)
        bodies = [spawned] if spawned.type == "func_literal" else []
        while todo or bodies:
            if todo:
                func = todo.pop()
                if any(func is r for r in runs) or len(runs) > 20:
                    continue
                runs.append(func)
                bodies.append(func)
                continue
            body = bodies.pop().child_by_field_name("body")
            for call in self.f.captures(GO_CALL_NODES, body).get("call", []) if body is not None else ():
                callee = strip(call.child_by_field_name("function"))
                if callee is not None:
                    todo.extend(self._resolve(callee))
        return runs

    # ---- what does the goroutine send requests through?
    def _spawned_refs(self, spawned: Node) -> list[Node]:
        if spawned.type == "func_literal":
            return self._body_refs(spawned, 0) or []
        refs: list[Node] = []
        for func in self._resolve(spawned):
            refs.extend(self._body_refs(func, 0) or [])
        return refs

    def _resolve(self, callee: Node) -> list[Node]:
        """Same-file functions or methods a callee (`fetch`, `s.fetch`) may name."""
        if callee.type == "identifier":
            return [fn for fn in self.funcs.get(self.f.text(callee), []) if fn.type == "function_declaration"]
        if callee.type == "selector_expression" and not self.f.package_of(callee.child_by_field_name("operand")):
            name = self.f.text(callee.child_by_field_name("field"))
            return [fn for fn in self.funcs.get(name, []) if fn.type == "method_declaration"]
        return []

    def _body_refs(self, func: Node, depth: int) -> list[Node] | None:
        """Receivers of the requests a function sends (directly or through this file's functions, whose
        arguments count too); None when it sends none."""
        key = func.start_byte
        if key in self._reach:
            return self._reach[key]
        self._reach[key] = None  # recursion guard
        body = func.child_by_field_name("body")
        refs: list[Node] = []
        for call in self.f.captures(GO_CALL_NODES, body).get("call", []) if body is not None else ():
            recv = self._request_receiver(call)
            if recv is not None:
                refs.append(recv)
                continue
            callee = strip(call.child_by_field_name("function"))
            if callee is None or depth >= 3:
                continue
            inner = [r for fn in self._resolve(callee) for r in (self._body_refs(fn, depth + 1) or [])]
            if inner:
                refs.extend(inner)
                refs.extend(self.f.call_args(call))
                if callee.type == "selector_expression":
                    refs.append(callee.child_by_field_name("operand"))
        self._reach[key] = refs or None
        return self._reach[key]

    def _request_receiver(self, call: Node) -> Node | None:
        func = call.child_by_field_name("function")
        if func is None or func.type != "selector_expression":
            return None
        method = self.f.text(func.child_by_field_name("field"))
        if REQUEST_ARITY.get(method) != len(self.f.call_args(call)):
            return None
        recv = strip(func.child_by_field_name("operand"))
        if recv is None or self.f.package_of(recv):
            return None  # http.Get(...) uses http.DefaultTransport
        if recv.type == "call_expression":  # resty: client.R().Get(url)
            inner = recv.child_by_field_name("function")
            if inner is not None and inner.type == "selector_expression" and _last(self.f, inner) == "R":
                return strip(inner.child_by_field_name("operand"))
            return None
        return recv

    # ---- how many at once?
    def _int(self, node: Node | None) -> int | None:
        """A constant, or a local variable bound once to one (`workers := 8`)."""
        node = strip(node)
        value = self.f.int_value(node)
        if value is None and node is not None and node.type == "identifier":
            found = self.g.lookup(node)
            if found is not None and found[0] == "local":
                values = [v for k, v in found[2] if k == "value"]
                if len(values) == 1 and values[0] is not None:
                    value = self.f.int_value(strip(values[0]))
        return value

    def _width(self, site: Node, loop: Node, spawned: Node) -> int | None:
        bounds = []
        count = self._loop_count(loop)
        if count is not None:
            bounds.append(count)
        func = self.f.enclosing_function(site)
        scope = func.child_by_field_name("body") if func is not None else None
        if scope is not None:
            bounds.extend(self._semaphores(scope, site, spawned))
        return min(bounds) if bounds else None

    def _loop_count(self, loop: Node) -> int | None:
        clause = next((c for c in loop.named_children if c.type in ("for_clause", "range_clause")), None)
        if clause is None:
            return None
        if clause.type == "range_clause":
            right = clause.child_by_field_name("right")
            value = self._int(right)
            return value if value is not None and value >= 0 else None
        cond = clause.child_by_field_name("condition")
        init = clause.child_by_field_name("initializer")
        start: int | None = 0
        if init is not None and init.type == "short_var_declaration":
            values = named(init.child_by_field_name("right"))
            start = self._int(values[0]) if len(values) == 1 else None
        if cond is None or cond.type != "binary_expression" or start is None:
            return None
        op = self.f.text(cond.child_by_field_name("operator"))
        bound = self._int(cond.child_by_field_name("right"))
        if bound is None:
            return None
        if op == "<":
            return max(bound - start, 0)
        if op == "<=":
            return max(bound - start + 1, 0)
        return None

    def _semaphores(self, scope: Node, site: Node, spawned: Node) -> list[int]:
        """Capacities of semaphores released inside the goroutine, and errgroup `SetLimit(N)`."""
        f = self.f
        bounds = []
        released: set[str] = set()
        if spawned.type == "func_literal":
            for node in f.captures("(unary_expression) @u", spawned).get("u", []):
                if f.text(node.child_by_field_name("operator")) == "<-":
                    released.add(f.text(strip(node.child_by_field_name("operand"))))
            for call in f.captures(GO_CALL_NODES, spawned).get("call", []):
                fn = call.child_by_field_name("function")
                if fn is not None and fn.type == "selector_expression" and _last(f, fn) == "Release":
                    released.add(f.text(strip(fn.child_by_field_name("operand"))))
        group = ""
        if site.type == "call_expression":
            group = f.text(strip(site.child_by_field_name("function").child_by_field_name("operand")))
        for call in f.captures(GO_CALL_NODES, scope).get("call", []):
            fn = call.child_by_field_name("function")
            args = f.call_args(call)
            if fn is None:
                continue
            if fn.type == "selector_expression" and f.text(fn.child_by_field_name("field")) == "SetLimit":
                if group and f.text(strip(fn.child_by_field_name("operand"))) == group and len(args) == 1:
                    limit = self._int(args[0])
                    if limit is not None and limit > 0:
                        bounds.append(limit)
                continue
            capacity = None
            if fn.type == "identifier" and f.text(fn) == "make" and len(args) == 2 and args[0].type == "channel_type":
                capacity = self._int(args[1])
            elif self.g.member(fn) == (SEMAPHORE, "NewWeighted") and len(args) == 1:
                capacity = self._int(args[0])
            if capacity is None or capacity <= 0:
                continue
            bound = _go_binding(f, call)
            if bound.kind == "var" and bound.name in released:
                bounds.append(capacity)
        return bounds


def _go_findings(f: GoFile, t: _Transport, all_known: bool, flow: _GoFlow, fanouts: _Fanouts) -> Iterator[Hit]:
    if t.opaque:
        return  # not a TCP connection pool
    idle = t.fields.get("MaxIdleConnsPerHost")
    if idle is not None and isinstance(idle.value, int) and idle.value < 0:
        yield f.report(idle.node, MSG_GO_NEGATIVE)
        return
    keepalives_off = t.fields.get("DisableKeepAlives")
    if keepalives_off is not None and keepalives_off.value is not False:
        return  # no idle pool at all: CL202's finding
    if idle is not None and idle.value is _UNKNOWN:
        return
    if idle is None and not all_known:
        return  # the file sets MaxIdleConnsPerHost on something we could not follow
    if flow.handed_off(t):
        return
    explicit = idle is not None and isinstance(idle.value, int) and idle.value > 0
    effective: int = idle.value if explicit else DEFAULT_IDLE_PER_HOST  # type: ignore[union-attr,assignment]

    total = t.fields.get("MaxIdleConns")
    total_value = total.value if total is not None else (DEFAULT_TRANSPORT_MAX_IDLE if t.cloned_default else 0)
    if explicit and isinstance(total_value, int) and 0 < total_value < effective:
        inherited = "" if total is not None else " (inherited from `http.DefaultTransport`)"
        node = total.node if total is not None else t.node
        yield f.report(node, MSG_GO_TOTAL.format(total=total_value, inherited=inherited, idle=effective))
        return

    cap = t.fields.get("MaxConnsPerHost")
    if cap is not None and isinstance(cap.value, int) and cap.value > 0:
        if cap.value > effective:
            default = "" if explicit else " (unset: the default)"
            yield f.report(t.node, MSG_GO_BELOW_MAX.format(idle=effective, default=default, max=cap.value))
        return  # connections per host are capped at most at the idle size

    flow.link_clients(t)
    width = fanouts.width(flow, t.refs, t.node)
    if width == "":
        return
    if not explicit:
        if width is None or width > effective:  # type: ignore[operator]
            yield f.report(t.node, MSG_GO_DEFAULT.format(width="an unbounded number of" if width is None else width))
    elif width is not None and width > effective:  # type: ignore[operator]
        yield f.report(t.node, MSG_GO_BELOW_WIDTH.format(idle=effective, width=width))


@RULE.go("transport&go", "transport&maxidleconns", "transport&maxconnsperhost")
def check_go(f: GoFile) -> Iterator[Hit]:
    g = GoNames(f)
    if not any(path == NET_HTTP for path in f.imports.values()) and NET_HTTP not in g.dot_imports:
        return
    transports = _go_transports(f, g)
    if not transports:
        return
    flow = _GoFlow(f, g)
    for t in transports:
        t.own = flow.names_of(t.node)
        t.refs = set(t.own)
    all_known = _go_apply_assignments(f, flow, transports)
    fanouts = _Fanouts(f, g, flow)
    for t in transports:
        yield from _go_findings(f, t, all_known, flow, fanouts)


# ---- Python --------------------------------------------------------------------------------

PY_ADAPTERS = {"requests.adapters.HTTPAdapter", "requests.HTTPAdapter"}
PY_SESSIONS = {"requests.Session", "requests.session", "requests.sessions.Session", "requests.sessions.session"}
# urllib3 pools: keyword and positional index of maxsize and block (None: keyword only).
PY_URLLIB3 = {
    "urllib3.PoolManager": (None, None),
    "urllib3.poolmanager.PoolManager": (None, None),
    "urllib3.ProxyManager": (None, None),
    "urllib3.poolmanager.ProxyManager": (None, None),
    "urllib3.proxy_from_url": (None, None),
    "urllib3.poolmanager.proxy_from_url": (None, None),
    "urllib3.connection_from_url": (None, None),
    "urllib3.connectionpool.connection_from_url": (None, None),
    "urllib3.HTTPConnectionPool": (3, 4),
    "urllib3.HTTPSConnectionPool": (3, 4),
    "urllib3.connectionpool.HTTPConnectionPool": (3, 4),
    "urllib3.connectionpool.HTTPSConnectionPool": (3, 4),
}
PY_EXECUTORS = {
    "concurrent.futures.ThreadPoolExecutor": "max_workers",
    "concurrent.futures.thread.ThreadPoolExecutor": "max_workers",
    "multiprocessing.pool.ThreadPool": "processes",
    "multiprocessing.dummy.Pool": "processes",
}
PY_EXECUTOR_METHODS = (
    "submit", "map", "imap", "imap_unordered", "starmap", "map_async", "starmap_async", "apply", "apply_async",
)
REQUESTS_DEFAULT_POOLSIZE = 10
URLLIB3_DEFAULT_MAXSIZE = 1

MSG_PY_EXPLICIT = (
    "`{param}={size}` keeps at most {size} connections per host but {workers} threads use this pool at once, "
    "so urllib3 closes the extra connections after each request (\"Connection pool is full, discarding "
    "connection\") and dials them again (TIME_WAIT on the client); set `{param}` to at least {workers}."
)
MSG_PY_ADAPTER_DEFAULT = (
    "This `HTTPAdapter` keeps the default `pool_maxsize` of 10 connections per host{conns} but {workers} threads "
    "use it at once, so urllib3 closes the extra connections after each request (\"Connection pool is full, "
    "discarding connection\") and dials them again (TIME_WAIT on the client); pass `pool_maxsize={workers}`."
)
MSG_PY_SESSION_DEFAULT = (
    "This `requests.Session` keeps its default adapters' 10 connections per host but {workers} threads use it "
    "at once, so urllib3 closes the extra connections after each request (\"Connection pool is full, "
    "discarding connection\") and dials them again (TIME_WAIT on the client); mount "
    "`HTTPAdapter(pool_maxsize={workers})` for http:// and https://."
)
MSG_PY_URLLIB3_DEFAULT = (
    "This urllib3 pool keeps the default `maxsize` of 1 connection per host but {workers} threads use it at "
    "once, so it closes the extra connections after each request (\"Connection pool is full, discarding "
    "connection\") and dials them again (TIME_WAIT on the client); pass `maxsize={workers}`."
)


@dataclass
class _Pool:
    call: cst.Call
    size: int
    report: cst.CSTNode
    message: str  # template with {workers}
    handles: list[tuple[str, cst.CSTNode]] = field(default_factory=list)  # (dotted name, binding node)
    workers: int = 0


def _py_int(f: PythonFile, expr: cst.BaseExpression | None) -> int | None:
    value = f.number_value(expr)
    return int(value) if value is not None and value == int(value) else None


def _py_kwargs_splat(call: cst.Call) -> bool:
    return any(a.star for a in call.args)


class _PyFile:
    def __init__(self, f: PythonFile) -> None:
        self.f = f
        self.funcs: dict[str, list[cst.FunctionDef]] = {}
        for fn in f.nodes(cst.FunctionDef):
            self.funcs.setdefault(fn.name.value, []).append(fn)
        self._params: dict[int, set[str]] = {}
        self._locals: dict[int, set[str]] = {}
        self.thread_locals = {  # `_local = threading.local()`: attributes of it are per-thread
            name.rsplit(".", 1)[-1]
            for call in f.nodes(cst.Call) if f.callee(call) in ("threading.local", "_threading_local.local")
            for name, _ in self.bound_names(call)
        }

    # ---- bindings
    def bound_names(self, value: cst.BaseExpression) -> list[tuple[str, cst.CSTNode]]:
        """Dotted names `value` is bound to: `x = value`, `self.x = value`, `with value as x`."""
        f = self.f
        parent = f.parent(value)
        names = []
        if isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is value:
            targets = [t.target for t in parent.targets] if isinstance(parent, cst.Assign) else [parent.target]
            for target in targets:
                name = dotted(target)
                if name:
                    names.append((name, parent))
        elif isinstance(parent, cst.WithItem) and parent.item is value and parent.asname is not None:
            name = dotted(parent.asname.name)
            if name:
                names.append((name, parent))
        return names

    def factory_results(self, name: str, binding: cst.CSTNode) -> list[tuple[str, cst.CSTNode]]:
        """`SESSION = build_session()` when `build_session` returns the local `name`."""
        f = self.f
        fn = f.enclosing_function(binding)
        if fn is None or "." in name:
            return []
        returns = [r for r in f.nodes(cst.Return) if f.enclosing_function(r) is fn]
        if not any(isinstance(r.value, cst.Name) and r.value.value == name for r in returns):
            return []
        found = []
        for call in f.nodes(cst.Call):
            if (dotted(call.func) or "").rsplit(".", 1)[-1] == fn.name.value:
                found.extend(self.bound_names(call))
        return found

    def handles(self, value: cst.BaseExpression) -> list[tuple[str, cst.CSTNode]]:
        """The names a session or pool is bound to; none when it is stored per thread (`threading.local()`)."""
        names = self.bound_names(value)
        for name, binding in list(names):
            names.extend(self.factory_results(name, binding))
        if any(part in self.thread_locals for name, _ in names for part in name.split(".")[:-1]):
            return []
        return names

    # ---- does an expression refer to a handle?
    def params(self, fn: cst.FunctionDef | cst.Lambda) -> set[str]:
        key = id(fn)
        if key not in self._params:
            self._params[key] = param_names(fn)
        return self._params[key]

    def refers(self, node: cst.CSTNode, handle: tuple[str, cst.CSTNode]) -> bool:
        """Is `node` (a Name or Attribute) the handle, or an attribute of it, in the handle's scope?"""
        name, binding = handle
        text = dotted(node)
        if text is None or not (text == name or text.startswith(name + ".")):
            return False
        f = self.f
        head = name.split(".")[0]
        if "." in name:  # self.session: the same class
            return f.enclosing_class(node) is f.enclosing_class(binding)
        scope = f.enclosing_function(binding)
        for anc in f.ancestors(node):
            if anc is scope:
                return True  # a local of that function, used in it or in a closure
            if isinstance(anc, (cst.FunctionDef, cst.Lambda)) and head in self.local_names(anc):
                return False  # shadowed by a parameter or a local
        return scope is None  # a module global

    def local_names(self, fn: cst.FunctionDef | cst.Lambda) -> set[str]:
        """Parameters and names a function binds (assignment, `with ... as`, `for`, import), minus `global`s."""
        key = id(fn)
        if key not in self._locals:
            names = set(self.params(fn))
            declared_global: set[str] = set()
            stack: list[cst.CSTNode] = [fn.body]
            while stack:
                node = stack.pop()
                if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                    names.add(node.name.value)
                    continue
                if isinstance(node, cst.Lambda):
                    continue
                if isinstance(node, (cst.Global, cst.Nonlocal)):
                    declared_global.update(n.name.value for n in node.names)
                elif isinstance(node, cst.AssignTarget):
                    names.update(target_names(node.target))
                elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
                    names.update(target_names(node.target))
                elif isinstance(node, cst.AsName):
                    names.update(target_names(node.name))
                elif isinstance(node, (cst.For, cst.CompFor)):
                    names.update(target_names(node.target))
                elif isinstance(node, cst.NamedExpr):
                    names.update(target_names(node.target))
                stack.extend(node.children)
            self._locals[key] = names - declared_global
        return self._locals[key]

    def mentions(self, tree: cst.CSTNode, handle: tuple[str, cst.CSTNode]) -> bool:
        stack = [tree]
        while stack:
            node = stack.pop()
            if isinstance(node, (cst.Name, cst.Attribute)) and self.refers(node, handle):
                return True
            if isinstance(node, cst.Attribute):  # `x.session`: the attribute name is not a reference
                stack.append(node.value)
            elif isinstance(node, cst.Arg):  # `f(session=...)`: the keyword is not a reference
                stack.append(node.value)
            else:
                stack.extend(node.children)
        return False

    def uses(self, call: cst.Call, handle: tuple[str, cst.CSTNode]) -> bool:
        """Does an executor call (`ex.submit(fn, ...)`) hand the handle, or a function using it, to the threads?"""
        if any(self.mentions(a.value, handle) for a in call.args):
            return True
        fn = self.f.arg(call, "fn", 0) or self.f.arg(call, "func", 0)
        seen: set[int] = set()
        return fn is not None and self._callable_uses(fn, handle, seen, 0)

    def _callable_uses(self, fn: cst.BaseExpression, handle, seen: set[int], depth: int) -> bool:
        if depth > 2:
            return False
        if isinstance(fn, cst.Call) and (self.f.callee(fn) or "").endswith("partial") and fn.args:
            return self._callable_uses(fn.args[0].value, handle, seen, depth)
        for target in self._functions(fn):
            if id(target) in seen:
                continue
            seen.add(id(target))
            if any(anc is target for anc in self.f.ancestors(handle[1])):
                continue  # a client made per call inside the task is not shared by the threads (CL401's)
            if self.mentions(target.body, handle):
                return True
            for inner in (n for n in walk(target.body) if isinstance(n, cst.Call)):
                if self._callable_uses(inner.func, handle, seen, depth + 1):
                    return True
        return False

    def _functions(self, fn: cst.BaseExpression) -> list[cst.FunctionDef]:
        """The same-file functions `fetch` / `self.fetch` names."""
        if isinstance(fn, cst.Name) and not self.f.is_imported(fn):
            return self.funcs.get(fn.value, [])
        if isinstance(fn, cst.Attribute) and isinstance(fn.value, cst.Name) and fn.value.value in ("self", "cls"):
            return [d for d in self.funcs.get(fn.attr.value, []) if self.f.enclosing_class(d) is not None]
        return []


def _py_explicit_pool(f: PythonFile, call: cst.Call, param: str, size_expr: cst.BaseExpression) -> _Pool | None:
    """The pool of a call given `param=N` explicitly; None when N is not a constant."""
    size = _py_int(f, size_expr)
    if size is None:
        return None
    report = next((a for a in call.args if a.value is size_expr), call)
    message = MSG_PY_EXPLICIT.replace("{param}", param).replace("{size}", str(size))
    return _Pool(call, size, report, message)


def _py_pools(f: PythonFile, pf: _PyFile) -> list[_Pool]:
    pools: list[_Pool] = []
    sessions: list[cst.Call] = []
    adapters: dict[int, _Pool] = {}
    for call in f.nodes(cst.Call):
        callee = f.callee(call) or ""
        if callee in PY_ADAPTERS:
            if _py_kwargs_splat(call) or f.bool_value(f.arg(call, "pool_block", 3)) is True:
                continue
            size_expr = f.arg(call, "pool_maxsize", 1)
            if size_expr is not None:
                pool = _py_explicit_pool(f, call, "pool_maxsize", size_expr)
                if pool is None:
                    continue
            else:
                conns = f.arg(call, "pool_connections", 0)
                note = " (`pool_connections` is the number of hosts it keeps pools for)" if conns is not None else ""
                pool = _Pool(call, REQUESTS_DEFAULT_POOLSIZE, call, MSG_PY_ADAPTER_DEFAULT.replace("{conns}", note))
            adapters[id(call)] = pool
            pools.append(pool)
        elif callee in PY_URLLIB3:
            size_pos, block_pos = PY_URLLIB3[callee]
            if _py_kwargs_splat(call) or f.bool_value(f.arg(call, "block", block_pos)) is True:
                continue
            size_expr = f.arg(call, "maxsize", size_pos)
            if size_expr is not None:
                pool = _py_explicit_pool(f, call, "maxsize", size_expr)
                if pool is None:
                    continue
            else:
                pool = _Pool(call, URLLIB3_DEFAULT_MAXSIZE, call, MSG_PY_URLLIB3_DEFAULT)
            pool.handles = pf.handles(call)
            pools.append(pool)
        elif callee in PY_SESSIONS:
            sessions.append(call)

    # Sessions: the adapters mounted on them, else their default adapters.
    mounts: list[tuple[str, cst.Call, cst.BaseExpression | None]] = []  # (session name, mount call, adapter)
    for call in f.nodes(cst.Call):
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "mount":
            owner = dotted(call.func.value)
            if owner:
                mounts.append((owner, call, f.resolve(f.arg(call, "adapter", 1))))
    claimed: set[int] = set()
    for session in sessions:
        handles = pf.handles(session)
        mounted = [
            (m_call, adapter) for name, binding in handles for _, m_call, adapter in mounts
            if pf.refers(m_call.func.value, (name, binding))  # type: ignore[attr-defined]
        ]
        claimed.update(id(m_call) for m_call, _ in mounted)
        if not mounted:
            if not _py_kwargs_splat(session):
                pools.append(_Pool(session, REQUESTS_DEFAULT_POOLSIZE, session, MSG_PY_SESSION_DEFAULT, handles))
            continue
        for _, adapter in mounted:
            pool = adapters.get(id(adapter)) if isinstance(adapter, cst.Call) else None
            if pool is not None:
                pool.handles.extend(handles)
    for owner, m_call, adapter in mounts:  # a session made elsewhere: `self.session.mount(...)`
        pool = adapters.get(id(adapter)) if isinstance(adapter, cst.Call) else None
        if pool is not None and id(m_call) not in claimed:
            pool.handles.append((owner, m_call))
    return pools


def _py_executors(f: PythonFile, pf: _PyFile) -> list[tuple[cst.Call, int]]:
    """Executor method calls (`ex.submit(...)`) with the executor's number of threads."""
    found = []
    executors: list[tuple[list[tuple[str, cst.CSTNode]], cst.Call, int]] = []
    for call in f.nodes(cst.Call):
        keyword = PY_EXECUTORS.get(f.callee(call) or "")
        if keyword is None:
            continue
        workers = _py_int(f, f.arg(call, keyword, 0))
        if workers is None or workers <= 0:
            continue
        executors.append((pf.bound_names(call), call, workers))
    if not executors:
        return found
    for call in f.nodes(cst.Call):
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in PY_EXECUTOR_METHODS):
            continue
        for handles, ctor, workers in executors:
            if func.value is ctor or any(
                dotted(func.value) == name and pf.refers(func.value, (name, binding)) for name, binding in handles
            ):
                found.append((call, workers))
    return found


@RULE.python("threadpool&requests", "threadpool&urllib3", "dummy&requests", "dummy&urllib3")
def check_python(f: PythonFile) -> Iterator[Hit]:
    pf = _PyFile(f)
    uses = _py_executors(f, pf)
    if not uses:
        return
    for pool in _py_pools(f, pf):
        for call, workers in uses:
            if workers > pool.size and workers > pool.workers and any(pf.uses(call, h) for h in pool.handles):
                pool.workers = workers
        if pool.workers:
            yield f.report(pool.report, pool.message.format(workers=pool.workers))
