"""run(paths, config) -> Report: discovery, reading, prefilter, parsing, rules, suppressions."""

from __future__ import annotations

import multiprocessing
import os
import re
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from . import cache, suppress
from .cache import Cache
from .config import Config, Resolver
from .discovery import SourceFile, discover
from .findings import Finding, Hit, Notice, Report, Severity
from .plan import Plan, make_plan
from .registry import SYNTAX_ERROR, UNEXPLAINED_SUPPRESSION, UNUSED_SUPPRESSION, Rule, file_may_match
from .writer import write_file

UTF8_BOM = b"\xef\xbb\xbf"


@dataclass
class FileResult:
    findings: list[Finding] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    parsed: bool = False
    cache_key: str = ""


TEST_FILE = re.compile(r"(^|/)(tests?|testing)/|(^|/)(test_[^/]*|[^/]*_test|conftest)\.pyi?$|_test\.go$")


def is_test_file(path: str) -> bool:
    """Go `_test.go`; Python `test_*.py`, `*_test.py`, `conftest.py`, or anything under `tests/`."""
    return TEST_FILE.search(path) is not None


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


POOL_THRESHOLD = 8  # fewer files to parse than this: lint in-process, no pool start-up cost
BIG_PYTHON_FILE = 100_000  # bytes
STAMP_SETTLE_NS = 2_000_000_000  # a file modified this recently may change again within its mtime's granularity


