"""On which path a statement runs: only on an error, overload or shutdown branch, or for every route.

Rules that flag a connection-closing statement use this to set the severity and the message of a finding:
a close that only happens on an error path, when overloaded, while shutting down or when the body has no
length is usually deliberate (reported as a note); one in middleware or a global hook affects every route.

    from ._paths import go_close_context, py_close_context, severity_for, phrase

    context = go_close_context(f, node)      # "error-path" | "overload" | "shutdown" | "no-length" | "global" | None
    yield f.report(node, message=..., severity=severity_for(context, Severity.ERROR))

The path contexts win over "global": middleware that closes only when draining is a shutdown path.
Everything here is syntactic and local to one file; nothing is reported when it cannot be shown.
"""

from __future__ import annotations

import re
import weakref
from http import HTTPStatus
from typing import Iterator

import libcst as cst

from connlint.findings import Severity
from connlint.frontends.go import GoFile
from connlint.frontends.python import PythonFile, dotted

from ._go import node_key
from ._py import method_of, parameters

ERROR_PATH = "error-path"
OVERLOAD = "overload"
SHUTDOWN = "shutdown"
NO_LENGTH = "no-length"
GLOBAL = "global"
PATH_ONLY = frozenset({ERROR_PATH, OVERLOAD, SHUTDOWN, NO_LENGTH})

PHRASES = {
    ERROR_PATH: "only on an error path (a 4xx/5xx response, an error branch or an error handler)",
    OVERLOAD: "only when the server is overloaded (a 429/503 response or an overload branch)",
    SHUTDOWN: "only while the server is draining or shutting down",
    NO_LENGTH: "only when the response has no Content-Length, where closing the connection is what ends the body",
    GLOBAL: "in middleware or a global hook, so it affects every route",
}


def is_path_only(context: str | None) -> bool:
    """True for the contexts where the statement only runs on an exceptional path."""
    return context in PATH_ONLY


def severity_for(context: str | None, default: Severity) -> Severity:
    """NOTE on an error, overload, shutdown or no-length path; else `default`."""
    return Severity.NOTE if context in PATH_ONLY else default


def _strongest(found: list[str | None]) -> str | None:
    """The context that decides when several apply: shutdown, overload, missing length, then error path."""
    for kind in (SHUTDOWN, OVERLOAD, NO_LENGTH, ERROR_PATH):
        if kind in found:
            return kind
    return None


def phrase(context: str | None) -> str:
    """A clause for a message: "only on an error path (...)", "in middleware ..., so it affects every route"."""
    return PHRASES.get(context or "", "")


# ---- words of names ------------------------------------------------------------------------

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
ERROR_WORDS = {
    "error", "errors", "err", "errs", "exception", "exceptions", "exc", "fail", "fails", "failed", "failure",
    "reject", "rejected", "rejection", "abort", "aborted", "deny", "denied", "forbidden", "unauthorized",
    "invalid", "bad", "panic", "panicked", "recover", "recovered", "fatal", "malformed", "unsupported",
    "toolarge", "notfound", "notallowed",
}
OVERLOAD_WORDS = {
    "overload", "overloaded", "busy", "throttle", "throttled", "throttling", "shed", "shedding", "loadshed",
    "backpressure", "unavailable", "saturated", "ratelimit", "ratelimited", "ratelimiter", "toomany",
    "overcapacity", "429", "503",
}
SHUTDOWN_WORDS = {
    "shutdown", "shuttingdown", "shutting", "drain", "draining", "drained", "graceful", "gracefully",
    "stopping", "terminating", "termination", "quit", "quitting", "exiting", "shouldexit",
    "sigterm", "sigint", "lameduck", "goingaway", "goaway",
}
# Names of a shutdown signal channel (Go `case <-quit:`); "done" is left out: in a handler it is the request.
SIGNAL_CHANNEL_WORDS = SHUTDOWN_WORDS | {"stop", "sig", "sigs", "sigch", "sigchan", "signal", "signals", "term"}


def words(name: str) -> list[str]:
    """`rejectTooLarge` -> [reject, too, large]; `send_400_response` -> [send, 400, response]."""
    return [w.lower() for w in _WORD.findall(name)]


def status_kind(code: int | None) -> str | None:
    """OVERLOAD for 429/503, ERROR_PATH for another 4xx/5xx status, else None."""
    if code is None:
        return None
    if code in (429, 503):
        return OVERLOAD
    if 400 <= code <= 599:
        return ERROR_PATH
    return None


def name_kind(name: str) -> str | None:
    """The path a function, flag or channel name speaks of: `rejectOverload`, `isDraining`, `sendError`."""
    ws = words(name)
    if not ws:
        return None
    grams = set(ws) | {a + b for a, b in zip(ws, ws[1:])} | {a + b + c for a, b, c in zip(ws, ws[1:], ws[2:])}
    if OVERLOAD_WORDS & grams:
        return OVERLOAD
    if SHUTDOWN_WORDS & grams:
        return SHUTDOWN
    for w in ws:
        if w.isdigit() and len(w) == 3:
            kind = status_kind(int(w))
            if kind:
                return kind
    if ERROR_WORDS & grams:
        return ERROR_PATH
    return None


def _combine(kinds: list[str | None], need_all: bool) -> str | None:
    found = [k for k in kinds if k]
    if not found:
        return None
    if need_all and (len(found) != len(kinds) or len(set(found)) != 1):
        return None
    return found[0]


_CACHE: "weakref.WeakKeyDictionary[object, dict]" = weakref.WeakKeyDictionary()


def _cache(f) -> dict:
    """Per-file memo (weakly keyed, so it goes away with the file)."""
    return _CACHE.setdefault(f, {})


# ---- Go ------------------------------------------------------------------------------------

