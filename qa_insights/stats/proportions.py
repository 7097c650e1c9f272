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
from scipy import optimize, stats

__all__ = [
    "Comparison",
    "agreeing_interval",
    "check_rate",
    "compare_proportions",
    "newcombe_interval",
    "score_interval",
    "wilson_interval",
    "z_value",
]

#: Smallest expected cell count for which the z test is used instead of Fisher's exact test.
MIN_EXPECTED_COUNT = 5.0


def check_rate(name: str, p: float) -> float:
    """``p`` as a float when it lies strictly between 0 and 1, else a ValueError naming it.

    Examples
    --------
    >>> check_rate("p_control", 0.05)
    0.05
    >>> check_rate("p_control", 1.0)
    Traceback (most recent call last):
    ...
    ValueError: p_control must be between 0 and 1 (exclusive), got 1.0
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"{name} must be between 0 and 1 (exclusive), got {p!r}")
    return float(p)


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


def _restricted_mle(p1: float, n1: float, p2: float, n2: float,
                    delta: float) -> tuple[float, float]:
    """Maximum-likelihood ``(p1, p2)`` under ``p1 - p2 = delta``: the closed-form root of
    the cubic of Farrington & Manning (1990, Statistics in Medicine 9:1447-1454)."""
    theta = n2 / n1
    a = 1.0 + theta
    b = -(1.0 + theta + p1 + theta * p2 + delta * (theta + 2.0))
    c = delta**2 + delta * (2.0 * p1 + theta + 1.0) + p1 + theta * p2
    d = -p1 * delta * (1.0 + delta)
    v = b**3 / (27.0 * a**3) - b * c / (6.0 * a**2) + d / (2.0 * a)
    u = np.sign(v) * np.sqrt(max(b**2 / (9.0 * a**2) - c / (3.0 * a), 0.0))
    ratio = 1.0 if u == 0 else float(np.clip(v / u**3, -1.0, 1.0))
    w = (np.pi + np.arccos(ratio)) / 3.0
    q1 = float(np.clip(2.0 * u * np.cos(w) - b / (3.0 * a), 0.0, 1.0))
    return q1, float(np.clip(q1 - delta, 0.0, 1.0))


def _score_z(p1: float, n1: float, p2: float, n2: float, delta: float) -> float:
    """Score statistic of ``p1 - p2 = delta`` with the restricted-MLE variance (Mee 1984);
    at ``delta = 0`` the restricted estimate is the pooled rate, so this is the pooled
    two-proportion z statistic."""
    q1, q2 = _restricted_mle(p1, n1, p2, n2, delta)
    num = p1 - p2 - delta
    var = q1 * (1 - q1) / n1 + q2 * (1 - q2) / n2
    if var <= 0:
        return 0.0 if abs(num) < 1e-15 else float(np.sign(num) * np.inf)
    return float(num / np.sqrt(var))


def score_interval(x1: int, n1: int, x2: int, n2: int,
                   confidence: float = 0.95) -> tuple[float, float]:
    """Score interval for ``x1/n1 - x2/n2`` (Mee 1984), the inversion of the pooled z test.

    The interval holds every difference ``delta`` whose score test
    ``(p1 - p2 - delta) / sqrt(q1 (1 - q1) / n1 + q2 (1 - q2) / n2)`` (``q`` the
    maximum-likelihood rates under ``delta``) is not rejected. At ``delta = 0`` that test
    is the pooled two-proportion z test, so the interval excludes 0 exactly when the z
    test's p-value is below ``1 - confidence``: an interval that agrees with its test.
    The restricted estimates are the closed-form root of Farrington & Manning (1990);
    Miettinen & Nurminen (1985) add a factor ``N / (N - 1)`` to the variance.

    Parameters
    ----------
    x1, n1, x2, n2 : int
        Successes and trials of the two groups (both ``n`` positive).
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    low, high : float

    References
    ----------
    Mee, R.W. (1984). Confidence bounds for the difference between two probabilities.
    Biometrics 40:1175-1176.

    Examples
    --------
    >>> [round(v, 4) for v in score_interval(2, 33, 64, 317)]    # z test: p = 0.048
    [-0.2104, -0.0014]
    """
    (a, m1), (b, m2) = _counts(x1, n1), _counts(x2, n2)
    if a.ndim or b.ndim or m1 <= 0 or m2 <= 0:
        raise ValueError("score_interval takes scalar counts with positive n")
    p1, p2 = float(a) / float(m1), float(b) / float(m2)
    z, d = z_value(confidence), p1 - p2
    n1f, n2f = float(m1), float(m2)

    def excess(delta: float) -> float:
        return abs(_score_z(p1, n1f, p2, n2f, delta)) - z

    eps = 1e-12
    low = (-1.0 if excess(-1.0 + eps) <= 0 or d <= -1.0 + eps
           else optimize.brentq(excess, -1.0 + eps, d, xtol=1e-13))
    high = (1.0 if excess(1.0 - eps) <= 0 or d >= 1.0 - eps
            else optimize.brentq(excess, d, 1.0 - eps, xtol=1e-13))
    return float(low), float(high)


def agreeing_interval(x1: int, n1: int, x2: int, n2: int, p_value: float, test: str,
                      confidence: float) -> tuple[float, float]:
    """Interval of ``x1/n1 - x2/n2`` that agrees with the test of :func:`compare_proportions`.

    The set of differences its test does not reject at ``1 - confidence``: the score
    interval (:func:`score_interval`), which inverts the pooled z test exactly. When the
    table was sparse and Fisher's exact test decided, the test at 0 is Fisher's, so 0 is
    in the set exactly when Fisher's ``p_value >= 1 - confidence``: the score interval is
    widened to reach 0, or its bound that crosses 0 is moved to the smallest number of
    the estimate's sign (0 itself is excluded). So the interval excludes 0 exactly when
    ``p_value < 1 - confidence``.

    Examples
    --------
    >>> low, high = agreeing_interval(3, 40, 0, 40, 0.2405, "Fisher exact", 0.95)
    >>> round(low, 4), round(high, 4)       # Fisher does not reject: 0 is inside
    (-0.0159, 0.1986)
    """
    low, high = score_interval(x1, n1, x2, n2, confidence)
    if test == "Fisher exact":
        if p_value >= 1 - confidence:
            low, high = min(low, 0.0), max(high, 0.0)
        elif low <= 0.0 <= high:
            tiny = np.nextafter(0.0, 1.0)
            low, high = (tiny, high) if x1 / n1 > x2 / n2 else (low, -tiny)
    return float(low), float(high)


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
