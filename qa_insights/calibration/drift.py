"""Drift: each rater's (or site's) alignment with gold across calibration sessions.

Both functions take the ratings next to gold (:func:`qa_insights.calibration.load.gold_comparison`);
:mod:`qa_insights.calibration.raters` wraps them as ``alignment_by_session`` and ``drift_trend``
taking the calibration table. :func:`alignment_table` gives accuracy against gold per
group and session, with a Wilson interval and the net leniency; :func:`trend_test` tests
each group for a linear
trend of accuracy over time with the Cochran-Armitage test. With ``x_s`` correct of
``n_s`` ratings in session s at time ``t_s`` (days since the group's first session) and
pooled accuracy ``p``::

    T = sum_s t_s (x_s - n_s p),   Var(T) = p (1 - p) sum_s n_s (t_s - tbar)**2,
    z = T / sqrt(Var(T)),          slope = T / sum_s n_s (t_s - tbar)**2

(``tbar`` the rating-weighted mean time). ``z**2`` is the score test of the slope in a
logistic regression of correctness on time (R ``prop.trend.test``); ``slope`` is the
rating-weighted least-squares slope of session accuracy on time, reported per 30 days.
The p-value is two-sided, from the normal distribution. The verdict allows for sessions
varying more than binomial noise (a different mix of raters each session): the Pearson
dispersion of each group's sessions around its fitted line, ``phi = X^2 / (k - 2)`` over
``k`` sessions and at least 1, scales the test (quasi-binomial, ``z / sqrt(phi)``); on the
sample data's null world the plain test named a drifting site in 4 of 40 seeds. The
verdicts are one family: the scaled p-values of all groups tested are adjusted together by
Holm's method (``p_adjusted``),
and a trend is called only where the adjusted p-value is below ``alpha``, so in a history
where no group drifts the chance of any "declining" or "improving" is at most ``alpha``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from qa_insights.stats.differences import adjust_p_values
from qa_insights.stats.proportions import wilson_interval

__all__ = ["alignment_table", "trend_test"]

_Group = Literal["rater_id", "site"]


def alignment_table(comparison: pd.DataFrame, by: _Group = "rater_id",
                    confidence: float = 0.95) -> pd.DataFrame:
    """Accuracy against gold of each group in each session.

    Parameters
    ----------
    comparison : DataFrame
        Ratings next to gold, from :func:`qa_insights.calibration.load.gold_comparison`.
    by : {"rater_id", "site"}
        Group: one rater, or all raters of a site pooled.
    confidence : float
        Level of the Wilson interval.

    Returns
    -------
    DataFrame
        ``by``, ``session_id``, ``session_date``, ``n_ratings``, ``n_correct``,
        ``accuracy``, ``accuracy_ci_low``, ``accuracy_ci_high``, ``net_leniency``
        ((under - over-enforcement) / ratings; positive = lenient), sorted by group and date.

    Examples
    --------
    >>> comp = pd.DataFrame({"rater_id": ["M1"] * 4, "session_id": ["a", "a", "b", "b"],
    ...                      "session_date": ["2026-01-07"] * 2 + ["2026-02-07"] * 2,
    ...                      "correct": [True, False, True, True],
    ...                      "under_enforcement": [False, True, False, False],
    ...                      "over_enforcement": False})
    >>> alignment_table(comp)[["session_id", "accuracy", "net_leniency"]]
      session_id  accuracy  net_leniency
    0          a       0.5           0.5
    1          b       1.0           0.0
    """
    rows = comparison.assign(session_date=pd.to_datetime(comparison["session_date"]))
    out = rows.groupby([by, "session_id"], sort=False).agg(
        session_date=("session_date", "first"), n_ratings=("correct", "size"),
        n_correct=("correct", "sum"), n_under=("under_enforcement", "sum"),
        n_over=("over_enforcement", "sum")).reset_index()
    low, high = wilson_interval(out["n_correct"].to_numpy(), out["n_ratings"].to_numpy(),
                                confidence)
    out = out.assign(accuracy=out["n_correct"] / out["n_ratings"], accuracy_ci_low=low,
                     accuracy_ci_high=high,
                     net_leniency=(out["n_under"] - out["n_over"]) / out["n_ratings"])
    return (out.drop(columns=["n_under", "n_over"])
            .sort_values([by, "session_date", "session_id"], kind="stable")
            .reset_index(drop=True))


def _dispersion(sessions: pd.DataFrame, group: np.ndarray, t: np.ndarray, p: np.ndarray,
                sums: pd.DataFrame, s_tt: np.ndarray, score: pd.Series) -> np.ndarray:
    """Pearson dispersion of each group's sessions around its fitted line, at least 1
    (1 with fewer than 3 sessions)."""
    n = sessions["n_ratings"].to_numpy(float)
    x = sessions["n_correct"].to_numpy(float)
    tbar = (sums["nt"] / sums["n"]).to_numpy()[group]
    slope = np.divide(score.to_numpy(), s_tt, out=np.zeros(len(s_tt)), where=s_tt > 0)
    fitted = np.clip(p[group] + slope[group] * (t - tbar), 1e-6, 1 - 1e-6)
    pearson = (x - n * fitted) ** 2 / (n * fitted * (1 - fitted))
    chi2 = np.bincount(group, weights=pearson, minlength=len(p))
    k = np.bincount(group, minlength=len(p))
    phi = np.divide(chi2, k - 2, out=np.ones(len(p)), where=k > 2)
    return np.maximum(phi, 1.0)


def trend_test(comparison: pd.DataFrame, by: _Group = "rater_id",
               alpha: float = 0.05) -> pd.DataFrame:
    """Cochran-Armitage test for a trend in each group's accuracy across sessions.

    Parameters
    ----------
    comparison : DataFrame
        Ratings next to gold, from :func:`qa_insights.calibration.load.gold_comparison`.
    by : {"rater_id", "site"}
        Group: one rater, or all raters of a site pooled.
    alpha : float
        Significance level of the ``trend`` verdict.

    Returns
    -------
    DataFrame
        One row per group: ``by``, ``n_sessions``, ``n_ratings``, ``first_session_date``,
        ``last_session_date``, ``first_accuracy``, ``last_accuracy``, ``accuracy``
        (pooled), ``slope_per_30_days`` (NaN with fewer than 2 session dates), ``z``,
        ``p_value`` (the binomial score test; z = 0 and p = 1 when there is no variation to
        test), ``dispersion`` (phi), ``p_adjusted`` (the test scaled by phi, Holm over the
        groups with 2 or more sessions; NaN for the others) and ``trend``:
        "improving" / "declining" (adjusted p < alpha), "no significant trend", or
        "fewer than 2 sessions".

    Examples
    --------
    >>> comp = pd.DataFrame({"site": "dublin", "session_id": list("aabbcc"),
    ...                      "session_date": ["2026-01-01"] * 2 + ["2026-01-31"] * 2
    ...                                      + ["2026-03-02"] * 2,
    ...                      "correct": [False, False, True, False, True, True],
    ...                      "under_enforcement": False, "over_enforcement": False})
    >>> trend_test(comp, by="site")[["n_sessions", "slope_per_30_days", "z"]].round(3)
       n_sessions  slope_per_30_days    z
    0           3                0.5  2.0
    """
    sessions = alignment_table(comparison, by)
    days = sessions["session_date"] - sessions.groupby(by)["session_date"].transform("min")
    t = days.dt.total_seconds().to_numpy() / 86400.0
    n = sessions["n_ratings"].to_numpy(float)
    x = sessions["n_correct"].to_numpy(float)
    group = sessions.groupby(by, sort=False).ngroup().to_numpy()
    sums = pd.DataFrame({"g": group, "n": n, "x": x, "nt": n * t, "nt2": n * t * t,
                         "xt": x * t}).groupby("g").sum()
    p = sums["x"] / sums["n"]
    s_tt = (sums["nt2"] - sums["nt"] ** 2 / sums["n"]).clip(lower=0.0)
    score = sums["xt"] - p * sums["nt"]
    var = p * (1 - p) * s_tt
    testable = var > 0
    z = np.divide(score, np.sqrt(var), out=np.zeros(len(var)), where=testable.to_numpy())
    dated = s_tt > 0
    slope = np.divide(score, s_tt, out=np.full(len(var), np.nan), where=dated.to_numpy()) * 30
    p_value = 2 * stats.norm.sf(np.abs(z))
    n_sessions = sessions.groupby(group).size().to_numpy()
    dispersion = _dispersion(sessions, group, t, p.to_numpy(), sums, s_tt.to_numpy(), score)
    p_quasi = 2 * stats.norm.sf(np.abs(z) / np.sqrt(dispersion))
    p_adjusted = adjust_p_values(np.where(n_sessions >= 2, p_quasi, np.nan))
    first = sessions.groupby(group).head(1).reset_index(drop=True)
    last = sessions.groupby(group).tail(1).reset_index(drop=True)
    significant = np.nan_to_num(p_adjusted, nan=1.0) < alpha
    trend = np.select([n_sessions < 2, significant & (z > 0), significant & (z < 0)],
                      ["fewer than 2 sessions", "improving", "declining"],
                      "no significant trend")
    return pd.DataFrame({
        by: first[by], "n_sessions": n_sessions, "n_ratings": sums["n"].to_numpy(int),
        "first_session_date": first["session_date"], "last_session_date": last["session_date"],
        "first_accuracy": first["accuracy"], "last_accuracy": last["accuracy"],
        "accuracy": p.to_numpy(), "slope_per_30_days": slope, "z": z, "p_value": p_value,
        "dispersion": dispersion, "p_adjusted": p_adjusted, "trend": trend,
    })
