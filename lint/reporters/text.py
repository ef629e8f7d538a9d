"""`path:line:col: CODE message`, one line a finding (`[*]` after the code when it has a fix), then a summary.

Options:
    color  paint the path, and the code in its severity's colour, with ANSI escapes (the CLI decides).
Paths and messages go through `printable`: a control character in a file name cannot break the layout.
"""

from __future__ import annotations

from ..findings import Finding, Report, Severity
from .common import printable

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
SEVERITY_STYLE = {Severity.ERROR: "\x1b[1;31m", Severity.WARNING: "\x1b[1;33m", Severity.NOTE: "\x1b[1;36m"}


def render(report: Report, *, color: bool = False, **_: object) -> str:
    lines = [header(f, color) for f in report.findings]
    if report.findings:
        lines.append("")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def paint(text: str, style: str, color: bool) -> str:
    return f"{style}{text}{RESET}" if color and text else text


def header(f: Finding, color: bool = False) -> str:
    """The finding's one line: `path:line:col: CODE [*] message`."""
    path = paint(printable(f.path), BOLD, color)
    code = paint(f.code, SEVERITY_STYLE.get(f.severity, BOLD), color)
    mark = " [*]" if f.fix is not None else ""
    return f"{path}:{f.line}:{f.col}: {code}{mark} {printable(f.message)}"


def summary(report: Report) -> str:
    count = len(report.findings)
    if count:
        files = len({f.path for f in report.findings})
        return f"Found {count} problem{'s' if count != 1 else ''} in {files} file{'s' if files != 1 else ''}."
    return f"No problems found in {report.files_checked} file{'s' if report.files_checked != 1 else ''}."
