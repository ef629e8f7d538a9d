"""Go that tree-sitter-go is behind on, parsed anyway by same-length rewrites.

tree-sitter-go 0.25 parses `new(T)` with a type only; Go 1.26 also allows an expression (`new(e.crc.Sum32())`,
`new(42)`). Such a call is parsed again with `new` spelled as an ordinary function name of the same length, so
every byte offset and position stays exact; GoFile keeps the original bytes, so rules read the real text
through GoFile.text (a node's own `.text`, and query text predicates, see the rewritten bytes).
A `new` is rewritten only when the grammar cannot parse its call and the rewritten call parses with an argument
that is not a type: a real syntax error stays an error. (Range over int and functions, generic type aliases
and the other syntax of Go 1.22-1.26 parse natively.)
"""

from __future__ import annotations

from functools import lru_cache

import tree_sitter

NEW = b"new"
STAND_IN = b"nEw"  # same length; the grammar's special form for `new(T)` does not apply to it
_NEW_QUERY = '((identifier) @new (#eq? @new "new"))'


@lru_cache(maxsize=None)
def _query(language: tree_sitter.Language) -> tree_sitter.Query:
    return tree_sitter.Query(language, _NEW_QUERY)


def parse(parser: tree_sitter.Parser, data: bytes) -> tree_sitter.Tree:
    """The tree of `data`, with each `new(expression)` parsed as the call it is."""
    tree = parser.parse(data)
    bridged: set[int] = set()
    while tree.root_node.has_error:  # each round bridges at least one call; error recovery may hide the next
        suspects = {at for at in _new_names(parser, tree) if at not in bridged and _call(tree, at) is None}
        if not suspects:
            break
        trial = parser.parse(_rewrite(data, bridged | suspects))
        accepted = {at for at in suspects if _takes_expression(parser, trial, data, at)}
        if not accepted:
            break
        bridged |= accepted
        tree = trial if accepted == suspects else parser.parse(_rewrite(data, bridged))
    return tree


def _new_names(parser: tree_sitter.Parser, tree: tree_sitter.Tree) -> list[int]:
    captures = tree_sitter.QueryCursor(_query(parser.language)).captures(tree.root_node)
    return [node.start_byte for node in captures.get("new", [])]


def _call(tree: tree_sitter.Tree, at: int) -> tree_sitter.Node | None:
    """The error-free call whose function is the name at byte `at`."""
    name = tree.root_node.descendant_for_byte_range(at, at + len(NEW))
    call = name.parent if name is not None else None
    if call is None or call.type != "call_expression" or call.has_error:
        return None
    function = call.child_by_field_name("function")
    return call if function is not None and function.id == name.id else None


def _takes_expression(parser: tree_sitter.Parser, trial: tree_sitter.Tree, data: bytes, at: int) -> bool:
    """The rewritten call parses, with one argument that the grammar cannot read as a type."""
    call = _call(trial, at)
    arguments = call.child_by_field_name("arguments") if call is not None else None
    args = [c for c in arguments.named_children if c.type != "comment"] if arguments is not None else []
    if len(args) != 1:
        return False
    as_type = b"package p\nvar _ = new(" + data[args[0].start_byte:args[0].end_byte] + b")\n"
    return parser.parse(as_type).root_node.has_error


def _rewrite(data: bytes, starts: set[int]) -> bytes:
    out = bytearray(data)
    for at in starts:
        out[at:at + len(NEW)] = STAND_IN
    return bytes(out)
