"""CL402 response-body-not-drained

## What it does
Flags a Go HTTP client function that closes a response body unread on an early return while its main path
reads the body. The classic shape is a status check:

    resp, err := client.Do(req)
    ...
    defer resp.Body.Close()
    if resp.StatusCode != http.StatusOK {
        return fmt.Errorf("status %s", resp.Status)  // reported
    }
    return json.NewDecoder(resp.Body).Decode(&v)

The response must come from a client call in the same function (`client.Do`, `c.Get`, `c.Post`, `c.PostForm`,
`http.Get/Post/PostForm`, `ctxhttp.Do/Get/Post/PostForm`, `transport.RoundTrip`) and be closed by a
`defer resp.Body.Close()` (or a deferred func or same-file helper that only closes it) registered before the
`return`, or by an explicit `resp.Body.Close()` on that path (then the `Close` call is reported). The function's
statements are walked in order; a `return` (or `Close`) reached while the body is still unread is reported only
when a later statement on an enclosing straight-line path reads the body (so the function shows that the body
matters), so a status-only health check is not flagged.

Anything that may read the body counts as reading it: `io.Copy(io.Discard, resp.Body)`, `io.ReadAll`/
`ioutil.ReadAll`, a `json.NewDecoder(resp.Body)` (`Decode` can stop short of EOF, before a trailing newline,
but it is counted as drained: the rule is about bodies never read at all), `resp.Body` or `resp` passed to any
function not defined in the file (assumed to drain it), a same-file helper or func literal that uses its
argument other than to close it, `resp` returned, stored or sent, and a deferred func that drains before
closing.

Not flagged: `HEAD` requests (`http.Head`, `c.Head`, a request built with method `HEAD` in the function);
branches on a status or length that has no body or should not be drained (204, 304, 101, 205,
`ContentLength`, `http.NoBody`); branches on the client call's own `err` or on `resp == nil`; a response
variable re-assigned before its body is read; a `RoundTrip` on an `http2.Transport` built in the function and
files of package `http2` (HTTP/2 resets only the stream of an unread body); `os.Exit`/`log.Fatal`/`panic`
paths. A `return` in one `switch` case or `else` branch is not reported when only a sibling branch that also
returns reads the body. Test files are skipped unless `ignore-tests = false`.

## Why is this bad?
Go's HTTP/1.x transport returns a connection to the idle pool only once the response body has been read to EOF
and closed. Closing an unread (or partly read) body makes the transport close the TCP connection, so the next
request to that host pays a new TCP (and TLS) handshake, and this client keeps the closed socket in TIME_WAIT
for 60 s. Error responses are where this bites: under an outage every failing request burns a connection, and
a client retrying against a struggling server piles up TIME_WAIT sockets and exhausts ephemeral ports. (Under
HTTP/2 only the stream is reset; the connection survives.)

## Example
    defer resp.Body.Close()
    if resp.StatusCode != http.StatusOK {
        return fmt.Errorf("unexpected status %s", resp.Status)
    }
    return json.NewDecoder(resp.Body).Decode(&out)

Use instead: drain the body before it is closed, on every path, for instance in the deferred close:

    defer func() {
        _, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
        resp.Body.Close()
    }()

or read the error body into the error message (`body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))`).

## References
- Go net/http `Response.Body` ("If the Body is not both read to EOF and closed, the Client's underlying
  RoundTripper (typically Transport) may not be able to re-use a persistent TCP connection")
- Go net/http `Client.Do`, `Transport`
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Iterator

from connlint.findings import Hit, Severity
from connlint.frontends.go import GoFile
from connlint.registry import Rule

from ._go import HTTP2, NET_HTTP, named

RULE = Rule(
    "CL402",
    "response-body-not-drained",
    Severity.WARNING,
    __doc__,
    "Response body is closed on this path before it is read to EOF, so the HTTP/1.x connection is not reused "
    "and the next request opens a new one; drain it first (`io.Copy(io.Discard, resp.Body)`).",
    tests_exempt=True,
)

CTXHTTP = "golang.org/x/net/context/ctxhttp"
# method -> number of arguments of the client call that returns (*http.Response, error)
CLIENT_METHODS = {"Do": 1, "Get": 1, "Post": 3, "PostForm": 2, "RoundTrip": 1}
PACKAGE_CALLS = {(NET_HTTP, "Get"), (NET_HTTP, "Post"), (NET_HTTP, "PostForm")}
CTXHTTP_CALLS = {"Do", "Get", "Post", "PostForm"}
# *http.Response members that do not touch the body
RESP_FIELDS = {
    "Status", "StatusCode", "Proto", "ProtoMajor", "ProtoMinor", "Header", "ContentLength", "TransferEncoding",
    "Close", "Uncompressed", "Trailer", "Request", "TLS", "Cookies", "Location", "ProtoAtLeast",
}
# a branch on these has no body to drain (or the body is the upgraded connection)
NO_BODY = re.compile(
    r"\b(StatusNoContent|StatusNotModified|StatusResetContent|StatusSwitchingProtocols|ContentLength|NoBody|"
    r"MethodHead|204|304|205|101)\b|\"HEAD\""
)
TERMINATORS = {"Fatal", "Fatalf", "Fatalln", "Panic", "Panicf", "Panicln", "Exit", "FailNow", "SkipNow", "Skip",
               "Skipf"}

BINDINGS = """
(short_var_declaration
  left: (expression_list . (identifier) @resp . (identifier) @err .)
  right: (expression_list . (call_expression) @call .)) @bind
