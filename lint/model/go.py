"""The semantic model of a Go file: lexical scopes, bindings and their references and later writes,
imports (dot imports too), the types of values where the file shows them, and calls by qualified name.

    model = f.model
    model.resolve(ident)                       # Binding or None (an import, a builtin, another file's)
    model.calls("net/http.ListenAndServe")     # package functions, as imported
    model.calls("net/http.Server.Shutdown")    # methods, on values whose type the file shows
    model.type_of(expr)                        # "*net/http.Server", "net/http.Server", "server" (a local type)

Scopes follow the language: a function's parameters and results, each block, the implicit blocks of
`if`, `for`, `switch` and `select` and of each case; a local name's scope starts after its declaration
(`x := x + 1` reads the outer x); `a, err := f()` redeclares nothing it already has in the same scope.
Package-level names are found in this file, then in the package view (lint/model/package.py) when the
engine gives one. Everything is indexed from three queries, the first time a rule asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Iterator

from tree_sitter import Node

if TYPE_CHECKING:
    from ..frontends.go import GoFile
    from .package import GoPackage

SCOPES = frozenset({
    "source_file", "function_declaration", "method_declaration", "func_literal", "block", "if_statement",
    "for_statement", "expression_switch_statement", "type_switch_statement", "select_statement",
    "expression_case", "type_case", "default_case", "communication_case",
})
FUNCTIONS = ("function_declaration", "method_declaration", "func_literal")

_DECLARATIONS = """
(short_var_declaration left: (expression_list (identifier) @var))
(var_spec name: (identifier) @var)
(const_spec name: (identifier) @const)
(parameter_declaration name: (identifier) @param)
(variadic_parameter_declaration name: (identifier) @param)
(range_clause left: (expression_list (identifier) @range))
(type_switch_statement alias: (expression_list (identifier) @var))
(receive_statement left: (expression_list (identifier) @var))
(function_declaration name: (identifier) @func)
(type_spec name: (type_identifier) @type)
(type_alias name: (type_identifier) @type)
"""
_WRITES = """
(assignment_statement left: (expression_list) @left right: (expression_list) @right) @assign
(inc_statement (identifier) @step)
(dec_statement (identifier) @step)
(unary_expression operator: "&" operand: (identifier) @address)
"""
_USES = """
(identifier) @id
(call_expression function: (_) @function) @call
"""


@dataclass(eq=False)
class Binding:
    """A name declared in the file: what it is, where it is visible, its value and its later writes."""

    name: str
    kind: str  # "var", "const", "param", "range", "func", "type"
    model: "GoModel"  # of the file that declares it (another file of the package, for a package-level name)
    node: Node  # the declaring identifier
    scope: Node  # the node whose extent the name is visible in (source_file: the package)
    visible_from: int  # byte offset where its scope starts
    value: Node | None = None  # the initial value, when the declaration pairs names and values
    type: Node | None = None  # the declared type
    result_of: tuple[Node, int] | None = None  # `a, b := f()`: (the call, which result)
    writes: list[tuple[Node, Node | None]] = field(default_factory=list)  # (statement, value or None) later
    address_taken: bool = False  # `&x`: it may change through a pointer

    @property
    def package_level(self) -> bool:
        return self.scope.type == "source_file"

    @property
    def exported(self) -> bool:
        return self.package_level and self.name[:1].isupper()


class GoModel:
    def __init__(self, f: "GoFile") -> None:
        self.f = f
        self.package: "GoPackage | None" = None  # set by the engine when it lints a package together

    # ---- imports ----------------------------------------------------------------------------------
    @cached_property
    def dot_imports(self) -> tuple[str, ...]:
        from ..frontends.go import decode_string, import_base

        found = []
        for spec in self.f.captures("(import_spec) @spec").get("spec", []):
            name, path = spec.child_by_field_name("name"), spec.child_by_field_name("path")
            if name is not None and name.type == "dot" and path is not None:
                found.append(import_base(decode_string(self.f.source[path.start_byte:path.end_byte]) or ""))
        return tuple(sorted(set(found)))

    def qualified(self, node: Node | None) -> str | None:
        """`pkg.Name`, `*pkg.Name` or a dot-imported `Name` as "import/path.Name" (no /vN suffix); None
        when it names nothing imported (a local, or `pkg` shadowed by a local)."""
        from ..frontends.go import import_base

        node = _strip(node)
        if node is None:
            return None
        if node.type == "pointer_type" and node.named_child_count == 1:
            return self.qualified(node.named_children[0])
        if node.type == "generic_type":
            return self.qualified(node.child_by_field_name("type"))
        if node.type in ("selector_expression", "qualified_type"):
            operand = node.child_by_field_name("operand" if node.type == "selector_expression" else "package")
            member = node.child_by_field_name("field" if node.type == "selector_expression" else "name")
            if operand is None or member is None or operand.type not in ("identifier", "package_identifier"):
                return None
            path = self.f.imports.get(self.f.text(operand))
            if path is None or (operand.type == "identifier" and self.resolve(operand) is not None):
                return None
            return f"{import_base(path)}.{self.f.text(member)}"
        if node.type in ("identifier", "type_identifier") and len(self.dot_imports) == 1:
            if self.resolve(node) is None:  # several dot imports: which one is ambiguous
                return f"{self.dot_imports[0]}.{self.f.text(node)}"
        return None

    # ---- scopes and bindings ----------------------------------------------------------------------
    @cached_property
    def _bindings(self) -> dict[int, dict[str, list[Binding]]]:
        """scope node id -> name -> bindings in source order, with each binding's later writes."""
        scopes: dict[int, dict[str, list[Binding]]] = {}
        declared = self.f.captures(_DECLARATIONS)
        found = sorted(((kind, node) for kind, nodes in declared.items() for node in nodes),
                       key=lambda item: item[1].start_byte)
        for kind, ident in found:
            binding = self._binding(kind, ident)
            if binding is None:
                continue
            same = scopes.setdefault(binding.scope.id, {}).setdefault(binding.name, [])
            if kind == "var" and ident.parent.type == "expression_list" and same and \
                    ident.parent.parent.type == "short_var_declaration":
                same[-1].writes.append((ident.parent.parent, binding.value))  # `a, err :=` reuses err
                continue
            same.append(binding)
        self.__dict__["_bindings"] = scopes  # resolve() below reads it
        self._index_writes()
        return scopes

    def _binding(self, kind: str, ident: Node) -> Binding | None:
        name = self.f.text(ident)
        if name == "_":
            return None
        decl = ident.parent
        if kind == "param":
            owner = decl.parent.parent if decl.parent is not None else None
            if owner is None or owner.type not in FUNCTIONS:
                return None  # a parameter of a function type, not a binding
            return Binding(name, "param", self, ident, owner, decl.end_byte, type=decl.child_by_field_name("type"))
        if kind == "func":
            return Binding(name, "func", self, ident, self.f.root, 0, value=decl)
        if kind in ("range", "var") and decl.type == "expression_list":
            statement = decl.parent
            if statement.type in ("range_clause", "receive_statement") and not _declares(statement):
                return None  # `for i = range`, `case v = <-ch`: assignments
            scope = statement if statement.type == "type_switch_statement" else _scope_of(statement)
            binding = Binding(name, "range" if kind == "range" else "var", self, ident, scope, statement.end_byte)
            right = statement.child_by_field_name("right") or statement.child_by_field_name("value")
            values = _named(right) if right is not None and statement.type == "short_var_declaration" else []
            left = _named(decl)
            if len(values) == len(left):
                binding.value = values[left.index(ident)]
            elif len(values) == 1 and values[0].type == "call_expression":
                binding.result_of = (values[0], left.index(ident))
            return binding
        # var_spec, const_spec, type_spec, type_alias
        scope = _scope_of(decl)
        top = scope.type == "source_file"
        if kind == "type":
            return Binding(name, "type", self, ident, scope, 0 if top else ident.start_byte, value=decl)
        names = decl.children_by_field_name("name")
        values = _named(decl.child_by_field_name("value"))
        binding = Binding(name, kind, self, ident, scope, 0 if top else decl.end_byte,
                          type=decl.child_by_field_name("type"))
        if len(values) == len(names):
            binding.value = values[names.index(ident)]
        elif len(values) == 1 and values[0].type == "call_expression":
            binding.result_of = (values[0], names.index(ident))
        return binding

    def bindings(self) -> Iterator[Binding]:
        for names in self._bindings.values():
            for found in names.values():
                yield from found

    def package_bindings(self, name: str) -> list[Binding]:
        return self._bindings.get(self.f.root.id, {}).get(name, [])

    def resolve(self, ident: Node, local: bool = False) -> Binding | None:
        """The binding a name refers to at `ident`: the innermost visible one; None for an import, a builtin,
        or a package-level name of another file (asked of the package view when there is one, unless `local`)."""
        name = self.f.text(ident)
        node: Node | None = ident
        while node is not None:
            names = self._bindings.get(node.id)
            if names is not None:
                for binding in reversed(names.get(name, ())):
                    if binding.node.id == ident.id or binding.visible_from <= ident.start_byte:
                        return binding
            node = node.parent
        if self.package is not None and not local and name not in self.f.imports:
            return self.package.binding(name, self)
        return None

    # ---- uses -------------------------------------------------------------------------------------
    @cached_property
    def _uses(self) -> tuple[dict[str, list[Node]], list[Node]]:
        """(name -> identifiers, call expressions), from one query."""
        captures = self.f.captures(_USES)
        by_name: dict[str, list[Node]] = {}
        for ident in captures.get("id", []):
            by_name.setdefault(self.f.text(ident), []).append(ident)
        return by_name, captures.get("call", [])

    def references(self, binding: Binding) -> list[Node]:
        """The identifiers that refer to `binding` in this file (its declaration and struct keys excluded), in
        source order."""
        found = []
        for ident in self._uses[0].get(binding.name, ()):
            if ident.id == binding.node.id or _is_literal_key(ident):
                continue
            if self.resolve(ident) is binding:
                found.append(ident)
        return sorted(found, key=lambda n: n.start_byte)

    def _index_writes(self) -> None:
        """Each binding's writes in this file (a package-level one's in other files: GoPackage.writes)."""
        for match in self.f.matches(_WRITES):
            if "assign" in match:
                left, right = _named(match["left"]), _named(match["right"])
                for i, target in enumerate(left):
                    binding = self.resolve(target, local=True) if target.type == "identifier" else None
                    if binding is not None:
                        value = right[i] if len(right) == len(left) and _operator(match["assign"]) == "=" else None
                        binding.writes.append((match["assign"], value))
            elif "step" in match:
                binding = self.resolve(match["step"], local=True)
                if binding is not None:
                    binding.writes.append((match["step"].parent, None))
            elif "address" in match:
                binding = self.resolve(match["address"], local=True)
                if binding is not None:
                    binding.address_taken = True

    # ---- calls ------------------------------------------------------------------------------------
    @cached_property
    def _call_index(self) -> tuple[dict[str, list[Node]], dict[str, list[Node]]]:
        """(qualified function -> calls, method name -> calls of `x.name(...)` on a non-package x)."""
        functions: dict[str, list[Node]] = {}
        methods: dict[str, list[Node]] = {}
        for call in self._uses[1]:
            function = _strip(call.child_by_field_name("function"))
            if function is None:
                continue
            name = self.qualified(function)
            if name is not None:
                functions.setdefault(name, []).append(call)
            elif function.type == "identifier":
                binding = self.resolve(function)
                if binding is not None and binding.kind == "func":
                    functions.setdefault(binding.name, []).append(call)
            elif function.type == "selector_expression":
                member = function.child_by_field_name("field")
                if member is not None:
                    methods.setdefault(self.f.text(member), []).append(call)
        return functions, methods

    def calls(self, name: str) -> list[Node]:
        """Calls of "import/path.Func", of a package-level function "name", or of a method
        "import/path.Type.Method" / "Type.Method" on values whose type the model can tell."""
        functions, methods = self._call_index
        if name in functions:
            return sorted(functions[name], key=lambda n: n.start_byte)
        owner, _, method = name.rpartition(".")
        if not owner or method not in methods:
            return []
        found = []
        for call in methods[method]:
            operand = call.child_by_field_name("function").child_by_field_name("operand")
            if (self.type_of(operand) or "").lstrip("*") == owner:
                found.append(call)
        return sorted(found, key=lambda n: n.start_byte)

    def method_calls(self, method: str) -> list[Node]:
        """Every `x.method(...)` call whose x is not an imported package, whatever x's type."""
        return sorted(self._call_index[1].get(method, ()), key=lambda n: n.start_byte)

    # ---- types ------------------------------------------------------------------------------------
    def type_name(self, node: Node | None) -> str | None:
        """A type expression's name: "*import/path.T", "import/path.T", or a package type "T"."""
        node = _strip(node)
        if node is None:
            return None
        if node.type == "pointer_type" and node.named_child_count == 1:
            inner = self.type_name(node.named_children[0])
            return "*" + inner if inner else None
        if node.type == "generic_type":
            return self.type_name(node.child_by_field_name("type"))
        qualified = self.qualified(node)
        if qualified is not None:
            return qualified
        if node.type == "type_identifier":
            return self.f.text(node)
        return None

    def type_of(self, expr: Node | None, _depth: int = 0) -> str | None:
        """The type of a value where the file shows it: a composite literal, `&T{}`, `new(T)`, a declared
        or initialised variable, a call of a package function with one result, a struct field."""
        expr = _strip(expr)
        if expr is None or _depth > 8:
            return None
        kind = expr.type
        if kind == "composite_literal":
            return self.type_name(expr.child_by_field_name("type"))
        if kind == "unary_expression" and self.f.text(expr.child_by_field_name("operator")) == "&":
            inner = self.type_of(expr.child_by_field_name("operand"), _depth + 1)
            return "*" + inner if inner and not inner.startswith("*") else None
        if kind == "call_expression":
            function = _strip(expr.child_by_field_name("function"))
            if function is not None and function.type == "identifier" and self.f.text(function) == "new":
                args = self.f.call_args(expr)
                inner = self.type_name(args[0]) if len(args) == 1 else None
                return "*" + inner if inner else None
            return self.result_type(expr, 0)
        if kind == "identifier":
            binding = self.resolve(expr)
            if binding is None or binding.kind in ("func", "type"):
                return None
            owner = binding.model
            if binding.type is not None:
                return owner.type_name(binding.type)
            if binding.result_of is not None:
                return owner.result_type(binding.result_of[0], binding.result_of[1])
            return owner.type_of(binding.value, _depth + 1)
        if kind == "selector_expression":
            owner = (self.type_of(expr.child_by_field_name("operand"), _depth + 1) or "").lstrip("*")
            return self.field_type(owner, self.f.text(expr.child_by_field_name("field"))) if owner else None
        return None

    def result_type(self, call: Node, index: int) -> str | None:
        """The type of the `index`-th result of a call of a package function."""
        function = _strip(call.child_by_field_name("function"))
        binding = self.resolve(function) if function is not None and function.type == "identifier" else None
        if binding is None or binding.kind != "func":
            return None
        return binding.model.declared_result(binding.value, index)

    def declared_result(self, declaration: Node, index: int) -> str | None:
        result = declaration.child_by_field_name("result")
        if result is None:
            return None
        if result.type != "parameter_list":
            return self.type_name(result) if index == 0 else None
        types = [d.child_by_field_name("type") for d in _named(result)
                 for _ in (d.children_by_field_name("name") or [None])]
        return self.type_name(types[index]) if index < len(types) else None

    def field_type(self, type_name: str, field_name: str) -> str | None:
        """The type name of a field of a struct type of this file's package."""
        bindings = self.package_bindings(type_name)
        if not bindings and self.package is not None:
            found = self.package.binding(type_name, self)
            bindings = [found] if found is not None else []
        for binding in bindings:
            if binding.kind == "type":
                return binding.model.declared_field(binding.value, field_name)
        return None

    def declared_field(self, type_spec: Node, field_name: str) -> str | None:
        for decl in _named(_field_list(type_spec.child_by_field_name("type"))):
            names = decl.children_by_field_name("name") if decl.type == "field_declaration" else []
            if any(self.f.text(n) == field_name for n in names):
                return self.type_name(decl.child_by_field_name("type"))
        return None


# ---- syntax helpers ---------------------------------------------------------------------------------

def _named(node: Node | None) -> list[Node]:
    return [c for c in node.named_children if c.type != "comment"] if node is not None else []


def _strip(node: Node | None) -> Node | None:
    while node is not None and node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def _scope_of(node: Node) -> Node:
    parent = node.parent
    while parent is not None and parent.type not in SCOPES:
        parent = parent.parent
    return parent if parent is not None else node


def _declares(statement: Node) -> bool:
    """`:=` (a declaration) rather than `=` in a range clause or a select case."""
    return any(not child.is_named and child.type == ":=" for child in statement.children)


def _operator(statement: Node) -> str:
    operator = statement.child_by_field_name("operator")
    return operator.type if operator is not None else "="


def _is_literal_key(ident: Node) -> bool:
    parent = ident.parent
    return (parent is not None and parent.type == "literal_element" and parent.parent is not None
            and parent.parent.type == "keyed_element" and parent.parent.named_children[0].id == parent.id)


def _field_list(struct: Node | None) -> Node | None:
    if struct is None or struct.type != "struct_type":
        return None
    return next((c for c in struct.named_children if c.type == "field_declaration_list"), None)
