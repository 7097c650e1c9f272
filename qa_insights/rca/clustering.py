"""Cluster moderators (or sites) by their error profile, for targeted training.

An *error profile* is the share of each error type (or reason) among an entity's errors:
a moderator whose errors are mostly false negatives needs different coaching from one who
over-enforces. :func:`error_profiles` counts them in the engine; :func:`cluster_profiles`
runs k-means on the shares (scikit-learn) for every k in a range and keeps the k with the
best mean silhouette. :func:`cluster_names` names each cluster from its profile: the
categories whose share sets it furthest apart from the overall mix ("high false
negatives"), so a table of clusters reads as kinds of moderators, not as numbers.

Entities with few errors have noisy profiles; ``min_errors`` leaves them out.

Examples
--------
>>> import pandas as pd
>>> p = pd.DataFrame({"false_positive": [0.9, 0.8, 0.1, 0.2, 0.85, 0.15],
...                   "false_negative": [0.1, 0.2, 0.9, 0.8, 0.15, 0.85]},
...                  index=pd.Index(list("abcdef"), name="moderator_id"))
>>> c = cluster_profiles(p, k_range=range(2, 4))
>>> c.k, c.assignments.tolist()
(2, [1, 1, 0, 0, 1, 0])
>>> c.names.tolist()
['high false negatives', 'high false positives']
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from qa_insights.data.queries import Filters, audit_counts, check_dimensions, store_dimensions

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = ["PROFILE_CATEGORIES", "Clustering", "cluster_names", "cluster_profiles",
           "error_profiles"]

#: Columns an error profile can be built from.
PROFILE_CATEGORIES = ("error_type", "error_reason", "severity")


def error_profiles(store: Store, by: str = "moderator_id", category: str = "error_type", *,
                   min_errors: int = 10, filters: Filters | None = None) -> pd.DataFrame:
    """Share of each error category among every entity's errors.

    Parameters
    ----------
    store : Store
        Open store.
    by : str
        Entity dimension (``moderator_id``, ``site``, ...).
    category : str
        One of :data:`PROFILE_CATEGORIES`; errors without a value count as ``unknown``.
    min_errors : int
        Entities with fewer errors are left out (their number is ``attrs["excluded"]``).
    filters : mapping, optional
        Scope: dimension -> value or list of values, bound as SQL parameters
        (e.g. ``{"month": "2026-10"}``); names are checked against the data's dimensions.

    Returns
    -------
    DataFrame
        Indexed by ``by``: one share column per category (rows sum to 1), then
        ``n_errors``, ``n_audits``, ``error_rate``.

    Examples
    --------
    >>> error_profiles(store, "moderator_id", filters={"month": "2026-10"})       # doctest: +SKIP
    """
    if category not in PROFILE_CATEGORIES:
        raise ValueError(f"unknown category {category!r}; allowed: "
                         f"{', '.join(PROFILE_CATEGORIES)}")
    (by,) = check_dimensions([by], store_dimensions(store))
    counts = audit_counts(store, [by, category], filters=filters).dropna(subset=[by])
    audits = counts.groupby(by)["n_audits"].sum()
    errors = counts[counts["n_errors"] > 0].copy()
    errors[category] = errors[category].fillna("unknown")
    wide = errors.pivot_table(index=by, columns=category, values="n_errors", aggfunc="sum",
                              fill_value=0)
    total = wide.sum(axis=1)
    keep = total >= min_errors
    shares = wide[keep].div(total[keep], axis=0)
    shares.columns = [str(c) for c in shares.columns]
    shares["n_errors"] = total[keep].astype("int64")
    shares["n_audits"] = audits.reindex(shares.index).astype("int64")
    shares["error_rate"] = shares["n_errors"] / shares["n_audits"]
    shares.attrs["excluded"] = int((~keep).sum() + (audits.index.difference(wide.index).size))
    shares.attrs["category"] = category
    return shares


@dataclass(frozen=True)
class Clustering:
    """Result of :func:`cluster_profiles`.

    Attributes
    ----------
    k : int
        Chosen number of clusters (best mean silhouette).
    assignments : Series
        Cluster of every entity (0 = largest cluster; ties by smallest mean profile),
        indexed like the profiles.
    centers : DataFrame
        Mean profile of each cluster, with its ``size``.
    silhouette : DataFrame
        ``k`` and ``silhouette`` for every k tried.
    names : Series
        Name of every cluster from its profile (:func:`cluster_names`), indexed by cluster.
    """

    k: int
    assignments: pd.Series
    centers: pd.DataFrame
    silhouette: pd.DataFrame
    names: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))


#: How a category is named in a cluster's name, where its words alone would read badly.
_NAMES = {"false_positive": "false positives", "false_negative": "false negatives",
          "unknown": "unrecorded"}


def _words(category: str) -> str:
    return _NAMES.get(category, category.replace("_", " "))


def cluster_names(centers: pd.DataFrame, overall: pd.Series, *,
                  min_difference: float = 0.05) -> pd.Series:
    """Name each cluster by what sets its profile apart from the overall mix.

    A cluster is named by the category whose share in its centre differs most from
    ``overall``, as "high ..." or "low ..." ("high" first on a tie), when the difference
    is at least ``min_difference``; otherwise it is "close to the overall mix". Clusters
    whose names clash get the next largest differences added until the names are unique;
    names that the shares cannot tell apart get the cluster's number.

    Parameters
    ----------
    centers : DataFrame
        Mean profile (shares) of each cluster, indexed by cluster; a ``size`` column is
        ignored (:attr:`Clustering.centers`).
    overall : Series
        The overall share of each category (e.g. the mean profile of all entities).
    min_difference : float
        Smallest difference of shares (0.05 = 5 percentage points) that names a cluster.

    Returns
    -------
    Series
        Unique name of every cluster, indexed like ``centers``.

    Examples
    --------
    >>> centers = pd.DataFrame({"false_negative": [0.7, 0.2, 0.4],
    ...                         "false_positive": [0.2, 0.7, 0.4],
    ...                         "wrong_policy": [0.1, 0.1, 0.2]})
    >>> cluster_names(centers, centers.mean()).tolist()
    ['high false negatives', 'high false positives', 'high wrong policy']
    """
    shares = centers[[c for c in centers.columns if c != "size"]]
    columns = [str(c) for c in shares.columns]
    diff = (shares.to_numpy(dtype=float)
            - overall.reindex(shares.columns).to_numpy(dtype=float))
    ranked: list[list[int]] = []
    for row in diff:
        def key(j: int, row: np.ndarray = row) -> tuple[float, bool]:
            # largest difference first; on a tie (two categories always tie) "high" first
            return -round(abs(float(row[j])), 12), bool(row[j] < 0)
        ranked.append(sorted(range(len(columns)), key=key))

    def name(i: int, depth: int) -> str:
        parts = [f"{'high' if diff[i, j] > 0 else 'low'} {_words(columns[j])}"
                 for j in ranked[i][:depth]]
        close = not columns or abs(diff[i, ranked[i][0]]) < min_difference
        return ", ".join((["close to the overall mix"] if close else []) + parts)

    # named by the differences of at least min_difference; more (smaller) ones only to
    # tell apart clusters whose names would clash
    depth = [1 if (abs(diff[i]) >= min_difference).any() else 0 for i in range(len(diff))]
    names = [name(i, depth[i]) for i in range(len(diff))]
    while True:
        seen = Counter(names)
        clashing = [i for i, v in enumerate(names) if seen[v] > 1 and depth[i] < len(columns)]
        if not clashing:
            break
        for i in clashing:
            depth[i] += 1
            names[i] = name(i, depth[i])
    seen = Counter(names)
    return pd.Series([f"{v} (group {i + 1})" if seen[v] > 1 else v for i, v in enumerate(names)],
                     index=centers.index, name="name")


def cluster_profiles(profiles: pd.DataFrame, columns: Sequence[str] | None = None, *,
                     k_range: Iterable[int] = range(2, 7), seed: int = 0) -> Clustering:
    """k-means on error-profile shares, with k chosen by the mean silhouette.

    Parameters
    ----------
    profiles : DataFrame
        One row per entity (e.g. from :func:`error_profiles`).
    columns : sequence of str, optional
        Share columns (default: all except ``n_errors``, ``n_audits``, ``error_rate``).
    k_range : iterable of int
        Numbers of clusters to try; values outside ``2 .. n_entities - 1`` are skipped.
    seed : int
        Seed of k-means (10 restarts per k).

    Returns
    -------
    Clustering
        With each cluster named by :func:`cluster_names` against the mean profile of all
        entities.

    Raises
    ------
    ValueError
        Fewer than three entities, or no k in range to try.
    """
    if columns is None:
        columns = [c for c in profiles.columns if c not in ("n_errors", "n_audits",
                                                            "error_rate")]
    x = profiles[list(columns)].to_numpy(dtype=float)
    n = len(x)
    ks = sorted(k for k in set(k_range) if 2 <= k < n)
    if n < 3 or not ks:
        raise ValueError(f"need at least 3 entities and a k between 2 and {n - 1}; "
                         f"got {n} entities")
    scores, labels = [], {}
    for k in ks:
        labels[k] = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(x)
        distinct = len(np.unique(labels[k]))
        scores.append(silhouette_score(x, labels[k]) if 1 < distinct < n else np.nan)
    sil = pd.DataFrame({"k": ks, "silhouette": scores})
    if sil["silhouette"].isna().all():
        raise ValueError("the profiles do not separate into clusters (identical rows)")
    best = int(sil["k"].to_numpy()[int(np.nanargmax(sil["silhouette"].to_numpy()))])
    raw = labels[best]
    sizes = pd.Series(raw).value_counts()
    order = sorted(sizes.index, key=lambda c: (-sizes[c], x[raw == c].mean(axis=0).tolist()))
    relabel = {old: new for new, old in enumerate(order)}
    assign = pd.Series([relabel[c] for c in raw], index=profiles.index, name="cluster")
    centers = profiles[list(columns)].groupby(assign.to_numpy()).mean()
    centers.index.name = "cluster"
    centers["size"] = assign.value_counts().sort_index().to_numpy()
    names = cluster_names(centers, profiles[list(columns)].mean())
    return Clustering(best, assign, centers, sil, names)
