#!/usr/bin/env python3
"""Benchmark connlint against semgrep on the same corpus and the same four rules.

    bench/corpus.sh /tmp/connlint-corpus            # once: assemble the corpus
    python3 bench/run.py /tmp/connlint-corpus        # measure (about 30 minutes on 2 cores, mostly semgrep)

connlint is taken from $CONNLINT (else `connlint` on PATH), semgrep from $SEMGREP (else PATH; without it
only connlint is measured).  The script

1. lists the files connlint lints in the corpus (its own discovery: .gitignore, vendor/, testdata/ ...
   skipped) and drops the few larger than 1 MB (semgrep's default --max-target-bytes), then copies them
   into WORK/x1, and twice and four times (real copies, no links) into WORK/x2 and WORK/x4, each with an
   empty `.semgrepignore` so that semgrep scans the same files (its built-in ignores skip tests/);
2. snapshots connlint's code (lint/, rules/) into WORK/snapshot and runs it with PYTHONPATH pointing
   there, so that edits to the working tree during the run change neither its behaviour nor the cache key;
3. runs, alternating, semgrep (`semgrep scan -j 2 --metrics=off --config bench/semgrep/ --json
   --disable-version-check`, offline: local rules only, metrics and version check off) and connlint
   (`--select CL101,CL201,CL202,CL301`, cold: `--no-cache` and a fresh `--cache-dir`; warm: a populated
   `--cache-dir`), REPS times each; then, EXTRA_REPS times each: prefilter off, `--jobs 1`, every rule,
   the 2x and 4x corpus; and `connlint --version` / `--help` 20 times;
4. reports median wall time (min-max), CPU time, files, MB/s, peak RSS (largest process, from wait4)
   and peak memory of the whole process tree (sum of PSS, sampled every 0.1 s), load average, findings
   per rule, and compares the findings: every semgrep finding either matched by a connlint finding of
   the same rule in the same file on a line the semgrep match covers, or listed for review.

Results: WORK/results.json, WORK/results.md (tables) and WORK/findings-diff.txt.
Options: --work DIR (default /tmp/connlint-bench), --reps N (5), --extra-reps N (3), --scales 1,2,4,
--no-semgrep, --no-snapshot, --quick (reps 1, scales 1).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RULES = ("CL101", "CL201", "CL202", "CL301")
SELECT = ",".join(RULES)
MAX_BYTES = 1_000_000  # semgrep's default --max-target-bytes
SEMGREPIGNORE = (
    "# Empty on purpose: replaces semgrep's built-in ignore list (tests/, *_test.go, vendor/ ...) so that\n"
    "# semgrep scans exactly the files connlint lints (the tree holds only those).\n"
)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def loadavg() -> tuple[float, float, float]:
    with open("/proc/loadavg") as fh:
        one, five, fifteen = fh.read().split()[:3]
    return float(one), float(five), float(fifteen)


def cpu_busy_seconds() -> float:
    """CPU seconds spent by every process on the machine since boot (all cores, /proc/stat)."""
    with open("/proc/stat") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


QUIET = {"max_wait": 0.0, "threshold": 0.15}


def wait_quiet() -> float:
    """Wait (up to QUIET['max_wait'] s) until other processes use less than QUIET['threshold'] cores over 2 s."""
    deadline = time.monotonic() + QUIET["max_wait"]
    while True:
        before = cpu_busy_seconds()
        time.sleep(2)
        others = (cpu_busy_seconds() - before) / 2
        if others < QUIET["threshold"] or time.monotonic() >= deadline:
            return others
        log(f"waiting for a quiet machine: other processes use {others:.2f} cores")


# ---- tools ---------------------------------------------------------------------------------------


def find_tool(env: str, name: str) -> str | None:
    path = os.environ.get(env) or shutil.which(name)
    if path is None and name == "connlint":
        candidate = Path(sys.executable).with_name("connlint")
        path = str(candidate) if candidate.exists() else None
    return path


def interpreter_of(script: str) -> str:
    """The Python a console script runs with (its #! line)."""
    try:
        with open(script, "rb") as fh:
            first = fh.readline().decode().strip()
    except OSError:
        return sys.executable
    if first.startswith("#!") and "python" in first:
        return first[2:].split()[0]
    return sys.executable


def snapshot_code(work: Path) -> Path:
    """Copy lint/ and rules/ as an importable `connlint` package under WORK/snapshot."""
    root = work / "snapshot"
    shutil.rmtree(root, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "lint", root / "connlint", ignore=ignore)
    shutil.copytree(REPO / "rules", root / "connlint" / "rules", ignore=ignore)
    return root


def git_state(snapshot: Path | None) -> str:
    """HEAD, how many files under lint/ and rules/ differ from it, and a digest of the code measured.

    For a snapshot, the state recorded when it was taken (a reused snapshot keeps its own)."""
    stamp = snapshot / "SNAPSHOT.txt" if snapshot is not None else None
    if stamp is not None and stamp.exists():
        return stamp.read_text().strip()
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        status = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "lint", "rules"],
                                capture_output=True, text=True).stdout
        changed = sum(1 for line in status.splitlines() if line.strip())
    except (OSError, subprocess.CalledProcessError):
        head, changed = "unknown", 0
    state = head + (f" + {changed} uncommitted files in lint/, rules/" if changed else "")
    if snapshot is not None:
        digest = hashlib.sha256()
        for path in sorted(snapshot.rglob("*.py")):
            digest.update(str(path.relative_to(snapshot)).encode() + b"\0" + path.read_bytes())
        state += f"; snapshot {digest.hexdigest()[:12]} taken {time.strftime('%Y-%m-%d %H:%M')}"
        stamp.write_text(state + "\n")
    return state


