"""Engine queries for the business review: volumes, handle time, calibration, metric actuals.

Every query aggregates in DuckDB and returns a small tidy frame; values from callers
(months, percentiles, dates) are bound as SQL parameters and dimension names are checked
against an allow-list. The SQL is a portable subset (CASE, SUM, COUNT, AVG, STDDEV_SAMP,
``PERCENTILE_CONT(?) WITHIN GROUP (ORDER BY ...)``, SUBSTR / CAST) that Spark SQL also runs.

:func:`metric_actuals` gives the actual value of every target metric per scope and month,
with an interval where the number is an estimate from a sample:

==========================  ===========================================  ==============
metric                      actual                                       interval
==========================  ===========================================  ==============
``accuracy``                1 - errors / audits (pooled audits)          Wilson
``critical_error_rate``     audits with a critical error / audits        Wilson
``calibration_accuracy``    rater labels equal to the expert's / labels  Wilson
``handle_time_s``           mean handle time of the audited decisions    Student t
``cost_per_item``           sum(cost) / sum(items_handled) (volumes)     none
==========================  ===========================================  ==============

Cost is an accounting total over every item, not a sample, so it has no sampling interval
(``ci_low``/``ci_high`` are NaN and ``interval`` is ``"none"``). The calibration interval
treats every rater-item label as independent; labels cluster by rater and item, so it is
narrower than the truth when few raters or items are involved. Errors and critical errors
come from :func:`qa_insights.data.queries.audit_counts` (the same counts as the quality report).

Examples
--------
>>> METRICS["critical_error_rate"].direction, METRICS["cost_per_item"].interval
('lower_is_better', 'none')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from qa_insights.data.columns import missing_columns
from qa_insights.data.queries import (
    DIMENSIONS,
    Filters,
    audit_counts,
    check_dimensions,
    store_dimensions,
    where_clause,
)
from qa_insights.stats.proportions import wilson_interval, z_value

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = [
    "ACTUAL_COLUMNS",
    "CALIBRATION_DIMENSIONS",
    "METRICS",
    "SCOPES",
    "VOLUME_DIMENSIONS",
    "Metric",
    "calibration_counts",
    "handle_time_stats",
    "mean_interval",
    "metric_actuals",
    "months_clause",
    "one_currency",
    "volume_totals",
]


@dataclass(frozen=True)
class Metric:
    """A target metric: which way is better, its ideal value and its interval.

    Attributes
    ----------
    name : str
        Metric name as in the ``targets`` table.
    direction : {"higher_is_better", "lower_is_better"}
        Which way is better.
    ideal : float or None
        Best possible value (1 for accuracies, 0 for rates, times and costs).
    interval : {"wilson", "t", "none"}
        Interval of the actual value.
    """

    name: str
    direction: str
    ideal: float | None
    interval: str


#: The target metrics of the data contract.
METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("accuracy", "higher_is_better", 1.0, "wilson"),
    Metric("critical_error_rate", "lower_is_better", 0.0, "wilson"),
    Metric("calibration_accuracy", "higher_is_better", 1.0, "wilson"),
    Metric("handle_time_s", "lower_is_better", 0.0, "t"),
    Metric("cost_per_item", "lower_is_better", 0.0, "none"),
)}

#: Scopes of the targets table -> dimension (None for the whole organisation).
SCOPES: dict[str, str | None] = {"org": None, "site": "site", "queue": "queue",
                                 "market": "market"}

#: Dimensions of the ``volumes`` table.
VOLUME_DIMENSIONS: tuple[str, ...] = ("month", "site", "queue")

#: Dimensions of the calibration accuracy query -> SQL expression over the rated labels.
CALIBRATION_DIMENSIONS: tuple[str, ...] = ("month", "site", "queue")


def months_clause(column: str, months: str | Sequence[str] | None) -> tuple[str, list[str]]:
    """``column IN (?, ...)`` and its parameters; ``("TRUE", [])`` when ``months`` is None.

    Examples
    --------
    >>> months_clause("month", ["2026-09", "2026-10"])
    ('month IN (?, ?)', ['2026-09', '2026-10'])
    """
    if months is None:
        return "TRUE", []
    values = [months] if isinstance(months, str) else list(months)
    if not values:
        raise ValueError("months: empty list")
    return f"{column} IN ({', '.join('?' * len(values))})", values


def _group(by: Sequence[str]) -> tuple[str, str]:
    select = "".join(f"{d}, " for d in by)
    group = f" GROUP BY {', '.join(by)} ORDER BY {', '.join(by)}" if by else ""
    return select, group


def one_currency(currencies: Iterable[object], table: str) -> str:
    """The one currency of a table's money columns ("" when it has none).

    Raises
    ------
    ValueError
        Several currencies: amounts in different currencies cannot be added up; the
        message names the table's file and the currencies found.

    Examples
    --------
    >>> one_currency(["USD", "USD", None], "volumes")
    'USD'
    >>> one_currency(["USD", "EUR"], "volumes")
    Traceback (most recent call last):
    ...
    ValueError: volumes (volumes.csv): costs in more than one currency (EUR, USD); amounts in different currencies cannot be added up: convert them to one currency first
    """
    found = sorted({c.strip() for c in currencies if isinstance(c, str) and c.strip()})
    if len(found) > 1:
        raise ValueError(f"{table} ({table}.csv): costs in more than one currency "
                         f"({', '.join(found)}); amounts in different currencies cannot be "
                         "added up: convert them to one currency first")
    return found[0] if found else ""


def volume_totals(store: Store, by: Sequence[str] | str = ("site", "month"),
                  months: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Items handled, productive hours, headcount and cost summed per group of ``volumes``.

    Parameters
    ----------
    store : Store
        Open store.
    by : sequence of str or str
        Subset of :data:`VOLUME_DIMENSIONS`.
    months : str or sequence of str, optional
        Months to keep (all when None).

    Returns
    -------
    DataFrame
        ``by``, ``items_handled`` (int), ``productive_hours``, ``headcount``, ``cost``,
        ``currency`` (the one currency of the rows; several raise ``ValueError``).

    Examples
    --------
    >>> volume_totals(store, ["site"], "2026-10")                      # doctest: +SKIP
    """
    by = check_dimensions(by, {d: d for d in VOLUME_DIMENSIONS})
    where, params = months_clause("month", months)
    select, group = _group(by)
    sql = (f"SELECT {select}SUM(items_handled) AS items_handled, "
           "SUM(productive_hours) AS productive_hours, SUM(headcount) AS headcount, "
           "SUM(cost) AS cost, MIN(currency) AS currency, "
           "COUNT(DISTINCT currency) AS n_currencies "
           f"FROM volumes WHERE {where}{group}")
    out = store.query(sql, params)
    if (out["n_currencies"] > 1).any() or out["currency"].dropna().nunique() > 1:
        found = store.query(f"SELECT DISTINCT currency FROM volumes WHERE {where}", params)
        one_currency(found["currency"], "volumes")
    out = out.drop(columns="n_currencies")
    if by and out.empty:
        return out
    out["items_handled"] = out["items_handled"].fillna(0).astype("int64")
    return out


