"""The `connlint` command. Heavy modules (libcst, tree-sitter) load only when linting."""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, fields
from pathlib import Path
from typing import NoReturn

import click

from . import __version__
from .config import SEVERITIES
from .reporters import COLOR_FORMATS, FORMATS
from .reporters.common import printable

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


class DefaultGroup(click.Group):
    """`connlint PATH...` means `connlint check PATH...`; sub-commands are named first. A first argument
    that names both a sub-command and an existing path is refused, not guessed."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] in self.commands and args[0] != "check" and os.path.lexists(args[0]):
            if not _names_the_command(args):
                name = args[0]
                command = f"connlint {name} --stdio" if name == "server" else f"connlint {name} --"
                raise click.UsageError(f"`{name}` is both a connlint command and a path here: "
                                       f"`connlint check {name}` lints the path, `{command}` runs the command")
        elif not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")):
            args = ["check", *args]
        return super().parse_args(ctx, args)


def _names_the_command(args: list[str]) -> bool:
    """`connlint server --stdio`, `connlint rule CODE` (CODE not a path), or the command with `--` after it."""
    rest = args[1:]
    if "--" in rest or "--help" in rest or "-h" in rest:
        return True
    if args[0] == "server":
        return "--stdio" in rest
    if args[0] == "rule":
        return bool(rest) and not rest[0].startswith("-") and not os.path.lexists(rest[0])
    return False


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="connlint", message="%(prog)s %(version)s")
def main() -> None:
    """Find HTTP connection-closing anti-patterns in Go and Python code.

    `connlint [OPTIONS] [PATHS]...` lints (the `check` command); `connlint rule CODE` explains a rule;
    `connlint rules` lists them.
    """


def _say(line: str) -> None:
    """One line to standard error, with any control character in it escaped (a file name cannot send
    escape sequences to the terminal)."""
    click.echo(printable(line), err=True)


def _fail(message: str) -> NoReturn:
    _say(f"connlint: error: {message}")
    sys.exit(EXIT_ERROR)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "--output-format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format (default: text, also called concise).")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), help="Write the report to FILE.")
@click.option("--statistics", is_flag=True, help="Print how many problems each rule found instead of the problems.")
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (replaces the config's).")
@click.option("--extend-select", multiple=True, help="Rule codes or prefixes to enable in addition.")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--exclude", multiple=True, help="Gitignore-style pattern of paths to skip (repeatable).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Config file (pyproject.toml or connlint.toml) for every file, instead of the nearest one.")
@click.option("--isolated", is_flag=True, help="Ignore every config file.")
@click.option("--no-respect-gitignore", is_flag=True, help="Lint files that .gitignore files exclude.")
@click.option("--force-exclude", is_flag=True,
              help="Apply excludes to paths named on the command line too (for pre-commit hooks).")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default=None,
              help="The least severe finding that makes the run exit 1 (default: warning; notes never fail).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when problems are found.")
@click.option("-q", "--quiet", is_flag=True, help="Print the findings only: no summary, notices or hints.")
@click.option("--explain", "explain", metavar="CODE", help="Print a rule's documentation and exit.")
@click.option("--show-settings", is_flag=True, help="Print the settings that apply to the first PATH, and which file they come from.")
@click.option("--show-files", is_flag=True, help="Print the files that would be linted, and exit.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the usable cores; small runs stay in one process).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the results cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Where to keep the cache (default: .connlint_cache beside the config, else here).")
@click.option("--fix", is_flag=True, help="Apply safe fixes to the files (atomically).")
@click.option("--fix-only", is_flag=True, help="Apply safe fixes and report nothing else (exit 0 unless an error).")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix, --fix-only or --diff: also fixes that add behaviour.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option("--show-fixes", is_flag=True, help="With --fix: list each fixed finding.")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False),
              help="Report only findings not recorded in this baseline file.")
@click.option("--write-baseline", "write_baseline_path", type=click.Path(dir_okay=False),
              help="Record every current finding in this baseline file, then exit 0.")
@click.option("--add-noqa", is_flag=True, help="Insert a suppression comment on every current finding.")
@click.option("--changed-since", metavar="REV", help="Report only findings on lines changed since a git revision.")
@click.option("--stdin-filename", metavar="PATH",
              help="Lint standard input as if it were this file (also: `-` as the path); with --fix, print the fixed source.")
@click.option("--no-prefilter", is_flag=True, hidden=True, help="Parse every file (for testing the prefilter).")
def check(paths, **options) -> None:
    """Lint PATHS (files or folders; default: the current folder; `-`: standard input)."""
    opts = _Options(paths=tuple(paths), **options)
    if opts.explain:
        _explain(opts.explain)
        return
    _refuse_ignored_options(opts)
    resolver = _resolver(opts)
    if opts.show_settings:
        _show_settings(opts, resolver)
    if opts.show_files:
        _show_files(opts, resolver)
    if opts.stdin_filename or opts.paths == ("-",):
        _check_stdin(opts, resolver)
    _check_paths(opts, resolver)


@dataclass(frozen=True)
class _Options:
    paths: tuple[str, ...]
    fmt: str | None
    output: str | None
    statistics: bool
    select: tuple[str, ...]
    extend_select: tuple[str, ...]
    ignore: tuple[str, ...]
    exclude: tuple[str, ...]
    config_path: str | None
    isolated: bool
    no_respect_gitignore: bool
    force_exclude: bool
    fail_on: str | None
    exit_zero: bool
    quiet: bool
    explain: str | None
    show_settings: bool
    show_files: bool
    jobs: int | None
    no_cache: bool
    cache_dir: str | None
    fix: bool
    fix_only: bool
    unsafe_fixes: bool
    diff: bool
    show_fixes: bool
    baseline_path: str | None
    write_baseline_path: str | None
    add_noqa: bool
    changed_since: str | None
    stdin_filename: str | None
    no_prefilter: bool

    @property
    def fixing(self) -> bool:
        return self.fix or self.fix_only


def _refuse_ignored_options(opts: _Options) -> None:
    """An option that would be silently ignored is a one-line error instead."""
    modes = [name for name, on in (("--fix", opts.fix), ("--fix-only", opts.fix_only), ("--diff", opts.diff),
                                    ("--add-noqa", opts.add_noqa), ("--write-baseline", opts.write_baseline_path),
                                    ("--show-settings", opts.show_settings), ("--show-files", opts.show_files)) if on]
    if len(modes) > 1:
        _fail(f"{' and '.join(modes)} cannot be used together")
    mode = modes[0] if modes else None
    if opts.unsafe_fixes and not (opts.fixing or opts.diff):
        _fail("--unsafe-fixes only applies with --fix, --fix-only or --diff")
    if opts.show_fixes and not opts.fixing:
        _fail("--show-fixes only applies with --fix or --fix-only")
    if opts.statistics and opts.fmt not in (None, "text", "concise", "json", "json-lines"):
        _fail(f"--statistics prints text or JSON, not --format {opts.fmt}")
    reporting = ("--statistics", opts.statistics), ("--format", opts.fmt), ("-o/--output", opts.output)
    if mode in ("--diff", "--fix-only", "--add-noqa", "--write-baseline", "--show-settings", "--show-files"):
        for name, given in reporting:
            if given:
                _fail(f"{name} does not apply with {mode}, which prints no report")
    if mode in ("--show-settings", "--show-files", "--write-baseline") and opts.baseline_path:
        _fail(f"--baseline does not apply with {mode}")
    stdin = opts.stdin_filename or opts.paths == ("-",)
    if stdin and mode in ("--add-noqa", "--write-baseline", "--show-files"):
        _fail(f"standard input cannot be combined with {mode}")
    if stdin and opts.changed_since:
        _fail("standard input cannot be combined with --changed-since")
    if opts.stdin_filename and any(p != "-" for p in opts.paths):
        _fail("--stdin-filename lints standard input: give no other PATHS (or `-`)")
    if "-" in opts.paths and opts.paths != ("-",):
        _fail("`-` (standard input) cannot be combined with other PATHS")


def _resolver(opts: _Options):
    from .config import ConfigError, Resolver
    from .registry import all_rules

    overrides = dict(select=opts.select, extend_select=opts.extend_select, ignore=opts.ignore, exclude=opts.exclude,
                     no_respect_gitignore=opts.no_respect_gitignore, force_exclude=opts.force_exclude,
                     fail_on=opts.fail_on)
    try:
        return Resolver(tuple(all_rules()), config_file=Path(opts.config_path) if opts.config_path else None,
                        isolated=opts.isolated, overrides=overrides)
    except ConfigError as exc:
        _fail(str(exc))


def _show_settings(opts: _Options, resolver) -> NoReturn:
    from .config import ConfigError
    from .plan import make_plan

    target = opts.stdin_filename or next((p for p in opts.paths if p != "-"), ".")
    try:
        config = resolver.for_path(target)
    except ConfigError as exc:
        _fail(str(exc))
    plan = make_plan(config)
    source = config.source or "none (the defaults)"
    click.echo(f"Settings for: {target}")
    click.echo(f"Config file: {source}")
    if resolver.fixed is not None:
        click.echo("  (" + ("--config" if config.source else "--isolated") + ": one configuration for every file)")
    click.echo(f"Root: {config.root}")
    for item in fields(config):
        if item.name not in ("root", "source"):
            click.echo(f"{item.name.replace('_', '-')} = {_setting(getattr(config, item.name))}")
    for path, why in dict.fromkeys(resolver.skipped):
        click.echo(printable(f"Passed over: {path} ({why})"))
    click.echo(f"enabled rules = {', '.join(sorted(plan.enabled))}")
    click.echo(f"not reported in test files = {', '.join(sorted(plan.test_exempt_codes)) or '-'}")
    sys.exit(EXIT_CLEAN)


def _setting(value) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_setting(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, Path)):
        return f'"{value}"'
    return "-" if value is None else str(value)


def _show_files(opts: _Options, resolver) -> NoReturn:
    from .config import ConfigError
    from .discovery import discover

    try:
        files, problems = discover(list(opts.paths) or ["."], resolver)
    except FileNotFoundError as exc:
        _fail(f"{exc.args[0]}: no such file or folder")
    except ConfigError as exc:
        _fail(str(exc))
    for source in files:
        click.echo(printable(source.display))
    for problem in problems:
        _say(f"connlint: {'error' if problem.is_error else 'warning'}: {problem.display}: {problem.reason}")
    sys.exit(EXIT_CLEAN)


def _check_stdin(opts: _Options, resolver) -> NoReturn:
    """Standard input linted as --stdin-filename (or as Python, for a bare `-`); with --fix or
    --fix-only the fixed source goes to standard output and the findings left to standard error."""
    from .api import run_stdin
    from .discovery import display_path

    filename = opts.stdin_filename or "-"
    data = sys.stdin.buffer.read()
    fix = "apply" if opts.fixing else "diff" if opts.diff else None
    report = run_stdin(filename, data, resolver, fix=fix, unsafe_fixes=opts.unsafe_fixes,
                       language=None if opts.stdin_filename else "python", prefilter=not opts.no_prefilter)
    sources = {display_path(filename, os.getcwd()): data.decode("utf-8", "replace")}
    if opts.fixing:
        fixed = report.fixes[0].fixed if report.fixes else data
        _emit_notices(report, opts)
        sys.stdout.buffer.write(fixed)
        sys.stdout.flush()
        if not opts.fix_only and report.findings and not opts.quiet:
            click.echo(_render("text", report, opts, False, sources), nl=False, err=True)
        sys.exit(_exit_code(report, opts, resolver))
    _finish(report, opts, resolver, sources)


def _check_paths(opts: _Options, resolver) -> NoReturn:
    import signal

    from .api import note_interrupt, run
    from .cache import CACHE_DIR_NAME
    from .config import ConfigError

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, note_interrupt)
    root = resolver.default.root
    cache_path = None if opts.no_cache else Path(opts.cache_dir) if opts.cache_dir else Path(root) / CACHE_DIR_NAME
    fix_mode = "apply" if opts.fixing else "diff" if opts.diff else None
    progress = _Progress() if sys.stderr.isatty() and not os.environ.get("CI") else None
    try:
        report = run(list(opts.paths) or ["."], resolver, prefilter=not opts.no_prefilter, jobs=opts.jobs,
                     cache_dir=cache_path, fix=fix_mode, unsafe_fixes=opts.unsafe_fixes, progress=progress)
    except FileNotFoundError as exc:
        _fail(f"{exc.args[0]}: no such file or folder")
    except ConfigError as exc:
        _fail(str(exc))
    finally:
        if progress is not None:
            progress.clear()

    from . import adoption

    baseline_path = opts.baseline_path or resolver.default.baseline
    try:
        if opts.changed_since:
            from .changed import keep_changed_since

            keep_changed_since(report, opts.changed_since)
        if opts.write_baseline_path:
            count = adoption.write_baseline(report, Path(opts.write_baseline_path))
            _say(f"connlint: wrote {count} finding(s) to {opts.write_baseline_path}")
            sys.exit(EXIT_CLEAN)
        if baseline_path:
            adoption.apply_baseline(report, Path(baseline_path))
        if opts.add_noqa:
            added = adoption.add_noqa(report)
            _say(f"connlint: added {added} suppression comment(s)")
            sys.exit(EXIT_ERROR if report.errors else EXIT_CLEAN)
    except adoption.AdoptionError as exc:
        _fail(str(exc))

    if opts.diff:
        _emit_notices(report, opts)
        click.echo(b"".join(f.diff() for f in report.fixes), nl=False)  # bytes: each file's own encoding
        fixed = sum(len(f.applied) for f in report.fixes)
        if not opts.quiet:
            _say(f"connlint: {fixed} fix(es) would be applied to {len(report.fixes)} file(s)")
        pending = report.fixes and not opts.exit_zero
        sys.exit(EXIT_ERROR if report.errors else EXIT_FINDINGS if pending else EXIT_CLEAN)
    if opts.fixing:
        fixed = [finding for outcome in report.fixes for finding in outcome.applied]
        if opts.show_fixes:
            for finding in sorted(fixed, key=lambda f: f.sort_key):
                _say(f"fixed: {finding.path}:{finding.line}:{finding.col}: {finding.code} {finding.fix.title}")
        if not opts.quiet:
            _say(f"connlint: fixed {len(fixed)} problem(s) in {len(report.fixes)} file(s)")
        if opts.fix_only:
            _emit_notices(report, opts)
            sys.exit(EXIT_ERROR if report.errors else EXIT_CLEAN)
    _finish(report, opts, resolver, None)


def _emit_notices(report, opts: _Options) -> None:
    for notice in report.notices:
        if opts.quiet and notice.level != "error":
            continue
        where = f"{notice.path}:{notice.line}" if notice.line else notice.path
        _say(f"connlint: {notice.level}: {where}: {notice.message}")
    for error in report.errors:
        _say(f"connlint: error: {error}")


def _render(fmt: str, report, opts: _Options, color: bool, sources) -> str:
    from .reporters import render

    if fmt in ("text", "concise") and opts.quiet:
        from .reporters.text import header

        return "".join(header(f, color, opts.unsafe_fixes) + "\n" for f in report.findings)
    return render(fmt, report, color=color, unsafe_fixes=opts.unsafe_fixes, **({"sources": sources} if sources else {}))


def _finish(report, opts: _Options, resolver, sources) -> NoReturn:
    """Notices to stderr, the report to stdout or -o, and the exit code."""
    _emit_notices(report, opts)
    fmt = opts.fmt or "text"
    color = _use_color(fmt, opts.output)
    if opts.statistics:
        from .reporters import statistics as stats

        text = (stats.render_json if fmt in ("json", "json-lines") else stats.render)(report)
    else:
        text = _render(fmt, report, opts, color, sources)
    if opts.output:
        try:
            from .writer import write_file

            write_file(opts.output, text.encode("utf-8"))
        except OSError as exc:
            _fail(f"{opts.output}: cannot write: {exc.strerror or exc}")
    else:  # click strips what looks like colour from uncoloured text: a real name in a GitHub annotation
        click.echo(text, nl=False, color=color or (None if fmt in COLOR_FORMATS else True))
    sys.exit(_exit_code(report, opts, resolver))


def _exit_code(report, opts: _Options, resolver) -> int:
    """2 for an internal error; 1 when a finding is at least as severe as its file's `fail-on`."""
    if report.errors:
        return EXIT_ERROR
    if opts.exit_zero:
        return EXIT_CLEAN
    return EXIT_FINDINGS if any(fails(f, resolver) for f in report.findings) else EXIT_CLEAN


