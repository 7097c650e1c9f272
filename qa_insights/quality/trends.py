"""Error trends: monthly and weekly series, month-over-month and year-over-year changes.

Series come from the same SQL as :func:`qa_insights.quality.metrics.quality_summary` (counts per
period and group in DuckDB, rates in pandas). A change between two periods is the
difference of two independent proportions, with Newcombe's hybrid-score interval and a
two-proportion test (Fisher's exact test when an expected count is below 5); a change is
called significant only by that test (:func:`qa_insights.stats.proportions.compare_proportions`).
For control charts of these series see :mod:`qa_insights.stats.control_charts`.

Examples
--------
>>> import pandas as pd
>>> s = pd.DataFrame({"month": ["2026-09", "2026-10"], "n_audits": [1000, 1200],
...                   "n_errors": [40, 84]})
>>> ch = period_changes(s)
>>> ch[["month", "previous", "difference", "test", "significant"]].round(3).to_dict("records")[1]
{'month': '2026-10', 'previous': '2026-09', 'difference': 0.03, 'test': 'two-proportion z', 'significant': True}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any

import pandas as pd

from qa_insights.data.queries import Filters, check_dimensions, store_dimensions
from qa_insights.quality.metrics import quality_summary
from qa_insights.stats.proportions import Comparison, compare_proportions

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = [
    "PERIODS",
    "month_over_month",
    "period_changes",
    "rate_series",
    "shift_period",
    "year_over_year",
]

#: Period dimensions a series can be indexed by.
PERIODS: tuple[str, ...] = ("month", "week")


def _check_period(period: str) -> None:
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}; got {period!r}")


def rate_series(store: Store, by: Sequence[str] | str = (), period: str = "month", *,
                min_n: int = 30, confidence: float = 0.95,
                filters: Filters | None = None) -> pd.DataFrame:
    """Quality series per period (``month`` or ``week``) for each group of ``by``.

    Parameters
    ----------
    store : Store
        Open store.
    by : sequence of str or str
        Grouping dimensions (see :data:`qa_insights.data.queries.DIMENSIONS`); empty for the org.
    period : {"month", "week"}
        Period column; ``week`` is the Monday (YYYY-MM-DD) of the ISO week.
    min_n, confidence
        As in :func:`qa_insights.quality.metrics.summarise_counts`.
    filters : mapping, optional
        Scope: dimension -> value or list of values, bound as SQL parameters
        (e.g. ``{"month": "2026-10"}``); names are checked against the data's dimensions.

    Returns
    -------
    DataFrame
        The columns of :func:`qa_insights.quality.metrics.quality_summary` with ``by + [period]``
        first, sorted by group then period. Periods without audits are absent.

    Examples
    --------
    >>> rate_series(store, ["site"], "week", filters={"queue": "spam"})        # doctest: +SKIP
    """
    _check_period(period)
    by = check_dimensions(by, store_dimensions(store))
    if period in by:
        raise ValueError(f"{period!r} is the period; do not also group by it")
    return quality_summary(store, [*by, period], min_n=min_n, confidence=confidence,
                           filters=filters)


def shift_period(values: pd.Series, period: str, lag: int) -> pd.Series:
    """Period labels ``lag`` periods earlier (``YYYY-MM`` months or ``YYYY-MM-DD`` weeks).

    Examples
    --------
    >>> shift_period(pd.Series(["2026-01", "2026-10"]), "month", 12).tolist()
    ['2025-01', '2025-10']
    >>> shift_period(pd.Series(["2026-10-05"]), "week", 1).tolist()
    ['2026-09-28']
    """
    _check_period(period)
    if period == "month":
        return (pd.PeriodIndex(values.astype(str), freq="M") - lag).strftime("%Y-%m").to_series(
            index=values.index)
    days = pd.to_datetime(values.astype(str), format="%Y-%m-%d") - pd.Timedelta(days=7 * lag)
    return days.dt.strftime("%Y-%m-%d")


def period_changes(series: pd.DataFrame, by: Sequence[str] | str = (), period: str = "month",
                   lag: int = 1, *, count: str = "n_errors", total: str = "n_audits",
                   confidence: float = 0.95, alpha: float = 0.05) -> pd.DataFrame:
    """Change of a rate against ``lag`` periods earlier, per group (pure).

    Parameters
    ----------
    series : DataFrame
        One row per group and period with ``count`` and ``total`` columns (e.g. from
        :func:`rate_series`).
    by : sequence of str or str
        Group columns.
    period : {"month", "week"}
        Period column.
    lag : int
        Periods back: 1 = month over month (or week over week), 12 = year over year.
    count, total : str
        Numerator and denominator columns (e.g. ``n_critical`` / ``n_audits``).
    confidence, alpha
        Interval level and test level (see :func:`~qa_insights.stats.proportions.compare_proportions`).

    Returns
    -------
    DataFrame
        One row per row of ``series``: ``by``, ``period``, ``previous``, ``n``, ``x``,
        ``rate``, ``n_previous``, ``x_previous``, ``rate_previous``, ``difference``
        (rate - rate_previous), ``ci_low``, ``ci_high`` (Newcombe), ``p_value``, ``test``,
        ``significant``. Without a previous period the comparison fields are NaN and
        ``significant`` is False.
    """
    _check_period(period)
    by = [by] if isinstance(by, str) else list(by)
    if lag < 1:
        raise ValueError(f"lag must be a positive number of periods; got {lag}")
    cur = series[[*by, period, count, total]].rename(columns={count: "x", total: "n"})
    cur = cur.reset_index(drop=True)
    cur[period] = cur[period].astype(str)
    cur["previous"] = shift_period(cur[period], period, lag)
    prev = cur[[*by, period, "x", "n"]].rename(
        columns={period: "previous", "x": "x_previous", "n": "n_previous"})
    merged = cur.merge(prev, on=[*by, "previous"], how="left", validate="one_to_one")
    merged[["x_previous", "n_previous"]] = merged[["x_previous", "n_previous"]].fillna(0)
    rows = [compare_proportions(x1, n1, x2, n2, confidence, alpha).as_dict()
            for x1, n1, x2, n2 in zip(merged.x, merged.n, merged.x_previous,
                                      merged.n_previous)]
    stats = pd.DataFrame(rows, index=merged.index,
                         columns=[f.name for f in fields(Comparison)])
    out = merged[[*by, period, "previous", "n", "x"]].copy()
    out["rate"] = stats.p1
    out["n_previous"] = merged.n_previous.astype("int64")
    out["x_previous"] = merged.x_previous.astype("int64")
    out["rate_previous"] = stats.p2
    for col in ("difference", "ci_low", "ci_high", "p_value", "test", "significant"):
        out[col] = stats[col]
    out["significant"] = out["significant"].astype(bool)
    out.loc[out.n_previous == 0, "test"] = "none (no previous period)"
    return out


def month_over_month(series: pd.DataFrame, by: Sequence[str] | str = (),
                     **kwargs: Any) -> pd.DataFrame:
    """:func:`period_changes` with ``period="month", lag=1``."""
    return period_changes(series, by, "month", 1, **kwargs)


def year_over_year(series: pd.DataFrame, by: Sequence[str] | str = (),
                   **kwargs: Any) -> pd.DataFrame:
    """:func:`period_changes` with ``period="month", lag=12``."""
    return period_changes(series, by, "month", 12, **kwargs)