GO_STATUS = {
    "Continue": 100, "SwitchingProtocols": 101, "Processing": 102, "EarlyHints": 103, "OK": 200, "Created": 201,
    "Accepted": 202, "NonAuthoritativeInfo": 203, "NoContent": 204, "ResetContent": 205, "PartialContent": 206,
    "MultiStatus": 207, "AlreadyReported": 208, "IMUsed": 226, "MultipleChoices": 300, "MovedPermanently": 301,
    "Found": 302, "SeeOther": 303, "NotModified": 304, "UseProxy": 305, "TemporaryRedirect": 307,
    "PermanentRedirect": 308, "BadRequest": 400, "Unauthorized": 401, "PaymentRequired": 402, "Forbidden": 403,
    "NotFound": 404, "MethodNotAllowed": 405, "NotAcceptable": 406, "ProxyAuthRequired": 407,
    "RequestTimeout": 408, "Conflict": 409, "Gone": 410, "LengthRequired": 411, "PreconditionFailed": 412,
    "RequestEntityTooLarge": 413, "RequestURITooLong": 414, "UnsupportedMediaType": 415,
    "RequestedRangeNotSatisfiable": 416, "ExpectationFailed": 417, "Teapot": 418, "MisdirectedRequest": 421,
    "UnprocessableEntity": 422, "Locked": 423, "FailedDependency": 424, "TooEarly": 425, "UpgradeRequired": 426,
    "PreconditionRequired": 428, "TooManyRequests": 429, "RequestHeaderFieldsTooLarge": 431,
    "UnavailableForLegalReasons": 451, "InternalServerError": 500, "NotImplemented": 501, "BadGateway": 502,
    "ServiceUnavailable": 503, "GatewayTimeout": 504, "HTTPVersionNotSupported": 505,
    "VariantAlsoNegotiates": 506, "InsufficientStorage": 507, "LoopDetected": 508, "NotExtended": 510,
    "NetworkAuthenticationRequired": 511,
}
# Methods whose integer argument is a response status: net/http, gin, echo, fiber, fasthttp.
GO_STATUS_METHODS = {
    "WriteHeader", "SetStatusCode", "Status", "SendStatus", "AbortWithStatus", "AbortWithStatusJSON",
    "AbortWithError", "JSON", "IndentedJSON", "SecureJSON", "PureJSON", "AsciiJSON", "JSONP", "JSONPretty",
    "JSONBlob", "String", "XML", "XMLBlob", "YAML", "HTML", "Data", "DataFromReader", "Blob", "NoContent",
    "Stream", "Error", "NewHTTPError", "NewError", "ProtoBuf", "TOML", "Render",
}
GO_SIMPLE_STATEMENTS = (
    "expression_statement", "return_statement", "assignment_statement", "short_var_declaration",
    "send_statement", "var_declaration", "go_statement",
)
GO_SHUTDOWN_CALLS = re.compile(r"^(Shutdown|GracefulStop|GracefulShutdown|StartDraining|Drain)$")
GO_USE_METHODS = ("Use", "UseFunc", "Pre", "UseHandler")
_GO_MIDDLEWARE_FUNC = re.compile(r"func\((\w+)?[\w.*]*Handler(Func)?\)[\w.*]*Handler(Func)?")
_GO_MIDDLEWARE_TYPE = re.compile(r"(Handler|HandlerFunc|RequestHandler|MiddlewareFunc|Middleware)$")


