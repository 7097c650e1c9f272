"""Krippendorff's alpha for any number of raters, missing ratings and four metrics.

``alpha = 1 - D_o / D_e`` computed from the coincidence matrix (Krippendorff 2011,
"Computing Krippendorff's alpha-reliability"): items with fewer than 2 ratings cannot be
paired and are dropped. Difference functions ``delta(c, k)``:

- nominal: 0 if c = k else 1;
- ordinal: ``(sum_{g=c..k} n_g - (n_c + n_k) / 2)**2`` with n_g the number of pairable
  values in category g, in category order (sorted labels, or ``categories``);
- interval: ``(c - k)**2``; ratio: ``((c - k) / (c + k))**2`` (numeric labels only);
- or, with ``weights``, Gwet's weighted alpha (Gwet 2014, Handbook, 4th ed., ch. 3; R
  ``krippen.alpha.raw(weights=...)``, Python irrCAC ``CAC(weights=...).krippendorff``):
  ``delta = 1 - w`` with the agreement weights ``w`` of
  :func:`qa_insights.agreement.ratings_matrix.weight_matrix` on the category ranks. Identity,
  quadratic and ratio weights on labels 1..q give nominal, interval and ratio alpha.

The standard error is Gwet's (2008) linearisation variance of the raw-ratings form
(R ``krippen.alpha.raw``, Python irrCAC ``CAC.krippendorff``) with agreement weights
``1 - delta / max(delta)``, which reproduce nominal, interval and ratio alpha exactly; for
the ordinal metric it is the same linearisation applied to the ordinal weights (no peer
reports it). Intervals and p-values use t with ``n - 1`` degrees of freedom, n = pairable
items. Note that R irrCAC's ``krippen.alpha.dist`` (count-table input) uses a different
variance and gives a different SE for the same data.

Examples
--------
>>> coders = [[1, 1, None], [2, 2, 3], [3, 3, 3], [None, 4, 4], [1, 2, 1]]
>>> round(krippendorff_alpha(coders), 4), round(krippendorff_alpha(coders, "interval"), 4)
(0.6129, 0.875)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from qa_insights.agreement.kappa import AgreementEstimate, UndefinedAgreementError, t_estimate
from qa_insights.agreement.ratings_matrix import WeightsSpec, encode_ratings, weight_matrix

__all__ = ["LEVELS", "krippendorff_alpha", "krippendorff_alpha_ci"]

Level = Literal["nominal", "ordinal", "interval", "ratio"]
#: The levels of measurement :func:`krippendorff_alpha` knows.
LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")


def _pairable_counts(ratings: Any, level: str, categories: Sequence[Any] | None
                     ) -> tuple[np.ndarray, np.ndarray]:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}; got {level!r}")
    enc = encode_ratings(ratings, categories, min_raters=2)
    values = enc.categories
    if level in ("interval", "ratio"):
        if values.dtype.kind not in "iuf":
            raise ValueError(f"{level} alpha needs numeric labels; got {values[:5].tolist()}")
        if level == "ratio" and (values < 0).any():
            raise ValueError("ratio alpha needs non-negative labels")
    counts = enc.counts()
    counts = counts[counts.sum(axis=1) >= 2].astype(float)
    if counts.shape[0] == 0:
        raise ValueError("no item has 2 or more ratings, so Krippendorff's alpha is "
                         "undefined")
    return counts, values


def _delta(level: str, values: np.ndarray, totals: np.ndarray,
           weights: WeightsSpec) -> np.ndarray:
    delta: np.ndarray
    if weights is not None:
        return 1.0 - weight_matrix(weights, len(values))
    if level == "nominal":
        return 1.0 - np.eye(len(values))
    if level == "ordinal":
        cum = np.cumsum(totals)
        delta = (cum[None, :] - cum[:, None] - (totals[None, :] - totals[:, None]) / 2) ** 2
        return delta
    v = values.astype(float)
    diff = np.subtract.outer(v, v)
    if level == "interval":
        delta = diff**2
        return delta
    total = np.add.outer(v, v)
    delta = np.divide(diff, total, out=np.zeros_like(diff), where=total != 0) ** 2
    return delta


def _alpha(counts: np.ndarray, delta: np.ndarray) -> float:
    """Alpha from pairable counts; NaN when the expected disagreement is 0."""
    per_item = counts.sum(axis=1)
    scaled = counts / (per_item - 1)[:, None]
    coincidence = scaled.T @ counts - np.diag(scaled.sum(axis=0))
    totals = counts.sum(axis=0)
    observed = (per_item.sum() - 1) * (coincidence * delta).sum()
    expected = totals @ delta @ totals
    return float(1.0 - observed / expected) if expected > 0 else np.nan


def _prepare(ratings: Any, level: str, categories: Sequence[Any] | None,
             weights: WeightsSpec) -> tuple[np.ndarray, np.ndarray, float]:
    if weights is not None and level != "nominal":
        raise ValueError(f"give either a level of measurement or weights, not both; got "
                         f"level={level!r} and weights={weights!r}")
    counts, values = _pairable_counts(ratings, level, categories)
    delta = _delta(level, values, counts.sum(axis=0), weights)
    value = _alpha(counts, delta)
    if np.isnan(value):
        used = values[counts.sum(axis=0) > 0].tolist()
        raise UndefinedAgreementError(
            "Krippendorff's alpha is undefined: expected disagreement is 0 (every pairable "
            f"rating is the single value {used}), so 1 - D_o / D_e is 0/0")
    return counts, delta, value


def krippendorff_alpha(ratings: Any, level: Level = "nominal",
                       categories: Sequence[Any] | None = None,
                       weights: WeightsSpec = None) -> float:
    """Krippendorff's alpha.

    Parameters
    ----------
    ratings : DataFrame or array_like, shape (n_items, n_raters)
        Ratings matrix; missing ratings allowed; items with fewer than 2 ratings dropped.
    level : {"nominal", "ordinal", "interval", "ratio"}
        Level of measurement (difference function).
    categories : sequence, optional
        Ordered possible labels; sets the order of ordinal labels and the ranks the
        weights use (default sorted).
    weights : None, str or ndarray, optional
        Gwet's weighted alpha: one of
        :data:`~qa_insights.agreement.ratings_matrix.WEIGHT_TYPES` or a matrix, used instead of
        ``level`` (which must then stay "nominal"); default None (use ``level``).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Fewer than 2 raters, no item with 2+ ratings, a single value everywhere,
        non-numeric labels for interval/ratio, negative labels for ratio, both a
        non-nominal level and weights.

    Examples
    --------
    >>> krippendorff_alpha([["a", "a"], ["b", "b"], ["a", "b"], ["b", "b"]])
    0.5333333333333333
    >>> krippendorff_alpha([["low", "mid"], ["mid", "high"], ["high", "high"]],
    ...                    "ordinal", categories=["low", "mid", "high"])
    0.5277777777777778
    >>> round(krippendorff_alpha([[1, 2], [2, 3], [3, 3]], weights="linear"), 4)
    0.2857
    """
    return _prepare(ratings, level, categories, weights)[2]


def krippendorff_alpha_ci(ratings: Any, level: Level = "nominal",
                          categories: Sequence[Any] | None = None,
                          confidence: float = 0.95,
                          weights: WeightsSpec = None) -> AgreementEstimate:
    """Krippendorff's alpha with Gwet's linearisation SE and a t(n-1) interval.

    Same inputs as :func:`krippendorff_alpha`. ``pa`` is Gwet's small-sample corrected
    observed agreement and ``pe`` the chance agreement (irrCAC's ``pa``/``pe``);
    ``alpha = (pa - pe) / (1 - pe)``.

    Examples
    --------
    >>> est = krippendorff_alpha_ci([["a", "a"], ["b", "b"], ["a", "b"], ["b", "b"]])
    >>> round(est.value, 4), round(est.se, 4), est.distribution
    (0.5333, 0.527, 't(3)')
    """
    counts, delta, value = _prepare(ratings, level, categories, weights)
    w = 1.0 - delta / delta.max()
    n = counts.shape[0]
    per_item = counts.sum(axis=1)
    mean_r = per_item.mean()
    eps = 1.0 / per_item.sum()
    agree = (counts * (counts @ w.T - 1.0)).sum(axis=1) / (mean_r * (per_item - 1))
    pa_prime = agree.mean()
    pa = (1 - eps) * pa_prime + eps
    pi = counts.sum(axis=0) / (n * mean_r)
    pe = float(pi @ w @ pi)
    alpha_prime = (pa_prime - pe) / (1 - pe)
    alpha_i = (agree - pa * (per_item - mean_r) / mean_r - pe) / (1 - pe)
    pe_i = counts @ ((w + w.T) / 2 @ pi) / mean_r - pe * (per_item - mean_r) / mean_r
    alpha_i = alpha_i - 2 * (1 - alpha_prime) * (pe_i - pe) / (1 - pe)
    se = float(np.sqrt(((alpha_i - alpha_prime) ** 2).sum() / (n * (n - 1)))) if n > 1 else 0.0
    name = level if weights is None else (
        f"{weights} weights" if isinstance(weights, str) else "custom weights")
    return t_estimate(f"Krippendorff's alpha ({name})", value, se, n, float(pa), pe,
                      confidence, "Gwet (2008) linearisation variance, raw-ratings form")