# ---- corpus --------------------------------------------------------------------------------------


def list_files(interp: str, corpus: Path, env: dict) -> list[str]:
    code = (
        "import json, os, sys\n"
        "from pathlib import Path\n"
        "from connlint.config import Config\n"
        "from connlint.discovery import discover\n"
        "root = Path(sys.argv[1]).resolve()\n"
        "files, _ = discover([str(root)], Config(root=root))\n"
        "print(json.dumps(sorted(os.path.relpath(os.path.abspath(f.path), root) for f in files)))\n"
    )
    out = subprocess.run([interp, "-c", code, str(corpus)], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


def build_trees(corpus: Path, work: Path, files: list[str], scales: list[int]) -> dict:
    """WORK/xN/c0..c(N-1): N real copies of the selected files; rebuilt only when the file list changes."""
    kept = [f for f in files if (corpus / f).stat().st_size <= MAX_BYTES]
    dropped = sorted(set(files) - set(kept))
    digest = hashlib.sha256("\n".join(kept).encode()).hexdigest()[:16]
    size = sum((corpus / f).stat().st_size for f in kept)
    for scale in scales:
        tree = work / f"x{scale}"
        stamp = tree / ".stamp"
        if stamp.exists() and stamp.read_text() == digest:
            continue
        log(f"copying {scale} x {len(kept)} files into {tree}")
        shutil.rmtree(tree, ignore_errors=True)
        for copy in range(scale):
            for rel in kept:
                target = tree / f"c{copy}" / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(corpus / rel, target)
        (tree / ".semgrepignore").write_text(SEMGREPIGNORE)
        stamp.write_text(digest)
    by_lang = Counter("go" if f.endswith(".go") else "python" for f in kept)
    by_lang_bytes = Counter()
    for f in kept:
        by_lang_bytes["go" if f.endswith(".go") else "python"] += (corpus / f).stat().st_size
    return {"files": len(kept), "bytes": size, "dropped_over_1mb": dropped, "by_language": dict(by_lang),
            "bytes_by_language": dict(by_lang_bytes), "digest": digest}


def warm_page_cache(tree: Path) -> None:
    for folder, _, names in os.walk(tree):
        for name in names:
            with open(os.path.join(folder, name), "rb") as fh:
                while fh.read(1 << 20):
                    pass


# ---- measuring -----------------------------------------------------------------------------------


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        children[ppid].append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def _memory_kb(pid: int) -> int:
    """PSS (shared pages split between the processes sharing them), else RSS."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeSampler(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_kb = pid, interval, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            total = sum(_memory_kb(p) for p in _descendants(self.pid))
            self.peak_kb = max(self.peak_kb, total)
            self.done.wait(self.interval)


def measure(cmd: list[str], cwd: Path, env: dict, stdout_path: Path | None = None, sample: bool = True,
            quiet: bool = True) -> dict:
    others_before = wait_quiet() if quiet and QUIET["max_wait"] > 0 else None
    load_before = loadavg()[0]
    busy_before = cpu_busy_seconds()
    out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    err = tempfile.TemporaryFile()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
    sampler = TreeSampler(proc.pid) if sample else None
    if sampler:
        sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    busy = cpu_busy_seconds() - busy_before
    proc.returncode = os.waitstatus_to_exitcode(status)
    if sampler:
        sampler.done.set()
        sampler.join()
    if stdout_path:
        out.close()
    err.seek(0)
    stderr_tail = err.read()[-2000:].decode(errors="replace")
    err.close()
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "max_rss_mb": usage.ru_maxrss / 1024,  # largest single process of the tree
        "tree_pss_mb": sampler.peak_kb / 1024 if sampler else None,
        "rc": proc.returncode,
        "load_before": load_before,
        "load_after": loadavg()[0],
        # CPU that other processes used meanwhile, in cores (0.5 = half a core busy on average)
        "others_cores": max(0.0, busy - usage.ru_utime - usage.ru_stime) / wall if wall > 0 else 0.0,
        "others_cores_before": others_before,
        "stderr_tail": stderr_tail,
    }


class Runs:
    """Every measurement, by scenario name."""

    def __init__(self) -> None:
        self.data: dict[str, list[dict]] = defaultdict(list)

    def add(self, name: str, result: dict) -> None:
        self.data[name].append(result)
        log(f"{name}: {result['wall']:.2f} s wall, {result['cpu']:.1f} s CPU, largest process "
            f"{result['max_rss_mb']:.0f} MB, tree {result['tree_pss_mb'] or 0:.0f} MB, rc {result['rc']}, "
            f"load {result['load_before']:.2f}->{result['load_after']:.2f}, others used "
            f"{result['others_cores']:.2f} cores")

    def summary(self, name: str) -> dict:
        return summarize(self.data[name])


QUIET_RUN = 0.25  # a run during which other processes used less than this many cores counts as quiet


def summarize(runs: list[dict]) -> dict:
    """Medians over every run and over the quiet runs only (others' CPU < QUIET_RUN cores)."""
    walls = [r["wall"] for r in runs]
    pick = lambda key, rs=runs: [r[key] for r in rs if r.get(key) is not None]  # noqa: E731
    quiet = [r for r in runs if r.get("others_cores", 0.0) < QUIET_RUN]
    return {
        "n": len(runs),
        "wall_median": statistics.median(walls),
        "wall_min": min(walls),
        "wall_max": max(walls),
        "cpu_median": statistics.median(pick("cpu")),
        "n_quiet": len(quiet),
        "wall_median_quiet": statistics.median([r["wall"] for r in quiet]) if quiet else None,
        "cpu_median_quiet": statistics.median(pick("cpu", quiet)) if quiet else None,
        "max_rss_mb": max(pick("max_rss_mb")),
        "tree_pss_mb": max(pick("tree_pss_mb")) if pick("tree_pss_mb") else None,
        "load_median": statistics.median(pick("load_before") + pick("load_after")),
        "others_cores_median": statistics.median(pick("others_cores")),
        "others_cores_max": max(pick("others_cores")),
    }


def check_offline(semgrep: str, env: dict, sample: list[Path]) -> str:
    """Run semgrep under strace on a few files and report any connect() it makes (there must be none)."""
    if shutil.which("strace") is None:
        return "not checked (no strace)"
    with tempfile.TemporaryDirectory() as tmp:
        for i, path in enumerate(sample):
            shutil.copyfile(path, Path(tmp) / f"f{i}{path.suffix}")
        (Path(tmp) / ".semgrepignore").write_text(SEMGREPIGNORE)
        trace = Path(tmp) / "strace.txt"
        cmd = ["strace", "-f", "-qq", "-e", "trace=connect", "-o", str(trace), semgrep, "scan", "-j", "2",
               "--metrics=off", "--config", str(REPO / "bench" / "semgrep"), "--json", "--disable-version-check",
               "."]
        subprocess.run(cmd, cwd=tmp, env=env, capture_output=True)
        calls = [line for line in trace.read_text().splitlines() if "connect(" in line]
    inet = [line for line in calls if "AF_INET" in line]
    return (f"strace: {len(calls)} connect() calls, {len(inet)} to AF_INET/AF_INET6"
            + (f": {inet[:3]}" if inet else ""))


# ---- findings ------------------------------------------------------------------------------------


def connlint_findings(path: Path) -> list[dict]:
    items = json.loads(path.read_text())
    return [{"code": f["code"], "path": os.path.normpath(f["path"]), "line": f["location"]["line"],
             "severity": f["severity"]} for f in items]


def semgrep_findings(path: Path) -> tuple[list[dict], dict]:
    data = json.loads(path.read_text())
    found = [{"code": r["extra"]["metadata"]["connlint"], "rule": r["check_id"].rsplit(".", 1)[-1],
              "path": os.path.normpath(r["path"]), "line": r["start"]["line"], "end_line": r["end"]["line"]}
             for r in data["results"]]
    errors = Counter()
    for e in data.get("errors", []):
        kind = e.get("type")
        errors[kind if isinstance(kind, str) else str(kind[0]) if isinstance(kind, list) else str(kind)] += 1
    meta = {"scanned": len(data.get("paths", {}).get("scanned", [])), "errors": dict(errors)}
    return found, meta


def compare(cl: list[dict], sg: list[dict]) -> dict:
    by_file: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for f in cl:
        by_file[(f["code"], f["path"])].append(f)
    matched_cl = set()
    sg_only = []
    for s in sg:
        hits = [f for f in by_file.get((s["code"], s["path"]), []) if s["line"] <= f["line"] <= s["end_line"]]
        if hits:
            matched_cl.update(id(f) for f in hits)
        else:
            sg_only.append(s)
    cl_only = [f for f in cl if id(f) not in matched_cl and f["code"] in RULES]
    return {"semgrep_only": sg_only, "connlint_only": cl_only}


def group_key(path: str) -> str:
    """c0/go/go-1.19-src/net/http/serve_test.go -> go/go-1.19-src/net/http"""
    parts = path.split("/")
    if parts and re.fullmatch(r"c\d+", parts[0]):
        parts = parts[1:]
    return "/".join(parts[:-1])


def write_diff(diff: dict, target: Path) -> None:
    lines = []
    for title, key, items in (("Reported by semgrep, not by connlint", "semgrep_only", diff["semgrep_only"]),
                              ("Reported by connlint, not by semgrep", "connlint_only", diff["connlint_only"])):
        lines.append(f"== {title}: {len(items)}")
        groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for item in items:
            groups[(item["code"], group_key(item["path"]))].append(item)
        for (code, folder), members in sorted(groups.items()):
            lines.append(f"-- {code} {folder}: {len(members)}")
            for m in sorted(members, key=lambda m: (m["path"], m["line"])):
                extra = f" [{m['rule']}]" if "rule" in m else f" ({m.get('severity', '')})"
                lines.append(f"   {m['path']}:{m['line']}{extra}")
        lines.append("")
    target.write_text("\n".join(lines))


# ---- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, nargs="?")
    parser.add_argument("--work", type=Path, default=Path("/tmp/connlint-bench"))
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--extra-reps", type=int, default=3)
    parser.add_argument("--scales", default="1,2,4")
    parser.add_argument("--no-semgrep", action="store_true")
    parser.add_argument("--no-snapshot", action="store_true", help="run the installed connlint code as it is")
    parser.add_argument("--reuse-snapshot", action="store_true",
                        help="measure the code snapshot an earlier run left in WORK (to add runs to its results)")
    parser.add_argument("--quick", action="store_true", help="one repetition, 1x only (a smoke test)")
    parser.add_argument("--build-only", action="store_true", help="make the snapshot and the trees, then stop")
    parser.add_argument("--quiet-wait", type=float, default=180.0,
                        help="before each timed run, wait up to this many seconds for other processes to use "
                             "less than --quiet-cores (default 180; 0: never wait)")
    parser.add_argument("--quiet-cores", type=float, default=0.15)
    parser.add_argument("--startup-reps", type=int, default=20, help="runs of connlint --version/--help")
    parser.add_argument("--extras", default="jobs1,noprefilter,allrules,scale",
                        help="extra connlint scenarios, comma-separated (default: all four)")
    parser.add_argument("--results", type=Path, default=None, help="write results here (default WORK/results.json)")
    parser.add_argument("--report", type=Path, nargs="+", default=None, metavar="RESULTS_JSON",
                        help="only merge these results files and print the tables (CORPUS is ignored)")
    args = parser.parse_args()
    if args.report:
        report(args.report, None)
        return
    if args.corpus is None:
        parser.error("CORPUS is required (except with --report)")
    if args.quick:
        args.reps, args.extra_reps, args.scales = 1, 1, "1"
    scales = sorted({1, *(int(s) for s in args.scales.split(","))})
    QUIET.update(max_wait=args.quiet_wait, threshold=args.quiet_cores)
    corpus = args.corpus.resolve()
    if not (corpus / "go").is_dir() and not (corpus / "python").is_dir():
        sys.exit(f"{corpus}: not a corpus made by bench/corpus.sh (no go/ or python/)")
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)

    connlint = find_tool("CONNLINT", "connlint")
    if connlint is None:
        sys.exit("connlint not found: set $CONNLINT or put it on PATH")
    semgrep = None if args.no_semgrep else find_tool("SEMGREP", "semgrep")
    if semgrep is None and not args.no_semgrep:
        log("semgrep not found ($SEMGREP or PATH): measuring connlint only")
    interp = interpreter_of(connlint)

    cl_env = dict(os.environ)
    cl_env.pop("PYTHONPATH", None)
    if args.no_snapshot:
        snapshot = None
    elif args.reuse_snapshot and (work / "snapshot" / "connlint").is_dir():
        snapshot = work / "snapshot"
    else:
        snapshot = snapshot_code(work)
    if snapshot is not None:
        cl_env["PYTHONPATH"] = str(snapshot)
    # semgrep strictly offline: local rules only, no metrics, no version check, no login token
    sg_env = {k: v for k, v in os.environ.items() if not k.startswith("SEMGREP_")}
    sg_env.update(SEMGREP_ENABLE_VERSION_CHECK="0", SEMGREP_SEND_METRICS="off")

    versions = {
        "connlint": subprocess.run([connlint, "--version"], capture_output=True, text=True, env=cl_env).stdout.strip(),
        "connlint_code": git_state(snapshot),
        "connlint_module": subprocess.run([interp, "-c", "import connlint; print(connlint.__file__)"],
                                          capture_output=True, text=True, env=cl_env).stdout.strip(),
        "python": subprocess.run([interp, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True,
                                 text=True).stdout.strip(),
        "libs": subprocess.run(
            [interp, "-c", "import importlib.metadata as m; print(', '.join(f'{p} {m.version(p)}' for p in "
             "('libcst', 'tree-sitter', 'tree-sitter-go', 'pathspec', 'click')))"],
            capture_output=True, text=True).stdout.strip(),
        "semgrep": subprocess.run([semgrep, "--version"], capture_output=True, text=True, env=sg_env).stdout.strip()
        if semgrep else None,
    }
    machine = {
        "nproc": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "cpu": next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                    platform.processor()),
        "memory": subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.strip(),
        "kernel": platform.release(),
    }
    log(f"versions: {versions}")
    log(f"connlint module: {versions['connlint_module']}")

    files = list_files(interp, corpus, cl_env)
    corpus_info = build_trees(corpus, work, files, scales)
    log(f"corpus: {corpus_info['files']} files, {corpus_info['bytes'] / 1e6:.1f} MB "
        f"({corpus_info['by_language']}); dropped over 1 MB: {corpus_info['dropped_over_1mb']}")
    x1 = work / "x1"
    if args.build_only:
        return
    warm_page_cache(x1)

    if semgrep:
        sample = [p for p in sorted(x1.rglob("*")) if p.suffix in (".go", ".py")][:: max(1, corpus_info["files"] // 20)]
        versions["semgrep_network"] = check_offline(semgrep, sg_env, sample)
        log(f"semgrep network check: {versions['semgrep_network']}")

    out_dir = work / "out"
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir()
    runs = Runs()
    cl_base = [connlint, "--isolated", "--select", SELECT, "--format", "json", "--exit-zero"]
    sg_cmd = [semgrep, "scan", "-j", "2", "--metrics=off", "--config", str(REPO / "bench" / "semgrep"), "--json",
              "--disable-version-check", "."] if semgrep else None
    warm_cache = work / "cache-warm"

    def cl(name: str, tree: Path, *extra: str, keep: bool = False) -> dict:
        target = out_dir / f"{name}.json" if keep else out_dir / "last.json"
        result = measure([*cl_base, "-o", str(target), *extra, "."], tree, cl_env)
        runs.add(name, result)
        return result

    # warm-ups (not counted): byte-compile the snapshot, populate the warm cache, load semgrep once
    log("warm-up runs")
    shutil.rmtree(warm_cache, ignore_errors=True)
    measure([*cl_base, "-o", str(out_dir / "warmup.json"), "--cache-dir", str(warm_cache), "."], x1, cl_env,
            quiet=False)
    if sg_cmd:
        measure(sg_cmd, x1, sg_env, out_dir / "semgrep-warmup.json", sample=False, quiet=False)

    for rep in range(args.reps):
        log(f"round {rep + 1}/{args.reps}")
        if sg_cmd:
            result = measure(sg_cmd, x1, sg_env, out_dir / ("semgrep.json" if rep == 0 else "semgrep-last.json"))
            runs.add("semgrep -j 2", result)
        cl("connlint cold (--no-cache)", x1, "--no-cache", keep=rep == 0)
        fresh = Path(tempfile.mkdtemp(prefix="cache-", dir=work))
        cl("connlint cold (fresh --cache-dir)", x1, "--cache-dir", str(fresh))
        shutil.rmtree(fresh)
        cl("connlint warm (cache populated)", x1, "--cache-dir", str(warm_cache), keep=rep == 0)

    extras = set(args.extras.split(","))
    for rep in range(args.extra_reps):
        log(f"extra round {rep + 1}/{args.extra_reps}")
        if "jobs1" in extras:
            cl("connlint cold --jobs 1", x1, "--no-cache", "--jobs", "1")
        if "noprefilter" in extras:
            cl("connlint cold, prefilter off", x1, "--no-cache", "--no-prefilter", keep=rep == 0)
        if "allrules" in extras:  # every rule, not only the four semgrep has equivalents for
            result = measure([connlint, "--isolated", "--format", "json", "--exit-zero", "-o",
                              str(out_dir / "all-rules.json"), "--no-cache", "."], x1, cl_env)
            runs.add("connlint cold, all 11 rules", result)
        if "scale" in extras:  # x1 again here, so that the scale series is measured side by side
            for scale in scales:
                tree = work / f"x{scale}"
                if rep == 0:
                    warm_page_cache(tree)
                cl(f"connlint cold, corpus x{scale}", tree, "--no-cache")

    log("start-up time")
    if QUIET["max_wait"] > 0:
        wait_quiet()
    for rep in range(args.startup_reps):
        runs.add("connlint --version", measure([connlint, "--version"], x1, cl_env, sample=False, quiet=False))
        runs.add("connlint --help", measure([connlint, "--help"], x1, cl_env, sample=False, quiet=False))
        runs.add("python -c pass (same interpreter)", measure([interp, "-c", "pass"], x1, cl_env, sample=False, quiet=False))

    # ---- results ---------------------------------------------------------------------------------
    summaries = {name: runs.summary(name) for name in runs.data}
    mb = corpus_info["bytes"] / 1e6
    findings = {}
    baseline = out_dir / "connlint cold (--no-cache).json"
    cl_found = connlint_findings(baseline if baseline.exists() else out_dir / "warmup.json")
    findings["connlint"] = dict(Counter(f["code"] for f in cl_found))
    findings["connlint_by_severity"] = {f"{c} {s}": n for (c, s), n in
                                        sorted(Counter((f["code"], f["severity"]) for f in cl_found).items())}
    if (out_dir / "connlint cold, prefilter off.json").exists():
        nopre = connlint_findings(out_dir / "connlint cold, prefilter off.json")
        # CL000 differs by design: a syntax error in a file no rule's tokens match is not reported
        lint = lambda fs: sorted(json.dumps(f) for f in fs if f["code"] != "CL000")  # noqa: E731
        findings["prefilter_off_identical"] = lint(nopre) == lint(cl_found)
        findings["prefilter_off_extra_cl000"] = sum(f["code"] == "CL000" for f in nopre) - sum(
            f["code"] == "CL000" for f in cl_found)
    if (out_dir / "connlint warm (cache populated).json").exists():
        warm = connlint_findings(out_dir / "connlint warm (cache populated).json")
        findings["warm_identical"] = sorted(map(json.dumps, warm)) == sorted(map(json.dumps, cl_found))
    if (out_dir / "all-rules.json").exists():
        all_rules = connlint_findings(out_dir / "all-rules.json")
        findings["connlint_all_rules"] = dict(sorted(Counter(f["code"] for f in all_rules).items()))
    if sg_cmd:
        sg_out = out_dir / "semgrep.json"
        sg_found, sg_meta = semgrep_findings(sg_out if sg_out.exists() else out_dir / "semgrep-warmup.json")
        findings["semgrep"] = dict(Counter(f["code"] for f in sg_found))
        findings["semgrep_meta"] = sg_meta
        diff = compare(cl_found, sg_found)
        write_diff(diff, work / "findings-diff.txt")
        findings["semgrep_only"] = dict(Counter(f["code"] for f in diff["semgrep_only"]))
        findings["connlint_only"] = dict(Counter(f["code"] for f in diff["connlint_only"]))

    results = {"machine": machine, "versions": versions, "corpus": {**corpus_info, "path": str(corpus)},
               "summaries": summaries, "runs": runs.data, "findings": findings,
               "commands": {"semgrep": sg_cmd, "connlint": cl_base}}
    (args.results or work / "results.json").write_text(json.dumps(results, indent=1, default=str))
    table = render(summaries, corpus_info, scales, findings, runs.data)
    (work / "results.md").write_text(table)
    print(table)
    log(f"results in {args.results or work / 'results.json'}, {work}/results.md, {work}/findings-diff.txt")


def render(summaries: dict, corpus: dict, scales: list[int], findings: dict, runs: dict | None = None) -> str:
    files, mb = corpus["files"], corpus["bytes"] / 1e6
    sg = summaries.get("semgrep -j 2")
    rows = [f"Quiet runs: other processes used < {QUIET_RUN} cores meanwhile (medians over them; the all-runs "
            "median includes runs slowed by other work on the machine).", "",
            "| Run | Files | MB | Wall, median of quiet runs | Wall, median of all runs (min-max) | CPU, median | "
            "MB/s (quiet) | Peak RSS, largest process | Peak memory, process tree (PSS) | semgrep / this: wall "
            "(quiet) | semgrep / this: CPU | Others' CPU, median (max) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, s in summaries.items():
        if name.startswith(("connlint --", "python -c")):
            continue
        scale = int(m.group(1)) if (m := re.search(r"x(\d+)$", name)) else 1
        quiet = s.get("wall_median_quiet")
        ratio = cpu_ratio = ""
        if sg and name != "semgrep -j 2" and scale == 1:
            if quiet and sg.get("wall_median_quiet"):
                ratio = f"{sg['wall_median_quiet'] / quiet:.1f}x"
            cpu_ratio = f"{sg['cpu_median'] / s['cpu_median']:.1f}x"
        quiet_text = f"{quiet:.2f} s (n={s['n_quiet']})" if quiet else "none quiet"
        speed = f"{mb * scale / quiet:.1f}" if quiet else ""
        rows.append(
            f"| {name} | {files * scale} | {mb * scale:.1f} | {quiet_text} | {s['wall_median']:.2f} s "
            f"({s['wall_min']:.2f}-{s['wall_max']:.2f}, n={s['n']}) | {s['cpu_median']:.1f} s | {speed} | "
            f"{s['max_rss_mb']:.0f} MB | {s['tree_pss_mb'] or 0:.0f} MB | {ratio} | {cpu_ratio} | "
            f"{s['others_cores_median']:.2f} ({s['others_cores_max']:.2f}) |")
    if sg and runs:
        rows.append("")
        rows.append("Paired ratios (each connlint run against the semgrep run of the same round, just before it; "
                    "robust against slow drift of the machine's speed):")
        rows.append("")
        rows.append("| Run | semgrep / this: wall, median (min-max) | CPU, median (min-max) | rounds |")
        rows.append("|---|---:|---:|---:|")
        base = runs["semgrep -j 2"]
        for name, mine in runs.items():
            if name == "semgrep -j 2" or len(mine) != len(base):
                continue
            walls = [b["wall"] / m["wall"] for b, m in zip(base, mine)]
            cpus = [b["cpu"] / m["cpu"] for b, m in zip(base, mine)]
            rows.append(f"| {name} | {statistics.median(walls):.1f}x ({min(walls):.1f}-{max(walls):.1f}) | "
                        f"{statistics.median(cpus):.1f}x ({min(cpus):.1f}-{max(cpus):.1f}) | {len(walls)} |")
    rows.append("")
    for name in ("connlint --version", "connlint --help", "python -c pass (same interpreter)"):
        if name in summaries:
            s = summaries[name]
            rows.append(f"- `{name}`: median {s['wall_median'] * 1000:.0f} ms (min {s['wall_min'] * 1000:.0f}, max "
                        f"{s['wall_max'] * 1000:.0f}; {s['n']} runs)")
    rows.append("")
    rows.append(f"Findings per rule: connlint {findings.get('connlint')}; semgrep {findings.get('semgrep')}")
    rows.append(f"semgrep-only: {findings.get('semgrep_only')}; connlint-only: {findings.get('connlint_only')}")
    rows.append(f"prefilter off gives identical findings (CL000 aside): {findings.get('prefilter_off_identical')} "
                f"(CL000 only with it off: {findings.get('prefilter_off_extra_cl000')}); warm cache "
                f"identical: {findings.get('warm_identical')}; semgrep: {findings.get('semgrep_meta')}")
    return "\n".join(rows) + "\n"


def report(paths: list[Path], out: Path | None) -> None:
    """Merge the runs of several results.json files (same corpus) and render the tables again."""
    merged: dict[str, list[dict]] = defaultdict(list)
    last = None
    for path in paths:
        last = json.loads(path.read_text())
        for name, runs in last["runs"].items():
            merged[name].extend(runs)
    summaries = {name: summarize(runs) for name, runs in merged.items()}
    table = render(summaries, last["corpus"], [], last["findings"], merged)
    if out:
        out.write_text(table)
    print(table)


if __name__ == "__main__":
    main()
