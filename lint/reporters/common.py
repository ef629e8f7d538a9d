"""What several reporters share: reading a finding's source line, and making odd text printable."""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from typing import Mapping

from ..comments import GO_NEWLINE, PY_NEWLINE

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
SOURCE_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff]")
ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def split_lines(text: str, path: str) -> list[str]:
    """A file's lines as its frontend counts them (Python: CRLF, CR or LF; Go: LF only, as tree-sitter),
    never at the other breaks of str.splitlines (\\f, \\v, \\x1c-\\x1e, \\x85, U+2028, U+2029)."""
    return (GO_NEWLINE if path.lower().endswith(".go") else PY_NEWLINE).split(text)


def read_source(path: str, sources: Mapping[str, str]) -> str | None:
    """A file's text (from `sources` if given there), UTF-8 with bad bytes replaced; None if unreadable.

    Only regular files are opened, and without blocking, so a FIFO never hangs a reporter.
    """
    text = sources.get(path)
    if text is not None:
        return text
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as fh:
            return fh.read().decode("utf-8", "replace")
    except (OSError, ValueError):
        return None


class Sources:
    """The lines of each file a report names, read once; None for a file that cannot be read.

    `sources` maps Finding.path to the file's text, used instead of reading the file (as in SARIF).
    Files are read as UTF-8 with undecodable bytes replaced, without following into FIFOs or devices.
    """

    def __init__(self, sources: Mapping[str, str] | None = None) -> None:
        self.sources = sources or {}
        self.cache: dict[str, list[str] | None] = {}

    def line(self, path: str, number: int) -> str | None:
        """Line `number` (1-based) of `path` without its line break, or None."""
        if path not in self.cache:
            self.cache[path] = self._read(path)
        lines = self.cache[path]
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]

    def _read(self, path: str) -> list[str] | None:
        text = read_source(path, self.sources)
        if text is None:
            return None
        if text.startswith("\ufeff"):
            text = text[1:]
        return split_lines(text, path)


def printable(text: str) -> str:
    """`text` for a terminal: control characters as `\\n`, `\\x1b`..., undecodable bytes of a file
    name (lone surrogates) as `\\xff`, so a name can neither break the one-line layout nor send
    escape sequences."""
    return CONTROL.sub(escape_char, text)


def escape_char(match: re.Match) -> str:
    ch = match.group()
    if ch in ESCAPES:
        return ESCAPES[ch]
    point = ord(ch)
    if 0xDC80 <= point <= 0xDCFF:  # a byte that os.fsdecode could not decode
        return f"\\x{point - 0xDC00:02x}"
    return f"\\x{point:02x}" if point <= 0xFF else f"\\u{point:04x}"


def source_text(line: str) -> str:
    """A source line for a terminal: tabs kept, any other control character shown as U+FFFD."""
    return SOURCE_CONTROL.sub("\ufffd", line)


def width(ch: str) -> int:
    """Columns a character takes in a terminal: 0 combining, 2 wide (CJK, emoji), else 1."""
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def writable(text: str) -> str:
    """`text` encodable as UTF-8: a lone surrogate left anywhere becomes `\\xNN` / `\\uNNNN`."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return re.sub(r"[\ud800-\udfff]", escape_char, text)


def root_relative(path: str, root: str) -> str:
    """`path` relative to `root` with forward slashes; a path outside `root` is kept as given."""
    try:
        rel = os.path.relpath(os.path.abspath(path), root)
    except ValueError:  # another drive (Windows)
        return path
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        return path
    return rel.replace(os.sep, "/")


def default_root(root: str | os.PathLike | None) -> str:
    """The folder CI paths are relative to: `root`, else the git root above the current folder."""
    from .sarif import find_root

    return os.path.abspath(root) if root is not None else find_root(os.getcwd())
