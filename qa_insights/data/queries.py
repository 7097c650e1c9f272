"""The shared counts query: audits counted per group of any allowed dimension, in the engine.

:func:`audit_counts_query` writes the SQL (counts per group of any allowed dimensions,
``DIMENSIONS``), with caller values bound as parameters; :func:`audit_counts` runs it on
a store. Every metric, trend, test and report reads these counts. The SQL is a portable
subset (CASE, SUM, COUNT, GROUP BY on repeated expressions, positional ``?`` parameters)
so it also runs on Spark SQL.

The truth of an audit is the auditor's label unless a dispute overturned the audit, in
which case the moderator's label stands (an overturned audit is not an error).

Examples
--------
>>> sql, params = audit_counts_query(["month", "site"], {"queue": "spam"})
>>> params
['spam']
>>> "WHERE queue = ?" in sql
True

Filters are one mapping, ``filters={"month": "2026-10", "site": ["a", "b"]}``, never mixed
with a function's options; a name that is not a dimension of the data is an error listing
the valid ones (:func:`store_dimensions`: the contract's, the ``sites`` table's attributes
such as ``vendor`` and ``region``, and the custom dimensions the data declares).
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from qa_insights.data.contract import NO_VIOLATION
from qa_insights.data.sql import quote_ident

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = [
    "COUNT_COLUMNS",
    "DIMENSIONS",
    "TENURE_BANDS",
    "audit_counts",
    "audit_counts_query",
    "Filters",
    "check_dimensions",
    "store_dimensions",
    "where_clause",
]

#: The ``filters=`` argument of every function that reads audits: dimension -> a value, a
#: list of values, or None (no filter).
Filters = Mapping[str, object]

#: Tenure bands (label, lower bound in days inclusive), in order; missing tenure is "unknown".
TENURE_BANDS: tuple[tuple[str, int], ...] = (
    ("0-3m", 0), ("3-6m", 90), ("6-12m", 180), ("1-2y", 365), ("2y+", 730))


def _tenure_band_sql() -> str:
    whens = " ".join(f"WHEN moderator_tenure_days < {upper} THEN '{label}'"
                     for (label, _), (_, upper) in itertools.pairwise(TENURE_BANDS))
    return (f"CASE WHEN moderator_tenure_days IS NULL THEN 'unknown' {whens} "
            f"ELSE '{TENURE_BANDS[-1][0]}' END")

#: Allowed grouping / filter dimensions -> SQL expression over table ``audits``.
#: ``week`` is the Monday (YYYY-MM-DD) of the audit's ISO week.
DIMENSIONS: dict[str, str] = {
    **{name: name for name in (
        "month", "site", "site_type", "queue", "market", "moderator_id", "auditor_id",
        "moderator_decision", "auditor_decision", "error_reason", "severity",
        "dispute_status", "error_type")},
    "week": "CAST(CAST(date_trunc('week', audited_at) AS DATE) AS VARCHAR)",
    "tenure_band": _tenure_band_sql(),
}

_NV = f"'{NO_VIOLATION}'"

_TRUTH = "CASE WHEN dispute_status = 'overturned' THEN moderator_decision ELSE auditor_decision END"

#: Count columns of :func:`audit_counts` -> SQL condition counted (``n_audits`` counts rows).
_CONDITIONS: dict[str, str] = {
    "n_errors": "is_error",
    "n_false_positive": "error_type = 'false_positive'",
    "n_false_negative": "error_type = 'false_negative'",
    "n_wrong_policy": "error_type = 'wrong_policy'",
    "n_actioned": f"moderator_decision <> {_NV}",
    "n_violating": f"({_TRUTH}) <> {_NV}",
    "n_actioned_violating": f"moderator_decision <> {_NV} AND ({_TRUTH}) <> {_NV}",
    "n_critical": "is_error AND severity = 'critical'",
    "n_major": "is_error AND severity = 'major'",
    "n_minor": "is_error AND severity = 'minor'",
    "n_findings": "moderator_decision <> auditor_decision",
    "n_disputed": "moderator_decision <> auditor_decision "
                  "AND dispute_status IN ('upheld', 'overturned')",
    "n_overturned": "dispute_status = 'overturned'",
}

#: Columns of the counts frame besides the dimensions.
COUNT_COLUMNS: tuple[str, ...] = ("n_audits", *_CONDITIONS)


def store_dimensions(store: object) -> dict[str, str]:
    """The dimensions of ``store``'s audits -> SQL expression: :data:`DIMENSIONS` plus the
    store's own (``store.dimensions``: site attributes from the ``sites`` table, custom
    dimensions), each a column of the clean ``audits`` view.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> dims = store_dimensions(SimpleNamespace(dimensions={"vendor": None}))
    >>> dims["vendor"], "site" in dims
    ('"vendor"', True)
    """
    extra = getattr(store, "dimensions", None) or {}
    return {**DIMENSIONS, **{name: quote_ident(name) for name in extra if name not in DIMENSIONS}}


def check_dimensions(names: Iterable[str], allowed: Mapping[str, str] = DIMENSIONS, *,
                     what: str = "dimension") -> list[str]:
    """Return ``names`` as a list after checking each against the allow-list.

    Parameters
    ----------
    names : iterable of str
        Dimension names (a single string is one name).
    allowed : mapping
        Allowed name -> SQL expression (:func:`store_dimensions` for a store's).
    what : str
        What the names are, for the message (``"dimension"``, ``"filter"``).

    Raises
    ------
    ValueError
        For an unknown or repeated name; the message lists the allowed names.

    Examples
    --------
    >>> check_dimensions("site")
    ['site']
    >>> check_dimensions(["site; DROP TABLE audits"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown dimension 'site; DROP TABLE audits'; allowed: auditor_decision, ...
    """
    names = [names] if isinstance(names, str) else list(names)
    for name in names:
        if name not in allowed:
            shown = ", ".join(sorted(allowed))
            raise ValueError(f"unknown {what} {name!r}; allowed: {shown}")
    if len(set(names)) != len(names):
        raise ValueError(f"dimension repeated in {names}")
    return names


def where_clause(filters: Filters | None,
                 allowed: Mapping[str, str] = DIMENSIONS) -> tuple[str, list[Any]]:
    """``WHERE`` clause (with a leading space, or empty) and its parameters.

    Names are checked against ``allowed`` (:func:`store_dimensions` for a store's); a value
    is matched with ``= ?``, a list with ``IN (?, ...)``; None means "no filter". Values are
    parameters, never SQL text. For ``month``, ``site`` and ``queue`` the expression is the
    bare column name, so the clause also applies to table ``volumes``.

    Examples
    --------
    >>> where_clause({"month": "2026-10", "site": ["a", "b"], "queue": None})
    (' WHERE month = ? AND site IN (?, ?)', ['2026-10', 'a', 'b'])
    >>> where_clause({"vendr": "x"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown filter 'vendr'; allowed: auditor_decision, ...
    """
    filters = filters or {}
    if not isinstance(filters, Mapping):
        raise TypeError(f"filters: expected a mapping of dimension -> value(s), got "
                        f"{type(filters).__name__}")
    check_dimensions([k for k, v in filters.items() if v is not None], allowed, what="filter")
    clauses, params = [], []
    for name, value in filters.items():
        if value is None:
            continue
        expr = allowed[name]
        if isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Index, pd.Series)):
            values = sorted(value) if isinstance(value, (set, frozenset)) else list(value)
            if not values:
                raise ValueError(f"filter {name}: empty list of values")
            clauses.append(f"{expr} IN ({', '.join('?' * len(values))})")
            params.extend(values)
        else:
            clauses.append(f"{expr} = ?")
            params.append(value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

#: Former private name, imported by :mod:`qa_insights.rca.change` and :mod:`qa_insights.rca.drivers`.
_where = where_clause


def audit_counts_query(by: Sequence[str] | str, filters: Filters | None = None,
                       *, order: bool = True,
                       dimensions: Mapping[str, str] = DIMENSIONS) -> tuple[str, list[Any]]:
    """SQL and parameters counting audits, errors and their breakdowns per group.

    Parameters
    ----------
    by : sequence of str or str
        Grouping dimensions, each a key of :data:`DIMENSIONS` (may be empty: one row).
    filters : mapping, optional
        Dimension -> value (equality) or list of values (``IN``); None means no filter.
        Values are returned as parameters, never placed in the SQL text.
    order : bool
        Sort by ``by`` (leave out when the query is a subquery).
    dimensions : mapping
        Allowed dimensions -> SQL (:func:`store_dimensions` for a store's).

    Returns
    -------
    sql : str
        Query over table ``audits`` with positional ``?`` placeholders.
    params : list
        Values for the placeholders, in order.

    Raises
    ------
    ValueError
        Unknown dimension in ``by`` or ``filters``.

    Examples
    --------
    >>> sql, params = audit_counts_query(["site"], {"month": ["2026-09", "2026-10"]})
    >>> params, "month IN (?, ?)" in sql
    (['2026-09', '2026-10'], True)
    """
    by = check_dimensions(by, dimensions)
    where, params = where_clause(filters, dimensions)
    dims = [f"{dimensions[d]} AS {quote_ident(d)}" for d in by]
    # COUNT(*) FILTER, not SUM(CASE ... THEN 1 ELSE 0): DuckDB 2.0 summed the CASE in a
    # one-byte integer on the sites join with a site the sites table lacks (184 became -72).
    counts = ["COUNT(*) AS n_audits"] + [f"COUNT(*) FILTER (WHERE {cond}) AS {name}"
                                         for name, cond in _CONDITIONS.items()]
    sql = f"SELECT {', '.join(dims + counts)} FROM audits{where}"
    if by:
        sql += f" GROUP BY {', '.join(dimensions[d] for d in by)}"
    if by and order:
        sql += f" ORDER BY {', '.join(quote_ident(d) for d in by)}"
    return sql, params


def audit_counts(store: Store, by: Sequence[str] | str = (), *,
                 filters: Filters | None = None) -> pd.DataFrame:
    """Run :func:`audit_counts_query` on the store: one row per group with the counts.

    Parameters
    ----------
    store : Store
        Open store (table ``audits``).
    by : sequence of str or str
        Grouping dimensions (see :func:`store_dimensions`).
    filters : mapping, optional
        Scope, e.g. ``{"month": "2026-10", "site": ["a", "b"]}`` (values bound as parameters).

    Returns
    -------
    DataFrame
        Columns ``by + COUNT_COLUMNS`` (integers); groups without audits are absent. Without
        ``by``, a single row (zeros when nothing matches). An ingested store answers from
        its counts cube when it holds every dimension used (:mod:`qa_insights.data.cube`):
        the same frame, summed from pre-aggregated counts.

    Examples
    --------
    >>> audit_counts(store, ["month"], filters={"site": "bpo_alpha_manila"})  # doctest: +SKIP
    """
    dimensions = store_dimensions(store)
    by = check_dimensions(by, dimensions)
    cube = getattr(store, "counts_cube", None)  # an ingested store's (qa_insights.data.cube)
    if cube is not None and cube.answers(by, filters):
        sql, params = cube.query(by, filters)
    else:
        sql, params = audit_counts_query(by, filters, dimensions=dimensions)
    frame = store.query(sql, params)
    counts = list(COUNT_COLUMNS)
    frame[counts] = frame[counts].fillna(0).astype("int64")
    return frame