def fails(finding, resolver) -> bool:
    """Is `finding` at least as severe as the fail-on level of its file's config?"""
    threshold = resolver.for_path(finding.path).fail_on
    return SEVERITIES.index(finding.severity.value) <= SEVERITIES.index(threshold)


def _use_color(fmt: str, output: str | None) -> bool:
    """Colour the formats for people on a terminal only; NO_COLOR, then FORCE_COLOR (any non-empty
    value), override the terminal test; a report written to a file is never coloured."""
    if output or fmt not in COLOR_FORMATS:
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # replaced or closed stdout
        return False


class _Progress:
    """`connlint: 1,234/5,678 files` on a terminal's stderr, redrawn at most ten times a second."""

    def __init__(self) -> None:
        self.shown = False
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        import time

        now = time.monotonic()
        if total < 200 or (now - self.last < 0.1 and done < total):
            return
        self.last = now
        click.echo(f"\rconnlint: {done:,}/{total:,} files", err=True, nl=False)
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            click.echo("\r\x1b[K", err=True, nl=False)


def _explain(code: str) -> None:
    from .registry import get

    rule = get(code)
    if rule is None:
        _fail(f"unknown rule {code!r} (see `connlint rules`)")
    langs = ", ".join(rule.languages) or "engine"
    click.echo(f"# {rule.code} {rule.name}\n\nSeverity: {rule.severity.value}. Languages: {langs}.\n")
    click.echo(rule.markdown)


