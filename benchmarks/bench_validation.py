"""Validation of a generated audits dataset vs DuckDB simply copying the same Parquet into
a table (the floor: reading and storing the rows with no checks)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from qa_insights.data.opening import open_store

from ._util import Result, median_time, peak_rss_in_subprocess, verdict
from .data import audits_parquet, datasets, describe

#: "validates in seconds" (Foundation issue): under a minute for 10M audits.
TARGET_S = 60.0


def run(full: bool) -> list[Result]:
    return [_run_one(audits_parquet(months * per_month, months), describe(months),
                     full) for months, per_month in datasets(full)]


def _run_one(folder: Path, shape: str, full: bool) -> Result:
    files = sorted(str(p) for p in folder.glob("audits*.parquet"))

    def ours() -> None:
        open_store(folder).close()

    def bare() -> None:
        con = duckdb.connect()
        con.execute("CREATE TABLE a AS SELECT * FROM read_parquet(?)", [files])
        con.close()

    repeat = 3
    ours_s = median_time(ours, repeat=repeat, warmup=0 if full else 1)
    _, rss = peak_rss_in_subprocess(
        f"from qa_insights.data.opening import open_store\nopen_store({str(folder)!r}).close()")
    bare_s = median_time(bare, repeat=repeat, warmup=0 if full else 1)
    rows = open_store(folder).validation.tables["audits"].read
    checks = [verdict(ours_s, TARGET_S, " s"), verdict(rss, 2048, " MB")]
    met = {"met": all(c["met"] for c in checks),
           "miss": "; ".join(c["miss"] for c in checks if c["miss"])}
    return Result(case=f"validate {rows:,} audits {shape} (Parquet)", ours_s=ours_s,
                  baseline="DuckDB CREATE TABLE AS read_parquet (no checks)",
                  baseline_s=bare_s, target=f"< {TARGET_S:.0f} s at 10M; peak < 2 GB",
                  **(met if full else {}),
                  note=f"peak RSS {rss:.0f} MB (validation alone, fresh process)")
