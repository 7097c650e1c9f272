"""Control charts for rates with varying subgroup sizes: p-chart and Laney p' chart.

p-chart: centre ``p_bar = sum(x) / sum(n)``, per-point sigma
``sigma_i = sqrt(p_bar (1 - p_bar) / n_i)``, limits ``p_bar +/- 3 sigma_i`` (clipped to
[0, 1]).

Laney p' chart (Laney 2002), for large subgroups whose rates vary between periods more
than binomial noise allows (overdispersion makes a p-chart raise false alarms):
``z_i = (p_i - p_bar) / sigma_i``, ``sigma_z = mean(|z_i - z_{i-1}|) / 1.128`` and limits
``p_bar +/- 3 sigma_i sigma_z``. With ``sigma_z = 1`` it is the p-chart.

Run rules flag each point (see :func:`run_rules`): beyond the limits; the 8th or later
point in a row strictly on one side of the centre line (eight is the Western Electric
Handbook (1956) / AIAG SPC manual convention; Nelson's 1984 test 2 asks for nine); the 6th
or later point in a row each strictly higher (or each strictly lower) than the one before
(Nelson's test 3).

A period with no audits has no rate: it is left out of the chart, its run rules and
Laney's moving range (which then links the periods either side of it), and listed in
``attrs["periods_without_audits"]`` of the result, so that a report can say so.

References
----------
Montgomery, D.C. Introduction to Statistical Quality Control, section 7.2 (p-chart with
variable sample size). Laney, D.B. (2002). Improved control charts for attributes. Quality
Engineering 14(4):531-537. Nelson, L.S. (1984). The Shewhart control chart - tests for
special causes. Journal of Quality Technology 16:237-239. Western Electric (1956).
Statistical Quality Control Handbook. AIAG (2005). Statistical Process Control (SPC)
Reference Manual, 2nd ed.

Examples
--------
>>> import pandas as pd
>>> s = pd.DataFrame({"month": ["m1", "m2", "m3", "m4"], "n_audits": [100, 200, 400, 100],
...                   "n_errors": [10, 30, 40, 20]})
>>> chart = laney_p_chart(s)
>>> round(float(chart.sigma_z[0]), 4), round(float(chart.centre[0]), 3)
(2.4189, 0.125)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "D2",
    "RUN_LENGTH",
    "TREND_LENGTH",
    "laney_p_chart",
    "laney_sigma_z",
    "p_chart",
    "run_rules",
]

#: d2 constant for moving ranges of two points (1.128 to the usual three decimals).
D2 = 1.128
#: Points in a row on one side of the centre line that signal (the Western Electric / AIAG
#: convention; Nelson's test 2 uses nine).
RUN_LENGTH = 8
#: Points in a row steadily rising or falling that signal (Nelson's test 3).
TREND_LENGTH = 6


def _run_lengths(flags: np.ndarray) -> np.ndarray:
    """Length of the run of True values ending at each position (0 where False)."""
    out = np.zeros(len(flags), dtype=int)
    run = 0
    for i, flag in enumerate(flags):
        run = run + 1 if flag else 0
        out[i] = run
    return out


def run_rules(p: np.ndarray, centre: np.ndarray, lcl: np.ndarray, ucl: np.ndarray,
              run_length: int = RUN_LENGTH, trend_length: int = TREND_LENGTH
              ) -> pd.DataFrame:
    """Evaluate the run rules on one chart's points, in time order.

    Parameters
    ----------
    p, centre, lcl, ucl : array_like
        Point values, centre line and limits (per point).
    run_length : int
        A point is flagged ``run_one_side`` when it is the ``run_length``-th or later
        consecutive point strictly above (or strictly below) the centre line; a point on
        the line ends a run.
    trend_length : int
        A point is flagged ``trend`` when it is the ``trend_length``-th or later point of
        a sequence in which each point is strictly above (or below) the previous one.

    Returns
    -------
    DataFrame
        Boolean columns ``beyond_limits``, ``run_one_side``, ``trend`` and
        ``out_of_control`` (any of them).

    Examples
    --------
    >>> r = run_rules(np.array([1, 2, 3, 4, 5, 6.0]), np.full(6, 9.0), np.zeros(6),
    ...               np.full(6, 20.0))
    >>> r.trend.tolist()
    [False, False, False, False, False, True]
    """
    p, centre = np.asarray(p, float), np.asarray(centre, float)
    lcl, ucl = np.asarray(lcl, float), np.asarray(ucl, float)
    beyond = (p > ucl) | (p < lcl)
    side = np.maximum(_run_lengths(p > centre), _run_lengths(p < centre)) >= run_length
    step = np.diff(p, prepend=np.nan)
    rising, falling = _run_lengths(step > 0) + 1, _run_lengths(step < 0) + 1
    trend = np.maximum(rising, falling) >= trend_length
    return pd.DataFrame({"beyond_limits": beyond, "run_one_side": side, "trend": trend,
                         "out_of_control": beyond | side | trend})


def laney_sigma_z(x: np.ndarray, n: np.ndarray) -> float:
    """Laney's between-period scale ``sigma_z = mean moving range of z / 1.128``.

    Parameters
    ----------
    x, n : array_like
        Counts and subgroup sizes in time order (all ``n > 0``).

    Returns
    -------
    float
        NaN with fewer than two points; 1.0 when ``p_bar`` is 0 or 1 (no variation).

    Examples
    --------
    >>> round(laney_sigma_z(np.array([10, 20, 10, 20]), np.array([100] * 4)), 5)
    2.48277
    """
    x, n = np.asarray(x, float), np.asarray(n, float)
    if len(x) < 2:
        return float("nan")
    p_bar = x.sum() / n.sum()
    if p_bar in (0.0, 1.0):
        return 1.0
    z = (x / n - p_bar) / np.sqrt(p_bar * (1 - p_bar) / n)
    return float(np.mean(np.abs(np.diff(z))) / D2)


def _chart(series: pd.DataFrame, by: Sequence[str] | str, period: str, count: str,
           total: str, sigma: float, laney: bool) -> pd.DataFrame:
    by = [by] if isinstance(by, str) else list(by)
    data = series[[*by, period, count, total]].rename(columns={count: "x", total: "n"})
    empty = data.loc[data.n <= 0, [*by, period]].sort_values([*by, period])
    data = data[data.n > 0].sort_values([*by, period]).reset_index(drop=True)
    if data.empty:
        cols = ["p", "centre", "sigma", "sigma_z", "lcl", "ucl", "beyond_limits",
                "run_one_side", "trend", "out_of_control"]
        out = data.reindex(columns=[*data.columns, *cols])
        out.attrs["periods_without_audits"] = empty.reset_index(drop=True)
        return out
    parts = []
    groups = data.groupby(by, sort=False, dropna=False) if by else [((), data)]
    for _, g in groups:
        x, n = g.x.to_numpy(float), g.n.to_numpy(float)
        p_bar = x.sum() / n.sum()
        sd = np.sqrt(p_bar * (1 - p_bar) / n)
        s_z = laney_sigma_z(x, n) if laney else 1.0
        part = g.copy()
        part["p"] = x / n
        part["centre"] = p_bar
        part["sigma"] = sd
        part["sigma_z"] = s_z
        part["lcl"] = np.clip(p_bar - sigma * sd * s_z, 0.0, 1.0)
        part["ucl"] = np.clip(p_bar + sigma * sd * s_z, 0.0, 1.0)
        rules = run_rules(part.p.to_numpy(), part.centre.to_numpy(), part.lcl.to_numpy(),
                          part.ucl.to_numpy())
        parts.append(pd.concat([part, rules.set_index(part.index)], axis=1))
    out = pd.concat(parts).rename(columns={"x": count, "n": total}).reset_index(drop=True)
    out.attrs["periods_without_audits"] = empty.reset_index(drop=True)
    return out


def p_chart(series: pd.DataFrame, by: Sequence[str] | str = (), period: str = "month", *,
            count: str = "n_errors", total: str = "n_audits",
            sigma: float = 3.0) -> pd.DataFrame:
    """p-chart of a rate with varying subgroup sizes, one chart per group (pure).

    Parameters
    ----------
    series : DataFrame
        One row per group and period with ``count`` and ``total`` (e.g. from
        :func:`qa_insights.quality.trends.rate_series`).
    by : sequence of str or str
        Group columns; one chart (its own centre line) per group.
    period : str
        Time-order column (sortable labels such as ``YYYY-MM``).
    count, total : str
        Numerator and denominator columns.
    sigma : float
        Width of the limits in standard deviations.

    Returns
    -------
    DataFrame
        ``by``, ``period``, ``count``, ``total``, then ``p``, ``centre``, ``sigma``
        (per-point binomial sd), ``sigma_z`` (1 for the p-chart), ``lcl``, ``ucl`` and
        the run-rule flags of :func:`run_rules`. Rows with ``total == 0`` have no rate and
        are left out (the moving range and the runs link their neighbours); they are
        listed, ``by`` and ``period``, in ``attrs["periods_without_audits"]``.

    Examples
    --------
    >>> s = pd.DataFrame({"month": ["m1", "m2", "m3"], "n_audits": [100, 100, 100],
    ...                   "n_errors": [5, 5, 20]})
    >>> p_chart(s).beyond_limits.tolist()
    [False, False, True]
    """
    return _chart(series, by, period, count, total, sigma, laney=False)


def laney_p_chart(series: pd.DataFrame, by: Sequence[str] | str = (), period: str = "month",
                  *, count: str = "n_errors", total: str = "n_audits",
                  sigma: float = 3.0) -> pd.DataFrame:
    """Laney p' chart: the p-chart with limits widened (or narrowed) by ``sigma_z``.

    Parameters and result as in :func:`p_chart`; ``sigma_z`` is computed per group by
    :func:`laney_sigma_z` (NaN limits for a group with a single period).

    Examples
    --------
    >>> s = pd.DataFrame({"month": ["m1", "m2", "m3", "m4"], "n_audits": [10_000] * 4,
    ...                   "n_errors": [500, 575, 440, 505]})
    >>> round(float(laney_p_chart(s).sigma_z[0]), 3)
    3.711
    >>> p_chart(s).beyond_limits.tolist(), laney_p_chart(s).beyond_limits.tolist()
    ([False, True, False, False], [False, False, False, False])
    """
    return _chart(series, by, period, count, total, sigma, laney=True)
