"""The `connlint` command. Heavy modules (libcst, tree-sitter) load only when linting."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from . import __version__

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


def _fail(message: str) -> "NoReturn":  # type: ignore[name-defined]
    click.echo(f"connlint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _write_atomic(path: str, text: str) -> None:
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "--output-format", "fmt", type=click.Choice(["text", "json", "sarif"]), default=None,
              help="Output format (default: text).")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), help="Write the report to FILE.")
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (replaces the config's).")
@click.option("--extend-select", multiple=True, help="Rule codes or prefixes to enable in addition.")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--exclude", multiple=True, help="Gitignore-style pattern of paths to skip (repeatable).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (pyproject.toml or connlint.toml).")
@click.option("--isolated", is_flag=True, help="Ignore every config file.")
@click.option("--no-respect-gitignore", is_flag=True, help="Lint files that .gitignore files exclude.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when problems are found.")
@click.option("--explain", "explain", metavar="CODE", help="Print a rule's documentation and exit.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the usable cores; small runs stay in one process).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the results cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Where to keep the cache (default: .connlint_cache beside the config, else here).")
@click.option("--no-prefilter", is_flag=True, hidden=True, help="Parse every file (for testing the prefilter).")
def check(paths, fmt, output, select, extend_select, ignore, exclude, config_path, isolated,
          no_respect_gitignore, exit_zero, explain, jobs, no_cache, cache_dir, no_prefilter) -> None:
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
                             exclude=exclude, no_respect_gitignore=no_respect_gitignore)
    except ConfigError as exc:
        _fail(str(exc))

    from .api import run
    from .reporters import render

    try:
        from .cache import CACHE_DIR_NAME

        cache_path = None if no_cache else Path(cache_dir) if cache_dir else Path(cfg.root) / CACHE_DIR_NAME
        report = run(list(paths) or ["."], cfg, prefilter=not no_prefilter, jobs=jobs, cache_dir=cache_path)
    except FileNotFoundError as exc:
        _fail(f"{exc.args[0]}: no such file or folder")

    for notice in report.notices:
        where = f"{notice.path}:{notice.line}" if notice.line else notice.path
        click.echo(f"connlint: {notice.level}: {where}: {notice.message}", err=True)
    for error in report.errors:
        click.echo(f"connlint: error: {error}", err=True)

    text = render(fmt or "text", report)
    if output:
        try:
            _write_atomic(output, text)
        except OSError as exc:
            _fail(f"{output}: cannot write: {exc.strerror or exc}")
    else:
        click.echo(text, nl=False)

    if report.errors:
        sys.exit(EXIT_ERROR)
    if report.findings and not exit_zero:
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_CLEAN)


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


def rules_table(rules) -> str:
    lines = ["| Code | Name | Severity | Languages | What it finds |", "|---|---|---|---|---|"]
    for r in rules:
        summary = r.summary.replace("|", "\\|")
        langs = ", ".join(r.languages) or "engine"
        lines.append(f'| <a id="{r.code.lower()}"></a>{r.code} | `{r.name}` | {r.severity.value} | {langs} | {summary} |')
    return "\n".join(lines) + "\n"


def entry() -> None:
    """Console-script entry: Ctrl-C exits 130 with no partial report; a closed pipe exits quietly."""
    try:
        main.main(standalone_mode=False)
    except click.exceptions.Abort:  # click's form of KeyboardInterrupt
        click.echo("connlint: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:  # bad arguments: one line, exit 2
        click.echo(f"connlint: error: {exc.format_message()}", err=True)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        click.echo("connlint: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        # Python flushes stdout at exit; point it at devnull so that flush cannot fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_FINDINGS)


if __name__ == "__main__":  # pragma: no cover
    entry()
