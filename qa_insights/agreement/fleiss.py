"""Fleiss' kappa per category and the Fleiss-Nee-Landis test of kappa = 0.

Import these from :mod:`qa_insights.agreement.table`.

Examples
--------
>>> fleiss_category_kappas([["a", "a"], ["b", "b"], ["a", "c"], ["c", "c"]]).round(3).tolist()
[0.467, 1.0, 0.467]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from qa_insights.agreement.gwet import (
    _companion,
    _estimate,
    gwet_coefficient,
    item_counts,
    undefined_error,
)
from qa_insights.agreement.kappa import (
    AgreementEstimate,
)
from qa_insights.agreement.ratings_matrix import WeightsSpec

__all__ = ["FleissTest", "fleiss_category_kappas", "fleiss_kappa", "fleiss_kappa_ci", "fleiss_kappa_test"]


def _category_kappas(counts: np.ndarray) -> np.ndarray:
    """Kappa of each category against all others (Fleiss' binary collapse)."""
    per_item = counts.sum(axis=1, keepdims=True)
    pairable = per_item[:, 0] >= 2
    rest = per_item - counts
    agree = (counts * (counts - 1) + rest * (rest - 1))[pairable] / (
        per_item * (per_item - 1))[pairable]
    pa = agree.mean(axis=0)
    pi = (counts / per_item).mean(axis=0)
    pe = pi**2 + (1 - pi) ** 2
    kappas: np.ndarray = (pa - pe) / (1 - pe)
    return kappas


def fleiss_category_kappas(ratings: Any, categories: Sequence[Any] | None = None) -> pd.Series:
    """Fleiss' kappa of each category: that category against all others pooled.

    Equals Fleiss' (1971) ``kappa_j = 1 - sum_i n_ij (m - n_ij) / (N m (m - 1) p_j q_j)``
    when every item has m ratings, and generalises to missing ratings like
    :func:`fleiss_kappa`. A low value flags the label raters confuse with others.

    Parameters
    ----------
    ratings : DataFrame or array_like, shape (n_items, n_raters)
        Ratings matrix; missing ratings allowed.
    categories : sequence, optional
        Ordered possible labels; categories nobody used are left out (undefined).

    Returns
    -------
    Series
        Kappa per category, indexed by label, named ``category_kappa``.

    Raises
    ------
    ValueError
        Fewer than 2 raters, no item with 2+ ratings, or a single category everywhere.

    Examples
    --------
    >>> fleiss_category_kappas([["a", "a"], ["b", "b"], ["a", "c"], ["c", "c"]]).round(3)
    a    0.467
    b    1.000
    c    0.467
    Name: category_kappa, dtype: float64
    """
    counts, cats = item_counts(ratings, categories)
    used = counts.sum(axis=0) > 0
    if used.sum() < 2:
        raise undefined_error("category kappa", cats, counts)
    return pd.Series(_category_kappas(counts[:, used]), index=pd.Index(cats[used].tolist()),
                     name="category_kappa")


@dataclass(frozen=True)
class FleissTest:
    """Test of kappa = 0 with the Fleiss, Nee & Landis (1979) null variance.

    Attributes
    ----------
    kappa, se_null, z, p_value : float
        Overall Fleiss' kappa, its SE under kappa = 0, ``z = kappa / se_null`` and the
        two-sided normal p-value (as R irr ``kappam.fleiss``).
    by_category : DataFrame
        Columns ``category``, ``share`` (pooled p_j), ``kappa``, ``se_null``
        (``sqrt(2 / (N m (m - 1)))``), ``z``, ``p_value``.
    """

    kappa: float
    se_null: float
    z: float
    p_value: float
    by_category: pd.DataFrame


def fleiss_kappa_test(ratings: Any, categories: Sequence[Any] | None = None) -> FleissTest:
    """Fleiss' kappa and per-category kappas tested against 0 (Fleiss-Nee-Landis 1979).

    The null variance assumes every item has the same number m of ratings; it answers
    "is there any agreement beyond chance?", not "how precise is kappa?" (use
    :func:`fleiss_kappa_ci` for that).

    Parameters
    ----------
    ratings : DataFrame or array_like, shape (n_items, n_raters)
        Ratings matrix; every item must carry the same number of ratings (items with no
        rating at all are ignored).
    categories : sequence, optional
        Ordered possible labels; unused categories are left out.

    Returns
    -------
    FleissTest

    Raises
    ------
    ValueError
        Fewer than 2 raters, items with different numbers of ratings, fewer than 2 ratings
        per item, or a single category everywhere.

    Examples
    --------
    >>> res = fleiss_kappa_test([[1, 1, 1], [2, 2, 1], [2, 2, 2], [1, 2, 2]])
    >>> round(res.kappa, 4), round(res.z, 4)
    (0.3143, 1.0887)
    """
    counts, cats = item_counts(ratings, categories)
    per_item = counts.sum(axis=1)
    if per_item.min() != per_item.max():
        raise ValueError("the Fleiss-Nee-Landis null variance needs the same number of "
                         f"ratings on every item; got between {per_item.min():.0f} and "
                         f"{per_item.max():.0f}")
    used = counts.sum(axis=0) > 0
    if used.sum() < 2:
        raise undefined_error("Fleiss' kappa", cats, counts)
    counts = counts[:, used]
    n, m = counts.shape[0], per_item[0]
    p = counts.sum(axis=0) / (n * m)
    pq = p * (1 - p)
    kappa = gwet_coefficient("fleiss", counts, np.eye(counts.shape[1]), cats[used])[0]
    se_null = (np.sqrt(2.0) / (pq.sum() * np.sqrt(n * m * (m - 1)))
               * np.sqrt(pq.sum() ** 2 - (pq * (1 - 2 * p)).sum()))
    kappa_k = _category_kappas(counts)
    se_k = np.sqrt(2.0 / (n * m * (m - 1)))
    by_category = pd.DataFrame({
        "category": cats[used].tolist(), "share": p, "kappa": kappa_k,
        "se_null": se_k, "z": kappa_k / se_k, "p_value": 2 * stats.norm.sf(np.abs(kappa_k / se_k)),
    })
    z = kappa / se_null
    return FleissTest(kappa, float(se_null), float(z), float(2 * stats.norm.sf(abs(z))),
                      by_category)


def fleiss_kappa(ratings: Any, weights: WeightsSpec = None,
                 categories: Sequence[Any] | None = None) -> float:
    """Fleiss' (1971) kappa for any number of raters, generalised to missing ratings.

    ``kappa = (pa - pe) / (1 - pe)`` with ``pe = sum_kl w_kl pi_k pi_l`` (Gwet's
    generalisation: ``pi_k`` averages each item's share of ratings in k). With the same
    number of ratings on every item this is Fleiss' kappa exactly (statsmodels
    ``fleiss_kappa``, R irr ``kappam.fleiss``).

    Parameters
    ----------
    ratings : DataFrame or array_like, shape (n_items, n_raters)
        Ratings matrix; missing ratings allowed.
    weights : None, str or ndarray
        None (unweighted), a name in ``ratings_matrix.WEIGHT_TYPES`` ("linear",
        "quadratic", "ordinal", "radical", "ratio", "circular", "bipolar"; formulas in
        :func:`qa_insights.agreement.ratings_matrix.weight_matrix`) or a q x q matrix.
        Agreement weights (weighted kappa as in irrCAC); default unweighted.
    categories : sequence, optional
        Ordered possible labels.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Fewer than 2 raters, no item with 2+ ratings, or a single category everywhere.

    Examples
    --------
    >>> round(fleiss_kappa([[1, 1, 1], [2, 2, 1], [2, 2, 2], [1, 2, None]]), 4)
    0.1608
    """
    return _estimate("fleiss", ratings, weights, categories, with_se=False)[0]


def fleiss_kappa_ci(ratings: Any, weights: WeightsSpec = None,
                    categories: Sequence[Any] | None = None,
                    confidence: float = 0.95) -> AgreementEstimate:
    """Fleiss' kappa with Gwet's (2008) design-based SE and a t(n-1) interval.

    This SE is valid away from kappa = 0 and with missing ratings (R/Python irrCAC
    ``fleiss``). For the test of kappa = 0 with the Fleiss-Nee-Landis (1979) null SE
    (R irr ``kappam.fleiss``), see :func:`fleiss_kappa_test`.

    Examples
    --------
    >>> est = fleiss_kappa_ci([[1, 1, 1], [2, 2, 1], [2, 2, 2], [1, 2, 2]])
    >>> round(est.value, 4), round(est.se, 4), est.distribution
    (0.3143, 0.4294, 't(3)')
    """
    return _companion("fleiss", ratings, weights, categories, confidence)
