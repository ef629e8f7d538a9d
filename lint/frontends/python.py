"""Python frontend: one libcst parse and one indexing walk per file, shared by every rule."""

from __future__ import annotations

import ast
import dataclasses
import re
import warnings
from collections import defaultdict
from functools import cached_property
from typing import TYPE_CHECKING, Iterator, Sequence, TypeVar

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from ..findings import Edit, Fix, Hit, Severity
from . import python_syntax

if TYPE_CHECKING:
    from ..model.python import PythonModel

N = TypeVar("N", bound=cst.CSTNode)

# Constants that libraries export for header names and values, by qualified name.
KNOWN_CONSTANTS = {
    "aiohttp.hdrs.CONNECTION": "Connection",
    "aiohttp.web.hdrs.CONNECTION": "Connection",
}

FUNCTION_SCOPES = (cst.FunctionDef, cst.Lambda)
LOOPS = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def _precise_error(data: bytes, exc: cst.ParserSyntaxError) -> "PythonSyntaxError":
    """CPython's compiler (parse only, nothing runs) locates syntax errors better than libcst."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. invalid escape sequences in the scanned code
            ast.parse(data)
    except SyntaxError as err:
        if err.lineno:
            return PythonSyntaxError(err.msg, err.lineno, max(err.offset or 1, 1))
    except (ValueError, RecursionError, MemoryError):
        pass
    return PythonSyntaxError(exc.message, exc.raw_line, exc.raw_column + 1)


class PythonSyntaxError(Exception):
    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.line = line
        self.col = col


class UnsupportedSyntax(PythonSyntaxError):
    """Valid Python that the installed libcst cannot parse yet: a note, not CL000."""


def _failure(data: bytes, exc: Exception) -> PythonSyntaxError:
    """Why libcst did not parse `data`: a form it is behind on, or a real syntax error."""
    gap = python_syntax.t_string_gap(data)
    if gap is None:
        if isinstance(exc, cst.ParserSyntaxError):
            return _precise_error(data, exc)
        raise exc  # a libcst bug, not about t-strings: an internal error
    if gap.error is not None:  # fails with its t-strings respelled too: locate the error there
        return _precise_error(gap.source, gap.error)
    if gap.mixed is not None:
        return PythonSyntaxError(python_syntax.MIXED, gap.mixed[0], gap.mixed[1] + 1)
    return UnsupportedSyntax(
        f"uses {' and '.join(gap.constructs)} (Python 3.14, PEP 750), which libcst {_libcst_version()} cannot "
        "parse yet; file not linted", gap.line, 1,
    )


def _libcst_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("libcst")
    except PackageNotFoundError:
        return "(unknown version)"


MAX_NESTING = 200  # CPython's parser limit for nested brackets
_NOT_BRACKETS = re.compile(rb"[^()\[\]{}]+")


def _too_deep(data: bytes) -> bool:
    """Brackets nested past CPython's limit (over-approximated: brackets in strings count too)."""
    depth = deepest = 0
    for byte in _NOT_BRACKETS.sub(b"", data):
        if byte in b"([{":
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth = max(depth - 1, 0)
    return deepest > MAX_NESTING


def parse(path: str, data: bytes) -> "PythonFile":
    if _too_deep(data):  # libcst's native parser can overflow the C stack on such input
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(data)
        except SyntaxError as err:
            raise PythonSyntaxError(err.msg, err.lineno or 1, max(err.offset or 1, 1)) from None
        except (ValueError, RecursionError, MemoryError):
            raise PythonSyntaxError("source is nested too deeply to parse", 1, 1) from None
    try:
        module = cst.parse_module(data)
    except (cst.ParserSyntaxError, cst.CSTLogicError) as exc:  # CSTLogicError: libcst's own `t"a" t"b"` bug
        raise _failure(data, exc) from None
    except (UnicodeDecodeError, LookupError, SyntaxError) as exc:
        raise PythonSyntaxError(f"cannot decode source: {exc}", 1, 1) from None
    except RecursionError:
        raise PythonSyntaxError("source is nested too deeply to parse", 1, 1) from None
    return PythonFile(path, module, data)


