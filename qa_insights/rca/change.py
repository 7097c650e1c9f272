"""Root cause analysis from the store: why did quality move?

* :func:`explain_change`: the change of the error rate between two months split into mix
  (audit volume moved between segments) and rate (segments got better or worse) effects
  by additive LMDI-I (:func:`qa_insights.stats.lmdi.lmdi`), over any dimensions.
* :func:`reason_pareto` / :func:`pareto`: Pareto of error reasons with cumulative shares;
  :func:`reason_mix_change` / :func:`reason_mix`: change in the reason mix with a test.

Tests of difference between segments (site x error type, pairwise rates, handle time by
site) are in :mod:`qa_insights.rca.comparisons`; drivers in :mod:`qa_insights.rca.drivers`.

Counting happens in DuckDB (:func:`qa_insights.data.queries.audit_counts`); dimension names are checked against :data:`qa_insights.data.queries.DIMENSIONS` and
every value from a caller is a bound parameter. The statistics are the pure functions of
:mod:`qa_insights.stats.lmdi` and :mod:`qa_insights.stats.differences`.

Examples
--------
>>> previous_month("2026-01"), comparison_month("2026-10", "same_month_last_year")
('2025-12', '2025-10')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qa_insights.data.months import check_month, is_month, previous_month, shift_month
from qa_insights.data.queries import Filters, audit_counts, check_dimensions, store_dimensions
from qa_insights.stats.differences import adjust_p_values, independence_test
from qa_insights.stats.lmdi import lmdi
from qa_insights.stats.proportions import compare_proportions

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = [
    "MISSING_REASON",
    "comparison_month",
    "explain_change",
    "pareto",
    "reason_counts",
    "reason_mix",
    "reason_mix_change",
    "reason_pareto",
    "segment_counts",
]

#: Label of errors without an ``error_reason`` in Pareto and reason-mix tables.
MISSING_REASON = "(not recorded)"

def comparison_month(month: str, compare_to: str) -> str:
    """The month to compare ``month`` with.

    Parameters
    ----------
    month : str
        'YYYY-MM'.
    compare_to : str
        ``"previous_month"``, ``"same_month_last_year"`` or a month 'YYYY-MM'.

    Returns
    -------
    str
        The comparison month.

    Examples
    --------
    >>> comparison_month("2026-10", "2026-04")
    '2026-04'
    """
    check_month(month)
    if compare_to == "previous_month":
        return previous_month(month)
    if compare_to == "same_month_last_year":
        return shift_month(month, -12)
    if isinstance(compare_to, str) and is_month(compare_to):
        if compare_to == month:
            raise ValueError(f"compare_to: {compare_to} is the month itself")
        return compare_to
    raise ValueError("compare_to: expected 'previous_month', 'same_month_last_year' or a "
                     f"month 'YYYY-MM', got {compare_to!r}")


def segment_counts(store: Store, month: str, by: Sequence[str] | str, *,
                   filters: Filters | None = None) -> pd.DataFrame:
    """Audits and errors per segment in one month: ``by`` + ``n_audits``, ``n_errors``.

    Examples
    --------
    >>> segment_counts(store, "2026-10", ["site", "queue"])        # doctest: +SKIP
    """
    filters = dict(filters or {})
    if "month" in filters:
        raise ValueError("give the month as the month argument, not as a filter")
    by = check_dimensions(by, store_dimensions(store))
    counts = audit_counts(store, by, filters={"month": check_month(month), **filters})
    return counts[[*by, "n_audits", "n_errors"]]


def explain_change(store: Store, month: str, by: Sequence[str] | str = ("site",),
                   compare_to: str = "previous_month", *, scale: float = 100.0,
                   filters: Filters | None = None) -> pd.DataFrame:
    """Why did the error rate move? Mix and rate effects per segment, from the store.

    Parameters
    ----------
    store : Store
        Open store.
    month : str
        The month to explain ('YYYY-MM').
    by : sequence of str or str
        Segment dimensions (keys of :data:`qa_insights.data.queries.DIMENSIONS`), e.g.
        ``"site"``, ``["site", "queue"]``, ``["market"]``.
    compare_to : str
        ``"previous_month"``, ``"same_month_last_year"`` or a month 'YYYY-MM'.
    scale : float
        100 gives the effects in percentage points (pts).
    filters : mapping, optional
        Scope: dimension -> value or list of values, bound as SQL parameters
        (e.g. ``{"month": "2026-10"}``); names are checked against the data's dimensions.

    Returns
    -------
    DataFrame
        The frame of :func:`qa_insights.stats.lmdi.lmdi`: the ``by`` columns, ``mix_effect``,
        ``rate_effect``, ``total_effect`` (pts), sorted by absolute total effect, then the
        counts, shares and rates of both months. ``explain_change(store, m, ["site",
        "queue"])`` is the ``error_rate_drivers`` table. ``attrs["overall"]`` holds the
        overall rates and effects plus ``month``, ``compare_month`` and ``filters``.

    Raises
    ------
    ValueError
        A bad month, ``compare_to`` or dimension, or a month without audits in scope.

    Examples
    --------
    >>> explain_change(store, "2026-10", ["site", "queue"]).head()  # doctest: +SKIP
    """
    by = check_dimensions(by, store_dimensions(store))
    base = comparison_month(month, compare_to)
    frames = {}
    for name, m in (("compare_to", base), ("month", month)):
        frames[name] = segment_counts(store, m, by, filters=filters)
        if frames[name]["n_audits"].sum() == 0:
            raise ValueError(f"no audits in {m}" + (f" for {filters}" if filters else "")
                             + f" ({name})")
    out = lmdi(frames["compare_to"], frames["month"], by, scale=scale)
    out.attrs["overall"].update(month=month, compare_month=base, filters=dict(filters or {}))
    return out


def reason_counts(store: Store, by: Sequence[str] | str = (), *,
                  filters: Filters | None = None) -> pd.DataFrame:
    """Errors per error reason (and per ``by`` segment): ``by`` + ``error_reason``,
    ``n_errors``. Errors without a reason are counted under :data:`MISSING_REASON`."""
    by = check_dimensions(by, store_dimensions(store))
    if "error_reason" in by:
        raise ValueError("error_reason is the Pareto category; do not list it in by")
    counts = audit_counts(store, [*by, "error_reason"], filters=filters)
    counts = counts.loc[counts["n_errors"] > 0, [*by, "error_reason", "n_errors"]]
    counts["error_reason"] = counts["error_reason"].fillna(MISSING_REASON)
    return counts.groupby([*by, "error_reason"], as_index=False, sort=True)[["n_errors"]].sum()


def pareto(counts: pd.DataFrame, category: str = "error_reason",
           by: Sequence[str] | str = (), *, value: str = "n_errors",
           vital_share: float = 0.8) -> pd.DataFrame:
    """Pareto table: categories by count, with share and cumulative share (per segment).

    Parameters
    ----------
    counts : DataFrame
        ``by`` columns, ``category`` and ``value`` (one row per segment and category).
    category : str
        The category column (e.g. error reason).
    by : sequence of str or str
        Segment columns; shares are within each segment.
    value : str
        Count column.
    vital_share : float
        Cumulative share that defines the "vital few".

    Returns
    -------
    DataFrame
        ``by``, ``category``, ``value``, ``rank`` (1 = largest), ``share``,
        ``cumulative_share`` and ``vital_few`` (the categories up to and including the one
        where the cumulative share first reaches ``vital_share``), sorted by segment and
        rank; ties are broken by category name.

    Examples
    --------
    >>> c = pd.DataFrame({"error_reason": ["a", "b", "c"], "n_errors": [10, 60, 30]})
    >>> pareto(c)
      error_reason  n_errors  rank  share  cumulative_share  vital_few
    0            b        60     1    0.6               0.6       True
    1            c        30     2    0.3               0.9       True
    2            a        10     3    0.1               1.0      False
    """
    by = [by] if isinstance(by, str) else list(by)
    out = counts[[*by, category, value]].sort_values(
        [*by, value, category], ascending=[True] * len(by) + [False, True], kind="stable")
    total: pd.Series | float
    rank: pd.Series | np.ndarray
    if by:
        grouped = out.groupby(by, sort=False)[value]
        total, rank, cum = grouped.transform("sum"), grouped.cumcount(), grouped.cumsum()
    else:
        total, rank, cum = out[value].sum(), np.arange(len(out)), out[value].cumsum()
    out["rank"] = rank + 1
    out["share"] = out[value] / total
    out["cumulative_share"] = cum / total
    before = out["cumulative_share"] - out["share"]
    out["vital_few"] = before < vital_share - 1e-12
    return out.reset_index(drop=True)


def reason_pareto(store: Store, by: Sequence[str] | str = (), *, vital_share: float = 0.8,
                  filters: Filters | None = None) -> pd.DataFrame:
    """Pareto of error reasons from the store, overall or per ``by`` segment.

    Examples
    --------
    >>> reason_pareto(store, filters={"month": "2026-10"})                      # doctest: +SKIP
    """
    by = check_dimensions(by, store_dimensions(store))
    return pareto(reason_counts(store, by, filters=filters), "error_reason", by,
                  vital_share=vital_share)


def reason_mix(before: pd.DataFrame, after: pd.DataFrame, *, alpha: float = 0.05,
               scale: float = 100.0) -> pd.DataFrame:
    """Change in the error-reason mix between two periods, with a test of homogeneity.

    Parameters
    ----------
    before, after : DataFrame
        ``error_reason`` and ``n_errors`` columns (as from :func:`reason_counts`).
    alpha : float
        Significance level.
    scale : float
        Multiplier of ``share_change`` (100: percentage points).

    Returns
    -------
    DataFrame
        One row per reason, sorted by absolute ``share_change``: ``error_reason``,
        ``n_before``, ``n_after``, ``share_before``, ``share_after``, ``share_change``,
        ``adjusted_residual`` (Haberman's adjusted standardized residual of the later
        period), ``p_value`` (two-sided p of that residual: the pooled two-proportion z
        test of the reason's share, after vs before, which equals it; Fisher's exact test
        of the reason-vs-rest 2 x 2 table when sparse), ``p_adjusted`` (Holm over the
        reasons) and ``significant_reason`` (``p_adjusted < alpha``). ``attrs["test"]`` is
        the :class:`~qa_insights.stats.differences.HypothesisTest` of the reasons x periods
        table (chi-square, exact when sparse) as a dict.

    Examples
    --------
    >>> b = pd.DataFrame({"error_reason": ["fatigue", "policy_misread"], "n_errors": [50, 50]})
    >>> a = pd.DataFrame({"error_reason": ["fatigue", "policy_misread"], "n_errors": [80, 20]})
    >>> m = reason_mix(b, a)
    >>> m[["error_reason", "share_change"]]
         error_reason  share_change
    0         fatigue          30.0
    1  policy_misread         -30.0
    >>> m.attrs["test"]["significant"]
    True
    """
    t = pd.merge(before[["error_reason", "n_errors"]], after[["error_reason", "n_errors"]],
                 on="error_reason", how="outer", suffixes=("_before", "_after"))
    t = t.rename(columns={"n_errors_before": "n_before", "n_errors_after": "n_after"})
    t[["n_before", "n_after"]] = t[["n_before", "n_after"]].fillna(0).astype("int64")
    totals = t[["n_before", "n_after"]].sum()
    if (totals == 0).any():
        raise ValueError("both periods need at least one error")
    t["share_before"] = t["n_before"] / totals["n_before"]
    t["share_after"] = t["n_after"] / totals["n_after"]
    t["share_change"] = (t["share_after"] - t["share_before"]) * scale
    n = totals.sum()
    row = t["n_before"] + t["n_after"]
    expected = row * totals["n_after"] / n
    denom = np.sqrt(expected * (1 - row / n) * (1 - totals["n_after"] / n))
    t["adjusted_residual"] = (t["n_after"] - expected) / denom.where(denom > 0)
    t["p_value"] = [compare_proportions(int(a), int(totals["n_after"]), int(b),
                                        int(totals["n_before"])).p_value
                    for a, b in zip(t["n_after"], t["n_before"])]
    t["p_adjusted"] = adjust_p_values(t["p_value"].to_numpy(dtype=float), "holm")
    t["significant_reason"] = t["p_adjusted"] < alpha
    t = t.iloc[np.argsort(-t["share_change"].abs().to_numpy(), kind="stable")]
    t = t.reset_index(drop=True)
    t.attrs["test"] = independence_test(t[["n_before", "n_after"]].to_numpy(),
                                        alpha=alpha).as_dict()
    return t


def reason_mix_change(store: Store, month: str, compare_to: str = "previous_month", *,
                      alpha: float = 0.05, filters: Filters | None = None) -> pd.DataFrame:
    """:func:`reason_mix` of ``month`` against its comparison month, from the store.

    ``attrs`` also holds ``month`` and ``compare_month``.

    Examples
    --------
    >>> reason_mix_change(store, "2026-10", filters={"queue": "spam"})          # doctest: +SKIP
    """
    filters = dict(filters or {})
    if "month" in filters:
        raise ValueError("give the month as the month argument, not as a filter")
    base = comparison_month(month, compare_to)
    out = reason_mix(reason_counts(store, filters={"month": base, **filters}),
                     reason_counts(store, filters={"month": month, **filters}),
                     alpha=alpha)
    out.attrs.update(month=month, compare_month=base)
    return out
