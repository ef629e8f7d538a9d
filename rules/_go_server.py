"""Go `net/http.Server` values: where one is built, and whether a timeout field ends up set on it.

Shared by CL301 (`IdleTimeout`/`ReadTimeout`) and CL302 (`ReadHeaderTimeout`/`ReadTimeout`). A server is a
`http.Server{...}` / `&http.Server{...}` literal, `new(http.Server)` or `var s http.Server`; `follow()`
tracks it through its variable's later field assignments in the same function (for a package-level
variable, the file) and answers None, "stay quiet", when its configuration may be finished elsewhere: the
value is passed to a function, returned, copied, stored in an exported field or exported package-level
variable, or stored in an unexported field that the file sets one of the timeouts on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import tree_sitter

from connlint.findings import Edit
from connlint.frontends.go import GoFile, decode_string

from ._go import NET_HTTP
# Functions that take a server without setting its timeouts.
SAFE_CALLS = {("golang.org/x/net/http2", "ConfigureServer")}
SAFE_PACKAGES = ("fmt", "log", "log/slog")

UNSET, ZERO, SET = "unset", "zero", "set"

SERVERS = """
(composite_literal type: (qualified_type) @type) @server
(call_expression function: (identifier) @new arguments: (argument_list . (qualified_type) @type .)) @server
(var_spec type: (qualified_type) @type) @server
"""
DECLARATIONS = """
(var_spec name: (identifier) @name)
(short_var_declaration left: (expression_list (identifier) @name))
(parameter_declaration name: (identifier) @name)
"""

Node = tree_sitter.Node


# ---- values ----------------------------------------------------------------------------------


def unwrap(node: Node) -> Node:
    while node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def is_zero(f: GoFile, node: Node | None) -> bool:
    """`0`, `0.0`, `0 * time.Second`, `time.Duration(0)`."""
    if node is None:
        return False
    node = unwrap(node)
    if f.int_value(node) == 0:
        return True
    if node.type == "float_literal":
        try:
            return float(f.text(node).replace("_", "")) == 0.0
        except ValueError:
            return False
    if node.type == "binary_expression" and f.text(node.child_by_field_name("operator")) == "*":
        return is_zero(f, node.child_by_field_name("left")) or is_zero(f, node.child_by_field_name("right"))
    if node.type in ("call_expression", "type_conversion_expression"):
        args = f.call_args(node) if node.type == "call_expression" else node.named_children[1:]
        return len(args) == 1 and is_zero(f, args[0])
    return False


def is_negative(f: GoFile, node: Node | None) -> bool:
    """`-1`, `-5 * time.Second`, `time.Duration(-1)`: a negative duration literal."""
    if node is None:
        return False
    node = unwrap(node)
    value = f.int_value(node)
    if value is not None:
        return value < 0
    if node.type == "binary_expression" and f.text(node.child_by_field_name("operator")) == "*":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        return is_negative(f, left) != is_negative(f, right)
    if node.type in ("call_expression", "type_conversion_expression"):
        args = f.call_args(node) if node.type == "call_expression" else node.named_children[1:]
        return len(args) == 1 and is_negative(f, args[0])
    return False


def positional_literal(literal: Node) -> bool:
    """`http.Server{addr, h, ...}`: fields given by position, not by name."""
    body = literal.child_by_field_name("body")
    return body is not None and any(c.type not in ("keyed_element", "comment") for c in body.named_children)


# ---- syntax helpers --------------------------------------------------------------------------


def value_context(node: Node) -> Node:
    """The outermost expression that is `node`, looking through `&` and parentheses."""
    while node.parent is not None and (
        node.parent.type == "parenthesized_expression"
        or (node.parent.type == "unary_expression" and node.parent.child_by_field_name("operator").type == "&")
    ):
        node = node.parent
    return node


def operator(stmt: Node) -> str:
    op = stmt.child_by_field_name("operator")
    return op.type if op is not None else ""


def assigned_target(value: Node) -> Node | None:
    """For `x, y := a, b` (also `=`, `var x = a`): the target that `value` (one of the right side) is bound to."""
    exprs = value.parent
    if exprs is None or exprs.type != "expression_list":
        return None
    stmt = exprs.parent
    if stmt is None:
        return None
    if stmt.type in ("short_var_declaration", "assignment_statement"):
        if stmt.child_by_field_name("right") != exprs:
            return None
        if stmt.type == "assignment_statement" and operator(stmt) != "=":
            return None
        left = [c for c in stmt.child_by_field_name("left").named_children if c.type != "comment"]
    elif stmt.type == "var_spec":
        left = stmt.children_by_field_name("name")
    else:
        return None
    right = [c for c in exprs.named_children if c.type != "comment"]
    if len(left) != len(right):
        return None
    return left[right.index(value)]


def field_name(f: GoFile, node: Node) -> str | None:
    if node.type == "literal_element" and node.named_child_count == 1:
        node = node.named_children[0]
    return f.text(node) if node.type in ("identifier", "field_identifier") else None


def call_of_argument(node: Node) -> Node | None:
    if node.parent is not None and node.parent.type == "argument_list":
        call = node.parent.parent
        return call if call is not None and call.type == "call_expression" else None
    return None


def safe_callee(f: GoFile, call: Node) -> bool:
    sel = f.selector(call.child_by_field_name("function"))
    return sel is not None and (sel in SAFE_CALLS or sel[0] in SAFE_PACKAGES)


def field_write(f: GoFile, selector: Node) -> str | None:
    """SET / ZERO when `selector` (`x.IdleTimeout`) is written: assigned, or its address taken; else None."""
    target = value_context(selector)
    if target != selector:  # &x.IdleTimeout: flag.DurationVar and friends may set it
        return SET
    exprs = selector.parent
    stmt = exprs.parent if exprs is not None and exprs.type == "expression_list" else None
    if stmt is None or stmt.type != "assignment_statement" or stmt.child_by_field_name("left") != exprs:
        return None
    if operator(stmt) != "=":
        return SET
    left = [c for c in exprs.named_children if c.type != "comment"]
    right = [c for c in stmt.child_by_field_name("right").named_children if c.type != "comment"]
    if len(left) != len(right):
        return SET  # x.IdleTimeout, err = parse(...)
    return ZERO if is_zero(f, right[left.index(selector)]) else SET


def keepalive_off(f: GoFile, selector: Node) -> bool:
    """`x.SetKeepAlivesEnabled(false)`."""
    call = selector.parent
    if call is None or call.type != "call_expression":
        return False
    if f.text(selector.child_by_field_name("field")) != "SetKeepAlivesEnabled":
        return False
    args = f.call_args(call)
    return len(args) == 1 and f.bool_value(args[0]) is False


# ---- scopes ----------------------------------------------------------------------------------


def scope_of(f: GoFile, node: Node) -> Node:
    """The body of the function holding `node`, or the file for package-level code."""
    func = f.enclosing_function(node)
    body = func.child_by_field_name("body") if func is not None else None
    return body if body is not None else f.root


def declaring_scope(f: GoFile, node: Node, name: str) -> Node:
    """The body of the innermost function around `node` declaring `name`, else the file (a package variable)."""
    for func in f.ancestors(node):
        if func.type not in ("function_declaration", "method_declaration", "func_literal"):
            continue
        declared = f.captures(DECLARATIONS, func).get("name", [])
        if any(f.text(n) == name and f.enclosing_function(n) == func for n in declared):
            body = func.child_by_field_name("body")
            return body if body is not None else f.root
    return f.root


@dataclass
class Declaration:
    """What a name refers to: its declaring node, its initial value and/or declared type, and its scope."""

    kind: str  # "param", "local", "package"
    value: Node | None
    type: Node | None
    scope: Node


def declaration(f: GoFile, ident: Node) -> Declaration | None:
    """The declaration `ident` refers to: the nearest enclosing function's last one before it, else the file's.

    Block scoping inside a function is ignored (good enough for `x := pkg.New()` ... `x.Method()`).
    """
    name = f.text(ident)
    for func in f.ancestors(ident):
        if func.type not in ("function_declaration", "method_declaration", "func_literal"):
            continue
        found: Declaration | None = None
        for n in f.captures(DECLARATIONS, func).get("name", []):
            if f.text(n) != name or f.enclosing_function(n) != func or n.start_byte > ident.start_byte:
                continue
            found = _declaration_of(f, n, func)
        if found is not None:
            return found
    for spec in f.captures("(source_file (var_declaration (var_spec) @spec))").get("spec", []):
        for n in spec.children_by_field_name("name"):
            if f.text(n) == name:
                return _declaration_of(f, n, None)
    return None


def _declaration_of(f: GoFile, name: Node, func: Node | None) -> Declaration:
    decl = name.parent
    body = func.child_by_field_name("body") if func is not None else None
    scope = body if body is not None else f.root
    if decl.type == "parameter_declaration":
        return Declaration("param", None, decl.child_by_field_name("type"), scope)
    kind = "local" if func is not None else "package"
    if decl.type == "expression_list":  # short_var_declaration left side
        stmt = decl.parent
        left = [c for c in decl.named_children if c.type != "comment"]
        right_list = stmt.child_by_field_name("right")
        right = [c for c in right_list.named_children if c.type != "comment"] if right_list is not None else []
        value = right[left.index(name)] if len(left) == len(right) else None
        return Declaration(kind, value, None, scope)
    names = decl.children_by_field_name("name")
    values_list = decl.child_by_field_name("value")
    values = [c for c in values_list.named_children if c.type != "comment"] if values_list is not None else []
    value = values[names.index(name)] if len(values) == len(names) else None
    return Declaration(kind, value, decl.child_by_field_name("type"), scope)


# ---- http.Server values ----------------------------------------------------------------------


def servers(f: GoFile) -> Iterator[tuple[Node, str]]:
    """Each `net/http.Server` built in the file, with its kind: "literal", "new" or "var" (zero value)."""
    for m in f.matches(SERVERS):
        if f.selector(m["type"]) != (NET_HTTP, "Server"):
            continue
        server = m["server"]
        if server.type == "var_spec":
            if server.child_by_field_name("value") is None:  # `var s http.Server = ...`: the value is checked
                yield server, "var"
        elif server.type == "call_expression":
            if "new" in m and f.text(m["new"]) == "new":
                yield server, "new"
        else:
            yield server, "literal"


@dataclass
class Binding:
    kind: str  # "var" (a local or package-level variable), "field", "immediate", "escapes"
    name: str = ""
    scope: Node | None = None
    after: int = 0


def binding(f: GoFile, server: Node) -> Binding:
    """Where the server value goes."""
    if server.type == "var_spec":
        names = [f.text(n) for n in server.children_by_field_name("name")]
        scope = scope_of(f, server)
        after = server.end_byte if scope is not f.root else 0
        return Binding("var", names[0] if len(names) == 1 else "", scope, after)
    value = value_context(server)
    parent = value.parent
    if parent is None:
        return Binding("escapes")
    if parent.type == "selector_expression" and parent.child_by_field_name("operand") == value:
        return Binding("immediate")  # (&http.Server{...}).ListenAndServe()
    if parent.type == "literal_element" and parent.parent is not None and parent.parent.type == "keyed_element":
        keyed = parent.parent
        if keyed.named_children[-1] == parent:
            name = field_name(f, keyed.named_children[0])
            return Binding("field", name) if name else Binding("escapes")
        return Binding("escapes")
    target = assigned_target(value)
    if target is None:
        return Binding("escapes")  # argument, return value, slice/map element, channel send
    if target.type == "identifier":
        name = f.text(target)
        if name == "_":
            return Binding("escapes")
        scope = scope_of(f, server)
        if target.parent is not None and target.parent.parent is not None:
            if target.parent.parent.type == "assignment_statement":  # `srv = ...`: declared where?
                scope = declaring_scope(f, server, name)
        return Binding("var", name, scope, value.end_byte if scope is not f.root else 0)
    if target.type == "selector_expression":
        return Binding("field", f.text(target.child_by_field_name("field")))
    return Binding("escapes")


def var_state(f: GoFile, bound: Binding, state: str, fields: tuple[str, ...], keepalive_quiets: bool) -> str | None:
    """The variable's final state after the rest of its scope, or None when it escapes (stay quiet).

    A later write of one of `fields` sets it (SET: quiet) or zeroes it (ZERO). With `keepalive_quiets`,
    `srv.SetKeepAlivesEnabled(false)` in the serving function (not on the way to `Shutdown`/`Close`) also
    means quiet.
    """
    if not bound.name or bound.scope is None:
        return None
    turned_off: Node | None = None  # `srv.SetKeepAlivesEnabled(false)` in the serving function itself
    idents = sorted(f.captures("(identifier) @id", bound.scope).get("id", []), key=lambda n: n.start_byte)
    for ident in idents:
        if ident.start_byte < bound.after or f.text(ident) != bound.name:
            continue
        parent = ident.parent
        if parent is not None and parent.type == "literal_element" and parent.parent is not None:
            if parent.parent.type == "keyed_element" and parent.parent.named_children[0] == parent:
                continue  # a struct literal key that happens to share the name
        if parent is not None and parent.type == "selector_expression" and parent.child_by_field_name("operand") == ident:
            member = f.text(parent.child_by_field_name("field"))
            if keepalive_quiets:
                if keepalive_off(f, parent) and scope_of(f, parent) == bound.scope:
                    turned_off = parent
                elif member in ("Shutdown", "Close") and turned_off is not None:
                    turned_off = None  # turned off on the way out: a shutdown path (CL201's exemption)
            if member in fields:
                written = field_write(f, parent)
                if written == SET:
                    return None
                if written == ZERO:
                    state = ZERO
            continue
        value = value_context(ident)
        call = call_of_argument(value)
        if call is not None:
            if safe_callee(f, call):
                continue
            return None  # passed to a function that may configure it
        container = value.parent
        if container is None:
            continue
        if container.type == "expression_list":
            stmt = container.parent
            if stmt is not None and stmt.type == "return_statement":
                return None
            if stmt is not None and stmt.type in ("short_var_declaration", "assignment_statement", "var_spec"):
                if stmt.type == "var_spec" or stmt.child_by_field_name("right") == container:
                    return None  # copied or aliased
        elif container.type in ("return_statement", "literal_element", "send_statement", "keyed_element"):
            return None
    return None if turned_off is not None else state


def field_state(f: GoFile, field: str, state: str, fields: tuple[str, ...]) -> str | None:
    """A server stored in a struct field: quiet when exported or when the file sets one of `fields` through it."""
    if not field or field[:1].isupper():
        return None
    for sel in f.captures("(selector_expression) @sel").get("sel", []):
        if f.text(sel.child_by_field_name("field")) not in fields:
            continue
        operand = sel.child_by_field_name("operand")
        if operand is None:
            continue
        operand = unwrap(operand)
        if operand.type != "selector_expression" or f.text(operand.child_by_field_name("field")) != field:
            continue
        written = field_write(f, sel)
        if written == SET:
            return None
        if written == ZERO:
            state = ZERO
    return state


def follow(f: GoFile, server: Node, state: str, fields: tuple[str, ...], keepalive_quiets: bool = False) -> str | None:
    """The server's final state (UNSET / ZERO / SET) after where it goes, or None: stay quiet."""
    bound = binding(f, server)
    if bound.kind == "var":
        if bound.scope is f.root and bound.name[:1].isupper():
            return None  # exported package-level variable: its importers configure it
        return var_state(f, bound, state, fields, keepalive_quiets)
    if bound.kind == "field":
        return field_state(f, bound.name, state, fields)
    if bound.kind == "escapes":
        return None
    return state


