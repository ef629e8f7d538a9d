"""Python (libcst) helpers shared by several rules: walking a subtree, parameters, names a target binds."""

from __future__ import annotations

from typing import Iterator

import libcst as cst

from connlint.frontends.python import PythonFile


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """`node` and all its descendants, depth first."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)


def parameters(func: cst.FunctionDef | cst.Lambda) -> list[cst.Param]:
    """The named parameters (positional-only, ordinary, keyword-only), without `*args` / `**kwargs`."""
    p = func.params
    return [*p.posonly_params, *p.params, *p.kwonly_params]


def param_names(func: cst.FunctionDef | cst.Lambda) -> set[str]:
    """Names of all parameters, `*args` and `**kwargs` included."""
    every = parameters(func)
    for star in (func.params.star_arg, func.params.star_kwarg):
        if isinstance(star, cst.Param):
            every.append(star)
    return {p.name.value for p in every}


def target_names(target: cst.CSTNode) -> set[str]:
    """Names an assignment target binds: a name, or names unpacked from a tuple or list (not `obj.attr`)."""
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        return {n for el in target.elements for n in target_names(el.value)}
    if isinstance(target, cst.StarredElement):
        return target_names(target.value)
    return set()


def method_of(cls: cst.ClassDef, name: str) -> cst.FunctionDef | None:
    """The method `name` defined directly in the class body."""
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name:
            return stmt
    return None


def is_none(expr: cst.BaseExpression) -> bool:
    """The literal `None`."""
    return isinstance(expr, cst.Name) and expr.value == "None"


def keyword_arg(call: cst.Call, keyword: str) -> cst.Arg | None:
    """The first argument passed as `keyword=...` (the whole `cst.Arg`, to report it)."""
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == keyword), None)


def imports_any(f: PythonFile, *packages: str) -> bool:
    """Does the file import one of these packages or a module inside one?"""
    return any(q == p or q.startswith(p + ".") for q in f.imports.values() for p in packages)
