"""A JSON array of findings, sorted, with stable keys."""

from __future__ import annotations

import json

from ..findings import Report


def render(report: Report, **_: object) -> str:
    items = [
        {
            "code": f.code,
            "name": f.name,
            "message": f.message,
            "severity": f.severity.value,
            "path": f.path,
            "location": {"line": f.line, "column": f.col},
            "end_location": {"line": f.end_line, "column": f.end_col},
            "fix": None
            if f.fix is None
            else {
                "title": f.fix.title,
                "safe": f.fix.safe,
                "edits": [{"start": e.start, "end": e.end, "content": e.replacement} for e in f.fix.edits],
            },
        }
        for f in report.findings
    ]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"
