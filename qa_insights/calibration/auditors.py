"""Grading the grader: each auditor's error-finding rate against peers on the same queues.

Auditors see different queues, and queues differ in how many errors there are to find, so
an auditor is compared with what their peers find on the same queues (indirect
standardisation). For auditor ``a`` with ``n_aq`` audits and ``o_aq`` findings
(moderator decision differs from the auditor's) on queue ``q``, the peers' rate on ``q``
excludes ``a``: ``r_q(-a) = (O_q - o_aq) / (N_q - n_aq)``; the expected findings are
``E_a = sum_q n_aq r_q(-a)`` and the finding ratio ``O_a / E_a`` (1: finds as much as
peers; 0.5: half as much, a lenient auditor).

The ratios are shrunk with a Gamma-Poisson model: ``theta_a ~ Gamma(k, k)`` (mean 1,
variance ``1/k``), ``O_a ~ Poisson(theta_a E_a)``, so the posterior is
``Gamma(k + O_a, k + E_a)``; ``k`` is fitted by moments,
``1/k = sum E_a (r_a - rbar)^2 / sum E_a - J rbar / sum E_a`` (``J`` auditors, weighted
mean ``rbar``), and is infinite (every ratio 1, nobody flagged) when the ratios vary no more
than Poisson noise. An auditor is flagged only when the whole credible interval lies
outside the band (default 0.8 .. 1.25): ``lenient`` below, ``strict`` above, as raters are
flagged in :mod:`qa_insights.calibration.raters`. Auditor ids are personal data.

Examples
--------
>>> c = pd.DataFrame({"auditor_id": ["x", "y", "x", "y"], "queue": ["a", "a", "b", "b"],
...                   "n_audits": [100, 100, 100, 300], "n_findings": [10, 20, 5, 15]})
>>> r = auditor_finding_ratios(c, min_n=10)
>>> r[["auditor_id", "findings", "expected"]].values.tolist()
[['x', 15, 25.0], ['y', 35, 25.0]]
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from qa_insights.data.queries import Filters, audit_counts

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = ["auditor_finding_ratios", "auditor_quality", "gamma_strength"]


def gamma_strength(observed: np.ndarray, expected: np.ndarray) -> float:
    """Method-of-moments strength ``k`` of the Gamma(k, k) prior of finding ratios
    (``inf`` when the ratios vary no more than Poisson noise).

    Examples
    --------
    >>> gamma_strength(np.array([10.0, 10.0]), np.array([10.0, 10.0]))
    inf
    """
    o, e = np.asarray(observed, float), np.asarray(expected, float)
    keep = e > 0
    o, e = o[keep], e[keep]
    if len(e) < 2:
        return math.inf
    r = o / e
    rbar = float(np.sum(o) / np.sum(e))
    between = float(np.sum(e * (r - rbar) ** 2) / e.sum() - len(e) * rbar / e.sum())
    return math.inf if between <= 0 else 1.0 / between


def auditor_finding_ratios(counts: pd.DataFrame, *, id_col: str = "auditor_id",
                           band: tuple[float, float] = (0.8, 1.25), credible: float = 0.95,
                           min_n: int = 30) -> pd.DataFrame:
    """Finding ratios of auditors against peers on the same queues, shrunk, with flags.

    Parameters
    ----------
    counts : DataFrame
        One row per auditor and queue: ``id_col``, ``queue``, ``n_audits``,
        ``n_findings``.
    id_col : str
        Auditor column.
    band : (float, float)
        Ratios inside it are acceptable; a flag needs the whole interval outside it.
    credible : float
        Level of the equal-tailed posterior interval.
    min_n : int
        Auditors with fewer audits are never flagged.

    Returns
    -------
    DataFrame
        ``id_col, n_audits, findings, expected, ratio`` (raw ``O/E``), ``shrunk_ratio``,
        ``ci_low, ci_high``, ``flag`` (``"lenient"``, ``"strict"`` or ``""``), sorted by
        the shrunk ratio; ``attrs["strength"]`` holds ``k``.
    """
    need = {id_col, "queue", "n_audits", "n_findings"}
    if not need <= set(counts.columns):
        raise ValueError(f"counts: expected columns {sorted(need)}")
    lo_band, hi_band = band
    if not 0 < lo_band <= 1 <= hi_band:
        raise ValueError(f"band must contain 1 with a positive lower edge; got {band}")
    c = counts.groupby([id_col, "queue"], as_index=False)[["n_audits", "n_findings"]].sum()
    totals = c.groupby("queue")[["n_audits", "n_findings"]].transform("sum")
    peers_n = totals["n_audits"] - c["n_audits"]
    with np.errstate(divide="ignore", invalid="ignore"):
        peer_rate = np.where(peers_n > 0, (totals["n_findings"] - c["n_findings"]) / peers_n,
                             np.nan)
    c["expected"] = c["n_audits"] * peer_rate
    # Queues no peer audits carry no comparison: left out of both O and E.
    c = c[np.isfinite(c["expected"])]
    out: pd.DataFrame = (c.groupby(id_col)
            .agg(n_audits=("n_audits", "sum"), findings=("n_findings", "sum"),
                 expected=("expected", "sum"))
            .reset_index())
    o, e = out["findings"].to_numpy(float), out["expected"].to_numpy(float)
    k = gamma_strength(o, e)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ratio"] = np.where(e > 0, o / e, np.nan)
    tail = (1 - credible) / 2
    if math.isinf(k):
        out["shrunk_ratio"], out["ci_low"], out["ci_high"] = 1.0, 1.0, 1.0
    else:
        shape, rate = k + o, k + e
        out["shrunk_ratio"] = shape / rate
        out["ci_low"] = stats.gamma.ppf(tail, shape, scale=1 / rate)
        out["ci_high"] = stats.gamma.ppf(1 - tail, shape, scale=1 / rate)
    enough = out["n_audits"] >= min_n
    out["flag"] = np.where(enough & (out["ci_high"] < lo_band), "lenient",
                           np.where(enough & (out["ci_low"] > hi_band), "strict", ""))
    out = out.sort_values(["shrunk_ratio", id_col], kind="stable").reset_index(drop=True)
    out.attrs["strength"] = k
    return out


def auditor_quality(store: Store, *, band: tuple[float, float] = (0.8, 1.25),
                    credible: float = 0.95, min_n: int = 30, filters: Filters | None = None
                    ) -> pd.DataFrame:
    """:func:`auditor_finding_ratios` from the store, plus each auditor's dispute
    overturn rate (overturned audits / audits) and share of the sample.

    Examples
    --------
    >>> auditor_quality(store, filters={"month": "2026-10"})                      # doctest: +SKIP
    """
    counts = audit_counts(store, ["auditor_id", "queue"], filters=filters).dropna(
        subset=["auditor_id"])
    ratios = auditor_finding_ratios(counts, band=band, credible=credible, min_n=min_n)
    extra = counts.groupby("auditor_id")[["n_overturned"]].sum().reset_index()
    out = ratios.merge(extra, on="auditor_id", how="left")
    out["overturn_rate"] = out["n_overturned"] / out["n_audits"]
    out["share_of_sample"] = out["n_audits"] / out["n_audits"].sum()
    out.attrs.update(ratios.attrs)
    return out.drop(columns="n_overturned")
