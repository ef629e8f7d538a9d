"""Per-file results keyed by content, path and the file's whole plan (see plan.py), like ruff's cache.

One SQLite file under `.connlint_cache/`: safe under concurrent runs (SQLite locks), and a corrupt or
unreadable cache is set aside and rebuilt, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

from .findings import Edit, Finding, Fix, Notice, Severity

CACHE_DIR_NAME = ".connlint_cache"
SCHEMA = 1


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Changes whenever connlint's own code does (an edited rule must not be served stale results)."""
    digest = hashlib.blake2b(digest_size=16)
    from . import rules

    for folder in (Path(__file__).parent, Path(rules.__file__).parent):
        for path in sorted(folder.rglob("*.py")):
            st = path.stat()
            digest.update(f"{path}:{st.st_size}:{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def key(plan_fingerprint: str, display: str, language: str, data: bytes) -> str:
    """A file's result key: its plan (every setting, connlint's code and versions), its path and content."""
    digest = hashlib.blake2b(digest_size=20)
    for part in (plan_fingerprint, display, language):
        digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
    digest.update(data)
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
        self.warning: str | None = None

    def open(self) -> "Cache":
        try:
            doubt = self._doubt()
            if doubt:
                self.warning = f"cache disabled ({self.folder}): {doubt}"
                return self
            self.folder.mkdir(parents=True, exist_ok=True)
            doubt = self._doubt()  # made by somebody else between the look and the mkdir
            if doubt:
                self.warning = f"cache disabled ({self.folder}): {doubt}"
                return self
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                fd = os.open(ignore, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write("# Created by connlint\n*\n")
            self.db = self._connect()
        except (OSError, sqlite3.Error) as exc:
            self.db = None
            self.warning = f"cache disabled ({self.folder}): {exc}"
        return self

    def _doubt(self) -> str | None:
        """Why the cache folder cannot be trusted (None: it can, or it does not exist yet): a symbolic link
        (it would make connlint write elsewhere), a folder others may write to, or a database file that is a
        link or belongs to another user (a committed or planted cache could hide findings)."""
        try:
            st = os.lstat(self.folder)
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(st.st_mode):
            return "it is a symbolic link"
        if not stat.S_ISDIR(st.st_mode):
            return "it is not a folder"
        if st.st_mode & stat.S_IWOTH:
            return "it is writable by every user"
        if st.st_uid != os.getuid():
            return "it belongs to another user"
        for name in (".gitignore", self.path.name, f"{self.path.name}-wal", f"{self.path.name}-shm"):
            try:
                entry = os.lstat(self.folder / name)
            except FileNotFoundError:
                continue
            if not stat.S_ISREG(entry.st_mode):
                return f"{name} is not a regular file"
            if entry.st_uid != os.getuid():
                return f"{name} belongs to another user"
        return None

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

    def stamps(self, paths: list[str]) -> dict[tuple[str, str], tuple[str, str]]:
        """(display path, plan) -> (stamp, result key) recorded by earlier runs, for these paths."""
        found: dict[tuple[str, str], tuple[str, str]] = {}
        if self.db is None:
            return found
        try:
            for start in range(0, len(paths), 500):
                chunk = paths[start:start + 500]
                query = f"SELECT path, plan, stamp, key FROM stamps WHERE path IN ({','.join('?' * len(chunk))})"
                found.update(((path, plan), (stamp, key)) for path, plan, stamp, key in self.db.execute(query, chunk))
        except sqlite3.Error:
            return {}
        return found

    def stamp(self, source, plan: str, cache_key: str, settled_ns: int) -> None:
        """Remember `source`'s stamp for its result; not for a file modified too recently to trust its mtime."""
        if self.db is not None and source.stamp and source.mtime_ns < settled_ns:
            self.pending_stamps.append((source.display, plan, source.stamp, cache_key))

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