def handle_time_stats(store: Store, by: Sequence[str] | str = ("site", "month"),
                      months: str | Sequence[str] | None = None,
                      percentiles: Sequence[float] = (0.5, 0.9),
                      before: str | None = None, *,
                      filters: Filters | None = None) -> pd.DataFrame:
    """Handle time of the audited decisions per group: n, mean, sd and percentiles.

    Parameters
    ----------
    store : Store
        Open store.
    by : sequence of str or str
        Dimensions (keys of :data:`qa_insights.data.queries.DIMENSIONS`).
    months : str or sequence of str, optional
        Months to keep.
    percentiles : sequence of float
        Levels in (0, 1); column ``handle_time_p<100 * level>_s`` each (continuous
        percentile, as ``numpy.percentile``'s default).
    before : str, optional
        Keep audits with ``audited_at`` before this timestamp (``'YYYY-MM-DD'`` means
        that day's midnight UTC): month-to-date figures.
    filters : mapping, optional
        Dimension -> value(s) the audits must have (:func:`qa_insights.data.queries.where_clause`).

    Returns
    -------
    DataFrame
        ``by``, ``n_handle_time`` (audits with a handle time), ``handle_time_mean_s``,
        ``handle_time_sd_s``, then the percentile columns.

    Examples
    --------
    >>> handle_time_stats(store, ["site"], "2026-10")                   # doctest: +SKIP
    """
    by = check_dimensions(by)
    levels = [float(p) for p in percentiles]
    if any(not 0.0 < p < 1.0 for p in levels):
        raise ValueError(f"percentiles must lie in (0, 1); got {levels}")
    where, params = months_clause("month", months)
    if before is not None:
        where += " AND audited_at < CAST(? AS TIMESTAMP)"
        params.append(before)
    scope, scope_params = where_clause(filters, store_dimensions(store))
    if scope:
        where += " AND " + scope.removeprefix(" WHERE ")
        params += scope_params
    dims = "".join(f"{DIMENSIONS[d]} AS {d}, " for d in by)
    pct = "".join(f", PERCENTILE_CONT(?) WITHIN GROUP (ORDER BY handle_time_s) AS "
                  f"handle_time_p{_pct_name(p)}_s" for p in levels)
    group = (f" GROUP BY {', '.join(DIMENSIONS[d] for d in by)} ORDER BY {', '.join(by)}"
             if by else "")
    sql = (f"SELECT {dims}COUNT(handle_time_s) AS n_handle_time, "
           "AVG(handle_time_s) AS handle_time_mean_s, "
           f"STDDEV_SAMP(handle_time_s) AS handle_time_sd_s{pct} "
           f"FROM audits WHERE handle_time_s IS NOT NULL AND {where}{group}")
    out = store.query(sql, [*levels, *params])
    out["n_handle_time"] = out["n_handle_time"].fillna(0).astype("int64")
    return out


