"""Applying fixes: non-overlapping edits, re-linted until stable, checked to still parse, written atomically."""

from __future__ import annotations

import difflib
import io
import os
from dataclasses import dataclass, field
from tokenize import detect_encoding

from .findings import Finding, Fix

MAX_PASSES = 10
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass
class FileFix:
    """What fixing one file did."""

    display: str
    original: bytes
    fixed: bytes
    applied: list[Finding] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # fixes left out because the result would not parse

    @property
    def changed(self) -> bool:
        return self.fixed != self.original

    def diff(self) -> bytes:
        """A unified diff that `patch -p1` and `git apply` take: the file's own bytes (any encoding), lines
        split at LF only as patch splits them (a CR, form feed or U+2028 stays inside its line)."""
        lines = difflib.diff_bytes(difflib.unified_diff, _patch_lines(self.original), _patch_lines(self.fixed),
                                   _patch_name("a/", self.display), _patch_name("b/", self.display))
        return b"".join(line if line.endswith(b"\n") else line + b"\n\\ No newline at end of file\n"
                        for line in lines)


def _patch_lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    return [line + b"\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


PATCH_ESCAPES = {7: b"\\a", 8: b"\\b", 9: b"\\t", 10: b"\\n", 11: b"\\v", 12: b"\\f", 13: b"\\r",
                 34: b'\\"', 92: b"\\\\"}  # git's C-style quoting of a file name


def _patch_name(prefix: str, display: str) -> bytes:
    """A file name in a ---/+++ line as git writes it: C-quoted if it holds a control character, a quote or a
    backslash; else as is, followed by a tab if it holds a space (so patch does not stop at the space)."""
    name = os.fsencode(prefix + display)
    if any(byte < 0x20 or byte in (0x22, 0x5C, 0x7F) for byte in name):
        return b'"' + b"".join(PATCH_ESCAPES.get(b) or (b"\\%03o" % b if b < 0x20 or b == 0x7F else bytes([b]))
                               for b in name) + b'"'
    return name + b"\t" if b" " in name else name


def _decode(data: bytes, encoding: str = "utf-8") -> tuple[bytes, str]:
    bom = UTF8_BOM if data.startswith(UTF8_BOM) else b""
    return bom, data[len(bom):].decode(encoding)


def apply_edits(text: str, fixes: list[Fix]) -> tuple[str, list[int]]:
    """Apply every fix whose edits overlap no earlier one; returns the text and the indexes applied."""
    taken: list[tuple[int, int]] = []
    chosen: list[int] = []
    for index, fix in enumerate(fixes):
        ranges = [(e.start, e.end) for e in fix.edits]
        if any(s < te and ts < e or (s == e == ts == te) for s, e in ranges for ts, te in taken):
            continue
        taken.extend(ranges)
        chosen.append(index)
    edits = sorted((e for i in chosen for e in fixes[i].edits), key=lambda e: (e.start, e.end), reverse=True)
    for edit in edits:
        text = text[:edit.start] + edit.replacement + text[edit.end:]
    return text, chosen


def fix_source(display: str, data: bytes, lint, parses, unsafe: bool, encoding: str) -> FileFix:
    """Lint, apply fixes, re-lint, until nothing more is fixable (at most MAX_PASSES).

    `lint(bytes) -> list[Finding]`; `parses(bytes) -> bool` says whether a candidate still parses
    (no worse than the original). Edits are character offsets into the text decoded with `encoding`.
    """
    result = FileFix(display, data, data)
    current = data
    for _ in range(MAX_PASSES):
        fixable = [f for f in lint(current) if f.fix is not None and (f.fix.safe or unsafe)]
        if not fixable:
            break
        bom, text = _decode(current, encoding)
        candidate_text, chosen = apply_edits(text, [f.fix for f in fixable])
        candidate = bom + candidate_text.encode(encoding)
        if not parses(candidate):
            chosen, candidate = _one_by_one(current, fixable, parses, result, encoding)
        if candidate == current:
            break
        result.applied.extend(fixable[i] for i in chosen)
        current = candidate
    result.fixed = current
    return result


def _one_by_one(data: bytes, fixable: list[Finding], parses, result: FileFix, encoding: str) -> tuple[list[int], bytes]:
    """Keep only the fixes that, applied alone on top of the kept ones, leave a file that parses."""
    bom, text = _decode(data, encoding)
    kept: list[int] = []
    current = text
    for index, finding in enumerate(fixable):
        trial, chosen = apply_edits(text, [fixable[i].fix for i in kept] + [finding.fix])
        if len(chosen) != len(kept) + 1:
            continue  # overlaps a kept fix: a later pass may take it
        if parses(bom + trial.encode(encoding)):
            kept.append(index)
            current = trial
        else:
            result.dropped.append(
                f"{result.display}:{finding.line}:{finding.col}: {finding.code} fix dropped: "
                f"it would leave the file unparsable"
            )
    return kept, bom + current.encode(encoding)


def python_encoding(data: bytes) -> str:
    """The encoding Python would use (PEP 263 cookie) or UTF-8."""
    try:
        encoding, _ = detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        return "utf-8"
    return "utf-8" if encoding == "utf-8-sig" else encoding


