"""Experiment readout from the store: a change to some scopes (a retraining at a site, a
new guideline on a queue) read out against the untouched scopes.

:func:`experiment_readout` gathers everything the readout notebook shows: the design (the
months before and after the start, the arms and their audits), the minimum detectable
effects of that design (stated before the result), the difference-in-differences of the
error rate with its interval, the post-period A/B comparison, the parallel-trends check of
the pre-period, and two guardrails: the critical-error rate (a DiD like the main metric)
and the mean handle time (a DiD of means, standard error
``sqrt(sum_cells sd**2 / n)``).

Examples
--------
>>> r = experiment_readout(store, "site", ["bpo_gamma_hyderabad"], None, "2026-08")  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd
from scipy import stats

from qa_insights.business.actuals import handle_time_stats
from qa_insights.data.months import check_month, month_range, shift_month
from qa_insights.data.queries import audit_counts, check_dimensions, store_dimensions
from qa_insights.data.sample_data import PLANTED
from qa_insights.data.scalars import as_float, as_int
from qa_insights.stats.experiment_design import (
    Trends,
    did_minimum_detectable_effect,
    minimum_detectable_effect,
    parallel_trends,
)
from qa_insights.stats.experiments import (
    ABTest,
    DiD,
    ab_test,
    difference_in_differences,
)
from qa_insights.stats.proportions import z_value

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = ["Readout", "default_design", "experiment_readout", "mean_did", "split_cells"]


@dataclass(frozen=True)
class Readout:
    """Everything :func:`experiment_readout` measured.

    Attributes
    ----------
    dimension : str
    treated, control : list of str
    before, after : list of str
        Months of the pre- and post-period.
    cells : DataFrame
        ``group, period, n_audits, n_errors, n_critical``.
    monthly : DataFrame
        ``group, month, n_audits, n_errors, n_critical, error_rate`` over both periods.
    mde_did, mde_ab : float
        Minimum detectable effects (rate units, power 0.8): of the DiD, and of the
        post-period A/B comparison from the control's pre-period rate.
    did : DiD
    ab : ABTest
        Post period, treated vs control.
    trends : Trends or None
        None when the pre-period has fewer than 3 months.
    guardrails : DataFrame
        ``guardrail, treated_before, treated_after, control_before, control_after,
        estimate, ci_low, ci_high, p_value, significant``.
    """

    dimension: str
    treated: list[str]
    control: list[str]
    before: list[str]
    after: list[str]
    cells: pd.DataFrame
    monthly: pd.DataFrame
    mde_did: float
    mde_ab: float
    did: DiD
    ab: ABTest
    trends: Trends | None
    guardrails: pd.DataFrame = field(repr=False)


def split_cells(counts: pd.DataFrame, dimension: str, treated: Sequence[str],
                control: Sequence[str], before: Sequence[str]) -> pd.DataFrame:
    """Label audit counts by ``group`` (treated / control) and ``period`` (before / after);
    rows in neither arm are dropped.

    Examples
    --------
    >>> c = pd.DataFrame({"site": ["a", "b", "c"], "month": "2026-01", "n_audits": 1})
    >>> split_cells(c, "site", ["a"], ["b"], ["2026-01"])[["site", "group", "period"]].values.tolist()
    [['a', 'treated', 'before'], ['b', 'control', 'before']]
    """
    group = counts[dimension].map(lambda v: "treated" if v in set(treated) else
                                  ("control" if v in set(control) else ""))
    out = counts.assign(group=group, period=counts["month"].map(
        lambda m: "before" if m in set(before) else "after"))
    return out[out["group"] != ""].reset_index(drop=True)


def mean_did(stats_cells: pd.DataFrame, *, alpha: float = 0.05,
             confidence: float = 0.95) -> dict[str, float | bool]:
    """Difference-in-differences of a mean (e.g. handle time) from per-cell ``n``, ``mean``
    and ``sd`` rows labelled by ``group`` and ``period`` (several rows per cell are pooled).

    Examples
    --------
    >>> s = pd.DataFrame({"group": ["treated"] * 2 + ["control"] * 2,
    ...                   "period": ["before", "after"] * 2, "n": 100,
    ...                   "mean": [50.0, 45.0, 50.0, 50.0], "sd": 10.0})
    >>> r = mean_did(s)
    >>> r["estimate"], round(r["std_err"], 4)
    (-5.0, 2.0)
    """
    cells = {}
    for (g, p), rows in stats_cells.groupby(["group", "period"]):
        n = float(rows["n"].sum())
        mean = float((rows["n"] * rows["mean"]).sum() / n)
        ss = float(((rows["n"] - 1) * rows["sd"].fillna(0) ** 2
                    + rows["n"] * (rows["mean"] - mean) ** 2).sum())
        cells[(g, p)] = (mean, ss / max(n - 1, 1), n)
    keys = [(g, p) for g in ("treated", "control") for p in ("before", "after")]
    missing = [k for k in keys if k not in cells]
    if missing:
        raise ValueError(f"mean_did: no data for {missing}")
    m = {k: cells[k][0] for k in keys}
    est = (m[("treated", "after")] - m[("treated", "before")]
           - (m[("control", "after")] - m[("control", "before")]))
    se = math.sqrt(sum(cells[k][1] / cells[k][2] for k in keys))
    p = float(2 * stats.norm.sf(abs(est / se))) if se > 0 else float("nan")
    half = z_value(confidence) * se
    return {"treated_before": m[("treated", "before")], "treated_after": m[("treated", "after")],
            "control_before": m[("control", "before")], "control_after": m[("control", "after")],
            "estimate": est, "std_err": se, "ci_low": est - half, "ci_high": est + half,
            "p_value": p, "significant": bool(p < alpha)}


def experiment_readout(store: Store, dimension: str, treated: Sequence[str],
                       control: Sequence[str] | None, start: str, *, end: str | None = None,
                       pre_months: int = 6, alpha: float = 0.05) -> Readout:
    """Read out a change made in ``start`` to the ``treated`` values of ``dimension``.

    Parameters
    ----------
    store : Store
        Open store.
    dimension : str
        What the change applied to (``site``, ``queue``, ``market``).
    treated : sequence of str
        The changed values.
    control : sequence of str, optional
        Untouched values compared with (default: every other value with audits).
    start : str
        First month of the change ('YYYY-MM').
    end : str, optional
        Last month of the post period (default: the latest month with audits).
    pre_months : int
        Months before ``start`` in the pre-period.
    alpha : float
        Significance level of every test.

    Returns
    -------
    Readout
    """
    (dimension,) = check_dimensions([dimension], store_dimensions(store))
    start = check_month(start, "start")
    treated = [str(v) for v in treated]
    if not treated:
        raise ValueError("treated: give at least one value")
    counts = audit_counts(store, ["month", dimension])
    known = sorted(set(counts[dimension].dropna().astype(str)))
    unknown = [v for v in treated + list(control or []) if v not in known]
    if unknown:
        raise ValueError(f"{dimension}: {unknown} not in the data; known: {', '.join(known)}")
    control = [v for v in known if v not in treated] if not control else [str(v) for v in
                                                                           control]
    if set(control) & set(treated):
        raise ValueError("a value is in both the treated and the control group")
    end = str(counts["month"].max()) if end is None else check_month(end, "end")
    before = month_range(shift_month(start, -pre_months), shift_month(start, -1))
    after = month_range(start, end)
    if not after:
        raise ValueError(f"start {start} is after the last month {end}")
    split = split_cells(counts[counts["month"].isin(before + after)], dimension, treated,
                        control, before)
    cols = ["n_audits", "n_errors", "n_critical"]
    cells = split.groupby(["group", "period"])[cols].sum().reset_index()
    monthly = split.groupby(["group", "month"])[cols].sum().reset_index()
    monthly["error_rate"] = monthly["n_errors"] / monthly["n_audits"]
    did = difference_in_differences(cells, alpha=alpha)
    arms = cells[cells["period"] == "after"].set_index("group")
    ab = ab_test(as_int(arms.loc["control", "n_errors"]), as_int(arms.loc["control", "n_audits"]),
                 as_int(arms.loc["treated", "n_errors"]), as_int(arms.loc["treated", "n_audits"]),
                 alpha=alpha)
    pre = cells[cells["period"] == "before"].set_index("group")
    p0 = as_float(pre.loc["control", "n_errors"]) / as_float(pre.loc["control", "n_audits"])
    mde_ab = minimum_detectable_effect(p0, as_float(arms.loc["control", "n_audits"]),
                                       as_float(arms.loc["treated", "n_audits"]), alpha=alpha)
    pre_monthly = monthly[monthly["month"].isin(before)]
    trends = (parallel_trends(pre_monthly, alpha=alpha)
              if pre_monthly.groupby("group")["month"].nunique().min() >= 3 else None)
    crit = difference_in_differences(cells.drop(columns="n_errors")
                                     .rename(columns={"n_critical": "n_errors"}), alpha=alpha)
    ht = handle_time_stats(store, [dimension, "month"], before + after, percentiles=())
    ht = split_cells(ht, dimension, treated, control, before).rename(columns={
        "n_handle_time": "n", "handle_time_mean_s": "mean", "handle_time_sd_s": "sd"})
    guard = [{"guardrail": "critical_error_rate", **{k: v for k, v in crit.as_dict().items()
                                                     if k not in ("std_err", "z")}},
             {"guardrail": "handle_time_s", **{k: v for k, v in mean_did(ht, alpha=alpha).items()
                                               if k != "std_err"}}]
    return Readout(dimension, treated, control, before, after, cells, monthly,
                   did_minimum_detectable_effect(cells, alpha=alpha), mde_ab, did, ab, trends,
                   pd.DataFrame(guard))


def default_design(known: Sequence[str], dimension: str, month: str) -> tuple[list[str], str]:
    """Treated values and start month when a readout is asked for without a design: the
    sample data's planted site (its jump two months before the latest month) when it is in
    the data, else the first known value; the change starts two months before ``month``.

    Examples
    --------
    >>> default_design(["a", "bpo_gamma_hyderabad"], "site", "2026-10")
    (['bpo_gamma_hyderabad'], '2026-08')
    >>> default_design(["spam", "nudity"], "queue", "2026-10")
    (['nudity'], '2026-08')
    """
    planted = str(PLANTED["jump"][dimension]) if dimension in PLANTED["jump"] else None
    values = sorted(str(v) for v in known)
    if not values:
        raise ValueError(f"no {dimension} values to design an experiment on")
    treated = [planted] if planted in values else [values[0]]
    return treated, shift_month(check_month(month), int(PLANTED["jump"]["month_offset"]))
