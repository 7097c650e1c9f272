"""Parameters of a report notebook, checked against the data before anything is computed.

Every report notebook (and the build engine, before it starts a kernel) calls
:func:`resolve_context` with its parameters. Bad input stops with a :class:`ParameterError`
that names the parameter and lists the valid values; a valid month in which the scope has
no data stops with :class:`NoDataForReport`, which the build engine publishes as a short
report that says so (status ``empty``) rather than as a failure.

Months known to the data are every month from the first to the last month that appears in
``audits``, ``calibration`` (``session_date``) or ``volumes``: a gap month inside that range
is valid and gives an "empty" report; a month outside it is an error.

Examples
--------
>>> from qa_insights.store import open_store
>>> store = open_store("data_samples")                                  # doctest: +SKIP
>>> ctx = resolve_context(store, month="2026-10", scope="site",
...                       scope_value="inhouse_dublin")                 # doctest: +SKIP
>>> ctx.filters                                                         # doctest: +SKIP
{'month': '2026-10', 'site': 'inhouse_dublin'}
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .store import Store

__all__ = [
    "BAND_DRIVERS",
    "CONTROL_FLAG_COLUMNS",
    "ERROR_RATE_DRIVER_COLUMNS",
    "SCOPES",
    "NoDataForReport",
    "ParameterError",
    "ReportContext",
    "calibration_agreement",
    "calibration_overview",
    "change_dimension",
    "change_sentences",
    "coaching",
    "control_chart",
    "coverage_tiles",
    "disputes",
    "error_rate_drivers",
    "error_types",
    "explain_month",
    "flag_below_min_n",
    "flagged_raters",
    "headline_numbers",
    "headline_sentences",
    "headline_tiles",
    "in_natural_order",
    "known_months",
    "latest_partition_month",
    "month_calibration",
    "months_with_data",
    "quality_trend",
    "reason_change",
    "report_months",
    "require_data",
    "resolve_context",
    "sample_plan",
    "scope_overview",
    "scope_values",
    "severity_mix",
    "site_control_flags",
]

#: Scope name -> column of ``audits`` it filters on (``org`` = no filter).
SCOPES: dict[str, str | None] = {"org": None, "site": "site", "queue": "queue",
                                 "market": "market"}

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

#: Table -> its month column, or its date column whose months are taken in pandas (plain
#: portable SQL: the same queries run on DuckDB and Spark).
_MONTH_COLUMN = {"audits": "month", "calibration": "session_date", "volumes": "month"}


class ParameterError(ValueError):
    """A report parameter that does not fit the data: the message names the parameter,
    what was given and the valid values."""


class NoDataForReport(Exception):
    """The month is valid but the scope has no data in it; the report says so and stops."""


@dataclass(frozen=True)
class ReportContext:
    """Validated parameters of one report.

    Attributes
    ----------
    month : str
        Reporting month ``YYYY-MM``.
    scope : str
        ``org``, ``site``, ``queue`` or ``market``.
    scope_value : str
        The site / queue / market (empty for ``org``).
    min_n : int
        Segments with fewer audits are greyed out and never ranked.
    analyst_mode : bool
        Raw moderator ids may be shown (never in manager-facing reports).
    months : tuple of str
        Every month known to the data, oldest first.
    n_audits : int
        Audits of the scope in the month.
    """

    month: str
    scope: str
    scope_value: str
    min_n: int
    analyst_mode: bool
    months: tuple[str, ...] = field(repr=False)
    n_audits: int

    @property
    def scope_filter(self) -> dict[str, str]:
        """``{column: value}`` of the scope (empty for ``org``), e.g. ``{"site": "x"}``."""
        column = SCOPES[self.scope]
        return {} if column is None else {column: self.scope_value}

    @property
    def filters(self) -> dict[str, str]:
        """Month and scope as keyword filters for :func:`qa_insights.metrics.quality_summary`."""
        return {"month": self.month, **self.scope_filter}

    def window(self, n_months: int) -> list[str]:
        """The last ``n_months`` known months up to and including ``month``, oldest first.

        Examples
        --------
        >>> ReportContext("2026-03", "org", "", 30, False, ("2026-01", "2026-02", "2026-03",
        ...               "2026-04"), 10).window(2)
        ['2026-02', '2026-03']
        """
        upto = [m for m in self.months if m <= self.month]
        return upto[-n_months:]

    def people(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` ready to show: moderator and auditor id columns replaced by keyed
        pseudonyms (:func:`qa_insights.privacy.pseudonymise_columns`) unless
        ``analyst_mode``. Pass every frame with people in it through this before display.

        Examples
        --------
        >>> import warnings
        >>> ctx = ReportContext("2026-10", "org", "", 30, False, ("2026-10",), 1)
        >>> with warnings.catch_warnings():  # no QA_INSIGHTS_PSEUDONYM_KEY in doctests
        ...     warnings.simplefilter("ignore")
        ...     shown = ctx.people(pd.DataFrame({"moderator_id": ["M1"], "n": [3]}))
        >>> shown.moderator_id[0][:4], int(shown.n[0])
        ('MOD-', 3)
        """
        from .privacy import pseudonymise_columns

        if self.analyst_mode:
            return frame
        out = frame
        for column, prefix in (("moderator_id", "MOD-"), ("auditor_id", "AUD-")):
            if column in out.columns:
                out = pseudonymise_columns(out, [column], prefix=prefix)
        return out

    @property
    def scope_label(self) -> str:
        """``"whole organisation"`` or e.g. ``"site inhouse_dublin"`` (plain text)."""
        return "whole organisation" if self.scope == "org" else f"{self.scope} {self.scope_value}"

    def _repr_html_(self) -> str:
        mode = (" <strong>Analyst mode: raw moderator ids may be shown.</strong>"
                if self.analyst_mode else "")
        return (f'<p class="qa-context">{self.n_audits:,} audits in '
                f"{html.escape(self.month)} for the {html.escape(self.scope_label)}; segments "
                f"with fewer than {self.min_n} audits are greyed out.{mode}</p>")


