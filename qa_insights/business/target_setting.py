"""Target setting from history, with the method written next to every target.

Three methods, each a pure function of a history of actual values (the frame of
:func:`qa_insights.business.actuals.metric_actuals`) returning rows of the contract ``targets``
table plus ``method`` (a sentence saying how the number was set) and ``baseline``:

* :func:`trailing_median_targets`: the median of the last ``window`` months, moved a share
  ``improvement`` of the way towards the metric's ideal (accuracy 1, rates / times /
  costs 0): ``target = ideal + (median - ideal) (1 - improvement)``. For accuracy 0.96 and
  ``improvement=0.1`` the target is 0.964: the error rate cut by 10%.
* :func:`benchmark_targets`: the best-quartile unit as the benchmark. Each unit's
  baseline is its trailing median; the benchmark is the 75th percentile of the baselines
  in the good direction (the 25th for lower-is-better metrics); a unit's target is the
  benchmark, or its own baseline when that is already better.
* :func:`glide_path`: a straight line from the current level to a goal over ``n`` months.

Examples
--------
>>> glide_path(0.95, 0.97, "2026-10", 4, metric="accuracy")[["month", "target"]].round(4)
     month  target
0  2026-11   0.955
1  2026-12   0.960
2  2027-01   0.965
3  2027-02   0.970
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qa_insights.business.actuals import METRICS
from qa_insights.business.targets import DIRECTIONS, month_index
from qa_insights.data.months import shift_month
from qa_insights.data.scalars import as_float

__all__ = [
    "SETTING_COLUMNS",
    "benchmark_targets",
    "glide_path",
    "trailing_baselines",
    "trailing_median_targets",
]

#: Columns of every target-setting result.
SETTING_COLUMNS: list[str] = ["metric", "scope", "scope_value", "month", "target", "direction",
                              "method", "baseline"]


def _metric(name: str) -> tuple[str, float | None]:
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}; known: {', '.join(METRICS)}")
    return METRICS[name].direction, METRICS[name].ideal


def trailing_baselines(history: pd.DataFrame, month: str, *, window: int = 6,
                       min_months: int = 3) -> pd.DataFrame:
    """Median actual of the ``window`` months before ``month`` per metric and unit.

    Parameters
    ----------
    history : DataFrame
        ``metric, scope, scope_value, month, actual`` (other columns ignored).
    month : str
        The month the targets are for; only earlier months count.
    window : int
        Months looked back.
    min_months : int
        Units with fewer months of data in the window get no baseline.

    Returns
    -------
    DataFrame
        ``metric, scope, scope_value, baseline, n_months, first_month, last_month``.

    Examples
    --------
    >>> h = pd.DataFrame({"metric": "accuracy", "scope": "org", "scope_value": "",
    ...                   "month": ["2026-07", "2026-08", "2026-09"],
    ...                   "actual": [0.95, 0.97, 0.96]})
    >>> b = trailing_baselines(h, "2026-10", window=3)
    >>> float(b.baseline[0]), int(b.n_months[0])
    (0.96, 3)
    """
    if window < 1 or min_months < 1:
        raise ValueError("window and min_months must be at least 1")
    h = history[["metric", "scope", "scope_value", "month", "actual"]].dropna(subset=["actual"])
    h = h.assign(scope_value=h["scope_value"].fillna("").astype(str))
    end = int(month_index([month])[0])
    idx = month_index(h["month"]) if len(h) else np.zeros(0, dtype=int)
    h = h[(idx >= end - window) & (idx < end)]
    key = ["metric", "scope", "scope_value"]
    out = (h.groupby(key, sort=True)
            .agg(baseline=("actual", "median"), n_months=("actual", "size"),
                 first_month=("month", "min"), last_month=("month", "max"))
            .reset_index())
    return out[out["n_months"] >= min_months].reset_index(drop=True)


def _improve(baseline: np.ndarray, direction: str, ideal: float | None,
             improvement: float) -> np.ndarray:
    if ideal is not None:
        return ideal + (baseline - ideal) * (1.0 - improvement)
    return baseline * (1.0 + improvement if direction == "higher_is_better" else
                       1.0 - improvement)


def trailing_median_targets(history: pd.DataFrame, month: str, *, improvement: float = 0.0,
                            window: int = 6, min_months: int = 3) -> pd.DataFrame:
    """Targets for ``month``: trailing median moved ``improvement`` towards the ideal.

    Parameters
    ----------
    history : DataFrame
        Actual values (``metric, scope, scope_value, month, actual``) of metrics in
        :data:`qa_insights.business.actuals.METRICS`.
    month : str
        Month the targets are for.
    improvement : float
        Share of the distance to the ideal closed (0.1: the error rate cut by 10%).
    window, min_months : int
        As :func:`trailing_baselines`.

    Returns
    -------
    DataFrame
        :data:`SETTING_COLUMNS`, one row per unit with a baseline.

    Examples
    --------
    >>> h = pd.DataFrame({"metric": "accuracy", "scope": "org", "scope_value": "",
    ...                   "month": ["2026-07", "2026-08", "2026-09"],
    ...                   "actual": [0.95, 0.97, 0.96]})
    >>> t = trailing_median_targets(h, "2026-10", improvement=0.1)
    >>> round(float(t.target[0]), 6), t.method[0]
    (0.964, 'trailing median of 3 months 2026-07..2026-09 (0.96), 10% closer to 1')
    """
    if not -1.0 < improvement < 1.0:
        raise ValueError(f"improvement is a share in (-1, 1); got {improvement}")
    base = trailing_baselines(history, month, window=window, min_months=min_months)
    rows = []
    for r in base.itertuples(index=False):
        direction, ideal = _metric(str(r.metric))
        target = float(_improve(np.array(r.baseline), direction, ideal, improvement))
        towards = f"closer to {ideal:g}" if ideal is not None else "better"
        rows.append({"metric": r.metric, "scope": r.scope, "scope_value": r.scope_value,
                     "month": month, "target": target, "direction": direction,
                     "method": f"trailing median of {r.n_months} months {r.first_month}.."
                               f"{r.last_month} ({r.baseline:.4g}), "
                               f"{improvement:.0%} {towards}",
                     "baseline": as_float(r.baseline)})
    return pd.DataFrame(rows, columns=SETTING_COLUMNS)


def benchmark_targets(history: pd.DataFrame, month: str, *, scope: str = "site",
                      quantile: float = 0.75, window: int = 3,
                      min_months: int = 2) -> pd.DataFrame:
    """Targets for ``month`` at one scope from the best-quartile unit's level.

    Parameters
    ----------
    history : DataFrame
        Actual values (``metric, scope, scope_value, month, actual``).
    month : str
        Month the targets are for.
    scope : str
        Units compared (``site``, ``queue`` or ``market``).
    quantile : float
        Benchmark position among the units in the good direction (0.75: the best
        quartile's threshold; 1: the best unit).
    window, min_months : int
        As :func:`trailing_baselines`.

    Returns
    -------
    DataFrame
        :data:`SETTING_COLUMNS` plus ``benchmark``; one row per metric and unit.

    Examples
    --------
    >>> h = pd.DataFrame({"metric": "accuracy", "scope": "site",
    ...                   "scope_value": ["a", "b", "c", "d", "e"] * 2,
    ...                   "month": ["2026-08"] * 5 + ["2026-09"] * 5,
    ...                   "actual": [0.90, 0.92, 0.94, 0.96, 0.98] * 2})
    >>> benchmark_targets(h, "2026-10")[["scope_value", "target"]].values.tolist()
    [['a', 0.96], ['b', 0.96], ['c', 0.96], ['d', 0.96], ['e', 0.98]]
    """
    if not 0.0 <= quantile <= 1.0:
        raise ValueError(f"quantile must lie in [0, 1]; got {quantile}")
    base = trailing_baselines(history[history["scope"] == scope], month, window=window,
                              min_months=min_months)
    frames = []
    for metric, group in base.groupby("metric", sort=True):
        direction, _ = _metric(str(metric))
        higher = direction == "higher_is_better"
        values = group["baseline"].to_numpy(dtype=float)
        bench = float(np.quantile(values, quantile if higher else 1.0 - quantile))
        own_better = values > bench if higher else values < bench
        target = np.where(own_better, values, bench)
        label = (f"best-quartile benchmark: {quantile:g} quantile of {len(values)} {scope}s' "
                 f"trailing {window}-month medians ({bench:.4g})")
        frames.append(pd.DataFrame({
            "metric": metric, "scope": scope, "scope_value": group["scope_value"].to_numpy(),
            "month": month, "target": target, "direction": direction,
            "method": np.where(own_better, label + "; own level, already better", label),
            "baseline": values, "benchmark": bench}))
    if not frames:
        return pd.DataFrame(columns=[*SETTING_COLUMNS, "benchmark"])
    return pd.concat(frames, ignore_index=True)


def glide_path(current: float, goal: float, start_month: str, n_months: int, *,
               metric: str, scope: str = "org", scope_value: str = "",
               direction: str | None = None) -> pd.DataFrame:
    """Monthly targets on a straight line from ``current`` to ``goal`` over ``n_months``.

    Parameters
    ----------
    current : float
        Level in ``start_month`` (e.g. its actual value).
    goal : float
        Level to reach in month ``start_month + n_months``.
    start_month : str
        The month of ``current``; targets start the month after.
    n_months : int
        Number of monthly steps.
    metric, scope, scope_value : str
        Identify the targets.
    direction : str, optional
        Default: the metric's direction in :data:`qa_insights.business.actuals.METRICS`.

    Returns
    -------
    DataFrame
        :data:`SETTING_COLUMNS`, ``n_months`` rows; the last target equals ``goal``.

    Examples
    --------
    >>> glide_path(60.0, 50.0, "2026-10", 2, metric="handle_time_s").target.tolist()
    [55.0, 50.0]
    """
    if n_months < 1:
        raise ValueError(f"n_months must be at least 1; got {n_months}")
    if direction is None:
        direction, _ = _metric(metric)
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}; got {direction!r}")
    k = np.arange(1, n_months + 1)
    target = current + (goal - current) * k / n_months
    target[-1] = goal
    end = shift_month(start_month, n_months)
    method = (f"glide path from {current:.4g} ({start_month}) to {goal:.4g} ({end}), "
              f"{(goal - current) / n_months:+.4g} a month")
    return pd.DataFrame({"metric": metric, "scope": scope, "scope_value": scope_value,
                         "month": [shift_month(start_month, int(i)) for i in k],
                         "target": target, "direction": direction, "method": method,
                         "baseline": float(current)})