(assignment_statement
  left: (expression_list . (identifier) @resp . (identifier) @err .)
  operator: "="
  right: (expression_list . (call_expression) @call .)) @bind
"""
HTTP2_BINDINGS = """
(short_var_declaration left: (expression_list . (identifier) @var)
  right: (expression_list . [(composite_literal type: (_) @type)
                             (unary_expression operand: (composite_literal type: (_) @type))]))
"""
REQUESTS = """
(short_var_declaration left: (expression_list . (identifier) @req) right: (expression_list . (call_expression) @call))
(assignment_statement left: (expression_list . (identifier) @req) right: (expression_list . (call_expression) @call))
"""

METHOD_SETS = """
(assignment_statement left: (expression_list . (selector_expression) @sel) right: (expression_list . (_) @value))
"""
CASES = ("expression_case", "type_case", "communication_case", "default_case")

MAX_DEPTH = 64  # nested statements followed; deeper ones end the path (no finding)

CONSUME, CLOSE, REBIND = "consume", "close", "rebind"


def _statements(node) -> list:
    """The statements of a block or a case clause (they sit in a statement_list)."""
    if node is None:
        return []
    if node.type == "statement_list":
        return named(node)
    for child in node.named_children:
        if child.type == "statement_list":
            return named(child)
    return []


def _unparen(node):
    while node is not None and node.parent is not None and node.parent.type == "parenthesized_expression":
        node = node.parent
    return node


@dataclass(frozen=True)
class _State:
    live: bool = True  # the body is neither read nor closed on this path
    consumed: bool = False  # the path read the body (only meaningful when not live)
    deferred: bool = False  # a deferred close of the body is registered
    err_fresh: bool = True  # `err` still holds the client call's error


@dataclass
class _Out:
    end: _State | None  # the state falling through, None when every path leaves
    breaks: list = field(default_factory=list)  # states leaving through break/continue
    pending: list = field(default_factory=list)  # unread closes waiting for a later read
    confirms: bool = False  # the straight line read the body


def _merge(states: list) -> _State | None:
    states = [s for s in states if s is not None]
    if not states:
        return None
    if all(s.live for s in states):
        return _State(True, False, all(s.deferred for s in states), any(s.err_fresh for s in states))
    return _State(False, any(not s.live and s.consumed for s in states), False, False)


class _Flow:
    """The paths after one `resp, err := <client call>` through the rest of its block."""

    def __init__(self, f: GoFile, helpers: "_Helpers", resp: str, err: str) -> None:
        self.f = f
        self.helpers = helpers
        self.resp = resp
        self.err = err
        self.found: list = []
        self.depth = 0

    # ---- uses of the response --------------------------------------------------------
    def effects(self, node) -> tuple[set, object]:
        """What a subtree does with the response: read (or escape), close, re-bind; and the first close."""
        return self.helpers.uses(node, self.resp, "resp", 0)

    # ---- statements ------------------------------------------------------------------
    def walk_list(self, stmts: list, state: _State | None, quiet: bool) -> _Out:
        out = _Out(state)
        for stmt in stmts:  # a path that is no longer live is followed only to see whether it leaves
            if out.end is None:
                break
            step = self.walk(stmt, out.end, quiet)
            out.breaks.extend(step.breaks)
            out.pending.extend(step.pending)
            if step.confirms:
                self.found.extend(out.pending)
                out.pending = []
                out.confirms = True
            out.end = step.end
        return out

    def walk(self, stmt, state: _State, quiet: bool) -> _Out:
        if self.depth >= MAX_DEPTH:  # absurd nesting: stop following this path
            return _Out(None)
        self.depth += 1
        try:
            return self._walk(stmt, state, quiet)
        finally:
            self.depth -= 1

    def _walk(self, stmt, state: _State, quiet: bool) -> _Out:
        kind = stmt.type
        if kind == "labeled_statement":
            inner = [c for c in named(stmt) if c.type != "label_name"]
            return self.walk(inner[0], state, quiet) if inner else _Out(state)
        if kind == "block":
            return self.walk_list(_statements(stmt), state, quiet)
        if kind == "return_statement":
            return self._return(stmt, state, quiet)
        if kind in ("break_statement", "continue_statement"):
            labelled = any(c.type == "label_name" for c in stmt.named_children)
            return _Out(None, [] if labelled else [state])
        if kind in ("goto_statement", "fallthrough_statement"):
            return _Out(None)
        if kind == "if_statement":
            return self._if(stmt, state, quiet)
        if kind == "for_statement":
            return self._for(stmt, state, quiet)
        if kind in ("expression_switch_statement", "type_switch_statement", "select_statement"):
            return self._switch(stmt, state, quiet)
        return self._simple(stmt, state, quiet)

    def _after(self, stmt, state: _State) -> _State:
        if state.err_fresh and self.err != "_" and self._assigns(stmt, self.err):
            return replace(state, err_fresh=False)
        return state

    def _assigns(self, stmt, name: str) -> bool:
        if stmt.type not in ("assignment_statement", "short_var_declaration", "var_declaration"):
            return False
        left = stmt.child_by_field_name("left")
        targets = named(left) if left is not None else []
        if stmt.type == "var_declaration":
            targets = [n for spec in named(stmt) for n in named(spec) if n.type == "identifier"]
        return any(t.type == "identifier" and self.f.text(t) == name for t in targets)

    def _effect_state(self, node, state: _State, quiet: bool, deferred: bool = False) -> tuple[_Out | None, _State]:
        """Apply a header or simple statement; an _Out when it ends the straight line's analysis."""
        if not state.live:
            return None, state
        effects, close = self.effects(node)
        if REBIND in effects:
            return _Out(None), state
        if CONSUME in effects:
            return _Out(_State(False, True), confirms=True), state
        if CLOSE in effects:
            if deferred:
                return None, replace(state, deferred=True)
            pending = [close] if not quiet else []
            return _Out(_State(False, False), pending=pending), state
        return None, state

    def _simple(self, stmt, state: _State, quiet: bool) -> _Out:
        if stmt.type == "expression_statement" and self._terminates(stmt):
            effects, _ = self.effects(stmt)
            return _Out(None, confirms=state.live and CONSUME in effects)
        done, state = self._effect_state(stmt, state, quiet, deferred=stmt.type == "defer_statement")
        if done is not None:
            return done
        return _Out(self._after(stmt, state))

    def _return(self, stmt, state: _State, quiet: bool) -> _Out:
        done, state = self._effect_state(stmt, state, quiet)
        if done is not None:
            done.end = None
            return done
        pending = [stmt] if state.live and state.deferred and not quiet else []
        return _Out(None, pending=pending)

    def _terminates(self, stmt) -> bool:
        call = stmt.named_children[0] if stmt.named_child_count else None
        if call is None or call.type != "call_expression":
            return False
        func = call.child_by_field_name("function")
        if func is None:
            return False
        if func.type == "identifier":
            return self.f.text(func) == "panic"
        if func.type == "selector_expression":
            return self.f.text(func.child_by_field_name("field")) in TERMINATORS
        return False

    def _quiet(self, cond, state: _State) -> bool:
        """A branch where there is no body to drain: the call failed, no response, or a bodiless status."""
        if cond is None:
            return False
        if NO_BODY.search(self.f.text(cond)):
            return True
        stack = [cond]
        while stack:
            node = stack.pop()
            if node.type == "identifier":
                name = self.f.text(node)
                if name == self.err and state.err_fresh:
                    return True
                parent = _unparen(node).parent
                if name == self.resp and parent is not None and parent.type == "binary_expression":
                    if any(c.type == "nil" for c in parent.named_children):
                        return True
            elif node.type != "func_literal":
                stack.extend(node.named_children)
        return False

    def _header(self, nodes: list, state: _State, quiet: bool) -> tuple[_Out | None, _State]:
        """Apply a compound statement's header parts (initializer, condition, switch value) in order."""
        for node in nodes:
            done, state = self._effect_state(node, state, quiet)
            if done is not None:
                return done, state
            state = self._after(node, state)
        return None, state

    def _if(self, stmt, state: _State, quiet: bool) -> _Out:
        parts = [stmt.child_by_field_name(part) for part in ("initializer", "condition")]
        done, state = self._header([node for node in parts if node is not None], state, quiet)
        if done is not None:
            return done
        branch_quiet = quiet or self._quiet(stmt.child_by_field_name("condition"), state)
        then = self.walk_list(_statements(stmt.child_by_field_name("consequence")), state, branch_quiet)
        alternative = stmt.child_by_field_name("alternative")
        if alternative is None:
            other = _Out(state)
        elif alternative.type == "if_statement":
            other = self.walk(alternative, state, branch_quiet)
        else:
            other = self.walk_list(_statements(alternative), state, branch_quiet)
        return self._join(state, [then.end, other.end], then.breaks + other.breaks, then.pending + other.pending)

    def _join(self, before: _State, ends: list, breaks: list, pending: list) -> _Out:
        end = _merge(ends)
        confirms = before.live and end is not None and not end.live and end.consumed
        return _Out(end, breaks, pending, confirms)

    def _for(self, stmt, state: _State, quiet: bool) -> _Out:
        header = [c for c in named(stmt) if c.type != "block"]
        for node in header:
            done, state = self._effect_state(node, state, quiet)
            if done is not None:
                return done
        body = self.walk_list(_statements(stmt.child_by_field_name("body")), state, quiet)
        ends = [body.end, *body.breaks]
        if header:  # `for cond`, `for ... range`: the body may not run
            ends.append(state)
        return self._join(state, ends, [], body.pending)

    def _switch(self, stmt, state: _State, quiet: bool) -> _Out:
        cases = [c for c in named(stmt) if c.type in CASES]
        done, state = self._header([node for node in named(stmt) if node not in cases], state, quiet)
        if done is not None:
            return done
        switch_quiet = quiet or self._quiet(stmt.child_by_field_name("value"), state)
        ends, pending = [], []
        for case in cases:
            value = case.child_by_field_name("value") or case.child_by_field_name("communication")
            out = self.walk_list(_statements(case), state, switch_quiet or self._quiet(value, state))
            ends.extend([out.end, *out.breaks])
            pending.extend(out.pending)
        if stmt.type != "select_statement" and not any(c.type == "default_case" for c in cases):
            ends.append(state)
        return self._join(state, ends, [], pending)