def _months_of(store: Store, table: str) -> list[str]:
    if not store.table_present(table):
        return []
    column = _MONTH_COLUMN[table]
    rows = store.query(f"SELECT DISTINCT {column} AS m FROM {table} WHERE {column} IS NOT NULL")
    values = rows["m"]
    if column != "month":
        values = pd.to_datetime(values).dt.strftime("%Y-%m")
    return sorted(set(values))


def months_with_data(store: Store, table: str = "audits") -> list[str]:
    """Months that hold at least one row of ``table`` (``audits``, ``calibration`` or
    ``volumes``), oldest first.

    Examples
    --------
    >>> months_with_data(store)[-1]                                      # doctest: +SKIP
    '2026-10'
    """
    if table not in _MONTH_COLUMN:
        raise ValueError(f"table {table!r} has no month; use one of {', '.join(_MONTH_COLUMN)}")
    return _months_of(store, table)


def _next_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:])
    return f"{y + 1:04d}-01" if m == 12 else f"{y:04d}-{m + 1:02d}"


def _month_range(first: str, last: str) -> list[str]:
    out = []
    while first <= last:
        out.append(first)
        first = _next_month(first)
    return out


def known_months(store: Store) -> list[str]:
    """Every month from the first to the last one found in audits, calibration or volumes.

    Examples
    --------
    >>> known_months(store)[:2]                                          # doctest: +SKIP
    ['2025-08', '2025-09']
    """
    seen = sorted({m for t in _MONTH_COLUMN for m in _months_of(store, t)})
    return _month_range(seen[0], seen[-1]) if seen else []


def scope_values(store: Store, scope: str, month: str | None = None, *,
                 by_volume: bool = False) -> list[str]:
    """Values of a scope found in ``audits`` (in ``month`` when given), sorted by name, or
    by number of audits (most first, ties by name) with ``by_volume``.

    Examples
    --------
    >>> scope_values(store, "site")[:1]                                  # doctest: +SKIP
    ['bpo_alpha_manila']
    """
    _check_scope(scope)
    column = SCOPES[scope]
    if column is None:
        return []
    sql = f"SELECT {column}, count(*) AS n FROM audits"
    params: list[str] = []
    if month:
        sql += " WHERE month = ?"
        params.append(month)
    sql += f" GROUP BY 1 ORDER BY {'n DESC, 1' if by_volume else '1'}"
    return store.query(sql, params)[column].tolist()


def _check_scope(scope: str) -> None:
    if scope not in SCOPES:
        raise ParameterError(f"parameter scope: unknown scope {scope!r}; valid: "
                             f"{', '.join(SCOPES)}")


def _list(values: list[str], limit: int = 20) -> str:
    shown = ", ".join(repr(v) for v in values[:limit])
    return shown + (f" ... ({len(values)} in all)" if len(values) > limit else "")


def _month_span(months: Sequence[str]) -> str:
    """The valid months for a message: ``"2025-08 to 2026-10"`` (every month between is
    known, see :func:`known_months`)."""
    return f"{months[0]} to {months[-1]}" if months else "none (no dated rows)"


def resolve_context(store: Store, *, month: str = "", scope: str = "org",
                    scope_value: str = "", min_n: int = 30, analyst_mode: bool = False,
                    busiest_if_empty: bool = False) -> ReportContext:
    """Check a report's parameters against the data and return them resolved.

    Parameters
    ----------
    store : Store
        Open store.
    month : str
        ``YYYY-MM``; empty means the latest month with audits.
    scope : str
        ``org``, ``site``, ``queue`` or ``market``.
    scope_value : str
        The site / queue / market for a non-``org`` scope; must appear in the audits.
    min_n : int
        Minimum audits for a segment to be ranked (at least 1).
    analyst_mode : bool
        Whether raw moderator ids may be shown; a real ``bool`` (a string such as
        ``"false"`` from ``papermill -r`` is refused, since it would be truthy).
    busiest_if_empty : bool
        With a non-``org`` scope and an empty ``scope_value``, take the value with the most
        audits in the month (e.g. the busiest queue) instead of failing.

    Returns
    -------
    ReportContext

    Raises
    ------
    ParameterError
        Bad month format, a month outside the data, an unknown scope, a scope value not in
        the data, a scope value with scope ``org``, ``min_n < 1``, or an ``analyst_mode``
        that is not a bool; the message lists the valid values.

    Examples
    --------
    >>> resolve_context(store, month="1999-01")                          # doctest: +SKIP
    Traceback (most recent call last):
    ...
    ParameterError: parameter month: '1999-01' is not in the data; valid months: 2025-08 ...
    """
    _check_scope(scope)
    if not isinstance(analyst_mode, bool):
        raise ParameterError(f"parameter analyst_mode: expected True or False, got "
                             f"{analyst_mode!r} ({type(analyst_mode).__name__})")
    months = known_months(store)
    if not isinstance(month, str) or (month and not _MONTH.match(month)):
        raise ParameterError(f"parameter month: {month!r} is not a month YYYY-MM; valid "
                             f"months: {_month_span(months)}")
    if not month:
        with_audits = months_with_data(store, "audits")
        if not with_audits:
            raise ParameterError("parameter month: the data holds no audits, so there is no "
                                 "latest month; give month=YYYY-MM")
        month = with_audits[-1]
    if month not in months:
        raise ParameterError(f"parameter month: {month!r} is not in the data; valid months: "
                             f"{_month_span(months)}")
    if scope == "org":
        if scope_value:
            raise ParameterError(f"parameter scope_value: must be empty when scope is 'org' "
                                 f"(got {scope_value!r}); set scope to site, queue or market")
    else:
        if not scope_value and busiest_if_empty:
            ranked = scope_values(store, scope, month, by_volume=True)
            scope_value = ranked[0] if ranked else ""
        valid_values = scope_values(store, scope)
        if scope_value not in valid_values:
            what = "is missing" if not scope_value else f"{scope_value!r} is not in the data"
            raise ParameterError(f"parameter scope_value: {what} for scope {scope!r}; valid "
                                 f"values: {_list(valid_values)}")
    if not isinstance(min_n, int) or isinstance(min_n, bool) or min_n < 1:
        raise ParameterError(f"parameter min_n: expected a whole number >= 1, got {min_n!r}")
    column = SCOPES[scope]
    sql, params = "SELECT count(*) FROM audits WHERE month = ?", [month]
    if column is not None:
        sql += f" AND {column} = ?"
        params.append(scope_value)
    n_audits = int(store.query(sql, params).iloc[0, 0])
    return ReportContext(month=month, scope=scope, scope_value=scope_value, min_n=min_n,
                         analyst_mode=analyst_mode, months=tuple(months),
                         n_audits=n_audits)


