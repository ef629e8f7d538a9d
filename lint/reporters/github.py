"""GitHub Actions workflow commands: one annotation a finding, shown on the pull request's diff.

    ::error file=svc/main.go,line=6,col=2,endLine=6,endColumn=38,title=CL101 connection-close-header::Response...

error -> `::error`, warning -> `::warning`, note -> `::notice`. Columns are 1-based and `endColumn` is
the last column of the finding (inclusive); GitHub takes columns only for a single-line range, so a
finding over several lines gives `line` and `endLine` alone. Values are escaped as the Actions toolkit
does: `%`, CR and LF everywhere, and `,` `:` in properties too. Paths are relative to the repository root.

`file=` is the real path, whatever it holds (the runner undoes exactly those escapes, nothing else), so
the annotation lands on the file: a control character in a name stays as it is there. The message is
for people: control characters other than CR and LF are shown as `\x1b`... A name that is not UTF-8
(an undecodable byte) cannot be named: the runner reads workflow commands as UTF-8 text and GitHub's
paths are UTF-8, so that annotation has no `file=` (it shows on the run, not on a file) and its message
starts with the escaped path and position (`undecodable\xff.go:1:1: ...`).

Options:
    root  the folder paths are relative to (default: the nearest folder holding `.git`, from the
          current folder up, else the current folder).
"""

from __future__ import annotations

import os
import re

from ..findings import Finding, Report, Severity
from .common import default_root, escape_char, printable, root_relative, writable

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}
MESSAGE_CONTROL = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")  # CR, LF: escaped below
UNDECODABLE = re.compile(r"[\ud800-\udfff]")  # os.fsdecode's stand-ins for bytes that are not UTF-8


def render(report: Report, *, root: str | os.PathLike | None = None, **_: object) -> str:
    folder = default_root(root)
    return writable("".join(annotation(f, folder) + "\n" for f in report.findings))


def annotation(f: Finding, root: str) -> str:
    line = max(f.line, 1)
    end_line = max(f.end_line, line)
    col = max(f.col, 1)
    path = root_relative(f.path, root)
    message = MESSAGE_CONTROL.sub(escape_char, f.message)
    props: list[tuple[str, object]] = []
    if UNDECODABLE.search(path):
        message = f"{printable(path)}:{line}:{col}: {message}"
    elif end_line == line:
        props = [("file", path), ("line", line), ("col", col), ("endLine", end_line),
                 ("endColumn", max(f.end_col - 1, col))]
    else:
        props = [("file", path), ("line", line), ("endLine", end_line)]
    props.append(("title", f"{f.code} {f.name}"))
    properties = ",".join(f"{key}={escape_property(str(value))}" for key, value in props)
    return f"::{COMMAND.get(f.severity, 'error')} {properties}::{escape_data(message)}"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