class _Helpers:
    """Same-file functions and methods, to see whether one only closes the body it is given."""

    def __init__(self, f: GoFile) -> None:
        self.f = f
        self.functions: dict[str, list] = {}
        self.methods: dict[str, list] = {}
        for node in named(f.root):
            name = node.child_by_field_name("name")
            if node.type == "function_declaration" and name is not None:
                self.functions.setdefault(f.text(name), []).append(node)
            elif node.type == "method_declaration" and name is not None:
                self.methods.setdefault(f.text(name), []).append(node)
        self._cache: dict[tuple, str | None] = {}

    def callee(self, call):
        func = call.child_by_field_name("function")
        while func is not None and func.type == "parenthesized_expression" and func.named_child_count == 1:
            func = func.named_children[0]
        if func is None:
            return None
        if func.type == "func_literal":
            return func
        if func.type == "identifier":
            found = self.functions.get(self.f.text(func), [])
        elif func.type == "selector_expression" and self.f.package_of(func.child_by_field_name("operand")) is None:
            found = self.methods.get(self.f.text(func.child_by_field_name("field")), [])
        else:
            return None
        return found[0] if len(found) == 1 else None

    def param(self, func, index: int) -> tuple[str | None, bool]:
        """(name of the parameter at a position, whether it is known)."""
        params = func.child_by_field_name("parameters")
        position = 0
        for decl in named(params):
            names = [c for c in decl.children_by_field_name("name")]
            if decl.type == "variadic_parameter_declaration":
                return None, False
            for name in names or [None]:
                if position == index:
                    return (self.f.text(name) if name is not None else None), True
                position += 1
        return None, False

    def argument_effect(self, arg, kind: str, depth: int) -> tuple[str | None, object]:
        call = arg.parent.parent
        func = self.callee(call)
        args = GoFile.call_args(call)
        if func is None or depth >= 3 or arg not in args:
            return CONSUME, None
        index = args.index(arg)
        name, known = self.param(func, index)
        if not known:
            return CONSUME, None
        if name is None or name == "_":
            return None, None
        key = (func.id, index, kind)
        if key not in self._cache:
            effects, _ = self.uses(func.child_by_field_name("body"), name, kind, depth + 1)
            self._cache[key] = CONSUME if effects & {CONSUME, REBIND} else CLOSE if CLOSE in effects else None
        return self._cache[key], call

    def uses(self, node, name: str, kind: str, depth: int) -> tuple[set, object]:
        effects: set = set()
        close = None
        if node is None:
            return effects, close
        stack = [node]
        while stack:
            current = stack.pop()
            if current.type == "identifier" and self.f.text(current) == name:
                effect, where = self.use(current, kind, depth)
                if effect:
                    effects.add(effect)
                    if effect == CLOSE and (close is None or where.start_byte < close.start_byte):
                        close = where
                continue
            if current.type == "func_literal" and self._declares(current, name):
                continue  # a parameter shadows the name
            stack.extend(current.named_children)
        return effects, close

    def _declares(self, func, name: str) -> bool:
        params = func.child_by_field_name("parameters")
        return any(self.f.text(n) == name for decl in named(params) for n in decl.children_by_field_name("name"))

    def use(self, ident, kind: str, depth: int) -> tuple[str | None, object]:
        node = _unparen(ident)
        parent = node.parent
        if parent is None:
            return CONSUME, None
        selected = parent.type == "selector_expression" and parent.child_by_field_name("operand") == node
        if selected:
            member = self.f.text(parent.child_by_field_name("field"))
            if kind == "resp":
                if member == "Body":
                    return self.use(parent, "body", depth)
                return (None, None) if member in RESP_FIELDS else (CONSUME, None)
            if member == "Close":
                above = parent.parent
                return CLOSE, above if above is not None and above.type == "call_expression" else parent
            return CONSUME, None
        if parent.type == "binary_expression" and self.f.text(parent.child_by_field_name("operator")) in ("==", "!="):
            other = [c for c in parent.named_children if c != node]
            if other and (other[0].type == "nil" or self.f.selector(other[0]) == (NET_HTTP, "NoBody")):
                return None, None
        if parent.type == "expression_list" and parent == parent.parent.child_by_field_name("left") and (
            parent.parent.type in ("assignment_statement", "short_var_declaration")
        ):
            return (REBIND, None) if node.type == "identifier" else (CONSUME, None)
        if parent.type == "argument_list":
            return self.argument_effect(node, kind, depth)
        return CONSUME, None


