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
>>> from qa_insights.data.opening import open_store
>>> store = open_store("data_samples")                                  # doctest: +SKIP
>>> ctx = resolve_context(store, month="2026-10", scope="site",
...                       scope_value="inhouse_dublin")                 # doctest: +SKIP
>>> ctx.filters                                                         # doctest: +SKIP
{'month': '2026-10', 'site': 'inhouse_dublin'}
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from qa_insights.data.month_choice import default_month
from qa_insights.data.months import MONTH_RE, month_range, shift_month
from qa_insights.data.scalars import as_int
from qa_insights.data.sql import quote_ident

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = [
    "NoDataForReport",
    "ParameterError",
    "ReportContext",
    "SCOPES",
    "default_report_month",
    "known_months",
    "latest_partition_month",
    "months_with_data",
    "report_months",
    "require_data",
    "resolve_context",
    "report_scopes",
    "scope_column",
    "scope_values",
]

#: Scope name -> column of ``audits`` it filters on (``org`` = no filter). ``vendor`` and
#: ``region`` need a sites table (:mod:`qa_insights.data.dimensions`); any other attribute
#: of the data's sites table (``country``) is a scope too, filtering on its own column.
SCOPES: dict[str, str | None] = {"org": None, "site": "site", "queue": "queue",
                                 "market": "market", "vendor": "vendor", "region": "region"}

