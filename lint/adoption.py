"""Adopting connlint on legacy code: baselines, `--add-noqa`, `--changed-since REV`."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from collections import Counter
from pathlib import Path

from .findings import Finding, Notice, Report
from .fixes import python_encoding, write_atomic
from .reporters.sarif import find_root
from .suppress import suppression_edits

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
    return data.decode("utf-8", "replace").splitlines()


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
    if not path.exists():
        path.write_text("", encoding="utf-8")
    write_atomic(str(path), text.encode("utf-8"))
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
            write_atomic(path, new.encode(encoding))
            added += len(edits)
        except OSError as exc:
            report.errors.append(f"{path}: cannot write: {exc.strerror or exc}")
    return added


# ---- --changed-since ----------------------------------------------------------------------

HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.M)


def _git(args: list[str], cwd: str) -> str:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise AdoptionError(f"--changed-since needs git: {exc}") from None
    if proc.returncode != 0:
        raise AdoptionError(f"git {' '.join(args[:2])}: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else 'failed'}")
    return proc.stdout


def changed_lines(rev: str, cwd: str) -> dict[str, set[int] | None]:
    """Lines changed since `rev` per absolute path (None: the whole file is new)."""
    root = _git(["rev-parse", "--show-toplevel"], cwd).strip()
    _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], cwd)
    changed: dict[str, set[int] | None] = {}
    diff = _git(["diff", "--no-color", "--no-ext-diff", "--unified=0", rev, "--"], root)
    for chunk in re.split(r"^diff --git ", diff, flags=re.M)[1:]:
        target = re.search(r"^\+\+\+ (?:b/)?(.*)$", chunk, re.M)
        if target is None or target.group(1) == "/dev/null":
            continue
        lines = changed.setdefault(os.path.join(root, target.group(1)), set())
        for match in HUNK.finditer(chunk):
            start, count = int(match.group(1)), int(match.group(2) or "1")
            lines.update(range(start, start + count))
    for rel in _git(["ls-files", "--others", "--exclude-standard"], root).splitlines():
        changed[os.path.join(root, rel)] = None
    return changed


def keep_changed_since(report: Report, rev: str) -> None:
    changed = changed_lines(rev, os.getcwd())
    kept = []
    for finding in report.findings:
        absolute = os.path.abspath(finding.path)
        if absolute not in changed:
            continue
        lines = changed[absolute]
        if lines is None or finding.code == "CL000" or lines & set(range(finding.line, finding.end_line + 1)):
            kept.append(finding)
    report.findings = kept
