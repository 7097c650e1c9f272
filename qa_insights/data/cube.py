"""The counts cube: audit counts pre-aggregated at ingest, so a report's counts queries
read thousands of rows instead of millions.

Counts are additive: the counts of any group of :data:`CUBE_DIMENSIONS` are the sums of
the cube's finer groups, exactly. ``qa-insights ingest`` writes the cube of each month
next to its rows (:func:`cube_select`); a store opened from it answers
:func:`~qa_insights.data.queries.audit_counts` from the cube when every dimension the
query groups or filters by is in the cube (the ``sites`` table's attributes, such as
``vendor``, are joined onto the cube by site as they are onto the audits), and from the
audits otherwise (moderators, auditors, weeks, custom audit columns).

Examples
--------
>>> cube = CountsCube("audit_cube", frozenset(CUBE_DIMENSIONS))
>>> cube.answers(["month", "site"], {"queue": "spam"}), cube.answers(["moderator_id"], None)
(True, False)
>>> sql, params = cube.query(["site"], {"month": "2026-10"})
>>> params, "sum(n_errors)" in sql
(['2026-10'], True)
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qa_insights.data.queries import (
    COUNT_COLUMNS,
    DIMENSIONS,
    Filters,
    audit_counts_query,
    where_clause,
)
from qa_insights.data.sql import quote_ident

__all__ = ["CUBE_DIMENSIONS", "CountsCube", "cube_select"]

#: The audits' dimensions the cube keeps: few values each, so the cube stays small (about
#: 240k rows for 13 months of the generated data, against 13M audits).
CUBE_DIMENSIONS: tuple[str, ...] = ("month", "site", "site_type", "queue", "market",
                                    "tenure_band", "error_reason", "severity")


def cube_select(table: str = "audits") -> str:
    """SQL aggregating the clean audits of ``table`` to the cube: one row per group of
    :data:`CUBE_DIMENSIONS` with every count column.

    Examples
    --------
    >>> "GROUP BY month, site" in cube_select()
    True
    """
    sql, params = audit_counts_query(CUBE_DIMENSIONS, order=False)
    assert not params
    return sql.replace(" FROM audits", f" FROM {table}", 1)


@dataclass(frozen=True)
class CountsCube:
    """A store's counts cube: the view holding it and the dimensions it can answer.

    Attributes
    ----------
    view : str
        View (or table) with one column per dimension and the count columns.
    dimensions : frozenset of str
        The dimensions it holds (:data:`CUBE_DIMENSIONS` and the joined site attributes).
    """

    view: str
    dimensions: frozenset[str]

    def answers(self, by: Sequence[str], filters: Filters | None) -> bool:
        """Whether every dimension grouped or filtered by is in the cube (anything else,
        such as filters that are not a mapping, is left to the query over the audits)."""
        if filters is not None and not isinstance(filters, Mapping):
            return False
        used = {*by, *(k for k, v in (filters or {}).items() if v is not None)}
        return used <= self.dimensions

    def query(self, by: Sequence[str], filters: Filters | None) -> tuple[str, list[Any]]:
        """The SQL and parameters of :func:`~qa_insights.data.queries.audit_counts_query`
        over the cube: the same columns, groups and order, from the cube's sums."""
        columns: Mapping[str, str] = {d: quote_ident(d) for d in self.dimensions}
        where, params = where_clause(filters, columns)
        dims = [quote_ident(d) for d in by]
        sums = [f"CAST(coalesce(sum({c}), 0) AS BIGINT) AS {c}" for c in COUNT_COLUMNS]
        sql = f"SELECT {', '.join([*dims, *sums])} FROM {self.view}{where}"
        if by:
            sql += f" GROUP BY {', '.join(dims)} ORDER BY {', '.join(dims)}"
        return sql, params


assert set(CUBE_DIMENSIONS) <= set(DIMENSIONS)