@main.command("rule")
@click.argument("code")
def rule_command(code: str) -> None:
    """Print a rule's documentation (by code or name)."""
    _explain(code)


@main.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text")
def rules_command(fmt: str) -> None:
    """List every rule (markdown: the README's rules table)."""
    import json

    from .registry import all_rules

    rules = list(all_rules().values())
    if fmt == "json":
        click.echo(json.dumps([
            {"code": r.code, "name": r.name, "severity": r.severity.value, "languages": list(r.languages),
             "summary": r.summary}
            for r in rules
        ], indent=2))
        return
    if fmt == "markdown":
        click.echo(rules_table(rules), nl=False)
        return
    for r in rules:
        click.echo(f"{r.code}  {r.name:<36} {r.severity.value:<8} {','.join(r.languages) or '-'}")


@main.command("sockets")
@click.option("--port", type=click.IntRange(0, 65535), help="Only sockets with this local or remote port.")
@click.option("--pid", type=click.IntRange(min=1), help="Only this process's sockets (and TIME_WAIT on its ports).")
@click.option("--watch", type=click.FloatRange(min=0.1, max=3600), metavar="SECONDS",
              help="Refresh every SECONDS until Ctrl-C (or --count).")
@click.option("--count", type=click.IntRange(min=1), metavar="N",
              help="With --watch: stop after N refreshes.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--max-time-wait", type=click.IntRange(min=0), metavar="N",
              help="Exit 1 when more than N sockets are in TIME_WAIT.")