#: Scopes that only data with a sites table has.
_SITE_SCOPES = ("vendor", "region")


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
        ``org``, ``site``, ``queue``, ``market``, or ``vendor``, ``region`` or another
        attribute of the sites table.
    scope_value : str
        The site / queue / market / vendor ... (empty for ``org``).
    min_n : int
        Segments with fewer audits are greyed out and never ranked.
    analyst_mode : bool
        Raw moderator ids may be shown (never in manager-facing reports).
    months : tuple of str
        Every month known to the data, oldest first.
    n_audits : int
        Audits of the scope in the month.
    personal : tuple of str
        Custom dimensions marked personal: pseudonymised by :meth:`people` like
        ``moderator_id``.
    """

    month: str
    scope: str
    scope_value: str
    min_n: int
    analyst_mode: bool
    months: tuple[str, ...] = field(repr=False)
    n_audits: int
    personal: tuple[str, ...] = ()

    @property
    def scope_filter(self) -> dict[str, Any]:
        """``{column: value}`` of the scope (empty for ``org``), e.g. ``{"site": "x"}``."""
        column = scope_column(self.scope)
        return {} if column is None else {column: self.scope_value}

    @property
    def filters(self) -> dict[str, Any]:
        """Month and scope as keyword filters for :func:`qa_insights.quality.metrics.quality_summary`."""
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
        pseudonyms (:func:`qa_insights.present.privacy.pseudonymise_columns`) and, when it
        has an ``n_audits`` column, the people with fewer than
        :data:`~qa_insights.present.privacy.MIN_AUDITS_PER_PERSON` audits left out (small
        cells; their number is in ``attrs["suppressed"]``), unless ``analyst_mode``. Pass
        every frame with people in it through this before display.

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
        from qa_insights.present.privacy import (
            MIN_AUDITS_PER_PERSON,
            pseudonymise_columns,
            suppress_small,
        )

        if self.analyst_mode:
            return frame
        out = frame
        prefixes = {"moderator_id": "MOD-", "auditor_id": "AUD-",
                    **{c: f"{c.removesuffix('_id')[:3].upper()}-" for c in self.personal}}
        has_people = set(prefixes) & set(out.columns)
        if has_people and "n_audits" in out.columns:
            out = suppress_small(out, "n_audits", MIN_AUDITS_PER_PERSON)
            out.attrs["suppressed"] = len(frame) - len(out)
        for column, prefix in prefixes.items():
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


def default_report_month(store: Store) -> tuple[str, str] | None:
    """The month a report is about when none is given: the latest month with a plausible
    number of audits (:func:`qa_insights.data.month_choice.default_month`), with the
    sentence saying how it was chosen; None when there are no audits.

    Examples
    --------
    >>> default_report_month(store)                                      # doctest: +SKIP
    ('2026-10', 'latest month with audits')
    """
    counts = store.query("SELECT month, count(*) AS n FROM audits WHERE month IS NOT NULL "
                         "GROUP BY month")
    if counts.empty:
        return None
    return default_month(dict(zip(counts["month"], counts["n"].astype(int), strict=True)))


def known_months(store: Store) -> list[str]:
    """Every month from the first to the last one found in audits, calibration or volumes.

    Examples
    --------
    >>> known_months(store)[:2]                                          # doctest: +SKIP
    ['2025-08', '2025-09']
    """
    seen = sorted({m for t in _MONTH_COLUMN for m in _months_of(store, t)})
    return month_range(seen[0], seen[-1]) if seen else []


def scope_values(store: Store, scope: str, month: str | None = None, *,
                 by_volume: bool = False) -> list[str]:
    """Values of a scope found in ``audits`` (in ``month`` when given), sorted by name, or
    by number of audits (most first, ties by name) with ``by_volume``.

    Examples
    --------
    >>> scope_values(store, "site")[:1]                                  # doctest: +SKIP
    ['bpo_alpha_manila']
    """
    _check_scope(scope, store)
    column = scope_column(scope)
    if column is None:
        return []
    sql = f"SELECT {quote_ident(column)}, count(*) AS n FROM audits"
    params: list[str] = []
    if month:
        sql += " WHERE month = ?"
        params.append(month)
    sql += f" GROUP BY 1 ORDER BY {'n DESC, 1' if by_volume else '1'}"
    return store.query(sql, params)[column].tolist()


def scope_column(scope: str) -> str | None:
    """The ``audits`` column a scope filters on: :data:`SCOPES`' entry, else the scope's
    own name (a site attribute); None for ``org``.

    Examples
    --------
    >>> scope_column("org"), scope_column("vendor"), scope_column("country")
    (None, 'vendor', 'country')
    """
    return SCOPES[scope] if scope in SCOPES else scope


def _site_attributes(store: Store | None) -> list[str]:
    """The sites table's attributes joined to ``store``'s audits (none without one)."""
    dims = getattr(store, "dimensions", None) or {}
    return [name for name, dim in dims.items() if dim.source == "sites"]


def report_scopes(store: Store) -> list[str]:
    """The scopes a report on ``store`` can take: ``org``, ``site``, ``queue``, ``market``,
    and with a sites table ``vendor``, ``region`` and its other attributes.

    Examples
    --------
    >>> report_scopes(store)                                             # doctest: +SKIP
    ['org', 'site', 'queue', 'market', 'vendor', 'region', 'country']
    """
    attributes = _site_attributes(store)
    return [s for s in dict.fromkeys([*SCOPES, *attributes])
            if s not in _SITE_SCOPES or s in attributes]


def _check_scope(scope: str, store: Store | None = None) -> None:
    attributes = _site_attributes(store)
    if scope not in SCOPES and scope not in attributes:
        valid = list(dict.fromkeys([*SCOPES, *attributes]))
        raise ParameterError(f"parameter scope: unknown scope {scope!r}; valid: "
                             f"{', '.join(valid)}")
    if scope in _SITE_SCOPES and store is not None and scope not in attributes:
        raise ParameterError(f"parameter scope: {scope!r} needs a sites table giving each "
                             f"site its {scope} (docs/data-contract.md, sites)")


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
        ``org``, ``site``, ``queue``, ``market``, or (with a sites table) ``vendor``,
        ``region`` or another site attribute.
    scope_value : str
        The site / queue / market / vendor ... for a non-``org`` scope; must appear in the
        audits.
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
    _check_scope(scope, store)
    if not isinstance(analyst_mode, bool):
        raise ParameterError(f"parameter analyst_mode: expected True or False, got "
                             f"{analyst_mode!r} ({type(analyst_mode).__name__})")
    months = known_months(store)
    if not isinstance(month, str) or (month and not MONTH_RE.fullmatch(month)):
        raise ParameterError(f"parameter month: {month!r} is not a month YYYY-MM; valid "
                             f"months: {_month_span(months)}")
    if not month:
        chosen = default_report_month(store)
        if chosen is None:
            raise ParameterError("parameter month: the data holds no audits, so there is no "
                                 "latest month; give month=YYYY-MM")
        month = chosen[0]
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
    column = scope_column(scope)
    sql, params = "SELECT count(*) FROM audits WHERE month = ?", [month]
    if column is not None:
        sql += f" AND {quote_ident(column)} = ?"
        params.append(scope_value)
    n_audits = as_int(store.query(sql, params).iloc[0, 0])
    personal = tuple(name for name, dim in (getattr(store, "dimensions", None) or {}).items()
                     if dim.personal)
    return ReportContext(month=month, scope=scope, scope_value=scope_value, min_n=min_n,
                         analyst_mode=analyst_mode, months=tuple(months),
                         n_audits=n_audits, personal=personal)


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
    qa_insights.reports.engine.context.NoDataForReport: No audits in 2026-03 for the whole organisation.
    """
    n = ctx.n_audits if n_rows is None else n_rows
    if n <= 0:
        raise NoDataForReport(f"No {what} in {ctx.month} for the {ctx.scope_label}.")


def latest_partition_month(data_dir: str | os.PathLike[str] | None) -> str | None:
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
                   if p.is_dir() and MONTH_RE.fullmatch(p.name[6:]))
    return found[-1] if found else None


def report_months(month: str = "", back: int = 13,
                  data_dir: str | os.PathLike[str] | None = None) -> list[str] | None:
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
    if not isinstance(month, str) or not MONTH_RE.fullmatch(month):
        return None
    return [shift_month(month, k) for k in range(-(back - 1), 1)]
