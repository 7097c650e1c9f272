"""Consensus labels without a gold answer: majority vote and Dawid-Skene.

Majority vote takes each item's most frequent label. Dawid & Skene (1979) weigh raters by
their estimated reliability: each rater r has a confusion matrix
``theta[r, j, k] = P(r says k | true class j)`` and the classes have prior shares
``pi_j``; the EM algorithm alternates

- M-step: ``pi_j = mean_i T_ij``,
  ``theta[r, j, k] = sum_i T_ij n_irk / sum_i T_ij n_ir``;
- E-step: ``T_ij ∝ pi_j prod_{r,k} theta[r, j, k] ** n_irk``,

starting from the vote shares ``T_ij = n_ij / n_i`` (Dawid & Skene's initialisation),
until an iteration raises the log-likelihood by less than ``tol`` times its size (a
relative tolerance: an absolute one of 1e-7 on a log-likelihood in the thousands left 13
of 40 typical simulations unconverged after 100 iterations, issue 22). ``n_irk`` counts rater r's labels k on
item i, so a rater may rate an item several times. A confusion row of a class a rater
never (softly) saw is set uniform.

Examples
--------
>>> ratings = [["spam", "spam", "ok"], ["ok", "ok", "ok"], ["spam", "ok", "spam"]]
>>> majority_vote(ratings)["label"].tolist()
['spam', 'ok', 'spam']
>>> dawid_skene(ratings).labels.tolist()
['spam', 'ok', 'spam']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from qa_insights.agreement.ratings_matrix import encode_ratings

__all__ = ["DawidSkeneResult", "dawid_skene", "dawid_skene_from_counts", "majority_vote"]

_TINY = np.finfo(float).tiny  # floor inside log(): a zero probability stays finite


def majority_vote(ratings: Any, categories: Sequence[Any] | None = None) -> pd.DataFrame:
    """Most frequent label of each item.

    Parameters
    ----------
    ratings : DataFrame or array_like, shape (n_items, n_raters)
        Ratings matrix; missing ratings allowed.
    categories : sequence, optional
        Ordered possible labels; a tie goes to the label that comes first in this order
        (default: sorted labels) and is flagged.

    Returns
    -------
    DataFrame
        Indexed like the input rows, columns ``label`` (missing for an item nobody rated),
        ``votes`` (ratings for that label), ``n_ratings``, ``share`` (votes / n_ratings)
        and ``tied`` (another label had as many votes).

    Examples
    --------
    >>> majority_vote([["no", "yes"], ["yes", "yes"]])
      label  votes  n_ratings  share   tied
    0    no      1          2    0.5   True
    1   yes      2          2    1.0  False
    """
    enc = encode_ratings(ratings, categories)
    counts = enc.counts()
    n_ratings = counts.sum(axis=1)
    best = counts.argmax(axis=1)
    votes = counts.max(axis=1, initial=0)
    rated = n_ratings > 0
    labels = np.where(rated, enc.categories.astype(object)[best], None)
    return pd.DataFrame({
        "label": labels,
        "votes": votes,
        "n_ratings": n_ratings,
        "share": np.divide(votes, n_ratings, out=np.full(len(votes), np.nan), where=rated),
        "tied": (counts == votes[:, None]).sum(axis=1) > 1,
    }, index=enc.items)


@dataclass(frozen=True)
class DawidSkeneResult:
    """Result of :func:`dawid_skene`.

    Attributes
    ----------
    labels : Series
        Most probable true label per item (items with at least one rating).
    posteriors : DataFrame
        P(true label | ratings), items x categories.
    priors : Series
        Estimated share of each true label.
    confusion : DataFrame
        Long form: ``rater``, ``true_label``, ``label``, ``probability`` =
        P(rater gives label | true label).
    n_iter : int
        EM iterations run.
    converged : bool
        Whether the relative log-likelihood gain fell below ``tol`` within ``max_iter``.
    log_likelihood : float
        Log-likelihood of the ratings at the estimate.
    """

    labels: pd.Series
    posteriors: pd.DataFrame
    priors: pd.Series
    confusion: pd.DataFrame
    n_iter: int
    converged: bool
    log_likelihood: float

    def rater_accuracy(self) -> pd.Series:
        """Each rater's estimated accuracy, ``sum_j pi_j theta[r, j, j]``."""
        diagonal = self.confusion[self.confusion["true_label"] == self.confusion["label"]]
        weights = diagonal["true_label"].map(self.priors)
        return (diagonal["probability"] * weights).groupby(diagonal["rater"], sort=False
                                                            ).sum().rename("accuracy")


