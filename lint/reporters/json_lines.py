"""One JSON object a line per finding (the json format's objects), sorted; nothing for a clean run."""

from __future__ import annotations

from ..findings import Report
from .json import dumps, item


def render(report: Report, **_: object) -> str:
    return "".join(dumps(item(f)) + "\n" for f in report.findings)