_SKIPPED_FIELDS = frozenset({"lpar", "rpar", "comma", "semicolon", "whitespace", "header", "footer", "equal",
                             "colon", "dot", "star", "leading_lines", "lines_after_decorators", "newline",
                             "operator", "leading_whitespace", "trailing_whitespace"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(kind: type) -> tuple[str, ...]:
    names = _CHILD_FIELDS.get(kind)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(kind)
            if f.name not in _SKIPPED_FIELDS and not f.name.startswith("whitespace")
        )
        _CHILD_FIELDS[kind] = names
    return names


def _index(module: cst.Module, parents: dict, by_type: dict) -> None:
    """One walk over the tree (not libcst's visitor, which rebuilds every node): parents and nodes by type."""
    stack: list[cst.CSTNode] = [module]
    node_type = cst.CSTNode
    while stack:
        node = stack.pop()
        by_type[type(node)].append(node)
        children = []
        for name in _child_fields(type(node)):
            value = getattr(node, name)
            if isinstance(value, node_type):
                children.append(value)
            elif isinstance(value, (list, tuple)):
                children.extend(v for v in value if isinstance(v, node_type))
        for child in children:
            parents[child] = node
        stack.extend(reversed(children))


class PythonFile:
    language = "python"

    def __init__(self, path: str, module: cst.Module, data: bytes | None = None) -> None:
        self.path = path
        self.module = module
        self._data = data
        self._text: str | None = None
        self._line_starts: list[int] | None = None
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self._by_type: dict[type, list[cst.CSTNode]] = defaultdict(list)
        _index(module, self.parents, self._by_type)
        self.imports = self._collect_imports()
        self.constants = self._collect_constants()
        self._positions = None
        self._assignments: dict | None = None

    @cached_property
    def model(self) -> "PythonModel":
        """Scopes, bindings, classes and calls (lint/model/python.py), built the first time a rule asks."""
        from ..model.python import PythonModel

        return PythonModel(self)

    # ---- navigation -------------------------------------------------------------------
    def nodes(self, kind: type[N]) -> list[N]:
        """Every node of a libcst type, in source order."""
        return self._by_type.get(kind, [])  # type: ignore[return-value]

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(node)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        node = self.parents.get(node)
        while node is not None:
            yield node
            node = self.parents.get(node)

    def enclosing(self, node: cst.CSTNode, kinds: type | tuple[type, ...]) -> cst.CSTNode | None:
        for anc in self.ancestors(node):
            if isinstance(anc, kinds):
                return anc
        return None

    def enclosing_function(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        return self.enclosing(node, cst.FunctionDef)  # type: ignore[return-value]

    def enclosing_class(self, node: cst.CSTNode) -> cst.ClassDef | None:
        """The class whose body directly holds `node` (methods included), not a class inside a function."""
        for anc in self.ancestors(node):
            if isinstance(anc, cst.ClassDef):
                return anc
        return None

    def in_loop(self, node: cst.CSTNode) -> bool:
        """True when `node` runs once per iteration of a loop in its own function."""
        child = node
        for anc in self.ancestors(node):
            if isinstance(anc, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                return False
            if isinstance(anc, (cst.For, cst.While)) and child is anc.body:
                return True
            if isinstance(anc, (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)):
                return True
            child = anc
        return False

    # ---- names ------------------------------------------------------------------------
    def _collect_imports(self) -> dict[str, str]:
        imports: dict[str, str] = {}
        for imp in self.nodes(cst.Import):
            for alias in imp.names:
                dotted = _dotted(alias.name)
                if dotted is None:
                    continue
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    imports[alias.asname.name.value] = dotted
                else:
                    head = dotted.split(".")[0]
                    imports[head] = head
        for imp in self.nodes(cst.ImportFrom):
            if isinstance(imp.names, cst.ImportStar):
                continue
            base = "." * len(imp.relative) + (_dotted(imp.module) or "" if imp.module else "")
            for alias in imp.names:
                name = _dotted(alias.name)
                if name is None:
                    continue
                local = name
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    local = alias.asname.name.value
                imports[local] = f"{base}.{name}" if base and not base.endswith(".") else base + name
        return imports

    def qualname(self, expr: cst.BaseExpression | None) -> str | None:
        """Dotted name of a Name/Attribute chain with its head resolved through the file's imports."""
        dotted = _dotted(expr) if expr is not None else None
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        resolved = self.imports.get(head)
        if resolved is None:
            return dotted
        return f"{resolved}.{rest}" if rest else resolved

    def is_imported(self, expr: cst.BaseExpression | None) -> bool:
        dotted = _dotted(expr) if expr is not None else None
        return dotted is not None and dotted.split(".")[0] in self.imports

    def callee(self, call: cst.Call) -> str | None:
        return self.qualname(call.func)

    # ---- values -----------------------------------------------------------------------
    def _scope_assignments(self) -> dict[tuple[int, str], list[cst.BaseExpression]]:
        if self._assignments is None:
            table: dict[tuple[int, str], list[cst.BaseExpression]] = defaultdict(list)
            for node in self.nodes(cst.Assign):
                scope = id(self.enclosing_function(node) or self.module)
                for target in node.targets:
                    if isinstance(target.target, cst.Name):
                        table[(scope, target.target.value)].append(node.value)
            for node in self.nodes(cst.AnnAssign):
                if isinstance(node.target, cst.Name) and node.value is not None:
                    scope = id(self.enclosing_function(node) or self.module)
                    table[(scope, node.target.value)].append(node.value)
            self._assignments = table
        return self._assignments

    def assigned_values(self, name: cst.Name) -> list[cst.BaseExpression]:
        """Every value assigned to this name in the function (else module) where it is used."""
        scope = id(self.enclosing_function(name) or self.module)
        return self._scope_assignments().get((scope, name.value), [])

    def resolve(self, expr: cst.BaseExpression | None) -> cst.BaseExpression | None:
        """A Name bound exactly once in its function (or module) -> the bound value; else `expr`."""
        for _ in range(4):
            if not isinstance(expr, cst.Name):
                return expr
            values = self.assigned_values(expr)
            if len(values) != 1:
                if expr.value in self.constants:
                    return self.constants[expr.value]
                return expr
            expr = values[0]
        return expr

    def _collect_constants(self) -> dict[str, cst.BaseExpression]:
        """Module-level names bound exactly once to a literal."""
        counts: dict[str, int] = defaultdict(int)
        values: dict[str, cst.BaseExpression] = {}
        for stmt in self.module.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1:
                    target = small.targets[0].target
                    if isinstance(target, cst.Name):
                        counts[target.value] += 1
                        values[target.value] = small.value
                elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value:
                    counts[small.target.value] += 1
                    values[small.target.value] = small.value
        return {name: val for name, val in values.items() if counts[name] == 1}

    def string_value(self, expr: cst.BaseExpression | None, _depth: int = 0) -> str | None:
        """The str a literal, an f-string without fields, a module constant or a known library constant holds."""
        if expr is None or _depth > 5:
            return None
        if isinstance(expr, cst.ConcatenatedString) and any(
            isinstance(part, cst.TemplatedString) for part in python_syntax.string_parts(expr)
        ):
            return None  # `t"a" "b"`: a Template (libcst parses it, CPython 3.14 rejects it)
        if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
            try:
                value = expr.evaluated_value
            except (ValueError, SyntaxError):  # malformed literal that libcst still parsed
                return None
            if isinstance(value, bytes):
                return value.decode("latin-1")
            return value
        if isinstance(expr, cst.FormattedString):
            parts = []
            for part in expr.parts:
                if not isinstance(part, cst.FormattedStringText):
                    return None
                parts.append(part.value)
            return "".join(parts)
        if isinstance(expr, cst.Name):
            if expr.value in self.constants:
                return self.string_value(self.constants[expr.value], _depth + 1)
        if isinstance(expr, (cst.Name, cst.Attribute)):
            q = self.qualname(expr)
            if q in KNOWN_CONSTANTS:
                return KNOWN_CONSTANTS[q]
        if isinstance(expr, cst.Call) and len(expr.args) == 1 and self.qualname(expr.func) in (
            "multidict.istr",
            "str",
        ):
            return self.string_value(expr.args[0].value, _depth + 1)
        return None

    def bool_value(self, expr: cst.BaseExpression | None, _depth: int = 0) -> bool | None:
        """True/False, followed through module constants."""
        if isinstance(expr, cst.Name):
            if expr.value in ("True", "False"):
                return expr.value == "True"
            if expr.value in self.constants and _depth < 5:
                return self.bool_value(self.constants[expr.value], _depth + 1)
        return None

    def number_value(self, expr: cst.BaseExpression | None) -> float | None:
        if isinstance(expr, cst.Integer):
            return float(expr.evaluated_value)
        if isinstance(expr, cst.Float):
            return float(expr.evaluated_value)
        if isinstance(expr, cst.Name) and expr.value in self.constants:
            const = self.constants[expr.value]
            if isinstance(const, (cst.Integer, cst.Float)):
                return float(const.evaluated_value)
        return None

    # ---- calls ------------------------------------------------------------------------
    @staticmethod
    def arg(call: cst.Call, keyword: str | None = None, position: int | None = None) -> cst.BaseExpression | None:
        """A call's argument by keyword, else by position (positional arguments only)."""
        if keyword is not None:
            for a in call.args:
                if a.keyword is not None and a.keyword.value == keyword:
                    return a.value
        if position is not None:
            positional = [a for a in call.args if a.keyword is None and not a.star]
            if position < len(positional):
                return positional[position].value
        return None

    # ---- positions and edits (for fixes) ------------------------------------------------
    @property
    def source_text(self) -> str:
        """The decoded source, exactly what positions and fix offsets refer to."""
        if self._text is None:
            self._text = self._data.decode(self.module.encoding) if self._data is not None else self.module.code
        return self._text

    def _position(self, node: cst.CSTNode):
        if self._positions is None:
            wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
            self._positions = wrapper.resolve(PositionProvider)
        return self._positions[node]

    def offset(self, line: int, column: int) -> int:
        """Character offset of a 1-based line and 0-based column."""
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in _NEWLINE.finditer(self.source_text)]
        return self._line_starts[line - 1] + column

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        rng = self._position(node)
        return self.offset(rng.start.line, rng.start.column), self.offset(rng.end.line, rng.end.column)

    def delete_statement(self, node: cst.CSTNode) -> Edit | None:
        """Remove the whole line(s) of the simple statement holding `node`, when it stands alone there.

        A block left empty gets `pass`. None when the statement shares its line with another.
        """
        line = node if isinstance(node, cst.SimpleStatementLine) else self.enclosing(node, cst.SimpleStatementLine)
        if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
            return None
        start, end = self.span(line.body[0])
        text = self.source_text
        line_start = text.rfind("\n", 0, start) + 1
        line_end = _line_end(text, end)
        if text[line_start:start].strip() or text[end:line_end].strip().lstrip(";").strip()[:1] not in ("", "#"):
            return None
        block = self.parent(line)
        if isinstance(block, cst.IndentedBlock) and len(block.body) == 1:
            return Edit(start, end, "pass")
        return Edit(line_start, _merge_blank_lines(text, line_start, _after_newline(text, line_end)), "")

    def delete_from_list(self, items: Sequence[cst.CSTNode], item: cst.CSTNode) -> Edit:
        """Remove one argument/element/dict entry from a comma-separated list, with its comma.

        An item alone on its line(s) goes with them (and its trailing comment), so the other items keep their
        commas and comments; the only item leaves empty brackets `()`.
        """
        index = next(i for i, x in enumerate(items) if x is item)
        start, end = self.span(item)
        text = self.source_text
        after = _after_comma(text, end)
        if len(items) == 1:
            before = text[:start].rstrip()
            closing = re.compile(r"\s*").match(text, after).end()
            if before[-1:] and before[-1] in "([{" and text[closing:closing + 1] in (")", "]", "}"):
                return Edit(len(before), closing, "")
        line_start = text.rfind("\n", 0, start) + 1
        line_end = _line_end(text, after)
        rest = text[after:line_end].strip()
        if not text[line_start:start].strip() and (not rest or rest.startswith("#")):
            return Edit(line_start, _after_newline(text, line_end), "")
        if index + 1 < len(items):
            return Edit(start, self.span(items[index + 1])[0], "")
        if index > 0:
            previous_end = self._value_end(items[index - 1])
            return Edit(previous_end, _after_comma(self.source_text, end), "")
        return Edit(start, _after_comma(self.source_text, end), "")

    def _value_end(self, item: cst.CSTNode) -> int:
        inner = getattr(item, "value", item)
        end = self.span(inner)[1]
        for _ in getattr(inner, "rpar", ()):  # a parenthesised value, e.g. a tuple: its span stops inside
            match = re.compile(r"\s*\)").match(self.source_text, end)
            end = match.end() if match else end
        return end

    def replace(self, node: cst.CSTNode, text: str) -> Edit:
        start, end = self.span(node)
        return Edit(start, end, text)

    # ---- reporting --------------------------------------------------------------------
    def report(
        self,
        node: cst.CSTNode,
        message: str | None = None,
        severity: Severity | None = None,
        fix: Fix | None = None,
    ) -> Hit:
        rng = self._position(node)
        return Hit(
            rng.start.line,
            rng.start.column + 1,
            rng.end.line,
            rng.end.column + 1,
            message=message,
            severity=severity,
            fix=fix,
        )


_NEWLINE = re.compile(r"\r\n|\r|\n")


def _line_end(text: str, pos: int) -> int:
    match = _NEWLINE.search(text, pos)
    return match.start() if match else len(text)


def _after_newline(text: str, pos: int) -> int:
    match = _NEWLINE.match(text, pos)
    return match.end() if match else pos


def _merge_blank_lines(text: str, start: int, end: int) -> int:
    """`end` of removed whole lines [start, end), widened so that the blank lines before and after them do not
    add up: the longer run stays."""
    before = 0
    pos = start
    while pos > 0:
        previous = text.rfind("\n", 0, pos - 1) + 1
        if text[previous:pos].strip():
            break
        before += 1
        pos = previous
    if not before:
        return end
    for _ in range(before):
        match = re.compile(r"[ \t]*(\r\n|\r|\n)").match(text, end)
        if match is None:
            break
        end = match.end()
    return end


def _after_comma(text: str, pos: int) -> int:
    """Past a trailing comma (and spaces) right after `pos`, if there is one."""
    match = re.compile(r"[ \t]*,[ \t]*").match(text, pos)
    return match.end() if match else pos


def _dotted(expr: cst.CSTNode | None) -> str | None:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        base = _dotted(expr.value)
        return f"{base}.{expr.attr.value}" if base else None
    return None


def dotted(expr: cst.CSTNode | None) -> str | None:
    """`a.b.c` spelled as written (no import resolution)."""
    return _dotted(expr)


def dict_items(expr: cst.BaseExpression | None) -> Sequence[tuple[cst.BaseExpression, cst.BaseExpression]]:
    """(key, value) pairs of a dict literal or a `dict(k=v)` call; empty for anything else."""
    if isinstance(expr, cst.Dict):
        return [(el.key, el.value) for el in expr.elements if isinstance(el, cst.DictElement)]
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "dict":
        pairs = []
        for a in expr.args:
            if a.keyword is not None:
                pairs.append((cst.SimpleString(repr(a.keyword.value)), a.value))
        return pairs
    return []
