"""`--statistics`: how many findings each rule has, most first (then by code).

    text:  `  12  CL101  connection-close-header`, the count right-aligned; nothing for a clean run.
    json:  [{"code": "CL101", "name": "connection-close-header", "count": 12, "fixable": 3}, ...]
    (fixable: findings `--fix` fixes, the safe fixes)
"""

from __future__ import annotations

from ..findings import Report
from .json import dumps


def rows(report: Report) -> list[tuple[str, str, int, int]]:
    """(code, name, count, fixable) per rule that has findings, by count descending then code."""
    counts: dict[str, list] = {}
    for f in report.findings:
        row = counts.setdefault(f.code, [f.name, 0, 0])
        row[1] += 1
        row[2] += f.fix is not None and f.fix.safe
    return sorted(((code, name, n, fixable) for code, (name, n, fixable) in counts.items()),
                  key=lambda r: (-r[2], r[0]))


def render(report: Report, **_: object) -> str:
    table = rows(report)
    if not table:
        return ""
    width = max(4, len(str(table[0][2])))
    return "".join(f"{n:>{width}}  {code}  {name}\n" for code, name, n, _ in table)


def render_json(report: Report, **_: object) -> str:
    return dumps([{"code": code, "name": name, "count": n, "fixable": fixable}
                  for code, name, n, fixable in rows(report)], indent=2) + "\n"
