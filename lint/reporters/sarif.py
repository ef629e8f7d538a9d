"""SARIF 2.1.0 for GitHub code scanning: one run, every rule, root-relative URIs, fingerprints, fixes.

Options:
    sources  Mapping of Finding.path to the file's text (as read as UTF-8, BOM kept), used for
             fingerprints instead of reading the file; a file neither given nor readable gets none.
    root     the folder URIs are relative to (default: the nearest folder holding `.git`, walking up
             from the current folder, else the current folder).
CL000 (a file that could not be parsed) is a tool execution notification, not a result, and so are
the report's notices and internal errors.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping
from urllib.parse import quote

from .. import __version__
from ..findings import Finding, Fix, Notice, Report, Severity
from ..registry import SYNTAX_ERROR, Rule, all_rules
from .common import read_source
from .fingerprint import line_hashes

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/connlint/connlint"
SRCROOT = "%SRCROOT%"
PROBLEM_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "recommendation"}
LEVELS = ("none", "note", "warning", "error")
ABBREVIATIONS = ("e.g.", "i.e.", "cf.", "vs.")


def render(report: Report, *, sources: Mapping[str, str] | None = None, root: str | os.PathLike | None = None,
           **_: object) -> str:
    root_dir = os.path.abspath(root) if root is not None else find_root(os.getcwd())
    rules = [rule for code, rule in all_rules().items() if code != SYNTAX_ERROR.code]
    rule_index = {rule.code: i for i, rule in enumerate(rules)}
    fingerprints = _Fingerprints(sources or {})

    results = []
    notifications = []
    for finding in report.findings:
        if finding.code == SYNTAX_ERROR.code:
            notifications.append({
                "level": "error",
                "message": {"text": finding.message},
                "locations": [_location(finding, root_dir)],
                "descriptor": {"id": SYNTAX_ERROR.code, "index": 0},
            })
        else:
            results.append(_result(finding, root_dir, rule_index, fingerprints))
    notifications.extend(_notice(notice, root_dir) for notice in report.notices)
    notifications.extend({"level": "error", "message": {"text": error}} for error in report.errors)

    run = {
        "tool": {
            "driver": {
                "name": "connlint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_descriptor(rule) for rule in rules],
                "notifications": [_descriptor(SYNTAX_ERROR)],
            }
        },
        "invocations": [{
            "executionSuccessful": not report.errors,
            "toolExecutionNotifications": notifications,
        }],
        "originalUriBaseIds": {SRCROOT: {"uri": _root_uri(root_dir)}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    document = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    text = json.dumps(document, indent=2, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates (undecodable file names): keep the JSON writable
        text = json.dumps(document, indent=2, ensure_ascii=True)
    return text + "\n"


def find_root(start: str) -> str:
    """The nearest folder from `start` upward that holds `.git` (folder or file), else `start`."""
    folder = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return os.path.abspath(start)
        folder = parent


def first_sentence(text: str) -> str:
    """Up to the first `.`, `!` or `?` outside backticks that ends a sentence."""
    in_code = False
    for i, ch in enumerate(text):
        if ch == "`":
            in_code = not in_code
        elif ch in ".!?" and not in_code:
            rest = text[i + 1:]
            if rest and not rest[0].isspace():
                continue
            if any(text[: i + 1].endswith(" " + a) or text[: i + 1] == a for a in ABBREVIATIONS):
                continue
            following = rest.lstrip()
            if not following or not following[0].islower():
                return text[: i + 1]
    return text


def _descriptor(rule: Rule) -> dict:
    level = rule.severity.value
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": first_sentence(rule.summary)},
        "fullDescription": {"text": rule.summary},
        "help": {"text": rule.markdown, "markdown": rule.markdown},
        "helpUri": f"{INFORMATION_URI}/blob/main/README.md#{rule.code.lower()}",
        "defaultConfiguration": {"level": level},
        "properties": {
            "tags": ["reliability", "http", *rule.languages],
            "precision": "high",
            "problem.severity": PROBLEM_SEVERITY[rule.severity],
        },
    }


def _result(finding: Finding, root: str, rule_index: Mapping[str, int], fingerprints: "_Fingerprints") -> dict:
    location = _location(finding, root)
    result: dict = {"ruleId": finding.code}
    if finding.code in rule_index:
        result["ruleIndex"] = rule_index[finding.code]
    result["level"] = finding.severity.value
    result["message"] = {"text": finding.message}
    result["locations"] = [location]
    line_hash = fingerprints.get(finding.path, location["physicalLocation"]["region"]["startLine"])
    if line_hash is not None:
        result["partialFingerprints"] = {"primaryLocationLineHash": line_hash}
    if finding.fix is not None:
        result["fixes"] = [_fix(finding.fix, location["physicalLocation"]["artifactLocation"])]
    return result


def _fix(fix: Fix, artifact: dict) -> dict:
    replacements = []
    for edit in fix.edits:
        replacement: dict = {"deletedRegion": {"charOffset": edit.start, "charLength": edit.end - edit.start}}
        if edit.replacement:
            replacement["insertedContent"] = {"text": edit.replacement}
        replacements.append(replacement)
    return {
        "description": {"text": fix.title},
        "artifactChanges": [{"artifactLocation": dict(artifact), "replacements": replacements}],
        "properties": {"safe": fix.safe},
    }


def _notice(notice: Notice, root: str) -> dict:
    out: dict = {
        "level": notice.level if notice.level in LEVELS else "warning",
        "message": {"text": notice.message},
    }
    if notice.path:
        physical: dict = {"artifactLocation": _artifact(notice.path, root)}
        if notice.line > 0:
            physical["region"] = {"startLine": notice.line}
        out["locations"] = [{"physicalLocation": physical}]
    return out


def _location(finding: Finding, root: str) -> dict:
    start_line = max(finding.line, 1)
    start_col = max(finding.col, 1)
    end_line = max(finding.end_line, start_line)
    end_col = max(finding.end_col, 1)
    if end_line == start_line:
        end_col = max(end_col, start_col)
    return {
        "physicalLocation": {
            "artifactLocation": _artifact(finding.path, root),
            "region": {"startLine": start_line, "startColumn": start_col, "endLine": end_line, "endColumn": end_col},
        }
    }


def _artifact(path: str, root: str) -> dict:
    """A URI relative to %SRCROOT%, percent-encoded; an absolute file URI for a file outside the root."""
    absolute = os.path.abspath(path)
    try:
        rel = os.path.relpath(absolute, root)
    except ValueError:  # another drive (Windows)
        rel = None
    if rel is None or rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        return {"uri": Path(absolute).as_uri()}
    return {"uri": quote(os.fsencode(rel.replace(os.sep, "/")), safe="/"), "uriBaseId": SRCROOT}


def _root_uri(root: str) -> str:
    uri = Path(root).as_uri()
    return uri if uri.endswith("/") else uri + "/"


class _Fingerprints:
    """Line hashes per file, each file hashed once; None for a file that cannot be read."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self.sources = sources
        self.cache: dict[str, list[str] | None] = {}

    def get(self, path: str, line: int) -> str | None:
        if path not in self.cache:
            self.cache[path] = self._hash(path)
        hashes = self.cache[path]
        if hashes is None or not 1 <= line <= len(hashes):
            return None
        return hashes[line - 1]

    def _hash(self, path: str) -> list[str] | None:
        text = read_source(path, self.sources)
        if text is None:
            return None
        return line_hashes(text)
