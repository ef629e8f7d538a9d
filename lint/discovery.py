"""Which files to lint: walk the given paths honouring nested .gitignore files and excludes."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from .config import DEFAULT_EXCLUDE, Config, Resolver
from .patterns import gitignore_spec

LANGUAGE_BY_SUFFIX = {".py": "python", ".pyi": "python", ".go": "go"}


@dataclass(frozen=True)
class SourceFile:
    path: str  # as opened
    display: str  # relative to the current folder where possible, forward slashes
    language: str
    stamp: str = ""  # size, times and identity from stat(): unchanged stamp, unchanged file (the cache's fast path)
    mtime_ns: int = 0
    size: int = 0
    config: Config | None = field(default=None, compare=False)  # the nearest config's (None: the run's)


def stamp_of(st: os.stat_result) -> str:
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}:{st.st_dev}:{st.st_mode}"


@dataclass(frozen=True)
class Problem:
    """A path that matched but cannot be linted (broken link, not a regular file...)."""

    display: str
    reason: str
    is_error: bool  # an error becomes CL000; otherwise a warning notice


def display_path(path: str | os.PathLike, cwd: str) -> str:
    absolute = os.path.abspath(path)
    if absolute == cwd or absolute.startswith(cwd.rstrip(os.sep) + os.sep):
        rel = os.path.relpath(absolute, cwd)
    else:
        rel = absolute
    return rel.replace(os.sep, "/")


def language_of(path: str) -> str | None:
    return LANGUAGE_BY_SUFFIX.get(os.path.splitext(path)[1].lower())


def _is_venv(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "pyvenv.cfg"))


def _read_gitignore(folder: str) -> pathspec.GitIgnoreSpec | None:
    try:
        with open(os.path.join(folder, ".gitignore"), encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    return gitignore_spec(lines) if lines else None


def _git_root(folder: str) -> str | None:
    for parent in (folder, *map(str, Path(folder).parents)):
        if os.path.exists(os.path.join(parent, ".git")):
            return parent
    return None


class _Ignores:
    """The .gitignore specs that apply below a folder, each with the folder it lives in."""

    def __init__(self, specs: tuple[tuple[str, pathspec.GitIgnoreSpec], ...] = ()) -> None:
        self.specs = specs

    def child(self, folder: str) -> "_Ignores":
        spec = _read_gitignore(folder)
        return _Ignores(self.specs + ((folder, spec),)) if spec else self

    def ignored(self, path: str, is_dir: bool) -> bool:
        verdict = False
        for base, spec in self.specs:
            rel = os.path.relpath(path, base).replace(os.sep, "/")
            if rel.startswith(".."):
                continue
            if is_dir:
                rel += "/"
            result = spec.check_file(rel)
            if result.include is not None:
                verdict = result.include
        return verdict

    def in_folder(self, folder: str) -> "_FolderIgnores":
        """The specs with `folder`'s path relative to each base worked out once, for its entries."""
        prefixes = []
        for base, spec in self.specs:
            rel = os.path.relpath(folder, base).replace(os.sep, "/")
            if not rel.startswith(".."):
                prefixes.append(("" if rel == "." else rel + "/", spec))
        return _FolderIgnores(prefixes)


class _FolderIgnores:
    def __init__(self, prefixes: list[tuple[str, pathspec.GitIgnoreSpec]]) -> None:
        self.prefixes = prefixes

    def ignored(self, name: str, is_dir: bool) -> bool:
        verdict = False
        for prefix, spec in self.prefixes:
            result = spec.check_file(prefix + name + ("/" if is_dir else ""))
            if result.include is not None:
                verdict = result.include
        return verdict


def _initial_ignores(folder: str, config: Config) -> _Ignores:
    """Specs from the git root down to `folder` (exclusive), so `connlint src/` honours the root .gitignore."""
    if not config.respect_gitignore:
        return _Ignores()
    root = _git_root(folder)
    if root is None:
        return _Ignores()
    chain = [folder]
    while chain[-1] != root and os.path.dirname(chain[-1]) != chain[-1]:
        chain.append(os.path.dirname(chain[-1]))
    ignores = _Ignores()
    for parent in reversed(chain[1:]):
        ignores = ignores.child(parent)
    return ignores


def discover(paths: list[str], settings: Config | Resolver,
             cwd: str | None = None) -> tuple[list[SourceFile], list[Problem]]:
    """Files to lint, each with the Config of the nearest config file above it, and problems met, both
    sorted by display path; raises FileNotFoundError (and ConfigError for a broken config file)."""
    cwd = os.path.abspath(cwd or os.getcwd())
    resolver = settings if isinstance(settings, Resolver) else Resolver.single(settings)
    excludes = _ExcludesByConfig()

    files: dict[str, SourceFile] = {}
    seen_real: dict[str, tuple[str, bool]] = {}  # real path -> (display, reached through a symbolic link)
    problems: dict[str, Problem] = {}

    def add_file(path: str, language: str, st: os.stat_result, config: Config, real: str = "", shown: str = "",
                 is_link: bool | None = None) -> None:
        """One file per real path: a file reached both through a symbolic link and directly is the direct one."""
        real = real or os.path.realpath(path)
        is_link = os.path.islink(path) if is_link is None else is_link
        if real in seen_real:
            earlier, earlier_link = seen_real[real]
            if is_link or not earlier_link:
                return
            del files[earlier]
        shown = shown or display_path(path, cwd)
        seen_real[real] = (shown, is_link)
        files[shown] = SourceFile(path, shown, language, stamp_of(st), st.st_mtime_ns, st.st_size, config)

    for given in paths:
        absolute = os.path.abspath(given)
        if os.path.islink(absolute) and not os.path.exists(absolute):
            problems[display_path(absolute, cwd)] = Problem(display_path(absolute, cwd), "broken symbolic link", True)
            continue
        if not os.path.exists(absolute):
            raise FileNotFoundError(given)
        config = resolver.for_path(absolute)
        if config.force_exclude and excludes.of(config).path(absolute, os.path.isdir(absolute)):
            continue
        if not os.path.isdir(absolute):
            language = language_of(absolute)
            st = os.stat(absolute)
            if not stat.S_ISREG(st.st_mode):
                problems[display_path(absolute, cwd)] = Problem(display_path(absolute, cwd), "not a regular file, skipped", False)
            elif language is None:
                problems[display_path(absolute, cwd)] = Problem(
                    display_path(absolute, cwd), "not a Python (.py, .pyi) or Go (.go) file, skipped", False
                )
            else:
                add_file(absolute, language, st, config)
            continue
        # named although excluded (`connlint vendor/`): linted, with the usual skips below it (not above)
        named = excludes.with_named(config, absolute) if excludes.of(config).path(absolute, True) else excludes
        _walk(absolute, resolver, named, add_file, problems, cwd)
    return (
        [files[k] for k in sorted(files)],
        [problems[k] for k in sorted(problems)],
    )


