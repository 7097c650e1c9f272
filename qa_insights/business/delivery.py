"""Delivery and efficiency: SLA attainment, backlog, weekly trends and staffing.

From the optional ``volumes`` columns ``items_due``, ``items_within_sla``,
``backlog_end`` and ``planned_productive_hours``:

* :func:`sla_by_month`: SLA attainment (items within SLA / items due) and backlog per
  month and group;
* :func:`unusual_month`: whether a month's value is outside what its recent history
  predicts. SLA attainment and backlog move from month to month by more than binomial
  noise (staffing, volume spikes), so the reference is the month-to-month variation
  itself: with the previous ``history`` months' mean ``m`` and standard deviation ``s``
  (``k`` months), the one-sided prediction bound is ``m -/+ t(k-1) s sqrt(1 + 1/k)``
  at level ``1 - alpha / G``, Bonferroni across the ``G`` groups tested. Under stable
  months with independent normal variation the chance of calling any group unusual is at
  most ``alpha``. Backlog is compared on the log scale (growth is multiplicative);
* :func:`sla_drops`: attainment dropped (below the lower bound) and backlog rose (above
  the upper bound) per site and for the organisation;
* :func:`weekly_trend`: accuracy and handle time per ISO week, with 95% intervals;
* :func:`staffing`: items per productive hour, utilisation and productive hours against
  the plan.

Examples
--------
>>> history = pd.Series([0.95, 0.96, 0.955, 0.952, 0.958, 0.954])
>>> r = unusual_month(history, 0.90, direction="lower")
>>> bool(r["flagged"]), round(float(r["bound"]), 4)
(True, 0.9468)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from qa_insights.business.actuals import handle_time_stats, mean_interval
from qa_insights.business.costs import HOURS_PER_FTE
from qa_insights.business.projects import records
from qa_insights.data.queries import Filters
from qa_insights.quality.metrics import quality_summary
from qa_insights.stats.proportions import wilson_interval

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = ["SLA_COLUMNS", "sla_by_month", "sla_drops", "staffing", "store_sla_by_month",
           "unusual_month", "weekly_trend"]

#: Columns of :func:`sla_drops`.
SLA_COLUMNS: list[str] = ["group", "month", "items_due", "items_within_sla", "attainment",
                          "attainment_ci_low", "attainment_ci_high", "attainment_before",
                          "attainment_bound", "sla_dropped", "backlog_end", "backlog_before",
                          "backlog_change_pct", "backlog_bound", "backlog_rose"]


def sla_by_month(volumes: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """SLA attainment and end-of-month backlog per month (and ``by`` group) (pure).

    Parameters
    ----------
    volumes : DataFrame
        ``month``, ``by``, ``items_due, items_within_sla, backlog_end``.
    by : str, optional
        Group column (``site``, ``queue``); None: the organisation.

    Returns
    -------
    DataFrame
        ``group, month, items_due, items_within_sla, backlog_end, attainment,
        attainment_ci_low, attainment_ci_high`` (Wilson; descriptive).

    Examples
    --------
    >>> v = pd.DataFrame({"month": ["2026-09", "2026-09"], "items_due": [100, 300],
    ...                   "items_within_sla": [90, 290], "backlog_end": [5, 7]})
    >>> sla_by_month(v)[["group", "attainment", "backlog_end"]].values.tolist()
    [['org', 0.95, 12]]
    """
    keys = ["month"] if by is None else [by, "month"]
    cols = ["items_due", "items_within_sla", "backlog_end"]
    out = volumes.groupby(keys, as_index=False)[cols].sum(min_count=1)
    out.insert(0, "group", "org" if by is None else out.pop(by).astype(str))
    due = out["items_due"].to_numpy(dtype=float)
    met = out["items_within_sla"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["attainment"] = np.where(due > 0, met / due, np.nan)
    ok = due > 0
    low = np.full(due.size, np.nan)
    high = np.full(due.size, np.nan)
    if ok.any():
        low[ok], high[ok] = wilson_interval(met[ok], due[ok])
    out["attainment_ci_low"], out["attainment_ci_high"] = low, high
    return out.sort_values(["group", "month"]).reset_index(drop=True)


def unusual_month(history: pd.Series | np.ndarray, value: float, *,
                  direction: Literal["lower", "higher"], level: float = 0.95,
                  log: bool = False) -> dict[str, Any]:
    """Whether ``value`` lies beyond the one-sided prediction bound of ``history`` (pure).

    Parameters
    ----------
    history : array_like
        The previous months' values (NaN dropped); fewer than 3 gives no bound.
    value : float
        This month's value.
    direction : {"lower", "higher"}
        Which side is unusual.
    level : float
        One-sided level of the bound.
    log : bool
        Compare logarithms (positive values; growth is multiplicative).

    Returns
    -------
    dict
        ``mean`` (of the history, back on the original scale), ``bound`` and ``flagged``.
    """
    h = np.asarray(history, dtype=float)
    h = h[~np.isnan(h)]
    if log:
        h = np.log(h[h > 0])
    k = h.size
    if k < 3 or np.isnan(value) or (log and value <= 0):
        mean = float(np.exp(h.mean()) if log else h.mean()) if k else np.nan
        return {"mean": mean, "bound": np.nan, "flagged": False}
    x = float(np.log(value) if log else value)
    half = float(stats.t.ppf(level, k - 1)) * float(h.std(ddof=1)) * np.sqrt(1 + 1 / k)
    bound = h.mean() - half if direction == "lower" else h.mean() + half
    flagged = x < bound if direction == "lower" else x > bound
    back = np.exp if log else (lambda v: v)
    return {"mean": float(back(h.mean())), "bound": float(back(bound)), "flagged": bool(flagged)}


def sla_drops(monthly: pd.DataFrame, month: str, *, history: int = 6,
              alpha: float = 0.05) -> pd.DataFrame:
    """This month's SLA attainment and backlog of every group against its history (pure).

    Parameters
    ----------
    monthly : DataFrame
        :func:`sla_by_month` rows (one or more groups).
    month : str
        The month tested.
    history : int
        Previous months forming the reference.
    alpha : float
        Family-wise error rate per question (attainment dropped; backlog rose), Bonferroni
        across the groups.

    Returns
    -------
    DataFrame
        :data:`SLA_COLUMNS`, one row per group with data in ``month``.
    """
    now = monthly[(monthly["month"] == month) & (monthly["items_due"] > 0)]
    level = 1 - alpha / max(len(now), 1)
    earlier = monthly[monthly["month"] < month].sort_values("month")
    pasts = {str(g): (f["attainment"].to_numpy(float)[-history:],
                      f["backlog_end"].to_numpy(float)[-history:])
             for g, f in earlier.groupby("group")}
    none = (np.array([]), np.array([]))
    rows = []
    for r in records(now):
        past_attainment, past_backlog = pasts.get(str(r["group"]), none)
        att = unusual_month(past_attainment, float(r["attainment"]), direction="lower",
                            level=level)
        backlog = float(r["backlog_end"]) if pd.notna(r["backlog_end"]) else np.nan
        back = unusual_month(past_backlog, backlog, direction="higher", level=level,
                             log=True)
        change = 100 * (backlog / back["mean"] - 1) if back["mean"] > 0 else np.nan
        rows.append([r["group"], month, r["items_due"], r["items_within_sla"],
                     r["attainment"], r["attainment_ci_low"], r["attainment_ci_high"],
                     att["mean"], att["bound"],
                     att["flagged"], backlog, back["mean"], change, back["bound"],
                     back["flagged"]])
    return pd.DataFrame(rows, columns=SLA_COLUMNS)


def store_sla_by_month(store: Store, by: str | None = None) -> pd.DataFrame | None:
    """:func:`sla_by_month` of the store's volumes, or None when volumes carry no
    ``items_due``.

    Examples
    --------
    >>> store_sla_by_month(store, "site")                               # doctest: +SKIP
    """
    if not store.table_present("volumes") or not int(store.query(
            "SELECT count(items_due) AS n FROM volumes")["n"].iloc[0]):
        return None
    group = "" if by is None else f"{ {'site': 'site', 'queue': 'queue'}[by]}, "
    v = store.query(f"SELECT {group}month, items_due, items_within_sla, backlog_end "
                    "FROM volumes WHERE items_due IS NOT NULL")
    return sla_by_month(v, by)


def weekly_trend(store: Store, months: Sequence[str], *, min_n: int = 30,
                 filters: Filters | None = None) -> pd.DataFrame:
    """Accuracy and mean handle time per ISO week of the audits of ``months`` (within
    ``filters``: dimension -> value(s), e.g. a site).

    Returns
    -------
    DataFrame
        ``week`` (the Monday), ``n_audits, n_errors, accuracy, ci_low, ci_high``,
        ``handle_time_mean_s, handle_time_ci_low_s, handle_time_ci_high_s``. The first and
        last weeks may be partial (fewer audits, wider intervals).

    Examples
    --------
    >>> weekly_trend(store, ["2026-09", "2026-10"]).week.iloc[0]       # doctest: +SKIP
    '2026-08-31'
    """
    scope = {k: v for k, v in (filters or {}).items() if k != "month"}
    quality = quality_summary(store, "week", min_n=min_n,
                              filters={**scope, "month": list(months)})
    handle = handle_time_stats(store, ["week"], list(months), percentiles=(0.5,),
                               filters=scope)
    low, high = mean_interval(handle["handle_time_mean_s"].to_numpy(),
                              handle["handle_time_sd_s"].to_numpy(),
                              handle["n_handle_time"].to_numpy())
    handle = handle.assign(handle_time_ci_low_s=low, handle_time_ci_high_s=high)
    out = quality[["week", "n_audits", "n_errors", "accuracy", "ci_low", "ci_high"]].merge(
        handle[["week", "handle_time_mean_s", "handle_time_ci_low_s", "handle_time_ci_high_s"]],
        on="week", how="left")
    return out.sort_values("week").reset_index(drop=True)


def staffing(volumes: pd.DataFrame, *, hours_per_fte: float = HOURS_PER_FTE) -> pd.DataFrame:
    """Items per productive hour, utilisation and hours against plan per site (pure).

    Parameters
    ----------
    volumes : DataFrame
        ``site, items_handled, productive_hours, headcount`` and optionally
        ``planned_productive_hours`` (one month).

    Returns
    -------
    DataFrame
        ``site, items_handled, productive_hours, items_per_hour, utilisation`` (productive
        over paid hours, ``headcount x hours_per_fte``), ``planned_productive_hours,
        hours_vs_plan_pct`` (NaN without a plan).

    Examples
    --------
    >>> v = pd.DataFrame({"site": ["a"], "items_handled": [800], "productive_hours": [100.0],
    ...                   "headcount": [1.0], "planned_productive_hours": [125.0]})
    >>> staffing(v)[["items_per_hour", "utilisation", "hours_vs_plan_pct"]].round(6).values.tolist()
    [[8.0, 0.625, -20.0]]
    """
    v = volumes if "planned_productive_hours" in volumes else volumes.assign(
        planned_productive_hours=np.nan)
    out = v.groupby("site", as_index=False).agg(
        items_handled=("items_handled", "sum"), productive_hours=("productive_hours", "sum"),
        headcount=("headcount", "sum"),
        planned_productive_hours=("planned_productive_hours", lambda s: s.sum(min_count=1)))
    hours = out["productive_hours"].to_numpy(dtype=float)
    paid = out["headcount"].to_numpy(dtype=float) * hours_per_fte
    plan = out["planned_productive_hours"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["items_per_hour"] = np.where(hours > 0, out["items_handled"] / hours, np.nan)
        out["utilisation"] = np.where(paid > 0, hours / paid, np.nan)
        out["hours_vs_plan_pct"] = np.where(plan > 0, 100 * (hours / plan - 1), np.nan)
    return out[["site", "items_handled", "productive_hours", "items_per_hour", "utilisation",
                "planned_productive_hours", "hours_vs_plan_pct"]]