@click.option("--top", type=click.IntRange(min=1), default=5, metavar="N",
              help="Endpoints listed per state (default 5).")
@click.option("--proc-root", default="/proc", hidden=True, type=click.Path(file_okay=False))
def sockets_command(port, pid, watch, count, fmt, max_time_wait, top, proc_root) -> None:
    """Count TCP sockets per state (Linux) and point TIME_WAIT and CLOSE_WAIT at the rules to run."""
    from .sockets import run

    sys.exit(run(proc_root, port=port, pid=pid, watch=watch, count=count, fmt=fmt,
                 max_time_wait=max_time_wait, top=top))


@main.command("server")
@click.option("--stdio", is_flag=True, help="Talk over standard input and output (the default and only transport).")
def server_command(stdio: bool) -> None:
    """Run the Language Server over standard input and output (for editors; needs `connlint[lsp]`)."""
    try:
        from .server import serve
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in ("pygls", "lsprotocol"):
            raise
        _fail("`connlint server` needs pygls (connlint's `lsp` extra): pip install 'pygls>=1.3'")
    serve()


def rules_table(rules) -> str:
    lines = ["| Code | Name | Severity | Languages | What it finds |", "|---|---|---|---|---|"]
    for r in rules:
        summary = r.summary.replace("|", "\\|")
        langs = ", ".join(r.languages) or "engine"
        lines.append(f'| <a id="{r.code.lower()}"></a>{r.code} | `{r.name}` | {r.severity.value} | {langs} | {summary} |')
    return "\n".join(lines) + "\n"


def _exit_interrupted() -> NoReturn:
    click.echo("connlint: interrupted", err=True)
    # CPython 3.11 remembers a KeyboardInterrupt that ended a string exec (dataclasses build their methods
    # with one, so Ctrl-C during a lazy import of libcst counts) even once caught, and under `python -m`
    # turns this exit into death by SIGINT (status -2, not 130). A string exec clears that flag.
    exec("None")
    sys.exit(EXIT_INTERRUPTED)


def entry() -> None:
    """Console-script entry: Ctrl-C exits 130 with no partial report; a closed pipe exits quietly."""
    try:
        main.main(standalone_mode=False)
    except click.exceptions.Abort:  # click's form of KeyboardInterrupt
        _exit_interrupted()
    except click.ClickException as exc:  # bad arguments: one line, exit 2
        _say(f"connlint: error: {exc.format_message()}")
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        _exit_interrupted()
    except BrokenPipeError:
        # Python flushes stdout at exit; point it at devnull so that flush cannot fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_FINDINGS)


if __name__ == "__main__":  # pragma: no cover
    entry()
