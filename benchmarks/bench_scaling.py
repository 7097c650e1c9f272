"""One machine at scale: 24 months of hive-partitioned Parquet (100M audits at full size).

* **Generate** the data set with the sample-data generator (``--months 24
  --audits-per-month 4200000 --format parquet --partition-by-month`` at full size): wall
  time, peak memory and disk.
* **All 24 months**: ``open_store`` (validation of every row) and the quality summaries a
  report computes (by month, and by month x site x queue x market): wall time and peak
  resident memory, each run in a fresh process (one run at full size: minutes each).
* **A monthly report's window vs all months**: the same load with ``months=`` the report's
  13-month trend window against all 24 months. Hive partition pruning means the window
  costs about 13/24 of the whole: time depends on the months shown, not the years stored.

The data set is generated into ``benchmarks/_data`` and deleted afterwards (1.7 GB at full
size).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from qa_insights.data.sample_data import month_range

from ._util import Result, peak_rss_in_subprocess, verdict
from .data import CACHE

MONTHS, WINDOW, END = 24, 13, "2026-10"

_LOAD = """
from qa_insights.quality.metrics import quality_summary
from qa_insights.data.opening import open_store
with open_store({folder!r}, months={months!r}) as store:
    quality_summary(store, ["month"])
    quality_summary(store, ["month", "site", "queue", "market"])
    rows = store.validation.tables["audits"].read
print(rows)
"""


def _disk_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def _load(folder: Path, months: list[str] | None, repeat: int) -> tuple[float, float]:
    """Median wall time and largest peak RSS (MB) of a report's data load, each repetition
    in a fresh process (so the page cache is warm but no Python state is shared)."""
    runs = [peak_rss_in_subprocess(_LOAD.format(folder=str(folder), months=months))
            for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def run(full: bool) -> list[Result]:
    per_month = 4_200_000 if full else 5_000
    # A 100M-row load takes minutes; one run each at full size, the median of 3 at smoke.
    repeat = 1 if full else 3
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="scaling-", dir=CACHE) as tmp:
        folder = Path(tmp) / "data"
        start = time.perf_counter()
        gen_s, gen_mb = peak_rss_in_subprocess(
            "from qa_insights.data.sample_data import generate\n"
            f"generate({str(folder)!r}, months={MONTHS}, audits_per_month={per_month}, "
            f"end_month={END!r}, fmt='parquet', partition_by_month=True)")
        gen_wall = time.perf_counter() - start
        disk = _disk_mb(folder)
        window = month_range(END, WINDOW)
        all_s, all_mb = _load(folder, None, repeat)
        win_s, win_mb = _load(folder, window, repeat)
        rows = _count(folder)
    size = f"{rows / 1e6:.0f}M" if rows >= 10**6 else f"{rows:,}"
    ratio_target = 1.2 * WINDOW / MONTHS
    return [
        Result(case=f"scaling: generate {size} audits, {MONTHS} months hive Parquet",
               ours_s=gen_wall, target="< 20 min" if full else "",
               **(verdict(gen_wall, 1200, " s") if full else {}),
               note=f"disk {disk:,.0f} MB; generator peak RSS {gen_mb:,.0f} MB; "
                    f"{gen_s:.0f} s in generate()"),
        Result(case=f"scaling: validate + quality summaries, all {MONTHS} months ({size})",
               ours_s=all_s, target="peak < 2 GB" if full else "",
               **(verdict(all_mb, 2048, " MB") if full else {}),
               note=f"peak RSS {all_mb:,.0f} MB (DuckDB memory_limit 1GB, spills); fresh "
                    f"process, median of {repeat} run(s)"),
        Result(case=f"scaling: monthly report load, {WINDOW}-month window vs all {MONTHS}",
               ours_s=win_s, baseline=f"all {MONTHS} months", baseline_s=all_s,
               target=f"ratio <= {ratio_target:.2f} (1.2 x {WINDOW}/{MONTHS})" if full else "",
               **(verdict(win_s / all_s, ratio_target, "x") if full else {}),
               note=f"partition pruning; window peak RSS {win_mb:,.0f} MB"),
    ]


def _count(folder: Path) -> int:
    import duckdb

    con = duckdb.connect()
    try:
        return con.execute("SELECT count(*) FROM read_parquet(?, hive_partitioning=true)",
                           [str(folder / "audits" / "*" / "*.parquet")]).fetchall()[0][0]
    finally:
        con.close()
