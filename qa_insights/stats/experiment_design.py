"""Design checks of an experiment on error rates: the minimum detectable effect stated
before the result, and the parallel-trends check of a difference-in-differences.

* :func:`minimum_detectable_effect`: the smallest fall of the error rate from
  ``p_control`` the pooled two-proportion z test detects with the given power at the arm
  sizes the design gives (the inverse of
  :func:`qa_insights.stats.experiments.power_two_proportions`).
* :func:`did_minimum_detectable_effect`: the same for a difference-in-differences:
  ``(z_{1 - alpha/2} + z_power) * sqrt(sum_cells p (1 - p) / n)`` with each cell's expected
  rate (its group's pre-period rate).
* :func:`parallel_trends`: the pre-period slopes of the monthly error rate of the treated
  and the control group, by weighted least squares with binomial variances
  (``w_t = n_t / (pbar (1 - pbar))``, ``pbar`` the group's pooled rate), and the z test of
  their difference. Only sampling noise is modelled: month-to-month variation beyond it
  makes the check stricter than it should be, so a "not parallel" verdict warrants a look
  at the chart, not an automatic rejection.

Examples
--------
>>> round(minimum_detectable_effect(0.05, 6745), 4)
0.01
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from qa_insights.data.scalars import as_float
from qa_insights.stats.experiments import power_two_proportions
from qa_insights.stats.proportions import z_value

__all__ = ["Trends", "did_minimum_detectable_effect", "minimum_detectable_effect",
           "parallel_trends"]


def minimum_detectable_effect(p_control: float, n_control: float,
                              n_treatment: float | None = None, *, alpha: float = 0.05,
                              power: float = 0.8) -> float:
    """Smallest fall ``d`` of the error rate (``p_control -> p_control - d``) detected with
    probability ``power`` by the two-sided pooled z test at these arm sizes.

    Returns NaN when no fall down to a rate of 0 reaches that power.

    Examples
    --------
    >>> round(minimum_detectable_effect(0.05, 1000), 4)
    0.0239
    """
    if not 0.0 < p_control < 1.0 or n_control <= 0:
        raise ValueError("p_control must be in (0, 1) and n_control positive")
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must be in (0, 1); got {power}")

    def gap(d: float) -> float:
        return power_two_proportions(p_control, p_control - d, n_control, n_treatment,
                                     alpha=alpha) - power

    top = p_control * (1 - 1e-9)
    if gap(top) < 0:
        return float("nan")
    return float(optimize.brentq(gap, 1e-12, top, xtol=1e-12))


def did_minimum_detectable_effect(cells: pd.DataFrame, *, alpha: float = 0.05,
                                  power: float = 0.8) -> float:
    """Minimum detectable difference-in-differences of error rates for the design's cells.

    Parameters
    ----------
    cells : DataFrame
        ``group`` (treated / control), ``period`` (before / after), ``n_audits`` and
        ``n_errors``; only the before cells' rates are used (the after rates are what the
        experiment measures), the after cells' sizes are the design's.
    alpha, power : float
        Two-sided level and wanted power.

    Returns
    -------
    float
        ``(z_{1 - alpha/2} + z_power) sqrt(sum p_g (1 - p_g) / n_cell)`` in rate units.

    Examples
    --------
    >>> cells = pd.DataFrame({"group": ["treated"] * 2 + ["control"] * 2,
    ...                       "period": ["before", "after"] * 2,
    ...                       "n_audits": [2000, 2000, 6000, 6000],
    ...                       "n_errors": [100, 0, 300, 0]})
    >>> round(did_minimum_detectable_effect(cells), 4)
    0.0223
    """
    c = cells.groupby(["group", "period"])[["n_audits", "n_errors"]].sum()
    var = 0.0
    for g in ("treated", "control"):
        p = (as_float(c.loc[(g, "before"), "n_errors"])
             / as_float(c.loc[(g, "before"), "n_audits"]))
        for period in ("before", "after"):
            var += p * (1 - p) / as_float(c.loc[(g, period), "n_audits"])
    return float((z_value(1 - alpha) + stats.norm.ppf(power)) * math.sqrt(var))


@dataclass(frozen=True)
class Trends:
    """Result of :func:`parallel_trends` (slopes in rate units per month)."""

    slope_treated: float
    se_treated: float
    slope_control: float
    se_control: float
    difference: float
    std_err: float
    z: float
    p_value: float
    parallel: bool
    n_months: int

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict."""
        return asdict(self)


def _slope(x: np.ndarray, n: np.ndarray, e: np.ndarray) -> tuple[float, float]:
    pbar = e.sum() / n.sum()
    if not 0 < pbar < 1:
        return 0.0, float("inf")
    w = n / (pbar * (1 - pbar))
    y = e / n
    xm = np.sum(w * x) / w.sum()
    sxx = float(np.sum(w * (x - xm) ** 2))
    slope = float(np.sum(w * (x - xm) * (y - np.sum(w * y) / w.sum())) / sxx)
    return slope, 1.0 / math.sqrt(sxx)


def parallel_trends(monthly: pd.DataFrame, *, alpha: float = 0.05) -> Trends:
    """Compare the pre-period slopes of the treated and control groups' error rates.

    Parameters
    ----------
    monthly : DataFrame
        Pre-period rows ``group`` (treated / control), ``month``, ``n_audits``,
        ``n_errors``; at least 3 months with audits in each group.
    alpha : float
        Level of the z test of the slopes' difference; ``parallel`` is True when it is
        not significant.

    Returns
    -------
    Trends

    Examples
    --------
    >>> m = pd.DataFrame({"group": ["treated"] * 3 + ["control"] * 3,
    ...                   "month": ["2026-01", "2026-02", "2026-03"] * 2,
    ...                   "n_audits": 1000, "n_errors": [50, 50, 50, 40, 40, 40]})
    >>> t = parallel_trends(m)
    >>> t.difference, t.parallel
    (0.0, True)
    """
    need = {"group", "month", "n_audits", "n_errors"}
    if not need <= set(monthly.columns):
        raise ValueError(f"monthly: expected columns {sorted(need)}")
    m = monthly[monthly["n_audits"] > 0]
    months = sorted(set(m["month"]))
    index = {mo: i for i, mo in enumerate(months)}
    fits = {}
    for g in ("treated", "control"):
        rows = m[m["group"] == g]
        if rows["month"].nunique() < 3:
            raise ValueError(f"parallel trends: the {g} group needs at least 3 pre-period "
                             f"months with audits; got {rows['month'].nunique()}")
        rows = rows.groupby("month")[["n_audits", "n_errors"]].sum().reset_index()
        fits[g] = _slope(rows["month"].map(index).to_numpy(float),
                         rows["n_audits"].to_numpy(float), rows["n_errors"].to_numpy(float))
    (st, set_), (sc, sec) = fits["treated"], fits["control"]
    se = math.sqrt(set_ ** 2 + sec ** 2)
    z = (st - sc) / se if math.isfinite(se) and se > 0 else 0.0
    p = float(2 * stats.norm.sf(abs(z)))
    return Trends(st, set_, sc, sec, st - sc, se, z, p, bool(p >= alpha), len(months))
