"""Go helpers shared by several rules: import paths, syntax wrappers, and what a name refers to.

`GoNames` resolves a type or function expression to (import path, name), dot imports included, and a local
name to the function parameter or the local bindings that declare it.
"""

from __future__ import annotations

from functools import cached_property
from typing import Iterator

import tree_sitter

from connlint.findings import Edit
from connlint.frontends.go import GoFile, decode_string, import_base

Node = tree_sitter.Node

NET_HTTP = "net/http"
HTTP2 = "golang.org/x/net/http2"
FASTHTTP = "github.com/valyala/fasthttp"
FIBER = "github.com/gofiber/fiber"
GIN = "github.com/gin-gonic/gin"
ECHO = "github.com/labstack/echo"

METHOD_CALLS = """
(call_expression
  function: (selector_expression operand: (_) @recv field: (field_identifier) @method)
  arguments: (argument_list) @args) @call
"""
COMPOSITE_LITERALS = "(composite_literal type: (_) @type body: (literal_value) @body) @lit"
_ASSIGNMENTS = """
(assignment_statement left: (expression_list) @left operator: "=" right: (expression_list) @right) @assign
"""
_BINDINGS = """
(short_var_declaration left: (expression_list) @left right: (expression_list) @right)
(assignment_statement left: (expression_list) @left operator: "=" right: (expression_list) @right)
"""
_VAR_SPECS = "(var_spec) @spec"
_WRAPPERS = ("parenthesized_expression", "literal_element")


def named(node: Node | None) -> list[Node]:
    """A node's named children without comments ([] for None)."""
    return [c for c in node.named_children if c.type != "comment"] if node is not None else []


def strip(node: Node | None) -> Node | None:
    """The expression inside parentheses and `literal_element` wrappers."""
    while node is not None and node.type in _WRAPPERS and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def within(node: Node, outer: Node) -> bool:
    """Whether `node` lies inside `outer` (by byte range)."""
    return outer.start_byte <= node.start_byte and node.end_byte <= outer.end_byte


def node_key(node: Node) -> tuple[int, int, str]:
    """A node's identity that does not depend on the wrapper object tree-sitter hands out."""
    return (node.start_byte, node.end_byte, node.type)


def assignments(f: GoFile) -> Iterator[tuple[Node, Node, Node, int]]:
    """(statement, target, value, number of targets) for each target of an `a, b = x, y` assignment."""
    for m in f.matches(_ASSIGNMENTS):
        left, right = named(m["left"]), named(m["right"])
        if len(left) != len(right):
            continue
        for target, value in zip(left, right):
            yield m["assign"], target, value, len(left)


class GoNames:
    """What names in a Go file refer to: package members (dot imports too) and each function's local bindings."""

    def __init__(self, f: GoFile) -> None:
        self.f = f
        self.dot_imports = self._dot_imports()

    @cached_property
    def bindings(self) -> dict[tuple[int, str], list[tuple[str, object]]]:
        """(function start byte, name) -> [("value", node or None) or ("type", type node)], in source order."""
        found: dict[tuple[int, str], list[tuple[str, object]]] = {}
        self._collect_bindings(found)
        return found

    def _dot_imports(self) -> set[str]:
        found = set()
        for spec in self.f.captures("(import_spec) @spec").get("spec", []):
            name, path = spec.child_by_field_name("name"), spec.child_by_field_name("path")
            if name is not None and name.type == "dot" and path is not None:
                found.add(import_base(decode_string(self.f.source[path.start_byte:path.end_byte]) or ""))
        return found

    def member(self, node) -> tuple[str, str] | None:
        """(import path, name) of `pkg.Name`, `*pkg.Name` or a dot-imported `Name`."""
        node = strip(node)
        if node is None:
            return None
        if node.type == "pointer_type" and node.named_child_count == 1:
            return self.member(node.named_children[0])
        sel = self.f.selector(node)
        if sel is not None:
            return sel
        if node.type in ("identifier", "type_identifier") and len(self.dot_imports) == 1:  # several: ambiguous
            return next(iter(self.dot_imports)), self.f.text(node)
        return None

    @staticmethod
    def scope(node) -> int:
        """The start byte of the function holding `node` (-1 at package level): the key of its bindings."""
        func = GoFile.enclosing_function(node)
        return func.start_byte if func is not None else -1

    def _bind(self, found: dict, ident, kind: str, value) -> None:
        if ident.type == "identifier" and self.f.text(ident) != "_":
            found.setdefault((self.scope(ident), self.f.text(ident)), []).append((kind, value))

    def _collect_bindings(self, found: dict) -> None:
        f = self.f
        for m in f.matches(_BINDINGS):
            left, right = named(m["left"]), named(m["right"])
            for i, ident in enumerate(left):
                if len(right) == len(left):
                    self._bind(found, ident, "value", right[i])
                elif len(right) == 1 and i == 0:  # req, err := http.NewRequest(...)
                    self._bind(found, ident, "value", right[0])
                else:
                    self._bind(found, ident, "value", None)
        for spec in f.captures(_VAR_SPECS).get("spec", []):
            names = spec.children_by_field_name("name")
            value = spec.child_by_field_name("value")
            values = named(value) if value is not None else []
            for i, ident in enumerate(names):
                if values:
                    self._bind(found, ident, "value", values[i] if len(values) == len(names) else None)
                else:
                    self._bind(found, ident, "type", spec.child_by_field_name("type"))

    def lookup(self, ident):
        """Where a name used at `ident` comes from: ("param", func, type), ("local", func, bindings) or None."""
        name = self.f.text(ident)
        func = GoFile.enclosing_function(ident)
        while func is not None:
            params = func.child_by_field_name("parameters")
            for decl in named(params):
                if decl.type in ("parameter_declaration", "variadic_parameter_declaration"):
                    if any(self.f.text(n) == name for n in decl.children_by_field_name("name")):
                        return "param", func, decl.child_by_field_name("type")
            local = self.bindings.get((func.start_byte, name))
            if local:
                return "local", func, local
            func = GoFile.enclosing_function(func)
        return None


# ---- fixes ---------------------------------------------------------------------------------

def go_delete_statement(f: GoFile, node) -> Edit | None:
    """Remove the statement that is exactly `node` (a call statement or a one-target `=`), alone on its lines."""
    statement = node.parent if node.type == "call_expression" else node
    if statement is None or (node.type == "call_expression" and statement.type != "expression_statement"):
        return None
    if node.type == "assignment_statement" and (
        f.text(node.child_by_field_name("operator")) != "=" or len(named(node.child_by_field_name("left"))) != 1
    ):
        return None
    if statement.parent is None or statement.parent.type not in ("statement_list", "block"):
        return None  # `for ...; ...; post {`, a label, an `if` initialiser: not a statement of its own
    if f.orphaned_names(statement):
        return None  # Go rejects the import or local variable that only this statement used
    return f.delete_statement(statement)


def go_delete_element(f: GoFile, element) -> Edit | None:
    """Remove a composite literal's element, unless Go would then reject an import or variable only it used."""
    return None if f.orphaned_names(element) else f.delete_element(element)