# ---- fixes: adding timeouts ------------------------------------------------------------------
# Used by CL301 and CL302's unsafe fixes. Each fix appends only its own field at the end of the literal
# (re-aligning the keys of the trailing run of one-field lines as gofmt does), so when both rules fire on
# one literal their edits overlap and the second fix is applied by the next fix pass, on the updated text.
# Two fixes that both add the `time` import insert the same text at the same offset: the fix engine never
# applies two insertions at one offset in the same pass, so the import is added once.

_NAME_DECLARATIONS = """
(var_spec name: (identifier) @name)
(const_spec name: (identifier) @name)
(short_var_declaration left: (expression_list (identifier) @name))
(parameter_declaration name: (identifier) @name)
(variadic_parameter_declaration name: (identifier) @name)
(range_clause left: (expression_list (identifier) @name))
(function_declaration name: (identifier) @name)
(type_spec name: (type_identifier) @name)
"""


def _declares(f: GoFile, name: str, at: Node) -> bool:
    """Is `name` declared at package level or in a function around `at` (so `name.X` may not be the package)?"""
    scopes = [a for a in f.ancestors(at) if a.type in ("function_declaration", "method_declaration", "func_literal")]
    for node in f.captures(_NAME_DECLARATIONS).get("name", []):
        if f.text(node) != name:
            continue
        func = f.enclosing_function(node)
        if node.parent is not None and node.parent.type == "function_declaration":
            func = None  # a function's own name is declared at package level
        if func is None or func in scopes:
            return True
    return False