def run(
    paths: list[str],
    settings: Config | Resolver,
    *,
    prefilter: bool = True,
    jobs: int | None = None,
    cache_dir: Path | None = None,
    fix: str | None = None,
    unsafe_fixes: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Lint `paths`, each file with its nearest config (`settings`: a Resolver, or one Config for every
    file); raises FileNotFoundError for a path that does not exist, ConfigError for a broken config file.

    fix="apply" writes fixes to the files (atomically) and reports what remains; fix="diff" computes
    them without writing (Report.fixes holds both).
    """
    resolver = settings if isinstance(settings, Resolver) else Resolver.single(settings)
    files, problems = discover(paths, resolver)
    plans = _Plans(resolver, prefilter)
    for source in files:  # every config numbered before a worker starts
        plans.number(source.config)
    report = Report()
    for problem in problems:
        if problem.is_error:
            report.findings.append(_syntax_finding(problem.display, 1, 1, problem.reason))
        else:
            report.notices.append(Notice(problem.display, problem.reason))

    store = Cache(cache_dir).open() if cache_dir is not None else None
    if store is not None and store.warning:
        report.notices.append(Notice(str(cache_dir), store.warning))
    stamps = store.stamps([source.display for source in files]) if store is not None else {}
    settled = time.time_ns() - STAMP_SETTLE_NS
    dispatcher = _Dispatcher(plans, jobs or usable_cores())
    try:
        finished = _read_and_dispatch(files, plans, store, stamps, settled, dispatcher, report, progress)
    except BaseException:
        dispatcher.close()
        raise
    for done, (source, result) in enumerate(dispatcher.results(), start=1):
        if progress is not None:
            progress(finished + done, len(files))
        report.findings.extend(result.findings)
        report.notices.extend(result.notices)
        report.errors.extend(result.errors)
        if store is not None and result.cache_key and not result.errors:
            store.put(result.cache_key, result.findings, result.notices)
            store.stamp(source, plans.of(source).fingerprint, result.cache_key, settled)
    if store is not None:
        store.close()
        if store.warning:
            report.notices.append(Notice(str(cache_dir), store.warning))
    if fix:
        _fix(report, {s.display: s for s in files}, plans, fix, unsafe_fixes)
    report.notices.extend(Notice(path, why) for path, why in dict.fromkeys(resolver.skipped))
    report.sort()
    return report


class _Plans:
    """The plan of each config a run meets, made once; configs are numbered for the worker processes."""

    def __init__(self, resolver: Resolver, prefilter: bool) -> None:
        self.resolver, self.prefilter = resolver, prefilter
        self.configs: list[Config] = []
        self.plans: list[Plan] = []
        self.index: dict[int, int] = {}

    def number(self, config: Config | None) -> int:
        config = config or self.resolver.default
        found = self.index.get(id(config))
        if found is None:
            found = self.index[id(config)] = len(self.plans)
            self.configs.append(config)
            self.plans.append(make_plan(config, prefilter=self.prefilter))
        return found

    def of(self, source: SourceFile) -> Plan:
        return self.plans[self.number(source.config)]


def _read_and_dispatch(files: list[SourceFile], plans: _Plans, store: Cache | None, stamps: dict, settled: int,
                       dispatcher: "_Dispatcher", report: Report, progress) -> int:
    """Serve unchanged files from the cache, skip those no rule can match, hand the rest to the dispatcher;
    returns how many files are finished."""
    total = len(files)
    finished = 0
    for index, source in enumerate(files):
        report.files_checked += 1
        if progress is not None and index % 64 == 0:
            progress(finished, total)
        plan = plans.of(source)
        known = stamps.get((source.display, plan.fingerprint))
        if known is not None and known[0] == source.stamp:  # unchanged since a run that linted it
            cached = store.get(source.display, known[1]) if known[1] else ([], [])
            if cached is not None:
                report.findings.extend(cached[0])
                report.notices.extend(cached[1])
                finished += 1
                continue
        try:
            data = _read(source.path)
        except OSError as exc:
            report.findings.append(_syntax_finding(source.display, 1, 1, f"cannot read: {exc.strerror or exc}"))
            finished += 1
            continue
        rules = select_rules(source.display, source.language, data, plan)
        if not rules and not unlintable(data, plan):
            if store is not None:
                store.stamp(source, plan.fingerprint, "", settled)
            finished += 1
            continue
        if store is not None:
            cache_key = _cache_key(source.display, source.language, data, plan)
            cached = store.get(source.display, cache_key)
            if cached is not None:
                report.findings.extend(cached[0])
                report.notices.extend(cached[1])
                store.stamp(source, plan.fingerprint, cache_key, settled)
                finished += 1
                continue
        dispatcher.add(source)
    return finished


def run_stdin(filename: str, data: bytes, settings: Config | Resolver, *, fix: str | None = None,
              unsafe_fixes: bool = False, language: str | None = None, prefilter: bool = True) -> Report:
    """Lint bytes read from standard input as if they were `filename`, with that path's config. Fixes are
    computed, never written; with fix="apply" the findings are those left in the fixed source."""
    from .discovery import display_path, force_excluded, language_of

    config = settings.for_path(filename) if isinstance(settings, Resolver) else settings
    display = display_path(filename, os.getcwd())
    language = language or language_of(filename)
    if force_excluded(filename, config):
        return Report()
    report = Report(files_checked=1)
    if language is None:
        report.notices.append(Notice(display, "not a Python (.py, .pyi) or Go (.go) file name, nothing linted"))
        return report
    plan = make_plan(config, prefilter=prefilter)
    result = lint_source(display, language, data, plan)
    report.findings, report.notices, report.errors = result.findings, result.notices, result.errors
    if fix and any(f.fix is not None for f in result.findings):
        from . import fixes

        encoding = fixes.python_encoding(data) if language == "python" else "utf-8"
        outcome = fixes.fix_source(
            display, data, lambda candidate: lint_source(display, language, candidate, plan).findings,
            lambda candidate: _parse_errors(language, candidate) <= _parse_errors(language, data),
            unsafe_fixes, encoding,
        )
        report.notices.extend(Notice(display, message) for message in outcome.dropped)
        if outcome.changed:
            report.fixes.append(outcome)
            if fix == "apply":
                report.findings = lint_source(display, language, outcome.fixed, plan).findings
    report.sort()
    return report


def _fix(report: Report, sources: dict[str, SourceFile], plans: _Plans, mode: str, unsafe: bool) -> None:
    from . import fixes

    fixable = sorted({f.path for f in report.findings if f.fix is not None and (f.fix.safe or unsafe)})
    for display in fixable:
        source = sources.get(display)
        if source is None:
            continue
        try:
            data = _read(source.path)
        except OSError as exc:
            report.errors.append(f"{display}: cannot read for fixing: {exc.strerror or exc}")
            continue
        encoding = fixes.python_encoding(data) if source.language == "python" else "utf-8"
        plan = plans.of(source)

        def lint(candidate: bytes, source=source, plan=plan) -> list[Finding]:
            return lint_source(source.display, source.language, candidate, plan).findings

        def parses(candidate: bytes, source=source, baseline=data) -> bool:
            return _parse_errors(source.language, candidate) <= _parse_errors(source.language, baseline)

        outcome = fixes.fix_source(display, data, lint, parses, unsafe, encoding)
        report.notices.extend(Notice(display, message) for message in outcome.dropped)
        if not outcome.changed:
            continue
        if mode == "apply":
            try:  # through a symbolic link to its target; refused if the file changed since `data` was read
                write_file(source.path, outcome.fixed, expected=data)
            except OSError as exc:
                report.errors.append(f"{display}: cannot write the fixed file: {exc.strerror or exc}")
                continue
            report.findings = [f for f in report.findings if f.path != display] + lint(outcome.fixed)
        report.fixes.append(outcome)  # only fixes written (or, for --diff, to show) are counted


def _parse_errors(language: str, data: bytes) -> int:
    """0 when the source parses cleanly, 1 when it does not (Go: when tree-sitter finds an error)."""
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM):]
    if language == "python":
        from .frontends import python as frontend

        try:
            frontend.parse("", data)
        except frontend.PythonSyntaxError:
            return 1
        return 0
    from .frontends import go as frontend

    return int(frontend.parse("", data).root.has_error)


_worker_plans: list[Plan] = []
_worker_memory: "_HeapTrimmer | None" = None


_big_parse = None  # a lock the workers share: one big Python file parsed at a time


def _init_worker(configs: list[Config], prefilter: bool, big_parse=None) -> None:
    global _worker_plans, _worker_memory, _big_parse
    _worker_plans = [make_plan(config, prefilter=prefilter) for config in configs]
    _worker_memory = _HeapTrimmer()
    _big_parse = big_parse


def _lint_in_worker(source: SourceFile, plan_number: int) -> FileResult:
    assert _worker_plans and _worker_memory is not None
    plan = _worker_plans[plan_number]
    if _big_parse is not None and source.language == "python" and source.size > BIG_PYTHON_FILE:
        with _big_parse:  # libcst needs ~300 bytes of memory per byte of source: not two of those at once
            result = lint_file(source, plan)
            _worker_memory.check()
        return result
    result = lint_file(source, plan)
    _worker_memory.check()
    return result


def _submit(pool: ProcessPoolExecutor, plans: _Plans, source: SourceFile):
    """A file goes to a worker without its Config (the workers have them all, by number)."""
    return pool.submit(_lint_in_worker, replace(source, config=None), plans.number(source.config))


class _HeapTrimmer:
    """Hands freed heap back to the OS once a worker grew (glibc keeps a big parse's high-water mark, and
    every worker keeping one adds up); a no-op where there is no glibc or /proc."""

    FLOOR = 96 << 20
    SLACK = 32 << 20

    def __init__(self) -> None:
        self.limit = self.FLOOR
        self.page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
        try:
            import ctypes

            self.trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (ImportError, OSError, AttributeError):
            self.trim = None

    def resident(self) -> int | None:
        try:
            with open("/proc/self/statm", "rb") as fh:
                return int(fh.read().split()[1]) * self.page
        except (OSError, ValueError, IndexError):
            return None

    def check(self) -> None:
        resident = self.resident() if self.trim is not None else None
        if resident is None or resident <= self.limit:
            return
        self.trim(0)
        self.limit = max(self.FLOOR, (self.resident() or resident) + self.SLACK)


class _Dispatcher:
    """Files to parse go to a worker pool as soon as there are enough of them to pay for it (the pool starts
    while the rest are still being read and prefiltered); a short list is linted in-process."""

    def __init__(self, plans: _Plans, workers: int) -> None:
        self.plans, self.workers = plans, workers
        self.sources: list[SourceFile] = []
        self.futures: list = []
        self.pool: ProcessPoolExecutor | None = None

    def add(self, source: SourceFile) -> None:
        self.sources.append(source)
        if self.pool is None and self.workers > 1 and len(self.sources) >= POOL_THRESHOLD:
            context = _mp_context()
            self.pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_init_worker,
                                            initargs=(self.plans.configs, self.plans.prefilter, context.Lock()))
            self.futures = [_submit(self.pool, self.plans, s) for s in self.sources]
        elif self.pool is not None:
            self.futures.append(_submit(self.pool, self.plans, source))

    def results(self):
        """(source, result) in the order the files were added."""
        if self.pool is None:
            for source in self.sources:
                yield source, lint_file(source, self.plans.of(source))
            return
        try:
            for index, (source, future) in enumerate(zip(self.sources, self.futures)):
                try:
                    result = future.result()
                except BrokenProcessPool:  # name the file that kills a worker: the rest one at a time
                    yield from _in_pool(self.sources[index:], self.plans, 1)
                    return
                yield source, result
        finally:
            self.close()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _mp_context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _in_pool(files: list[SourceFile], plans: _Plans, workers: int):
    """Lint in worker processes, results in input order; a crashed worker is named, never hidden."""
    context = _mp_context()
    remaining = list(files)
    crashed_alone = False
    while remaining:
        pool_size = 1 if crashed_alone else workers
        with ProcessPoolExecutor(pool_size, mp_context=context, initializer=_init_worker,
                                 initargs=(plans.configs, plans.prefilter)) as pool:
            futures = [(source, _submit(pool, plans, source)) for source in remaining]
            done = 0
            try:
                for source, future in futures:
                    yield source, future.result()
                    done += 1
            except BrokenProcessPool:
                if crashed_alone or pool_size == 1:
                    culprit = remaining[done]
                    result = FileResult()
                    result.errors.append(f"{culprit.display}: internal error: the worker process linting it crashed")
                    yield culprit, result
                    done += 1
                crashed_alone = True  # retry the rest one at a time to name the file that kills a worker
            remaining = remaining[done:]


def _cache_key(display: str, language: str, data: bytes, plan: Plan) -> str:
    return cache.key(plan.fingerprint, display, language, data)


def _syntax_finding(path: str, line: int, col: int, reason: str) -> Finding:
    return Finding(
        path, line, col, line, col, SYNTAX_ERROR.code, SYNTAX_ERROR.name, reason, Severity.ERROR
    )


def _read(path: str) -> bytes:
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as fh:
        return fh.read()


def rules_for(data: bytes, rules: tuple[Rule, ...], language: str, prefilter: bool) -> tuple[Rule, ...]:
    """The rules that could report something on a file, judged by a byte search for their tokens."""
    if not prefilter:
        return rules
    lowered = data.lower()
    return tuple(
        r
        for r in rules
        if not r.needs.get(language) or file_may_match(lowered, r.needs[language])
    )


RECURSION_LIMIT = 20_000
if sys.getrecursionlimit() < RECURSION_LIMIT:  # libcst walks deeply nested (valid) code recursively
    sys.setrecursionlimit(RECURSION_LIMIT)
UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff")


def unlintable(data: bytes, plan: Plan) -> str | None:
    """Why a file cannot be linted at all, judged before any parsing (None: it can)."""
    if len(data) > plan.max_bytes:
        return f"file too large ({len(data) / 1e6:.1f} MB > max-file-size {plan.max_bytes / 1e6:g} MB), not linted"
    if data.startswith(UTF16_32_BOMS):
        return "UTF-16/UTF-32 encoded (byte order mark): source must be UTF-8 (or a PEP 263 encoding), not linted"
    return None


def select_rules(display: str, language: str, data: bytes, plan: Plan) -> tuple[Rule, ...]:
    """The enabled rules for this file that its bytes could trigger."""
    rules = plan.rules.get(language, ())
    if plan.test_exempt_codes and is_test_file(display):
        rules = tuple(r for r in rules if r.code not in plan.test_exempt_codes)
    return rules_for(data, rules, language, plan.prefilter)


def lint_source(display: str, language: str, data: bytes, plan: Plan) -> FileResult:
    """Lint one file's bytes as `language`; `display` is the path findings carry."""
    result = FileResult()
    problem = unlintable(data, plan)
    if problem:
        result.findings.append(_syntax_finding(display, 1, 1, problem))
        return result
    rules = select_rules(display, language, data, plan)
    if not rules:
        if _checks_suppressions(plan) and _has_suppression_marker(language, data):
            text = data.decode("utf-8", "replace")
            result.findings, result.notices = _apply_suppressions(display, language, text, [], plan)
        return result
    result.cache_key = _cache_key(display, language, data, plan)
    if b"\x00" in data:
        result.findings.append(_syntax_finding(display, 1, 1, "binary file (contains NUL bytes), not linted"))
        return result
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM):]

    if language == "python":
        from .frontends import python as frontend
    else:
        from .frontends import go as frontend

    try:
        if language == "go":
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                line = data.count(b"\n", 0, exc.start) + 1
                result.findings.append(
                    _syntax_finding(display, line, 1, f"Go source is not valid UTF-8 (byte offset {exc.start})")
                )
                return result
        parsed = frontend.parse(display, data)
    except getattr(frontend, "UnsupportedSyntax", ()) as exc:  # type: ignore[misc]  # valid, the parser is behind
        result.notices.append(Notice(display, str(exc), exc.line, "note"))
        return result
    except getattr(frontend, "PythonSyntaxError", ()) as exc:  # type: ignore[misc]
        result.findings.append(_syntax_finding(display, exc.line, exc.col, f"syntax error: {exc}"))
        return result
    except Exception:  # a frontend bug: surface it, keep the run going
        _reraise_interrupt()
        result.errors.append(f"{display}: internal error in the {language} frontend: {_last_line()}")
        return result
    result.parsed = True

    encoding = parsed.module.encoding if language == "python" else "utf-8"
    text = data.decode(encoding, "replace")
    if language == "go":
        error = parsed.first_error()
        if error is not None:
            hit = parsed.report(error)
            what = "missing " + error.type if error.is_missing else "unexpected " + repr(parsed.text(error)[:40])
            result.findings.append(_syntax_finding(display, hit.line, hit.col, f"syntax error: {what}"))

    hits: list[tuple[Rule, Hit]] = []
    for rule in rules:
        try:
            hits.extend((rule, hit) for hit in rule.checkers[language](parsed))
        except Exception:  # a rule bug: name rule and file, exit 2, keep every other finding
            _reraise_interrupt()
            result.errors.append(f"{display}: internal error in rule {rule.code} ({rule.name}): {_last_line()}")

    findings, notices = _apply_suppressions(display, language, text, hits, plan, getattr(parsed, "tree", None))
    result.findings.extend(findings)
    result.notices.extend(notices)
    return result


