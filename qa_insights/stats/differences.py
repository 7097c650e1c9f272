"""Tests of difference between groups: independence, pairwise rates, means and ranks.

Pure functions on counts or per-group summary statistics, so that the row-level work
(counting, means, variances, rank sums) stays in the engine (:mod:`qa_insights.rca.change` runs
those queries):

* :func:`independence_test`: Pearson chi-square test of independence of a contingency
  table (e.g. site x error type) with Cramer's V; Fisher's exact test when the table is
  sparse (exact for 2 x 2, Monte Carlo over tables with the observed margins otherwise).
* :func:`pairwise_proportions`: every pair of groups compared with
  :func:`qa_insights.stats.proportions.compare_proportions`, p-values adjusted by Holm or
  Benjamini-Hochberg.
* :func:`anova_oneway`, :func:`kruskal_wallis`, :func:`welch_t_test`: handle time (or any
  number) by group, from group sizes, means, variances and rank sums.

Examples
--------
>>> r = independence_test([[30, 10], [20, 40]])
>>> r.test, round(r.statistic, 3), round(r.effect_size, 3), r.significant
('chi-square', 16.667, 0.408, True)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from qa_insights.data.scalars import as_float, as_int
from qa_insights.stats.proportions import agreeing_interval, compare_proportions

__all__ = [
    "MONTE_CARLO_TABLES",
    "HypothesisTest",
    "adjust_p_values",
    "anova_oneway",
    "independence_test",
    "kruskal_wallis",
    "pairwise_proportions",
    "welch_t_test",
]

#: Random tables drawn for the Monte Carlo Fisher test of a sparse table larger than 2 x 2.
MONTE_CARLO_TABLES = 19_999

_NAN = float("nan")


@dataclass(frozen=True)
class HypothesisTest:
    """Result of a test of difference.

    Attributes
    ----------
    test : str
        Name of the test that decided ``p_value``.
    statistic : float
        Test statistic (chi-square, F, H or t).
    dof : float
        Degrees of freedom (NaN when not applicable).
    p_value : float
        Two-sided p-value.
    significant : bool
        ``p_value < alpha``.
    effect_size : float
        Effect size (see ``effect_size_name``).
    effect_size_name : str
        ``"Cramer's V"``, ``"eta squared"``, ``"epsilon squared"`` or ``"Cohen's d"``.
    n : int
        Observations used.
    estimate, ci_low, ci_high : float
        A difference and its confidence interval where the test has one (Welch), else NaN.
    """

    test: str
    statistic: float
    dof: float
    p_value: float
    significant: bool
    effect_size: float
    effect_size_name: str
    n: int
    estimate: float = _NAN
    ci_low: float = _NAN
    ci_high: float = _NAN

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (one row of a results frame)."""
        return asdict(self)


def adjust_p_values(p_values: ArrayLike, method: str = "holm",
                    weights: ArrayLike | None = None) -> np.ndarray:
    """Adjust p-values for multiple comparisons (Holm or Benjamini-Hochberg).

    Holm's step-down method controls the family-wise error rate; Benjamini-Hochberg the
    false discovery rate. NaN p-values stay NaN and do not count as tests. Holm takes
    optional weights (Holm 1979, weighted): hypotheses are ordered by ``p / w`` and the
    adjusted p-value of the j-th is ``max over i <= j of (p_i / w_i) * (sum of the weights
    from i on)``; equal weights give the ordinary method.

    Parameters
    ----------
    p_values : array_like
        Raw p-values.
    method : {"holm", "bh"}
        Adjustment.
    weights : array_like, optional
        Positive weights of the hypotheses (Holm only; normalised to sum 1 over the
        non-NaN p-values).

    Returns
    -------
    ndarray
        Adjusted p-values (capped at 1), in the input order.

    Examples
    --------
    >>> adjust_p_values([0.01, 0.04, 0.03]).round(3)
    array([0.03, 0.06, 0.06])
    >>> adjust_p_values([0.01, 0.04, 0.03], "bh").round(3)
    array([0.03, 0.04, 0.04])
    """
    if method not in ("holm", "bh"):
        raise ValueError(f"method: expected 'holm' or 'bh', got {method!r}")
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    if weights is not None:
        w = np.asarray(weights, dtype=float)
        if method != "holm" or w.shape != p.shape or np.any(w[ok] <= 0):
            raise ValueError("weights: Holm only, one positive weight per p-value")
    if m == 0:
        return out
    if method == "holm":
        w = np.ones(m) / m if weights is None else w[ok] / w[ok].sum()
        q = p[ok] / w
        idx = np.argsort(q, kind="stable")
        remaining = np.cumsum(w[idx][::-1])[::-1]
        out[ok[idx]] = np.minimum(np.maximum.accumulate(q[idx] * remaining), 1.0)
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adj = np.minimum.accumulate((p[order] * m / np.arange(1, m + 1))[::-1])[::-1]
    out[order] = np.minimum(adj, 1.0)
    return out