class _ExcludesByConfig:
    """The exclude matcher of each config, built once; a folder named although its config excludes it
    is walked with only the default skips of that config, rooted at the folder."""

    def __init__(self, named: dict | None = None) -> None:
        self.built: dict[int, tuple[Config, _Excludes]] = {}
        self.named = named or {}

    def of(self, config: Config) -> "_Excludes":
        if id(config) in self.named:
            return self.named[id(config)][1]
        entry = self.built.get(id(config))
        if entry is None:
            entry = self.built[id(config)] = (config, _Excludes(config.all_excludes, str(config.root)))
        return entry[1]

    def with_named(self, config: Config, folder: str) -> "_ExcludesByConfig":
        named = dict(self.named)
        named[id(config)] = (config, _Excludes(DEFAULT_EXCLUDE, folder))
        out = _ExcludesByConfig(named)
        out.built = self.built
        return out


class _Excludes:
    """Exclude patterns matched against paths relative to the project root (the name alone outside it)."""

    def __init__(self, patterns, root: str) -> None:
        self.spec = gitignore_spec(patterns)
        self.root = root

    def path(self, path: str, is_dir: bool) -> bool:
        rel = os.path.relpath(path, self.root).replace(os.sep, "/")
        if rel.startswith(".."):
            rel = os.path.basename(path)
        return self.spec.match_file(rel + "/" if is_dir else rel)

    def in_folder(self, folder: str):
        rel = os.path.relpath(folder, self.root).replace(os.sep, "/")
        prefix = None if rel.startswith("..") else ("" if rel == "." else rel + "/")
        match = self.spec.match_file

        def excluded(name: str, is_dir: bool) -> bool:
            rel_name = name if prefix is None else prefix + name
            return match(rel_name + "/" if is_dir else rel_name)

        return excluded


def force_excluded(path: str, config: Config) -> bool:
    """With `force-exclude`, is this path named on the command line excluded all the same?"""
    return config.force_exclude and _Excludes(config.all_excludes, str(config.root)).path(os.path.abspath(path), False)


def _walk(top: str, resolver: Resolver, excludes: _ExcludesByConfig, add_file, problems: dict, cwd: str) -> None:
    top_real = os.path.realpath(top)
    visited = {top_real}
    ignores = _initial_ignores(top, resolver.for_folder(top))
    if ignores.ignored(top, True):  # named although gitignored: linted, with the .gitignore files below it
        ignores = _Ignores()
    stack = [(top, top_real, ignores)]
    while stack:
        folder, folder_real, ignores = stack.pop()
        config = resolver.for_folder(folder)
        if config.respect_gitignore:
            ignores = ignores.child(folder)
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            shown = display_path(folder, cwd)
            problems[shown] = Problem(shown, f"cannot list folder: {exc.strerror or exc}", False)
            continue
        # worked out once per folder, not per entry
        shown_folder = display_path(folder, cwd)
        shown_prefix = "" if shown_folder == "." else shown_folder.rstrip("/") + "/"
        excluded_here = excludes.of(config).in_folder(folder)
        ignored_here = ignores.in_folder(folder) if config.respect_gitignore else _FolderIgnores([])
        subfolders = []
        for entry in entries:
            name = entry.name
            path = entry.path
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                continue
            if is_dir:
                if excluded_here(name, True) or ignored_here.ignored(name, True) or _is_venv(path):
                    continue
                real = os.path.realpath(path) if is_link else os.path.join(folder_real, name)
                if is_link and not _inside(real, top_real):
                    continue
                if real in visited:
                    continue
                visited.add(real)
                subfolders.append((path, real))
                continue
            language = language_of(name)
            if language is None or excluded_here(name, False) or ignored_here.ignored(name, False):
                continue
            shown = shown_prefix + name
            real = os.path.join(folder_real, name)
            if is_link:
                real = os.path.realpath(path)
                if not os.path.exists(real):
                    problems[shown] = Problem(shown, "broken symbolic link", True)
                    continue
                if not _inside(real, top_real):
                    continue
            try:
                st = entry.stat(follow_symlinks=True)
            except OSError as exc:
                problems[shown] = Problem(shown, f"cannot read: {exc.strerror or exc}", True)
                continue
            if not stat.S_ISREG(st.st_mode):
                problems[shown] = Problem(shown, "not a regular file, skipped", False)
                continue
            add_file(path, language, st, config, real, shown, is_link)
        for sub, sub_real in reversed(subfolders):
            stack.append((sub, sub_real, ignores))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
