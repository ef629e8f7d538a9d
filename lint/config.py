"""`[tool.connlint]` in pyproject.toml, or connlint.toml, into a frozen Config."""

from __future__ import annotations

import difflib
import os
import stat
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_EXCLUDE = (
    ".git/", ".hg/", ".svn/", ".bzr/", "node_modules/", "vendor/", "__pycache__/", ".venv/", "venv/",
    ".tox/", ".nox/", ".mypy_cache/", ".ruff_cache/", ".pytest_cache/", ".connlint_cache/",
    "site-packages/", "testdata/", "_build/", "buck-out/", ".eggs/",
)
CONFIG_FILES = ("connlint.toml", ".connlint.toml", "pyproject.toml")
SEVERITIES = ("error", "warning", "note")  # most severe first


class ConfigError(Exception):
    """A problem with configuration or arguments: reported on one line, exit 2."""


@dataclass(frozen=True)
class Config:
    root: Path = field(default_factory=Path.cwd)
    source: Path | None = None
    select: tuple[str, ...] = ("CL",)
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    respect_gitignore: bool = True
    force_exclude: bool = False  # excludes apply to paths named on the command line too (pre-commit)
    ignore_tests: bool | tuple[str, ...] | None = None  # None: each rule's default (client rules skip tests)
    max_file_size_mb: float = 20.0
    baseline: Path | None = None
    require_reason: bool = False
    fail_on: str = "warning"  # the least severe level that makes the run exit 1

    def enabled_codes(self, known: Iterable[str]) -> frozenset[str]:
        chosen = self.select + self.extend_select
        return frozenset(
            code
            for code in known
            if _matches(code, chosen) and not _matches(code, self.ignore)
        )

    @property
    def all_excludes(self) -> tuple[str, ...]:
        return self.exclude + self.extend_exclude


def _matches(code: str, selectors: Iterable[str]) -> bool:
    return any(sel == "ALL" or code.startswith(sel) for sel in selectors)


def validate_codes(codes: Iterable[str], known: Iterable[str], where: str) -> tuple[str, ...]:
    known = tuple(known)
    out = []
    for raw in codes:
        if not isinstance(raw, str):
            raise ConfigError(f"{where}: expected rule codes as strings, got {raw!r}")
        code = raw.strip().upper()
        if code != "ALL" and not any(k.startswith(code) for k in known) or not code:
            raise ConfigError(f"{where}: unknown rule code or prefix {raw!r}")
        out.append(code)
    return tuple(out)


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings")
    return tuple(value)


def config_in(folder: Path, skipped: list[tuple[str, str]] | None = None) -> Path | None:
    """The config file of this folder itself: connlint.toml, .connlint.toml, or a pyproject.toml with
    a [tool.connlint] table. One that anybody may have written is passed over (and named in `skipped`)."""
    for name in CONFIG_FILES:
        candidate = folder / name
        if not candidate.is_file():
            continue
        doubt = untrusted(candidate)
        if doubt:
            if skipped is not None:
                skipped.append((str(candidate), f"not used as a config file: {doubt}"))
            continue
        if name != "pyproject.toml":
            return candidate
        if "connlint" in _read_toml(candidate).get("tool", {}):
            return candidate
    return None


def untrusted(path: Path) -> str | None:
    """Why a file found by searching may have been put there by another user (None: it may not): it is
    writable by everyone, or it lies in a folder everyone may write to (such as /tmp)."""
    try:
        mode, folder_mode = path.stat().st_mode, path.parent.stat().st_mode
    except OSError as exc:
        return f"cannot stat it: {exc.strerror or exc}"
    if mode & stat.S_IWOTH:
        return "it is writable by every user"
    if folder_mode & stat.S_IWOTH:
        return f"its folder {path.parent} is writable by every user"
    return None


