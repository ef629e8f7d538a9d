"""A JSON array of findings, sorted, with stable keys."""

from __future__ import annotations

import json

from ..findings import Finding, Report


def item(f: Finding) -> dict:
    """One finding as a JSON object (also each line of the json-lines format)."""
    return {
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


def dumps(value: object, **options) -> str:
    """JSON with non-ASCII text kept, unless a lone surrogate (an undecodable file name) forbids it."""
    text = json.dumps(value, ensure_ascii=False, **options)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value, ensure_ascii=True, **options)
    return text


def render(report: Report, **_: object) -> str:
    return dumps([item(f) for f in report.findings], indent=2) + "\n"
