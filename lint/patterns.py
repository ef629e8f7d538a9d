"""Gitignore-style patterns (.gitignore files, excludes, per-file ignores), matched in linear time.

pathspec's default backend compiles patterns to Python regular expressions, which backtrack: a committed
`.gitignore` line such as `*a*a*a*a*a*a*a*a*c` takes minutes on one long name. RE2 matches in time linear
in the name, whatever the pattern. RE2 takes UTF-8 text, so a name's undecodable bytes (os.fsdecode's lone
surrogates) are matched as U+FFFD, which only a wildcard can match, as pattern files are read as UTF-8.
"""

from __future__ import annotations

import os
from typing import Iterable

import pathspec

BACKEND = "re2"


def _utf8(name: str | os.PathLike) -> str:
    text = os.fspath(name)
    return text if text.isascii() else text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class LinearSpec(pathspec.GitIgnoreSpec):
    def match_file(self, file, separators=None) -> bool:
        return super().match_file(_utf8(file), separators)

    def check_file(self, file, separators=None):
        return super().check_file(_utf8(file), separators)


def gitignore_spec(lines: Iterable[str]) -> LinearSpec:
    return LinearSpec.from_lines(list(lines), backend=BACKEND)