_interrupted = False


def note_interrupt(*_: object) -> None:
    """SIGINT handler: remember the interrupt, so an exception a library made of it is not blamed on a rule."""
    global _interrupted
    _interrupted = True
    raise KeyboardInterrupt


def _reraise_interrupt() -> None:
    if _interrupted:
        raise KeyboardInterrupt


def _checks_suppressions(plan: Plan) -> bool:
    return UNUSED_SUPPRESSION.code in plan.enabled or (plan.require_reason and UNEXPLAINED_SUPPRESSION.code in plan.enabled)


def _has_suppression_marker(language: str, data: bytes) -> bool:
    lowered = data.lower()
    return (b"noqa" if language == "python" else b"connlint:ignore") in lowered


def _apply_suppressions(
    display: str, language: str, text: str, hits: list[tuple[Rule, Hit]], plan: Plan, tree=None
) -> tuple[list[Finding], list[Notice]]:
    """Turn hits into findings: per-file ignores, inline suppressions, then CL001/CL002 on the comments."""
    skipped = _ignored_codes(display, plan)
    marks = suppress.scan(language, text, tree=tree)  # tree: Go's parse of `text`, not parsed again
    findings: list[Finding] = []
    notices: list[Notice] = []
    used: set[tuple[int, str]] = set()  # (comment line, code) that silenced something
    seen = set()
    for rule, hit in hits:
        if rule.code in skipped:
            continue
        mark = marks.get(hit.line)
        if suppress.is_suppressed(rule.code, mark):
            used.add((mark.comment_line, rule.code))
            continue
        finding = Finding(
            display, hit.line, hit.col, hit.end_line, hit.end_col, rule.code, rule.name,
            hit.message or rule.message, hit.severity or rule.severity, hit.fix,
        )
        if finding.sort_key not in seen:
            seen.add(finding.sort_key)
            findings.append(finding)

    comments = {m.comment_line: m for m in marks.values()}
    exempt = plan.test_exempt_codes if is_test_file(display) else frozenset()
    checkable = {r.code for r in plan.rules.get(language, ())} - skipped - exempt
    for line, mark in sorted(comments.items()):
        if not mark.exact:  # maybe text in a string (the tokenizer failed there): it silences, nothing more
            continue
        for code in suppress.unknown_codes(mark, set(plan.known_codes)):
            notices.append(Notice(display, f"unknown rule code {code} in suppression comment", line))
        if mark.codes is None:
            continue
        if UNUSED_SUPPRESSION.code in plan.enabled and UNUSED_SUPPRESSION.code not in skipped:
            unused = sorted(c for c in mark.codes if c in checkable and (line, c) not in used)
            if unused:
                findings.append(_engine_finding(
                    UNUSED_SUPPRESSION, display, line, mark.column,
                    f"Suppression for {', '.join(unused)} silences nothing on this line; remove "
                    f"{'it' if len(unused) == len(mark.codes) else 'those codes'}.",
                ))
        if (plan.require_reason and UNEXPLAINED_SUPPRESSION.code in plan.enabled
                and UNEXPLAINED_SUPPRESSION.code not in skipped and not mark.reason
                and any(c.startswith("CL") for c in mark.codes)):
            findings.append(_engine_finding(UNEXPLAINED_SUPPRESSION, display, line, mark.column,
                                            UNEXPLAINED_SUPPRESSION.message))
    return findings, notices


