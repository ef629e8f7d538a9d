"""The engine's side of the package view: which files form a Go file's package, reading and parsing them
(once per worker), and a digest of them for the cache key (a file's result may depend on its package).

A Go package is the `.go` files of one folder with the same `package` clause, read from disk whatever
the excludes say (they are compiled together); a `_test.go` file belongs to the package of a non-test file
only when that file is itself a test.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .frontends.go import GoFile

MAX_SIBLING_BYTES = 2_000_000  # a bigger file is left out of the package view (generated code)
_parsed: "OrderedDict[tuple, GoFile | None]" = OrderedDict()  # this process's parsed siblings
_PARSED_KEEP = 64


def siblings(path: str) -> list[str]:
    """The other `.go` files of `path`'s folder that may share its package (sorted)."""
    folder, name = os.path.split(os.path.abspath(path))
    test = name.endswith("_test.go")
    try:
        names = sorted(entry.name for entry in os.scandir(folder or ".")
                       if entry.name.endswith(".go") and entry.name != name and _regular(entry))
    except OSError:
        return []
    return [os.path.join(folder, n) for n in names if test or not n.endswith("_test.go")]


def _regular(entry: os.DirEntry) -> bool:
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return False


def digest(path: str) -> str:
    """What the package of `path` is made of for the cache key: each sibling's name, size, times and
    identity (the stat fast path's stamp), so editing another file of the package re-lints this one."""
    hashed = hashlib.blake2b(digest_size=16)
    for sibling in siblings(path):
        try:
            st = os.stat(sibling, follow_symlinks=False)
        except OSError:
            continue
        hashed.update(f"{os.path.basename(sibling)}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}\n"
                      .encode("utf-8", "surrogateescape"))
    return hashed.hexdigest()


def load(path: str, package_name: str) -> list["GoFile"]:
    """The parsed files of `path`'s package other than `path` itself."""
    found = []
    for sibling in siblings(path):
        parsed = _parse(sibling)
        if parsed is not None and parsed.package_name == package_name:
            found.append(parsed)
    return found


def _parse(path: str) -> "GoFile | None":
    from .frontends import go

    try:
        st = os.stat(path)
    except OSError:
        return None
    key = (path, st.st_size, st.st_mtime_ns, st.st_ino)
    if key in _parsed:
        _parsed.move_to_end(key)
        return _parsed[key]
    parsed = None
    if st.st_size <= MAX_SIBLING_BYTES:
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_SIBLING_BYTES + 1)
            data.decode("utf-8")
            parsed = go.parse(path, data)
        except (OSError, UnicodeDecodeError):
            parsed = None
    _parsed[key] = parsed
    while len(_parsed) > _PARSED_KEEP:
        _parsed.popitem(last=False)
    return parsed


def attach(f: "GoFile", path: str) -> None:
    """Give `f` (the file at `path`) its package view."""
    from .model.package import GoPackage

    name = f.package_name
    if name:
        GoPackage(os.path.dirname(os.path.abspath(path)), name, f, lambda: load(path, name))
