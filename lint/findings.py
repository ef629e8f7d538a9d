"""Findings, fixes and the report of a whole run."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Edit:
    """Replace the characters between two 0-based offsets of the file's text."""

    start: int
    end: int
    replacement: str


@dataclass(frozen=True)
class Fix:
    title: str
    edits: tuple[Edit, ...]
    safe: bool = True


@dataclass(frozen=True)
class Hit:
    """What a rule reports: a range (1-based line and column) and optional overrides."""

    line: int
    col: int
    end_line: int
    end_col: int
    message: str | None = None
    severity: Severity | None = None
    fix: Fix | None = None


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    col: int
    end_line: int
    end_col: int
    code: str
    name: str
    message: str
    severity: Severity
    fix: Fix | None = None

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.line, self.col, self.code, self.end_line, self.end_col, self.message)


@dataclass(frozen=True)
class Notice:
    """A diagnostic about the run rather than the code (unknown suppression code, skipped file...)."""

    path: str
    message: str
    line: int = 0
    level: str = "warning"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # internal errors: a rule or frontend raised
    files_checked: int = 0
    baselined: int = 0  # findings hidden by the baseline
    fixes: list = field(default_factory=list)  # fixes.FileFix for each file a fix changed (or would change)

    def sort(self) -> None:
        self.findings.sort(key=lambda f: f.sort_key)
        self.notices.sort(key=lambda n: (n.path, n.line, n.message))
        self.errors.sort()