def _m_step(counts: np.ndarray, post: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    priors = post.mean(axis=0)
    joint = np.einsum("ij,irk->rjk", post, counts)
    totals = joint.sum(axis=2, keepdims=True)
    q = counts.shape[2]
    theta = np.divide(joint, totals, out=np.full(joint.shape, 1.0 / q), where=totals > 0)
    return priors, theta


def _e_step(counts: np.ndarray, priors: np.ndarray, theta: np.ndarray
            ) -> tuple[np.ndarray, float]:
    log_joint = (np.log(np.maximum(priors, _TINY))[None, :]
                 + np.einsum("irk,rjk->ij", counts, np.log(np.maximum(theta, _TINY))))
    norm = logsumexp(log_joint, axis=1)
    return np.exp(log_joint - norm[:, None]), float(norm.sum())


def dawid_skene_from_counts(counts: Any, categories: Sequence[Any] | None = None,
                            items: Iterable[Any] | None = None,
                            raters: Iterable[Any] | None = None, max_iter: int = 2000,
                            tol: float = 1e-9) -> DawidSkeneResult:
    """Dawid-Skene EM on a count tensor (allows repeated ratings by the same rater).

    Parameters
    ----------
    counts : array_like, shape (n_items, n_raters, n_categories)
        ``counts[i, r, k]``: how often rater r gave item i label k.
    categories, items, raters : sequence, optional
        Labels of the three axes (default 0..n-1).
    max_iter : int
        Most EM iterations.
    tol : float
        Stop when an iteration raises the log-likelihood by less than ``tol`` times its
        absolute value (relative tolerance).

    Returns
    -------
    DawidSkeneResult

    Raises
    ------
    ValueError
        Not 3-D, negative counts, no items, an item with no rating, fewer than 2
        categories, or ``max_iter < 1``.

    Examples
    --------
    >>> counts = np.zeros((3, 2, 2))
    >>> counts[[0, 0, 1, 1, 2], [0, 1, 0, 1, 0], [1, 1, 0, 0, 1]] = 1
    >>> dawid_skene_from_counts(counts, categories=["no", "yes"]).labels.tolist()
    ['yes', 'no', 'yes']
    """
    n = np.asarray(counts, dtype=float)
    if n.ndim != 3 or (n < 0).any():
        raise ValueError("counts must be a non-negative (items, raters, categories) tensor; "
                         f"got shape {n.shape}")
    n_items, n_raters, q = n.shape
    if q < 2 or n_items == 0:
        raise ValueError("Dawid-Skene needs rated items and at least 2 categories; got "
                         f"{n_items} items and {q} categories")
    if max_iter < 1:
        raise ValueError(f"max_iter must be at least 1; got {max_iter}")
    per_item = n.sum(axis=(1, 2))
    if (per_item == 0).any():
        raise ValueError(f"{int((per_item == 0).sum())} items have no rating; drop them first")
    labels = pd.Index(range(q) if categories is None else list(categories))
    item_index = pd.Index(range(n_items) if items is None else list(items))
    rater_index = pd.Index(range(n_raters) if raters is None else list(raters))
    post = n.sum(axis=1) / per_item[:, None]
    previous, converged, n_iter = -np.inf, False, 0
    for n_iter in range(1, max_iter + 1):
        priors, theta = _m_step(n, post)
        post, log_likelihood = _e_step(n, priors, theta)
        if log_likelihood - previous < tol * max(1.0, abs(log_likelihood)):
            converged = True
            break
        previous = log_likelihood
    confusion = pd.DataFrame({
        "rater": np.repeat(rater_index.to_numpy(), q * q),
        "true_label": np.tile(np.repeat(labels.to_numpy(), q), n_raters),
        "label": np.tile(labels.to_numpy(), n_raters * q),
        "probability": theta.ravel(),
    })
    return DawidSkeneResult(
        labels=pd.Series(labels.to_numpy()[post.argmax(axis=1)], index=item_index, name="label"),
        posteriors=pd.DataFrame(post, index=item_index, columns=labels),
        priors=pd.Series(priors, index=labels, name="prior"),
        confusion=confusion, n_iter=n_iter, converged=converged,
        log_likelihood=log_likelihood)


def dawid_skene(ratings: Any, categories: Sequence[Any] | None = None, max_iter: int = 2000,
                tol: float = 1e-9) -> DawidSkeneResult:
    """Dawid-Skene consensus labels and per-rater confusion estimates.

    Parameters
    ----------
    ratings : DataFrame or array_like, shape (n_items, n_raters)
        Ratings matrix; missing ratings allowed. Items nobody rated are left out.
    categories : sequence, optional
        Possible labels (default: the sorted labels present).
    max_iter : int
        Most EM iterations.
    tol : float
        Stop when an iteration raises the log-likelihood by less than ``tol`` times its
        absolute value (relative tolerance).

    Returns
    -------
    DawidSkeneResult
        Items and raters are labelled by the input's index and columns.

    Raises
    ------
    ValueError
        Fewer than 2 categories, or no rating at all.

    Examples
    --------
    >>> res = dawid_skene([["a", "a", "b"], ["b", "b", "b"], ["a", "a", "a"]])
    >>> res.labels.tolist(), res.priors.round(3).tolist()
    (['a', 'b', 'a'], [0.667, 0.333])
    """
    enc = encode_ratings(ratings, categories)
    rated = np.asarray((enc.codes >= 0).any(axis=1), dtype=bool)
    codes = enc.codes[rated]
    q = enc.n_categories
    one_hot = (codes[:, :, None] == np.arange(q)[None, None, :]).astype(float)
    return dawid_skene_from_counts(one_hot, list(enc.categories), enc.items[rated], enc.raters,
                                   max_iter, tol)
