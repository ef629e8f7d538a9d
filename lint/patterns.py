"""Gitignore-style patterns (.gitignore files, excludes, per-file ignores), matched in linear time.

pathspec's default backend compiles patterns to Python regular expressions, which backtrack: a committed
`.gitignore` line such as `*a*a*a*a*a*a*a*a*c` takes minutes on one long name. RE2 matches in time linear
in the name, whatever the pattern.
"""

from __future__ import annotations

from typing import Iterable

import pathspec

BACKEND = "re2"


def gitignore_spec(lines: Iterable[str]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(list(lines), backend=BACKEND)
