"""The benchmark code keeps working: ``python -m benchmarks --smoke`` runs every case."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Benchmark module -> text of one of its cases in the results table.
CASES = {
    "bench_aggregation": "quality_summary month x site x queue x market",
    "bench_generation": "generate ",
    "bench_ingest": "ingest: open the ingested store",
    "bench_agreement": "Krippendorff alpha nominal",
    "bench_reports": "reports: one MQR end to end",
    "bench_scaling": "scaling: monthly report load, 13-month window vs all 24",
    "bench_validation": "validate ",
}


def test_every_benchmark_module_has_a_case_to_look_for() -> None:
    assert sorted(p.stem for p in (ROOT / "benchmarks").glob("bench_*.py")) == sorted(CASES)


@pytest.mark.slow
def test_benchmark_smoke_prints_every_case() -> None:
    out = subprocess.run([sys.executable, "-m", "benchmarks", "--smoke"], check=False,
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    rows = [line for line in out.stdout.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| case | ours (s) | baseline")
    for module, case in CASES.items():
        assert any(row.startswith(f"| {case}") or f"| {case}" in row for row in rows), module
    assert "Failed cases" not in out.stdout


def test_a_missed_target_says_by_how_much() -> None:
    from benchmarks.__main__ import table
    from benchmarks._util import Result, verdict

    assert verdict(15, 15, " s") == {"met": True, "miss": ""}
    assert verdict(5.2, 5, "x", at_least=True) == {"met": True, "miss": ""}
    assert verdict(4.8, 5, "x", at_least=True) == {
        "met": False, "miss": "misses by 0.2x (4% of the target)"}
    missed = Result("one MQR", 21.6, target="< 15 s", **verdict(21.6, 15, " s"))
    met = Result("month set", 50.0, target="< 60 s", **verdict(50.0, 60, " s"))
    rows = table([missed, met]).splitlines()[2:]
    assert "| **no**: misses by 6.6 s (44% of the target) |" in rows[0]
    assert "| yes |" in rows[1]
