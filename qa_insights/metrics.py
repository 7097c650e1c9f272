"""Quality metrics: one SQL aggregation in the engine, the statistics in pandas.

:func:`audit_counts_query` writes the only SQL of this module: counts per group of any
allowed dimensions (``DIMENSIONS``), with caller values bound as parameters. The same
query feeds :func:`quality_summary` here and the series of :mod:`qa_insights.trends`, and
uses a portable SQL subset (CASE, SUM, COUNT, GROUP BY on repeated expressions,
positional ``?`` parameters) so it also runs on Spark SQL.

:func:`summarise_counts` turns those counts into rates with their proper denominators:

* accuracy ``1 - errors / audits`` and error rate, with Wilson intervals;
* over-enforcement share ``FP / audits the moderator actioned``;
* under-enforcement rate ``FN / audits that truly violate``;
* wrong-policy rate ``WP / audits both actioned and truly violating``;
* critical-error rate ``critical errors / audits``, with a Wilson interval;
* severity-weighted error rate ``sum(w[severity] of each error) / audits`` and the quality
  score ``1 - weighted error rate / max(w)`` (1 = no errors, 0 = every audit a critical
  error); weights default to :data:`qa_insights.contract.SEVERITY_WEIGHTS`;
* dispute rate ``disputed findings / findings`` (findings: audits where the auditor
  disagreed with the moderator, before disputes) and overturn rate
  ``overturned / disputed findings``.

The truth of an audit is the auditor's label unless a dispute overturned the audit, in
which case the moderator's label stands (an overturned audit is not an error).

Examples
--------
>>> sql, params = audit_counts_query(["month", "site"], {"queue": "spam"})
>>> params
['spam']
>>> "WHERE queue = ?" in sql
True
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .contract import NO_VIOLATION, SEVERITY_WEIGHTS
from .proportions import wilson_interval

if TYPE_CHECKING:
    from .store import Store

__all__ = [
    "COUNT_COLUMNS",
    "DIMENSIONS",
    "TENURE_BANDS",
    "audit_counts",
    "audit_counts_query",
    "check_dimensions",
    "quality_summary",
    "summarise_counts",
    "where_clause",
    "wilson_interval",
]

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


def check_dimensions(names: Iterable[str], allowed: Mapping[str, str] = DIMENSIONS) -> list[str]:
    """Return ``names`` as a list after checking each against the allow-list.

    Parameters
    ----------
    names : iterable of str
        Dimension names (a single string is one name).
    allowed : mapping
        Allowed name -> SQL expression.

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
            raise ValueError(f"unknown dimension {name!r}; allowed: {shown}")
    if len(set(names)) != len(names):
        raise ValueError(f"dimension repeated in {names}")
    return names


def where_clause(filters: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """``WHERE`` clause (with a leading space, or empty) and its parameters.

    Names are checked against :data:`DIMENSIONS`; a value is matched with ``= ?``, a list
    with ``IN (?, ...)``; None means "no filter". For ``month``, ``site`` and ``queue`` the
    expression is the bare column name, so the clause also applies to table ``volumes``.

    Examples
    --------
    >>> where_clause({"month": "2026-10", "site": ["a", "b"], "queue": None})
    (' WHERE month = ? AND site IN (?, ?)', ['2026-10', 'a', 'b'])
    """
    check_dimensions([k for k, v in filters.items() if v is not None])
    clauses, params = [], []
    for name, value in filters.items():
        if value is None:
            continue
        expr = DIMENSIONS[name]
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


#: Former private name, imported by :mod:`qa_insights.rca` and :mod:`qa_insights.drivers`.
_where = where_clause


def audit_counts_query(by: Sequence[str] | str, filters: Mapping[str, Any] | None = None,
                       *, order: bool = True) -> tuple[str, list[Any]]:
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
    by = check_dimensions(by)
    where, params = where_clause(filters or {})
    dims = [f"{DIMENSIONS[d]} AS {d}" for d in by]
    counts = ["COUNT(*) AS n_audits"] + [f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS {name}"
                                         for name, cond in _CONDITIONS.items()]
    sql = f"SELECT {', '.join(dims + counts)} FROM audits{where}"
    if by:
        sql += f" GROUP BY {', '.join(DIMENSIONS[d] for d in by)}"
    if by and order:
        sql += f" ORDER BY {', '.join(by)}"
    return sql, params


def audit_counts(store: Store, by: Sequence[str] | str = (), **filters: Any) -> pd.DataFrame:
    """Run :func:`audit_counts_query` on the store: one row per group with the counts.

    Parameters
    ----------
    store : Store
        Open store (table ``audits``).
    by : sequence of str or str
        Grouping dimensions (see :data:`DIMENSIONS`).
    **filters
        Scope, e.g. ``month="2026-10"`` or ``site=["a", "b"]``.

    Returns
    -------
    DataFrame
        Columns ``by + COUNT_COLUMNS`` (integers); groups without audits are absent. Without
        ``by``, a single row (zeros when nothing matches).

    Examples
    --------
    >>> audit_counts(store, ["month"], site="bpo_alpha_manila")       # doctest: +SKIP
    """
    by = check_dimensions(by)
    sql, params = audit_counts_query(by, filters)
    frame = store.query(sql, params)
    counts = list(COUNT_COLUMNS)
    frame[counts] = frame[counts].fillna(0).astype("int64")
    return frame


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
    by = check_dimensions(by)
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


def quality_summary(store: Store, by: Sequence[str] | str = (), *, min_n: int = 30,
                    confidence: float = 0.95, weights: Mapping[str, float] | None = None,
                    unrated_severity: str = "major", **filters: Any) -> pd.DataFrame:
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
    **filters
        Scope, e.g. ``month="2026-10"``, ``site=["a", "b"]`` (bound as SQL parameters).

    Returns
    -------
    DataFrame
        One row per group, sorted by ``by``.

    Raises
    ------
    ValueError
        Unknown dimension in ``by`` or in a filter name.

    Examples
    --------
    >>> quality_summary(store, ["site"], month="2026-10")          # doctest: +SKIP
    """
    by = check_dimensions(by)
    return summarise_counts(audit_counts(store, by, **filters), by, min_n=min_n,
                            confidence=confidence, weights=weights,
                            unrated_severity=unrated_severity)
