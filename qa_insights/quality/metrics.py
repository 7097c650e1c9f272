"""Quality metrics: rates with their proper denominators and intervals, from the counts of
:func:`qa_insights.data.queries.audit_counts`.

:func:`summarise_counts` turns those counts into rates:

* accuracy ``1 - errors / audits`` and error rate, with Wilson intervals;
* over-enforcement share ``FP / audits the moderator actioned``;
* under-enforcement rate ``FN / audits that truly violate``;
* wrong-policy rate ``WP / audits both actioned and truly violating``;
* critical-error rate ``critical errors / audits``, with a Wilson interval;
* severity-weighted error rate ``sum(w[severity] of each error) / audits`` and the quality
  score ``1 - weighted error rate / max(w)`` (1 = no errors, 0 = every audit a critical
  error); weights default to :data:`qa_insights.data.contract.SEVERITY_WEIGHTS`;
* dispute rate ``disputed findings / findings`` (findings: audits where the auditor
  disagreed with the moderator, before disputes) and overturn rate
  ``overturned / disputed findings``.

Examples
--------
>>> import pandas as pd
>>> counts = pd.DataFrame({"n_audits": [200], **{c: [0] for c in COUNT_COLUMNS[1:]}})
>>> counts.loc[0, "n_errors"] = 10
>>> round(float(summarise_counts(counts)["accuracy"].iloc[0]), 3)
0.95
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qa_insights.data.columns import missing_columns, unavailable_reason
from qa_insights.data.contract import SEVERITY_WEIGHTS
from qa_insights.data.queries import (
    COUNT_COLUMNS,
    Filters,
    audit_counts,
    check_dimensions,
    store_dimensions,
)
from qa_insights.stats.proportions import wilson_interval

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = [
    "UNAVAILABLE_WITHOUT",
    "blank_unavailable",
    "quality_summary",
    "summarise_counts",
]

#: Optional audit column -> the summary columns computed from it: without the column they
#: would read 0 (no critical errors, no disputes), so they are NaN instead.
UNAVAILABLE_WITHOUT: dict[str, tuple[str, ...]] = {
    "severity": ("n_critical", "critical_error_rate", "critical_ci_low", "critical_ci_high",
                 "n_major", "n_minor", "n_unrated_severity", "weighted_error_rate",
                 "quality_score"),
    "dispute_status": ("n_disputed", "n_overturned", "dispute_rate", "overturn_rate"),
}


def summarise_counts(counts: pd.DataFrame, by: Sequence[str] | str = (), *,
                     min_n: int = 30, confidence: float = 0.95,
                     weights: Mapping[str, float] | None = None,
                     unrated_severity: str = "major") -> pd.DataFrame:
    """Rates, intervals and flags from a counts frame (pure; see the module docstring).

    Parameters
    ----------
    counts : DataFrame
        Output of :func:`audit_counts` (columns ``by + COUNT_COLUMNS``).
    by : sequence of str or str
        The dimension columns, kept first.
    min_n : int
        Groups with fewer audits get ``below_min_n = True`` (kept, so a report can grey
        them out).
    confidence : float
        Level of the Wilson intervals.
    weights : mapping, optional
        Severity -> weight (default ``contract.SEVERITY_WEIGHTS``); must hold
        ``critical``, ``major`` and ``minor``.
    unrated_severity : str
        Severity whose weight an error without severity takes.

    Returns
    -------
    DataFrame
        ``by`` + ``n_audits, n_errors, accuracy, error_rate, ci_low, ci_high`` (interval
        of accuracy), ``error_ci_low, error_ci_high``, the FP / FN / wrong-policy counts
        with their denominators and rates, ``n_critical, critical_error_rate,
        critical_ci_low, critical_ci_high``, severity counts, ``weighted_error_rate,
        quality_score``, dispute counts and rates, and ``below_min_n``. Rates whose
        denominator is 0 are NaN.

    Examples
    --------
    >>> c = pd.DataFrame({"site": ["a"], "n_audits": [200], "n_errors": [10],
    ...     "n_false_positive": [4], "n_false_negative": [5], "n_wrong_policy": [1],
    ...     "n_actioned": [80], "n_violating": [90], "n_actioned_violating": [70],
    ...     "n_critical": [2], "n_major": [5], "n_minor": [3], "n_findings": [12],
    ...     "n_disputed": [4], "n_overturned": [2]})
    >>> s = summarise_counts(c, ["site"])
    >>> s[["accuracy", "over_enforcement_share", "under_enforcement_rate"]].round(4).values
    array([[0.95  , 0.05  , 0.0556]])
    >>> round(float(s.quality_score[0]), 4)     # 1 - (2*5 + 5*2 + 3*1) / 200 / 5
    0.977
    """
    by = check_dimensions(by, {c: c for c in counts.columns if c not in COUNT_COLUMNS})
    w = dict(SEVERITY_WEIGHTS if weights is None else weights)
    missing = {"critical", "major", "minor"} - set(w)
    if missing or unrated_severity not in w:
        raise ValueError(f"weights need critical, major, minor and {unrated_severity!r}; "
                         f"got {sorted(w)}")
    c = {name: counts[name].to_numpy(dtype=float) for name in COUNT_COLUMNS}
    n = c["n_audits"]

    def rate(num: np.ndarray, den: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den > 0, num / den, np.nan)

    ints = {name: counts[name].to_numpy(dtype="int64") for name in COUNT_COLUMNS}
    err_low, err_high = wilson_interval(c["n_errors"], n, confidence)
    crit_low, crit_high = wilson_interval(c["n_critical"], n, confidence)
    unrated = c["n_errors"] - c["n_critical"] - c["n_major"] - c["n_minor"]
    weighted = rate(w["critical"] * c["n_critical"] + w["major"] * c["n_major"]
                    + w["minor"] * c["n_minor"] + w[unrated_severity] * unrated, n)
    cols: dict[str, np.ndarray] = {
        "n_audits": ints["n_audits"], "n_errors": ints["n_errors"],
        "accuracy": 1.0 - rate(c["n_errors"], n), "error_rate": rate(c["n_errors"], n),
        "ci_low": 1.0 - err_high, "ci_high": 1.0 - err_low,
        "error_ci_low": err_low, "error_ci_high": err_high}
    for name, num, den in (("over_enforcement_share", "n_false_positive", "n_actioned"),
                           ("under_enforcement_rate", "n_false_negative", "n_violating"),
                           ("wrong_policy_rate", "n_wrong_policy", "n_actioned_violating")):
        cols.update({num: ints[num], den: ints[den], name: rate(c[num], c[den])})
    cols.update({
        "n_critical": ints["n_critical"], "critical_error_rate": rate(c["n_critical"], n),
        "critical_ci_low": crit_low, "critical_ci_high": crit_high,
        "n_major": ints["n_major"], "n_minor": ints["n_minor"],
        "n_unrated_severity": unrated.astype("int64"),
        "weighted_error_rate": weighted,
        "quality_score": 1.0 - weighted / max(w.values()),
        "n_findings": ints["n_findings"], "n_disputed": ints["n_disputed"],
        "n_overturned": ints["n_overturned"],
        "dispute_rate": rate(c["n_disputed"], c["n_findings"]),
        "overturn_rate": rate(c["n_overturned"], c["n_disputed"]),
        "below_min_n": n < min_n})
    stats = pd.DataFrame(cols)
    if not by:
        return stats
    return pd.concat([counts[by].reset_index(drop=True), stats], axis=1)


def blank_unavailable(summary: pd.DataFrame, missing: Iterable[str]) -> pd.DataFrame:
    """Set the columns computed from a ``missing`` source column to NaN, and record why in
    ``summary.attrs["unavailable"]`` (summary column -> "not available: column ...
    missing").

    Examples
    --------
    >>> s = pd.DataFrame({"critical_error_rate": [0.0], "accuracy": [0.9]})
    >>> out = blank_unavailable(s, ["severity"])
    >>> out.critical_error_rate.isna().all(), out.attrs["unavailable"]["critical_error_rate"]
    (np.True_, 'not available: column severity missing')
    """
    out = summary.copy()
    reasons: dict[str, str] = dict(summary.attrs.get("unavailable", {}))
    for column in missing:
        names = [n for n in UNAVAILABLE_WITHOUT.get(column, ()) if n in out.columns]
        for name in names:
            out[name] = np.nan
            reasons[name] = unavailable_reason(column)
    out.attrs["unavailable"] = reasons
    return out


def quality_summary(store: Store, by: Sequence[str] | str = (), *, min_n: int = 30,
                    confidence: float = 0.95, weights: Mapping[str, float] | None = None,
                    unrated_severity: str = "major",
                    filters: Filters | None = None) -> pd.DataFrame:
    """Quality summary by any dimensions, within a scope.

    Counting is done in DuckDB by :func:`audit_counts`; the rates and intervals by
    :func:`summarise_counts` (see there for every column).

    Parameters
    ----------
    store : Store
        Open store.
    by : sequence of str or str
        Dimensions (keys of :data:`DIMENSIONS`, e.g. ``["month", "site"]``); empty for
        one overall row.
    min_n, confidence, weights, unrated_severity
        As in :func:`summarise_counts`.
    filters : mapping, optional
        Scope: dimension -> value or list of values, bound as SQL parameters
        (e.g. ``{"month": "2026-10"}``); names are checked against the data's dimensions.

    Returns
    -------
    DataFrame
        One row per group, sorted by ``by``. Columns computed from an optional column the
        data lacks (``severity``, ``dispute_status``) are NaN, with the reason in
        ``attrs["unavailable"]`` (see :func:`blank_unavailable`).

    Raises
    ------
    ValueError
        Unknown dimension in ``by`` or in a filter name.

    Examples
    --------
    >>> quality_summary(store, ["site"], filters={"month": "2026-10"})          # doctest: +SKIP
    """
    by = check_dimensions(by, store_dimensions(store))
    summary = summarise_counts(audit_counts(store, by, filters=filters), by, min_n=min_n,
                               confidence=confidence, weights=weights,
                               unrated_severity=unrated_severity)
    return blank_unavailable(summary, missing_columns(store, "audits"))