def _go_walk(node) -> Iterator:
    """`node` and its descendants, not entering function literals."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(c for c in n.named_children if c.type != "func_literal")


def go_status_code(f: GoFile, node) -> int | None:
    """`http.StatusServiceUnavailable` (any package's `StatusX`, or unqualified inside net/http), a constant, 503."""
    if node is None:
        return None
    if node.type == "parenthesized_expression" and node.named_child_count == 1:
        return go_status_code(f, node.named_children[0])
    if node.type == "selector_expression":
        member = f.text(node.child_by_field_name("field"))
        if member.startswith("Status") and member[6:] in GO_STATUS:
            return GO_STATUS[member[6:]]
        if member.startswith("Err") and member[3:] in GO_STATUS:  # echo.ErrServiceUnavailable, fiber.ErrBadRequest
            return GO_STATUS[member[3:]]
        return None
    if node.type == "identifier":
        name = f.text(node)
        if name.startswith("Status") and name[6:] in GO_STATUS and name not in f.constants:
            return GO_STATUS[name[6:]]
    value = f.int_value(node)
    return value if value is not None and 100 <= value <= 599 else None


def _go_named_status(f: GoFile, node) -> int | None:
    """A status named as such: `http.StatusTooManyRequests`, `StatusBadRequest`, `echo.ErrServiceUnavailable`."""
    if node.type == "identifier":
        name = f.text(node)
        return GO_STATUS[name[6:]] if name.startswith("Status") and name[6:] in GO_STATUS else None
    if node.type == "selector_expression":
        return go_status_code(f, node)
    return None


def _go_statement_status(f: GoFile, stmt) -> str | None:
    """A 4xx/5xx written by this simple statement: `w.WriteHeader(503)`, `http.Error(...)`, `c.JSON(500, ...)`."""
    kinds = []
    for n in _go_walk(stmt):
        if n.type != "call_expression":
            continue
        func = n.child_by_field_name("function")
        sel = f.selector(func)
        args = f.call_args(n)
        if sel in (("net/http", "Error"), ("net/http", "NotFound")) or (
            func is not None and func.type == "identifier" and f.text(func) == "Error" and len(args) == 3
        ):
            code = go_status_code(f, args[2]) if len(args) == 3 else 404
            kinds.append(status_kind(code) or ERROR_PATH)
            continue
        method = ""
        if func is not None and func.type == "selector_expression":
            method = f.text(func.child_by_field_name("field"))
        for arg in args:
            if method in GO_STATUS_METHODS:
                code = go_status_code(f, arg)
            elif arg.type in ("selector_expression", "identifier"):
                code = _go_named_status(f, arg)
            else:
                code = None
            kind = status_kind(code)
            if kind:
                kinds.append(kind)
    for n in _go_walk(stmt):  # a status as a value: `return echo.ErrServiceUnavailable`
        if n.type == "selector_expression" and (n.parent is None or n.parent.type != "call_expression"):
            kind = status_kind(go_status_code(f, n))
            if kind and f.text(n.child_by_field_name("field")).startswith("Err"):
                kinds.append(kind)
    if OVERLOAD in kinds:
        return OVERLOAD
    return kinds[0] if kinds else None


def _go_errish(f: GoFile, node) -> bool:
    """`err`, `readErr`, `rec` (from recover()), `s.lastErr`, `recover()`, `ctx.Err()`."""
    if node.type == "identifier":
        name = f.text(node)
        return name in ("err", "e", "rec") or name.endswith(("Err", "err", "Error"))
    if node.type == "selector_expression":
        return f.text(node.child_by_field_name("field")).endswith(("Err", "Error", "err"))
    if node.type == "call_expression":
        func = node.child_by_field_name("function")
        return f.text(func) == "recover" or (func is not None and f.text(func).endswith(".Err"))
    return False


def _go_names_kind(f: GoFile, node) -> str | None:
    """The path named by the identifiers of an expression: `s.draining.Load()`, `isOverloaded()`."""
    kinds = []
    for n in _go_walk(node):
        if n.type in ("identifier", "field_identifier"):
            kinds.append(name_kind(f.text(n)))
        elif n.type in ("interpreted_string_literal", "raw_string_literal"):  # os.Getenv("DRAINING") != ""
            kinds.append(name_kind(f.string_value(n) or ""))
    found = [k for k in kinds if k]
    if OVERLOAD in found:
        return OVERLOAD
    if SHUTDOWN in found:
        return SHUTDOWN
    return ERROR_PATH if ERROR_PATH in found else None


def _go_condition(f: GoFile, cond, positive: bool) -> str | None:
    """The path a condition selects, for the branch taken when it is `positive` (or false)."""
    if cond is None:
        return None
    kind = cond.type
    if kind == "parenthesized_expression" and cond.named_child_count == 1:
        return _go_condition(f, cond.named_children[0], positive)
    if kind == "unary_expression" and f.text(cond.child_by_field_name("operator")) == "!":
        return _go_condition(f, cond.child_by_field_name("operand"), not positive)
    if kind == "binary_expression":
        op = f.text(cond.child_by_field_name("operator"))
        left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
        if op in ("&&", "||"):
            parts = [_go_condition(f, left, positive), _go_condition(f, right, positive)]
            # a && b taken: both hold, either speaks; a || b taken: only what both say is sure.
            return _combine(parts, need_all=(op == "||") == positive)
        if op in ("==", "!="):
            other = None
            if right is not None and right.type == "nil":
                other = left
            elif left is not None and left.type == "nil":
                other = right
            if other is not None:
                if _go_errish(f, other) and positive == (op == "!="):
                    return ERROR_PATH
                return None
            for a, b in ((left, right), (right, left)):
                code = _go_named_status(f, b)
                if code is None and _go_names_mention(f, a, "status", "code"):
                    code = go_status_code(f, b)
                if code is not None and op == "==" and positive:
                    kind = status_kind(code)
                    if kind:
                        return kind
                flag = f.bool_value(b)
                number = f.int_value(b)
                if flag is None and number is None and f.string_value(b) == "":
                    number = 0  # os.Getenv("DRAINING") != ""
                if flag is not None or number is not None:
                    truthy = bool(flag) if flag is not None else number != 0
                    if (op == "==") == truthy:
                        return _go_condition(f, a, positive)
                    return _go_condition(f, a, not positive)
            return None
        if op in (">=", ">", "<", "<="):
            for a, b, bigger in ((left, right, op in (">=", ">")), (right, left, op in ("<", "<="))):
                code = go_status_code(f, b)
                if code is not None and code >= 400 and bigger == positive:
                    if _go_names_mention(f, a, "status", "code"):
                        return ERROR_PATH
            if positive:
                return _go_limit_kind(f, left if op in (">=", ">") else right, right if op in (">=", ">") else left)
            return None
        return None
    if kind == "call_expression":
        func = cond.child_by_field_name("function")
        if f.selector(func) in (("errors", "Is"), ("errors", "As")):
            return ERROR_PATH if positive else None
    if positive and kind in ("identifier", "selector_expression", "call_expression"):
        return _go_names_kind(f, cond)
    return None


def _go_names_mention(f: GoFile, node, *needles: str) -> bool:
    text = f.text(node).lower()
    return any(n in text for n in needles)


def _go_limit_kind(f: GoFile, big, limit) -> str | None:
    """`inflight > maxInflight`, `len(active) >= s.maxConns`: over a concurrency limit."""
    if big is None or limit is None:
        return None
    ws = set(words(f.text(limit)))
    if ws & {"max", "limit", "capacity", "threshold"} and ws & {
        "inflight", "flight", "concurrent", "concurrency", "active", "conns", "connections", "requests", "pending",
        "queue", "queued", "load", "goroutines", "workers",
    }:
        return OVERLOAD
    return None


def _go_function_binding_name(f: GoFile, func) -> str:
    """The name of a function, or of the variable or field a function literal is bound to."""
    if func.type != "func_literal":
        return f.function_name(func)
    parent = func.parent
    if parent is not None and parent.type == "expression_list" and parent.parent is not None:
        holder = parent.parent
        left = holder.child_by_field_name("left")
        names = left.named_children if left is not None else holder.children_by_field_name("name")
        if names:
            last = names[0]
            if last.type == "selector_expression":
                last = last.child_by_field_name("field")
            return f.text(last)
    if parent is not None and parent.type in ("literal_element", "keyed_element"):
        element = parent if parent.type == "keyed_element" else parent.parent
        if element is not None and element.type == "keyed_element" and element.named_child_count:
            return f.text(element.named_children[0])
    return ""


def _go_functions(f: GoFile, node) -> list:
    funcs = []
    func = f.enclosing_function(node)
    while func is not None:
        funcs.append(func)
        func = f.enclosing_function(func)
    return funcs


def _go_type_text(f: GoFile, node) -> str:
    return re.sub(r"\s+", "", f.text(node)) if node is not None else ""


def _go_is_middleware_signature(f: GoFile, func) -> bool:
    """`func(next http.Handler) http.Handler`, echo `func(echo.HandlerFunc) echo.HandlerFunc`, a factory of one."""
    params = func.child_by_field_name("parameters")
    result = func.child_by_field_name("result")
    if result is None:
        return False
    result_text = _go_type_text(f, result).strip("()")
    if result_text.endswith("MiddlewareFunc") or _GO_MIDDLEWARE_FUNC.fullmatch(result_text):
        return True
    if params is None or not _GO_MIDDLEWARE_TYPE.search(result_text):
        return False
    for param in params.named_children:
        if param.type == "parameter_declaration" and _go_type_text(f, param.child_by_field_name("type")) == result_text:
            return True
    return False


def _go_context_param(f: GoFile, func) -> str | None:
    params = func.child_by_field_name("parameters")
    for param in params.named_children if params is not None else ():
        type_text = _go_type_text(f, param.child_by_field_name("type"))
        if type_text.endswith(("gin.Context", ".Ctx")) and param.child_by_field_name("name"):
            return f.text(param.child_by_field_name("name"))
    return None


def _go_calls_next(f: GoFile, func) -> bool:
    """gin/fiber middleware: `c.Next()` on the function's own context parameter."""
    ctx = _go_context_param(f, func)
    body = func.child_by_field_name("body")
    if ctx is None or body is None:
        return False
    for n in _go_walk(body):
        if n.type == "call_expression" and _go_type_text(f, n.child_by_field_name("function")) == f"{ctx}.Next":
            return True
    return False


def _go_params(f: GoFile, func) -> set[str]:
    names = set()
    params = func.child_by_field_name("parameters")
    for param in params.named_children if params is not None else ():
        for name in param.children_by_field_name("name"):
            names.add(f.text(name))
    return names


def _go_forwards(f: GoFile, func) -> bool:
    """A handler that calls the next one: `next.ServeHTTP(w, r)` on a parameter or a field, or `next(w, r)`."""
    body = func.child_by_field_name("body")
    if body is None:
        return False
    params = set()
    for outer in [func] + _go_functions(f, func):
        params |= _go_params(f, outer)
    for n in _go_walk(body):
        if n.type != "call_expression":
            continue
        fn = n.child_by_field_name("function")
        if fn is None:
            continue
        if fn.type == "selector_expression" and f.text(fn.child_by_field_name("field")) == "ServeHTTP":
            recv = fn.child_by_field_name("operand")
            if recv is not None and (recv.type == "selector_expression" or f.text(recv) in params):
                return True
        if fn.type == "identifier" and f.text(fn) in params and f.text(fn) in ("next", "h", "handler", "nextHandler"):
            return True
    return False


def _go_used_names(f: GoFile) -> set[str]:
    """Functions named in `r.Use(...)` / `e.Pre(...)` calls of this file."""
    cache = _cache(f)
    if "go_used" not in cache:
        used: set[str] = set()
        literals: set[tuple] = set()
        query = """
        (call_expression function: (selector_expression field: (field_identifier) @m) arguments: (argument_list) @args)
        """
        for m in f.matches(query):
            if f.text(m["m"]) not in GO_USE_METHODS:
                continue
            for arg in m["args"].named_children:
                if arg.type == "call_expression":
                    arg = arg.child_by_field_name("function")
                if arg is None:
                    continue
                if arg.type == "func_literal":
                    literals.add(node_key(arg))
                elif arg.type == "selector_expression":
                    used.add(f.text(arg.child_by_field_name("field")))
                elif arg.type == "identifier":
                    used.add(f.text(arg))
        cache["go_used"] = (used, literals)
    return cache["go_used"]


def go_is_modify_response(f: GoFile, func) -> bool:
    """A `ReverseProxy.ModifyResponse` hook: a literal given to that field, or a function named there."""
    if func.type == "func_literal":
        return _go_function_binding_name(f, func) == "ModifyResponse"
    name = f.function_name(func)
    if not name:
        return False
    cache = _cache(f)
    if "go_modify" not in cache:
        hooks = set()
        for m in f.matches("(keyed_element (_) @k (_) @v)"):
            if f.text(m["k"]).strip() == "ModifyResponse":
                hooks.add(f.text(m["v"]).strip().rsplit(".", 1)[-1])
        for m in f.matches(
            "(assignment_statement left: (expression_list (selector_expression field: (field_identifier) @k)) "
            "right: (expression_list (_) @v))"
        ):
            if f.text(m["k"]) == "ModifyResponse":
                hooks.add(f.text(m["v"]).strip().rsplit(".", 1)[-1])
        cache["go_modify"] = hooks
    return name in cache["go_modify"]


def go_is_global(f: GoFile, node) -> bool:
    """Inside middleware (`func(http.Handler) http.Handler`, gin/fiber `c.Next()`, a `.Use(...)` argument, a
    `ServeHTTP` that calls the next handler) or a `ReverseProxy.ModifyResponse` hook."""
    used, literals = _go_used_names(f)
    for func in _go_functions(f, node):
        if func.type == "func_literal" and node_key(func) in literals:
            return True
        name = _go_function_binding_name(f, func)
        if name and name in used:
            return True
        if _go_is_middleware_signature(f, func) or _go_calls_next(f, func) or go_is_modify_response(f, func):
            return True
        if func.type == "method_declaration" and name == "ServeHTTP" and _go_forwards(f, func):
            return True
    return False


def go_path_context(f: GoFile, node) -> str | None:
    """ERROR_PATH, OVERLOAD, SHUTDOWN or NO_LENGTH when `node` only runs on that path, else None."""
    funcs = _go_functions(f, node)
    func = funcs[0] if funcs else None
    found: list[str] = []
    child = node
    for anc in f.ancestors(node):
        if func is not None and node_key(anc) == node_key(func):
            break
        if anc.type == "statement_list":
            for stmt in anc.named_children:
                if stmt.start_byte > node.end_byte and stmt.type not in GO_SIMPLE_STATEMENTS and _go_may_exit(stmt):
                    break  # `if ok { ...; return }`: what follows is not the only path past the close
                if stmt.type in GO_SIMPLE_STATEMENTS:
                    kind = _go_statement_status(f, stmt)
                    if kind:
                        found.append(kind)
                    if stmt.end_byte <= node.start_byte and _go_shutdown_call(f, stmt):
                        found.append(SHUTDOWN)
        elif anc.type == "if_statement":
            cond = anc.child_by_field_name("condition")
            consequence = anc.child_by_field_name("consequence")
            alternative = anc.child_by_field_name("alternative")
            if consequence is not None and node_key(child) == node_key(consequence):
                kind = _go_condition(f, cond, True) or _go_no_length(f, cond, True)
            elif alternative is not None and node_key(child) == node_key(alternative):
                kind = _go_condition(f, cond, False) or _go_no_length(f, cond, False)
            else:
                kind = None
            if kind:
                found.append(kind)
            init = anc.child_by_field_name("initializer")
            if init is not None and "recover()" in f.text(init):
                found.append(ERROR_PATH)
        elif anc.type == "expression_case":
            switch = anc.parent
            value = switch.child_by_field_name("value") if switch is not None else None
            if value is not None and _go_errish(f, value):
                found.append(ERROR_PATH)
            values = anc.child_by_field_name("value")
            for case_value in values.named_children if values is not None else ():
                if value is None:
                    kind = _go_condition(f, case_value, True)
                elif _go_names_mention(f, value, "status", "code"):
                    kind = status_kind(go_status_code(f, case_value))
                else:
                    kind = status_kind(_go_named_status(f, case_value))
                if kind:
                    found.append(kind)
        elif anc.type == "type_case":
            switch = anc.parent
            value = switch.child_by_field_name("value") if switch is not None else None
            if value is not None and _go_errish(f, value):
                found.append(ERROR_PATH)
        elif anc.type == "communication_case":
            comm = anc.child_by_field_name("communication")
            for n in _go_walk(comm) if comm is not None else ():
                if n.type == "unary_expression" and f.text(n.child_by_field_name("operator")) == "<-":
                    chan = n.child_by_field_name("operand")
                    if chan is not None and set(words(f.text(chan))) & SIGNAL_CHANNEL_WORDS:
                        found.append(SHUTDOWN)
        child = anc
    if not found and not go_is_global(f, node):
        for fn in funcs:
            kind = name_kind(_go_function_binding_name(f, fn))
            if kind:
                found.append(kind)
                break
    return _strongest(found)


def _go_may_exit(stmt) -> bool:
    """A compound statement with a `return` (or `goto`, `break`, `continue`) inside: an early exit."""
    return any(
        n.type in ("return_statement", "goto_statement", "break_statement", "continue_statement")
        for n in _go_walk(stmt)
    )


def _go_shutdown_call(f: GoFile, stmt) -> bool:
    for n in _go_walk(stmt):
        if n.type == "call_expression":
            fn = n.child_by_field_name("function")
            if fn is not None and fn.type == "selector_expression":
                method = f.text(fn.child_by_field_name("field"))
                if GO_SHUTDOWN_CALLS.match(method):
                    return True
                if method == "SetKeepAlivesEnabled":
                    args = f.call_args(n)
                    if args and f.bool_value(args[0]) is False:
                        return True
    return False


def _go_no_length(f: GoFile, cond, positive: bool) -> str | None:
    """`if r.ContentLength < 0`, `if resp.ContentLength == -1`: the length is unknown."""
    if cond is None or not positive:
        return None
    text = _go_type_text(f, cond)
    if re.search(r"ContentLength(<0|==-1|<=-1)", text):
        return NO_LENGTH
    return None


def go_close_context(f: GoFile, node) -> str | None:
    """The path of a Go statement: a PATH_ONLY context, else GLOBAL in middleware or a global hook, else None."""
    return go_path_context(f, node) or (GLOBAL if go_is_global(f, node) else None)


# ---- Python --------------------------------------------------------------------------------

PY_WEB_PACKAGES = (
    "aiohttp", "werkzeug", "flask", "quart", "django", "starlette", "fastapi", "falcon", "sanic", "tornado",
    "litestar", "pyramid", "bottle", "rest_framework", "webob",
)
# Exception and response classes whose name is not `HTTP` + a status phrase.
PY_STATUS_CLASSES = {
    "HttpResponseBadRequest": 400, "HttpResponseForbidden": 403, "HttpResponseNotFound": 404,
    "HttpResponseNotAllowed": 405, "HttpResponseGone": 410, "HttpResponseServerError": 500,
    "PayloadTooLarge": 413, "HTTPPayloadTooLarge": 413, "ServerError": 500, "ImATeapot": 418,
    "RequestURITooLarge": 414, "HTTPRequestURITooLarge": 414, "ContentTooLarge": 413,
}
PY_STATUS_KEYWORDS = ("status", "status_code", "code", "status_int")
PY_GLOBAL_DECORATORS = ("after_request", "after_app_request", "middleware", "on_response", "after_serving_request")
PY_ERROR_DECORATORS = ("errorhandler", "app_errorhandler", "exception_handler", "register_error_handler", "exception")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _py_class_status(name: str) -> int | None:
    if name in PY_STATUS_CLASSES:
        return PY_STATUS_CLASSES[name]
    bare = re.sub(r"^(HttpResponse|HTTP|Http)(?=[A-Z])", "", name)
    key = _CAMEL.sub("_", bare).upper()
    try:
        return HTTPStatus[key].value
    except KeyError:
        return None


def py_status_code(f: PythonFile, expr: cst.BaseExpression | None) -> int | None:
    """503, `HTTPStatus.SERVICE_UNAVAILABLE`, `status.HTTP_503_SERVICE_UNAVAILABLE`, `falcon.HTTP_503`,
    `"503 Service Unavailable"`, a module constant holding one of those."""
    if expr is None:
        return None
    number = f.number_value(expr)
    if number is not None:
        return int(number) if 100 <= number <= 599 else None
    text = f.string_value(expr)
    if text is not None:
        m = re.match(r"\s*([1-5]\d\d)\b", text)
        return int(m.group(1)) if m else None
    if isinstance(expr, cst.Attribute):
        member = expr.attr.value
        m = re.match(r"^HTTP_([1-5]\d\d)(_|$)", member)
        if m:
            return int(m.group(1))
        owner = dotted(expr.value) or ""
        if owner.endswith("HTTPStatus") or f.qualname(expr.value) in ("http.client", "http.HTTPStatus"):
            try:
                return HTTPStatus[member].value
            except KeyError:
                return None
        if member.startswith("HTTP_") and f.qualname(expr.value) == "falcon":
            try:
                return HTTPStatus[member[5:]].value
            except KeyError:
                return None
    if isinstance(expr, cst.Call) and f.qualname(expr.func) in ("http.HTTPStatus", "HTTPStatus") and expr.args:
        return py_status_code(f, expr.args[0].value)
    if isinstance(expr, cst.Name) and expr.value in f.constants and not isinstance(f.constants[expr.value], cst.Name):
        return py_status_code(f, f.constants[expr.value])
    return None


def _py_web_callee(f: PythonFile, func: cst.BaseExpression) -> bool:
    q = f.qualname(func) or ""
    last = q.rsplit(".", 1)[-1]
    return q.split(".")[0] in PY_WEB_PACKAGES or last.startswith(("HTTP", "Http"))


def _py_walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """`node` and its descendants, not entering nested functions, lambdas or classes."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        for child in n.children:
            if not isinstance(child, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                stack.append(child)


def _py_call_status(f: PythonFile, call: cst.Call) -> tuple[bool, int | None]:
    """(is a status write, its code) for `send_error(503)`, `Response(status=503)`, `raise HTTPTooManyRequests()`."""
    for keyword in PY_STATUS_KEYWORDS:
        value = f.arg(call, keyword)
        if value is not None:
            code = py_status_code(f, value)
            if code is not None:
                return True, code
    name = dotted(call.func) or ""
    last = name.rsplit(".", 1)[-1]
    if last in ("send_error", "HTTPError", "HTTPException", "abort", "send_response", "set_status", "start_response",
                "send_response_only", "respond"):
        code = py_status_code(f, f.arg(call, None, 0))
        if last in ("send_error", "abort", "HTTPError", "HTTPException"):
            return True, code if code is not None else 500
        return code is not None, code
    if last.endswith(("Response", "make_response", "response")) and len(call.args) >= 2:
        code = py_status_code(f, f.arg(call, None, 1))
        if code is not None and not isinstance(f.arg(call, None, 1), cst.SimpleString):
            return True, code
    if _py_web_callee(f, call.func):
        code = _py_class_status(last)
        if code is not None:
            return True, code
    return False, None


def _py_statement_status(f: PythonFile, stmt: cst.CSTNode) -> str | None:
    kinds: list[str | None] = []
    for n in _py_walk(stmt):
        if isinstance(n, cst.Call):
            is_status, code = _py_call_status(f, n)
            if is_status:
                kinds.append(status_kind(code) or (ERROR_PATH if code is None else None))
        elif isinstance(n, cst.Raise) and n.exc is not None and not isinstance(n.exc, cst.Call):
            code = _py_class_status((dotted(n.exc) or "").rsplit(".", 1)[-1]) if _py_web_callee(f, n.exc) else None
            kinds.append(status_kind(code) or ERROR_PATH)
        elif isinstance(n, cst.Raise):
            kinds.append(ERROR_PATH)
        elif isinstance(n, (cst.Assign, cst.AugAssign)):
            targets = [t.target for t in n.targets] if isinstance(n, cst.Assign) else [n.target]
            for target in targets:
                if isinstance(target, cst.Attribute) and target.attr.value in PY_STATUS_KEYWORDS:
                    kinds.append(status_kind(py_status_code(f, n.value)))
        elif isinstance(n, cst.Tuple) and isinstance(f.parent(n), cst.Return):  # Flask: return body, 503, headers
            for element in n.elements[1:2]:
                if isinstance(element.value, (cst.Integer, cst.Attribute, cst.Name)):
                    kinds.append(status_kind(py_status_code(f, element.value)))
        elif isinstance(n, cst.Dict):  # ASGI: {"type": "http.response.start", "status": 503, ...}
            for element in n.elements:
                if isinstance(element, cst.DictElement) and f.string_value(element.key) == "status":
                    kinds.append(status_kind(py_status_code(f, element.value)))
    found = [k for k in kinds if k]
    if OVERLOAD in found:
        return OVERLOAD
    return found[0] if found else None


def _py_errish(f: PythonFile, expr: cst.BaseExpression) -> bool:
    name = dotted(expr) or ""
    last = name.rsplit(".", 1)[-1]
    return last in ("err", "error", "exc", "exception", "e", "ex") or last.endswith(("_error", "_exc", "_exception"))


def _py_names_kind(f: PythonFile, expr: cst.CSTNode) -> str | None:
    found = []
    for n in _py_walk(expr):
        if isinstance(n, cst.Name):
            found.append(name_kind(n.value))
        elif isinstance(n, cst.SimpleString):  # app.config["DRAINING"], os.environ.get("SHUTTING_DOWN")
            found.append(name_kind(f.string_value(n) or ""))
    found = [k for k in found if k]
    for kind in (OVERLOAD, SHUTDOWN, ERROR_PATH):
        if kind in found:
            return kind
    return None


def _py_condition(f: PythonFile, test: cst.BaseExpression, positive: bool) -> str | None:
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _py_condition(f, test.expression, not positive)
    if isinstance(test, cst.BooleanOperation):
        parts = [_py_condition(f, test.left, positive), _py_condition(f, test.right, positive)]
        is_or = isinstance(test.operator, cst.Or)
        return _combine(parts, need_all=is_or == positive)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        comp = test.comparisons[0]
        op, left, right = comp.operator, test.left, comp.comparator
        if isinstance(right, cst.Name) and right.value == "None" and isinstance(op, (cst.Is, cst.IsNot)):
            if _py_errish(f, left) and positive == isinstance(op, cst.IsNot):
                return ERROR_PATH
            return None
        if isinstance(op, (cst.GreaterThanEqual, cst.GreaterThan, cst.LessThan, cst.LessThanEqual)):
            bigger = isinstance(op, (cst.GreaterThanEqual, cst.GreaterThan))
            code = py_status_code(f, right)
            if code is not None and code >= 400 and bigger == positive and "status" in (dotted(left) or "").lower():
                return ERROR_PATH
            if positive and bigger:
                return _py_limit_kind(f, right)
            return None
        if isinstance(op, (cst.Equal, cst.NotEqual, cst.Is, cst.IsNot)):
            code = py_status_code(f, right) if "status" in (dotted(left) or "").lower() else None
            if code is not None and positive == isinstance(op, (cst.Equal, cst.Is)):
                return status_kind(code)
            flag = f.bool_value(right)
            number = f.number_value(right)
            if flag is not None or number is not None:
                truthy = bool(flag) if flag is not None else number != 0
                same = isinstance(op, (cst.Equal, cst.Is)) == truthy
                return _py_condition(f, left, positive if same else not positive)
            return None
        return None
    if isinstance(test, cst.Call) and f.qualname(test.func) == "isinstance" and len(test.args) == 2:
        return ERROR_PATH if positive and _py_errish(f, test.args[0].value) else None
    if positive and isinstance(test, (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Await)):
        if isinstance(test, cst.Name) and _py_errish(f, test):
            return ERROR_PATH
        return _py_names_kind(f, test)
    return None


def _py_limit_kind(f: PythonFile, limit: cst.BaseExpression) -> str | None:
    ws: set[str] = set()
    for n in _py_walk(limit):
        if isinstance(n, cst.Name):
            ws.update(words(n.value))
    if ws & {"max", "limit", "capacity", "threshold"} and ws & {
        "inflight", "concurrent", "concurrency", "active", "conns", "connections", "requests", "pending",
        "queue", "queued", "load", "tasks", "workers",
    }:
        return OVERLOAD
    return None


def _py_no_length(f: PythonFile, test: cst.BaseExpression, positive: bool) -> str | None:
    """`if "Content-Length" not in headers`, `if content_length is None`: the body's length is unknown."""
    if not positive:
        return None
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _py_no_length(f, test.left, True) or _py_no_length(f, test.right, True)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        comp = test.comparisons[0]
        left_text = (f.string_value(test.left) or dotted(test.left) or "").lower().replace("_", "-")
        if isinstance(comp.operator, cst.NotIn) and left_text == "content-length":
            return NO_LENGTH
        if isinstance(comp.operator, cst.Is) and left_text.endswith("content-length"):
            value = comp.comparator
            if isinstance(value, cst.Name) and value.value == "None":
                return NO_LENGTH
    return None


def _py_functions(f: PythonFile, node: cst.CSTNode) -> list[cst.FunctionDef]:
    return [a for a in f.ancestors(node) if isinstance(a, cst.FunctionDef)]


def _py_params(func: cst.FunctionDef) -> list[str]:
    return [p.name.value for p in parameters(func)]


def _py_decorator_names(func: cst.FunctionDef) -> list[tuple[str, cst.Decorator]]:
    names = []
    for dec in func.decorators:
        expr = dec.decorator.func if isinstance(dec.decorator, cst.Call) else dec.decorator
        names.append(((dotted(expr) or "").rsplit(".", 1)[-1], dec))
    return names


def _py_registered(f: PythonFile) -> dict[str, str]:
    """Functions registered by name as global hooks or error handlers: `app.after_request(add_headers)`,
    `web.Application(middlewares=[mw])`, `app.on_response_prepare.append(fn)`, `app.add_exception_handler(E, fn)`."""
    cache = _cache(f)
    if "py_registered" in cache:
        return cache["py_registered"]
    found: dict[str, str] = {}
    for call in f.nodes(cst.Call):
        name = dotted(call.func) or ""
        last = name.rsplit(".", 1)[-1]
        names: list[cst.BaseExpression] = []
        kind = None
        if last in ("after_request", "after_app_request", "register_middleware", "on_response", "add_middleware"):
            names, kind = [a.value for a in call.args], GLOBAL
        elif last in ("append", "insert", "extend") and (
            name.endswith((".middlewares.append", ".on_response_prepare.append", ".middlewares.insert",
                           ".after_request_funcs.append"))
        ):
            names, kind = [a.value for a in call.args], GLOBAL
        elif last in ("add_exception_handler", "register_error_handler", "set_error_handler", "errorhandler"):
            names, kind = [a.value for a in call.args[1:]], ERROR_PATH
            code = py_status_code(f, call.args[0].value) if call.args else None
            kind = status_kind(code) or ERROR_PATH
        middlewares = f.arg(call, "middlewares") or f.arg(call, "middleware")
        if middlewares is not None:
            for element in getattr(f.resolve(middlewares), "elements", ()):
                names.append(element.value)
            kind = kind or GLOBAL
        for expr in names:
            if isinstance(expr, cst.Call):  # Middleware(CloseMiddleware), functools.partial(fn, ...)
                expr = expr.args[0].value if expr.args else expr.func
            target = (dotted(expr) or "").rsplit(".", 1)[-1]
            if target and kind:
                found.setdefault(target, kind)
    cache["py_registered"] = found
    return found


def py_class_bases(f: PythonFile, cls: cst.ClassDef, _seen: frozenset = frozenset()) -> list[str]:
    """Qualified names of a class's bases, followed through classes of the same file."""
    out = []
    for base in cls.bases:
        q = f.qualname(base.value) or ""
        out.append(q)
        local = (dotted(base.value) or "")
        if local and local not in _seen:
            for other in f.nodes(cst.ClassDef):
                if other.name.value == local and other is not cls:
                    out.extend(py_class_bases(f, other, _seen | {local}))
    return out


def _py_calls_with_first(func: cst.FunctionDef, first: str) -> bool:
    """The function calls something with `first` as first argument: `self.app(environ, start_response)`."""
    for n in _py_walk(func.body):
        if isinstance(n, cst.Call) and n.args and isinstance(n.args[0].value, cst.Name):
            if n.args[0].value.value == first and (dotted(n.func) or "") not in ("start_response", "send", "receive"):
                return True
    return False


def _py_global_function(f: PythonFile, func: cst.FunctionDef) -> bool:
    for name, dec in _py_decorator_names(func):
        if name in PY_GLOBAL_DECORATORS:
            return True
        if name == "hook" and isinstance(dec.decorator, cst.Call) and dec.decorator.args:  # bottle
            if (f.string_value(dec.decorator.args[0].value) or "").startswith("after_"):
                return True
    if _py_registered(f).get(func.name.value) == GLOBAL:
        return True
    params = _py_params(func)
    if "call_next" in params or "get_response" in params:
        return True
    if len(params) >= 2 and params[-2:] == ["request", "handler"] and _py_calls_with_first(func, "request"):
        return True  # aiohttp middleware
    if params[-2:] == ["environ", "start_response"] and _py_calls_with_first(func, "environ"):
        return True  # WSGI middleware
    if params[-3:] == ["scope", "receive", "send"] and _py_calls_with_first(func, "scope"):
        return True  # ASGI middleware
    return False


def _py_global_class(f: PythonFile, cls: cst.ClassDef, method: cst.FunctionDef) -> bool:
    bases = py_class_bases(f, cls)
    if any(b.endswith(("BaseHTTPMiddleware", "MiddlewareMixin")) for b in bases):
        return True
    if method.name.value == "process_response":  # Django, Falcon middleware
        return True
    if _py_registered(f).get(cls.name.value) == GLOBAL:  # app.add_middleware(Cls), Middleware(Cls)
        return True
    if method.name.value == "__call__":
        init = method_of(cls, "__init__")
        if init is not None and "get_response" in _py_params(init):
            return True
        return _py_global_function(f, method)
    return False


def py_is_global(f: PythonFile, node: cst.CSTNode) -> bool:
    """In middleware or a global hook: `@app.after_request`, `@app.middleware("http")`, aiohttp/Sanic middleware,
    Starlette `BaseHTTPMiddleware.dispatch`, Django middleware (`process_response`, `__call__` with
    `get_response`), WSGI/ASGI middleware wrapping an app."""
    for func in _py_functions(f, node):
        if _py_global_function(f, func):
            return True
        cls = f.parent(f.parent(func)) if f.parent(func) is not None else None
        if isinstance(cls, cst.ClassDef) and _py_global_class(f, cls, func):
            return True
    return False


def _py_function_kind(f: PythonFile, func: cst.FunctionDef) -> str | None:
    for name, dec in _py_decorator_names(func):
        if name in PY_ERROR_DECORATORS:
            code = None
            if isinstance(dec.decorator, cst.Call) and dec.decorator.args:
                code = py_status_code(f, dec.decorator.args[0].value)
            return status_kind(code) or ERROR_PATH
    registered = _py_registered(f).get(func.name.value)
    if registered in PATH_ONLY:
        return registered
    return name_kind(func.name.value)


def py_path_context(f: PythonFile, node: cst.CSTNode) -> str | None:
    """ERROR_PATH, OVERLOAD, SHUTDOWN or NO_LENGTH when `node` only runs on that path, else None."""
    funcs = _py_functions(f, node)
    func = funcs[0] if funcs else None
    found: list[str] = []
    child: cst.CSTNode = node
    for anc in f.ancestors(node):
        if func is not None and anc is func:
            break
        if isinstance(anc, cst.IndentedBlock):
            for stmt in anc.body:
                if (
                    not isinstance(stmt, cst.SimpleStatementLine)
                    and _py_position(stmt, f, node) > 0
                    and any(isinstance(n, (cst.Return, cst.Raise, cst.Break, cst.Continue)) for n in _py_walk(stmt))
                ):
                    break  # `if ok: return ...`: what follows is not the only path past the close
                if isinstance(stmt, cst.SimpleStatementLine):
                    kind = _py_statement_status(f, stmt)
                    if kind:
                        found.append(kind)
                    if _py_position(stmt, f, node) < 0 and _py_shutdown_call(f, stmt):
                        found.append(SHUTDOWN)
        elif isinstance(anc, cst.SimpleStatementSuite):
            kind = _py_statement_status(f, anc)  # `if busy: return Response(..., status=503)` on one line
            if kind:
                found.append(kind)
        elif isinstance(anc, (cst.If, cst.IfExp)):  # an `if` statement or `a if test else b`
            if child is anc.body:
                kind = _py_condition(f, anc.test, True)
                if not kind and isinstance(anc, cst.If):
                    kind = _py_no_length(f, anc.test, True)
            elif child is anc.orelse:
                kind = _py_condition(f, anc.test, False)
            else:
                kind = None
            if kind:
                found.append(kind)
        elif isinstance(anc, cst.ExceptHandler):
            found.append(ERROR_PATH)
        child = anc
    if not found and not py_is_global(f, node):
        for fn in funcs:
            kind = _py_function_kind(f, fn)
            if kind:
                found.append(kind)
                break
    return _strongest(found)


def _py_position(stmt: cst.CSTNode, f: PythonFile, node: cst.CSTNode) -> int:
    """-1 when `stmt` is an earlier sibling of a statement holding `node`, 0 when it holds it, 1 after."""
    ancestors = [node, *f.ancestors(node)]
    if stmt in ancestors:
        return 0
    parent = f.parent(stmt)
    body = list(getattr(parent, "body", ()))
    holder = next((a for a in ancestors if a in body), None)
    if holder is None:
        return 1
    return -1 if body.index(stmt) < body.index(holder) else 1


def _py_shutdown_call(f: PythonFile, stmt: cst.CSTNode) -> bool:
    for n in _py_walk(stmt):
        if isinstance(n, cst.Call):
            last = (dotted(n.func) or "").rsplit(".", 1)[-1]
            if last in ("shutdown", "Shutdown", "begin_shutdown", "start_draining", "drain"):
                return True
        if isinstance(n, cst.Assign):
            for target in n.targets:
                last = (dotted(target.target) or "").rsplit(".", 1)[-1]
                if name_kind(last) == SHUTDOWN and f.bool_value(n.value) is True:
                    return True
    return False


def py_close_context(f: PythonFile, node: cst.CSTNode) -> str | None:
    """The path of a Python statement: a PATH_ONLY context, else GLOBAL in middleware or a global hook, else None."""
    return py_path_context(f, node) or (GLOBAL if py_is_global(f, node) else None)


__all__ = [
    "ERROR_PATH", "OVERLOAD", "SHUTDOWN", "NO_LENGTH", "GLOBAL", "PATH_ONLY", "PHRASES", "is_path_only",
    "severity_for", "phrase", "words", "name_kind", "status_kind", "go_status_code", "go_path_context", "go_is_global",
    "go_close_context", "go_is_modify_response", "py_status_code", "py_class_bases", "py_path_context",
    "py_is_global", "py_close_context",
]
