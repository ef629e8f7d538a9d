"""The `http.server` request handler classes of a Python file: their in-file bases and class attributes.

Shared by CL301 (a keep-alive handler with no `timeout`) and CL203 (a handler left on HTTP/1.0). `Handlers`
follows each class through its in-file bases to the library base it derives from, and reads the
`protocol_version` / `timeout` it ends up with (class body, or a later `Handler.timeout = ...`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

import libcst as cst

from connlint.findings import Edit
from connlint.frontends.python import PythonFile, dotted

from ._py import is_none, method_of, walk

HANDLER_BASES = {
    "http.server.BaseHTTPRequestHandler",
    "http.server.SimpleHTTPRequestHandler",
    "http.server.CGIHTTPRequestHandler",
}
# Handles one request per connection unless `handle()` is overridden with a loop (Django's runserver).
SINGLE_REQUEST_BASES = {"wsgiref.simple_server.WSGIRequestHandler"}


def is_http10(f: PythonFile, expr: cst.BaseExpression) -> bool:
    """Is the expression the string "HTTP/1.0" (constants followed, case and spaces ignored)?"""
    value = f.string_value(expr)
    return value is not None and value.strip().upper() == "HTTP/1.0"


@dataclass
class Attr:
    """A class attribute's assignment: in the class body, or `Cls.name = ...` elsewhere in the file."""

    node: cst.CSTNode  # the assignment to report
    value: cst.BaseExpression
    owner: cst.ClassDef


class Handlers:
    """The file's classes, their in-file bases and their `protocol_version` / `timeout` settings."""

    def __init__(self, f: PythonFile) -> None:
        self.f = f
        self.classes = f.nodes(cst.ClassDef)
        self.external: dict[int, dict[str, list[Attr]]] = {}
        for assign in f.nodes(cst.Assign):
            for target in assign.targets:
                self._external(assign, target.target, assign.value)
        for assign in f.nodes(cst.AnnAssign):
            if assign.value is not None:
                self._external(assign, assign.target, assign.value)

    def _external(self, node: cst.CSTNode, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if not (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)):
            return
        if target.attr.value not in ("protocol_version", "timeout"):
            return
        cls = self.lookup(target.value.value, node)
        if cls is not None:
            self.external.setdefault(id(cls), {}).setdefault(target.attr.value, []).append(Attr(node, value, cls))

    def _scope(self, node: cst.CSTNode) -> cst.CSTNode:
        return self.f.enclosing(node, (cst.FunctionDef, cst.Lambda)) or self.f.module

    def lookup(self, name: str, at: cst.CSTNode) -> cst.ClassDef | None:
        """The class `name` refers to at `at`: defined in a scope holding `at` (the last such definition)."""
        found = None
        at_scopes = {id(s) for s in self.f.ancestors(at)}
        for cls in self.classes:
            if cls.name.value != name or cls is at:
                continue
            scope = self._scope(cls)
            if scope is self.f.module or id(scope) in at_scopes:
                found = cls
        return found

    def bases(self, cls: cst.ClassDef) -> list[cst.ClassDef | str | None]:
        """Each base: an in-file class, a qualified name, or None when unknown."""
        out: list[cst.ClassDef | str | None] = []
        for arg in cls.bases:
            if arg.keyword is not None or arg.star:
                continue
            local = self.lookup(arg.value.value, cls) if isinstance(arg.value, cst.Name) else None
            out.append(local if local is not None else self.f.qualname(arg.value))
        return out

    def mro(self, cls: cst.ClassDef, _seen: frozenset[int] = frozenset()) -> Iterator[cst.ClassDef | str | None]:
        """The class, then its bases depth-first (good enough for single inheritance and mixins)."""
        if id(cls) in _seen:
            return
        yield cls
        for base in self.bases(cls):
            if isinstance(base, cst.ClassDef):
                yield from self.mro(base, _seen | {id(cls)})
            else:
                yield base

    def own_attr(self, cls: cst.ClassDef, name: str) -> Attr | None:
        """The class body's `name = ...`, overridden by a later `Cls.name = ...` elsewhere in the file."""
        found = None
        for stmt in cls.body.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        if isinstance(target.target, cst.Name) and target.target.value == name:
                            found = Attr(small, small.value, cls)
                elif isinstance(small, cst.AnnAssign) and small.value is not None:
                    if isinstance(small.target, cst.Name) and small.target.value == name:
                        found = Attr(small, small.value, cls)
        external = self.external.get(id(cls), {}).get(name)
        return external[-1] if external else found

    def attr(self, cls: cst.ClassDef, name: str) -> Attr | str | None:
        """The effective assignment of a class attribute; "default" when inherited from the library."""
        for klass in self.mro(cls):
            if isinstance(klass, cst.ClassDef):
                own = self.own_attr(klass, name)
                if own is not None:
                    return own
            elif klass in HANDLER_BASES or klass in SINGLE_REQUEST_BASES:
                return "default"
            elif klass not in ("object", "builtins.object"):
                return None  # a base from elsewhere may set it
        return "default"

    def library_base(self, cls: cst.ClassDef) -> str | None:
        """The http.server (or wsgiref) handler class `cls` derives from, if any."""
        for klass in self.mro(cls):
            if isinstance(klass, str) and (klass in HANDLER_BASES or klass in SINGLE_REQUEST_BASES):
                return klass
        return None

    def loops_over_requests(self, cls: cst.ClassDef, base: str) -> bool:
        """Does the connection loop over requests: the nearest `handle()` override loops, or the library's does."""
        for klass in self.mro(cls):
            if not isinstance(klass, cst.ClassDef):
                break
            handle = method_of(klass, "handle")
            if handle is None:
                continue
            if _calls_in_loop(handle, "handle_one_request"):
                return True
            if not _calls(handle, "handle"):  # no super().handle(): the override decides
                return False
        return base in HANDLER_BASES

    def sets_timeout_in_methods(self, cls: cst.ClassDef) -> bool:
        """`self.connection.settimeout(...)` / `self.timeout = ...` inside a method of the class or an in-file base."""
        for klass in self.mro(cls):
            if not isinstance(klass, cst.ClassDef):
                continue
            for node in walk(klass.body):
                if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
                    seconds = self.f.arg(node, "value", 0)
                    if node.func.attr.value == "settimeout" and seconds is not None and not is_none(seconds):
                        return True  # settimeout(None) makes the socket blocking: no timeout
                if isinstance(node, cst.Assign):
                    for target in node.targets:
                        t = target.target
                        if isinstance(t, cst.Attribute) and t.attr.value == "timeout" and dotted(t.value) == "self":
                            if not is_none(node.value):
                                return True
        return False

    def referenced_only_as_base(self, cls: cst.ClassDef) -> bool:
        """True when the class has in-file subclasses and nothing else names it (an abstract base)."""
        subclasses = [c for c in self.classes if any(b is cls for b in self.bases(c))]
        if not subclasses:
            return False
        for name in self.f.nodes(cst.Name):
            if name.value != cls.name.value or name is cls.name:
                continue
            parent = self.f.parent(name)
            if isinstance(parent, cst.Arg) and isinstance(self.f.parent(parent), cst.ClassDef):
                continue
            if isinstance(parent, cst.Attribute) and parent.value is name and isinstance(
                self.f.parent(parent), cst.AssignTarget
            ):
                continue
            return False
        return True


