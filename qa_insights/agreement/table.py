"""Inter-rater agreement: every coefficient, in one place.

Every coefficient takes a ratings matrix: rows = items, columns = raters (a DataFrame or a
2-D array), labels of any hashable type, missing ratings as None/NaN (see
:mod:`qa_insights.agreement.ratings_matrix`). Each returns a float; the ``*_ci`` companion returns an
:class:`AgreementEstimate` with standard error, confidence interval and test, and says in
``se_method`` and ``distribution`` which variance estimator and distribution it used:

============================  ==================================  ===================
coefficient                   standard error                      interval, p-value
============================  ==================================  ===================
percent agreement, Fleiss'    Gwet (2008) linearisation           t(n - 1)
kappa, AC1/AC2, BP            (:mod:`qa_insights.agreement.gwet`)
Krippendorff's alpha          Gwet linearisation, raw form        t(n - 1)
                              (:mod:`qa_insights.agreement.krippendorff_alpha`)
Cohen's kappa                 Fleiss-Cohen-Everitt (1969)         normal
                              (:mod:`qa_insights.agreement.kappa`)
Fleiss' kappa = 0 test        Fleiss-Nee-Landis (1979) null SE    normal
                              (:mod:`qa_insights.agreement.fleiss`)
any coefficient               percentile bootstrap over items     (:func:`bootstrap_ci`)
============================  ==================================  ===================

Undefined coefficients raise :class:`UndefinedAgreementError` (a ValueError) naming the
reason; fewer than 2 raters or no item with 2+ ratings raise ValueError.

Examples
--------
>>> from qa_insights.agreement.fleiss import fleiss_kappa
>>> from qa_insights.agreement.gwet import gwet_ac1
>>> from qa_insights.agreement.krippendorff_alpha import krippendorff_alpha
>>> ratings = [["spam", "spam", "spam"], ["hate", "hate", "spam"],
...            ["none", "none", "none"], ["spam", "hate", "hate"]]
>>> round(fleiss_kappa(ratings), 4), round(gwet_ac1(ratings), 4)
(0.4894, 0.5052)
>>> round(krippendorff_alpha(ratings), 4)
0.5319
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from qa_insights.agreement.coefficients import COEFFICIENTS
from qa_insights.agreement.kappa import (
    UndefinedAgreementError,
)

__all__ = [
    "BootstrapEstimate",
    "agreement_table",
    "bootstrap_ci",
]


def agreement_table(ratings: Any, categories: Sequence[Any] | None = None,
                    confidence: float = 0.95) -> pd.DataFrame:
    """Raw and chance-corrected agreement side by side, each with its SE and interval.

    Report these together: on skewed moderation labels (most items ``no_violation``)
    kappa and alpha can be low while raw agreement and AC1 are high (the kappa paradox).
    With two raters Fleiss' kappa is Scott's pi; for Cohen's kappa use :func:`cohen_kappa`.

    Parameters
    ----------
    ratings : DataFrame or array_like, shape (n_items, n_raters)
        Ratings matrix; missing ratings allowed.
    categories : sequence, optional
        Ordered possible labels (used by Brennan-Prediger's ``1/q`` and AC1's q).
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    DataFrame
        One row per coefficient (percent agreement, Fleiss' kappa, Gwet's AC1,
        Krippendorff's alpha (nominal), Brennan-Prediger) with the
        :class:`AgreementEstimate` fields as columns plus ``note``: empty, or why the
        coefficient is undefined (its numbers are then NaN).

    Raises
    ------
    ValueError
        Fewer than 2 raters, no item with 2+ ratings, or fewer than 2 items.

    Examples
    --------
    >>> table = agreement_table([["ok", "ok"]] * 18 + [["ok", "bad"], ["bad", "bad"]])
    >>> table[["coefficient", "value"]].round(3)
                          coefficient  value
    0               percent agreement  0.950
    1                   Fleiss' kappa  0.640
    2                      Gwet's AC1  0.942
    3  Krippendorff's alpha (nominal)  0.649
    4                Brennan-Prediger  0.900
    """
    rows = []
    for coefficient in COEFFICIENTS.values():
        try:
            rows.append(coefficient.estimate(ratings, categories=categories,
                                             confidence=confidence).as_dict() | {"note": ""})
        except UndefinedAgreementError as err:
            if not rows:  # percent agreement is defined whenever agreement is
                raise
            rows.append({"coefficient": coefficient.name, "note": str(err)})
    return pd.DataFrame(rows, columns=[*rows[0]])


@dataclass(frozen=True)
class BootstrapEstimate:
    """A statistic with a percentile bootstrap interval over items.

    Attributes
    ----------
    statistic : str
        Name of the statistic.
    value : float
        The statistic on the full data.
    se : float
        Standard deviation of the bootstrap replicates.
    ci_low, ci_high : float
        Percentile interval of the replicates at level ``confidence``.
    confidence : float
        Confidence level.
    n_boot : int
        Resamples drawn.
    n_undefined : int
        Resamples on which the statistic was undefined (e.g. a single category); they are
        left out of the interval.
    seed : int
        Seed of the generator (``numpy.random.default_rng``).
    """

    statistic: str
    value: float
    se: float
    ci_low: float
    ci_high: float
    confidence: float
    n_boot: int
    n_undefined: int
    seed: int


def bootstrap_ci(statistic: Callable[[Any], float], ratings: Any, n_boot: int = 2000,
                 confidence: float = 0.95, seed: int = 0) -> BootstrapEstimate:
    """Percentile bootstrap confidence interval of any coefficient, resampling items.

    Items (rows) are drawn with replacement; raters stay as they are. Reproducible for a
    given ``seed``.

    Parameters
    ----------
    statistic : callable
        Maps a ratings matrix (same type as ``ratings``) to a float, e.g.
        :func:`fleiss_kappa` or ``lambda r: cohen_kappa(r.iloc[:, 0], r.iloc[:, 1])``.
        Replicates on which it raises :class:`UndefinedAgreementError` are counted in
        ``n_undefined`` and skipped.
    ratings : DataFrame or array_like, shape (n_items, n_raters)
        Ratings matrix.
    n_boot : int
        Number of resamples.
    confidence : float
        Two-sided confidence level.
    seed : int
        Random seed.

    Returns
    -------
    BootstrapEstimate

    Raises
    ------
    ValueError
        ``n_boot < 1``, fewer than 2 items, or the statistic undefined on more than half
        of the resamples (the interval would say little).

    Examples
    --------
    >>> from qa_insights.agreement.fleiss import fleiss_kappa
    >>> ratings = [["a", "a", "a"], ["b", "b", "a"], ["b", "b", "b"], ["a", "b", "b"]] * 5
    >>> est = bootstrap_ci(fleiss_kappa, ratings, n_boot=200, seed=1)
    >>> round(est.value, 3), est.ci_low < est.value < est.ci_high
    (0.314, True)
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1; got {n_boot}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1; got {confidence}")
    frame = ratings if isinstance(ratings, pd.DataFrame) else None
    values = np.asarray(ratings) if frame is None else np.empty(0)
    n = len(frame) if frame is not None else len(values)
    if n < 2:
        raise ValueError("a bootstrap over items needs at least 2 items")
    value = float(statistic(ratings))
    rng = np.random.default_rng(seed)
    replicates = []
    for _ in range(n_boot):
        rows = rng.integers(0, n, size=n)
        try:
            replicates.append(statistic(frame.iloc[rows] if frame is not None
                                        else values[rows]))
        except UndefinedAgreementError:
            continue
    undefined = n_boot - len(replicates)
    if undefined * 2 > n_boot:
        raise ValueError(f"the statistic is undefined on {undefined} of {n_boot} bootstrap "
                         "resamples; the interval would not be meaningful")
    reps = np.asarray(replicates, dtype=float)
    low, high = np.quantile(reps, [(1 - confidence) / 2, (1 + confidence) / 2])
    return BootstrapEstimate(getattr(statistic, "__name__", "statistic"), value,
                             float(reps.std(ddof=1)) if reps.size > 1 else 0.0, float(low),
                             float(high), confidence, n_boot, undefined, seed)