def _import_specs(f: GoFile) -> list[tuple[Node, str]]:
    specs = []
    for spec in f.captures("(import_spec) @spec").get("spec", []):
        path = spec.child_by_field_name("path")
        value = decode_string(f.source[path.start_byte:path.end_byte]) if path is not None else None
        if value is not None:
            specs.append((spec, value))
    return specs


def _line_start(src: bytes, offset: int) -> int:
    return src.rfind(b"\n", 0, offset) + 1


def _line_after(src: bytes, offset: int) -> int:
    """The start of the line after the one holding `offset` (the end of the file if there is none)."""
    end = src.find(b"\n", offset)
    return len(src) if end < 0 else end + 1


def _alone_on_lines(src: bytes, node: Node) -> bool:
    """Only whitespace before the node on its first line, and only whitespace or a comment after it."""
    before = src[_line_start(src, node.start_byte):node.start_byte]
    after = src[node.end_byte:_line_after(src, node.end_byte)].strip()
    return not before.strip() and (not after or after.startswith(b"//"))


def _add_import(f: GoFile, path: str) -> Edit | None:
    """Insert `"path"` (a standard-library path) in sorted position in the import block holding `net/http`,
    or turn a single `import "net/http"` into a block; None when the imports are laid out otherwise."""
    src = f.source
    anchor = next((spec for spec, value in _import_specs(f) if value == NET_HTTP), None)
    if anchor is None:
        return None
    holder = anchor.parent
    if holder is not None and holder.type == "import_declaration":  # import "net/http"
        if not _alone_on_lines(src, holder):
            return None
        spec = f.text(anchor)
        return f.replace(anchor, f'(\n\t{spec}\n\t"{path}"\n)') if path > NET_HTTP else f.replace(
            anchor, f'(\n\t"{path}"\n\t{spec}\n)'
        )
    if holder is None or holder.type != "import_spec_list":
        return None
    # The group (run of lines without a blank line) holding net/http, each spec alone on its line.
    specs = [c for c in holder.named_children if c.type == "import_spec"]
    if not all(_alone_on_lines(src, s) for s in specs):
        return None
    index = specs.index(anchor) if anchor in specs else -1
    if index < 0:
        return None
    first = last = index
    while first > 0 and specs[first].start_point[0] == specs[first - 1].end_point[0] + 1:
        first -= 1
    while last + 1 < len(specs) and specs[last + 1].start_point[0] == specs[last].end_point[0] + 1:
        last += 1
    group = specs[first:last + 1]
    indent = src[_line_start(src, anchor.start_byte):anchor.start_byte].decode()
    line = f'{indent}"{path}"\n'
    for spec in group:
        spec_path = spec.child_by_field_name("path")
        value = decode_string(src[spec_path.start_byte:spec_path.end_byte]) or ""
        if value > path:
            return f.insert(_line_start(src, spec.start_byte), line)
    return f.insert(_line_after(src, group[-1].end_byte), line)