def _calls(node: cst.CSTNode, method: str) -> bool:
    """Does the subtree call `<anything>.method(...)`?"""
    return any(
        isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value == method
        for n in walk(node)
    )


def _calls_in_loop(func: cst.FunctionDef, method: str) -> bool:
    """Does the function call `<anything>.method(...)` inside a `for` or `while` loop?"""
    return any(isinstance(n, (cst.While, cst.For)) and _calls(n, method) for n in walk(func.body))


def default_timeout_set(f: PythonFile) -> bool:
    """`socket.setdefaulttimeout(N)`: accepted sockets get a timeout too."""
    for call in f.nodes(cst.Call):
        if f.callee(call) == "socket.setdefaulttimeout":
            value = f.arg(call, None, 0)
            if value is not None and not is_none(value):
                return True
    return False


# ---- fixes: class attributes -----------------------------------------------------------------
# Used by CL203 (insert `protocol_version = "HTTP/1.1"` and `timeout = 60`) and CL301 (`timeout = 60`).

_LINE_END = re.compile(r"\r\n|\r|\n")


def _line_start(text: str, pos: int) -> int:
    return max(text.rfind("\n", 0, pos), text.rfind("\r", 0, pos)) + 1


def _next_line(text: str, pos: int) -> tuple[int, bool]:
    """The start of the line after the one holding `pos`, and whether that line break exists (else: the end)."""
    match = _LINE_END.search(text, pos)
    return (match.end(), True) if match else (len(text), False)


def _indent_of(f: PythonFile, node: cst.CSTNode) -> str | None:
    """The whitespace before `node` on its line; None when something else precedes it there."""
    text = f.source_text
    start = f.span(node)[0]
    indent = text[_line_start(text, start):start]
    return indent if not indent.strip() else None


