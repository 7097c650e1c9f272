"""Monthly quality summary by month x site x queue x market on a generated audits dataset.

Ours: :func:`qa_insights.metrics.quality_summary` (the shared counts SQL in DuckDB plus
rates, Wilson intervals and flags in pandas). Baselines, each counting the same 14 numbers
per group: a bare DuckDB ``GROUP BY`` with ``count(*) FILTER`` on the same connection and table,
and an idiomatic pandas ``groupby().agg()`` on the same rows already in memory (Arrow
strings; loading them is not timed). The query is measured on an already-open store:
validation (``open_store``) is measured by ``bench_validation``. Peak memory is measured in
a fresh process: opening the store, then the summary.
"""

from __future__ import annotations

import pandas as pd

from qa_insights.metrics import quality_summary
from qa_insights.store import open_store

from ._util import Result, median_time, peak_rss_in_subprocess
from .data import audits_parquet

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


def run(full: bool) -> list[Result]:
    n = 10_000_000 if full else 300_000
    folder = audits_parquet(n)
    repeat = 5
    with open_store(folder) as store:
        rows = store.con.execute("SELECT count(*) FROM audits").fetchone()[0]

        def ours() -> pd.DataFrame:
            return quality_summary(store, BY)

        def bare() -> pd.DataFrame:
            return store.con.execute(_BARE_SQL).df()

        ours_s = median_time(ours, repeat=repeat)
        bare_s = median_time(bare, repeat=repeat)
        check_ours = ours().set_index(BY).sort_index()
        check_bare = bare().set_index(BY).sort_index()
        frame = store.con.sql(_PANDAS_COLUMNS).to_arrow_table().to_pandas()
    pandas_s = median_time(lambda: _pandas_summary(frame), repeat=3 if full else repeat)
    check_pandas = _pandas_summary(frame).set_index(BY).sort_index()
    for check in (check_bare, check_pandas):
        for col in check.columns:
            if not (check[col].astype("int64") == check_ours[col]).all():
                raise AssertionError(f"benchmark implementations disagree on {col}")
    _, rss = peak_rss_in_subprocess(
        "from qa_insights.store import open_store\n"
        "from qa_insights.metrics import quality_summary\n"
        f"with open_store({str(folder)!r}) as s:\n"
        f"    quality_summary(s, {BY!r})")
    groups = len(check_ours)
    case = f"quality_summary month x site x queue x market, {rows:,} audits ({groups:,} groups)"
    note = "query on an already-open store; validation measured in bench_validation"
    return [
        Result(case=case, ours_s=ours_s, baseline="bare DuckDB GROUP BY (count FILTER)",
               baseline_s=bare_s, target="<= 1.5x", met=ours_s <= 1.5 * bare_s, note=note),
        Result(case=case, ours_s=ours_s, baseline="pandas groupby (rows in memory)",
               baseline_s=pandas_s, target=">= 5x faster", met=ours_s * 5 <= pandas_s,
               note="pandas frame loaded before timing"),
        Result(case=case + ": peak memory", ours_s=ours_s, target="peak < 1 GB",
               met=rss < 1024,
               note=f"peak RSS {rss:.0f} MB, fresh process: open_store + summary"),
    ]