def _engine_finding(rule: Rule, display: str, line: int, col: int, message: str) -> Finding:
    return Finding(display, line, col, line, col, rule.code, rule.name, message, rule.severity)


def lint_file(source: SourceFile, plan: Plan) -> FileResult:
    try:
        data = _read(source.path)
    except OSError as exc:
        result = FileResult()
        result.findings.append(_syntax_finding(source.display, 1, 1, f"cannot read: {exc.strerror or exc}"))
        return result
    return lint_source(source.display, source.language, data, plan)


def _ignored_codes(display: str, plan: Plan) -> frozenset[str]:
    if not plan.per_file_ignores:
        return frozenset()
    absolute = os.path.abspath(display)
    rel = os.path.relpath(absolute, plan.root).replace(os.sep, "/") if plan.root else display
    codes: set[str] = set()
    for spec, ignored in plan.per_file_ignores:
        if spec.match_file(rel) or spec.match_file(display):
            codes |= ignored
    codes.discard(SYNTAX_ERROR.code)
    return frozenset(codes)


def _last_line() -> str:
    lines = traceback.format_exc().strip().splitlines()
    origin = next((ln.strip() for ln in reversed(lines) if ln.strip().startswith("File ")), "")
    return f"{lines[-1]} ({origin})" if origin else lines[-1]
