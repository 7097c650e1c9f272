"""Target planning for a coming period: every method side by side, the chance of meeting
each, the cascade to units and a draft ``targets`` table.

A pure module over a history of monthly actuals (the frame of
:func:`qa_insights.business.actuals.metric_actuals`: ``metric, scope, scope_value, month,
actual, n``). For a period (``"2027-Q1"`` or one month ``"2026-11"``) it proposes, for
every metric and unit, one target per month of the period with each method of
:mod:`qa_insights.business.target_setting`:

* ``trailing_median``: ``ideal + (median - ideal) (1 - improvement)`` over the last
  ``window`` months of history;
* ``benchmark``: the best-quartile unit's trailing median (sites, queues, markets only:
  the organisation has no peers);
* ``glide_path``: a straight line from the last month's actual to the trailing-median
  target, reached in the period's last month.

Each metric type gets the method that fits it (:data:`METRIC_RULES`): accuracies close a
share of their gap to 1, a rare critical-error rate is cut relatively (a benchmark of small
counts is noise), handle time is held at its median (pushing speed trades against
accuracy) and cost per item glides down as productivity grows.

The chance of meeting a target under the current process is analytic: the next month's
actual is taken as normal with the trailing mean ``m`` and the month-to-month standard
deviation ``s`` of the ``k`` months in the window, widened for the estimated mean
(prediction sd ``s sqrt(1 + 1/k)``):
``P(meet) = 1 - Phi((t - m) / (s sqrt(1 + 1/k)))`` when higher is better, ``Phi(...)``
when lower is better. The month-to-month sd holds the sampling noise as well as real
variation, which is what a target is met or missed against.

Examples
--------
>>> period_months("2027-Q1")
['2027-01', '2027-02', '2027-03']
>>> round(chance_of_meeting(0.965, 0.96, 0.005, 6, "higher_is_better"), 3)
0.177
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
from scipy import stats

from qa_insights.business.cascade import cascade_target
from qa_insights.business.target_setting import (
    SETTING_COLUMNS,
    benchmark_targets,
    glide_path,
    trailing_median_targets,
)
from qa_insights.business.targets import month_index
from qa_insights.data.contract import TABLES
from qa_insights.data.months import check_month, month_range, shift_month
from qa_insights.data.scalars import as_float

__all__ = [
    "DRAFT_METHODS",
    "METRIC_RULES",
    "PLAN_COLUMNS",
    "PLAN_METHODS",
    "PlanRule",
    "ambition",
    "cascade_draft",
    "cascade_units",
    "chance_of_meeting",
    "draft_targets",
    "period_months",
    "process_stats",
    "next_quarter",
    "propose_targets",
    "side_by_side",
    "with_cascade",
]

#: Target-setting methods compared side by side.
PLAN_METHODS: tuple[str, ...] = ("trailing_median", "benchmark", "glide_path")

#: Methods a draft can be made with (``by_metric``: each metric's fitting method).
DRAFT_METHODS: tuple[str, ...] = (*PLAN_METHODS, "by_metric")

#: Columns of :func:`propose_targets`.
PLAN_COLUMNS: list[str] = [*SETTING_COLUMNS, "plan_method", "fitting", "trailing_mean",
                           "trailing_sd", "n_months", "chance_of_meeting"]

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True)
class PlanRule:
    """The method that fits a metric type and why.

    Attributes
    ----------
    method : str
        One of :data:`PLAN_METHODS`.
    improvement : float
        Share of the distance to the metric's ideal closed (0: hold the level).
    why : str
        One sentence for the report.
    """

    method: str
    improvement: float
    why: str


#: Metric -> its fitting method.
METRIC_RULES: dict[str, PlanRule] = {
    "accuracy": PlanRule("trailing_median", 0.10,
                         "a bounded proportion: close 10% of the gap to 100% (the error "
                         "rate cut by a tenth)"),
    "critical_error_rate": PlanRule("trailing_median", 0.10,
                                    "a rare-event rate: a relative cut of 10%; a benchmark "
                                    "of small counts would be noise"),
    "calibration_accuracy": PlanRule("trailing_median", 0.10,
                                     "a bounded proportion: close 10% of the gap to 100%"),
    "handle_time_s": PlanRule("trailing_median", 0.0,
                              "held at the trailing median: pushing speed trades against "
                              "accuracy"),
    "cost_per_item": PlanRule("glide_path", 0.05,
                              "falls with productivity: a glide path to 5% below the "
                              "trailing median"),
}


def period_months(period: str) -> list[str]:
    """Months of a planning period: a quarter ``'YYYY-Qn'`` or one month ``'YYYY-MM'``.

    Examples
    --------
    >>> period_months("2026-Q4"), period_months("2026-11")
    (['2026-10', '2026-11', '2026-12'], ['2026-11'])
    """
    q = _QUARTER.match(str(period))
    if q:
        first = f"{q.group(1)}-{3 * int(q.group(2)) - 2:02d}"
        return month_range(first, shift_month(first, 2))
    try:
        return [check_month(period, "period")]
    except ValueError:
        raise ValueError(f"period: expected 'YYYY-Qn' or 'YYYY-MM', got {period!r}") from None


def next_quarter(month: str) -> str:
    """The quarter after the one ``month`` falls in, as ``'YYYY-Qn'``.

    Examples
    --------
    >>> next_quarter("2026-10"), next_quarter("2026-09")
    ('2027-Q1', '2026-Q4')
    """
    year, m = int(check_month(month)[:4]), int(month[5:7])
    q = (m - 1) // 3 + 1
    return f"{year + 1}-Q1" if q == 4 else f"{year}-Q{q + 1}"


def side_by_side(plan: pd.DataFrame, month: str | None = None) -> pd.DataFrame:
    """One row per metric and unit with each method's target and chance of meeting.

    Parameters
    ----------
    plan : DataFrame
        Output of :func:`propose_targets`.
    month : str, optional
        Month of the period shown (default: its last, where the glide path arrives).

    Returns
    -------
    DataFrame
        ``metric, scope, scope_value, trailing_mean, trailing_sd, fitting_method``, then
        ``target_<method>`` and ``chance_<method>`` for each method of :data:`PLAN_METHODS`
        (NaN where a method gives no target).

    Examples
    --------
    >>> h = pd.DataFrame({"metric": "accuracy", "scope": "org", "scope_value": "",
    ...                   "month": ["2026-07", "2026-08", "2026-09"],
    ...                   "actual": [0.95, 0.97, 0.96], "n": 1000})
    >>> w = side_by_side(propose_targets(h, "2026-10"))
    >>> w[["target_trailing_median", "target_glide_path"]].round(4).values.tolist()
    [[0.964, 0.964]]
    """
    month = str(plan["month"].max()) if month is None else month
    p = plan[plan["month"] == month]
    key = ["metric", "scope", "scope_value"]
    wide = p.pivot_table(index=key, columns="plan_method",
                         values=["target", "chance_of_meeting"], aggfunc="first")
    out = p.groupby(key, sort=True)[["trailing_mean", "trailing_sd"]].first()
    fitting = p[p["fitting"]].groupby(key)["plan_method"].first().rename("fitting_method")
    out = out.join(fitting)
    for method in PLAN_METHODS:
        for value, prefix in (("target", "target"), ("chance_of_meeting", "chance")):
            col = (value, method)
            out[f"{prefix}_{method}"] = wide[col] if col in wide.columns else np.nan
    return out.reset_index()


def chance_of_meeting(target: float | np.ndarray, mean: float | np.ndarray,
                      sd: float | np.ndarray, k: int | np.ndarray,
                      direction: str | np.ndarray) -> float | np.ndarray:
    """Probability that next month's actual meets ``target`` under the current process.

    Normal prediction from ``k`` monthly actuals with mean ``mean`` and standard deviation
    ``sd``: ``Phi(+-(mean - target) / (sd sqrt(1 + 1/k)))``. A process without variation
    (``sd == 0``) meets the target with probability 1 or 0; ``k < 2`` gives NaN.

    Examples
    --------
    >>> chance_of_meeting(50.0, 50.0, 4.0, 6, "lower_is_better")
    0.5
    >>> chance_of_meeting(0.9, 0.95, 0.0, 4, "higher_is_better")
    1.0
    """
    t, m, s, n = (np.asarray(a, dtype=float) for a in (target, mean, sd, k))
    sign = np.where(np.asarray(direction) == "higher_is_better", 1.0, -1.0)
    gap = sign * (m - t)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = gap / (s * np.sqrt(1.0 + 1.0 / n))
        p = np.where(s > 0, stats.norm.cdf(z), np.where(gap >= 0, 1.0, 0.0))
    p = np.where((n >= 2) & np.isfinite(m) & np.isfinite(s), p, np.nan)
    return float(p) if p.ndim == 0 else p


def process_stats(history: pd.DataFrame, month: str, *, window: int = 6) -> pd.DataFrame:
    """Mean, month-to-month sd, months and volume of each unit's last ``window`` months
    before ``month``.

    Returns
    -------
    DataFrame
        ``metric, scope, scope_value, trailing_mean, trailing_sd, n_months, weight``
        (``weight``: the summed ``n`` of the window, the volume behind the pooled metric;
        NaN without an ``n`` column), ``last_month``, ``last_actual``.

    Examples
    --------
    >>> h = pd.DataFrame({"metric": "accuracy", "scope": "org", "scope_value": "",
    ...                   "month": ["2026-08", "2026-09"], "actual": [0.95, 0.97],
    ...                   "n": [100, 300]})
    >>> s = process_stats(h, "2026-10")
    >>> round(float(s.trailing_sd[0]), 5), float(s.weight[0]), float(s.last_actual[0])
    (0.01414, 400.0, 0.97)
    """
    h = history.dropna(subset=["actual"])
    h = h.assign(scope_value=h["scope_value"].fillna("").astype(str))
    if "n" not in h.columns:
        h = h.assign(n=np.nan)
    end = int(month_index([check_month(month)])[0])
    idx = month_index(h["month"]) if len(h) else np.zeros(0, dtype=int)
    h = h[(idx >= end - window) & (idx < end)].sort_values("month")
    out = (h.groupby(["metric", "scope", "scope_value"], sort=True)
            .agg(trailing_mean=("actual", "mean"), trailing_sd=("actual", "std"),
                 n_months=("actual", "size"), weight=("n", lambda x: x.sum(min_count=1)),
                 last_month=("month", "last"), last_actual=("actual", "last"))
            .reset_index())
    return out


def _as_of(history: pd.DataFrame, first: str) -> str:
    """The month baselines are computed for: the period's first month, or the month after
    the last month of history when the period starts later (a plan made in advance)."""
    if not len(history):
        return first
    return min(first, shift_month(str(history["month"].max()), 1))


def _repeat(frame: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
    if frame.empty:
        return frame
    return pd.concat([frame.assign(month=m) for m in months], ignore_index=True)


def propose_targets(history: pd.DataFrame, period: str, *,
                    rules: Mapping[str, PlanRule] | None = None, window: int = 6,
                    min_months: int = 3, benchmark_quantile: float = 0.75) -> pd.DataFrame:
    """Targets for every month of ``period`` with every method of :data:`PLAN_METHODS`.

    Parameters
    ----------
    history : DataFrame
        Monthly actuals: ``metric, scope, scope_value, month, actual`` and ``n``.
    period : str
        ``'YYYY-Qn'`` or ``'YYYY-MM'``.
    rules : mapping, optional
        Metric -> :class:`PlanRule` (default :data:`METRIC_RULES`); its ``improvement`` is
        used by every method of that metric, its ``method`` marks the fitting one.
    window, min_months : int
        Months of history looked back, and the fewest a unit needs.
    benchmark_quantile : float
        Position of the benchmark among peer units in the good direction.

    Returns
    -------
    DataFrame
        :data:`PLAN_COLUMNS`: one row per method, metric, unit and month of the period;
        ``method`` states the formula with its numbers, ``fitting`` marks the metric's
        rule, ``chance_of_meeting`` is :func:`chance_of_meeting` of the target.

    Examples
    --------
    >>> h = pd.DataFrame({"metric": "accuracy", "scope": "org", "scope_value": "",
    ...                   "month": ["2026-07", "2026-08", "2026-09"],
    ...                   "actual": [0.95, 0.97, 0.96], "n": 1000})
    >>> p = propose_targets(h, "2026-10")
    >>> p[["plan_method", "target"]].round(4).values.tolist()
    [['trailing_median', 0.964], ['glide_path', 0.964]]
    """
    rules = dict(METRIC_RULES if rules is None else rules)
    months = period_months(period)
    history = history[history["metric"].isin(list(rules))]
    as_of = _as_of(history, months[0])
    frames = []
    for metric, rule in rules.items():
        h = history[history["metric"] == metric]
        if h.empty:
            continue
        tm = trailing_median_targets(h, as_of, improvement=rule.improvement, window=window,
                                     min_months=min_months)
        frames.append(_repeat(tm, months).assign(plan_method="trailing_median"))
        for scope in sorted(set(h["scope"]) - {"org"}):
            bm = benchmark_targets(h, as_of, scope=scope, quantile=benchmark_quantile,
                                   window=window, min_months=min_months)
            frames.append(_repeat(bm.drop(columns="benchmark"), months)
                          .assign(plan_method="benchmark"))
        last = process_stats(h, as_of, window=window).set_index(
            ["scope", "scope_value"])
        for r in tm.itertuples(index=False):
            unit, unit_value = cast(str, r.scope), cast(str, r.scope_value)
            start = str(last.loc[(unit, unit_value), "last_month"])
            current = as_float(last.loc[(unit, unit_value), "last_actual"])
            n = int(month_index([months[-1]])[0] - month_index([start])[0])
            g = glide_path(current, as_float(r.target), start, n, metric=metric, scope=unit,
                           scope_value=unit_value)
            frames.append(g[g["month"].isin(months)].assign(plan_method="glide_path"))
    if not frames:
        return pd.DataFrame(columns=PLAN_COLUMNS)
    plan = pd.concat(frames, ignore_index=True)
    st = process_stats(history, as_of, window=window)
    plan = plan.merge(st[["metric", "scope", "scope_value", "trailing_mean", "trailing_sd",
                          "n_months"]], on=["metric", "scope", "scope_value"], how="left")
    plan["fitting"] = [rules[m].method == pm for m, pm in zip(plan["metric"],
                                                            plan["plan_method"])]
    plan["chance_of_meeting"] = chance_of_meeting(
        plan["target"].to_numpy(float), plan["trailing_mean"].to_numpy(float),
        plan["trailing_sd"].to_numpy(float), plan["n_months"].to_numpy(float),
        plan["direction"].to_numpy())
    order = {m: i for i, m in enumerate(PLAN_METHODS)}
    plan = plan.sort_values(["metric", "scope", "scope_value", "month"], kind="stable")
    plan = plan.sort_values("plan_method", key=lambda s: s.map(order), kind="stable")
    return plan[PLAN_COLUMNS].reset_index(drop=True)


def draft_targets(plan: pd.DataFrame, method: str = "by_metric") -> pd.DataFrame:
    """A draft ``targets`` table (contract columns) from :func:`propose_targets`.

    Parameters
    ----------
    plan : DataFrame
        Output of :func:`propose_targets`.
    method : str
        One of :data:`DRAFT_METHODS`. Units the method gives no target for (the
        organisation under ``benchmark``) take the trailing median, and their ``method``
        says so.

    Returns
    -------
    DataFrame
        ``metric, scope, scope_value, month, target, direction, method``: one row per
        metric, unit and month.

    Examples
    --------
    >>> h = pd.DataFrame({"metric": "accuracy", "scope": "org", "scope_value": "",
    ...                   "month": ["2026-07", "2026-08", "2026-09"],
    ...                   "actual": [0.95, 0.97, 0.96], "n": 1000})
    >>> d = draft_targets(propose_targets(h, "2026-10"), "benchmark")
    >>> d.method[0]
    'no benchmark at this scope; trailing median of 3 months 2026-07..2026-09 (0.96), 10% closer to 1'
    """
    if method not in DRAFT_METHODS:
        raise ValueError(f"method must be one of {', '.join(DRAFT_METHODS)}; got {method!r}")
    key = ["metric", "scope", "scope_value", "month"]
    chosen = plan[plan["fitting"]] if method == "by_metric" else plan[plan["plan_method"]
                                                                         == method]
    fallback = plan[plan["plan_method"] == "trailing_median"]
    fallback = fallback.set_index(key).drop(index=chosen.set_index(key).index,
                                            errors="ignore").reset_index()
    label = "fitting method" if method == "by_metric" else method.replace("_", " ")
    fallback = fallback.assign(method=f"no {label} at this scope; " + fallback["method"])
    out = pd.concat([chosen, fallback], ignore_index=True)
    columns = [c.name for c in TABLES["targets"].columns]
    return out.sort_values(key, kind="stable")[columns].reset_index(drop=True)


def cascade_units(history: pd.DataFrame, metric: str, month: str, *, scope: str = "site",
                  window: int = 6) -> pd.DataFrame:
    """Units of ``scope`` for :func:`qa_insights.business.cascade.cascade_target`: the
    trailing mean of the window as ``current`` and its volume (summed ``n``) as ``weight``.

    With these weights the volume-weighted mean of the units' current levels is the org's
    pooled level over the window, so a cascaded set of unit targets met at these volumes
    meets the org target exactly.

    Examples
    --------
    >>> h = pd.DataFrame({"metric": "accuracy", "scope": "site",
    ...                   "scope_value": ["a", "b"], "month": "2026-09",
    ...                   "actual": [0.96, 0.92], "n": [300, 100]})
    >>> u = cascade_units(h, "accuracy", "2026-10")
    >>> u.values.tolist()
    [['a', 300.0, 0.96], ['b', 100.0, 0.92]]
    >>> c = cascade_target(u, 0.96, metric="accuracy", month="2026-10")
    >>> round(c.attrs["org_of_targets"], 12)
    0.96
    """
    h = history[(history["metric"] == metric) & (history["scope"] == scope)]
    st = process_stats(h, month, window=window).dropna(subset=["weight"])
    st = st[st["weight"] > 0]
    # The pooled level over the window: volume-weighted, as the org's own figure is.
    pooled = (h.assign(wx=h["actual"] * h["n"])
               .pipe(lambda f: f[f["month"].isin(_window_months(month, window))])
               .groupby("scope_value")["wx"].sum())
    current = pooled.reindex(st["scope_value"]).to_numpy(float) / st["weight"].to_numpy(float)
    return pd.DataFrame({"scope_value": st["scope_value"].astype(str).to_numpy(),
                         "weight": st["weight"].to_numpy(float), "current": current})


def _window_months(month: str, window: int) -> list[str]:
    return month_range(shift_month(month, -window), shift_month(month, -1))


def cascade_draft(draft: pd.DataFrame, history: pd.DataFrame, *, scope: str = "site",
                  method: str = "equal", window: int = 6) -> pd.DataFrame:
    """Cascade every org target of a draft to the units of ``scope``.

    Parameters
    ----------
    draft : DataFrame
        Contract ``targets`` rows (e.g. :func:`draft_targets`); its org rows are cascaded.
    history : DataFrame
        Monthly actuals with ``n`` (volumes and current levels of the units).
    scope : str
        Units the org target is cascaded to.
    method : {"equal", "gap"}
        As :func:`qa_insights.business.cascade.cascade_target`.
    window : int
        Months of history behind each unit's current level and volume.

    Returns
    -------
    DataFrame
        The cascade rows (contract columns, ``current``, ``weight``, ``improvement``,
        ``at_bound``) plus ``org_target`` and ``org_of_targets`` (the volume-weighted mean
        of the unit targets: equal to ``org_target``). Metrics whose org target is out of
        reach within the bounds (accuracies at most 1, others at least 0) are left out.

    Examples
    --------
    >>> h = pd.DataFrame({"metric": "accuracy", "scope": "site",
    ...                   "scope_value": ["a", "b"], "month": "2026-09",
    ...                   "actual": [0.96, 0.92], "n": [300, 100]})
    >>> d = pd.DataFrame({"metric": ["accuracy"], "scope": ["org"], "scope_value": [""],
    ...                   "month": ["2026-10"], "target": [0.96],
    ...                   "direction": ["higher_is_better"], "method": [""]})
    >>> cascade_draft(d, h)[["scope_value", "target"]].round(4).values.tolist()
    [['a', 0.97], ['b', 0.93]]
    """
    org = draft[draft["scope"] == "org"]
    frames = []
    for r in org.itertuples(index=False):
        as_of = _as_of(history, str(r.month))
        metric, direction = str(r.metric), str(r.direction)
        units = cascade_units(history, metric, as_of, scope=scope, window=window)
        if units.empty:
            continue
        higher = direction == "higher_is_better"
        bounded = metric.endswith("accuracy")
        try:
            c = cascade_target(units, as_float(r.target), method=method, metric=metric,
                               scope=scope, month=str(r.month), direction=direction,
                               ceiling=1.0 if bounded and higher else None,
                               floor=None if higher else 0.0)
        except ValueError:
            continue
        frames.append(c.assign(org_target=c.attrs["org_target"],
                               org_of_targets=c.attrs["org_of_targets"]))
    if not frames:
        return pd.DataFrame(columns=[*SETTING_COLUMNS[:-1], "current", "weight",
                                     "improvement", "at_bound", "org_target",
                                     "org_of_targets"])
    return pd.concat(frames, ignore_index=True)


def with_cascade(draft: pd.DataFrame, cascaded: pd.DataFrame) -> pd.DataFrame:
    """The draft with its rows replaced by the cascaded ones where both have a target.

    Examples
    --------
    >>> d = pd.DataFrame({"metric": "accuracy", "scope": ["org", "site"],
    ...                   "scope_value": ["", "a"], "month": "2026-10", "target": [0.96, 0.9],
    ...                   "direction": "higher_is_better", "method": "m"})
    >>> c = d.iloc[[1]].assign(target=0.97, method="cascade")
    >>> with_cascade(d, c).target.tolist()
    [0.96, 0.97]
    """
    key = ["metric", "scope", "scope_value", "month"]
    keep = ~draft.set_index(key).index.isin(cascaded.set_index(key).index)
    out = pd.concat([draft[keep], cascaded[list(draft.columns)]], ignore_index=True)
    return out.sort_values(key, kind="stable").reset_index(drop=True)


def ambition(review: pd.DataFrame, history: pd.DataFrame, *, window: int = 6) -> pd.DataFrame:
    """How ambitious past targets were: the chance of meeting each at setting time.

    Parameters
    ----------
    review : DataFrame
        Past targets with ``metric, scope, scope_value, month, target, direction`` (e.g.
        :func:`qa_insights.business.targets.attainment`, whose ``status`` says whether
        each was met).
    history : DataFrame
        Monthly actuals (``metric, scope, scope_value, month, actual``).
    window : int
        Months before each target's month the process is judged on.

    Returns
    -------
    DataFrame
        ``review`` with ``chance_at_setting`` (:func:`chance_of_meeting` from the
        ``window`` months before the target's month only; NaN with fewer than 2) and
        ``ambition`` (``"stretch"`` below 20%, ``"safe"`` above 80%, else ``"balanced"``).

    Examples
    --------
    >>> h = pd.DataFrame({"metric": "accuracy", "scope": "org", "scope_value": "",
    ...                   "month": ["2026-07", "2026-08", "2026-09"],
    ...                   "actual": [0.95, 0.97, 0.96]})
    >>> t = pd.DataFrame({"metric": ["accuracy"], "scope": ["org"], "scope_value": [""],
    ...                   "month": ["2026-10"], "target": [0.96],
    ...                   "direction": ["higher_is_better"]})
    >>> ambition(t, h)[["chance_at_setting", "ambition"]].values.tolist()
    [[0.5, 'balanced']]
    """
    key = ["metric", "scope", "scope_value"]
    frames = []
    for month, rows in review.groupby("month", sort=True):
        st = process_stats(history, str(month), window=window)
        frames.append(rows.merge(st[[*key, "trailing_mean", "trailing_sd", "n_months"]],
                                 on=key, how="left"))
    if not frames:
        return review.assign(chance_at_setting=np.nan, ambition="")
    out = pd.concat(frames, ignore_index=True)
    chance = chance_of_meeting(out["target"].to_numpy(float),
                               out["trailing_mean"].to_numpy(float),
                               out["trailing_sd"].to_numpy(float),
                               out["n_months"].fillna(0).to_numpy(float),
                               out["direction"].to_numpy())
    out["chance_at_setting"] = chance
    out["ambition"] = np.select([chance < 0.2, chance > 0.8], ["stretch", "safe"],
                                np.where(np.isnan(chance), "", "balanced"))
    return out.drop(columns=["trailing_mean", "trailing_sd", "n_months"])
