"""The sample-data generator at scale: 10M audits as Parquet, 10 months of 1M, the
Foundation issue's own command (``--audits-per-month 1000000 --format parquet``, "in about
a minute or less"); wall time and peak memory of a fresh process, disk written. No
baseline: nothing else writes this data. The 100M-row case is in ``bench_scaling``."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ._util import Result, peak_rss_in_subprocess, verdict
from .data import CACHE

TARGET_S = 90.0  # "about a minute or less"


def run(full: bool) -> list[Result]:
    months, per_month = (10, 1_000_000) if full else (2, 100_000)
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="generate-", dir=CACHE) as tmp:
        folder = Path(tmp) / "data"
        seconds, rss = peak_rss_in_subprocess(
            "from qa_insights.data.sample_data import generate\n"
            f"generate({str(folder)!r}, months={months}, audits_per_month={per_month}, "
            "fmt='parquet')")
        disk = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20
    return [Result(case=f"generate {months * per_month:,} audits, {months} months of "
                        f"{per_month:,} (Parquet)",
                   ours_s=seconds, target=f"< {TARGET_S:.0f} s (about a minute)" if full else "",
                   **(verdict(seconds, TARGET_S, " s") if full else {}),
                   note=f"generator peak RSS {rss:,.0f} MB; disk {disk:,.0f} MB")]