def require_data(ctx: ReportContext, n_rows: int | None = None, what: str = "audits") -> None:
    """Stop the report with :class:`NoDataForReport` when the scope has no ``what`` in the
    month (``n_rows`` defaults to ``ctx.n_audits``).

    The message is shown to the reader, so it is plain and complete.

    Examples
    --------
    >>> ctx = ReportContext("2026-03", "org", "", 30, False, ("2026-03",), 0)
    >>> require_data(ctx)
    Traceback (most recent call last):
    ...
    qa_insights.report_context.NoDataForReport: No audits in 2026-03 for the whole organisation.
    """
    n = ctx.n_audits if n_rows is None else n_rows
    if n <= 0:
        raise NoDataForReport(f"No {what} in {ctx.month} for the {ctx.scope_label}.")


def scope_overview(store: Store, ctx: ReportContext) -> pd.DataFrame:
    """How many audits, sites, queues, markets, moderators and auditors the report covers.

    Returns
    -------
    DataFrame
        One row per measure: ``measure``, ``value``.

    Examples
    --------
    >>> scope_overview(store, ctx).set_index("measure").loc["audits", "value"]  # doctest: +SKIP
    2140
    """
    where = " AND ".join(f"{col} = ?" for col in ctx.filters)
    row = store.query(
        "SELECT count(*), count(DISTINCT site), count(DISTINCT queue), count(DISTINCT market), "
        f"count(DISTINCT moderator_id), count(DISTINCT auditor_id) FROM audits WHERE {where}",
        list(ctx.filters.values())).iloc[0]
    names = ["audits", "sites", "queues", "markets", "moderators", "auditors"]
    return pd.DataFrame({"measure": names, "value": [int(v) for v in row]})


def calibration_overview(store: Store, ctx: ReportContext) -> pd.DataFrame:
    """How many calibration sessions, items, raters and ratings fall in the report's month
    and scope (site or queue; calibration has no market).

    Returns
    -------
    DataFrame
        One row per measure: ``measure``, ``value`` (all zero without calibration data).

    Raises
    ------
    ParameterError
        For scope ``market``.

    Examples
    --------
    >>> calibration_overview(store, ctx)                                 # doctest: +SKIP
    """
    if ctx.scope == "market":
        raise ParameterError("parameter scope: calibration data has no market; use org, "
                             "site or queue")
    sql = ("SELECT count(DISTINCT session_id), count(DISTINCT item_id), "
           "count(DISTINCT rater_id), count(*) FROM calibration "
           "WHERE session_date >= CAST(? AS DATE) AND session_date < CAST(? AS DATE)")
    params = [f"{ctx.month}-01", f"{_next_month(ctx.month)}-01"]
    for column, value in ctx.scope_filter.items():
        sql += f" AND {column} = ?"
        params.append(value)
    row = store.query(sql, params).iloc[0]
    names = ["sessions", "items", "raters", "ratings"]
    return pd.DataFrame({"measure": names, "value": [int(v or 0) for v in row]})


#: Columns of :func:`error_drivers` (those of :func:`qa_insights.drivers.logistic_drivers`).
DRIVER_COLUMNS = ("driver", "level", "reference", "odds_ratio", "ci_low", "ci_high", "p_value",
                  "coef", "std_err", "n_audits", "n_errors", "error_rate")


#: Drivers whose levels are ordered bands: listed in their natural order, not alphabetically.
BAND_DRIVERS = ("tenure_band", "handle_time_band")
_BAND_START = re.compile(r"^(<)?(\d+(?:\.\d+)?)")


def _band_rank(driver: str, level: str) -> float:
    """Position of a band in its natural order: tenure by :data:`~qa_insights.metrics.
    TENURE_BANDS`, handle time by its lower edge (``<30s`` first); ``unknown`` last."""
    from .metrics import TENURE_BANDS

    if driver == "tenure_band":
        labels = [label for label, _ in TENURE_BANDS]
        return float(labels.index(level)) if level in labels else np.inf
    match = _BAND_START.match(level)
    if match is None:
        return np.inf
    return -np.inf if match.group(1) else float(match.group(2))


def in_natural_order(drivers: pd.DataFrame) -> pd.DataFrame:
    """Rows of a drivers table with the levels of :data:`BAND_DRIVERS` in their natural
    order (``0-3m`` before ``3-6m`` before ``1-2y``; ``<30s`` before ``30-60s`` before
    ``120s+``; ``unknown`` last); drivers keep their order, other drivers' levels too.

    Examples
    --------
    >>> d = pd.DataFrame({"driver": ["tenure_band"] * 4 + ["handle_time_band"] * 3,
    ...     "level": ["1-2y", "0-3m", "unknown", "3-6m", "120s+", "<30s", "30-60s"]})
    >>> in_natural_order(d).level.tolist()
    ['0-3m', '3-6m', '1-2y', 'unknown', '<30s', '30-60s', '120s+']
    """
    block = drivers["driver"].map({d: i for i, d in enumerate(pd.unique(drivers["driver"]))})
    within = [_band_rank(d, str(level)) if d in BAND_DRIVERS else float(i)
              for i, (d, level) in enumerate(zip(drivers["driver"], drivers["level"]))]
    order = np.lexsort((np.arange(len(drivers)), within, block.to_numpy()))
    out = drivers.iloc[order].reset_index(drop=True)
    out.attrs = dict(drivers.attrs)
    return out


