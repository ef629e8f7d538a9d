"""`path:line:col: CODE message`, one line a finding, then a summary."""

from __future__ import annotations

from ..findings import Report


def render(report: Report, **_: object) -> str:
    lines = [f"{f.path}:{f.line}:{f.col}: {f.code} {f.message}" for f in report.findings]
    files = len({f.path for f in report.findings})
    count = len(report.findings)
    if count:
        lines.append("")
        lines.append(f"Found {count} problem{'s' if count != 1 else ''} in {files} file{'s' if files != 1 else ''}.")
    else:
        lines.append(f"No problems found in {report.files_checked} file{'s' if report.files_checked != 1 else ''}.")
    return "\n".join(lines) + "\n"
