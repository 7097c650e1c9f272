"""Run every benchmark case and print one table of ratios measured in the same run.

Usage: ``python -m benchmarks --smoke`` (small sizes, what CI runs) or ``--full`` (the
sizes the issues name; writes ``benchmarks/RESULTS.md``). ``--only NAME`` runs the modules
whose name contains NAME and prints their rows without touching ``RESULTS.md``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
from pathlib import Path

from ._util import Result

HERE = Path(__file__).resolve().parent


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def _fmt(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}g}"


def table(results: list[Result]) -> str:
    """Results as a Markdown table."""
    lines = ["| case | ours (s) | baseline | baseline (s) | ratio | target | met | note |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        met = "" if r.met is None else ("yes" if r.met else f"**no**: {r.miss}".rstrip(": "))
        lines.append(f"| {r.case} | {_fmt(r.ours_s)} | {r.baseline} | {_fmt(r.baseline_s)} "
                     f"| {_fmt(r.ratio)} | {r.target} | {met} | {r.note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--full", action="store_true", help="full sizes; writes RESULTS.md")
    size.add_argument("--smoke", action="store_true", help="small sizes (default)")
    parser.add_argument("--only", default="",
                        help="run modules whose name contains this (RESULTS.md untouched)")
    args = parser.parse_args(argv)
    modules = sorted(p.stem for p in HERE.glob("bench_*.py") if args.only in p.stem)
    results: list[Result] = []
    failed = []
    start = time.perf_counter()
    for name in modules:
        print(f"-- {name}", file=sys.stderr, flush=True)
        try:
            results.extend(importlib.import_module(f"benchmarks.{name}").run(full=args.full))
        except Exception as exc:  # noqa: BLE001 - a broken case must not hide the others
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
    report = (f"# Benchmark results ({'full' if args.full else 'smoke'} sizes)\n\n"
              f"Machine: {_machine()}. Ratio = ours / baseline, both measured in this run "
              f"(median of repetitions). Total {time.perf_counter() - start:.0f} s.\n\n"
              + table(results) + "\n")
    if failed:
        report += "\nFailed cases:\n" + "\n".join(f"- {f}" for f in failed) + "\n"
    print(report)
    if args.full and not args.only:
        (HERE / "RESULTS.md").write_text(report)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