def find_config_file(start: Path) -> Path | None:
    """The nearest config file from `start` upward, stopping at the repository root (the folder with .git)."""
    for folder in (start, *start.parents):
        found = config_in(folder)
        if found is not None:
            return found
        if (folder / ".git").exists():
            return None
    return None


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


class Resolver:
    """The Config of each path (ruff's rule): the nearest config file above it, else the one found from
    the current folder, with the command line's options over it. `--config FILE` applies that one file to
    every path; `--isolated` applies none. Folders are looked up once."""

    def __init__(self, known: Iterable[str], *, cwd: str | os.PathLike | None = None,
                 config_file: Path | None = None, isolated: bool = False, overrides: dict | None = None,
                 fixed: Config | None = None) -> None:
        if isolated and config_file:
            raise ConfigError("--isolated and --config cannot be used together")
        self.known = tuple(known)
        self.cwd = Path(os.path.abspath(cwd or os.getcwd()))
        self.overrides = overrides or {}
        self._nearest: dict[str, Path | None] = {}
        self._loaded: dict[Path, Config] = {}
        self.skipped: list[tuple[str, str]] = []  # (config file, why) passed over, for a warning each
        self.fixed = fixed
        if config_file is not None:
            self.fixed = self._apply(load(Path(config_file), self.known, explicit=True))
        elif isolated:
            self.fixed = self._apply(Config(root=self.cwd))
        found = None if self.fixed else self.config_file_for(self.cwd)
        self.default = self.fixed or (self._load(found) if found else self._apply(Config(root=self.cwd)))

    @classmethod
    def single(cls, config: Config) -> "Resolver":
        """Every path gets `config` (tests, and callers that already chose one)."""
        return cls((), cwd=config.root, fixed=config)

    def _apply(self, config: Config) -> Config:
        return with_overrides(config, self.known, **self.overrides) if self.overrides else config

    def _load(self, path: Path) -> Config:
        config = self._loaded.get(path)
        if config is None:
            config = self._loaded[path] = self._apply(load(path, self.known))
        return config

    def config_file_for(self, folder: str | os.PathLike) -> Path | None:
        """The nearest config file from `folder` upward, up to the repository root (None: there is none)."""
        current = Path(os.path.abspath(folder))
        chain: list[str] = []
        while True:
            key = str(current)
            if key in self._nearest:
                found = self._nearest[key]
                break
            chain.append(key)
            found = config_in(current, self.skipped)
            if found is not None or (current / ".git").exists() or current.parent == current:
                break
            current = current.parent
        for key in chain:
            self._nearest[key] = found
        return found

    def for_folder(self, folder: str | os.PathLike) -> Config:
        if self.fixed is not None:
            return self.fixed
        found = self.config_file_for(folder)
        return self._load(found) if found is not None else self.default

    def for_path(self, path: str | os.PathLike) -> Config:
        """The Config of a file (or of a folder named as a path)."""
        absolute = os.path.abspath(path)
        return self.for_folder(absolute if os.path.isdir(absolute) else os.path.dirname(absolute))

    def configs(self) -> list[Config]:
        """Every Config handed out so far, the default first."""
        seen = [self.default]
        seen += [c for c in self._loaded.values() if c != self.default]
        return seen


def load(path: Path | None, known_codes: Iterable[str], *, explicit: bool = False) -> Config:
    """Read a config file (None: defaults rooted at the current folder)."""
    known = tuple(known_codes)
    if path is None:
        return Config()
    path = path.resolve() if path.exists() else path
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    data = _read_toml(path)
    if path.name == "pyproject.toml" or isinstance(data.get("tool"), dict) and "connlint" in data["tool"]:
        table = data.get("tool", {}).get("connlint")
        if table is None:
            if explicit:
                raise ConfigError(f"{path}: no [tool.connlint] table")
            table = {}
        prefix = "tool.connlint"
    else:
        table = data
        prefix = ""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{prefix}] must be a table")
    return from_table(table, known, root=path.parent, source=path, prefix=prefix)


