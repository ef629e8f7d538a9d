"""The rule registry: a Rule per module in connlint.rules, found by import, codes and names unique."""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterator

from .findings import Hit, Severity

CODE_RE = re.compile(r"^CL\d{3}$")
NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
LANGUAGES = ("python", "go")

Checker = Callable[..., Iterator[Hit]]


@dataclass
class Rule:
    """A rule's metadata, documentation and one checker per language it covers.

    `needs` lists tokens of which a file must match at least one for the checker to be able to
    report anything: the prefilter skips parsing files that match none. A token is a substring
    searched in the lower-cased file; `a&b` needs both parts; a part `re:PATTERN` is a regular
    expression (searched in the lower-cased bytes), tried only after the token's plain parts matched:
    give each regular expression a plain part it needs, so that it runs on few files.
    """

    code: str
    name: str
    severity: Severity
    doc: str
    message: str
    checkers: dict[str, Checker] = field(default_factory=dict)
    needs: dict[str, tuple[tuple[bytes | re.Pattern[bytes], ...], ...]] = field(default_factory=dict)
    module: str = ""
    tests_exempt: bool = False  # skipped in test files unless `ignore-tests = false` (client-side rules)

    def __post_init__(self) -> None:
        if not CODE_RE.match(self.code):
            raise ValueError(f"bad rule code {self.code!r}")
        if not NAME_RE.match(self.name):
            raise ValueError(f"rule name must be kebab-case: {self.name!r}")

    def _register(self, language: str, needs: tuple[str, ...]) -> Callable[[Checker], Checker]:
        def decorate(fn: Checker) -> Checker:
            self.checkers[language] = fn
            self.needs[language] = tuple(
                tuple(sorted((_part(p) for p in token.split("&")), key=lambda part: not isinstance(part, bytes)))
                for token in needs
            )
            return fn

        return decorate

    def python(self, *needs: str) -> Callable[[Checker], Checker]:
        return self._register("python", needs)

    def go(self, *needs: str) -> Callable[[Checker], Checker]:
        return self._register("go", needs)

    @property
    def summary(self) -> str:
        """The first sentence of the docs' "What it does" section."""
        body = " ".join(self.section("What it does").split())
        if not body:
            return self.message
        match = re.match(r"(.+?\.)(\s|$)", body)
        return match.group(1) if match else body

    def section(self, title: str) -> str:
        match = re.search(rf"^## {re.escape(title)}\s*\n(.*?)(?=^## |\Z)", self.doc, re.M | re.S)
        return match.group(1).strip() if match else ""

    @property
    def markdown(self) -> str:
        """The documentation without its title line."""
        return self.doc.split("\n", 1)[1].strip() if "\n" in self.doc else ""

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(lang for lang in LANGUAGES if lang in self.checkers)


def _part(text: str) -> bytes | re.Pattern[bytes]:
    if text.startswith("re:"):
        return re.compile(text[3:].encode())
    return text.lower().encode()


def file_may_match(lowered: bytes, tokens: tuple[tuple[bytes | re.Pattern[bytes], ...], ...]) -> bool:
    """Whether lower-cased file bytes satisfy any of a rule's prefilter tokens."""
    for parts in tokens:
        for part in parts:
            if isinstance(part, bytes):
                if part not in lowered:
                    break
            elif part.search(lowered) is None:
                break
        else:
            return True
    return False


SYNTAX_ERROR = Rule(
    "CL000",
    "syntax-error",
    Severity.ERROR,
    """CL000 syntax-error

## What it does
Reports a file connlint could not read or parse: a syntax error, a file that is not valid text in
its encoding, binary content, or a file the operating system would not let it read.

Valid code that a parser is behind on is not a syntax error. Go 1.26's `new(expr)` (`new(e.crc.Sum32())`),
which tree-sitter-go cannot parse, is parsed anyway and linted whole. The two Python 3.14 t-string forms
libcst cannot parse yet, the prefix `tr"..."` (`rt"..."` parses) and implicitly concatenated t-strings
(`t"a" t"b"`), get one note naming the construct and the file, which is not linted; the exit status does
not change. A real syntax error in such a file is still CL000.

## Why is this bad?
A file that cannot be parsed cannot be checked, so a finding in it would go unseen. Go files are
still checked in the parts the parser understood; Python files are not checked at all.

## Example
    def handler(:

Use instead: fix the syntax error, or exclude the file (`exclude` in `[tool.connlint]`).
CL000 cannot be suppressed inline or deselected, only excluded.
""",
    "The file could not be read or parsed.",
)


UNEXPLAINED_SUPPRESSION = Rule(
    "CL001",
    "unexplained-suppression",
    Severity.WARNING,
    """CL001 unexplained-suppression

## What it does
With `require-reason = true` in the configuration, reports a suppression comment that gives no reason:
`# noqa: CL101` or `//connlint:ignore CL101` with nothing after the codes.

## Why is this bad?
A suppression hides a connection-closing pattern from every later review. Without a reason the next
engineer cannot tell a deliberate exception (a load balancer that needs it) from a silenced bug.

## Example
    w.Header().Set("Connection", "close") //connlint:ignore CL101

Use instead: `//connlint:ignore CL101 the legacy balancer only drains on close`, or in Python
`# noqa: CL101 the legacy balancer only drains on close`.
""",
    "Suppression comment gives no reason; add one after the codes.",
)

UNUSED_SUPPRESSION = Rule(
    "CL002",
    "unused-suppression",
    Severity.WARNING,
    """CL002 unused-suppression

## What it does
Reports a suppression comment naming a connlint code that nothing on its line triggers (the code was
fixed, or the comment moved away from the finding). Bare `# noqa` comments are left alone: they may be
meant for other tools.

## Why is this bad?
A stale suppression silently hides the next real finding on that line.

## Example
    resp.headers["Connection"] = "keep-alive"  # noqa: CL101

Use instead: remove the comment (or the code from it).
""",
    "Suppression comment silences nothing on this line; remove it.",
)
ENGINE_RULES = (SYNTAX_ERROR, UNEXPLAINED_SUPPRESSION, UNUSED_SUPPRESSION)


def _load() -> dict[str, Rule]:
    from . import rules as package  # connlint.rules

    found: dict[str, Rule] = {rule.code: rule for rule in ENGINE_RULES}
    names = {rule.name: rule.code for rule in ENGINE_RULES}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        rule = getattr(module, "RULE", None)
        if not isinstance(rule, Rule):
            continue
        if rule.code in found:
            raise RuntimeError(f"duplicate rule code {rule.code} in {info.name}")
        if rule.name in names:
            raise RuntimeError(f"duplicate rule name {rule.name} in {info.name}")
        rule.module = module.__name__
        found[rule.code] = rule
        names[rule.name] = rule.code
    return dict(sorted(found.items()))


@lru_cache(maxsize=1)
def all_rules() -> dict[str, Rule]:
    """Every rule by code, sorted by code (CL000 included)."""
    return _load()


def get(code_or_name: str) -> Rule | None:
    rules = all_rules()
    key = code_or_name.upper()
    if key in rules:
        return rules[key]
    for rule in rules.values():
        if rule.name == code_or_name.lower():
            return rule
    return None
