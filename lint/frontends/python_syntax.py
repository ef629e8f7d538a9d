"""Python that libcst is behind on: name the construct, instead of calling valid code broken.

libcst (1.8.4 to 1.9 at least) parses the syntax of Python 3.12-3.14 (PEP 695, 696, 701, 758 and 750) except
two t-string forms: a prefix with `t` before `r` (`tr"..."`; `rt"..."` parses) and t-strings concatenated
implicitly (`t"a" t"b"`). When a file does not parse, its t-string prefixes are respelled as the f-string
prefixes of the same length (the two share their grammar) and the file is parsed again. libcst's tree of that
text then tells which string literals are t-strings, so a `t` followed by a quote in a comment or inside a
string changes nothing; and when the respelled text fails too, the file has a real syntax error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from tokenize import detect_encoding

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

_T_PREFIX = re.compile(r"(?<!\w)(?:[rR][tT]|[tT][rR]?)(?=['\"])")  # candidates only: libcst decides
_AS_F = str.maketrans("tT", "fF")
_NEWLINE = re.compile(r"\r\n|\r|\n")  # libcst's line breaks
MIXED = "cannot mix t-string literals with string or bytes literals"  # CPython 3.14's words


@dataclass(frozen=True)
class TStringGap:
    """What the t-strings of a file that libcst cannot parse have to do with it."""

    source: bytes  # the file with its t-string prefixes respelled, same length
    error: cst.ParserSyntaxError | None = None  # `source` does not parse either: a real syntax error
    constructs: tuple[str, ...] = ()  # the forms libcst cannot parse
    line: int = 0  # where the first of them is
    mixed: tuple[int, int] | None = None  # (line, 0-based column) of a t-string concatenated with a str


def t_string_gap(data: bytes) -> TStringGap | None:
    """None when the file has no t-string or libcst fails on it for another reason."""
    try:
        encoding = detect_encoding(iter(data.splitlines(keepends=True)).__next__)[0]
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return None
    prefixes = {}
    starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
    line = 0
    for match in _T_PREFIX.finditer(text):
        while line + 1 < len(starts) and starts[line + 1] <= match.start():
            line += 1
        prefixes[(line + 1, match.start() - starts[line])] = match.group()
    if not prefixes:
        return None
    respelled = _T_PREFIX.sub(lambda m: m.group().translate(_AS_F), text)
    source = respelled.encode(encoding)
    try:
        module = cst.parse_module(respelled)
    except cst.ParserSyntaxError as exc:
        return TStringGap(source, error=exc)
    except (cst.CSTLogicError, cst.CSTValidationError, RecursionError):
        return None
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)

    def prefix(node: cst.CSTNode) -> str | None:  # the original prefix, when `node` is a t-string
        start = positions[node].start
        return prefixes.get((start.line, start.column)) if isinstance(node, cst.FormattedString) else None

    found: dict[str, tuple[str, int]] = {}  # kind -> (construct, its first line)
    first = 0  # the first t-string's line
    for node, where in sorted(positions.items(), key=lambda item: (item[1].start.line, item[1].start.column)):
        spelled = prefix(node)
        first = first or (where.start.line if spelled else 0)
        if spelled and spelled.lower() == "tr":
            found.setdefault("prefix", (f"the t-string prefix `{spelled}`", where.start.line))
        elif isinstance(node, cst.ConcatenatedString):
            kinds = {prefix(part) is not None for part in string_parts(node)}
            if kinds == {True, False}:
                return TStringGap(source, mixed=(where.start.line, where.start.column))
            if kinds == {True}:
                found.setdefault("concatenation", ("implicitly concatenated t-strings", where.start.line))
    if not first:
        return None
    if not found:  # some other t-string form
        return TStringGap(source, constructs=("t-strings",), line=first)
    return TStringGap(source, constructs=tuple(c for c, _ in found.values()), line=min(n for _, n in found.values()))


def string_parts(node: cst.ConcatenatedString) -> list[cst.BaseExpression]:
    parts: list[cst.BaseExpression] = []
    while isinstance(node, cst.ConcatenatedString):
        parts.append(node.left)
        node = node.right
    return parts + [node]
