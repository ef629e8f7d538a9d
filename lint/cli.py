"""The `connlint` command. Heavy modules (libcst, tree-sitter) load only when linting."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import NoReturn

import click

from . import __version__
from .reporters import COLOR_FORMATS, FORMATS

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


class DefaultGroup(click.Group):
    """`connlint PATH...` means `connlint check PATH...`; sub-commands are named first."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")):
            args = ["check", *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="connlint", message="%(prog)s %(version)s")
def main() -> None:
    """Find HTTP connection-closing anti-patterns in Go and Python code.

    `connlint [OPTIONS] [PATHS]...` lints (the `check` command); `connlint rule CODE` explains a rule;
    `connlint rules` lists them.
    """


def _fail(message: str) -> NoReturn:
    click.echo(f"connlint: error: {message}", err=True)
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
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (pyproject.toml or connlint.toml).")
@click.option("--isolated", is_flag=True, help="Ignore every config file.")
@click.option("--no-respect-gitignore", is_flag=True, help="Lint files that .gitignore files exclude.")
@click.option("--force-exclude", is_flag=True,
              help="Apply excludes to paths named on the command line too (for pre-commit hooks).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when problems are found.")
@click.option("--explain", "explain", metavar="CODE", help="Print a rule's documentation and exit.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the usable cores; small runs stay in one process).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the results cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Where to keep the cache (default: .connlint_cache beside the config, else here).")
@click.option("--fix", is_flag=True, help="Apply safe fixes to the files (atomically).")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff: also fixes that add behaviour.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option("--show-fixes", is_flag=True, help="With --fix: list each fixed finding.")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False),
              help="Report only findings not recorded in this baseline file.")
@click.option("--write-baseline", "write_baseline_path", type=click.Path(dir_okay=False),
              help="Record every current finding in this baseline file, then exit 0.")
