"""GitHub Actions workflow commands: one annotation a finding, shown on the pull request's diff.

    ::error file=svc/main.go,line=6,col=2,endLine=6,endColumn=38,title=CL101 connection-close-header::Response...

error -> `::error`, warning -> `::warning`, note -> `::notice`. Columns are 1-based and `endColumn` is
the last column of the finding (inclusive); GitHub takes columns only for a single-line range, so a
finding over several lines gives `line` and `endLine` alone. Values are escaped as the Actions toolkit
does: `%`, CR and LF everywhere, and `,` `:` in properties too. Paths are relative to the repository root.

Options:
    root  the folder paths are relative to (default: the nearest folder holding `.git`, from the
          current folder up, else the current folder).
"""

from __future__ import annotations

import os

from ..findings import Finding, Report, Severity
from .common import default_root, root_relative, writable

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def render(report: Report, *, root: str | os.PathLike | None = None, **_: object) -> str:
    folder = default_root(root)
    return writable("".join(annotation(f, folder) + "\n" for f in report.findings))


def annotation(f: Finding, root: str) -> str:
    line = max(f.line, 1)
    end_line = max(f.end_line, line)
    props: list[tuple[str, object]] = [("file", root_relative(f.path, root)), ("line", line)]
    if end_line == line:
        col = max(f.col, 1)
        props += [("col", col), ("endLine", end_line), ("endColumn", max(f.end_col - 1, col))]
    else:
        props += [("endLine", end_line)]
    props.append(("title", f"{f.code} {f.name}"))
    properties = ",".join(f"{key}={escape_property(str(value))}" for key, value in props)
    return f"::{COMMAND.get(f.severity, 'error')} {properties}::{escape_data(f.message)}"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
