"""Intervals and tests for proportions: Wilson, Newcombe difference, two-proportion tests.

Every rate in a report carries an interval. A single rate gets the Wilson score interval
(good coverage at small n and near 0 or 1, never outside [0, 1]); a difference of two
independent rates gets Newcombe's (1998) hybrid-score interval (method 10), built from the
two Wilson intervals. Whether a change is *significant* is decided by a test only: the
pooled two-proportion z test, or Fisher's exact test when any expected cell count is below 5.

References
----------
Wilson, E.B. (1927). Probable inference, the law of succession, and statistical inference.
JASA 22:209-212.
Newcombe, R.G. (1998). Interval estimation for the difference between independent
proportions: comparison of eleven methods. Statistics in Medicine 17:873-890.

Examples
--------
>>> low, high = wilson_interval(2, 40)
>>> round(low, 3), round(high, 3)
(0.014, 0.165)
>>> low, high = newcombe_interval(56, 70, 48, 80)
>>> round(low, 4), round(high, 4)
(0.0524, 0.3339)
>>> res = compare_proportions(30, 300, 10, 300)
>>> res.test, res.significant
('two-proportion z', True)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

__all__ = [
    "Comparison",
    "compare_proportions",
    "newcombe_interval",
    "wilson_interval",
    "z_value",
]

#: Smallest expected cell count for which the z test is used instead of Fisher's exact test.
MIN_EXPECTED_COUNT = 5.0


def z_value(confidence: float) -> float:
    """Two-sided standard-normal quantile for a confidence level.

    Examples
    --------
    >>> round(z_value(0.95), 6)
    1.959964
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence!r}")
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def _counts(successes: ArrayLike, n: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    if np.any(m < 0) or np.any(x < 0):
        raise ValueError("successes and n must be non-negative")
    if np.any(x > m):
        raise ValueError("successes must not exceed n")
    return x, m


def _maybe_scalar(a: np.ndarray) -> np.ndarray | float:
    return float(a) if a.ndim == 0 else a


def _wilson(x: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        z2n = z * z / n
        centre = (p + z2n / 2.0) / (1.0 + z2n)
        half = z * np.sqrt(p * (1.0 - p) / n + z2n / (4.0 * n)) / (1.0 + z2n)
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    # At x = 0 (x = n) the bound is exactly 0 (1); avoid rounding noise such as 1e-18.
    low = np.where(x == 0, np.where(n > 0, 0.0, np.nan), low)
    high = np.where((x == n) & (n > 0), 1.0, high)
    return low, high


def wilson_interval(successes: ArrayLike, n: ArrayLike,
                    confidence: float = 0.95) -> tuple[Any, Any]:
    """Wilson score interval for a binomial proportion (without continuity correction).

    Parameters
    ----------
    successes : int or array_like
        Number of successes (e.g. errors), ``0 <= successes <= n``.
    n : int or array_like
        Number of trials (e.g. audits); broadcast against ``successes``.
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    low, high : float or ndarray
        Interval bounds in [0, 1]; floats when both inputs are scalars. ``n = 0`` gives NaN.

    Raises
    ------
    ValueError
        Negative counts or ``successes > n``.

    Examples
    --------
    >>> [round(v, 4) for v in wilson_interval(81, 263)]
    [0.2553, 0.3662]
    >>> lo, hi = wilson_interval([0, 5], [0, 10])
    >>> lo.round(3)
    array([  nan, 0.237])
    """
    x, m = _counts(successes, n)
    low, high = _wilson(x, m, z_value(confidence))
    return _maybe_scalar(low), _maybe_scalar(high)


def newcombe_interval(x1: ArrayLike, n1: ArrayLike, x2: ArrayLike, n2: ArrayLike,
                      confidence: float = 0.95) -> tuple[Any, Any]:
    """Newcombe (1998) hybrid-score interval (method 10) for ``x1/n1 - x2/n2``.

    ``low = d - sqrt((p1 - l1)**2 + (u2 - p2)**2)`` and
    ``high = d + sqrt((u1 - p1)**2 + (p2 - l2)**2)``, where ``(l_i, u_i)`` are the Wilson
    intervals of the two proportions.

    Parameters
    ----------
    x1, n1 : int or array_like
        Successes and trials of the first group.
    x2, n2 : int or array_like
        Successes and trials of the second group.
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    low, high : float or ndarray
        Interval for the difference, within [-1, 1]; NaN where either ``n`` is 0.

    Examples
    --------
    >>> [round(v, 3) for v in newcombe_interval(7, 34, 1, 34)]
    [0.019, 0.34]
    """
    a, m1 = _counts(x1, n1)
    b, m2 = _counts(x2, n2)
    z = z_value(confidence)
    l1, u1 = _wilson(a, m1, z)
    l2, u2 = _wilson(b, m2, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = a / m1, b / m2
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return _maybe_scalar(np.asarray(low)), _maybe_scalar(np.asarray(high))


@dataclass(frozen=True)
class Comparison:
    """Result of :func:`compare_proportions`.

    Attributes
    ----------
    p1, p2 : float
        The two proportions ``x1/n1`` and ``x2/n2``.
    difference : float
        ``p1 - p2``.
    ci_low, ci_high : float
        Newcombe hybrid-score interval of the difference.
    p_value : float
        Two-sided p-value of ``test``.
    test : str
        ``"two-proportion z"`` (pooled) or ``"Fisher exact"`` (any expected count < 5).
    significant : bool
        ``p_value < alpha``; decided by the test only, not by the interval.
    """

    p1: float
    p2: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    test: str
    significant: bool

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (one row of a results frame)."""
        return asdict(self)


def compare_proportions(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95,
                        alpha: float = 0.05) -> Comparison:
    """Compare two independent proportions: difference, Newcombe interval and a test.

    The test is the pooled two-proportion z test unless any expected cell count of the
    2x2 table (under equal proportions) is below 5, in which case it is Fisher's exact
    test (two-sided). When either group is empty the proportions, interval and p-value are
    NaN and the result is not significant.

    Parameters
    ----------
    x1, n1 : int
        Successes and trials of the first group (e.g. this month's errors and audits).
    x2, n2 : int
        Successes and trials of the second group (e.g. last month's).
    confidence : float
        Confidence level of the interval.
    alpha : float
        Significance level of the test.

    Returns
    -------
    Comparison
        Frozen record; ``as_dict()`` gives a plain dict.

    Examples
    --------
    >>> r = compare_proportions(7, 34, 1, 34)
    >>> r.test, round(r.p_value, 4), r.significant
    ('Fisher exact', 0.0544, False)
    """
    (xa, na), (xb, nb) = _counts(x1, n1), _counts(x2, n2)
    if xa.ndim or xb.ndim:
        raise ValueError("compare_proportions takes scalar counts")
    a, m1, b, m2 = float(xa), float(na), float(xb), float(nb)
    low, high = newcombe_interval(a, m1, b, m2, confidence)
    if m1 == 0 or m2 == 0:
        nan = float("nan")
        return Comparison(nan if m1 == 0 else a / m1, nan if m2 == 0 else b / m2, nan,
                          nan, nan, nan, "none (empty group)", False)
    p1, p2 = a / m1, b / m2
    pooled = (a + b) / (m1 + m2)
    expected = np.array([m1 * pooled, m1 * (1 - pooled), m2 * pooled, m2 * (1 - pooled)])
    if np.any(expected < MIN_EXPECTED_COUNT):
        table = [[int(a), int(m1 - a)], [int(b), int(m2 - b)]]
        p_value = float(stats.fisher_exact(table, alternative="two-sided").pvalue)
        test = "Fisher exact"
    else:
        se = np.sqrt(pooled * (1 - pooled) * (1 / m1 + 1 / m2))
        p_value = float(2 * stats.norm.sf(abs(p1 - p2) / se))
        test = "two-proportion z"
    return Comparison(p1, p2, p1 - p2, float(low), float(high), p_value, test,
                      bool(p_value < alpha))
