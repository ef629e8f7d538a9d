"""`--changed-since REV`: keep only the findings on lines git says changed since REV (and in untracked files).

git is asked for output of one fixed shape whatever the repository's config says (prefixes pinned against
`diff.mnemonicPrefix` / `diff.noprefix`, no colour, no renames, no inter-hunk context, names unquoted with
`core.quotepath=off`, untracked names NUL-separated), read as bytes (names are not text in any encoding), and
is never let run a command the repository's config names: fsmonitor, external diff, textconv and every
configured clean/smudge filter are switched off, and no pager or lazy fetch runs.
"""

from __future__ import annotations

import os
import re
import subprocess

from .adoption import AdoptionError
from .findings import Report
from .fixes import PATCH_ESCAPES

HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.M)
UNESCAPES = {escaped[1:]: bytes([byte]) for byte, escaped in PATCH_ESCAPES.items()}
QUOTED_CHAR = re.compile(rb"\\([0-7]{3}|.)", re.S)
SAFE_CONFIG = ("core.quotepath=off", "core.fsmonitor=false", "core.untrackedCache=false", "color.ui=never")
SAFE_ENV = {"GIT_PAGER": "cat", "PAGER": "cat", "GIT_TERMINAL_PROMPT": "0", "GIT_NO_LAZY_FETCH": "1",
            "GIT_OPTIONAL_LOCKS": "0"}
DIFF_SHAPE = ("--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", "--no-relative", "--src-prefix=a/",
              "--dst-prefix=b/", "--unified=0", "--inter-hunk-context=0", "--ignore-submodules=all")


def _git(args: list[str], cwd: str, config: tuple[tuple[str, str], ...] = ()) -> bytes:
    """Run git; `config` is given through GIT_CONFIG_KEY_n/VALUE_n (git 2.31), so that a name holding `=`
    cannot be misread as `-c name=value` would be."""
    command = ["git", "--no-pager"]
    for setting in SAFE_CONFIG:
        command += ["-c", setting]
    env = {k: v for k, v in os.environ.items() if k != "GIT_EXTERNAL_DIFF"} | SAFE_ENV
    count = int(env.get("GIT_CONFIG_COUNT") or 0)
    for number, (key, value) in enumerate(config, start=count):
        env[f"GIT_CONFIG_KEY_{number}"], env[f"GIT_CONFIG_VALUE_{number}"] = key, value
    if config:
        env["GIT_CONFIG_COUNT"] = str(count + len(config))
    try:
        proc = subprocess.run([*command, *args], cwd=cwd, capture_output=True, check=False, env=env,
                              stdin=subprocess.DEVNULL)
    except OSError as exc:
        raise AdoptionError(f"--changed-since needs git: {exc}") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip()
        raise AdoptionError(f"git {' '.join(args[:2])}: {message.splitlines()[-1] if message else 'failed'}")
    return proc.stdout


def _no_filters(root: str) -> tuple[tuple[str, str], ...]:
    """`-c` settings that switch off every clean/smudge filter the config defines (a filter runs a command
    on each worktree file git compares)."""
    try:
        listing = _git(["config", "-z", "--get-regexp", r"^filter\..*\.(clean|smudge|process|required)$"], root)
    except AdoptionError:  # git config exits 1 when nothing matches
        return ()
    names = {os.fsdecode(entry.split(b"\n", 1)[0]).rsplit(".", 1)[0] for entry in listing.split(b"\0") if entry}
    return tuple((f"{name}.{key}", value) for name in sorted(names)
                 for key, value in (("clean", ""), ("smudge", ""), ("process", ""), ("required", "false")))


def _unquote(name: bytes) -> bytes:
    """A name as git prints it in a ---/+++ line: C-quoted ("b/a\\tb.go"), or as is plus a tab if it has a space."""
    if name.startswith(b'"') and name.endswith(b'"'):
        return QUOTED_CHAR.sub(lambda m: bytes([int(m[1], 8)]) if len(m[1]) == 3 else UNESCAPES.get(m[1], m[1]),
                               name[1:-1])
    return name[:-1] if name.endswith(b"\t") else name


def _key(path: str) -> str:
    """The same key for one file however it is named (its folder's symbolic links resolved)."""
    absolute = os.path.abspath(path)
    return os.path.join(os.path.realpath(os.path.dirname(absolute)), os.path.basename(absolute))


def changed_lines(rev: str, cwd: str) -> dict[str, set[int] | None]:
    """Lines changed since `rev` per file (see _key; None: the whole file is new, untracked)."""
    if rev.startswith("-"):
        raise AdoptionError(f"--changed-since {rev}: not a git revision")
    root = os.fsdecode(_git(["rev-parse", "--show-toplevel"], cwd).rstrip(b"\n"))
    commit = _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], cwd).strip().decode("ascii")
    changed: dict[str, set[int] | None] = {}
    diff = _git(["diff", *DIFF_SHAPE, commit, "--"], root, _no_filters(root))
    for chunk in re.split(rb"^diff --git ", diff, flags=re.M)[1:]:
        header = chunk.split(b"\n@@ ", 1)[0]
        target = re.search(rb"^\+\+\+ (.*)$", header, re.M)
        name = _unquote(target.group(1)) if target else b""
        if not name.startswith(b"b/"):  # deleted (/dev/null), binary or mode-only
            continue
        lines = changed.setdefault(_key(os.path.join(root, os.fsdecode(name[2:]))), set())
        for match in HUNK.finditer(chunk):
            start, count = int(match.group(1)), int(match.group(2) or b"1")
            lines.update(range(start, start + count))
    untracked = _git(["ls-files", "-z", "--others", "--exclude-standard"], root)
    for rel in untracked.split(b"\0"):
        if rel:
            changed[_key(os.path.join(root, os.fsdecode(rel)))] = None
    return changed


def keep_changed_since(report: Report, rev: str) -> None:
    changed = changed_lines(rev, os.getcwd())
    kept = []
    for finding in report.findings:
        key = _key(finding.path)
        if key not in changed:
            continue
        lines = changed[key]
        if lines is None or finding.code == "CL000" or lines & set(range(finding.line, finding.end_line + 1)):
            kept.append(finding)
    report.findings = kept