def _is_docstring(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _previous_line_start(text: str, line_start: int) -> int:
    end = line_start - 1
    if end > 0 and text[end] == "\n" and text[end - 1] == "\r":
        end -= 1
    return _line_start(text, end)


def insert_class_attributes(f: PythonFile, cls: cst.ClassDef, lines: list[str]) -> Edit | None:
    """Insert `lines` (statements) at the top of a class body, after its docstring; a blank line separates
    them from a following method or other compound statement. None for a one-line body (`class A: pass`)."""
    body = cls.body
    if not isinstance(body, cst.IndentedBlock) or not body.body:
        return None
    text, newline = f.source_text, f.module.default_newline
    stmts = list(body.body)
    indent = _indent_of(f, stmts[0])
    if indent is None:
        return None
    block = "".join(f"{indent}{line}{newline}" for line in lines)
    rest = stmts[1:] if _is_docstring(stmts[0]) else stmts
    if not rest:  # only a docstring: add the lines after it, after a blank line
        at, has_break = _next_line(text, f.span(stmts[0])[1])
        return Edit(at, at, newline + block if has_break else newline + newline + block.rstrip("\r\n"))
    following = rest[0]
    if len(rest) == 1 and isinstance(following, cst.SimpleStatementLine) and len(following.body) == 1:
        if isinstance(following.body[0], cst.Pass) and not following.trailing_whitespace.comment:
            start, end = f.span(following.body[0])  # a lone `pass`: replace it
            return Edit(start, end, block[len(indent):].rstrip("\r\n"))
    leading = list(following.leading_lines)
    blanks = 0
    while blanks < len(leading) and leading[blanks].comment is None:
        blanks += 1
    decorators = getattr(following, "decorators", ())
    at = _line_start(text, f.span(decorators[0] if decorators else following)[0])
    for _ in range(len(leading) - blanks):  # above its own comments, below the blank lines before them
        at = _previous_line_start(text, at)
    if not isinstance(following, cst.SimpleStatementLine):
        block += newline
    return Edit(at, at, block)


def insert_after_statement(f: PythonFile, small: cst.BaseSmallStatement, line: str) -> Edit | None:
    """Insert the statement `line` on the line after the one holding `small` (alone on its line), with
    the same indentation; None when `small` shares its line with other statements."""
    holder = f.parent(small)
    if not isinstance(holder, cst.SimpleStatementLine) or len(holder.body) != 1:
        return None
    indent = _indent_of(f, small)
    if indent is None:
        return None
    text, newline = f.source_text, f.module.default_newline
    at, has_break = _next_line(text, f.span(small)[1])
    if not has_break:
        return Edit(at, at, f"{newline}{indent}{line}")
    return Edit(at, at, f"{indent}{line}{newline}")


STDLIB_FRAMING = ("content-length", "transfer-encoding")
STDLIB_NO_BODY_STATUS = {204, 304}
STDLIB_NO_BODY_NAMES = ("NO_CONTENT", "NOT_MODIFIED")
STDLIB_BODYLESS_METHODS = ("do_GET", "do_HEAD")


def stdlib_response_framed(f: PythonFile, method: cst.FunctionDef) -> bool:
    """The handler method frames its response (Content-Length, chunked, or a bodiless status) and reads the
    request (`rfile`, or a GET/HEAD method): keeping its connection alive is then safe."""
    framed, reads_body = False, method.name.value in STDLIB_BODYLESS_METHODS
    for n in walk(method):
        if isinstance(n, cst.Attribute) and n.attr.value == "rfile":
            reads_body = True
        if not (isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute)):
            continue
        if n.func.attr.value == "send_header":
            name = f.string_value(f.arg(n, "keyword", 0))
            framed |= name is not None and name.strip().lower() in STDLIB_FRAMING
        elif n.func.attr.value in ("send_response", "send_response_only"):
            code = f.arg(n, "code", 0)
            framed |= f.number_value(code) in STDLIB_NO_BODY_STATUS or (
                isinstance(code, cst.Attribute) and code.attr.value in STDLIB_NO_BODY_NAMES
            )
    return framed and reads_body


def handler_has_timeout(f: PythonFile, cls: cst.ClassDef, _seen: frozenset = frozenset()) -> bool:
    """The handler class, or a base class of the file, sets a `timeout` (class attribute or `Handler.timeout =
    30`): without one, a kept-alive idle client holds its thread (the whole server under a plain HTTPServer)."""
    name = cls.name.value
    for stmt in cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ():
        for small in stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.Assign):
                targets = [t.target for t in small.targets]
            elif isinstance(small, cst.AnnAssign):
                targets = [small.target]
            else:
                continue
            if any(isinstance(t, cst.Name) and t.value == "timeout" for t in targets):
                return small.value is not None and dotted(small.value) != "None"
    for assign in f.nodes(cst.Assign):
        for t in assign.targets:
            target = t.target
            if isinstance(target, cst.Attribute) and target.attr.value == "timeout" and dotted(target.value) == name:
                return dotted(assign.value) != "None"
    for base in cls.bases:
        local = dotted(base.value)
        if local and local not in _seen:
            for other in f.nodes(cst.ClassDef):
                if other.name.value == local and other is not cls and handler_has_timeout(f, other, _seen | {local}):
                    return True
    return False