def error_drivers(store: Store, ctx: ReportContext, drivers: list[str]) -> pd.DataFrame:
    """Odds ratios of an error per driver level in the report's month and scope
    (:func:`qa_insights.drivers.logistic_drivers` on :func:`~qa_insights.drivers.driver_cells`,
    levels below ``ctx.min_n`` audits left out), band levels in their natural order
    (:func:`in_natural_order`).

    When no level has enough audits (a small scope), returns an empty frame with the same
    columns instead of failing, so the report can say so; ``attrs["dropped"]`` lists what
    was left out either way.

    Examples
    --------
    >>> error_drivers(store, ctx, ["tenure_band", "site_type"])          # doctest: +SKIP
    """
    from .drivers import driver_cells, logistic_drivers

    cells = driver_cells(store, drivers, **ctx.filters)
    try:
        return in_natural_order(logistic_drivers(cells, drivers, min_audits=ctx.min_n))
    except ValueError as exc:
        if "no cells left" not in str(exc):
            raise
        empty = pd.DataFrame(columns=list(DRIVER_COLUMNS))
        empty.attrs["dropped"] = str(exc)
        return empty


# --------------------------------------------------------------------------- MQR sections
#
# The Monthly Quality Report's sections, one function each: library calls on the report's
# month and scope, returned as small frames the notebook displays and writes as CSV.

def _month_shift(month: str, k: int) -> str:
    y, m = int(month[:4]), int(month[5:])
    index = y * 12 + (m - 1) + k
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def latest_partition_month(data_dir: str | os.PathLike | None) -> str | None:
    """The latest ``audits/month=YYYY-MM`` folder of a hive-partitioned data folder (a
    clean export), found by listing folders only; None for any other layout.

    Examples
    --------
    >>> latest_partition_month("data_samples") is None                  # CSV files
    True
    """
    if data_dir is None or "://" in str(data_dir):
        return None
    folder = Path(data_dir) / "audits"
    if not folder.is_dir():
        return None
    found = sorted(p.name[6:] for p in folder.glob("month=*")
                   if p.is_dir() and _MONTH.match(p.name[6:]))
    return found[-1] if found else None


def report_months(month: str = "", back: int = 13,
                  data_dir: str | os.PathLike | None = None) -> list[str] | None:
    """The month window a report opens the store with (``open_engine(data_dir,
    months=...)``): the ``back`` months up to and including ``month``, oldest first.

    With an empty ``month`` the latest month is taken from hive partition folders when
    ``data_dir`` has them (cheap: no file is read); otherwise None, which opens every month
    and lets :func:`resolve_context` find the latest. A malformed month also gives None,
    so :func:`resolve_context` reports it with the valid values.

    Examples
    --------
    >>> report_months("2026-02", back=3)
    ['2025-12', '2026-01', '2026-02']
    >>> report_months("") is None
    True
    """
    if back < 1:
        raise ValueError(f"back must be at least 1, got {back}")
    if not month:
        month = latest_partition_month(data_dir) or ""
    if not isinstance(month, str) or not _MONTH.match(month):
        return None
    return [_month_shift(month, k) for k in range(-(back - 1), 1)]


def quality_trend(store: Store, ctx: ReportContext, back: int = 13) -> pd.DataFrame:
    """Monthly quality of the scope over the last ``back`` known months up to ``ctx.month``
    (:func:`qa_insights.trends.rate_series`).

    Examples
    --------
    >>> quality_trend(store, ctx).month.iloc[-1] == ctx.month           # doctest: +SKIP
    True
    """
    from .trends import rate_series

    return rate_series(store, month=ctx.window(back), min_n=ctx.min_n, **ctx.scope_filter)


def _target(attainment: pd.DataFrame, ctx: ReportContext, metric: str) -> dict[str, Any]:
    scope = "org" if ctx.scope == "org" else ctx.scope
    rows = attainment[(attainment["metric"] == metric) & (attainment["scope"] == scope)
                      & (attainment["month"] == ctx.month)]
    if scope != "org":
        rows = rows[rows["scope_value"].astype(str) == ctx.scope_value]
    if rows.empty:
        return {"target": None, "status": None}
    row = rows.iloc[0]
    return {"target": float(row["target"]), "status": str(row["status"])}


def headline_numbers(store: Store, ctx: ReportContext, trend: pd.DataFrame) -> dict[str, Any]:
    """The MQR headline: accuracy with its Wilson interval, against the accuracy target
    (:func:`qa_insights.targets.target_attainment`) and against the previous month
    (:func:`qa_insights.trends.month_over_month` on the error rate, turned into accuracy:
    difference, Newcombe interval, p-value, test), and the critical-error rate.

    Returns
    -------
    dict
        ``accuracy, ci_low, ci_high, n_audits, n_errors, critical_error_rate,
        critical_ci_low, critical_ci_high, target, target_status, critical_target,
        critical_target_status, previous_month, previous_accuracy, mom_difference,
        mom_ci_low, mom_ci_high, mom_p_value, mom_test, mom_significant`` (None where there
        is no target or no previous month).

    Examples
    --------
    >>> headline_numbers(store, ctx, quality_trend(store, ctx))["accuracy"]  # doctest: +SKIP
    0.9530848329048843
    """
    from .targets import target_attainment
    from .trends import month_over_month

    row = trend[trend["month"] == ctx.month].iloc[0]
    out: dict[str, Any] = {k: float(row[k]) for k in (
        "accuracy", "ci_low", "ci_high", "critical_error_rate", "critical_ci_low",
        "critical_ci_high")}
    out["n_audits"], out["n_errors"] = int(row["n_audits"]), int(row["n_errors"])
    targets = {"target": None, "status": None}
    critical = {"target": None, "status": None}
    if store.table_present("targets"):
        attainment = target_attainment(store, ctx.month)
        targets = _target(attainment, ctx, "accuracy")
        critical = _target(attainment, ctx, "critical_error_rate")
    out.update(target=targets["target"], target_status=targets["status"],
               critical_target=critical["target"], critical_target_status=critical["status"])
    mom = month_over_month(trend)
    change = mom[mom["month"] == ctx.month].iloc[0]
    has_previous = change["previous"] == _month_shift(ctx.month, -1) and not pd.isna(
        change["p_value"])
    if has_previous:
        out.update(previous_month=str(change["previous"]),
                   previous_accuracy=1 - float(change["rate_previous"]),
                   mom_difference=-float(change["difference"]),
                   mom_ci_low=-float(change["ci_high"]), mom_ci_high=-float(change["ci_low"]),
                   mom_p_value=float(change["p_value"]), mom_test=str(change["test"]),
                   mom_significant=bool(change["significant"]))
    else:
        out.update(previous_month=None, previous_accuracy=None, mom_difference=None,
                   mom_ci_low=None, mom_ci_high=None, mom_p_value=None, mom_test=None,
                   mom_significant=None)
    return out


