"""LMDI-I index decomposition: split the change of an aggregate into factor effects.

An aggregate ``V = sum_i V_i`` over segments ``i`` with ``V_i = prod_k x_ik`` (the factors
``k`` of segment ``i``) changes from period 0 to period T. The logarithmic mean Divisia
index method I (Ang 2005) gives every factor ``k`` the additive effect

    ``dV_k = sum_i L(V_i^T, V_i^0) * ln(x_ik^T / x_ik^0)``,  ``L(a, b) = (a - b) / ln(a / b)``

and the multiplicative effect ``D_k = exp(dV_k / L(V^T, V^0))``. The decomposition is
perfect: ``sum_k dV_k = V^T - V^0`` and ``prod_k D_k = V^T / V^0``, with no residual.

The error rate is the case ``R = sum_i s_i r_i`` (share of audits times segment error rate):
:func:`lmdi` splits its change into a *mix* effect (audit volume moved between segments)
and a *rate* effect (segments got better or worse). A cost decomposition
(``cost = volume x mix x unit cost``) calls :func:`align_periods` and
:func:`lmdi_additive` / :func:`lmdi_multiplicative` the same way with three factors.

Zeros use the exact limits, not a small-value substitute (Ang & Liu 2007; Wood & Lenzen
2006): ``L(a, 0) = 0``; a segment whose value goes from 0 to ``V^T > 0`` gives ``V^T`` to
the factor(s) that were zero (split equally when several were, the limit of a common
small value), one that goes to 0 gives ``-V^0``; a segment that is 0 in both periods gives
nothing. An *undefined* factor (NaN, e.g. the error rate of a segment with no audits) takes
its value from the other period, so a new or vanished segment's whole contribution goes
to the factor that appeared or vanished (its share: mix).

References
----------
Ang, B.W. (2005). The LMDI approach to decomposition analysis: a practical guide.
Energy Policy 33:867-871.
Ang, B.W. & Liu, N. (2007). Handling zero values in the logarithmic mean Divisia index
decomposition approach. Energy Policy 35:238-246.
Wood, R. & Lenzen, M. (2006). Zero-value problems of the logarithmic mean Divisia index
decomposition method. Energy Policy 34:1326-1331.

Examples
--------
Volume moves to a weaker vendor while every site improves (qa-domain.md section 5):

>>> import pandas as pd
>>> jan = pd.DataFrame({"site": ["in_house", "bpo_a", "bpo_b"],
...                     "n_audits": [50_000, 30_000, 20_000], "n_errors": [1_000, 1_200, 1_200]})
>>> feb = pd.DataFrame({"site": ["in_house", "bpo_a", "bpo_b"],
...                     "n_audits": [40_000, 30_000, 50_000], "n_errors": [720, 1_050, 2_750]})
>>> d = lmdi(jan, feb, "site")
>>> d[["site", "mix_effect", "rate_effect"]].round(4)
       site  mix_effect  rate_effect
0     bpo_b      1.2385      -0.1468
1  in_house     -0.3175      -0.0825
2     bpo_a     -0.1876      -0.1374
>>> {k: round(d.attrs["overall"][k], 4) for k in ("mix_effect", "rate_effect", "d_mix", "d_rate")}
{'mix_effect': 0.7334, 'rate_effect': -0.3667, 'd_mix': 1.2273, 'd_rate': 0.9026}
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = [
    "RATE_FACTORS",
    "align_periods",
    "lmdi",
    "lmdi_additive",
    "lmdi_multiplicative",
    "log_mean",
]

#: Factor names of the error-rate decomposition, in order (share of audits, error rate).
RATE_FACTORS = ("mix", "rate")


def log_mean(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """Logarithmic mean ``L(a, b) = (a - b) / ln(a / b)``, with ``L(a, a) = a`` and
    ``L(a, 0) = L(0, b) = 0``.

    The log ratio is ``log1p((a - b) / b)`` when ``a`` and ``b`` are within a factor 1.5
    of each other (full relative precision when they are close) and ``log(a / b)`` beyond.

    Parameters
    ----------
    a, b : array_like
        Non-negative values (broadcast).

    Returns
    -------
    ndarray
        The logarithmic means.

    Examples
    --------
    >>> log_mean([2.0, 3.0, 0.0], [1.0, 3.0, 5.0]).round(6)
    array([1.442695, 3.      , 0.      ])
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = a - b
        rel = diff / b
        out = diff / np.where(np.abs(rel) < 0.5, np.log1p(rel), np.log(a / b))
    out = np.where(a == b, a, out)
    return np.where((a == 0) | (b == 0), 0.0, out)


