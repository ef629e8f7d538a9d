"""The semantic model of a Python file: scopes, bindings and their references, imports and aliases,
the class hierarchy, the values names hold and calls by qualified name.

    model = f.model
    model.resolve(name)                  # Binding or None (a builtin, or unknown)
    model.qualname(expr)                 # "httpx.AsyncClient" for `hx.AsyncClient` after `import httpx as hx`
    model.calls("httpx.Client")          # calls of it, through any alias or local re-binding
    model.bases(cls)                     # qualified bases, through classes of the file
    model.subclasses("http.server.BaseHTTPRequestHandler")   # classes of the file deriving from it
    model.created_by(expr)               # "httpx.Client" for a name bound once to `httpx.Client(...)`

Scopes follow the language: a name bound anywhere in a function is local to all of it (unless declared
`global`/`nonlocal`); class bodies do not enclose their methods; comprehensions and lambdas have their
own scope. Built from the frontend's one index walk (PythonFile.nodes), the first time a rule asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Iterator

import libcst as cst

if TYPE_CHECKING:
    from ..frontends.python import PythonFile

SCOPE_NODES = (cst.Module, cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp,
               cst.GeneratorExp)


@dataclass(eq=False)
class Binding:
    """A name bound in a scope: each place that binds it, with the value when the file shows one."""

    name: str
    scope: cst.CSTNode
    kind: str  # "assign", "import", "def", "class", "param", "loop", "with", "except", "global"
    nodes: list[cst.CSTNode] = field(default_factory=list)  # the binding Name (or alias) nodes
    values: list[cst.BaseExpression | None] = field(default_factory=list)  # None: a value the file cannot show
    imported: str | None = None  # "httpx.Client" for `from httpx import Client`

    @property
    def value(self) -> cst.BaseExpression | None:
        """The one value when the name is bound exactly once to a visible value."""
        return self.values[0] if len(self.values) == 1 else None


class PythonModel:
    def __init__(self, f: "PythonFile") -> None:
        self.f = f

    # ---- scopes and bindings ----------------------------------------------------------------------
    def scope_of(self, node: cst.CSTNode) -> cst.CSTNode:
        """The scope a name at `node` is looked up in first (a decorator or default: the enclosing one)."""
        child = node
        for anc in self.f.ancestors(node):
            if isinstance(anc, SCOPE_NODES) and not self._outside(anc, child):
                return anc
            child = anc
        return self.f.module

    @staticmethod
    def _outside(scope: cst.CSTNode, child: cst.CSTNode) -> bool:
        """Is `child` (a direct child of `scope`) evaluated in the enclosing scope: a function's decorators,
        defaults, annotations and name, a class's bases and decorators?"""
        if isinstance(scope, (cst.FunctionDef, cst.ClassDef)):
            return child is not scope.body
        return False

    @cached_property
    def _scopes(self) -> dict[int, dict[str, Binding]]:
        scopes: dict[int, dict[str, Binding]] = {}
        declared: dict[int, set[str]] = {}  # global / nonlocal names per scope

        def bind(at: cst.CSTNode, name: str, kind: str, node: cst.CSTNode, value: cst.BaseExpression | None,
                 imported: str | None = None, scope: cst.CSTNode | None = None) -> None:
            scope = scope if scope is not None else self.scope_of(at)
            if name in declared.get(id(scope), ()):
                scope = self.f.module
            names = scopes.setdefault(id(scope), {})
            binding = names.get(name)
            if binding is None:
                binding = names[name] = Binding(name, scope, kind, imported=imported)
            binding.nodes.append(node)
            binding.values.append(value)
            if binding.kind != kind:
                binding.kind = "assign"  # bound in several ways: no single kind to trust

        f = self.f
        for stmt in f.nodes(cst.Global) + f.nodes(cst.Nonlocal):
            scope = self.scope_of(stmt)
            declared.setdefault(id(scope), set()).update(item.name.value for item in stmt.names)
        for node in f.nodes(cst.Assign):
            for target in node.targets:
                for name, value in _targets(target.target, node.value):
                    bind(node, name.value, "assign", name, value)
        for node in f.nodes(cst.AnnAssign):
            if isinstance(node.target, cst.Name):
                bind(node, node.target.value, "assign", node.target, node.value)
        for node in f.nodes(cst.AugAssign):
            if isinstance(node.target, cst.Name):
                bind(node, node.target.value, "assign", node.target, None)
        for node in f.nodes(cst.NamedExpr):
            if isinstance(node.target, cst.Name):
                bind(node, node.target.value, "assign", node.target, node.value)
        for node in f.nodes(cst.For):
            for name, _ in _targets(node.target, None):
                bind(node, name.value, "loop", name, None)
        for node in f.nodes(cst.CompFor):
            for name, _ in _targets(node.target, None):
                comp = f.enclosing(node, (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp))
                bind(node, name.value, "loop", name, None, scope=comp)
        for node in f.nodes(cst.WithItem):
            if node.asname is not None:
                for name, _ in _targets(node.asname.name, None):
                    bind(node, name.value, "with", name, node.item if isinstance(node.asname.name, cst.Name) else None)
        for node in f.nodes(cst.ExceptHandler):
            if node.name is not None and isinstance(node.name.name, cst.Name):
                bind(node, node.name.name.value, "except", node.name.name, None)
        for node in f.nodes(cst.FunctionDef):
            bind(node, node.name.value, "def", node.name, None, scope=self.scope_of(node))
            for param in _params(node.params):
                bind(param, param.name.value, "param", param.name, None, scope=node)
        for node in f.nodes(cst.Lambda):
            for param in _params(node.params):
                bind(param, param.name.value, "param", param.name, None, scope=node)
        for node in f.nodes(cst.ClassDef):
            bind(node, node.name.value, "class", node.name, None, scope=self.scope_of(node))
        for node in f.nodes(cst.Import) + f.nodes(cst.ImportFrom):
            if isinstance(node.names, cst.ImportStar):
                continue
            for alias in node.names:
                local = _local_name(alias, isinstance(node, cst.Import))
                if local is not None:
                    bind(node, local, "import", alias, None, imported=f.imports.get(local))
        return scopes

    def bindings(self, scope: cst.CSTNode | None = None) -> Iterator[Binding]:
        if scope is not None:
            yield from self._scopes.get(id(scope), {}).values()
            return
        for names in self._scopes.values():
            yield from names.values()

    def resolve(self, name: cst.Name) -> Binding | None:
        """The binding `name` refers to where it is used: its scope's, else an enclosing function's (class
        bodies skipped), else the module's; None for a builtin or an unknown name (`from x import *`)."""
        scope: cst.CSTNode | None = self.scope_of(name)
        first = True
        while scope is not None:
            if first or not isinstance(scope, cst.ClassDef):
                found = self._scopes.get(id(scope), {}).get(name.value)
                if found is not None:
                    return found
            first = False
            scope = None if isinstance(scope, cst.Module) else self.scope_of(scope)
        return None

    # ---- names and values -------------------------------------------------------------------------
    def qualname(self, expr: cst.BaseExpression | None) -> str | None:
        """A Name/Attribute chain as a dotted name, its head followed through imports and through local names
        bound once to another such chain (`Client = httpx.Client`); a local class or function: its name."""
        parts: list[str] = []
        while isinstance(expr, cst.Attribute):
            parts.append(expr.attr.value)
            expr = expr.value
        if not isinstance(expr, cst.Name):
            return None
        head = expr.value
        binding = self.resolve(expr)
        for _ in range(4):
            if binding is None or binding.kind != "assign" or not isinstance(binding.value, (cst.Name, cst.Attribute)):
                break
            inner = self.qualname(binding.value) if binding.value is not expr else None
            if inner is None:
                break
            return ".".join([inner, *reversed(parts)])
        if binding is not None and binding.kind == "import" and binding.imported:
            head = binding.imported
        elif binding is None and head in self.f.imports:
            head = self.f.imports[head]
        return ".".join([head, *reversed(parts)])

    def created_by(self, expr: cst.BaseExpression | None) -> str | None:
        """What made a value: the qualified callee of `Client(...)`, or of the one call a name is bound to
        (`with httpx.Client() as c` included)."""
        for _ in range(4):
            if isinstance(expr, cst.Await):
                expr = expr.expression
            if isinstance(expr, cst.Call):
                return self.qualname(expr.func)
            if not isinstance(expr, cst.Name):
                return None
            binding = self.resolve(expr)
            if binding is None or binding.value is None:
                return None
            expr = binding.value
        return None

    # ---- calls ------------------------------------------------------------------------------------
    @cached_property
    def _calls(self) -> dict[str, list[cst.Call]]:
        found: dict[str, list[cst.Call]] = {}
        for call in self.f.nodes(cst.Call):
            name = self.qualname(call.func)
            if name is not None:
                found.setdefault(name, []).append(call)
            if isinstance(call.func, cst.Attribute):  # `client.get(...)`: by what made `client`
                owner = self.created_by(call.func.value)
                if owner is not None:
                    found.setdefault(f"{owner}().{call.func.attr.value}", []).append(call)
        return found

    def calls(self, name: str) -> list[cst.Call]:
        """Calls of a qualified name ("httpx.Client", "requests.get"), or of a method on values a call made
        ("httpx.Client().get"), in source order."""
        return list(self._calls.get(name, ()))

    # ---- classes ----------------------------------------------------------------------------------
    def classes(self, name: str) -> list[cst.ClassDef]:
        return [c for c in self.f.nodes(cst.ClassDef) if c.name.value == name]

    def bases(self, cls: cst.ClassDef, _seen: frozenset[int] = frozenset()) -> list[str]:
        """The qualified names of a class's bases, and of theirs through classes of this file."""
        found: list[str] = []
        for base in cls.bases:
            if base.keyword is not None:
                continue
            name = self.qualname(base.value)
            if name is None:
                continue
            found.append(name)
            local = base.value if isinstance(base.value, cst.Name) else None
            binding = self.resolve(local) if local is not None else None
            if binding is not None and binding.kind == "class":
                for node in binding.nodes:
                    parent = self.f.parent(node)
                    if isinstance(parent, cst.ClassDef) and parent is not cls and id(parent) not in _seen:
                        found.extend(self.bases(parent, _seen | {id(cls)}))
        return found

    def derives(self, cls: cst.ClassDef, *qualnames: str) -> bool:
        return any(base in qualnames for base in self.bases(cls))

    def subclasses(self, *qualnames: str) -> list[cst.ClassDef]:
        """Classes of the file deriving, directly or through classes of the file, from one of `qualnames`."""
        return [cls for cls in self.f.nodes(cst.ClassDef) if self.derives(cls, *qualnames)]


