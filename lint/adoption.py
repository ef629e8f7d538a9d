"""Adopting connlint on legacy code: baselines and `--add-noqa` (`--changed-since REV`: lint/changed.py)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from pathlib import Path

from .findings import Finding, Notice, Report
from .fixes import python_encoding
from .reporters.common import split_lines
from .reporters.sarif import find_root
from .suppress import CODE, GO_IGNORE, PY_NOQA
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
    """Append a suppression for each finding to the end of its first line; returns how many were added."""
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
        is_go = path.endswith(".go")
        encoding = "utf-8" if is_go else python_encoding(data)
        text = data.decode(encoding)
        newline = re.compile(r"\n" if is_go else r"\r\n|\r|\n")
        starts = [0] + [m.end() for m in newline.finditer(text)]
        edits = []
        for line, codes in sorted(lines.items()):
            if line > len(starts):
                continue
            begin = starts[line - 1]
            end_match = newline.search(text, begin)
            end = end_match.start() if end_match else len(text)
            edits.append((begin, end, _with_suppression(text[begin:end], codes, is_go)))
        new = text
        for begin, end, new_line in sorted(edits, reverse=True):
            new = new[:begin] + new_line + new[end:]
        from .api import _parse_errors

        language = "go" if is_go else "python"
        if _parse_errors(language, new.encode(encoding)) > _parse_errors(language, data):
            report.notices.append(Notice(path, "--add-noqa skipped this file: a comment would break it "
                                               "(a finding's first line ends inside a string or continuation)"))
            continue
        try:
            write_file(path, new.encode(encoding), expected=data)
            added += len(edits)
        except OSError as exc:
            report.errors.append(f"{path}: cannot write: {exc.strerror or exc}")
    return added


def _with_suppression(line: str, codes: set[str], is_go: bool) -> str:
    if is_go:
        match = GO_IGNORE.search(line)
        if match:
            merged = sorted(set(CODE.findall(match.group("codes"))) | codes)
            return line[:match.start("codes")] + ",".join(merged) + line[match.end("codes"):]
        return f"{line} //connlint:ignore {','.join(sorted(codes))} TODO: explain why"
    match = PY_NOQA.search(line)
    if match and match.group("codes"):
        merged = sorted(set(c.upper() for c in CODE.findall(match.group("codes"))) | codes)
        return line[:match.start("codes")] + ", ".join(merged) + line[match.end("codes"):]
    if match:  # a bare `# noqa` already silences everything
        return line
    return f"{line}  # noqa: {', '.join(sorted(codes))}"