def _pct_name(p: float) -> str:
    return f"{100 * p:g}".replace(".", "_")


def calibration_counts(store: Store, by: Sequence[str] | str = ("month",),
                       months: str | Sequence[str] | None = None,
                       before: str | None = None) -> pd.DataFrame:
    """Rater labels that match the expert's (golden) label, per group.

    Every non-expert label of an item is compared with the expert label of the same
    session and item; items whose experts disagree among themselves have no gold and
    are left out. ``month`` is the session's month, ``site`` the rater's site, ``queue``
    the item's queue.

    Parameters
    ----------
    store : Store
        Open store (table ``calibration``; empty when the folder had none).
    by : sequence of str or str
        Subset of :data:`CALIBRATION_DIMENSIONS`.
    months : str or sequence of str, optional
        Months to keep.
    before : str, optional
        Keep sessions dated before this day (``'YYYY-MM-DD'``).

    Returns
    -------
    DataFrame
        ``by``, ``n_labels`` and ``n_correct`` (int).

    Examples
    --------
    >>> calibration_counts(store, ["month", "site"])                    # doctest: +SKIP
    """
    by = check_dimensions(by, {d: d for d in CALIBRATION_DIMENSIONS})
    where, params = months_clause("month", months)
    if before is not None:
        where += " AND session_date < CAST(? AS DATE)"
        params.append(before)
    select, group = _group(by)
    sql = ("WITH gold AS (SELECT session_id, item_id, MIN(label) AS gold_label "
           "FROM calibration WHERE rater_role = 'expert' GROUP BY session_id, item_id "
           "HAVING COUNT(DISTINCT label) = 1), "
           "rated AS (SELECT SUBSTR(CAST(c.session_date AS VARCHAR), 1, 7) AS month, "
           "c.session_date, c.site, c.queue, "
           "CASE WHEN c.label = g.gold_label THEN 1 ELSE 0 END AS correct "
           "FROM calibration c JOIN gold g "
           "ON c.session_id = g.session_id AND c.item_id = g.item_id "
           "WHERE c.rater_role <> 'expert') "
           f"SELECT {select}COUNT(*) AS n_labels, SUM(correct) AS n_correct "
           f"FROM rated WHERE {where}{group}")
    out = store.query(sql, params)
    for c in ("n_labels", "n_correct"):
        out[c] = out[c].fillna(0).astype("int64")
    return out


