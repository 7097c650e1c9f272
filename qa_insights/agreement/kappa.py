"""Cohen's kappa for two raters, and the estimate record shared by all coefficients.

Cohen's (1960) kappa, optionally weighted (Cohen 1968), with the large-sample standard
error of Fleiss, Cohen & Everitt (1969): the ``ASE`` of SAS PROC FREQ, ``std_kappa`` of
statsmodels ``cohens_kappa`` and the SE of irrCAC ``cohen.kappa``. Confidence intervals
use the normal distribution (as SAS and statsmodels; irrCAC uses t(n-1), slightly wider);
the test of kappa = 0 uses the null-hypothesis SE (``ASE0``) and a two-sided normal
p-value, as SAS and R irr ``kappa2``.

Weighted kappa places the categories at their positions in the category order (any of
Gwet's weight types, see :func:`qa_insights.agreement.ratings_matrix.weight_matrix`), e.g.
linear weights ``1 - |i - j| / (q - 1)`` (Cicchetti-Allison, SAS default), quadratic
``1 - (i - j)**2 / (q - 1)**2`` (Fleiss-Cohen). By default the categories are the labels
observed in either rater (R irr ``kappa2`` and scikit-learn); pass ``categories`` to use
a fixed scale with unused levels, which changes weighted kappa.

Examples
--------
>>> a = ["spam", "spam", "hate", "none", "none", "spam"]
>>> b = ["spam", "hate", "hate", "none", "none", "spam"]
>>> round(cohen_kappa(a, b), 4)
0.75
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from qa_insights.agreement.ratings_matrix import WeightsSpec, encode_ratings, weight_matrix

__all__ = [
    "AgreementEstimate",
    "UndefinedAgreementError",
    "cohen_kappa",
    "cohen_kappa_ci",
    "cohen_kappa_from_table",
    "contingency_table",
    "is_unweighted",
    "kappa_from_tables",
    "t_estimate",
]

_FCE_SE = "Fleiss-Cohen-Everitt (1969) large-sample variance"


class UndefinedAgreementError(ValueError):
    """A chance-corrected coefficient is 0/0 on these ratings (one category everywhere).

    A subclass of ValueError, so that a table of several coefficients can report the
    undefined ones and still show the others.
    """


def is_unweighted(weights: WeightsSpec) -> bool:
    """Whether ``weights`` asks for the unweighted coefficient (None or "identity")."""
    return weights is None or (isinstance(weights, str) and weights == "identity")


@dataclass(frozen=True)
class AgreementEstimate:
    """A coefficient with its uncertainty.

    Attributes
    ----------
    coefficient : str
        Name, e.g. ``"Fleiss' kappa"``.
    value : float
        The coefficient.
    se : float
        Standard error (which estimator: ``se_method``).
    ci_low, ci_high : float
        Two-sided confidence interval at level ``confidence``; the upper bound is
        truncated at 1.
    confidence : float
        Confidence level.
    statistic : float
        Test statistic of "coefficient = 0": ``value / se`` (t), or for Cohen's kappa
        ``value / se_null`` (z).
    p_value : float
        Two-sided p-value of ``statistic`` under ``distribution``.
    distribution : str
        ``"normal"`` or ``"t(df)"``.
    se_method : str
        Variance estimator.
    pa, pe : float
        Observed and chance agreement.
    n_items : int
        Items behind the estimate.
    se_null : float or None
        SE under the null hypothesis (Cohen's kappa only).
    """

    coefficient: str
    value: float
    se: float
    ci_low: float
    ci_high: float
    confidence: float
    statistic: float
    p_value: float
    distribution: str
    se_method: str
    pa: float
    pe: float
    n_items: int
    se_null: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The fields as a dict (one row of a DataFrame)."""
        return asdict(self)


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1; got {confidence}")


def _ratio(value: float, se: float) -> float:
    if se > 0:
        return value / se
    return float(np.copysign(np.inf, value)) if value else 0.0


def t_estimate(name: str, value: float, se: float, n_items: int, pa: float, pe: float,
               confidence: float, se_method: str) -> AgreementEstimate:
    """Assemble an :class:`AgreementEstimate` with a t(n-1) interval and p-value.

    Examples
    --------
    >>> est = t_estimate("x", 0.5, 0.1, 11, 0.75, 0.5, 0.95, "demo")
    >>> round(est.ci_low, 4), round(est.ci_high, 4), est.distribution
    (0.2772, 0.7228, 't(10)')
    """
    _check_confidence(confidence)
    if n_items < 2:
        raise ValueError("a standard error needs at least 2 items")
    df = n_items - 1
    half = stats.t.ppf((1 + confidence) / 2, df) * se
    statistic = _ratio(value, se)
    return AgreementEstimate(name, value, se, float(value - half), float(min(1.0, value + half)),
                             confidence, statistic, float(2 * stats.t.sf(abs(statistic), df)),
                             f"t({df})", se_method, pa, pe, n_items)


def _vector(x: Any, name: str) -> np.ndarray:
    values = x.to_numpy() if isinstance(x, pd.Series) else np.asarray(x)
    if values.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per item); got shape {values.shape}")
    return values


