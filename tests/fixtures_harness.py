"""Reads `ruleid:` / `ok:` / `todoruleid:` / `todook:` annotations from fixture files, and renders their snapshots."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from connlint.fixes import apply_edits

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


# ---- snapshots: every finding's range, severity, message and fix, reviewed in the pull request -----------
UPDATE_HINT = "pytest tests/test_fixtures.py --snapshot-update"
LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the line breaks the frontends count


def snapshot_path(fixture: Path) -> Path:
    return fixture.with_name(fixture.name + ".snap")


def snapshot(rel: str, code: str, text: str, findings, notices) -> str:
    """The snapshot of one fixture: a header, then each finding (sorted) and each notice, in plain text.

    `text` is the decoded source the fixes' character offsets refer to. Lines carry no trailing white space,
    so an editor that strips it does not change a snapshot."""
    lines = LINE_BREAK.split(text)
    out = [f"# {rel}, only {code} enabled (findings: {len(findings)}, notices: {len(notices)})",
           f"# made by tests/test_fixtures.py; review a change in the diff, then update: {UPDATE_HINT}"]
    for f in sorted(findings, key=lambda f: f.sort_key):
        out += ["", f"{f.code} {f.severity.value} {f.line}:{f.col}-{f.end_line}:{f.end_col} {f.name}",
                *_indented("message: ", f.message), *_frame(lines, f)]
        if f.fix is not None:
            fixed, _ = apply_edits(text, [f.fix])
            out += [f"  fix ({'safe' if f.fix.safe else 'unsafe'}): {f.fix.title}", *_diff(text, fixed)]
    for n in sorted(notices, key=lambda n: (n.line, n.level, n.message)):
        out += ["", f"notice {n.level} line {n.line}", *_indented("message: ", n.message)]
    return "\n".join(line.rstrip() for line in out) + "\n"


def _indented(label: str, text: str) -> list[str]:
    first, *rest = text.split("\n")
    return [f"  {label}{first}", *(f"  {' ' * len(label)}{line}" for line in rest)]


def _frame(lines: list[str], f) -> list[str]:
    """The first and the last line of the range, with `^` under its columns (tabs shown as 4 spaces)."""
    def shown(number: int, start: int, end: int) -> list[str]:
        source = lines[number - 1] if number <= len(lines) else ""
        left, right = (len(source[:col - 1].expandtabs(4)) for col in (start, end))
        return [f"  {number:>4} | {source.expandtabs(4)}", f"       | {' ' * left}{'^' * max(right - left, 1)}"]

    if f.line == f.end_line:
        return shown(f.line, f.col, f.end_col)
    gap = ["       | ..."] if f.end_line > f.line + 1 else []
    return shown(f.line, f.col, len(lines[f.line - 1]) + 1) + gap + shown(f.end_line, 1, f.end_col)


def _diff(text: str, fixed: str) -> list[str]:
    """The lines the fix changes, as unified diff hunks with no context (no ---/+++ header)."""
    hunks = difflib.unified_diff(LINE_BREAK.split(text), LINE_BREAK.split(fixed), n=0, lineterm="")
    return [f"    {line}" for line in list(hunks)[2:]] or ["    (no change)"]
