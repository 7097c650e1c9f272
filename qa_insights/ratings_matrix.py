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
    "EncodedRatings",
    "WeightsSpec",
    "counts_to_ratings",
    "encode_ratings",
    "ratings_to_counts",
    "weight_matrix",
]

#: Agreement weights: None or "identity" (unweighted), "linear", "quadratic", or a q x q
#: matrix of agreement weights in [0, 1] with ones on the diagonal.
WeightsSpec = Literal["identity", "linear", "quadratic"] | np.ndarray | None

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
        raise ValueError(f"agreement needs at least {min_raters} raters (columns); "
                         f"got {values.shape[1]}")
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


def weight_matrix(weights: WeightsSpec, n_categories: int) -> np.ndarray:
    """Agreement weights between categories, by position in the category order.

    Parameters
    ----------
    weights : None, "identity", "linear", "quadratic" or ndarray
        ``linear``: ``1 - |i - j| / (q - 1)``; ``quadratic``: ``1 - (i - j)**2 / (q - 1)**2``
        where i, j are category positions (R irr ``kappa2``, scikit-learn and statsmodels
        convention; irrCAC uses the numeric label values instead, which is the same thing
        when the labels are equally spaced). A matrix is used as given.
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
    """
    q = n_categories
    if weights is None or (isinstance(weights, str) and weights == "identity"):
        return np.eye(q)
    if isinstance(weights, str):
        steps = np.abs(np.subtract.outer(np.arange(q), np.arange(q))) / max(q - 1, 1)
        if weights == "linear":
            return 1.0 - steps
        if weights == "quadratic":
            return 1.0 - steps**2
        raise ValueError(f"weights must be None, 'identity', 'linear', 'quadratic' or a "
                         f"matrix; got {weights!r}")
    matrix = np.asarray(weights, dtype=float)
    if matrix.shape != (q, q):
        raise ValueError(f"a weights matrix must be {q} x {q} (one row and column per "
                         f"category); got shape {matrix.shape}")
    if not np.allclose(np.diag(matrix), 1.0) or matrix.min() < 0 or matrix.max() > 1:
        raise ValueError("agreement weights must lie in [0, 1] with 1 on the diagonal")
    return matrix