def _sparse(expected: np.ndarray) -> bool:
    """Cochran's rule: any expected count below 1 or more than 20% below 5."""
    return bool((expected < 1).any() or (expected < 5).mean() > 0.2)


def independence_test(table: ArrayLike | pd.DataFrame, *, alpha: float = 0.05,
                      seed: int = 0) -> HypothesisTest:
    """Chi-square test of independence with Cramer's V; exact when the table is sparse.

    Rows or columns without any count are dropped first. The statistic is Pearson's
    chi-square without continuity correction. When the table is sparse (any expected
    count below 1, or more than 20% below 5) the p-value comes from Fisher's exact test
    instead: exact for a 2 x 2 table, otherwise Monte Carlo over
    :data:`MONTE_CARLO_TABLES` random tables with the observed margins (seeded, so the
    result is reproducible).

    Parameters
    ----------
    table : array_like or DataFrame
        Contingency table of non-negative counts (e.g. sites x error types).
    alpha : float
        Significance level.
    seed : int
        Seed of the Monte Carlo test.

    Returns
    -------
    HypothesisTest
        ``test`` is ``"chi-square"``, ``"Fisher exact"`` or ``"Fisher exact (Monte
        Carlo)"``; ``effect_size`` is Cramer's V. A table with fewer than two non-empty
        rows or columns has no test (NaN p-value, not significant).

    Examples
    --------
    >>> r = independence_test([[3, 0], [0, 3]])
    >>> r.test, round(r.p_value, 4)
    ('Fisher exact', 0.1)
    """
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or np.any(t < 0) or not np.all(np.isfinite(t)):
        raise ValueError("table must be a 2-d array of non-negative counts")
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    n = int(t.sum())
    if min(t.shape) < 2:
        return HypothesisTest("none (fewer than two categories)", _NAN, _NAN, _NAN, False,
                              _NAN, "Cramer's V", n)
    expected = np.outer(t.sum(axis=1), t.sum(axis=0)) / n
    chi2 = float(((t - expected) ** 2 / expected).sum())
    dof = (t.shape[0] - 1) * (t.shape[1] - 1)
    v = float(np.sqrt(chi2 / (n * (min(t.shape) - 1))))
    if not _sparse(expected):
        p, name = float(stats.chi2.sf(chi2, dof)), "chi-square"
    elif t.shape == (2, 2):
        p, name = float(stats.fisher_exact(t.astype(np.int64)).pvalue), "Fisher exact"
    else:
        method = stats.MonteCarloMethod(n_resamples=MONTE_CARLO_TABLES,
                                        rng=np.random.default_rng(seed))
        # SciPy returns a 1-element array for some R x C shapes; NumPy 2 will not float() it.
        p = float(np.ravel(stats.fisher_exact(t.astype(np.int64), method=method).pvalue)[0])
        name = "Fisher exact (Monte Carlo)"
    return HypothesisTest(name, chi2, float(dof), p, bool(p < alpha), v, "Cramer's V", n)