def contingency_table(rater_a: Any, rater_b: Any,
                      categories: Sequence[Any] | None = None) -> pd.DataFrame:
    """Cross-tabulate two raters' labels over the items both rated.

    Parameters
    ----------
    rater_a, rater_b : array_like or Series
        One label per item, paired by position; missing as None/NaN.
    categories : sequence, optional
        Ordered possible labels. Default: the sorted labels observed on the paired items.

    Returns
    -------
    DataFrame
        Counts, rows = ``rater_a`` labels, columns = ``rater_b`` labels.

    Raises
    ------
    ValueError
        Different lengths, or no item rated by both.

    Examples
    --------
    >>> contingency_table(["a", "a", "b", None], ["a", "b", "b", "b"])
       a  b
    a  1  1
    b  0  1
    """
    a, b = _vector(rater_a, "rater_a"), _vector(rater_b, "rater_b")
    if len(a) != len(b):
        raise ValueError(f"the two raters must label the same items; got {len(a)} and "
                         f"{len(b)} labels")
    pairs = pd.DataFrame({"a": a, "b": b}).dropna()
    if pairs.empty:
        raise ValueError("no item was rated by both raters, so their agreement is undefined")
    enc = encode_ratings(pairs, categories)
    q = enc.n_categories
    table = np.bincount(enc.codes[:, 0] * q + enc.codes[:, 1], minlength=q * q).reshape(q, q)
    labels = pd.Index(enc.categories.tolist())
    return pd.DataFrame(table, index=labels, columns=labels)