def _pts(value: float) -> str:
    return f"{100 * value:+.1f}".replace("-", "−") + " pts"


def _p(value: float) -> str:
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def headline_tiles(numbers: dict[str, Any]) -> dict[str, str]:
    """Tile label -> text for :func:`qa_insights.display.headline`.

    Examples
    --------
    >>> t = headline_tiles({"accuracy": .95, "ci_low": .94, "ci_high": .96, "n_audits": 100,
    ...     "n_errors": 5, "critical_error_rate": .01, "critical_ci_low": .002,
    ...     "critical_ci_high": .05, "target": None, "target_status": None,
    ...     "previous_month": None})
    >>> t["Accuracy (95% interval)"]
    '95.0% (94.0–96.0%)'
    """
    from .display import count, interval, pct

    tiles = {"Accuracy (95% interval)": interval(numbers["accuracy"], numbers["ci_low"],
                                                 numbers["ci_high"])}
    if numbers.get("target") is not None:
        tiles["Accuracy target"] = f"{pct(numbers['target'])}: {numbers['target_status']}"
    if numbers.get("previous_month"):
        tiles[f"Change vs {numbers['previous_month']} (95% interval)"] = (
            f"{_pts(numbers['mom_difference'])} ({_pts(numbers['mom_ci_low'])[:-4]} to "
            f"{_pts(numbers['mom_ci_high'])})")
    tiles["Critical-error rate (95% interval)"] = interval(
        numbers["critical_error_rate"], numbers["critical_ci_low"],
        numbers["critical_ci_high"], digits=2)
    tiles["Audits"] = count(numbers["n_audits"])
    tiles["Errors"] = count(numbers["n_errors"])
    return tiles


def headline_sentences(numbers: dict[str, Any], ctx: ReportContext) -> list[str]:
    """The headline in plain words: accuracy with its interval, the target and the change
    from last month ("significant" only when the test says so).

    Examples
    --------
    >>> ctx = ReportContext("2026-10", "org", "", 30, False, ("2026-10",), 100)
    >>> headline_sentences({"accuracy": .95, "ci_low": .94, "ci_high": .96, "n_audits": 100,
    ...     "n_errors": 5, "critical_error_rate": .01, "critical_ci_low": .002,
    ...     "critical_ci_high": .05, "target": .955, "target_status": "at risk",
    ...     "critical_target": None, "previous_month": None}, ctx)[1]
    'Target 95.5%: at risk (the target lies inside the 95% interval).'
    """
    from .display import count, interval, pct

    acc = interval(numbers["accuracy"], numbers["ci_low"], numbers["ci_high"])
    out = [(f"Accuracy in {ctx.month} for the {ctx.scope_label} was {acc} on "
            f"{count(numbers['n_audits'])} audits ({count(numbers['n_errors'])} errors).")]
    meaning = {"met": "the whole 95% interval is on the right side of the target",
               "missed": "the whole 95% interval is on the wrong side of the target",
               "at risk": "the target lies inside the 95% interval"}
    if numbers.get("target") is not None:
        status = numbers["target_status"]
        why = f" ({meaning[status]})" if status in meaning else ""
        out.append(f"Target {pct(numbers['target'])}: {status}{why}.")
    else:
        out.append("No accuracy target is set for this scope and month.")
    if numbers.get("previous_month"):
        diff = numbers["mom_difference"]
        direction = "up" if diff > 0 else "down" if diff < 0 else "unchanged"
        verdict = ("a significant change" if numbers["mom_significant"]
                   else "not a significant change: it is within the month-to-month noise")
        out.append(f"Against {numbers['previous_month']} ({pct(numbers['previous_accuracy'])})"
                   f" accuracy is {direction} {_pts(abs(diff))[1:]} (95% interval "
                   f"{_pts(numbers['mom_ci_low'])[:-4]} to {_pts(numbers['mom_ci_high'])}; "
                   f"{numbers['mom_test']}, {_p(numbers['mom_p_value'])}): {verdict}.")
    else:
        out.append("There are no audits in the previous month to compare with.")
    crit = interval(numbers["critical_error_rate"], numbers["critical_ci_low"],
                    numbers["critical_ci_high"], digits=2)
    sentence = f"Critical-error rate: {crit} of audits"
    if numbers.get("critical_target") is not None:
        sentence += (f" (target at most {pct(numbers['critical_target'], 2)}: "
                     f"{numbers['critical_target_status']})")
    out.append(sentence + ".")
    return out


def control_chart(trend: pd.DataFrame) -> pd.DataFrame:
    """Laney p' chart of the scope's monthly error rate
    (:func:`qa_insights.control_charts.laney_p_chart` on :func:`quality_trend`).

    Examples
    --------
    >>> control_chart(quality_trend(store, ctx)).out_of_control.any()   # doctest: +SKIP
    False
    """
    from .control_charts import laney_p_chart

    return laney_p_chart(trend)


#: Columns of :func:`site_control_flags`.
CONTROL_FLAG_COLUMNS = ("site", "month", "n_audits", "n_errors", "p", "centre", "lcl", "ucl",
                        "beyond_limits", "run_one_side", "trend", "out_of_control", "signal")


def _signal(row: pd.Series) -> str:
    parts = []
    if row["beyond_limits"]:
        parts.append("above the upper limit" if row["p"] > row["ucl"] else
                     "below the lower limit")
    if row["run_one_side"]:
        parts.append("8 or more months on one side of the centre line")
    if row["trend"]:
        parts.append("6 or more months rising or falling in a row")
    return "; ".join(parts) or "in control"


