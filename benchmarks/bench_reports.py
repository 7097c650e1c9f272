"""Report builds end to end: execute with papermill, render with nbconvert, publish.

Data: 12 generated months of 2,000 audits with every table (cached in benchmarks/_data/).

* One MQR, ours (``qa-insights build --reports mqr``, a fresh process) against the plain
  command-line baseline a Makefile would run: ``papermill`` then ``jupyter nbconvert --to html
  --no-input`` (same notebook, same kernel, no manifest, tables or index). Target < 15 s.
* Full sizes only: a month's full set (MQR, MBR, calibration and an RCA per queue,
  ``--jobs 2``; target < 60 s); a 12-month backfill of MQR, MBR and calibration (36 reports)
  with ``--jobs 2`` against ``--jobs 1`` (target speed-up >= 1.7x on 2 cores); and the
  per-report overhead of the ``--jobs 1`` backfill beyond kernel start and notebook
  execution (build wall time minus the summed papermill time, per report; target < 1 s).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qa_insights.data.sample_data import generate
from qa_insights.reports.engine.build import build
from qa_insights.reports.engine.paths import NOTEBOOKS_DIR

from ._util import Result, verdict
from .data import CACHE


def _data() -> Path:
    folder = CACHE / "reports_12_months"
    if not (folder / ".complete").exists():
        generate(folder, months=12, audits_per_month=2000)
        (folder / ".complete").touch()
    return folder


def _build(data: Path, out: Path, **kwargs: object) -> tuple[float, list]:
    start = time.perf_counter()
    summary = build(data_dir=data, out_dir=out, force=True, progress=False, **kwargs)
    wall = time.perf_counter() - start
    if summary.failed:
        raise RuntimeError(f"report build failed: {summary.failed[0].error}")
    return wall, summary.results


def _cli_ours(data: Path, out: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "qa_insights.cli", "build", "--reports", "mqr",
                    "--data", str(data), "--out", str(out), "--jobs", "1", "--force"],
                   check=True, capture_output=True)
    return time.perf_counter() - start


def _cli_baseline(data: Path, out: Path) -> float:
    notebook = NOTEBOOKS_DIR / "monthly_quality_report.ipynb"
    executed = out / "monthly_quality_report.ipynb"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "papermill", str(notebook), str(executed),
                    "-k", "python3", "--cwd", str(NOTEBOOKS_DIR), "-p", "data_dir", str(data),
                    "--no-progress-bar", "--log-level", "ERROR"], check=True,
                   capture_output=True)
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--no-input",
                    str(executed), "--output-dir", str(out), "--log-level", "ERROR"],
                   check=True, capture_output=True)
    return time.perf_counter() - start


def run(full: bool) -> list[Result]:
    """Benchmark cases (see the module docstring); smoke size runs one MQR each way."""
    data = _data()
    repeat = 3 if full else 1
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        root = Path(tmp)
        _build(data, root / "warm", reports="mqr", jobs=1)  # page cache, compiled bytecode
        ours = sorted(_cli_ours(data, root / f"mqr{i}") for i in range(repeat))[repeat // 2]
        base = sorted(_cli_baseline(data, Path(tempfile.mkdtemp(dir=tmp)))
                      for _ in range(repeat))[repeat // 2]
        results.append(Result("reports: one MQR end to end", ours, "papermill + nbconvert CLI",
                              base, "< 15 s", **verdict(ours, 15, " s"),
                              note="ours adds validation, tables, manifest, index"))
        if not full:
            return results

        wall, done = _build(data, root / "month", jobs=2)
        results.append(Result(f"reports: a month's full set ({len(done)} reports, --jobs 2)",
                              wall, target="< 60 s", **verdict(wall, 60, " s")))

        reports = "mqr,mbr,calibration"
        one, serial = _build(data, root / "backfill1", reports=reports, all_months=True,
                             jobs=1)
        two, _ = _build(data, root / "backfill2", reports=reports, all_months=True, jobs=2)
        results.append(Result(f"reports: 12-month backfill ({len(serial)} reports), --jobs 2 "
                              "vs --jobs 1", two, "--jobs 1", one, "speed-up >= 1.7x",
                              **verdict(one / two, 1.7, "x", at_least=True),
                              note=f"speed-up {one / two:.2f}x"))

        executing = sum(r.timings.get("execute_s", 0.0) for r in serial)
        overhead = (one - executing) / len(serial)
        results.append(Result("reports: overhead per report beyond kernel and execution",
                              overhead, target="< 1 s", **verdict(overhead, 1, " s"),
                              note=f"--jobs 1 backfill: {one:.0f} s wall, {executing:.0f} s "
                                   "in papermill"))
    return results
