"""`path:line:col: CODE severity: message`, one line a finding, then a summary.

`[*]` after the code marks a finding that `--fix` fixes (an unsafe fix only with `unsafe_fixes`); the
summary counts the problems by severity and says how many `--fix` (and `--fix --unsafe-fixes`) would fix.

Options:
    color         paint the path, and the code and severity in its colour, with ANSI escapes (the CLI decides).
    unsafe_fixes  the run was given --unsafe-fixes: unsafe fixes count as fixable.
Paths and messages go through `printable`: a control character in a file name cannot break the layout.
"""

from __future__ import annotations

from ..findings import Finding, Report, Severity
from .common import printable

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
SEVERITY_STYLE = {Severity.ERROR: "\x1b[1;31m", Severity.WARNING: "\x1b[1;33m", Severity.NOTE: "\x1b[1;36m"}


def render(report: Report, *, color: bool = False, unsafe_fixes: bool = False, **_: object) -> str:
    lines = [header(f, color, unsafe_fixes) for f in report.findings]
    if report.findings:
        lines.append("")
    lines.append(summary(report))
    hint = fixable_hint(report, unsafe_fixes)
    if hint:
        lines.append(hint)
    return "\n".join(lines) + "\n"


def paint(text: str, style: str, color: bool) -> str:
    return f"{style}{text}{RESET}" if color and text else text


def fixable(f: Finding, unsafe_fixes: bool) -> bool:
    return f.fix is not None and (f.fix.safe or unsafe_fixes)


def header(f: Finding, color: bool = False, unsafe_fixes: bool = False) -> str:
    """The finding's one line: `path:line:col: CODE [*] severity: message`."""
    path = paint(printable(f.path), BOLD, color)
    style = SEVERITY_STYLE.get(f.severity, BOLD)
    mark = " [*]" if fixable(f, unsafe_fixes) else ""
    return f"{path}:{f.line}:{f.col}: {paint(f.code, style, color)}{mark} {paint(f.severity.value, style, color)}: " \
           f"{printable(f.message)}"


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' if n != 1 else ''}"


def summary(report: Report) -> str:
    count = len(report.findings)
    if not count:
        return f"No problems found in {_count(report.files_checked, 'file')}."
    files = len({f.path for f in report.findings})
    levels = [_count(n, level.value) for level in Severity
              if (n := sum(1 for f in report.findings if f.severity is level))]
    return f"Found {_count(count, 'problem')} ({', '.join(levels)}) in {_count(files, 'file')}."


def fixable_hint(report: Report, unsafe_fixes: bool) -> str:
    """`[*] 3 fixable with --fix (1 more with --fix --unsafe-fixes).`, `No fixes available (1 more with
    --fix --unsafe-fixes).`, or "" when no finding has a fix."""
    safe = sum(1 for f in report.findings if fixable(f, unsafe_fixes))
    hidden = sum(1 for f in report.findings if f.fix is not None and not fixable(f, unsafe_fixes))
    if not safe and not hidden:
        return ""
    more = f" ({hidden:,} more with --fix --unsafe-fixes)" if hidden else ""
    flags = "--fix --unsafe-fixes" if unsafe_fixes else "--fix"
    return f"[*] {safe:,} fixable with {flags}{more}." if safe else f"No fixes available{more}."
