"""Ratings matrices: the common input of every agreement coefficient.

A ratings matrix has one row per item and one column per rater (a pandas DataFrame or a
2-D array). Labels may be of any hashable type (strings, integers, floats); a missing
rating is ``None``, ``NaN`` or ``pd.NA``. This module turns such a matrix into integer
category codes and per-item category counts, the form the coefficients compute on, and
builds the agreement-weight matrices of the weighted coefficients.

Categories are the sorted distinct labels that occur, unless an ordered list is passed as
``categories`` (needed when a label nobody used should still count, for example for
Brennan-Prediger's chance agreement ``1/q``, or to fix the order of ordinal labels).

Examples
--------
>>> enc = encode_ratings([["spam", "spam"], ["hate", None], ["spam", "hate"]])
>>> enc.categories.tolist()
['hate', 'spam']
>>> enc.codes.tolist()
[[1, 1], [0, -1], [1, 0]]
>>> enc.counts().tolist()
[[0, 2], [1, 0], [1, 1]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = [
    "WEIGHT_TYPES",
    "EncodedRatings",
    "WeightsSpec",
    "counts_to_ratings",
    "encode_ratings",
    "ratings_to_counts",
    "weight_matrix",
]

#: Agreement weights: None or "identity" (unweighted), one of Gwet's named schemes
#: (:data:`WEIGHT_TYPES`, see :func:`weight_matrix`), or a q x q matrix of agreement weights
#: in [0, 1] with ones on the diagonal.
WeightsSpec = Literal["identity", "linear", "quadratic", "ordinal", "radical", "ratio",
                      "circular", "bipolar"] | np.ndarray | None
#: The named weight schemes :func:`weight_matrix` knows.
WEIGHT_TYPES: tuple[str, ...] = ("identity", "linear", "quadratic", "ordinal", "radical",
                                 "ratio", "circular", "bipolar")


@dataclass(frozen=True)
class EncodedRatings:
    """A ratings matrix with its labels replaced by category codes.

    Attributes
    ----------
    codes : ndarray of int64, shape (n_items, n_raters)
        Index of each rating in ``categories``; -1 marks a missing rating.
    categories : ndarray, shape (n_categories,)
        The labels, in order (sorted, or as given).
    items : pandas.Index
        Row labels of the input (a RangeIndex for arrays).
    raters : pandas.Index
        Column labels of the input (a RangeIndex for arrays).
    """

    codes: np.ndarray
    categories: np.ndarray
    items: pd.Index
    raters: pd.Index

    @property
    def n_categories(self) -> int:
        """Number of categories."""
        return len(self.categories)

    def counts(self) -> np.ndarray:
        """Number of ratings per item and category, shape (n_items, n_categories), int64."""
        n, q = self.codes.shape[0], self.n_categories
        # one bincount over all cells; slot 0 of each item collects the missing ratings
        first = np.arange(1, n * (q + 1), q + 1, dtype=np.int64)
        slots = np.bincount((self.codes + first[:, None]).ravel(), minlength=n * (q + 1))
        return slots.reshape(n, q + 1)[:, 1:]


def _as_matrix(ratings: Any) -> tuple[np.ndarray, pd.Index, pd.Index]:
    if isinstance(ratings, pd.DataFrame):
        return ratings.to_numpy(), ratings.index, ratings.columns
    values = np.asarray(ratings)
    if values.ndim != 2:
        raise ValueError("ratings must be a 2-D matrix (rows = items, columns = raters); "
                         f"got an array of shape {values.shape}")
    return values, pd.RangeIndex(values.shape[0]), pd.RangeIndex(values.shape[1])


def encode_ratings(ratings: Any, categories: Sequence[Any] | None = None,
                   min_raters: int = 1) -> EncodedRatings:
    """Encode a ratings matrix as integer category codes.

    Parameters
    ----------
    ratings : DataFrame or array_like, shape (n_items, n_raters)
        Rows are items, columns are raters; labels of any hashable type; missing ratings
        as None/NaN/pd.NA.
    categories : sequence, optional
        Ordered list of the possible labels. Default: the sorted distinct labels present.
        A label in the data that is not in ``categories`` is an error.
    min_raters : int
        Smallest accepted number of columns.

    Returns
    -------
    EncodedRatings

    Raises
    ------
    ValueError
        Not 2-D, fewer than ``min_raters`` columns, repeated or unknown categories.

    Examples
    --------
    >>> encode_ratings([[3, 1], [2, None]]).categories.tolist()
    [1, 2, 3]
    >>> encode_ratings([["b"], ["a"]], categories=["b", "a"]).codes.ravel().tolist()
    [0, 1]
    """
    values, items, raters = _as_matrix(ratings)
    if values.shape[1] < min_raters:
        raise ValueError(f"agreement between raters is undefined here: it needs at least "
                         f"{min_raters} raters (columns of the ratings matrix); got "
                         f"{values.shape[1]}")
    flat = values.ravel()
    if categories is None:
        codes, uniques = pd.factorize(flat, sort=True, use_na_sentinel=True)
        cats = pd.Index(list(uniques)).to_numpy()
    else:
        index = pd.Index(list(categories))
        if not index.is_unique:
            raise ValueError("categories must not repeat a label")
        codes = index.get_indexer(flat)
        unknown = (codes < 0) & ~pd.isna(flat)
        if unknown.any():
            found = pd.unique(flat[unknown])[:5].tolist()
            raise ValueError(f"labels {found} are not in categories {index.tolist()}")
        cats = index.to_numpy()
    return EncodedRatings(np.asarray(codes, dtype=np.int64).reshape(values.shape), cats,
                          items, raters)


def ratings_to_counts(ratings: Any, categories: Sequence[Any] | None = None) -> pd.DataFrame:
    """Count the ratings of each item per category.

    Parameters
    ----------
    ratings : DataFrame or array_like, shape (n_items, n_raters)
        Ratings matrix (see :func:`encode_ratings`).
    categories : sequence, optional
        Ordered possible labels (columns of the result).

    Returns
    -------
    DataFrame
        One row per item (the input's index), one int column per category.

    Examples
    --------
    >>> ratings_to_counts([["a", "b", "a"], ["b", "b", None]])
       a  b
    0  2  1
    1  0  2
    """
    enc = encode_ratings(ratings, categories)
    return pd.DataFrame(enc.counts(), index=enc.items,
                        columns=pd.Index(enc.categories.tolist()))


def counts_to_ratings(counts: Any, categories: Sequence[Any] | None = None) -> pd.DataFrame:
    """Expand a subjects x categories count table into a ratings matrix.

    Each item's ratings are laid out in category order and padded with missing values up
    to the largest number of ratings of any item. The columns are rating slots, not
    people, so only rater-exchangeable statistics (percent agreement, Fleiss' kappa, AC1,
    Brennan-Prediger, Krippendorff's alpha) are meaningful on the result.

    Parameters
    ----------
    counts : DataFrame or array_like of int, shape (n_items, n_categories)
        Number of raters who put each item in each category.
    categories : sequence, optional
        Labels of the count columns. Default: the DataFrame's columns, else 1..q.

    Returns
    -------
    DataFrame
        Ratings matrix with columns ``rating_1``, ``rating_2``, ...

    Examples
    --------
    >>> counts_to_ratings([[2, 0], [1, 1], [0, 1]], categories=["no", "yes"])
      rating_1 rating_2
    0       no       no
    1       no      yes
    2      yes      NaN
    """
    if categories is None and isinstance(counts, pd.DataFrame):
        categories = counts.columns.tolist()
    table = np.asarray(counts)
    if table.ndim != 2 or (table < 0).any() or not np.all(np.mod(table, 1) == 0):
        raise ValueError("counts must be a 2-D table of non-negative integers")
    table = table.astype(np.int64)
    n, q = table.shape
    labels = np.arange(1, q + 1) if categories is None else np.asarray(list(categories))
    if len(labels) != q:
        raise ValueError(f"got {len(labels)} categories for a table with {q} columns")
    per_item = table.sum(axis=1)
    slots = int(per_item.max(initial=0))
    codes = np.repeat(np.tile(np.arange(q), n), table.ravel())
    rows = np.repeat(np.arange(n), per_item)
    cols = np.arange(codes.size) - np.repeat(np.cumsum(per_item) - per_item, per_item)
    numeric = labels.dtype.kind in "iuf"
    out = np.full((n, slots), np.nan if numeric else None,
                  dtype=float if numeric else object)
    out[rows, cols] = labels[codes]
    return pd.DataFrame(out, columns=[f"rating_{j + 1}" for j in range(slots)])


def _scaled_disagreement(d: np.ndarray) -> np.ndarray:
    """Agreement weights ``1 - d / max(d)`` from a disagreement matrix with a zero diagonal."""
    weights: np.ndarray = 1.0 - d / d.max()
    return weights


def _named_weights(name: str, q: int) -> np.ndarray:
    """Gwet's named weights on the category ranks x = 1..q (Gwet 2014, Handbook, ch. 3)."""
    x = np.arange(1.0, q + 1.0)
    k, el = x[:, None], x[None, :]
    diff = np.abs(k - el)
    top = q - 1.0  # x_max - x_min
    if name == "linear":
        return 1.0 - diff / top
    if name == "quadratic":
        return 1.0 - (diff / top) ** 2
    if name == "ordinal":
        return _scaled_disagreement(diff * (diff + 1) / 2)  # (|k - l| + 1 choose 2)
    if name == "radical":
        return 1.0 - np.sqrt(diff / top)
    if name == "ratio":
        return 1.0 - ((k - el) / (k + el)) ** 2 / (top / (q + 1.0)) ** 2
    if name == "circular":
        return _scaled_disagreement(np.sin(np.pi * (k - el) / q) ** 2)  # U = x_max - x_min + 1
    # bipolar: (k - l)**2 / ((k + l - 2 x_min)(2 x_max - k - l)) off the diagonal
    span = (k + el - 2.0) * (2.0 * q - k - el)
    off = ~np.eye(q, dtype=bool)
    return _scaled_disagreement(np.divide((k - el) ** 2, span, out=np.zeros((q, q)), where=off))


def weight_matrix(weights: WeightsSpec, n_categories: int) -> np.ndarray:
    """Agreement weights between categories, by position in the category order.

    The named schemes are those of Gwet (2014), *Handbook of Inter-Rater Reliability*,
    4th ed., ch. 3 (R and Python irrCAC), with the category values ``x_k`` taken as the
    ranks 1..q in the category order and ``d = |k - l|``:

    - ``identity``: 1 on the diagonal, 0 elsewhere (unweighted);
    - ``linear``: ``1 - d / (q - 1)``; ``quadratic``: ``1 - d**2 / (q - 1)**2``;
    - ``ordinal``: ``1 - M_kl / max(M)`` with ``M_kl = (d + 1) d / 2``;
    - ``radical``: ``1 - sqrt(d) / sqrt(q - 1)``;
    - ``ratio``: ``1 - ((k - l) / (k + l))**2 / ((q - 1) / (q + 1))**2``;
    - ``circular``: ``1 - sin(pi (k - l) / q)**2 / max(...)`` (U = q categories on a circle);
    - ``bipolar``: ``1 - B_kl / max(B)`` with
      ``B_kl = (k - l)**2 / ((k + l - 2)(2 q - k - l))`` for k != l, 0 on the diagonal.

    Linear and quadratic are the R irr ``kappa2``, scikit-learn and statsmodels weights.
    irrCAC's raw-ratings functions put numeric labels at their own values instead of their
    ranks; that is the same for labels 1..q (and, for linear, quadratic, ordinal and
    radical, for any equally spaced labels). Pass a matrix for another scale.

    Parameters
    ----------
    weights : None, str or ndarray
        None or one of :data:`WEIGHT_TYPES`; a matrix is used as given.
    n_categories : int
        Number of categories q.

    Returns
    -------
    ndarray, shape (q, q)

    Raises
    ------
    ValueError
        Unknown name, wrong shape, or weights outside [0, 1] / diagonal not 1.

    Examples
    --------
    >>> weight_matrix("linear", 3).tolist()
    [[1.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 1.0]]
    >>> weight_matrix("ordinal", 3).round(4).tolist()
    [[1.0, 0.6667, 0.0], [0.6667, 1.0, 0.6667], [0.0, 0.6667, 1.0]]
    """
    q = n_categories
    if weights is None or (isinstance(weights, str) and weights == "identity"):
        return np.eye(q)
    if isinstance(weights, str):
        if weights not in WEIGHT_TYPES:
            raise ValueError(f"weights must be None, one of {list(WEIGHT_TYPES)} or a matrix; "
                             f"got {weights!r}")
        return _named_weights(weights, q) if q > 1 else np.eye(q)
    matrix = np.asarray(weights, dtype=float)
    if matrix.shape != (q, q):
        raise ValueError(f"a weights matrix must be {q} x {q} (one row and column per "
                         f"category); got shape {matrix.shape}")
    if not np.allclose(np.diag(matrix), 1.0) or matrix.min() < 0 or matrix.max() > 1:
        raise ValueError("agreement weights must lie in [0, 1] with 1 on the diagonal")
    return matrix
