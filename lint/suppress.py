"""Inline suppressions in real comments: `# noqa: CL101` (Python) and `//connlint:ignore CL101 reason` (Go)."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from . import comments
from .comments import BOM, PY_NEWLINE

# flake8's form: `# noqa`, `# noqa: A1, B2`, `# NOQA:A1 B2`.
PY_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.I)
GO_IGNORE = re.compile(r"//\s*connlint:ignore\s+(?P<codes>[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)(?P<reason>[^\n]*)")
CODE = re.compile(r"[A-Z]+[0-9]+", re.I)
CONNLINT_CODE = re.compile(r"^CL\d+$")

ALL = None  # a bare `# noqa`


@dataclass(frozen=True)
class Suppression:
    line: int  # the line whose findings it silences
    codes: frozenset[str] | None  # None: every code
    reason: str
    comment_line: int
    column: int = 1  # 1-based column of the comment
    codes_end: int = -1  # offset in the text just after its codes (-1: none), where --add-noqa adds more
    exact: bool = True  # False: found by a text search where the tokenizer failed (see comments._python)


def scan(language: str, text: str, layout: comments.Layout | None = None, tree=None) -> dict[int, Suppression]:
    """Every suppression in a file's real comments, by the line whose findings it silences.

    A comment at the end of a group's last line (comments.Layout.group: a multi-line string, `\\`
    continuations) covers the whole group; in Go, a directive alone on its line covers the next group.
    `tree`: tree-sitter's parse of `text` (UTF-8), if the caller has one.
    """
    marker = "noqa" if language == "python" else "connlint:ignore"
    last = text.lower().rfind(marker)
    if last < 0:
        return {}
    if layout is None:  # lines past the last marker cannot hold a suppression: not tokenized
        layout = comments.layout(language, text, last_line=len(PY_NEWLINE.findall(text, 0, last)) + 1, tree=tree)
    pattern = PY_NOQA if language == "python" else GO_IGNORE
    found: dict[int, Suppression] = {}
    for comment in layout.comments:
        match = None
        for match in pattern.finditer(comment.text):
            pass
        if match is None:
            continue
        at = comment.offset + match.start()
        alone = language == "go" and not text[layout.line_starts[comment.line - 1]:at].lstrip(BOM).strip()
        first, last = layout.group(comment.line + 1 if alone else comment.line)
        if not alone and last != comment.line:
            first = last = comment.line  # a comment inside a multi-line f-string field: its line only
        _add(found, text, layout, match, comment.offset, comment.line, range(first, last + 1), True)
    if layout.exact_until <= len(layout.line_starts):
        offset = layout.line_starts[layout.exact_until - 1]
        for match in pattern.finditer(text, offset):  # where tokenizing failed: any `# noqa` text counts
            line = bisect.bisect_right(layout.line_starts, match.start())
            _add(found, text, layout, match, 0, line, (), False)
    return found


def _add(found: dict[int, Suppression], text: str, layout: comments.Layout, match: re.Match, base: int,
         line: int, covered, exact: bool) -> None:
    codes = match.group("codes")
    parsed = frozenset(c.upper() for c in CODE.findall(codes)) if codes else ALL
    if "reason" in match.re.groupindex:
        reason = match.group("reason")
    else:  # `# noqa: CL101 the legacy balancer needs it`
        line_end = PY_NEWLINE.search(match.string, match.end())
        reason = match.string[match.end():line_end.start() if line_end else len(match.string)]
    reason = reason.strip(" \t\r-:#")
    column = base + match.start() - layout.line_starts[line - 1] + (0 if line == 1 and text.startswith(BOM) else 1)
    codes_end = base + match.end("codes") if codes else -1
    found[line] = Suppression(line, parsed, reason, line, column, codes_end, exact)
    for other in covered:
        if other != line:
            found.setdefault(other, Suppression(other, parsed, reason, line, column, codes_end, exact))


PLACEHOLDER_REASON = "TODO: explain why"


def suppression_edits(language: str, text: str, wanted: dict[int, set[str]], reason: str = PLACEHOLDER_REASON
                      ) -> tuple[list[tuple[int, int, str]], list[int]]:
    """Edits (start, end, replacement: offsets into `text`) that suppress `wanted[line]` codes on each line,
    and the lines that got none. Each goes where a comment is legal and covers the line: into the
    suppression already covering it, else at the end of the last line of the line's group
    (comments.Layout.group), except in Go when the line ends inside the group: alone on the line above
    the group. Nothing is placed where the tokenizer failed (comments._python): a comment could land
    inside a string there.
    """
    layout = comments.layout(language, text)
    marks = scan(language, text, layout)
    merges: dict[int, tuple[Suppression, set[str]]] = {}
    places: dict[tuple[str, int], set[str]] = {}
    skipped = []
    for line, codes in sorted(wanted.items()):
        mark = marks.get(line)
        first, last = layout.group(line)
        if mark is not None and mark.codes is None:
            continue  # a bare `# noqa` already covers every code
        if not 1 <= line <= len(layout.line_starts) or last >= layout.exact_until or (
                mark is not None and not mark.exact):
            skipped.append(line)
        elif mark is not None:
            merges.setdefault(mark.codes_end, (mark, set()))[1].update(codes)
        elif language == "go" and line != last:  # the line ends inside a raw string or block comment
            places.setdefault(("above", first), set()).update(codes)
        else:
            places.setdefault(("end", last), set()).update(codes)
    separator = ", " if language == "python" else ","
    edits = []
    for at, (mark, codes) in merges.items():
        if codes - mark.codes:
            edits.append((at, at, separator + separator.join(sorted(codes - mark.codes))))
    for (where, line), codes in places.items():
        edits.append(_comment_edit(language, text, layout, where, line, separator.join(sorted(codes)), reason))
    return sorted(edits), skipped


def _comment_edit(language: str, text: str, layout: comments.Layout, where: str, line: int, codes: str,
                  reason: str) -> tuple[int, int, str]:
    start, end = layout.content(text, line)
    content = text[start:end]
    if where == "above":  # a Go directive alone on its line, indented as the line it covers
        indent = content[:len(content) - len(content.lstrip())]
        newline = text[end:layout.line_starts[line]] if line < len(layout.line_starts) else "\n"
        return start, start, f"{indent}//connlint:ignore {codes} {reason}{newline}"
    content = content.rstrip()  # never a `\` continuation: a group's last line does not end in one
    comment = f" //connlint:ignore {codes} {reason}" if language == "go" else f"  # noqa: {codes}"
    return start + len(content), end, comment


def unknown_codes(suppression: Suppression, known: set[str]) -> list[str]:
    """connlint-style codes (CLnnn) named in a suppression that no rule has."""
    if suppression.codes is None:
        return []
    return sorted(c for c in suppression.codes if CONNLINT_CODE.match(c) and c not in known)


def is_suppressed(code: str, suppression: Suppression | None) -> bool:
    if suppression is None:
        return False
    return suppression.codes is None or code in suppression.codes
