"""Ingest once, build many: the ingested store against one validation of the same data.

Data: 13 months of hive-partitioned Parquet (1M audits a month at full size, the issue's
``sample-data --months 13 --audits-per-month 1000000 --format parquet
--partition-by-month``; 2,000 at smoke size). Every case is a ratio against one
``validate`` of the same data (``open_store`` on the raw folder, a fresh process) measured
in the same run:

* **ingest** the whole folder into a new store;
* **open the store** and answer a first query (audits by month), with its peak memory;
* **re-ingest after one month's files change** against validating that month alone;
* **the month's report set** built from the store and from the raw folder (full size:
  the issue's ten reports, ``--jobs 2``, against its target; then every report ``all``
  builds, which at this size adds a deep dive for each site that missed a target; smoke
  size: the MQR alone).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ._util import Result, peak_rss_in_subprocess, verdict
from .data import CACHE

MONTHS, END = 13, "2026-10"

#: The month's ten reports of issue #20's target: the MQR, the MBR, the calibration report,
#: target planning, the experiment readout and the deep dives of the five largest queues.
TEN_REPORTS = ",".join(["mqr", "mbr", "calibration", "target_planning", "experiment_readout",
                        *(f"rca:queue={q}" for q in ("hate_speech", "harassment",
                                                     "misinformation", "spam", "nudity"))])

#: Imported before the timing starts (an analyst's kernel has them imported already).
_IMPORTS = "from qa_insights.data.ingest import ingest\nfrom qa_insights.data.opening import open_store"

_VALIDATE = """
with open_store({folder!r}, months={months!r}) as store:
    store.validation.summary()
"""

_OPEN = """
with open_store({store!r}) as store:
    store.query("SELECT month, count(*) AS n FROM audits GROUP BY 1")
"""

_INGEST = """
ingest({folder!r}, {store!r})
"""


def _timed(code: str) -> tuple[float, float]:
    """Wall seconds (imports excluded) and peak RSS (MB) of ``code`` in a fresh process."""
    return peak_rss_in_subprocess(code, setup=_IMPORTS)


def _data(per_month: int) -> Path:
    from qa_insights.data.sample_data import generate

    folder = CACHE / f"ingest_{per_month}x{MONTHS}_hive"
    if not (folder / ".complete").exists():
        generate(folder, months=MONTHS, audits_per_month=per_month, end_month=END,
                 fmt="parquet", partition_by_month=True)
        (folder / ".complete").touch()
    return folder


def _rewrite_month(folder: Path, month: str) -> None:
    """Rewrite one month's Parquet files with other compression: same rows, new bytes."""
    import duckdb

    from qa_insights.data.sql import sql_str

    for path in sorted((folder / "audits" / f"month={month}").glob("*.parquet")):
        tmp = path.with_suffix(".tmp")
        con = duckdb.connect()
        try:
            con.execute(f"COPY (SELECT * FROM read_parquet({sql_str(str(path))})) TO "
                        f"{sql_str(str(tmp))} (FORMAT parquet, COMPRESSION snappy)")
        finally:
            con.close()
        tmp.replace(path)


def _build(source: list[str], out: Path, reports: str, jobs: int) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "qa_insights.cli", "build", *source, "--month", END,
                    "--reports", reports, "--jobs", str(jobs), "--out", str(out), "--force"],
                   check=True, capture_output=True)
    return time.perf_counter() - start


def run(full: bool) -> list[Result]:
    per_month = 1_000_000 if full else 2_000
    reports, jobs = (TEN_REPORTS, 2) if full else ("mqr", 1)
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ingest-", dir=CACHE) as tmp:
        root = Path(tmp)
        data = root / "data"
        subprocess.run(["cp", "-r", str(_data(per_month)), str(data)], check=True)
        store = root / "store.duckdb"
        validate_s, validate_mb = _timed(
            _VALIDATE.format(folder=str(data), months=None))
        ingest_s, ingest_mb = _timed(
            _INGEST.format(folder=str(data), store=str(store)))
        open_s, open_mb = _timed(_OPEN.format(store=str(store)))
        month = "2026-04"
        month_s, _ = _timed(_VALIDATE.format(folder=str(data),
                                                              months=[month]))
        _rewrite_month(data, month)
        again_s, _ = _timed(_INGEST.format(folder=str(data), store=str(store)))
        from_store = _build(["--store", str(store)], root / "out-store", reports, jobs)
        from_raw = _build(["--data", str(data)], root / "out-raw", reports, jobs)
        every = (_build(["--store", str(store)], root / "out-all", "all", jobs),
                 len(list((root / "out-all" / END).glob("*.html")))) if full else None
        rows = _rows(store)
        store_mb = store.stat().st_size / 2**20
    size = f"{rows / 1e6:.1f}M" if rows >= 10**6 else f"{rows:,}"
    validate = f"one validate ({size} audits)"
    report_set = "the month's ten reports" if full else "one MQR"
    extra = [] if every is None else [
        Result(case=f"ingest: every report of the month ({every[1]}) from the store",
               ours_s=every[0], baseline=validate, baseline_s=validate_s,
               note="`--reports all`: the ten and a deep dive per site that missed a target")]
    return [
        Result(case=f"ingest: ingest {size} audits, {MONTHS} months hive Parquet",
               ours_s=ingest_s, baseline=validate, baseline_s=validate_s,
               note=f"peak RSS {ingest_mb:,.0f} MB (validate {validate_mb:,.0f} MB); "
                    f"store {store_mb:,.0f} MB"),
        Result(case="ingest: open the ingested store + first query",
               ours_s=open_s, baseline=validate, baseline_s=validate_s,
               target="< 2 s, peak < 1 GB" if full else "",
               **(verdict(max(open_s / 2, open_mb / 1024), 1, "") if full else {}),
               note=f"peak RSS {open_mb:,.0f} MB"),
        Result(case="ingest: re-ingest after one month's files changed",
               ours_s=again_s, baseline="validate that month alone", baseline_s=month_s,
               target="ratio <= 1.5" if full else "",
               **(verdict(again_s / month_s, 1.5, "x") if full else {})),
        Result(case=f"ingest: {report_set} from the store",
               ours_s=from_store, baseline=validate, baseline_s=validate_s,
               target="ratio <= 2.5 (10 reports, --jobs 2)" if full else "",
               **(verdict(from_store / validate_s, 2.5, "x") if full else {}),
               note=f"from the raw folder: {from_raw:.1f} s "
                    f"({from_raw / validate_s:.1f}x validate)"),
        Result(case=f"ingest: {report_set} from the raw folder",
               ours_s=from_raw, baseline=validate, baseline_s=validate_s,
               note="every report validates its 13-month window again"),
        *extra,
    ]


def _rows(store: Path) -> int:
    from qa_insights.data.opening import open_store

    with open_store(store) as opened:
        return opened.validation.tables["audits"].read