def _targets(target: cst.BaseExpression, value: cst.BaseExpression | None) -> Iterator[tuple[cst.Name, cst.BaseExpression | None]]:
    """(name, its value) for each name an assignment target binds; unpacking pairs values when it can."""
    if isinstance(target, cst.Name):
        yield target, value
    elif isinstance(target, (cst.Tuple, cst.List)):
        values = value.elements if isinstance(value, (cst.Tuple, cst.List)) else None
        if values is not None and (len(values) != len(target.elements) or
                                   any(isinstance(e, cst.StarredElement) for e in values)):
            values = None
        for i, element in enumerate(target.elements):
            inner = element.value
            yield from _targets(inner, values[i].value if values is not None else None)
    elif isinstance(target, cst.StarredElement):
        yield from _targets(target.value, None)


def _params(params: cst.Parameters) -> list[cst.Param]:
    found = list(params.posonly_params) + list(params.params) + list(params.kwonly_params)
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            found.append(star)
    return found


def _local_name(alias: cst.ImportAlias, plain_import: bool) -> str | None:
    if alias.asname is not None:
        return alias.asname.name.value if isinstance(alias.asname.name, cst.Name) else None
    name = alias.name
    while isinstance(name, cst.Attribute):  # `import a.b.c` binds `a`
        name = name.value
    return name.value if isinstance(name, cst.Name) and (plain_import or isinstance(alias.name, cst.Name)) else None
