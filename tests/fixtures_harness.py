"""Reads `ruleid:` / `ok:` / `todoruleid:` / `todook:` annotations from fixture files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ANNOTATION = re.compile(
    r"^\s*(?:#|//)\s*(ruleid|ok|todoruleid|todook):\s*(CL\d{3}(?:\s*,\s*CL\d{3})*)"
    r"(?:\s+\((error|warning|note)\))?\s*$"
)

SUPPRESSION_ONLY = re.compile(r"^\s*//\s*connlint:ignore\b")


@dataclass(frozen=True)
class Expectations:
    positives: frozenset[tuple[int, str]]
    negatives: frozenset[tuple[int, str]]
    todo_positives: frozenset[tuple[int, str]]
    todo_negatives: frozenset[tuple[int, str]]
    severities: dict[tuple[int, str], str]  # `# ruleid: CL101 (note)` pins the severity too


def expectations(path: Path) -> Expectations:
    lines = path.read_text(encoding="utf-8").splitlines()
    sets: dict[str, set[tuple[int, str]]] = {k: set() for k in ("ruleid", "ok", "todoruleid", "todook")}
    pending: list[tuple[str, list[str], str | None]] = []
    severities: dict[tuple[int, str], str] = {}
    for number, line in enumerate(lines, start=1):
        match = ANNOTATION.match(line)
        if match:
            pending.append((match.group(1), [c.strip() for c in match.group(2).split(",")], match.group(3)))
            continue
        if SUPPRESSION_ONLY.match(line):  # a Go directive on its own line: annotations pass over it
            continue
        for kind, codes, severity in pending:
            for code in codes:
                sets[kind].add((number, code))
                if severity and kind == "ruleid":
                    severities[(number, code)] = severity
        pending = []
    return Expectations(*(frozenset(sets[k]) for k in ("ruleid", "ok", "todoruleid", "todook")), severities)


def fixture_code(path: Path) -> str:
    return path.name[:5]
