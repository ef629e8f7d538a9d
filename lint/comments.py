"""A file's real comments and the lines its strings join: the stdlib tokenizer for Python, tree-sitter's
comment nodes for Go. Text inside a string literal or a docstring is never a comment."""

from __future__ import annotations

import ast
import re
import sys
import tokenize
import warnings
from dataclasses import dataclass

PY_NEWLINE = re.compile(r"\r\n|\r|\n")  # Python's universal newlines, as libcst counts lines
GO_NEWLINE = re.compile(r"\n")  # tree-sitter counts only LF
BOM = "\ufeff"


@dataclass(frozen=True)
class Comment:
    line: int  # 1-based
    offset: int  # where it starts in the text
    text: str  # `# ...` (Python) or `// ...` (Go; block comments are not listed)


@dataclass(frozen=True)
class Layout:
    line_starts: list[int]  # offset of each line in the text
    comments: list[Comment]
    joined: dict[int, tuple[int, int]]  # a line a string or `\` joins to others -> (first, last) line
    exact_until: int  # lines from this one on could not be tokenized (Python only; see _python)

    def group(self, line: int) -> tuple[int, int]:
        """The lines a comment cannot be put between: a multi-line string's lines, `\\` continuations."""
        return self.joined.get(line, (line, line))

    def content(self, text: str, line: int) -> tuple[int, int]:
        """Offsets of a line's text without its terminator (and, on line 1, its byte order mark)."""
        start = self.line_starts[line - 1] + (1 if line == 1 and text.startswith(BOM) else 0)
        end = self.line_starts[line] if line < len(self.line_starts) else len(text)
        while end > start and text[end - 1] in "\r\n":
            end -= 1
        return start, end


def layout(language: str, text: str, last_line: int | None = None, tree=None) -> Layout:
    """The layout of `text`; with `last_line`, only what lies on lines up to it is complete (Python).
    `tree`: a tree-sitter parse of the Go `text` encoded in UTF-8, to reuse."""
    newline = PY_NEWLINE if language == "python" else GO_NEWLINE
    starts = [0] + [m.end() for m in newline.finditer(text)]
    if language == "python":
        comments, spans, exact_until = _python(text, starts, last_line or len(starts))
    else:
        comments, spans, exact_until = _go(text, starts, tree)
    return Layout(starts, comments, _merge(spans), exact_until)


