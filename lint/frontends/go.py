"""Go frontend: tree-sitter-go parse, import aliases, literal values and shared queries."""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Iterator

import tree_sitter
import tree_sitter_go

from ..findings import Edit, Fix, Hit, Severity
from . import go_syntax

if TYPE_CHECKING:
    from ..model.go import GoModel

LANGUAGE = tree_sitter.Language(tree_sitter_go.language())

# Header-name constants exported by web frameworks, keyed by (import path without /vN, name).
KNOWN_CONSTANTS = {
    ("github.com/labstack/echo", "HeaderConnection"): "Connection",
    ("github.com/gofiber/fiber", "HeaderConnection"): "Connection",
    ("github.com/valyala/fasthttp", "HeaderConnection"): "Connection",
    ("github.com/gin-gonic/gin", "HeaderConnection"): "Connection",
}

_REMOVABLE_STATEMENTS = ("expression_statement", "defer_statement", "assignment_statement")
FUNCTION_NODES = ("function_declaration", "method_declaration", "func_literal")
_VERSION_SUFFIX = re.compile(r"/v\d+$")
_ESCAPE = re.compile(rb"\\(?:U[0-9a-fA-F]{8}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[0-7]{3}|.)", re.S)
_SIMPLE_ESCAPES = {
    b"a": "\a", b"b": "\b", b"f": "\f", b"n": "\n", b"r": "\r", b"t": "\t", b"v": "\v",
    b"\\": "\\", b"'": "'", b'"': '"',
}


def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(LANGUAGE)


@lru_cache(maxsize=None)
def compile_query(source: str) -> tree_sitter.Query:
    return tree_sitter.Query(LANGUAGE, source)


def parse(path: str, data: bytes) -> "GoFile":
    return GoFile(path, data, go_syntax.parse(_parser(), data))


def import_base(path: str) -> str:
    """An import path without its major-version suffix: `github.com/labstack/echo/v4` -> `.../echo`."""
    return _VERSION_SUFFIX.sub("", path)


def default_package_name(path: str) -> str:
    name = import_base(path).rsplit("/", 1)[-1]
    for prefix in ("go-",):
        if name.startswith(prefix) and len(name) > len(prefix):
            name = name[len(prefix):]
    return re.sub(r"[.-]go$", "", name).replace("-", "_").split(".")[0]


def decode_string(raw: bytes) -> str | None:
    """The value of a Go string literal's source text (interpreted or raw)."""
    if len(raw) >= 2 and raw[:1] == b"`" and raw[-1:] == b"`":
        return raw[1:-1].replace(b"\r", b"").decode("utf-8", "replace")
    if len(raw) >= 2 and raw[:1] == b'"' and raw[-1:] == b'"':
        body = raw[1:-1]
        out: list[str] = []
        pos = 0
        for m in _ESCAPE.finditer(body):
            out.append(body[pos:m.start()].decode("utf-8", "replace"))
            esc = m.group()[1:]
            if esc[:1] in (b"u", b"U"):
                out.append(chr(min(int(esc[1:], 16), 0x10FFFF)))
            elif esc[:1] == b"x":
                out.append(chr(int(esc[1:], 16)))
            elif esc[:1].isdigit():
                out.append(chr(int(esc, 8)))
            else:
                out.append(_SIMPLE_ESCAPES.get(esc, esc.decode("utf-8", "replace")))
            pos = m.end()
        out.append(body[pos:].decode("utf-8", "replace"))
        return "".join(out)
    return None