def _factor_arrays(x_before: ArrayLike, x_after: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    x0 = np.array(x_before, dtype=float, ndmin=1)
    xt = np.array(x_after, dtype=float, ndmin=1)
    x0 = x0[:, None] if x0.ndim == 1 else x0
    xt = xt[:, None] if xt.ndim == 1 else xt
    if x0.shape != xt.shape or x0.ndim != 2:
        raise ValueError("x_before and x_after must have the same shape (segments x factors), "
                         f"got {x0.shape} and {xt.shape}")
    if np.any(np.isinf(x0)) or np.any(np.isinf(xt)) or np.any(x0 < 0) or np.any(xt < 0):
        raise ValueError("factor values must be finite and non-negative (NaN = undefined)")
    # An undefined factor takes its value from the other period (Ang & Liu 2007).
    x0, xt = np.where(np.isnan(x0), xt, x0), np.where(np.isnan(xt), x0, xt)
    undefined = np.isnan(x0)
    v0 = np.prod(np.where(undefined, 1.0, x0), axis=1)
    vt = np.prod(np.where(undefined, 1.0, xt), axis=1)
    bad = undefined.any(axis=1) & ((v0 > 0) | (vt > 0))
    if bad.any():
        raise ValueError(f"segment(s) {np.flatnonzero(bad).tolist()}: a factor is undefined "
                         "(NaN) in both periods while the segment's value is not zero")
    return np.where(undefined, 1.0, x0), np.where(undefined, 1.0, xt)


def lmdi_additive(x_before: ArrayLike, x_after: ArrayLike) -> np.ndarray:
    """Additive LMDI-I effects of every factor in every segment.

    Parameters
    ----------
    x_before, x_after : array_like, shape (n_segments, n_factors)
        Factor values in period 0 and period T; a segment's value is the product of its
        factors. Non-negative; NaN marks an undefined factor (taken from the other period).
        A 1-d input is one factor per segment.

    Returns
    -------
    ndarray, shape (n_segments, n_factors)
        ``Z[i, k] = L(V_i^T, V_i^0) ln(x_ik^T / x_ik^0)`` with the exact zero limits.
        Row sums equal ``V_i^T - V_i^0``; the grand sum equals ``V^T - V^0``.

    Raises
    ------
    ValueError
        Shapes differ, a value is negative or infinite, or a factor is undefined in both
        periods for a segment whose value is not zero.

    Examples
    --------
    Two segments, three factors (LMDIR test data, 1971 -> 1972):

    >>> lmdi_additive([[1, 10, 2], [4, 5, 3]], [[4, 5, 3], [5, 6, 4]]).round(4)
    array([[ 50.4744, -25.2372,  14.7628],
           [ 19.3157,  15.7821,  24.9022]])

    A segment that appears: its whole value goes to the factor that was zero.

    >>> lmdi_additive([[0.0, 0.08]], [[0.1, 0.08]])
    array([[0.008, 0.   ]])
    """
    x0, xt = _factor_arrays(x_before, x_after)
    v0, vt = np.prod(x0, axis=1), np.prod(xt, axis=1)
    both = (v0 > 0) & (vt > 0)
    weight = log_mean(vt, v0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(both[:, None], weight[:, None] * np.log(xt / x0), 0.0)
    # Exact limits: value appears (0 -> V^T) or vanishes (V^0 -> 0); the change is shared
    # equally by the factors that were zero, as a common small value delta -> 0 gives.
    appear = (v0 == 0) & (vt > 0)
    vanish = (v0 > 0) & (vt == 0)
    zero0, zerot = x0 == 0, xt == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(appear[:, None] & zero0,
                     (vt / zero0.sum(axis=1))[:, None], z)
        z = np.where(vanish[:, None] & zerot,
                     (-v0 / zerot.sum(axis=1))[:, None], z)
    return z


def lmdi_multiplicative(x_before: ArrayLike, x_after: ArrayLike) -> np.ndarray:
    """Multiplicative LMDI-I factor indices ``D_k``, with ``prod_k D_k = V^T / V^0``.

    ``ln D_k = sum_i Z_ik / L(V^T, V^0)``, where ``Z`` are the additive effects of
    :func:`lmdi_additive` (the same zero limits apply).

    Parameters
    ----------
    x_before, x_after : array_like, shape (n_segments, n_factors)
        As in :func:`lmdi_additive`.

    Returns
    -------
    ndarray, shape (n_factors,)
        The factor indices; NaN when the aggregate is 0 in either period (the ratio
        ``V^T / V^0`` is then 0 or infinite and has no factor split).

    Examples
    --------
    >>> lmdi_multiplicative([[1, 10, 2], [4, 5, 3]], [[4, 5, 3], [5, 6, 4]]).round(4)
    array([1.7611, 0.9262, 1.3794])
    """
    x0, xt = _factor_arrays(x_before, x_after)
    total0, totalt = np.prod(x0, axis=1).sum(), np.prod(xt, axis=1).sum()
    z = lmdi_additive(x0, xt).sum(axis=0)
    if total0 == 0 or totalt == 0:
        return np.full(z.shape, np.nan)
    indices: np.ndarray = np.exp(z / log_mean(totalt, total0))
    return indices


def align_periods(before: pd.DataFrame, after: pd.DataFrame, by: str | Sequence[str],
                  columns: Sequence[str]) -> pd.DataFrame:
    """Put two periods' segment counts side by side, one row per segment of either period.

    Parameters
    ----------
    before, after : DataFrame
        One row per segment: the ``by`` columns and the count ``columns``.
    by : str or sequence of str
        Segment columns.
    columns : sequence of str
        Count columns (non-negative numbers).

    Returns
    -------
    DataFrame
        ``by`` columns, then ``<column>_before`` and ``<column>_after`` for every count
        column; a segment missing from one period has 0 there.

    Raises
    ------
    ValueError
        A missing column, a segment listed twice, or a negative or missing count.

    Examples
    --------
    >>> b = pd.DataFrame({"site": ["a", "b"], "n": [3, 4]})
    >>> a = pd.DataFrame({"site": ["b", "c"], "n": [5, 6]})
    >>> align_periods(b, a, "site", ["n"])
      site  n_before  n_after
    0    a         3        0
    1    b         4        5
    2    c         0        6
    """
    by = [by] if isinstance(by, str) else list(by)
    if not by:
        raise ValueError("by must name at least one segment column")
    frames = []
    for name, frame in (("before", before), ("after", after)):
        missing = [c for c in [*by, *columns] if c not in frame.columns]
        if missing:
            raise ValueError(f"{name}: missing column(s) {missing}; "
                             f"expected {[*by, *columns]}")
        if frame.duplicated(by).any():
            dup = frame.loc[frame.duplicated(by), by].iloc[0].tolist()
            raise ValueError(f"{name}: segment {dup} appears more than once; "
                             "give one row per segment")
        values = frame[list(columns)].apply(pd.to_numeric, errors="coerce")
        if values.isna().any().any() or (values < 0).any().any():
            raise ValueError(f"{name}: counts {list(columns)} must be non-negative numbers")
        frames.append(frame[by].assign(**{f"{c}_{name}": values[c] for c in columns}))
    out = frames[0].merge(frames[1], on=by, how="outer", sort=False)
    counts = [f"{c}_{p}" for c in columns for p in ("before", "after")]
    for c in counts:
        filled = out[c].fillna(0)
        out[c] = filled.astype("int64") if (filled % 1 == 0).all() else filled
    return out[[*by, *counts]].reset_index(drop=True)


def lmdi(before: pd.DataFrame, after: pd.DataFrame, by: str | Sequence[str], *,
         scale: float = 100.0) -> pd.DataFrame:
    """Split the change of the overall error rate into mix and rate effects (LMDI-I).

    ``R = sum_i s_i r_i`` with ``s_i`` the segment's share of audits and ``r_i`` its error
    rate. The *mix* effect is the part due to audits moving between segments, the *rate*
    effect the part due to segments' own error rates changing. They add up exactly to
    ``R^T - R^0``, including segments that appear (all mix), disappear (all mix) or have
    no errors in one period (all rate), by the exact LMDI limits.

    Parameters
    ----------
    before, after : DataFrame
        One row per segment: the ``by`` columns, ``n_audits`` and ``n_errors``.
    by : str or sequence of str
        Segment columns (e.g. ``"site"`` or ``["site", "queue"]``).
    scale : float
        Multiplier of the effects: 100 gives percentage points (pts), 1 rate units.

    Returns
    -------
    DataFrame
        One row per segment of either period, sorted by absolute ``total_effect``
        (largest first): the ``by`` columns, ``mix_effect``, ``rate_effect``,
        ``total_effect`` (times ``scale``), then ``n_audits_before``, ``n_audits_after``,
        ``n_errors_before``, ``n_errors_after``, ``share_before``, ``share_after``,
        ``rate_before``, ``rate_after`` (shares and rates as fractions; a rate is NaN where
        the segment has no audits). ``attrs["overall"]`` holds ``rate_before``,
        ``rate_after`` (fractions), ``change``, ``mix_effect``, ``rate_effect`` (times
        ``scale``), the multiplicative indices ``d_mix`` and ``d_rate``
        (``d_mix * d_rate = rate_after / rate_before``; NaN when either rate is 0), the
        audit and error totals, ``scale`` and ``by``.

    Raises
    ------
    ValueError
        Missing columns, duplicated segments, negative counts, errors above audits, or a
        period without audits.

    Examples
    --------
    Zeros (qa-domain.md section 5, example 2): a new vendor enters, a queue with no errors
    gets some.

    >>> jan = pd.DataFrame({"site": ["in_house", "bpo_a", "escalations"],
    ...                     "n_audits": [50_000, 30_000, 20_000], "n_errors": [1_000, 1_200, 0]})
    >>> feb = pd.DataFrame({"site": ["in_house", "bpo_a", "escalations", "bpo_c"],
    ...                     "n_audits": [45_000, 30_000, 15_000, 10_000],
    ...                     "n_errors": [900, 1_200, 150, 800]})
    >>> d = lmdi(jan, feb, "site")
    >>> d[["site", "mix_effect", "rate_effect", "total_effect"]].round(2)
              site  mix_effect  rate_effect  total_effect
    0        bpo_c         0.8         0.00          0.80
    1  escalations         0.0         0.15          0.15
    2     in_house        -0.1         0.00         -0.10
    3        bpo_a         0.0         0.00          0.00
    """
    by = [by] if isinstance(by, str) else list(by)
    seg = align_periods(before, after, by, ["n_audits", "n_errors"])
    totals = {}
    for p in ("before", "after"):
        n, e = seg[f"n_audits_{p}"], seg[f"n_errors_{p}"]
        if (e > n).any():
            raise ValueError(f"{p}: n_errors exceeds n_audits for segment "
                             f"{seg.loc[e > n, by].iloc[0].tolist()}")
        totals[p] = (float(n.sum()), float(e.sum()))
        if totals[p][0] <= 0:
            raise ValueError(f"{p}: no audits in any segment; the error rate is undefined")
        seg[f"share_{p}"] = n / totals[p][0]
        seg[f"rate_{p}"] = (e / n).where(n > 0)
    factors = {p: seg[[f"share_{p}", f"rate_{p}"]].to_numpy(dtype=float)
               for p in ("before", "after")}
    z = lmdi_additive(factors["before"], factors["after"]) * scale
    seg.insert(len(by), "mix_effect", z[:, 0])
    seg.insert(len(by) + 1, "rate_effect", z[:, 1])
    seg.insert(len(by) + 2, "total_effect", z[:, 0] + z[:, 1])
    order = [*by, "mix_effect", "rate_effect", "total_effect"] + [
        f"{c}_{p}" for c in ("n_audits", "n_errors") for p in ("before", "after")] + [
        f"{c}_{p}" for c in ("share", "rate") for p in ("before", "after")]
    seg = seg.iloc[np.argsort(-np.abs(seg["total_effect"].to_numpy()), kind="stable")]
    seg = seg[order].reset_index(drop=True)
    d_mix, d_rate = lmdi_multiplicative(factors["before"], factors["after"])
    r0 = totals["before"][1] / totals["before"][0]
    rt = totals["after"][1] / totals["after"][0]
    seg.attrs["overall"] = {
        "rate_before": r0, "rate_after": rt, "change": (rt - r0) * scale,
        "mix_effect": float(z[:, 0].sum()), "rate_effect": float(z[:, 1].sum()),
        "d_mix": float(d_mix), "d_rate": float(d_rate),
        "n_audits_before": totals["before"][0], "n_errors_before": totals["before"][1],
        "n_audits_after": totals["after"][0], "n_errors_after": totals["after"][1],
        "scale": scale, "by": by,
    }
    return seg
