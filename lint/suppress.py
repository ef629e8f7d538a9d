"""Inline suppressions: `# noqa: CL101` (Python) and `//connlint:ignore CL101 reason` (Go)."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

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


def _line_starts(text: str, newline: re.Pattern) -> list[int]:
    return [0] + [m.end() for m in newline.finditer(text)]


PY_NEWLINE = re.compile(r"\r\n|\r|\n")  # Python's universal newlines, as libcst counts lines
GO_NEWLINE = re.compile(r"\n")  # tree-sitter counts only LF


def scan(language: str, text: str) -> dict[int, Suppression]:
    """Every suppression in a file, by the line whose findings it silences."""
    pattern, newline = (PY_NOQA, PY_NEWLINE) if language == "python" else (GO_IGNORE, GO_NEWLINE)
    marker = "noqa" if language == "python" else "connlint:ignore"
    if marker not in text.lower():
        return {}
    starts = _line_starts(text, newline)
    found: dict[int, Suppression] = {}
    for match in pattern.finditer(text):
        line = bisect.bisect_right(starts, match.start())
        codes = match.group("codes")
        parsed = frozenset(c.upper() for c in CODE.findall(codes)) if codes else ALL
        if language == "go":
            reason = match.group("reason")
        else:  # `# noqa: CL101 the legacy balancer needs it`
            line_end = newline.search(text, match.end())
            reason = text[match.end():line_end.start() if line_end else len(text)]
        reason = reason.strip(" \t\r-:#")
        column = match.start() - starts[line - 1] + 1
        found[line] = Suppression(line, parsed, reason, line, column)
        if language == "go":
            line_text = text[starts[line - 1]:match.start()]
            if not line_text.strip():  # a directive on its own line covers the next line
                found.setdefault(line + 1, Suppression(line + 1, parsed, reason, line, column))
    return found


def unknown_codes(suppression: Suppression, known: set[str]) -> list[str]:
    """connlint-style codes (CLnnn) named in a suppression that no rule has."""
    if suppression.codes is None:
        return []
    return sorted(c for c in suppression.codes if CONNLINT_CODE.match(c) and c not in known)


def is_suppressed(code: str, suppression: Suppression | None) -> bool:
    if suppression is None:
        return False
    return suppression.codes is None or code in suppression.codes