def canonical_header_key(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


class GoFile:
    language = "go"

    def __init__(self, path: str, source: bytes, tree: tree_sitter.Tree) -> None:
        self.path = path
        self.source = source
        self.tree = tree
        self.root = tree.root_node
        self._text: str | None = None
        self._ascii = source.isascii()
        self.imports = self._collect_imports()  # local name -> import path
        self.constants = self._collect_constants()

    @cached_property
    def model(self) -> "GoModel":
        """Scopes, bindings, types and calls (lint/model/go.py), built the first time a rule asks."""
        from ..model.go import GoModel

        return GoModel(self)

    @cached_property
    def package_name(self) -> str:
        """The name in the file's `package` clause, "" when there is none."""
        for clause in self.root.named_children:
            if clause.type == "package_clause" and clause.named_child_count:
                return self.text(clause.named_children[0])
        return ""

    # ---- text and queries -------------------------------------------------------------
    def text(self, node: tree_sitter.Node | None) -> str:
        if node is None:
            return ""
        return self.source[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def captures(self, query: str, node: tree_sitter.Node | None = None) -> dict[str, list[tree_sitter.Node]]:
        return tree_sitter.QueryCursor(compile_query(query)).captures(node or self.root)

    def matches(self, query: str, node: tree_sitter.Node | None = None) -> list[dict[str, tree_sitter.Node]]:
        """Each match of `query` as {capture: first node}, in source order."""
        cursor = tree_sitter.QueryCursor(compile_query(query))
        result = []
        for _, caps in cursor.matches(node or self.root):
            result.append({name: nodes[0] for name, nodes in caps.items()})
        result.sort(key=lambda m: min(n.start_byte for n in m.values()))
        return result

    # ---- syntax errors ----------------------------------------------------------------
    def first_error(self) -> tree_sitter.Node | None:
        if not self.root.has_error:
            return None
        stack = [self.root]
        while stack:
            node = stack.pop()
            if node.is_error or node.is_missing:
                return node
            stack.extend(reversed([c for c in node.children if c.has_error or c.is_missing]))
        return self.root

    # ---- imports and names ------------------------------------------------------------
    def _collect_imports(self) -> dict[str, str]:
        imports: dict[str, str] = {}
        for spec in self.captures("(import_spec) @spec").get("spec", []):
            path_node = spec.child_by_field_name("path")
            path = decode_string(self.source[path_node.start_byte:path_node.end_byte]) if path_node else None
            if not path:
                continue
            name_node = spec.child_by_field_name("name")
            if name_node is None:
                imports[default_package_name(path)] = path
            elif name_node.type == "package_identifier":
                imports[self.text(name_node)] = path
        return imports

    def package_of(self, node: tree_sitter.Node | None) -> str | None:
        """The import path an identifier names, when it is an imported package name."""
        if node is None or node.type not in ("identifier", "package_identifier"):
            return None
        return self.imports.get(self.text(node))

    def selector(self, node: tree_sitter.Node | None) -> tuple[str, str] | None:
        """(import path, member) for `pkg.Member` or a qualified type `pkg.T`."""
        if node is None:
            return None
        if node.type == "selector_expression":
            operand = node.child_by_field_name("operand")
            field = node.child_by_field_name("field")
            pkg = self.package_of(operand)
            if pkg and field is not None:
                return import_base(pkg), self.text(field)
        elif node.type == "qualified_type":
            pkg = self.package_of(node.child_by_field_name("package"))
            name = node.child_by_field_name("name")
            if pkg and name is not None:
                return import_base(pkg), self.text(name)
        return None

    def _collect_constants(self) -> dict[str, tree_sitter.Node]:
        """Names declared once with `const`, or a top-level `var` bound to a value and never reassigned."""
        found: dict[str, list[tree_sitter.Node]] = {}
        query = """
        (const_spec name: (identifier) @name value: (expression_list . (_) @value))
        (source_file (var_declaration (var_spec name: (identifier) @name value: (expression_list . (_) @value))))
        """
        for m in self.matches(query):
            found.setdefault(self.text(m["name"]), []).append(m["value"])
        if found:
            mutated = """
            (assignment_statement left: (expression_list (identifier) @name))
            (inc_statement (identifier) @name)
            (dec_statement (identifier) @name)
            (unary_expression operator: "&" operand: (identifier) @name)
            """
            for node in self.captures(mutated).get("name", []):
                found.pop(self.text(node), None)
        return {name: vals[0] for name, vals in found.items() if len(vals) == 1}

    def string_value(self, node: tree_sitter.Node | None, _depth: int = 0) -> str | None:
        """A string literal's value, following constants, known framework constants and CanonicalHeaderKey."""
        if node is None or _depth > 5:
            return None
        kind = node.type
        if kind in ("interpreted_string_literal", "raw_string_literal"):
            return decode_string(self.source[node.start_byte:node.end_byte])
        if kind == "parenthesized_expression" and node.named_child_count == 1:
            return self.string_value(node.named_children[0], _depth + 1)
        if kind == "identifier":
            value = self.constants.get(self.text(node))
            return self.string_value(value, _depth + 1) if value is not None else None
        if kind == "selector_expression":
            sel = self.selector(node)
            return KNOWN_CONSTANTS.get(sel) if sel else None
        if kind == "binary_expression" and self.text(node.child_by_field_name("operator")) == "+":
            left = self.string_value(node.child_by_field_name("left"), _depth + 1)
            right = self.string_value(node.child_by_field_name("right"), _depth + 1)
            return left + right if left is not None and right is not None else None
        if kind == "call_expression":
            if self.selector(node.child_by_field_name("function")) == ("net/http", "CanonicalHeaderKey"):
                args = self.call_args(node)
                if len(args) == 1:
                    inner = self.string_value(args[0], _depth + 1)
                    return canonical_header_key(inner) if inner is not None else None
        return None

    def bool_value(self, node: tree_sitter.Node | None, _depth: int = 0) -> bool | None:
        if node is None:
            return None
        if node.type == "true":
            return True
        if node.type == "false":
            return False
        if node.type == "parenthesized_expression" and node.named_child_count == 1:
            return self.bool_value(node.named_children[0], _depth + 1)
        if node.type == "identifier" and _depth < 5:
            value = self.constants.get(self.text(node))
            return self.bool_value(value, _depth + 1) if value is not None else None
        if node.type == "unary_expression" and self.text(node.child_by_field_name("operator")) == "!":
            inner = self.bool_value(node.child_by_field_name("operand"), _depth + 1)
            return (not inner) if inner is not None else None
        return None

    def int_value(self, node: tree_sitter.Node | None) -> int | None:
        if node is None:
            return None
        if node.type == "int_literal":
            try:
                return int(self.text(node).replace("_", ""), 0)
            except ValueError:
                return None
        if node.type == "unary_expression" and self.text(node.child_by_field_name("operator")) == "-":
            inner = self.int_value(node.child_by_field_name("operand"))
            return -inner if inner is not None else None
        if node.type == "identifier":
            value = self.constants.get(self.text(node))
            return self.int_value(value) if value is not None else None
        return None

    # ---- structure --------------------------------------------------------------------
    @staticmethod
    def call_args(call: tree_sitter.Node) -> list[tree_sitter.Node]:
        args = call.child_by_field_name("arguments")
        return [c for c in args.named_children if c.type != "comment"] if args is not None else []

    @staticmethod
    def enclosing_function(node: tree_sitter.Node) -> tree_sitter.Node | None:
        node = node.parent
        while node is not None and node.type not in FUNCTION_NODES:
            node = node.parent
        return node

    @staticmethod
    def ancestors(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
        node = node.parent
        while node is not None:
            yield node
            node = node.parent

    def function_name(self, func: tree_sitter.Node | None) -> str:
        if func is None or func.type == "func_literal":
            return ""
        return self.text(func.child_by_field_name("name"))

    @staticmethod
    def keyed_nodes(literal: tree_sitter.Node) -> list[tuple[tree_sitter.Node, tree_sitter.Node, tree_sitter.Node]]:
        """(key, value, keyed_element) for each `key: value` of a composite literal (map keys are expressions)."""
        body = literal.child_by_field_name("body")
        elements = []
        for element in body.named_children if body is not None else ():
            if element.type != "keyed_element" or element.named_child_count < 2:
                continue
            key, value = element.named_children[0], element.named_children[-1]
            if key.type == "literal_element" and key.named_child_count == 1:
                key = key.named_children[0]
            if value.type == "literal_element" and value.named_child_count == 1:
                value = value.named_children[0]
            elements.append((key, value, element))
        return elements

    def keyed_elements(self, literal: tree_sitter.Node) -> list[tuple[str, tree_sitter.Node, tree_sitter.Node]]:
        """(field name, value, keyed_element) for each `Field: value` of a composite literal."""
        return [(self.text(key), value, element) for key, value, element in self.keyed_nodes(literal)]

    def keyed_fields(self, literal: tree_sitter.Node) -> dict[str, tree_sitter.Node]:
        """`Field: value` pairs of a composite literal, by field name (last one wins)."""
        return {name: value for name, value, _ in self.keyed_elements(literal)}

    # ---- edits (for fixes; offsets are characters of the decoded text) -------------------
    @property
    def source_text(self) -> str:
        """The decoded source that fix offsets refer to."""
        if self._text is None:
            self._text = self.source.decode("utf-8", "replace")
        return self._text

    def char_offset(self, byte_offset: int) -> int:
        if self._ascii:
            return byte_offset
        return len(self.source[:byte_offset].decode("utf-8", "replace"))

    def span(self, node: tree_sitter.Node) -> tuple[int, int]:
        return self.char_offset(node.start_byte), self.char_offset(node.end_byte)

    def replace(self, node: tree_sitter.Node, text: str) -> Edit:
        start, end = self.span(node)
        return Edit(start, end, text)

    def insert(self, byte_offset: int, text: str) -> Edit:
        at = self.char_offset(byte_offset)
        return Edit(at, at, text)

    def _own_lines(self, node: tree_sitter.Node) -> tuple[int, int] | None:
        """Byte range of the full lines `node` occupies, if nothing else but a comment shares them."""
        src = self.source
        start = src.rfind(b"\n", 0, node.start_byte) + 1
        end = src.find(b"\n", node.end_byte)
        end = len(src) if end < 0 else end + 1
        before = src[start:node.start_byte]
        after = src[node.end_byte:end].strip()
        if before.strip() or (after and not after.startswith((b"//", b","))):
            return None
        if after.startswith(b",") and after[1:].strip() and not after[1:].strip().startswith(b"//"):
            return None
        return start, end

    def delete_statement(self, node: tree_sitter.Node) -> Edit | None:
        """Remove the line(s) of a statement that stands alone on them (None otherwise)."""
        statement = node
        while statement.parent is not None and statement.parent.type not in ("statement_list", "block", "source_file"):
            statement = statement.parent
        lines = self._own_lines(statement)
        if lines is None:
            return None
        start, end = self._tidy_blank_lines(*lines)
        return Edit(self.char_offset(start), self.char_offset(end), "")

    def _tidy_blank_lines(self, start: int, end: int) -> tuple[int, int]:
        """Widen the removal of the whole lines [start, end) so that it leaves no doubled blank line (gofmt
        would merge them), no blank line right after an opening `{`/`(` or right before a closing `}`/`)`."""
        src = self.source
        if start == 0 or end >= len(src):
            return start, end
        prev_start = src.rfind(b"\n", 0, start - 1) + 1
        previous = src[prev_start:start].strip()
        next_end = src.find(b"\n", end)
        next_end = len(src) if next_end < 0 else next_end + 1
        following = src[end:next_end].strip()
        if not following and (not previous or previous.endswith((b"{", b"("))):
            return start, next_end
        if not previous and following.startswith((b"}", b")")):
            return prev_start, end
        return start, end

    def delete_element(self, element: tree_sitter.Node) -> Edit:
        """Remove a keyed element (`Field: value`) from a composite literal, with its comma.

        When it stands alone on its line(s), the lines go and the `key: value` lines that were aligned with it
        are realigned as gofmt does: values in one column after the longest key, trailing comments in one column."""
        body = element.parent
        if body is not None and body.type == "literal_value" and [c.id for c in body.named_children] == [element.id]:
            # T{} (gofmt joins an empty literal's braces); the line holding it may now align with its neighbours
            return self._aligned(Edit(self.char_offset(body.start_byte + 1), self.char_offset(body.end_byte - 1), ""))
        lines = self._own_lines(element)
        if lines is not None:
            start, end = self._tidy_blank_lines(*lines)
            return self._aligned(Edit(self.char_offset(start), self.char_offset(end), ""))
        nxt = element.next_sibling
        end = element.end_byte
        if nxt is not None and nxt.type == ",":
            end = nxt.end_byte
            while end < len(self.source) and self.source[end:end + 1] in (b" ", b"\t"):
                end += 1
            prev = element.prev_sibling
            if self.source[end:end + 1] in (b"\n", b"\r") and prev is not None and prev.type == ",":
                start = prev.end_byte  # the last element of its line: no space left after the previous comma
                return Edit(self.char_offset(start), self.char_offset(end), "")
        else:
            prev = element.prev_sibling
            if prev is not None and prev.type == ",":
                return Edit(self.char_offset(prev.start_byte), self.char_offset(element.end_byte), "")
        return Edit(self.char_offset(element.start_byte), self.char_offset(end), "")

    def remove_statement(self, node: tree_sitter.Node) -> Edit | None:
        """Remove the statement `node` is (an assignment) or is the whole expression of (`x.Close()`,
        `defer x.Close()`), with its line(s). When it is the only statement of an `if` without `else` or init
        statement whose condition makes no call or channel receive, the whole `if` goes. None when the
        statement shares its line, or when removing it would leave an import or local variable unused."""
        stmt = node if node.type in _REMOVABLE_STATEMENTS else node.parent
        if stmt is None or stmt.type not in _REMOVABLE_STATEMENTS or stmt.parent is None:
            return None
        if stmt.parent.type not in ("statement_list", "block"):
            return None
        for target in (self._only_statement_of_if(stmt), stmt):
            if target is not None and not self.orphaned_names(target):
                return self.delete_statement(target)
        return None

    def _only_statement_of_if(self, stmt: tree_sitter.Node) -> tree_sitter.Node | None:
        statements = stmt.parent
        if statements.type != "statement_list":
            return None
        if [c.id for c in statements.named_children if c.type != "comment"] != [stmt.id]:
            return None
        block = statements.parent
        branch = block.parent if block is not None else None
        if branch is None or branch.type != "if_statement" or branch.parent is None:
            return None
        if branch.parent.type not in ("statement_list", "block"):
            return None  # an `else if`
        consequence = branch.child_by_field_name("consequence")
        if consequence is None or consequence.id != block.id:
            return None
        if branch.child_by_field_name("alternative") is not None or branch.child_by_field_name("initializer") is not None:
            return None
        for n in self._descendants(branch.child_by_field_name("condition") or branch):
            if n.type == "call_expression" or (n.type == "unary_expression" and self.text(n).startswith("<-")):
                return None
        return branch

    def _aligned_rows(self, body: tree_sitter.Node) -> dict[int, tuple[str, str, str, int, str]]:
        """Rows of a literal that hold one single-line `key: value,` and nothing else but a `//` comment:
        row -> (indent, key, value, value column, comment)."""
        elements = [c for c in body.named_children if c.type != "comment"]
        per_row: dict[int, int] = {}
        for c in elements:
            for row in range(c.start_point[0], c.end_point[0] + 1):
                per_row[row] = per_row.get(row, 0) + 1
        text = self.source_text
        rows = {}
        for c in elements:
            row = c.start_point[0]
            if c.type != "keyed_element" or c.end_point[0] != row or per_row[row] != 1 or c.named_child_count < 2:
                continue
            key, value = c.named_children[0], c.named_children[-1]
            begin, finish = self.span(c)
            line_start = text.rfind("\n", 0, begin) + 1
            line_end = text.find("\n", finish)
            line_end = len(text) if line_end < 0 else line_end
            colon = text[self.char_offset(key.end_byte):self.char_offset(value.start_byte)]
            tail = re.fullmatch(r",[ \t]*(//.*?|/\*.*?\*/)?[ \t]*\r?", text[finish:line_end])
            if text[line_start:begin].strip() or not re.fullmatch(r":[ \t]*", colon) or tail is None:
                continue
            value_column = self.char_offset(value.start_byte) - line_start
            rows[row] = (text[line_start:begin], self.text(key), self.text(value), value_column, tail.group(1) or "")
        return rows

    def _aligned(self, edit: Edit) -> Edit:
        """`edit` (removing lines, or emptying a literal) widened to realign the `key: value` rows around it as
        gofmt does: values in one column after the longest key, trailing comments in one column. Rows are
        realigned only when they were aligned that way before (on each side of the edit)."""
        text = self.source_text
        after = text[:edit.start] + edit.replacement + text[edit.end:]
        new = parse(self.path, after.encode("utf-8"))
        at = len(after[:edit.start].encode("utf-8"))
        cut_row = after.count("\n", 0, edit.start)
        changed = not (edit.start == 0 or after[edit.start - 1] == "\n")  # the edit's row itself was rewritten
        node = new.root.descendant_for_byte_range(at, at)
        bodies = []
        while node is not None and len(bodies) < 2:
            if node.type == "literal_value":
                bodies.append(node)
            node = node.parent
        for body in bodies:
            rows = new._aligned_rows(body)
            if cut_row not in rows and (cut_row - 1 not in rows or changed):
                continue
            first = last = cut_row if cut_row in rows else cut_row - 1
            while first - 1 in rows:
                first -= 1
            while last + 1 in rows:
                last += 1
            section = list(range(first, last + 1))
            entries = [rows[r] for r in section]
            sides = ({e[3] for r, e in zip(section, entries) if r < cut_row},
                     {e[3] for r, e in zip(section, entries) if r > cut_row or (r == cut_row and not changed)})
            if len({e[0] for e in entries}) != 1 or any(len(e[1]) > 40 for e in entries):
                continue  # nothing to align with; or gofmt stops aligning past 40-character keys
            if len(sides[0]) > 1 or len(sides[1]) > 1:
                continue  # the rows were not aligned as gofmt aligns them: leave their layout alone
            width = max(len(e[1]) for e in entries)
            rendered = [f"{e[0]}{e[1]}:{' ' * (width - len(e[1]) + 1)}{e[2]}," for e in entries]
            i = 0
            while i < len(entries):  # a run of consecutive rows with trailing comments aligns them
                j = i
                while j < len(entries) and entries[j][4]:
                    j += 1
                if j > i:
                    column = max(len(line) for line in rendered[i:j]) + 1
                    for k in range(i, j):
                        rendered[k] = rendered[k].ljust(column) + entries[k][4]
                i = j + 1
            lines = after.split("\n")
            if rendered == [lines[r].rstrip("\r") for r in section]:
                return edit  # already as gofmt lays them out
            starts = [0]
            for line in lines[:-1]:
                starts.append(starts[-1] + len(line) + 1)
            region_start = min(starts[first], edit.start)
            region_end = max(starts[last] + len(lines[last]), edit.start + len(edit.replacement))
            for r, line in zip(section, rendered):
                lines[r] = line + lines[r][len(lines[r].rstrip("\r")):]
            realigned = "\n".join(lines)
            tail = len(after) - region_end
            shift = len(edit.replacement) - (edit.end - edit.start)
            return Edit(region_start, region_end - shift, realigned[region_start:len(realigned) - tail])
        return edit

    def orphaned_names(self, node: tree_sitter.Node) -> list[str]:
        """Imported packages and local variables that only `node` uses: Go rejects an unused import or local
        variable, so a fix that removes `node` would no longer compile (e.g. `h := w.Header()` used only by the
        removed `h.Set("Connection", "close")`). Errs on the side of reporting a name."""
        names = {self.text(n) for n in self._descendants(node) if n.type in ("identifier", "package_identifier")}
        if not names:
            return []
        outside = self._uses_outside(self.root, node, names)
        orphans = []
        dot_imports = any(
            spec.child_by_field_name("name") is not None and spec.child_by_field_name("name").type == "dot"
            for spec in self.captures("(import_spec) @spec").get("spec", [])
        )
        for name in sorted(names):
            if name in self.imports or dot_imports:
                if not outside.get(name):
                    orphans.append(name)
                continue
            func = self.enclosing_function(node)
            while func is not None:
                declared = [n for n in self._descendants(func) if n.type == "identifier"
                            and self.text(n) == name and self._declares(n)]
                if declared:
                    uses = self._uses_outside(func, node, {name}).get(name, [])
                    if not [n for n in uses if not self._declares(n) and not self._assigned(n)]:
                        orphans.append(name)
                    break
                func = self.enclosing_function(func)
        return orphans

    @staticmethod
    def _descendants(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
        stack = [node]
        while stack:
            n = stack.pop()
            yield n
            stack.extend(n.named_children)

    def _uses_outside(self, scope, node, names: set[str]) -> dict[str, list[tree_sitter.Node]]:
        """Identifiers with one of `names` in `scope` but not inside `node` nor an import declaration."""
        found: dict[str, list[tree_sitter.Node]] = {}
        stack = [scope]
        while stack:
            n = stack.pop()
            if n.type == "import_declaration" or (n.start_byte >= node.start_byte and n.end_byte <= node.end_byte):
                continue
            if n.type in ("identifier", "package_identifier", "type_identifier") and self.text(n) in names:
                found.setdefault(self.text(n), []).append(n)
            stack.extend(n.named_children)
        return found

    @staticmethod
    def _declares(ident: tree_sitter.Node) -> bool:
        """`x` in `x := ...`, `var x ...` or `for x := range ...` (not a parameter: Go allows unused ones)."""
        parent = ident.parent
        if parent is not None and parent.type == "var_spec":
            return any(n.id == ident.id for n in parent.children_by_field_name("name"))
        if parent is None or parent.type != "expression_list" or parent.parent is None:
            return False
        holder = parent.parent
        if holder.type == "short_var_declaration" or (
            holder.type == "range_clause" and any(c.type == ":=" for c in holder.children)
        ):
            left = holder.child_by_field_name("left")
            return left is not None and left.id == parent.id
        return False

    @staticmethod
    def _assigned(ident: tree_sitter.Node) -> bool:
        """`x` on the left of `x = ...` (a store, not a use)."""
        parent = ident.parent
        holder = parent.parent if parent is not None and parent.type == "expression_list" else None
        if holder is None or holder.type != "assignment_statement":
            return False
        left, operator = holder.child_by_field_name("left"), holder.child_by_field_name("operator")
        return left is not None and left.id == parent.id and operator is not None and operator.type == "="

    # ---- reporting --------------------------------------------------------------------
    def _column(self, row: int, byte_col: int, start_byte: int) -> int:
        line_start = start_byte - byte_col
        return len(self.source[line_start:line_start + byte_col].decode("utf-8", "replace")) + 1

    def position(self, node: tree_sitter.Node) -> tuple[int, int, int, int]:
        srow, scol = node.start_point
        erow, ecol = node.end_point
        return (
            srow + 1,
            self._column(srow, scol, node.start_byte),
            erow + 1,
            self._column(erow, ecol, node.end_byte),
        )

    def report(
        self,
        node: tree_sitter.Node,
        message: str | None = None,
        severity: Severity | None = None,
        fix: Fix | None = None,
    ) -> Hit:
        line, col, end_line, end_col = self.position(node)
        return Hit(line, col, end_line, end_col, message=message, severity=severity, fix=fix)
