"""GitLab Code Quality: the JSON array `artifacts: reports: codequality` takes, shown on merge requests.

Each finding gives `description` (`CODE message`), `check_name` (the code), `severity` (note -> info,
warning -> minor, error -> major), `location.path` (relative to the repository root) with
`location.lines.begin`, and a `fingerprint` that GitLab matches across pipelines to tell new findings
from old: a hash of the code, the path and the finding's source line with its whitespace normalised
(not the line number, so edits elsewhere in the file keep it), plus how many earlier findings share
those three, so that every fingerprint is unique as GitLab requires.

Options:
    root     as for the github format.
    sources  Mapping of Finding.path to the file's text, used instead of reading the file; a file that
             cannot be read hashes as an empty line.
"""

from __future__ import annotations

import hashlib
import os
from typing import Mapping

from ..findings import Report, Severity
from .common import Sources, default_root, root_relative
from .json import dumps

SEVERITY = {Severity.NOTE: "info", Severity.WARNING: "minor", Severity.ERROR: "major"}


def render(report: Report, *, root: str | os.PathLike | None = None, sources: Mapping[str, str] | None = None,
           **_: object) -> str:
    folder = default_root(root)
    lines_of = Sources(sources)
    seen: dict[tuple[str, str, str], int] = {}
    issues = []
    for f in report.findings:
        path = root_relative(f.path, folder)
        key = (f.code, path, " ".join((lines_of.line(f.path, f.line) or "").split()))
        seen[key] = seen.get(key, 0) + 1
        issues.append({
            "description": f"{f.code} {f.message}",
            "check_name": f.code,
            "fingerprint": fingerprint(*key, seen[key]),
            "severity": SEVERITY.get(f.severity, "major"),
            "location": {"path": path, "lines": {"begin": max(f.line, 1)}},
        })
    return dumps(issues, indent=2) + "\n"


def fingerprint(code: str, path: str, line_text: str, occurrence: int) -> str:
    data = "\0".join((code, path, line_text, str(occurrence))).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:32]
