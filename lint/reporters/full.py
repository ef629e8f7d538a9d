"""The text format plus each finding's source line, a caret underline under its columns and its fix.

    app/views.py:6:24: CL101 [*] error: Response sets `Connection: close`...
    6 |     return "ok", 200, {"Connection": "close"}
      |                        ^^^^^^^^^^^^^^^^^^^^^
      = help: Remove the `Connection: close` header

Options:
    color, unsafe_fixes  as for text; the caret takes the code's colour.
    sources  Mapping of Finding.path to the file's text, used instead of reading the file.
A file that cannot be read (or a line past its end) shows the finding's line alone. Tabs are expanded
to stops of 4 and wide characters count two columns, so the carets stay under their characters.
"""

from __future__ import annotations

from typing import Mapping

from ..findings import Finding, Report
from .common import Sources, printable, source_text, width
from .text import BOLD, SEVERITY_STYLE, fixable, fixable_hint, header, paint, summary

TAB = 4


def render(report: Report, *, color: bool = False, sources: Mapping[str, str] | None = None,
           unsafe_fixes: bool = False, **_: object) -> str:
    lines_of = Sources(sources)
    out: list[str] = []
    for f in report.findings:
        out.append(header(f, color, unsafe_fixes))
        gutter = " " * len(str(f.line))
        line = lines_of.line(f.path, f.line)
        if line is not None:
            shown, pad, length = _layout(line, f)
            carets = paint("^" * length, SEVERITY_STYLE.get(f.severity, BOLD), color)
            out.append(f"{f.line} | {shown}".rstrip())
            out.append(f"{gutter} | {' ' * pad}{carets}")
        if f.fix is not None:
            unsafe = "" if fixable(f, unsafe_fixes) else " (unsafe fix: --fix --unsafe-fixes)"
            out.append(f"{gutter} = help: {printable(f.fix.title)}{unsafe}")
        out.append("")
    out.append(summary(report))
    hint = fixable_hint(report, unsafe_fixes)
    if hint:
        out.append(hint)
    return "\n".join(out) + "\n"


def _layout(line: str, f: Finding) -> tuple[str, int, int]:
    """The line as shown, the columns before the finding, and the columns it spans (at least 1)."""
    start = min(max(f.col - 1, 0), len(line))
    end = len(line) if f.end_line > f.line else min(max(f.end_col - 1, start), len(line))
    shown: list[str] = []
    pad = length = column = 0
    for i, ch in enumerate(line):
        if ch == "\t":
            text = " " * (TAB - column % TAB)
            cells = len(text)
        else:
            text = source_text(ch)
            cells = width(text)
        if i < start:
            pad += cells
        elif i < end:
            length += cells
        shown.append(text)
        column += cells
    return "".join(shown), pad, max(length, 1)
