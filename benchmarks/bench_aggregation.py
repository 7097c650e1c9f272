"""Monthly quality summary by month x site x queue x market on a generated audits dataset.

Ours: :func:`qa_insights.quality.metrics.quality_summary` (the shared counts SQL in DuckDB plus
rates, Wilson intervals and flags in pandas). Baselines, each counting the same 14 numbers
per group, timed in alternation: a bare DuckDB ``GROUP BY`` with ``count(*) FILTER`` on the same connection and table,
and an idiomatic pandas ``groupby().agg()`` on the same rows already in memory (Arrow
strings; loading them is not timed). The query is measured on an already-open store:
validation (``open_store``) is measured by ``bench_validation``. Peak memory of the query is
measured in a fresh process, with the peak reset after opening the store.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from qa_insights.data.opening import open_store
from qa_insights.quality.metrics import quality_summary

from ._util import Result, verdict
from .data import audits_parquet, datasets, describe

BY = ["month", "site", "queue", "market"]

_BARE_SQL = """
SELECT month, site, queue, market, count(*) AS n_audits,
  count(*) FILTER (WHERE is_error) AS n_errors,
  count(*) FILTER (WHERE error_type = 'false_positive') AS n_false_positive,
  count(*) FILTER (WHERE error_type = 'false_negative') AS n_false_negative,
  count(*) FILTER (WHERE error_type = 'wrong_policy') AS n_wrong_policy,
  count(*) FILTER (WHERE moderator_decision <> 'no_violation') AS n_actioned,
  count(*) FILTER (WHERE truth <> 'no_violation') AS n_violating,
  count(*) FILTER (WHERE moderator_decision <> 'no_violation' AND truth <> 'no_violation')
    AS n_actioned_violating,
  count(*) FILTER (WHERE is_error AND severity = 'critical') AS n_critical,
  count(*) FILTER (WHERE is_error AND severity = 'major') AS n_major,
  count(*) FILTER (WHERE is_error AND severity = 'minor') AS n_minor,
  count(*) FILTER (WHERE moderator_decision <> auditor_decision) AS n_findings,
  count(*) FILTER (WHERE moderator_decision <> auditor_decision
           AND dispute_status IN ('upheld', 'overturned')) AS n_disputed,
  count(*) FILTER (WHERE dispute_status = 'overturned') AS n_overturned
FROM (SELECT *, CASE WHEN dispute_status = 'overturned' THEN moderator_decision
                     ELSE auditor_decision END AS truth FROM audits)
GROUP BY ALL
"""

_PANDAS_COLUMNS = ("SELECT month, site, queue, market, moderator_decision, auditor_decision, "
                   "severity, dispute_status, is_error, error_type FROM audits")


def _pandas_summary(df: pd.DataFrame) -> pd.DataFrame:
    """The same counts the idiomatic pandas way: boolean columns, then groupby-sum."""
    truth = df.auditor_decision.where(df.dispute_status != "overturned",
                                      df.moderator_decision)
    actioned = df.moderator_decision != "no_violation"
    violating = truth != "no_violation"
    finding = df.moderator_decision != df.auditor_decision
    err = df.is_error.fillna(False).astype(bool)
    flags = pd.DataFrame({
        "n_audits": 1,
        "n_errors": err,
        "n_false_positive": df.error_type == "false_positive",
        "n_false_negative": df.error_type == "false_negative",
        "n_wrong_policy": df.error_type == "wrong_policy",
        "n_actioned": actioned,
        "n_violating": violating,
        "n_actioned_violating": actioned & violating,
        "n_critical": err & (df.severity == "critical"),
        "n_major": err & (df.severity == "major"),
        "n_minor": err & (df.severity == "minor"),
        "n_findings": finding,
        "n_disputed": finding & df.dispute_status.isin(["upheld", "overturned"]),
        "n_overturned": df.dispute_status == "overturned",
    })
    flags = flags.fillna(False)
    return flags.groupby([df[c] for c in BY], observed=True).sum().reset_index()


def _interleaved(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median wall time of each function, alternating them in every round (after one
    untimed round) so that load from other processes hits all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for round_ in range(repeat + 1):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            if round_:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def _query_peak_mb(folder: str) -> tuple[float, float]:
    """(resident MB after opening the store, peak resident MB while the summary runs),
    in a fresh process; the peak is reset after opening (Linux /proc/self/clear_refs)."""
    code = f"""
import json, pathlib
from qa_insights.data.opening import open_store
from qa_insights.quality.metrics import quality_summary

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024

with open_store({folder!r}) as store:
    after_open = status("VmRSS")
    pathlib.Path("/proc/self/clear_refs").write_text("5")
    quality_summary(store, {BY!r})
    print(json.dumps([after_open, status("VmHWM")]))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    after_open, peak = json.loads(out)
    return float(after_open), float(peak)


def run(full: bool) -> list[Result]:
    return [r for months, per_month in datasets(full)
            for r in _run_one(audits_parquet(months * per_month, months),
                              describe(months))]


def _run_one(folder: Path, shape: str) -> list[Result]:
    repeat = 7
    with open_store(folder) as store:
        store.con.execute("SET enable_progress_bar = false")
        rows = store.con.execute("SELECT count(*) FROM audits").fetchall()[0][0]
        frame = store.con.sql(_PANDAS_COLUMNS).to_arrow_table().to_pandas()
        timings = _interleaved({
            "ours": lambda: quality_summary(store, BY),
            "bare": lambda: store.con.execute(_BARE_SQL).df(),
            "pandas": lambda: _pandas_summary(frame)}, repeat)
        check_ours = quality_summary(store, BY).set_index(BY).sort_index()
        check_bare = store.con.execute(_BARE_SQL).df().set_index(BY).sort_index()
    check_pandas = _pandas_summary(frame).set_index(BY).sort_index()
    for check in (check_bare, check_pandas):
        for col in check.columns:
            if not (check[col].astype("int64") == check_ours[col]).all():
                raise AssertionError(f"benchmark implementations disagree on {col}")
    after_open, peak = _query_peak_mb(str(folder))
    ours_s = timings["ours"]
    case = (f"quality_summary month x site x queue x market, {rows:,} audits {shape} "
            f"({len(check_ours):,} groups)")
    note = "query on an already-open store (validation: bench_validation); runs interleaved"
    return [
        Result(case=case, ours_s=ours_s, baseline="bare DuckDB GROUP BY (count FILTER)",
               baseline_s=timings["bare"], target="<= 1.5x",
               **verdict(ours_s / timings["bare"], 1.5, "x"), note=note),
        Result(case=case, ours_s=ours_s, baseline="pandas groupby (rows in memory)",
               baseline_s=timings["pandas"], target=">= 5x faster",
               **verdict(timings["pandas"] / ours_s, 5, "x", at_least=True),
               note="pandas gets the rows with derived columns as Arrow strings, untimed"),
        Result(case=case + ": peak memory of the query", ours_s=ours_s, target="peak < 1 GB",
               **verdict(peak, 1024, " MB"),
               note=f"peak RSS {peak:.0f} MB during the summary (reset after open_store; "
                    f"{after_open:.0f} MB resident after opening), fresh process"),
    ]
