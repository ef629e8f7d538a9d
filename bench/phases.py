#!/usr/bin/env python3
"""Where connlint's time goes: per phase (discovery, read + prefilter, parse per language, each rule),
measured in one process (`--jobs 1`, no cache) by wrapping the engine's functions with timers, then the
same run under cProfile.

    PYTHONPATH=/tmp/connlint-bench/snapshot /tmp/cv/bin/python bench/phases.py /tmp/connlint-bench/x1
    ... [--all-rules] [--no-prefilter] [--cprofile-out FILE] [--top 40]

Run it with the interpreter connlint is installed in; PYTHONPATH may point at the snapshot bench/run.py
makes (so that the code measured is the code benchmarked).  Times are CPU seconds of this process
(time.process_time: robust against other load on the machine) and wall seconds.  Phases nest: "parse
python" includes "libcst.parse_module" and "PythonFile index"; the engine rows are what is left of run().
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path

RULES = ("CL101", "CL201", "CL202", "CL301")


class Timers:
    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.wall: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.bytes: dict[str, int] = defaultdict(int)

    def wrap(self, name: str, fn, count_bytes_arg: int | None = None, consume: bool = False):
        def timed(*args, **kwargs):
            c0, w0 = time.process_time(), time.perf_counter()
            try:
                result = fn(*args, **kwargs)
                return list(result) if consume else result  # a checker is a generator: time its work
            finally:
                self.cpu[name] += time.process_time() - c0
                self.wall[name] += time.perf_counter() - w0
                self.calls[name] += 1
                if count_bytes_arg is not None and len(args) > count_bytes_arg:
                    self.bytes[name] += len(args[count_bytes_arg])

        timed.__wrapped__ = fn
        return timed


def make_config(root: Path, all_rules: bool):
    from connlint.config import load, with_overrides
    from connlint.registry import all_rules as registry

    known = tuple(registry())
    cfg = load(None, known)
    return with_overrides(cfg, known, select=() if all_rules else (",".join(RULES),), extend_select=(), ignore=(),
                          exclude=(), no_respect_gitignore=False)


def instrument(timers: Timers) -> None:
    import libcst

    from connlint import api, suppress
    from connlint.frontends import go as go_frontend
    from connlint.frontends import python as py_frontend
    from connlint.registry import all_rules

    api.discover = timers.wrap("discovery", api.discover)
    api._read = timers.wrap("read files (os.read)", api._read)
    api.select_rules = timers.wrap("prefilter (select_rules)", api.select_rules, count_bytes_arg=2)
    api.unlintable = timers.wrap("unlintable check", api.unlintable)
    api._cache_key = timers.wrap("cache key (blake2b)", api._cache_key)
    api.Cache.open = timers.wrap("cache open (sqlite)", api.Cache.open)
    api.Cache.get = timers.wrap("cache lookups (sqlite, decode)", api.Cache.get)
    api.Cache.put = timers.wrap("cache writes (sqlite, encode)", api.Cache.put)
    api.Cache.close = timers.wrap("cache close (commit)", api.Cache.close)
    py_frontend.parse = timers.wrap("parse python (total)", py_frontend.parse, count_bytes_arg=1)
    libcst.parse_module = timers.wrap("  libcst.parse_module", libcst.parse_module)
    py_frontend._index = timers.wrap("  PythonFile index (parents, by type)", py_frontend._index)
    py_frontend.PythonFile._collect_imports = timers.wrap("  PythonFile imports",
                                                          py_frontend.PythonFile._collect_imports)
    py_frontend.PythonFile._collect_constants = timers.wrap("  PythonFile constants",
                                                            py_frontend.PythonFile._collect_constants)
    py_frontend.PythonFile._position = timers.wrap("  (in rules) python finding positions (libcst PositionProvider)",
                                                   py_frontend.PythonFile._position)
    go_frontend.parse = timers.wrap("parse go (total)", go_frontend.parse, count_bytes_arg=1)
    suppress.scan = timers.wrap("suppression comments scan", suppress.scan)
    for rule in all_rules().values():
        for language, checker in list(rule.checkers.items()):
            rule.checkers[language] = timers.wrap(f"rule {rule.code} {language}", checker, consume=True)


def uninstrument() -> None:
    import libcst

    from connlint import api, suppress
    from connlint.frontends import go as go_frontend
    from connlint.frontends import python as py_frontend
    from connlint.registry import all_rules

    def unwrap(owner, name):
        fn = getattr(owner, name)
        if hasattr(fn, "__wrapped__") and getattr(fn, "__name__", "") == "timed":
            setattr(owner, name, fn.__wrapped__)

    for owner, name in ((api.Cache, "open"), (api.Cache, "get"), (api.Cache, "put"), (api.Cache, "close"),
                        (api, "discover"), (api, "_read"), (api, "select_rules"), (api, "unlintable"),
                        (api, "_cache_key"), (py_frontend, "parse"), (libcst, "parse_module"),
                        (py_frontend, "_index"), (py_frontend.PythonFile, "_collect_imports"),
                        (py_frontend.PythonFile, "_collect_constants"), (py_frontend.PythonFile, "_position"),
                        (go_frontend, "parse"),
                        (suppress, "scan")):
        unwrap(owner, name)
    for rule in all_rules().values():
        for language, checker in list(rule.checkers.items()):
            if getattr(checker, "__name__", "") == "timed":
                rule.checkers[language] = checker.__wrapped__


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tree", type=Path)
    parser.add_argument("--all-rules", action="store_true")
    parser.add_argument("--no-prefilter", action="store_true")
    parser.add_argument("--cprofile-out", type=Path, default=None)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--skip-cprofile", action="store_true")
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="use this results cache (a populated one: the warm path)")
    args = parser.parse_args()
    tree = args.tree.resolve()
    os.chdir(tree)

    c0, w0 = time.process_time(), time.perf_counter()
    from connlint import api  # noqa: F401  (import cost, as the CLI pays it)
    import libcst  # noqa: F401
    import tree_sitter  # noqa: F401
    from connlint.frontends import go, python  # noqa: F401
    from connlint.registry import all_rules

    all_rules()
    import_cpu, import_wall = time.process_time() - c0, time.perf_counter() - w0

    import connlint

    print(f"connlint from {connlint.__file__}; tree {tree}; rules {'all' if args.all_rules else ','.join(RULES)}; "
          f"prefilter {'off' if args.no_prefilter else 'on'}; cache {args.cache_dir or 'none'}")
    config = make_config(tree, args.all_rules)
    timers = Timers()
    instrument(timers)
    c0, w0 = time.process_time(), time.perf_counter()
    cache_dir = args.cache_dir.resolve() if args.cache_dir else None
    report = api.run(["."], config, prefilter=not args.no_prefilter, jobs=1, cache_dir=cache_dir)
    total_cpu, total_wall = time.process_time() - c0, time.perf_counter() - w0
    uninstrument()

    files = report.files_checked
    print(f"\n{files} files, {len(report.findings)} findings; run(): {total_cpu:.2f} s CPU, {total_wall:.2f} s wall; "
          f"imports before the run: {import_cpu:.2f} s CPU")
    print(f"{'phase':64} {'CPU s':>8} {'share':>6} {'wall s':>8} {'calls':>7}  note")
    nested = {"  (in rules) python finding positions (libcst PositionProvider)", "  libcst.parse_module", "  PythonFile index (parents, by type)", "  PythonFile imports",
              "  PythonFile constants"}
    accounted = 0.0
    order = sorted(timers.cpu, key=lambda n: (not n.startswith(("discovery", "read", "prefilter", "unlintable")),
                                              not n.startswith("parse python"), n.startswith(("rule", "  (in rules)")), n))
    for name in order:
        cpu = timers.cpu[name]
        if name not in nested:
            accounted += cpu
        note = ""
        if timers.bytes.get(name):
            mb = timers.bytes[name] / 1e6
            note = f"{mb:.1f} MB, {mb / cpu:.1f} MB/s" if cpu else f"{mb:.1f} MB"
        print(f"{name:64} {cpu:8.2f} {cpu / total_cpu:6.1%} {timers.wall[name]:8.2f} {timers.calls[name]:7d}  {note}")
    rest = total_cpu - accounted
    print(f"{'engine rest (decode, findings, sort, loop)':64} {rest:8.2f} {rest / total_cpu:6.1%}")
    print(f"{'total run()':64} {total_cpu:8.2f} {1:6.1%} {total_wall:8.2f}")
    print("note: 'read files' counts both reads of a parsed file (once for the prefilter, once to lint it); "
          "'prefilter' also runs twice per parsed file (run() and lint_source()).")

    if args.skip_cprofile:
        return
    profiler = cProfile.Profile()
    profiler.enable()
    api.run(["."], config, prefilter=not args.no_prefilter, jobs=1, cache_dir=cache_dir)
    profiler.disable()
    if args.cprofile_out:
        profiler.dump_stats(str(args.cprofile_out))
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(key).print_stats(args.top)
        print(f"\n==== cProfile, sorted by {key} (top {args.top}) ====")
        print(out.getvalue().replace(str(tree) + "/", ""))


if __name__ == "__main__":
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20_000))
    main()
