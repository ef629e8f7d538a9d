"""What to run on a file, fixed once per configuration: the rules, the ignores, and a fingerprint of it all.

The fingerprint covers every field of the Plan, and the Plan holds its whole Config, so a setting that
can change a finding, its severity or its text can never be left out of the cache key.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePath

import pathspec

from .config import Config
from .patterns import gitignore_spec
from .registry import SYNTAX_ERROR, Rule, all_rules


@dataclass(frozen=True)
class Plan:
    config: Config
    prefilter: bool
    cwd: str  # display paths, and so findings' paths, are relative to it
    rules: dict[str, tuple[Rule, ...]]  # by language: the enabled rules that have a checker for it
    per_file_ignores: tuple[tuple[pathspec.GitIgnoreSpec, frozenset[str]], ...]
    known_codes: frozenset[str]
    test_exempt_codes: frozenset[str]  # not reported in test files
    enabled: frozenset[str]
    max_bytes: int
    fingerprint: str = ""  # of every field above and of connlint itself: the cache key's plan part

    @property
    def root(self) -> str:
        return str(self.config.root)

    @property
    def require_reason(self) -> bool:
        return self.config.require_reason


def make_plan(config: Config, *, prefilter: bool = True) -> Plan:
    rules = all_rules()
    enabled = config.enabled_codes(rules)
    by_language = {
        language: tuple(r for code, r in rules.items() if code in enabled and language in r.checkers)
        for language in ("python", "go")
    }
    ignores = tuple(
        (gitignore_spec([pattern]), frozenset(c for c in rules if any(c.startswith(p) for p in codes)))
        for pattern, codes in config.per_file_ignores
    )
    if config.ignore_tests is None:
        exempt = frozenset(c for c, r in rules.items() if r.tests_exempt)
    elif isinstance(config.ignore_tests, bool):
        exempt = frozenset(rules) - {SYNTAX_ERROR.code} if config.ignore_tests else frozenset()
    else:
        exempt = frozenset(c for c in rules if any(c.startswith(p) for p in config.ignore_tests))
    plan = Plan(config, prefilter, os.getcwd(), by_language, ignores, frozenset(rules), exempt, frozenset(enabled),
                int(config.max_file_size_mb * 1_000_000))
    return dataclasses.replace(plan, fingerprint=fingerprint(plan))


def fingerprint(plan: Plan) -> str:
    """A digest of every field of `plan` but the fingerprint itself, and of connlint's code and versions."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(environment().encode())
    for item in dataclasses.fields(plan):
        if item.name != "fingerprint":
            digest.update(f"\0{item.name}={stable(getattr(plan, item.name))}".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def stable(value: object) -> str:
    """A text that is the same for equal values in every process; TypeError for a kind it does not know,
    so that a new kind of field cannot slip into the key as a memory address."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    if isinstance(value, enum.Enum):
        return repr(value.value)
    if isinstance(value, PurePath):
        return repr(str(value))
    if isinstance(value, Rule):
        return f"Rule({value.code})"
    if isinstance(value, pathspec.PathSpec):
        return f"Spec({stable(tuple(p.pattern for p in value.patterns))})"
    if isinstance(value, (tuple, list)):
        return "(" + ",".join(stable(v) for v in value) + ")"
    if isinstance(value, (set, frozenset)):
        return "{" + ",".join(sorted(stable(v) for v in value)) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(sorted(f"{stable(k)}:{stable(v)}" for k, v in value.items())) + "}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        inner = ",".join(f"{f.name}={stable(getattr(value, f.name))}" for f in dataclasses.fields(value))
        return f"{type(value).__name__}({inner})"
    raise TypeError(f"no stable form for {type(value).__name__}")


@lru_cache(maxsize=1)
def environment() -> str:
    """connlint's version and code, the Python running it and its parsers' versions: what decides a
    result besides the plan and the file."""
    from importlib import metadata

    from . import __version__
    from .cache import SCHEMA, code_fingerprint

    versions = []
    for package in ("libcst", "tree-sitter", "tree-sitter-go"):
        try:
            versions.append(f"{package}={metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package}=?")
    return "|".join([__version__, str(SCHEMA), code_fingerprint(), sys.version, *versions])