def mean_interval(mean: ArrayLike, sd: ArrayLike, n: ArrayLike,
                  confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Student-t interval of a mean, ``mean -/+ t(n-1) sd / sqrt(n)`` (NaN for n < 2).

    Examples
    --------
    >>> lo, hi = mean_interval(np.array([10.0]), np.array([2.0]), np.array([16]))
    >>> round(float(lo[0]), 4), round(float(hi[0]), 4)
    (8.9343, 11.0657)
    """
    mean, sd, n = (np.asarray(a, dtype=float) for a in (mean, sd, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf(0.5 + confidence / 2.0, np.where(n >= 2, n - 1, np.nan))
        half = t * sd / np.sqrt(n)
    return mean - half, mean + half


#: Columns of :func:`metric_actuals`.
ACTUAL_COLUMNS: list[str] = ["metric", "scope", "scope_value", "month", "actual", "ci_low",
                             "ci_high", "n", "successes", "sd", "interval"]


def _tidy(frame: pd.DataFrame, metric: str, scope: str, dim: str | None) -> pd.DataFrame:
    out = pd.DataFrame({
        "metric": metric, "scope": scope,
        "scope_value": frame[dim].astype(str) if dim else "",
        "month": frame["month"].astype(str)})
    for c in ("actual", "ci_low", "ci_high", "n", "successes", "sd"):
        out[c] = frame[c].to_numpy(dtype=float)
    out["interval"] = METRICS[metric].interval
    return out


def _audit_counts(store: Store, by: list[str], months: str | Sequence[str] | None,
                  before: str | None) -> pd.DataFrame:
    """Audits, errors and critical errors per group; month-to-date when ``before`` is set.

    Whole months come from :func:`qa_insights.data.queries.audit_counts` (the quality report's
    counts); a cut-off needs a timestamp bound that the metrics filters (equality / IN)
    cannot express, so this small query counts the store's ``is_error`` column the same way.
    """
    if before is None:
        return audit_counts(store, by, filters={"month": months})[
            [*by, "n_audits", "n_errors", "n_critical"]]
    where, params = months_clause("month", months)
    dims = "".join(f"{DIMENSIONS[d]} AS {d}, " for d in by)
    sql = (f"SELECT {dims}COUNT(*) AS n_audits, "
           "SUM(CASE WHEN is_error THEN 1 ELSE 0 END) AS n_errors, "
           "SUM(CASE WHEN is_error AND severity = 'critical' THEN 1 ELSE 0 END) AS n_critical "
           f"FROM audits WHERE {where} AND audited_at < CAST(? AS TIMESTAMP) "
           f"GROUP BY {', '.join(DIMENSIONS[d] for d in by)} ORDER BY {', '.join(by)}")
    out = store.query(sql, [*params, before])
    for c in ("n_audits", "n_errors", "n_critical"):
        out[c] = out[c].fillna(0).astype("int64")
    return out


def metric_actuals(store: Store, months: str | Sequence[str] | None = None, *,
                   metrics: Sequence[str] = tuple(METRICS),
                   scopes: Sequence[str] = tuple(SCOPES),
                   confidence: float = 0.95, before: str | None = None) -> pd.DataFrame:
    """Actual value of every target metric per scope, scope value and month.

    Parameters
    ----------
    store : Store
        Open store.
    months : str or sequence of str, optional
        Months to compute (all when None).
    metrics : sequence of str
        Keys of :data:`METRICS`.
    scopes : sequence of str
        Keys of :data:`SCOPES`. A metric that has no figure at a scope (cost and
        calibration by market: the tables carry no market) gives no rows there.
    confidence : float
        Level of the intervals.
    before : str, optional
        Month-to-date cut-off ``'YYYY-MM-DD'`` (exclusive, midnight UTC): only audits and
        calibration sessions before it count; ``cost_per_item`` (monthly volumes) is then
        left out.

    Returns
    -------
    DataFrame
        ``metric, scope, scope_value`` (``""`` for org), ``month, actual, ci_low,
        ci_high, n`` (audits, labels, timed audits or items handled), ``successes``
        (correct audits / critical errors / correct labels; NaN for means and costs),
        ``sd`` (per-unit standard deviation: ``sqrt(p (1 - p))`` for proportions, the
        sample sd of handle times, NaN for cost), ``interval`` (``"wilson"``, ``"t"`` or
        ``"none"``; see the module docstring).

    Examples
    --------
    >>> metric_actuals(store, "2026-10", scopes=["org", "site"])         # doctest: +SKIP
    """
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; known: {', '.join(METRICS)}")
    bad = [s for s in scopes if s not in SCOPES]
    if bad:
        raise ValueError(f"unknown scope(s) {bad}; known: {', '.join(SCOPES)}")
    z_value(confidence)  # validates the level before any query runs
    frames = []

    def proportion(f: pd.DataFrame, x: np.ndarray, n: np.ndarray) -> pd.DataFrame:
        lo, hi = wilson_interval(x, n, confidence) if len(f) else ([], [])
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(n > 0, x / n, np.nan)
        return f.assign(actual=p, ci_low=lo, ci_high=hi, n=n, successes=x,
                        sd=np.sqrt(p * (1 - p)))

    for scope in scopes:
        dim = SCOPES[scope]
        by = ["month"] + ([dim] if dim else [])
        if {"accuracy", "critical_error_rate"} & set(metrics):
            c = _audit_counts(store, by, months, before)
            n = c["n_audits"].to_numpy(dtype=float)
            critical = (np.full(len(c), np.nan) if "severity" in missing_columns(store)
                        else c["n_critical"].to_numpy(dtype=float))  # no severity: unknown, not 0
            for metric, x in (("accuracy", n - c["n_errors"].to_numpy(dtype=float)),
                              ("critical_error_rate", critical)):
                if metric in metrics:
                    frames.append(_tidy(proportion(c[by], x, n), metric, scope, dim))
        if "calibration_accuracy" in metrics and scope != "market":
            c = calibration_counts(store, by, months, before)
            f = proportion(c[by], c["n_correct"].to_numpy(dtype=float),
                           c["n_labels"].to_numpy(dtype=float))
            frames.append(_tidy(f, "calibration_accuracy", scope, dim))
        if "handle_time_s" in metrics:
            h = handle_time_stats(store, by, months, percentiles=(), before=before)
            lo, hi = mean_interval(h["handle_time_mean_s"], h["handle_time_sd_s"],
                                   h["n_handle_time"], confidence)
            f = h[by].assign(actual=h["handle_time_mean_s"], ci_low=lo, ci_high=hi,
                             n=h["n_handle_time"], successes=np.nan,
                             sd=h["handle_time_sd_s"])
            frames.append(_tidy(f, "handle_time_s", scope, dim))
        if "cost_per_item" in metrics and scope != "market" and before is None:
            v = volume_totals(store, by, months)
            items = v["items_handled"].to_numpy(dtype=float)
            f = v[by].assign(actual=v["cost"] / np.where(items > 0, items, np.nan),
                             ci_low=np.nan, ci_high=np.nan, n=items, successes=np.nan,
                             sd=np.nan)
            frames.append(_tidy(f, "cost_per_item", scope, dim))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=ACTUAL_COLUMNS)
    return pd.concat(frames, ignore_index=True)[ACTUAL_COLUMNS]
