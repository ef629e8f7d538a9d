"""Per-file results keyed by content, path, connlint version and the rules that ran (like ruff's cache).

One SQLite file under `.connlint_cache/`: safe under concurrent runs (SQLite locks), and a corrupt or
unreadable cache is set aside and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
from dataclasses import asdict
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from . import __version__
from .findings import Edit, Finding, Fix, Notice, Severity

CACHE_DIR_NAME = ".connlint_cache"
SCHEMA = 1


PARSERS = ("libcst", "tree-sitter", "tree-sitter-go")  # their versions change what a file parses to


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Changes whenever connlint's own code, the parsers' versions or Python's do (an edited rule or an
    upgraded grammar must not be served stale results: tree-sitter-go 0.23 and 0.25 find different things)."""
    digest = hashlib.blake2b(digest_size=16)
    from . import rules

    digest.update(sys.version.encode())
    for name in PARSERS:
        try:
            digest.update(f"{name}=={metadata.version(name)}\n".encode())
        except metadata.PackageNotFoundError:  # not installed as a distribution (vendored): the code decides
            digest.update(f"{name}: unknown\n".encode())

    for folder in (Path(__file__).parent, Path(rules.__file__).parent):
        for path in sorted(folder.rglob("*.py")):
            st = path.stat()
            digest.update(f"{path}:{st.st_size}:{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def key(display: str, language: str, data: bytes, rule_codes: tuple[str, ...], skipped: frozenset[str]) -> str:
    digest = hashlib.blake2b(digest_size=20)
    for part in (__version__, str(SCHEMA), code_fingerprint(), display, language, ",".join(rule_codes), ",".join(sorted(skipped))):
        digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
    digest.update(data)
    return digest.hexdigest()


def plan_fingerprint(material: str) -> str:
    """What decides every file's result apart from its content: connlint itself and the run's plan."""
    digest = hashlib.blake2b(digest_size=20)
    for part in (__version__, str(SCHEMA), code_fingerprint(), material):
        digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
    return digest.hexdigest()


def encode(findings: list[Finding], notices: list[Notice]) -> str:
    items = []
    for f in findings:
        item = asdict(f)
        item.pop("path")
        item["severity"] = f.severity.value
        items.append(item)
    return json.dumps({"findings": items, "notices": [[n.message, n.line, n.level] for n in notices]})


def decode(display: str, blob: str) -> tuple[list[Finding], list[Notice]]:
    data = json.loads(blob)
    findings = []
    for item in data["findings"]:
        fix = item.pop("fix")
        if fix is not None:
            fix = Fix(fix["title"], tuple(Edit(**e) for e in fix["edits"]), fix["safe"])
        item["severity"] = Severity(item["severity"])
        findings.append(Finding(path=display, fix=fix, **item))
    notices = [Notice(display, message, line, level) for message, line, level in data["notices"]]
    return findings, notices


class Cache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / "cache.sqlite3"
        self.db: sqlite3.Connection | None = None
        self.pending: list[tuple[str, str]] = []
        self.pending_stamps: list[tuple[str, str, str, str]] = []
        self.plan = ""
        self.warning: str | None = None

    def open(self) -> "Cache":
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# Created by connlint\n*\n", encoding="utf-8")
            self.db = self._connect()
        except (OSError, sqlite3.Error) as exc:
            self.db = None
            self.warning = f"cache disabled ({self.folder}): {exc}"
        return self

    def _connect(self) -> sqlite3.Connection:
        for attempt in range(2):
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, blob TEXT NOT NULL)")
                # the stat fast path: a file whose stamp (size, times, inode) is unchanged has the result under
                # `key` ("": nothing to report), without being read again
                db.execute("CREATE TABLE IF NOT EXISTS stamps (path TEXT NOT NULL, plan TEXT NOT NULL, "
                           "stamp TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (path, plan))")
                db.execute("SELECT key FROM results LIMIT 1").fetchall()
                return db
            except sqlite3.DatabaseError:
                db.close()
                if attempt:
                    raise
                self._set_aside()
        raise AssertionError("unreachable")

    def _set_aside(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            try:
                os.replace(f"{self.path}{suffix}", f"{self.path}{suffix}.corrupt")
            except OSError:
                pass

    def get(self, display: str, cache_key: str) -> tuple[list[Finding], list[Notice]] | None:
        if self.db is None:
            return None
        try:
            row = self.db.execute("SELECT blob FROM results WHERE key = ?", (cache_key,)).fetchone()
            return decode(display, row[0]) if row else None
        except (sqlite3.Error, ValueError, KeyError, TypeError):
            return None

    def stamps(self, plan: str, paths: list[str]) -> dict[str, tuple[str, str]]:
        """display path -> (stamp, result key) recorded by earlier runs with this plan, for these paths."""
        self.plan = plan
        found: dict[str, tuple[str, str]] = {}
        if self.db is None:
            return found
        try:
            for start in range(0, len(paths), 500):
                chunk = paths[start:start + 500]
                query = f"SELECT path, stamp, key FROM stamps WHERE plan = ? AND path IN ({','.join('?' * len(chunk))})"
                found.update((path, (stamp, key)) for path, stamp, key in self.db.execute(query, (plan, *chunk)))
        except sqlite3.Error:
            return {}
        return found

    def stamp(self, source, cache_key: str, settled_ns: int) -> None:
        """Remember `source`'s stamp for its result; not for a file modified too recently to trust its mtime."""
        if self.db is not None and source.stamp and source.mtime_ns < settled_ns:
            self.pending_stamps.append((source.display, self.plan, source.stamp, cache_key))

    def put(self, cache_key: str, findings: list[Finding], notices: list[Notice]) -> None:
        if self.db is not None:
            self.pending.append((cache_key, encode(findings, notices)))

    def close(self) -> None:
        if self.db is None:
            return
        try:
            if self.pending or self.pending_stamps:
                with self.db:
                    self.db.execute("BEGIN")
                    self.db.executemany("INSERT OR REPLACE INTO results (key, blob) VALUES (?, ?)", self.pending)
                    self.db.executemany("INSERT OR REPLACE INTO stamps (path, plan, stamp, key) VALUES (?, ?, ?, ?)",
                                        self.pending_stamps)
        except sqlite3.Error as exc:
            self.warning = f"cache not updated: {exc}"
        finally:
            self.db.close()
            self.db = None