@click.option("--add-noqa", is_flag=True, help="Insert a suppression comment on every current finding.")
@click.option("--changed-since", metavar="REV", help="Report only findings on lines changed since a git revision.")
@click.option("--stdin-filename", metavar="PATH", help="Lint standard input as if it were this file.")
@click.option("--no-prefilter", is_flag=True, hidden=True, help="Parse every file (for testing the prefilter).")
def check(paths, fmt, output, statistics, select, extend_select, ignore, exclude, config_path, isolated,
          no_respect_gitignore, force_exclude, exit_zero, explain, jobs, no_cache, cache_dir, fix, unsafe_fixes, diff,
          show_fixes, baseline_path, write_baseline_path, add_noqa, changed_since, stdin_filename,
          no_prefilter) -> None:
    """Lint PATHS (files or folders; default: the current folder)."""
    if explain:
        _explain(explain)
        return
    from .config import ConfigError, find_config_file, load, with_overrides
    from .registry import all_rules

    known = tuple(all_rules())
    try:
        if isolated and config_path:
            raise ConfigError("--isolated and --config cannot be used together")
        if config_path:
            cfg = load(Path(config_path), known, explicit=True)
        elif isolated:
            cfg = load(None, known)
        else:
            cfg = load(find_config_file(Path.cwd()), known)
        cfg = with_overrides(cfg, known, select=select, extend_select=extend_select, ignore=ignore,
                             exclude=exclude, no_respect_gitignore=no_respect_gitignore, force_exclude=force_exclude)
    except ConfigError as exc:
        _fail(str(exc))

    import signal

    from .api import note_interrupt, run
    from .reporters import render

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, note_interrupt)

    modes = [name for name, on in (("--fix", fix), ("--diff", diff), ("--add-noqa", add_noqa),
                                    ("--write-baseline", write_baseline_path)) if on]
    if len(modes) > 1:
        _fail(f"{' and '.join(modes)} cannot be used together")
    if stdin_filename and (fix or add_noqa):
        _fail("--stdin-filename cannot be combined with --fix or --add-noqa (use --diff)")
    baseline_path = baseline_path or cfg.baseline
    sources = None
    try:
        from .cache import CACHE_DIR_NAME

        cache_path = None if no_cache else Path(cache_dir) if cache_dir else Path(cfg.root) / CACHE_DIR_NAME
        fix_mode = "apply" if fix else "diff" if diff else None
        if stdin_filename:
            from .api import run_stdin

            from .discovery import display_path

            stdin_data = sys.stdin.buffer.read()
            sources = {display_path(stdin_filename, os.getcwd()): stdin_data.decode("utf-8", "replace")}
            report = run_stdin(stdin_filename, stdin_data, cfg, fix=fix_mode, unsafe_fixes=unsafe_fixes)
        else:
            progress = _Progress() if sys.stderr.isatty() and not os.environ.get("CI") else None
            try:
                report = run(list(paths) or ["."], cfg, prefilter=not no_prefilter, jobs=jobs,
                             cache_dir=cache_path, fix=fix_mode, unsafe_fixes=unsafe_fixes, progress=progress)
            finally:
                if progress is not None:
                    progress.clear()
    except FileNotFoundError as exc:
        _fail(f"{exc.args[0]}: no such file or folder")

    from . import adoption

    try:
        if changed_since:
            adoption.keep_changed_since(report, changed_since)
        if write_baseline_path:
            count = adoption.write_baseline(report, Path(write_baseline_path))
            click.echo(f"connlint: wrote {count} finding(s) to {write_baseline_path}", err=True)
            sys.exit(EXIT_CLEAN)
        if baseline_path:
            adoption.apply_baseline(report, Path(baseline_path))
        if add_noqa:
            added = adoption.add_noqa(report)
            click.echo(f"connlint: added {added} suppression comment(s)", err=True)
            sys.exit(EXIT_ERROR if report.errors else EXIT_CLEAN)
    except adoption.AdoptionError as exc:
        _fail(str(exc))

    if diff:
        for notice in report.notices:
            click.echo(f"connlint: {notice.level}: {notice.path}: {notice.message}", err=True)
        click.echo("".join(f.diff() for f in report.fixes), nl=False)
        fixed = sum(len(f.applied) for f in report.fixes)
        click.echo(f"connlint: {fixed} fix(es) would be applied to {len(report.fixes)} file(s)", err=True)
        sys.exit(EXIT_ERROR if report.errors else EXIT_FINDINGS if report.fixes else EXIT_CLEAN)
    if fix:
        fixed = [finding for outcome in report.fixes for finding in outcome.applied]
        if show_fixes:
            for finding in sorted(fixed, key=lambda f: f.sort_key):
                click.echo(f"fixed: {finding.path}:{finding.line}:{finding.col}: {finding.code} {finding.fix.title}",
                           err=True)
        click.echo(f"connlint: fixed {len(fixed)} problem(s) in {len(report.fixes)} file(s)", err=True)

    for notice in report.notices:
        where = f"{notice.path}:{notice.line}" if notice.line else notice.path
        click.echo(f"connlint: {notice.level}: {where}: {notice.message}", err=True)
    for error in report.errors:
        click.echo(f"connlint: error: {error}", err=True)

    fmt = fmt or "text"
    color = _use_color(fmt, output)
    if statistics:
        from .reporters import statistics as stats

        text = (stats.render_json if fmt in ("json", "json-lines") else stats.render)(report)
    else:
        text = render(fmt, report, color=color, **({"sources": sources} if sources else {}))
    if output:
        try:
            from .fixes import write_atomic

            write_atomic(output, text.encode("utf-8"))
        except OSError as exc:
            _fail(f"{output}: cannot write: {exc.strerror or exc}")
    else:
        click.echo(text, nl=False, color=color or None)

    if report.errors:
        sys.exit(EXIT_ERROR)
    if report.findings and not exit_zero:
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_CLEAN)


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
def server_command() -> None:
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
        click.echo(f"connlint: error: {exc.format_message()}", err=True)
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