def _client_call(f: GoFile, call, scope) -> bool:
    func = call.child_by_field_name("function")
    if func is None or func.type != "selector_expression":
        return False
    method = f.text(func.child_by_field_name("field"))
    sel = f.selector(func)
    if sel is not None:
        path, member = sel
        return sel in PACKAGE_CALLS or (path == CTXHTTP and member in CTXHTTP_CALLS)
    return CLIENT_METHODS.get(method) == len(f.call_args(call)) and not _http2_transport(f, func, scope)


def _http2_transport(f: GoFile, func, scope) -> bool:
    """`t.RoundTrip(req)` on an `http2.Transport` built in the function: closing an unread body resets a stream,
    not the connection."""
    recv = func.child_by_field_name("operand")
    if recv is None or recv.type != "identifier":
        return False
    name = f.text(recv)
    for m in f.matches(HTTP2_BINDINGS, scope):
        if f.text(m["var"]) == name and f.selector(m["type"]) == (HTTP2, "Transport"):
            return True
    return False


def _head_request(f: GoFile, call, scope) -> bool:
    """A `Do`/`RoundTrip` of a request built with method HEAD in the same function."""
    args = f.call_args(call)
    if not args:
        return False
    req = args[-1]
    if req.type == "unary_expression":
        req = req.child_by_field_name("operand")
    if req is not None and req.type == "composite_literal":
        return _is_head(f, f.keyed_fields(req).get("Method"))
    if req is None or req.type != "identifier":
        return False
    name = f.text(req)
    for m in f.matches(REQUESTS, scope):
        if f.text(m["req"]) != name:
            continue
        sel = f.selector(m["call"].child_by_field_name("function"))
        args = f.call_args(m["call"])
        if sel == (NET_HTTP, "NewRequest") and args and _is_head(f, args[0]):
            return True
        if sel == (NET_HTTP, "NewRequestWithContext") and len(args) > 1 and _is_head(f, args[1]):
            return True
    for m in f.matches(METHOD_SETS, scope):
        sel = m["sel"]
        if f.text(sel.child_by_field_name("operand")) == name and f.text(sel.child_by_field_name("field")) == "Method":
            if _is_head(f, m["value"]):
                return True
    return False