def pairwise_proportions(counts: pd.DataFrame, group: str, *, n: str = "n_audits",
                         events: str = "n_errors", method: str = "holm", alpha: float = 0.05,
                         confidence: float | None = None) -> pd.DataFrame:
    """Compare the error rate of every pair of groups, adjusting for multiple comparisons.

    Each pair goes through :func:`qa_insights.stats.proportions.compare_proportions` (pooled z
    test, Fisher's exact test when sparse); the p-values of all pairs are then adjusted
    together. Each interval inverts the pair's own test
    (:func:`qa_insights.stats.proportions.agreeing_interval`: the score interval of Mee
    1984, which the pooled z test inverts) at the level that matches the adjustment,
    ``1 - alpha * p_value / p_adjusted`` (``1 - alpha / m`` for Bonferroni; Holm's and
    BH's step-wise levels otherwise). So an interval excludes 0 exactly when the pair is
    significant, and ``ci_level`` says which level it is (issue 22: a pair called
    significant at adjusted p 0.048 beside a Newcombe interval from -0.01 pts).

    Parameters
    ----------
    counts : DataFrame
        One row per group: ``group``, ``n`` and ``events`` columns.
    group : str
        Column naming the groups (e.g. ``"site"``).
    n, events : str
        Trials and successes columns.
    method : {"holm", "bh"}
        Holm's step-down (family-wise error) or Benjamini-Hochberg (false discovery rate).
    alpha : float
        Level at which an adjusted p-value is significant.
    confidence : float, optional
        A fixed level for every interval instead (unadjusted per-pair intervals, which
        then agree with the raw p-values at ``1 - confidence``, not with the verdict).

    Returns
    -------
    DataFrame
        One row per pair (groups in input order): ``group_a, group_b, n_a, events_a,
        rate_a, n_b, events_b, rate_b, difference`` (a - b), ``ci_low, ci_high,
        ci_level, test, p_value, p_adjusted, significant``, sorted by ``p_adjusted``;
        ``attrs["alpha"]`` is ``alpha``.

    Examples
    --------
    >>> c = pd.DataFrame({"site": ["a", "b", "c"], "n_audits": [500, 500, 500],
    ...                   "n_errors": [10, 30, 12]})
    >>> pairwise_proportions(c, "site")[["group_a", "group_b", "significant"]]
      group_a group_b  significant
    0       a       b         True
    1       b       c         True
    2       a       c        False
    """
    if method not in ("holm", "bh"):
        raise ValueError(f"method: expected 'holm' or 'bh', got {method!r}")
    missing = [c for c in (group, n, events) if c not in counts.columns]
    if missing:
        raise ValueError(f"counts: missing column(s) {missing}")
    if counts[group].duplicated().any():
        raise ValueError(f"counts: a {group} appears more than once; give one row per group")
    rows = []
    for (_, a), (_, b) in combinations(counts.iterrows(), 2):
        c = compare_proportions(int(a[events]), int(a[n]), int(b[events]), int(b[n]),
                                alpha=alpha)
        rows.append({"group_a": a[group], "group_b": b[group], "n_a": int(a[n]),
                     "events_a": int(a[events]), "rate_a": c.p1, "n_b": int(b[n]),
                     "events_b": int(b[events]), "rate_b": c.p2,
                     "difference": c.difference, "test": c.test, "p_value": c.p_value})
    out = pd.DataFrame(rows, columns=["group_a", "group_b", "n_a", "events_a", "rate_a",
                                      "n_b", "events_b", "rate_b", "difference", "test",
                                      "p_value"])
    p = out["p_value"].to_numpy(dtype=float)
    adjusted = adjust_p_values(p, method)
    with np.errstate(divide="ignore", invalid="ignore"):
        level = (np.full(p.shape, float(confidence)) if confidence is not None
                 else np.where(adjusted > 0, 1 - alpha * p / adjusted, 1 - alpha / max(len(p), 1)))
    bounds = [agreeing_interval(as_int(r.events_a), as_int(r.n_a), as_int(r.events_b),
                                as_int(r.n_b), as_float(r.p_value), str(r.test), lv)
              if np.isfinite(as_float(r.p_value)) else (np.nan, np.nan)
              for r, lv in zip(out.itertuples(), level)]
    out.insert(9, "ci_low", [b[0] for b in bounds])
    out.insert(10, "ci_high", [b[1] for b in bounds])
    out.insert(11, "ci_level", np.where(np.isfinite(p), level, np.nan))
    out["p_adjusted"] = adjusted
    out["significant"] = out["p_adjusted"] < alpha
    out = out.sort_values("p_adjusted", kind="stable").reset_index(drop=True)
    out.attrs["alpha"] = alpha
    return out


def _group_arrays(*arrays: ArrayLike) -> list[np.ndarray]:
    out = [np.asarray(a, dtype=float).ravel() for a in arrays]
    if len({a.size for a in out}) != 1:
        raise ValueError("per-group inputs must have the same length")
    return out