def site_control_flags(store: Store, ctx: ReportContext, back: int = 13) -> pd.DataFrame:
    """Each site's Laney p' chart over the last ``back`` months (its own centre line and
    limits), read at ``ctx.month``: out-of-control sites first, then by error rate.

    Examples
    --------
    >>> site_control_flags(store, ctx).query("out_of_control").site.tolist()  # doctest: +SKIP
    ['bpo_gamma_hyderabad']
    """
    from .control_charts import laney_p_chart
    from .trends import rate_series

    series = rate_series(store, "site", month=ctx.window(back), min_n=ctx.min_n,
                         **ctx.scope_filter)
    if series.empty:
        return pd.DataFrame(columns=list(CONTROL_FLAG_COLUMNS))
    chart = laney_p_chart(series, "site")
    now = chart[chart["month"] == ctx.month]
    now = now.sort_values(["out_of_control", "p"], ascending=[False, False]).copy()
    now["signal"] = [_signal(r) for _, r in now.iterrows()] if len(now) else []
    return now[list(CONTROL_FLAG_COLUMNS)].reset_index(drop=True)


def error_types(summary: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """Error types with their proper denominators and Wilson intervals, from one row of
    :func:`qa_insights.metrics.quality_summary`.

    Returns
    -------
    DataFrame
        ``error_type, meaning, n_errors, denominator, n_denominator, rate, ci_low, ci_high``:
        false positives over audits the moderator actioned, false negatives over audits that
        truly violate, wrong policy over audits both actioned and violating, all errors and
        critical errors over all audits.

    Examples
    --------
    >>> row = pd.Series({"n_false_positive": 4, "n_actioned": 80, "n_false_negative": 5,
    ...     "n_violating": 90, "n_wrong_policy": 1, "n_actioned_violating": 70,
    ...     "n_errors": 10, "n_critical": 2, "n_audits": 200})
    >>> error_types(row).rate.round(4).tolist()
    [0.05, 0.0556, 0.0143, 0.05, 0.01]
    """
    from .proportions import wilson_interval

    row = summary.iloc[0] if isinstance(summary, pd.DataFrame) else summary
    spec = [
        ("false positive", "over-enforcement: actioned, but breaks no policy",
         "n_false_positive", "audits actioned by the moderator", "n_actioned"),
        ("false negative", "under-enforcement: left up, but violates a policy",
         "n_false_negative", "audits that truly violate", "n_violating"),
        ("wrong policy", "actioned under the wrong policy", "n_wrong_policy",
         "audits actioned and truly violating", "n_actioned_violating"),
        ("any error", "all errors", "n_errors", "all audits", "n_audits"),
        ("critical error", "errors of critical severity", "n_critical", "all audits",
         "n_audits"),
    ]
    rows = []
    for name, meaning, x, denominator, n in spec:
        xi, ni = int(row[x]), int(row[n])
        low, high = wilson_interval(xi, ni) if ni else (float("nan"), float("nan"))
        rows.append({"error_type": name, "meaning": meaning, "n_errors": xi,
                     "denominator": denominator, "n_denominator": ni,
                     "rate": xi / ni if ni else float("nan"), "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)


def severity_mix(summary: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """Errors by severity: count, share of errors and rate per audit, each with a Wilson
    interval (errors without a severity are shown as ``unrated``).

    Examples
    --------
    >>> row = pd.Series({"n_critical": 2, "n_major": 5, "n_minor": 3, "n_unrated_severity": 0,
    ...                  "n_errors": 10, "n_audits": 200})
    >>> severity_mix(row).share.tolist()
    [0.2, 0.5, 0.3]
    """
    from .proportions import wilson_interval

    row = summary.iloc[0] if isinstance(summary, pd.DataFrame) else summary
    n_errors, n_audits = int(row["n_errors"]), int(row["n_audits"])
    rows = []
    for severity, column in (("critical", "n_critical"), ("major", "n_major"),
                             ("minor", "n_minor"), ("unrated", "n_unrated_severity")):
        x = int(row.get(column, 0) or 0)
        if severity == "unrated" and x == 0:
            continue
        share_low, share_high = (wilson_interval(x, n_errors) if n_errors
                                 else (float("nan"), float("nan")))
        rate_low, rate_high = wilson_interval(x, n_audits) if n_audits else (float("nan"),) * 2
        rows.append({"severity": severity, "n_errors": x,
                     "share": x / n_errors if n_errors else float("nan"),
                     "share_ci_low": share_low, "share_ci_high": share_high,
                     "rate": x / n_audits if n_audits else float("nan"),
                     "rate_ci_low": rate_low, "rate_ci_high": rate_high})
    return pd.DataFrame(rows)


def reason_change(store: Store, ctx: ReportContext) -> pd.DataFrame | None:
    """The error-reason mix of ``ctx.month`` against the previous month with its test
    (:func:`qa_insights.rca.reason_mix_change`); None when either month has no errors
    with a reason in scope.

    Examples
    --------
    >>> reason_change(store, ctx).attrs["test"]["significant"]           # doctest: +SKIP
    False
    """
    from .rca import reason_mix_change

    try:
        mix = reason_mix_change(store, ctx.month, **ctx.scope_filter)
    except ValueError:
        return None
    if mix.empty or mix["n_before"].sum() == 0 or mix["n_after"].sum() == 0:
        return None
    return mix


def change_dimension(ctx: ReportContext) -> str:
    """The segments the month's change is explained by: sites, or queues within a site.

    Examples
    --------
    >>> change_dimension(ReportContext("2026-10", "site", "x", 30, False, (), 1))
    'queue'
    """
    return "queue" if ctx.scope == "site" else "site"


def explain_month(store: Store, ctx: ReportContext,
                  by: Sequence[str] | None = None) -> pd.DataFrame | None:
    """Mix and rate effects of the error-rate change against the previous month
    (:func:`qa_insights.rca.explain_change` by ``by``, default :func:`change_dimension`;
    effects in pts); None when the previous month has no audits in scope.

    Examples
    --------
    >>> explain_month(store, ctx).site.iloc[0]                          # doctest: +SKIP
    'bpo_beta_cebu'
    """
    from .rca import explain_change

    previous = _month_shift(ctx.month, -1)
    if previous not in ctx.months:
        return None
    try:
        return explain_change(store, ctx.month, by=list(by or [change_dimension(ctx)]),
                              **ctx.scope_filter)
    except ValueError:
        return None


def flag_below_min_n(frame: pd.DataFrame, min_n: int, n_column: str = "n_audits") -> pd.DataFrame:
    """``frame`` with a ``below_min_n`` column: True where ``n_column`` (a missing count is
    0) is below ``min_n``, the rows a report greys out and never ranks.

    Examples
    --------
    >>> flag_below_min_n(pd.DataFrame({"n_audits": [12, 40, None]}), 30).below_min_n.tolist()
    [True, False, True]
    """
    if n_column not in frame.columns:
        raise KeyError(f"flag_below_min_n: no column {n_column!r} "
                       f"(columns: {', '.join(map(str, frame.columns))})")
    return frame.assign(below_min_n=(frame[n_column].fillna(0) < min_n).to_numpy())


#: First columns of the MQR's ``error_rate_drivers`` table, in this order.
ERROR_RATE_DRIVER_COLUMNS = ("site", "queue", "mix_effect", "rate_effect", "total_effect")


def error_rate_drivers(store: Store, ctx: ReportContext) -> pd.DataFrame | None:
    """The ``error_rate_drivers`` table: :func:`explain_month` by site x queue (sorted by
    absolute total effect), columns :data:`ERROR_RATE_DRIVER_COLUMNS` first, then the
    counts, shares and rates of both months and ``below_min_n`` (this month's audits of
    the cell below ``ctx.min_n``); None when the previous month has no audits in scope.

    Examples
    --------
    >>> error_rate_drivers(store, ctx).columns[:5].tolist()            # doctest: +SKIP
    ['site', 'queue', 'mix_effect', 'rate_effect', 'total_effect']
    """
    cells = explain_month(store, ctx, by=["site", "queue"])
    if cells is None:
        return None
    cells = flag_below_min_n(cells, ctx.min_n, "n_audits_after")
    lead = list(ERROR_RATE_DRIVER_COLUMNS)
    return cells[[*lead, *(c for c in cells.columns if c not in lead)]]


def change_sentences(decomposition: pd.DataFrame | None, ctx: ReportContext) -> list[str]:
    """Plain-language findings of :func:`explain_month`
    (:func:`qa_insights.findings.change_findings`).

    Examples
    --------
    >>> change_sentences(None, ReportContext("2026-10", "org", "", 30, False, (), 1))
    ['There are no audits in the previous month to compare with.']
    """
    from .findings import change_findings

    if decomposition is None:
        return ["There are no audits in the previous month to compare with."]
    scope = "Org" if ctx.scope == "org" else ctx.scope_value
    return [f.sentence for f in change_findings(decomposition, scope=scope)]


def month_calibration(store: Store, ctx: ReportContext) -> pd.DataFrame:
    """The calibration ratings of the report's month and scope (site or queue; empty for a
    market scope or without calibration data), long form as
    :func:`qa_insights.calibration.load_calibration` gives them.

    Examples
    --------
    >>> month_calibration(store, ctx).session_id.nunique()              # doctest: +SKIP
    4
    """
    from .calibration import load_calibration

    if ctx.scope == "market" or not store.table_present("calibration"):
        return pd.DataFrame()
    frame = load_calibration(store)
    if frame.empty:
        return frame
    months = pd.to_datetime(frame["session_date"]).dt.strftime("%Y-%m")
    keep = months == ctx.month
    for column, value in ctx.scope_filter.items():
        keep &= frame[column].astype(str) == value
    return frame[keep].reset_index(drop=True)


def calibration_agreement(calibration: pd.DataFrame) -> pd.DataFrame:
    """Percent agreement, Fleiss' kappa, Gwet's AC1, Krippendorff's alpha and
    Brennan-Prediger side by side (:func:`qa_insights.calibration.agreement_table` on the
    items x raters matrix of every role); empty when too few ratings.

    Examples
    --------
    >>> calibration_agreement(month_calibration(store, ctx)).coefficient.tolist()  # doctest: +SKIP
    """
    from .calibration import agreement_table, ratings_matrix

    if calibration.empty:
        return pd.DataFrame()
    try:
        return agreement_table(ratings_matrix(calibration))
    except ValueError:
        return pd.DataFrame()


def flagged_raters(calibration: pd.DataFrame, ctx: ReportContext) -> pd.DataFrame:
    """Raters outside the accuracy / leniency band against the expert
    (:func:`qa_insights.calibration.rater_accuracy`), ids pseudonymised (``RATER-``) and
    raters with fewer than :data:`qa_insights.privacy.MIN_CALIBRATION_ITEMS` items left out,
    unless analyst mode.

    Examples
    --------
    >>> flagged_raters(month_calibration(store, ctx), ctx).rater_id.str[:6].unique()  # doctest: +SKIP
    array(['RATER-'], dtype=object)
    """
    from .calibration import rater_accuracy
    from .privacy import MIN_CALIBRATION_ITEMS, pseudonymise_columns, suppress_small

    if calibration.empty:
        return pd.DataFrame()
    try:
        raters = rater_accuracy(calibration, on_conflict="drop")
    except ValueError:
        return pd.DataFrame()
    flagged = suppress_small(raters[raters["outside_band"]], "n_items", MIN_CALIBRATION_ITEMS,
                             ctx.analyst_mode)
    if not ctx.analyst_mode:
        flagged = pseudonymise_columns(flagged, ["rater_id"], prefix="RATER-")
    return flagged


def coaching(store: Store, ctx: ReportContext, n_months: int = 3) -> pd.DataFrame:
    """Moderators ranked for coaching on their shrunk error rate over the last ``n_months``
    months (so each has enough audits), only those with at least ``ctx.min_n`` audits
    (:func:`qa_insights.shrinkage.coaching_list` on
    :func:`~qa_insights.shrinkage.moderator_error_rates`); ids through ``ctx.people``.

    ``attrs["months"]`` holds the months used.

    Examples
    --------
    >>> coaching(store, ctx).query("credibly_above_average").shape[0]   # doctest: +SKIP
    3
    """
    from .shrinkage import coaching_list, moderator_error_rates

    months = ctx.window(n_months)
    rates = moderator_error_rates(store, month=months, min_n=ctx.min_n, **ctx.scope_filter)
    ranked = coaching_list(rates, min_n=ctx.min_n) if len(rates) else rates
    shown = ctx.people(ranked.reset_index(drop=True))
    shown.attrs["months"] = months
    return shown


def disputes(summary: pd.DataFrame) -> pd.DataFrame:
    """Dispute and overturn rates with Wilson intervals from
    :func:`qa_insights.metrics.quality_summary` rows (any ``by`` columns kept first).

    The dispute rate is disputed findings over findings (audits where the auditor
    disagreed with the moderator); the overturn rate is overturned over disputed. An
    overturned audit counts as correct (the moderator's label stands).

    Examples
    --------
    >>> s = pd.DataFrame({"n_findings": [20], "n_disputed": [5], "n_overturned": [2],
    ...                   "n_audits": [200]})
    >>> disputes(s)[["dispute_rate", "overturn_rate"]].values.tolist()
    [[0.25, 0.4]]
    """
    from .proportions import wilson_interval

    by = [c for c in summary.columns if not pd.api.types.is_numeric_dtype(summary[c])
          and not pd.api.types.is_bool_dtype(summary[c])]
    out = summary[[*by, "n_audits", "n_findings", "n_disputed", "n_overturned"]].copy()
    for name, x, n in (("dispute_rate", "n_disputed", "n_findings"),
                       ("overturn_rate", "n_overturned", "n_disputed")):
        xs, ns = out[x].to_numpy(int), out[n].to_numpy(int)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[name] = np.where(ns > 0, xs / np.maximum(ns, 1), np.nan)
        low, high = wilson_interval(xs, ns)
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = low, high
    return out.reset_index(drop=True)


def sample_plan(store: Store, ctx: ReportContext, *, history: int = 3, budget: int | None = None,
                floor: int = 20) -> tuple[pd.DataFrame, dict[str, float]] | None:
    """Audit coverage of the month and next month's suggested allocation.

    The month's site x queue strata (:func:`qa_insights.sampling.stratum_counts`) give the
    volume-weighted org error rate with its interval against the audit-weighted rate
    (:func:`~qa_insights.sampling.stratified_error_rate`); next month's audits (``budget``,
    default this month's) are allocated by :func:`~qa_insights.sampling.neyman_allocation`
    on each stratum's error rate over the last ``history`` months, at least ``floor`` per
    stratum (capped so the floors use at most half the budget).

    Returns
    -------
    (DataFrame, dict) or None
        The strata with ``items_handled, n_audits, n_errors, coverage, expected_error_rate,
        audits`` (suggested) and ``below_min_n`` (this month's audits of the stratum below
        ``ctx.min_n``: too few to judge its rate), and the stratified estimate; None without volumes or for a
        market scope (volumes have no market), or when a stratum with volume has no audits
        (``attrs`` of nothing: the reason is in the report).

    Examples
    --------
    >>> strata, estimate = sample_plan(store, ctx)                     # doctest: +SKIP
    """
    from .sampling import neyman_allocation, stratified_error_rate, stratum_counts

    if ctx.scope == "market" or not store.table_present("volumes"):
        return None
    strata = stratum_counts(store, ctx.month, **ctx.scope_filter)
    strata = strata[strata["items_handled"] > 0].reset_index(drop=True)
    if strata.empty or (strata["n_audits"] == 0).any():
        return None
    estimate = stratified_error_rate(strata)
    past = pd.concat([stratum_counts(store, m, **ctx.scope_filter)
                      for m in ctx.window(history)])
    past = past.groupby(["site", "queue"], as_index=False)[["n_audits", "n_errors"]].sum()
    past["expected_error_rate"] = past["n_errors"] / past["n_audits"].where(
        past["n_audits"] > 0)
    plan = strata.merge(past[["site", "queue", "expected_error_rate"]], on=["site", "queue"],
                        how="left")
    plan["expected_error_rate"] = plan["expected_error_rate"].fillna(
        plan["n_errors"].sum() / plan["n_audits"].sum())
    plan["coverage"] = plan["n_audits"] / plan["items_handled"]
    total = int(plan["n_audits"].sum()) if budget is None else int(budget)
    floor = max(0, min(floor, total // (2 * len(plan))))
    plan = neyman_allocation(plan, total, min_per_stratum=floor)
    plan = flag_below_min_n(plan[["site", "queue", "items_handled", "n_audits", "n_errors",
                                  "coverage", "expected_error_rate", "audits"]], ctx.min_n)
    return plan.sort_values(["site", "queue"]).reset_index(drop=True), estimate


def coverage_tiles(estimate: dict[str, float], strata: pd.DataFrame) -> dict[str, str]:
    """Headline tiles of :func:`sample_plan`: the volume-weighted error rate with its
    interval, the audit-weighted rate, audits and coverage of the volume.

    Examples
    --------
    >>> t = coverage_tiles({"estimate": .05, "ci_low": .04, "ci_high": .06,
    ...     "audit_weighted_rate": .045, "n_audits": 300, "volume": 100000},
    ...     pd.DataFrame({"site": ["a"]}))
    >>> t["Error rate weighted by volume (95% interval)"]
    '5.0% (4.0–6.0%)'
    """
    from .display import count, interval, pct

    return {
        "Error rate weighted by volume (95% interval)": interval(
            estimate["estimate"], estimate["ci_low"], estimate["ci_high"]),
        "Error rate of the audits as sampled": pct(estimate["audit_weighted_rate"]),
        "Audits": count(estimate["n_audits"]),
        "Items handled": count(estimate["volume"]),
        "Share of items audited": pct(estimate["n_audits"] / estimate["volume"], 2),
        "Strata (site x queue)": count(len(strata)),
    }