def time_qualifier(f: GoFile, at: Node) -> tuple[str, Edit | None] | None:
    """The name to write `time.Second` with at `at`, and the edit adding `import "time"` when it is missing;
    None when the name is unusable there (shadowed, another package's, or only a dot/blank import)."""
    specs = [spec for spec, value in _import_specs(f) if value == "time"]
    names = [name for name, value in f.imports.items() if value == "time"]
    if names:
        name = names[0]
        return None if _declares(f, name, at) else (name, None)
    if specs or "time" in f.imports or _declares(f, "time", at):
        return None  # `. "time"` / `_ "time"`, or `time` names something else here
    edit = _add_import(f, "time")
    return ("time", edit) if edit is not None else None


def _key_padding(f: GoFile, element: Node) -> tuple[int, int] | None:
    """Byte range of the blanks between `Key:` and its value."""
    colon = next((c for c in element.children if c.type == ":"), None)
    value = element.child_by_field_name("value")
    if colon is None or value is None or f.source[colon.end_byte:value.start_byte].strip():
        return None
    return colon.end_byte, value.start_byte


def append_field(f: GoFile, literal: Node, key: str, value: str) -> list[Edit] | None:
    """Edits appending `key: value` to a composite literal, laid out as gofmt would; None when unsure."""
    src = f.source
    body = literal.child_by_field_name("body")
    if body is None or not body.children or body.children[-1].type != "}":
        return None
    close = body.children[-1]
    named_nodes = list(body.named_children)
    if named_nodes and named_nodes[-1].type == "comment" and named_nodes[-1].end_point[0] == close.start_point[0]:
        return None  # `... /* c */}`
    close_line = _line_start(src, close.start_byte)
    if src[close_line:close.start_byte].strip() or body.start_point[0] == close.start_point[0]:
        # `}` follows the last element (or `{`) on its line: add `, key: value` inline.
        before = close.prev_sibling
        if before is None or before.type == "{":
            return [Edit(f.char_offset(body.children[0].end_byte), f.char_offset(close.start_byte), f"{key}: {value}")]
        if before.type == ",":  # gofmt drops a comma before `}` on the same line
            return [Edit(f.char_offset(before.start_byte), f.char_offset(close.start_byte), f", {key}: {value}")]
        return [f.insert(before.end_byte, f", {key}: {value}")]
    # `}` on its own line: one field per line; align the keys of the trailing run of one-field lines.
    elements = [c for c in named_nodes if c.type == "keyed_element"]
    indent = src[close_line:close.start_byte].decode() + "\t"
    if elements and not src[_line_start(src, elements[-1].start_byte):elements[-1].start_byte].strip():
        indent = src[_line_start(src, elements[-1].start_byte):elements[-1].start_byte].decode()
    run: list[Node] = []
    row = close.start_point[0]
    previous_end_row = -1
    for node in reversed(named_nodes):
        if node.type == "comment":
            earlier = node.prev_named_sibling
            if earlier is not None and earlier.type == "keyed_element" and earlier.end_point[0] == node.start_point[0]:
                continue  # a trailing comment of an element's line
            break
        if node.type != "keyed_element" or node.start_point[0] != node.end_point[0] or node.end_point[0] != row - 1:
            break
        earlier = node.prev_named_sibling
        while earlier is not None and earlier.type == "comment":
            earlier = earlier.prev_named_sibling
        previous_end_row = earlier.end_point[0] if earlier is not None else body.start_point[0]
        if previous_end_row == node.start_point[0] or _key_padding(f, node) is None:
            break  # shares its line with another element (or `{`)
        key_node = node.child_by_field_name("key")
        if key_node is None or key_node.type != "literal_element":
            break
        run.append(node)
        row = node.start_point[0]
    width = max([len(f.text(e.child_by_field_name("key"))) for e in run] + [len(key)]) + 2  # `Key:` + a blank
    edits = []
    for element in run:
        start, end = _key_padding(f, element)  # type: ignore[misc]
        pad = " " * (width - len(f.text(element.child_by_field_name("key"))) - 1)
        if src[start:end].decode() != pad:
            edits.append(Edit(f.char_offset(start), f.char_offset(end), pad))
    edits.append(f.insert(close_line, f"{indent}{key}:{' ' * (width - len(key) - 1)}{value},\n"))
    return edits


def add_timeout_edits(f: GoFile, literal: Node, key: str, seconds: int) -> tuple[str, tuple[Edit, ...]] | None:
    """(`key: N * time.Second`, edits) appending the field to the literal, adding the `time` import if missing."""
    qualifier = time_qualifier(f, literal)
    if qualifier is None:
        return None
    name, import_edit = qualifier
    field = f"{key}: {seconds} * {name}.Second"
    edits = append_field(f, literal, key, f"{seconds} * {name}.Second")
    if edits is None:
        return None
    return field, tuple(edits) + ((import_edit,) if import_edit is not None else ())


def fixable_literal(f: GoFile, literal: Node, key: str, fields: tuple[str, ...], keepalive_quiets: bool = False) -> bool:
    """Adding `key` to this reported literal settles it: the literal lacks the field and no later write in its
    scope zeroes one of `fields` (which would undo the added field, or show the zero is deliberate)."""
    if positional_literal(literal) or key in f.keyed_fields(literal):
        return False
    return follow(f, literal, UNSET, fields, keepalive_quiets) == UNSET