def _merge(spans: list[tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """Line spans that share a line become one group; every line of a group maps to (first, last)."""
    joined: dict[int, tuple[int, int]] = {}
    merged: list[list[int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    for first, last in merged:
        for line in range(first, last + 1):
            joined[line] = (first, last)
    return joined


# ---- Python -------------------------------------------------------------------------------------
_FSTRING_TOKENS = {getattr(tokenize, n) for n in ("FSTRING_START", "TSTRING_START") if hasattr(tokenize, n)}
_FSTRING_ENDS = {getattr(tokenize, n) for n in ("FSTRING_END", "TSTRING_END") if hasattr(tokenize, n)}
_PREFIX = re.compile(r"[A-Za-z]*")
T_PREFIXES = {"t": "f", "tr": "fr", "rt": "rf"}  # PEP 750 t-strings, which Python < 3.14 reads as NAME STRING


def _python(text: str, starts: list[int], last_line: int) -> tuple[list[Comment], list[tuple[int, int]], int]:
    """Comments and multi-line spans from `tokenize`, up to the first line it cannot read exactly.

    That line (`exact_until`) is where tokenize raised (TokenError, IndentationError, SyntaxError),
    or, on a Python older than the file's syntax, where a PEP 701 f-string (3.12: quotes reused inside
    a replacement field, a field over several lines) or a PEP 750 t-string (3.14) starts: the old
    tokenizer ends such a string early and reads the rest of it as code, comments included.
    """
    bom = 1 if text.startswith(BOM) else 0
    lines: list[str] = []  # as fed to tokenize: each ends in LF; line 1 without the byte order mark

    def readline() -> str:
        if len(lines) == len(starts):
            return ""
        start = starts[len(lines)] + (bom if not lines else 0)
        end = starts[len(lines) + 1] if len(lines) + 1 < len(starts) else len(text)
        lines.append(PY_NEWLINE.sub("\n", text[start:end]))
        return lines[-1]

    comments: list[Comment] = []
    spans: list[tuple[int, int]] = []
    fstring_starts: list[int] = []
    previous = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes in the f-strings compiled below
            for token in tokenize.generate_tokens(readline):
                (line, col), (end_line, _) = token.start, token.end
                if previous is not None and line > previous.end[0] and previous.end[0] <= len(lines):
                    if lines[previous.end[0] - 1][previous.end[1]:].strip() == "\\":
                        spans.append((previous.end[0], line))  # a backslash continuation joins the lines
                if line > last_line:
                    break
                if _misread(token, previous):
                    return comments, spans, line
                if token.type == tokenize.COMMENT:
                    comments.append(Comment(line, starts[line - 1] + col + (bom if line == 1 else 0), token.string))
                elif token.type == tokenize.STRING and end_line > line:
                    spans.append((line, end_line))
                elif token.type in _FSTRING_TOKENS:
                    fstring_starts.append(line)
                elif token.type in _FSTRING_ENDS and fstring_starts:
                    first = fstring_starts.pop()
                    if not fstring_starts and end_line > first:
                        spans.append((first, end_line))
                previous = token
    except (tokenize.TokenError, SyntaxError) as exc:
        where = exc.args[1] if isinstance(exc, tokenize.TokenError) else (exc.lineno, 0)
        failed = max(1, where[0] if where and where[0] else len(starts))
        return [c for c in comments if c.line < failed], spans, failed
    return comments, spans, len(starts) + 1


def _misread(token: tokenize.TokenInfo, previous: tokenize.TokenInfo | None) -> bool:
    """Whether this Python's tokenizer cannot read the string starting at `token` as the file means it."""
    if token.type == tokenize.ERRORTOKEN:
        return token.string[:1] in ("'", '"')  # an unterminated string: a 3.12 f-string field over lines
    if token.type != tokenize.STRING or "{" not in token.string:
        return False
    prefix = _PREFIX.match(token.string).group().lower()
    if "f" in prefix and sys.version_info < (3, 12):
        return not _compiles(token.string)
    if (sys.version_info < (3, 14) and previous is not None and previous.type == tokenize.NAME
            and previous.end == token.start and previous.string.lower() in T_PREFIXES):
        return not _compiles(T_PREFIXES[previous.string.lower()] + token.string)
    return False


def _compiles(literal: str) -> bool:
    try:
        ast.parse(literal, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


# ---- Go -----------------------------------------------------------------------------------------
_GO_QUERY = "(comment) @comment (raw_string_literal) @string (interpreted_string_literal) @string"


def _go(text: str, starts: list[int], tree=None) -> tuple[list[Comment], list[tuple[int, int]], int]:
    """`//` comment nodes, and the lines raw strings and block comments span (tree-sitter)."""
    import tree_sitter

    from .frontends import go

    data = text.encode("utf-8", "surrogatepass")
    tree = tree or go._parser().parse(data)
    captures = tree_sitter.QueryCursor(go.compile_query(_GO_QUERY)).captures(tree.root_node)
    comments: list[Comment] = []
    spans: list[tuple[int, int]] = []
    ascii_only = text.isascii()
    for kind, nodes in captures.items():
        for node in nodes:
            line, end_line = node.start_point.row + 1, node.end_point.row + 1
            if end_line > line:
                spans.append((line, end_line))
            if kind == "comment" and data.startswith(b"//", node.start_byte):
                col = node.start_point.column
                if not ascii_only:
                    col = len(data[node.start_byte - col:node.start_byte].decode("utf-8", "surrogatepass"))
                body = data[node.start_byte:node.end_byte].decode("utf-8", "surrogatepass")
                comments.append(Comment(line, starts[line - 1] + col, body))
    comments.sort(key=lambda c: c.offset)
    return comments, spans, len(starts) + 1
