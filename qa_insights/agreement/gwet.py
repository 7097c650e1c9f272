"""Percent agreement and the Gwet family of chance-corrected coefficients.

Fleiss' kappa, Gwet's AC1/AC2 and Brennan-Prediger, for any number of raters, with missing
ratings, optionally weighted, each with Gwet's (2008) linearisation standard error. Inputs
are ratings matrices (see :mod:`qa_insights.agreement.ratings_matrix`); import these functions from
:mod:`qa_insights.agreement.table`.

Conventions (they follow Gwet's irrCAC, R and Python, which the tests reproduce):

- Items with no rating are dropped. Percent agreement ``pa`` averages, over the items with
  2 or more ratings, the (weighted) share of agreeing rater pairs. The category shares
  ``pi_k`` average each item's share of ratings in category k over all items with a rating.
- Fleiss' kappa ``pe = sum_kl w_kl pi_k pi_l``; Gwet's AC1/AC2
  ``pe = sum(w) / (q (q - 1)) * sum_k pi_k (1 - pi_k)``; Brennan-Prediger
  ``pe = sum(w) / q**2``, where q is the number of categories; coefficient
  ``(pa - pe) / (1 - pe)``.
- Standard errors: Gwet (2008) linearisation ("design-based") variance over items, with
  no finite-population correction; confidence intervals and p-values from Student's t
  with ``n - 1`` degrees of freedom (n = items with a rating); the upper bound is
  truncated at 1. These are R irrCAC's ``*.raw`` functions.

Examples
--------
>>> from qa_insights.agreement.fleiss import fleiss_kappa
>>> ratings = [["spam", "spam", "spam"], ["hate", "hate", "spam"],
...            ["none", "none", "none"], ["spam", "hate", "hate"]]
>>> round(percent_agreement(ratings), 4), round(fleiss_kappa(ratings), 4)
(0.6667, 0.4894)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from qa_insights.agreement.kappa import (
    AgreementEstimate,
    UndefinedAgreementError,
    is_unweighted,
    t_estimate,
)
from qa_insights.agreement.ratings_matrix import WeightsSpec, encode_ratings, weight_matrix

__all__ = [
    "brennan_prediger",
    "brennan_prediger_ci",
    "gwet_ac1",
    "gwet_ac1_ci",
    "percent_agreement",
    "percent_agreement_ci",
]

_Kind = Literal["pa", "fleiss", "ac1", "bp"]

_NAMES = {"pa": "percent agreement", "fleiss": "Fleiss' kappa", "ac1": "Gwet's AC1",
          "bp": "Brennan-Prediger"}

_GWET_SE = "Gwet (2008) linearisation variance over items"


def item_counts(ratings: Any, categories: Sequence[Any] | None) -> tuple[np.ndarray, np.ndarray]:
    """Category counts of the items with a rating, and the categories; checks that
    agreement is defined at all (2+ raters, an item with 2+ ratings)."""
    enc = encode_ratings(ratings, categories, min_raters=2)
    counts = enc.counts().astype(float)
    per_item = counts @ np.ones(enc.n_categories)
    if not (per_item > 0).all():
        counts, per_item = counts[per_item > 0], per_item[per_item > 0]
    if not (per_item >= 2).any():
        raise ValueError("no item has 2 or more ratings, so agreement between raters is "
                         "undefined")
    return counts, enc.categories


def undefined_error(name: str, categories: np.ndarray,
                    counts: np.ndarray) -> UndefinedAgreementError:
    used = categories[counts.sum(axis=0) > 0].tolist()
    return UndefinedAgreementError(
        f"{name} is undefined: chance agreement pe is 1 (the ratings use the single "
        f"category {used}), so (pa - pe) / (1 - pe) is 0/0")


def gwet_coefficient(kind: _Kind, counts: np.ndarray, w: np.ndarray, categories: np.ndarray,
                     with_se: bool = True) -> tuple[float, float, float, float]:
    """Coefficient, linearisation SE (0.0 unless ``with_se``), pa and pe of a Gwet-family
    coefficient, from the float counts of the items with a rating."""
    n_items, q = counts.shape
    if q < 2 and kind != "pa":
        raise undefined_error(_NAMES[kind], categories, counts)
    per_item = counts @ np.ones(q)
    pairable = per_item >= 2
    n_pairable = np.count_nonzero(pairable)
    agree = np.einsum("ij,ij->i", counts, counts @ w.T) - per_item  # diagonal weights are 1
    pa_i = np.divide(agree, per_item * (per_item - 1), out=np.zeros(n_items), where=pairable)
    pa = pa_i.sum() / n_pairable
    inverse = 1.0 / per_item
    pi = inverse @ counts / n_items
    if kind == "fleiss":
        pe = float(pi @ w @ pi)
    elif kind == "ac1":
        scale = w.sum() / (q * (q - 1))
        pe = float(scale * (pi * (1 - pi)).sum())
    else:
        pe = float(w.sum() / q**2) if kind == "bp" else 0.0
    if pe >= 1 - 1e-12:
        raise undefined_error(_NAMES[kind], categories, counts)
    value = (pa - pe) / (1 - pe)
    if not with_se or n_items < 2:
        return float(value), 0.0, float(pa), pe
    if kind == "fleiss":
        pe_i = counts @ ((w + w.T) / 2 @ pi) * inverse
    elif kind == "ac1":
        pe_i = scale * (counts @ (1 - pi)) * inverse
    else:
        pe_i = pe
    value_i = n_items / n_pairable * (pa_i - pe * pairable) / (1 - pe)
    value_i = value_i - 2 * (1 - value) * (pe_i - pe) / (1 - pe)
    var = ((value_i - value) ** 2).sum() / (n_items * (n_items - 1))
    return float(value), float(np.sqrt(var)), float(pa), pe


def _estimate(kind: _Kind, ratings: Any, weights: WeightsSpec,
              categories: Sequence[Any] | None,
              with_se: bool) -> tuple[float, float, float, float, int]:
    counts, cats = item_counts(ratings, categories)
    value, se, pa, pe = gwet_coefficient(kind, counts, weight_matrix(weights, len(cats)), cats,
                                         with_se)
    return value, se, pa, pe, counts.shape[0]


def _companion(kind: _Kind, ratings: Any, weights: WeightsSpec,
               categories: Sequence[Any] | None, confidence: float) -> AgreementEstimate:
    value, se, pa, pe, n = _estimate(kind, ratings, weights, categories, with_se=True)
    name = "Gwet's AC2" if kind == "ac1" and not is_unweighted(weights) else _NAMES[kind]
    return t_estimate(name, value, se, n, pa, pe, confidence, _GWET_SE)


def percent_agreement(ratings: Any, weights: WeightsSpec = None,
                      categories: Sequence[Any] | None = None) -> float:
    """Share of agreeing rater pairs, averaged over the items with 2 or more ratings.

    Parameters
    ----------
    ratings : DataFrame or array_like, shape (n_items, n_raters)
        Ratings matrix; missing ratings allowed.
    weights : None, str or ndarray
        None (unweighted), a name in ``ratings_matrix.WEIGHT_TYPES`` ("linear",
        "quadratic", "ordinal", "radical", "ratio", "circular", "bipolar"; formulas in
        :func:`qa_insights.agreement.ratings_matrix.weight_matrix`) or a q x q matrix.
        Partial credit for near-misses.
    categories : sequence, optional
        Ordered possible labels (matters for weights only).

    Returns
    -------
    float
        In [0, 1]; for two raters, the share of items on which they agree.

    Raises
    ------
    ValueError
        Fewer than 2 raters, or no item with 2 or more ratings.

    Examples
    --------
    >>> percent_agreement([["a", "a"], ["a", "b"], ["b", "b"], ["b", None]])
    0.6666666666666666
    """
    return _estimate("pa", ratings, weights, categories, with_se=False)[0]


def percent_agreement_ci(ratings: Any, weights: WeightsSpec = None,
                         categories: Sequence[Any] | None = None,
                         confidence: float = 0.95) -> AgreementEstimate:
    """Percent agreement with Gwet's linearisation SE and a t(n-1) confidence interval.

    Same inputs as :func:`percent_agreement`; ``confidence`` is the two-sided level.
    Matches R irrCAC ``pa.coeff.raw``.

    Examples
    --------
    >>> est = percent_agreement_ci([["a", "a"], ["a", "b"], ["b", "b"], ["b", "b"]])
    >>> est.value, round(est.se, 4)
    (0.75, 0.25)
    """
    return _companion("pa", ratings, weights, categories, confidence)


def gwet_ac1(ratings: Any, weights: WeightsSpec = None,
             categories: Sequence[Any] | None = None) -> float:
    """Gwet's AC1 (unweighted) or AC2 (weighted) for any number of raters.

    ``pe = sum(w) / (q (q - 1)) * sum_k pi_k (1 - pi_k)``: chance agreement shrinks when
    one label dominates, so AC1 does not collapse on skewed labels as kappa does (the
    "kappa paradox"). q counts the categories (observed, or ``categories``).

    Parameters
    ----------
    ratings : DataFrame or array_like, shape (n_items, n_raters)
        Ratings matrix; missing ratings allowed.
    weights : None, str or ndarray
        None (unweighted), a name in ``ratings_matrix.WEIGHT_TYPES`` ("linear",
        "quadratic", "ordinal", "radical", "ratio", "circular", "bipolar"; formulas in
        :func:`qa_insights.agreement.ratings_matrix.weight_matrix`) or a q x q matrix.
        Agreement weights; weighted gives AC2.
    categories : sequence, optional
        Ordered possible labels.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Fewer than 2 raters, no item with 2+ ratings, or a single category in total.

    Examples
    --------
    >>> from qa_insights.agreement.fleiss import fleiss_kappa
    >>> skewed = [["ok", "ok"]] * 18 + [["ok", "bad"]]
    >>> round(gwet_ac1(skewed), 3), round(fleiss_kappa(skewed), 3)
    (0.945, -0.027)
    """
    return _estimate("ac1", ratings, weights, categories, with_se=False)[0]


def gwet_ac1_ci(ratings: Any, weights: WeightsSpec = None,
                categories: Sequence[Any] | None = None,
                confidence: float = 0.95) -> AgreementEstimate:
    """Gwet's AC1/AC2 with Gwet's (2008) linearisation SE and a t(n-1) interval.

    Matches R irrCAC ``gwet.ac1.raw`` and Python irrCAC ``CAC.gwet``.

    Examples
    --------
    >>> est = gwet_ac1_ci([["ok", "ok"]] * 18 + [["ok", "bad"]])
    >>> round(est.ci_low, 3), est.ci_high
    (0.822, 1.0)
    """
    return _companion("ac1", ratings, weights, categories, confidence)


def brennan_prediger(ratings: Any, weights: WeightsSpec = None,
                     categories: Sequence[Any] | None = None) -> float:
    """Brennan-Prediger (1981) coefficient: chance agreement ``pe = sum(w) / q**2``.

    Unweighted, ``pe = 1/q`` (Randolph's free-marginal kappa). It depends on the number
    of categories q: pass ``categories`` when labels nobody used should count.

    Parameters
    ----------
    ratings : DataFrame or array_like, shape (n_items, n_raters)
        Ratings matrix; missing ratings allowed.
    weights : None, str or ndarray
        None (unweighted), a name in ``ratings_matrix.WEIGHT_TYPES`` ("linear",
        "quadratic", "ordinal", "radical", "ratio", "circular", "bipolar"; formulas in
        :func:`qa_insights.agreement.ratings_matrix.weight_matrix`) or a q x q matrix.
        Agreement weights.
    categories : sequence, optional
        Ordered possible labels.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Fewer than 2 raters, no item with 2+ ratings, or a single category in total.

    Examples
    --------
    >>> round(brennan_prediger([["a", "a"], ["a", "b"], ["b", "b"]], categories=["a", "b", "c"]), 4)
    0.5
    """
    return _estimate("bp", ratings, weights, categories, with_se=False)[0]


def brennan_prediger_ci(ratings: Any, weights: WeightsSpec = None,
                        categories: Sequence[Any] | None = None,
                        confidence: float = 0.95) -> AgreementEstimate:
    """Brennan-Prediger with Gwet's linearisation SE and a t(n-1) interval.

    The p-value is two-sided like R irrCAC ``bp.coeff.raw`` (Python irrCAC 0.4.4 prints a
    one-sided value, half as large).

    Examples
    --------
    >>> est = brennan_prediger_ci([["a", "a"], ["a", "b"], ["b", "b"], ["b", "b"]])
    >>> est.value, round(est.se, 3)
    (0.5, 0.5)
    """
    return _companion("bp", ratings, weights, categories, confidence)