def _is_head(f: GoFile, node) -> bool:
    if node is None:
        return False
    value = f.string_value(node)
    return (value is not None and value.upper() == "HEAD") or f.selector(node) == (NET_HTTP, "MethodHead")


def _message(name: str, node) -> str:
    where = "here" if node.type != "return_statement" else "on this return"
    return (
        f"`{name}.Body` is closed {where} before it is read to EOF, so the HTTP/1.x connection is not reused "
        f"and the next request opens a new one; drain it first (`io.Copy(io.Discard, {name}.Body)`)."
    )


@RULE.go(".body&close")
def check_go(f: GoFile) -> Iterator[Hit]:
    if f.package_name == "http2":  # the HTTP/2 implementation and its tests: streams, not connections
        return
    helpers: _Helpers | None = None
    seen: set[int] = set()
    for m in f.matches(BINDINGS):
        bind, call = m["bind"], m["call"]
        scope = f.enclosing_function(bind)
        if scope is None or bind.parent is None or bind.parent.type != "statement_list":
            continue
        resp = f.text(m["resp"])
        if resp == "_" or not _client_call(f, call, scope) or _head_request(f, call, scope):
            continue
        helpers = helpers or _Helpers(f)
        siblings = named(bind.parent)
        rest = siblings[siblings.index(bind) + 1:]
        flow = _Flow(f, helpers, resp, f.text(m["err"]))
        flow.walk_list(rest, _State(), False)
        for node in flow.found:
            if node.id not in seen:
                seen.add(node.id)
                yield f.report(node, message=_message(resp, node))