KEYS = (
    "select", "extend-select", "ignore", "exclude", "extend-exclude", "per-file-ignores", "ignore-tests",
    "baseline", "require-reason", "max-file-size", "respect-gitignore", "force-exclude", "fail-on",
)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_fail_on(value: Any, where: str) -> str:
    if value not in SEVERITIES:
        raise ConfigError(f"{where}: expected one of {', '.join(SEVERITIES)}, got {value!r}")
    return value


def from_table(table: dict, known: tuple[str, ...], *, root: Path, source: Path | None, prefix: str = "") -> Config:
    def where(key: str) -> str:
        return f"{source or '<config>'}: {prefix + '.' if prefix else ''}{key}"

    cfg = Config(root=root, source=source)
    changes: dict[str, Any] = {}
    for key, value in table.items():
        if key in ("select", "extend-select", "ignore"):
            codes = validate_codes(_str_list(value, where(key)), known, where(key))
            changes[key.replace("-", "_")] = codes
        elif key in ("exclude", "extend-exclude"):
            changes[key.replace("-", "_")] = _str_list(value, where(key))
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{where(key)}: expected a table of glob = [codes]")
            pairs = []
            for pattern, codes in value.items():
                sub = f"{key}.{pattern!r}"
                pairs.append((pattern, validate_codes(_str_list(codes, where(sub)), known, where(sub))))
            changes["per_file_ignores"] = tuple(pairs)
        elif key == "ignore-tests":
            if isinstance(value, bool):
                changes["ignore_tests"] = value
            elif isinstance(value, list):
                changes["ignore_tests"] = validate_codes(_str_list(value, where(key)), known, where(key))
            else:
                raise ConfigError(f"{where(key)}: expected true, false or a list of rule codes")
        elif key == "baseline":
            if not isinstance(value, str):
                raise ConfigError(f"{where(key)}: expected a file path")
            changes["baseline"] = root / value
        elif key == "require-reason":
            if not isinstance(value, bool):
                raise ConfigError(f"{where(key)}: expected true or false")
            changes["require_reason"] = value
        elif key == "max-file-size":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ConfigError(f"{where(key)}: expected a positive number of megabytes")
            changes["max_file_size_mb"] = float(value)
        elif key in ("respect-gitignore", "force-exclude"):
            if not isinstance(value, bool):
                raise ConfigError(f"{where(key)}: expected true or false")
            changes[key.replace("-", "_")] = value
        elif key == "fail-on":
            changes["fail_on"] = check_fail_on(value, where(key))
        else:
            raise ConfigError(f"{where(key)}: unknown option{did_you_mean(key, KEYS)}")
    return replace(cfg, **changes)


def with_overrides(cfg: Config, known: Iterable[str], **cli: Any) -> Config:
    """Apply command-line options over a file's configuration."""
    known = tuple(known)
    changes: dict[str, Any] = {}
    if cli.get("select"):
        changes["select"] = validate_codes(_split(cli["select"]), known, "--select")
        changes["extend_select"] = ()
    if cli.get("extend_select"):
        changes["extend_select"] = cfg.extend_select + validate_codes(_split(cli["extend_select"]), known, "--extend-select")
    if cli.get("ignore"):
        changes["ignore"] = cfg.ignore + validate_codes(_split(cli["ignore"]), known, "--ignore")
    if cli.get("exclude"):
        changes["extend_exclude"] = cfg.extend_exclude + tuple(cli["exclude"])
    if cli.get("no_respect_gitignore"):
        changes["respect_gitignore"] = False
    if cli.get("force_exclude"):
        changes["force_exclude"] = True
    if cli.get("fail_on"):
        changes["fail_on"] = check_fail_on(cli["fail_on"], "--fail-on")
    return replace(cfg, **changes)


def _split(values: Iterable[str]) -> list[str]:
    return [part for value in values for part in value.split(",") if part.strip()]
