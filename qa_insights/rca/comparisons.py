"""Tests of difference between segments, counted in the engine.

* :func:`crosstab` / :func:`association`: chi-square test of independence of two
  dimensions (e.g. site x error type) with Cramer's V, exact when sparse.
* :func:`pairwise_rates`: the error rates of every pair of sites (queues, ...) compared,
  Holm or Benjamini-Hochberg adjusted.
* :func:`group_stats` / :func:`compare_values`: handle time (or tenure) by group with
  one-way ANOVA, Kruskal-Wallis and, for two groups, Welch's t test, from per-group counts,
  means, variances and rank sums computed in SQL (no row leaves the engine).

Dimension names are checked against :data:`qa_insights.data.queries.DIMENSIONS`; every value
from a caller is a bound parameter. The statistics are the pure functions of
:mod:`qa_insights.stats.differences`.

Examples
--------
>>> NUMERIC_VALUES
('handle_time_s', 'moderator_tenure_days')
>>> compare_values(store, "handle_time_s", "site", filters={"month": "2026-10"})  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from qa_insights.data.queries import (
    Filters,
    audit_counts,
    check_dimensions,
    store_dimensions,
    where_clause,
)
from qa_insights.data.sql import quote_ident
from qa_insights.stats.differences import (
    HypothesisTest,
    anova_oneway,
    independence_test,
    kruskal_wallis,
    pairwise_proportions,
    welch_t_test,
)

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = ["NUMERIC_VALUES", "association", "compare_values", "crosstab", "group_stats",
           "pairwise_rates"]

#: Numeric audit columns that :func:`group_stats` may summarise.
NUMERIC_VALUES = ("handle_time_s", "moderator_tenure_days")


def crosstab(store: Store, rows: str, columns: str, *, errors_only: bool = True,
             filters: Filters | None = None) -> pd.DataFrame:
    """Contingency table of two dimensions: errors (or audits) per ``rows`` x ``columns``.

    With ``errors_only`` (default) the cells count errors, which is what a site x
    error-type table needs; otherwise they count audits. Missing values are dropped.

    Examples
    --------
    >>> crosstab(store, "site", "error_type", filters={"month": "2026-10"})     # doctest: +SKIP
    """
    dims = check_dimensions([rows, columns], store_dimensions(store))
    counts = audit_counts(store, dims, filters=filters).dropna(subset=dims)
    value = "n_errors" if errors_only else "n_audits"
    table = counts.pivot_table(index=rows, columns=columns, values=value, aggfunc="sum",
                               fill_value=0)
    table = table.loc[table.sum(axis=1) > 0, table.sum(axis=0) > 0]
    table.columns.name = columns
    return table.astype("int64")


def association(store: Store, rows: str, columns: str, *, errors_only: bool = True,
                alpha: float = 0.05, filters: Filters | None = None) -> HypothesisTest:
    """Test of independence of two dimensions (e.g. site x error type) with Cramer's V.

    See :func:`crosstab` and :func:`qa_insights.stats.differences.independence_test`.

    Examples
    --------
    >>> association(store, "site", "error_type", filters={"month": "2026-10"})  # doctest: +SKIP
    """
    return independence_test(crosstab(store, rows, columns, errors_only=errors_only,
                                      filters=filters), alpha=alpha)


def pairwise_rates(store: Store, group: str = "site", *, method: str = "holm",
                   alpha: float = 0.05, confidence: float | None = None,
                   filters: Filters | None = None) -> pd.DataFrame:
    """Error rates of every pair of groups (sites, queues, ...) compared, adjusted for
    multiple comparisons (see :func:`qa_insights.stats.differences.pairwise_proportions`).

    Examples
    --------
    >>> pairwise_rates(store, "site", filters={"month": "2026-10"})             # doctest: +SKIP
    """
    (group,) = check_dimensions([group], store_dimensions(store))
    counts = audit_counts(store, [group], filters=filters).dropna(subset=[group])
    return pairwise_proportions(counts, group, method=method, alpha=alpha,
                                confidence=confidence)


def group_stats(store: Store, value: str = "handle_time_s", by: str = "site", *,
                filters: Filters | None = None) -> pd.DataFrame:
    """Per-group summary of a numeric audit column, computed in the engine.

    Parameters
    ----------
    store : Store
        Open store.
    value : str
        One of :data:`NUMERIC_VALUES`; rows where it is missing are left out.
    by : str
        Group dimension (key of :data:`qa_insights.data.queries.DIMENSIONS`).
    filters : mapping, optional
        Scope: dimension -> value or list of values, bound as SQL parameters
        (e.g. ``{"month": "2026-10"}``); names are checked against the data's dimensions.

    Returns
    -------
    DataFrame
        ``by``, ``n``, ``mean``, ``var`` (sample variance), ``rank_sum`` (sum of the
        group's average ranks in the pooled sample), sorted by ``by``.
        ``attrs["tie_term"]`` is ``sum(t**3 - t)`` over groups of tied values.

    Examples
    --------
    >>> group_stats(store, "handle_time_s", "site", filters={"month": "2026-10"})  # doctest: +SKIP
    """
    if value not in NUMERIC_VALUES:
        raise ValueError(f"unknown value {value!r}; allowed: {', '.join(NUMERIC_VALUES)}")
    dimensions = store_dimensions(store)
    (by,) = check_dimensions([by], dimensions)
    where, params = where_clause(filters, dimensions)
    cond = f"{value} IS NOT NULL AND {dimensions[by]} IS NOT NULL"
    where = f"{where} AND {cond}" if where else f" WHERE {cond}"
    base = f"SELECT {dimensions[by]} AS g, CAST({value} AS DOUBLE) AS x FROM audits{where}"
    sql = (f"SELECT g AS {quote_ident(by)}, COUNT(*) AS n, AVG(x) AS mean, VAR_SAMP(x) AS var, "
           f"SUM(r + (t - 1) / 2.0) AS rank_sum FROM (SELECT g, x, "
           f"RANK() OVER (ORDER BY x) AS r, COUNT(*) OVER (PARTITION BY x) AS t "
           f"FROM ({base}) AS v) AS ranked GROUP BY g ORDER BY g")
    out = store.query(sql, params)
    tie_sql = f"SELECT SUM(t * t * t - t) FROM (SELECT COUNT(*) AS t FROM ({base}) AS v GROUP BY x) AS c"
    tie = store.query(tie_sql, params).iloc[:, 0].to_numpy(dtype=float)[0]
    out["n"] = out["n"].astype("int64")
    out.attrs["tie_term"] = 0.0 if pd.isna(tie) else float(tie)
    return out


def compare_values(store: Store, value: str = "handle_time_s", by: str = "site", *,
                   alpha: float = 0.05, filters: Filters | None = None) -> pd.DataFrame:
    """Do groups differ in a numeric column (e.g. handle time by site)?

    One-way ANOVA (means) and Kruskal-Wallis (distributions), plus Welch's t test when
    there are exactly two groups, from :func:`group_stats`.

    Returns
    -------
    DataFrame
        One row per test with the fields of
        :class:`~qa_insights.stats.differences.HypothesisTest`.

    Examples
    --------
    >>> compare_values(store, "handle_time_s", "site_type")        # doctest: +SKIP
    """
    s = group_stats(store, value, by, filters=filters)
    results = [anova_oneway(s["n"], s["mean"], s["var"], alpha=alpha),
               kruskal_wallis(s["n"], s["rank_sum"], s.attrs["tie_term"], alpha=alpha)]
    if len(s) == 2 and (s["n"] >= 2).all():
        a, b = s.iloc[0], s.iloc[1]
        results.append(welch_t_test(a["n"], a["mean"], a["var"], b["n"], b["mean"],
                                    b["var"], alpha=alpha))
    return pd.DataFrame([r.as_dict() for r in results])