def anova_oneway(n: ArrayLike, mean: ArrayLike, var: ArrayLike, *,
                 alpha: float = 0.05) -> HypothesisTest:
    """One-way ANOVA F test from group sizes, means and sample variances (ddof 1).

    Parameters
    ----------
    n, mean, var : array_like
        Per group: observations, mean, sample variance. Groups with no observation are
        ignored; a group of one has variance NaN and contributes nothing within groups.
    alpha : float
        Significance level.

    Returns
    -------
    HypothesisTest
        ``statistic`` F with ``dof`` (between, within) given as ``k - 1`` (the within
        degrees of freedom, ``N - k``, are in the test name); effect size eta squared.

    Examples
    --------
    >>> r = anova_oneway([3, 3], [2.0, 5.0], [1.0, 1.0])
    >>> round(r.statistic, 2), r.test
    (13.5, 'one-way ANOVA (F, 1 and 4 df)')
    """
    n, mean, var = _group_arrays(n, mean, var)
    keep = n > 0
    n, mean, var = n[keep], mean[keep], np.where(n[keep] > 1, var[keep], 0.0)
    k, total = n.size, n.sum()
    if k < 2 or total <= k:
        return HypothesisTest("one-way ANOVA", _NAN, _NAN, _NAN, False, _NAN, "eta squared",
                              int(total))
    grand = (n * mean).sum() / total
    ssb = float((n * (mean - grand) ** 2).sum())
    ssw = float(((n - 1) * var).sum())
    f = float((ssb / (k - 1)) / (ssw / (total - k)))
    p = float(stats.f.sf(f, k - 1, total - k))
    return HypothesisTest(f"one-way ANOVA (F, {k - 1} and {int(total - k)} df)", f,
                          float(k - 1), p, bool(p < alpha), ssb / (ssb + ssw),
                          "eta squared", int(total))


def kruskal_wallis(n: ArrayLike, rank_sum: ArrayLike, tie_term: float = 0.0, *,
                   alpha: float = 0.05) -> HypothesisTest:
    """Kruskal-Wallis H test from group sizes and rank sums, with the tie correction.

    Parameters
    ----------
    n, rank_sum : array_like
        Per group: observations and the sum of their ranks in the pooled sample (tied
        values get the average rank).
    tie_term : float
        ``sum(t**3 - t)`` over the groups of tied values (0 without ties).
    alpha : float
        Significance level.

    Returns
    -------
    HypothesisTest
        ``statistic`` H (chi-square with ``k - 1`` df); effect size epsilon squared
        ``H / (N - 1)``.

    Examples
    --------
    >>> r = kruskal_wallis([3, 3], [6.0, 15.0])     # ranks 1-3 vs 4-6
    >>> round(r.statistic, 4), round(r.p_value, 4)
    (3.8571, 0.0495)
    """
    n, rank_sum = _group_arrays(n, rank_sum)
    keep = n > 0
    n, rank_sum = n[keep], rank_sum[keep]
    k, total = n.size, n.sum()
    correction = 1.0 - tie_term / (total**3 - total) if total > 1 else 0.0
    if k < 2 or correction <= 0:
        return HypothesisTest("Kruskal-Wallis", _NAN, _NAN, _NAN, False, _NAN,
                              "epsilon squared", int(total))
    h = (12.0 / (total * (total + 1)) * (rank_sum**2 / n).sum() - 3 * (total + 1))
    h /= correction
    p = float(stats.chi2.sf(h, k - 1))
    return HypothesisTest("Kruskal-Wallis", float(h), float(k - 1), p, bool(p < alpha),
                          float(h / (total - 1)), "epsilon squared", int(total))


def welch_t_test(n1: float, mean1: float, var1: float, n2: float, mean2: float, var2: float,
                 *, alpha: float = 0.05, confidence: float = 0.95) -> HypothesisTest:
    """Welch's t test for two means (unequal variances) from summary statistics.

    Parameters
    ----------
    n1, mean1, var1 : float
        First group: observations, mean, sample variance (ddof 1).
    n2, mean2, var2 : float
        Second group.
    alpha : float
        Significance level.
    confidence : float
        Level of the interval of ``mean1 - mean2``.

    Returns
    -------
    HypothesisTest
        ``statistic`` t with Welch-Satterthwaite ``dof``; ``estimate`` ``mean1 - mean2``
        with its interval; effect size Cohen's d on the average variance.

    Examples
    --------
    >>> r = welch_t_test(10, 60.0, 100.0, 12, 50.0, 144.0)
    >>> round(r.statistic, 3), round(r.dof, 2)
    (2.132, 20.0)
    """
    if n1 < 2 or n2 < 2:
        raise ValueError("Welch's t test needs at least two observations per group")
    se2 = var1 / n1 + var2 / n2
    diff = mean1 - mean2
    t = diff / np.sqrt(se2)
    dof = se2**2 / ((var1 / n1) ** 2 / (n1 - 1) + (var2 / n2) ** 2 / (n2 - 1))
    p = float(2 * stats.t.sf(abs(t), dof))
    half = float(stats.t.ppf(0.5 + confidence / 2, dof) * np.sqrt(se2))
    d = diff / np.sqrt((var1 + var2) / 2)
    return HypothesisTest("Welch t", float(t), float(dof), p, bool(p < alpha), float(d),
                          "Cohen's d", int(n1 + n2), float(diff), diff - half, diff + half)
