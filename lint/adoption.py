"""Adopting connlint on legacy code: baselines and `--add-noqa` (`--changed-since REV`: lint/changed.py)."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path

from .findings import Finding, Notice, Report
from .fixes import python_encoding
from .reporters.common import split_lines
from .reporters.sarif import find_root
from .suppress import suppression_edits
from .writer import write_file

BASELINE_VERSION = 1
MAX_HASHED_LINES = 5


class AdoptionError(Exception):
    """Bad baseline file or git revision: one line, exit 2."""


# ---- baseline -----------------------------------------------------------------------------

def _lines(path: str) -> list[str]:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return []
    return split_lines(data.decode("utf-8", "replace"), path)


def _entry_key(finding: Finding, root: str, cache: dict[str, list[str]]) -> tuple[str, str, str]:
    """(code, repo-relative path, hash of the finding's source lines with white space removed)."""
    lines = cache.setdefault(finding.path, _lines(finding.path))
    last = min(finding.end_line, finding.line + MAX_HASHED_LINES - 1)
    text = "\n".join("".join(line.split()) for line in lines[finding.line - 1:last])
    digest = hashlib.sha256(f"{finding.code}\n{text}".encode("utf-8", "surrogateescape")).hexdigest()[:16]
    rel = os.path.relpath(os.path.abspath(finding.path), root).replace(os.sep, "/")
    return finding.code, rel, digest


def write_baseline(report: Report, path: Path) -> int:
    root = find_root(os.getcwd())
    cache: dict[str, list[str]] = {}
    counts = Counter(_entry_key(f, root, cache) for f in report.findings if f.code != "CL000")
    entries = [
        {"code": code, "path": rel, "hash": digest, "count": count}
        for (code, rel, digest), count in sorted(counts.items())
    ]
    data = {"tool": "connlint", "version": BASELINE_VERSION, "findings": entries}
    text = json.dumps(data, indent=2) + "\n"
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    write_file(str(path), text.encode("utf-8"))
    return sum(counts.values())


def apply_baseline(report: Report, path: Path) -> None:
    """Drop findings the baseline records; count its stale entries in a notice."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["findings"]
        remaining = Counter({(e["code"], e["path"], e["hash"]): int(e["count"]) for e in entries})
    except FileNotFoundError:
        raise AdoptionError(f"{path}: baseline file not found") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AdoptionError(f"{path}: not a connlint baseline ({exc})") from None
    root = find_root(os.getcwd())
    cache: dict[str, list[str]] = {}
    kept = []
    for finding in report.findings:
        key = _entry_key(finding, root, cache) if finding.code != "CL000" else None
        if key is not None and remaining[key] > 0:
            remaining[key] -= 1
            continue
        kept.append(finding)
    report.baselined = len(report.findings) - len(kept)
    report.findings = kept
    stale = sum(remaining.values())
    if stale:
        report.notices.append(
            Notice(str(path), f"{stale} baseline entr{'y is' if stale == 1 else 'ies are'} stale "
                              f"(fixed or moved): rewrite it with --write-baseline")
        )


# ---- --add-noqa ---------------------------------------------------------------------------

def add_noqa(report: Report) -> int:
    """Add a suppression for each finding where a comment covers its first line (suppress.suppression_edits);
    returns how many comments were added or extended."""
    by_file: dict[str, dict[int, set[str]]] = {}
    for finding in report.findings:
        if finding.code != "CL000":
            by_file.setdefault(finding.path, {}).setdefault(finding.line, set()).add(finding.code)
    added = 0
    for path, lines in sorted(by_file.items()):
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            report.errors.append(f"{path}: cannot read: {exc.strerror or exc}")
            continue
        language = "go" if path.endswith(".go") else "python"
        encoding = "utf-8" if language == "go" else python_encoding(data)
        text = data.decode(encoding)
        edits, skipped = suppression_edits(language, text, lines)
        if skipped:
            report.notices.append(Notice(path, f"--add-noqa found no safe place for a comment on line(s) "
                                               f"{', '.join(map(str, skipped))}: the tokenizer cannot read "
                                               f"the file there", skipped[0]))
        if not edits:
            continue
        new = text
        for begin, end, insert in reversed(edits):
            new = new[:begin] + insert + new[end:]
        from .api import _parse_errors

        if _parse_errors(language, new.encode(encoding)) > _parse_errors(language, data):
            report.notices.append(Notice(path, "--add-noqa skipped this file: a comment would break it"))
            continue
        try:
            write_file(path, new.encode(encoding), expected=data)
            added += len(edits)
        except OSError as exc:
            report.errors.append(f"{path}: cannot write: {exc.strerror or exc}")
    return added