def kappa_from_tables(tables: Any, weights: WeightsSpec = None) -> dict[str, np.ndarray]:
    """Cohen's kappa and its Fleiss-Cohen-Everitt SEs for a stack of contingency tables.

    Parameters
    ----------
    tables : array_like, shape (..., q, q)
        Counts; rows = first rater, columns = second rater (e.g. gold).
    weights : None, str or ndarray
        None (unweighted), a name in ``ratings_matrix.WEIGHT_TYPES`` ("linear",
        "quadratic", "ordinal", "radical", "ratio", "circular", "bipolar"; formulas in
        :func:`qa_insights.agreement.ratings_matrix.weight_matrix`) or a q x q matrix.
        Agreement weights by category position.

    Returns
    -------
    dict of ndarray, each of shape ``tables.shape[:-2]``
        ``kappa``, ``se`` (non-null ASE), ``se_null`` (ASE under kappa = 0), ``pa``,
        ``pe``, ``n``. Where kappa is undefined (pe = 1, one category in both raters, or
        an empty table) the entries are NaN.

    Examples
    --------
    >>> out = kappa_from_tables([[[20, 5], [10, 15]], [[9, 1], [0, 0]]])
    >>> out["kappa"].round(3)
    array([0.4, 0. ])
    """
    t = np.asarray(tables, dtype=float)
    w = weight_matrix(weights, t.shape[-1])
    n = t.sum(axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = t / n[..., None, None]
        row, col = p.sum(axis=-1), p.sum(axis=-2)
        pa = (w * p).sum(axis=(-2, -1))
        pe = np.einsum("...i,ij,...j->...", row, w, col)
        defined = pe < 1 - 1e-12
        kappa = np.where(defined, (pa - pe) / (1 - pe), np.nan)
        both = (np.einsum("ij,...j->...i", w, col)[..., :, None]
                + np.einsum("...i,ij->...j", row, w)[..., None, :])
        k = kappa[..., None, None]
        scale = n * (1 - pe) ** 2
        var = ((p * (w - both * (1 - k)) ** 2).sum(axis=(-2, -1))
               - (kappa - pe * (1 - kappa)) ** 2) / scale
        var0 = ((row[..., :, None] * col[..., None, :] * (w - both) ** 2).sum(axis=(-2, -1))
                - pe**2) / scale
    return {"kappa": kappa, "se": np.sqrt(np.maximum(var, 0.0)),
            "se_null": np.sqrt(np.maximum(var0, 0.0)), "pa": pa, "pe": pe, "n": n}


def cohen_kappa_from_table(table: Any, weights: WeightsSpec = None,
                           confidence: float = 0.95) -> AgreementEstimate:
    """Cohen's kappa with Fleiss-Cohen-Everitt SE from a q x q contingency table.

    Parameters
    ----------
    table : array_like or DataFrame, shape (q, q)
        Counts; rows = rater A, columns = rater B, same category order on both.
    weights : None, str or ndarray
        None (unweighted), a name in ``ratings_matrix.WEIGHT_TYPES`` ("linear",
        "quadratic", "ordinal", "radical", "ratio", "circular", "bipolar"; formulas in
        :func:`qa_insights.agreement.ratings_matrix.weight_matrix`) or a q x q matrix.
        Agreement weights by category position.
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    AgreementEstimate
        ``se``: FCE non-null ASE; ``ci_low``/``ci_high``: ``kappa -/+ z se`` (normal,
        upper bound truncated at 1); ``statistic``: ``kappa / se_null`` (z); ``p_value``:
        two-sided normal.

    Raises
    ------
    ValueError
        Not square, empty, or kappa undefined (a single category in both raters).

    Examples
    --------
    >>> est = cohen_kappa_from_table([[20, 5], [10, 15]])
    >>> round(est.value, 3), round(est.se, 4), round(est.statistic, 3)
    (0.4, 0.127, 2.887)
    """
    _check_confidence(confidence)
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or t.shape[0] != t.shape[1] or t.sum() <= 0 or (t < 0).any():
        raise ValueError("a contingency table must be a square table of non-negative "
                         f"counts with at least one item; got shape {t.shape}")
    out = {key: float(v) for key, v in kappa_from_tables(t, weights).items()}
    if np.isnan(out["kappa"]):
        raise UndefinedAgreementError(
            "Cohen's kappa is undefined: chance agreement pe is 1 (both raters use a single "
            "category), so (pa - pe) / (1 - pe) is 0/0")
    kappa, se = out["kappa"], out["se"]
    half = stats.norm.ppf((1 + confidence) / 2) * se
    z = _ratio(kappa, out["se_null"])
    name = "Cohen's kappa" if is_unweighted(weights) else "weighted Cohen's kappa"
    return AgreementEstimate(name, kappa, se, float(kappa - half), float(min(1.0, kappa + half)),
                             confidence,
                             z, float(2 * stats.norm.sf(abs(z))), "normal", _FCE_SE,
                             out["pa"], out["pe"], int(out["n"]), out["se_null"])


def cohen_kappa(rater_a: Any, rater_b: Any, weights: WeightsSpec = None,
                categories: Sequence[Any] | None = None) -> float:
    """Cohen's kappa between two raters, unweighted or weighted.

    Parameters
    ----------
    rater_a, rater_b : array_like or Series
        One label per item, paired by position; items missing either label are dropped.
    weights : None, str or ndarray
        None (unweighted), a name in ``ratings_matrix.WEIGHT_TYPES`` ("linear",
        "quadratic", "ordinal", "radical", "ratio", "circular", "bipolar"; formulas in
        :func:`qa_insights.agreement.ratings_matrix.weight_matrix`) or a q x q matrix.
        Agreement weights by category position (see module notes).
    categories : sequence, optional
        Ordered possible labels; default the labels observed on the paired items.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Different lengths, no item rated by both, or a single category in both raters.

    Examples
    --------
    >>> round(cohen_kappa([1, 2, 3, 3], [1, 2, 2, 3], weights="quadratic"), 4)
    0.8
    """
    return cohen_kappa_from_table(contingency_table(rater_a, rater_b, categories),
                                  weights).value


def cohen_kappa_ci(rater_a: Any, rater_b: Any, weights: WeightsSpec = None,
                   categories: Sequence[Any] | None = None,
                   confidence: float = 0.95) -> AgreementEstimate:
    """Cohen's kappa with the Fleiss-Cohen-Everitt SE, a normal CI and the z test.

    Same inputs as :func:`cohen_kappa`; see :func:`cohen_kappa_from_table` for the output.

    Examples
    --------
    >>> est = cohen_kappa_ci(["a"] * 20 + ["b"] * 30, ["a"] * 15 + ["b"] * 35)
    >>> round(est.value, 3), est.distribution
    (0.783, 'normal')
    """
    return cohen_kappa_from_table(contingency_table(rater_a, rater_b, categories), weights,
                                  confidence)
