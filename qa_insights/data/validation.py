"""Row-level validation of a contract table, in DuckDB SQL.

One pass over the source builds ``stage_<table>``: every row with its contract columns
converted to their types, the derived columns, and ``_reason`` (NULL for a good row, the
first failed check otherwise). Exact duplicates are then marked ``_duplicate`` and rows
sharing a key with different content get a conflict reason. The clean table is a view of
the good, non-duplicate rows; quarantined rows keep their original text.

Invariant: rows read = rows loaded + rows quarantined + exact duplicates collapsed (+ rows
outside a month window). "Read" is counted from the source, not from the stage (see
:attr:`qa_insights.data.sources.Source.rows`), and :func:`validate_table` raises when the
counts disagree, so no row can be lost between the files and the report unnoticed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb

from qa_insights.data.contract import NO_VIOLATION, RATE_METRICS, Column, Table
from qa_insights.data.errors import DataError
from qa_insights.data.month_choice import sparse_month_notes
from qa_insights.data.months import MONTH_PATTERN
from qa_insights.data.sources import Source
from qa_insights.data.sql import quote_ident, scalar, sql_str

__all__ = ["TableReport", "validate_table", "create_empty_table", "create_quarantine_table",
           "stage_month"]

_DUCK_TYPES = {"string": "VARCHAR", "month": "VARCHAR", "timestamp": "TIMESTAMP",
               "date": "DATE", "integer": "BIGINT", "number": "DOUBLE"}
_TYPE_WORDS = {"timestamp": "an ISO 8601 timestamp", "date": "a date YYYY-MM-DD",
               "month": "a month YYYY-MM", "integer": "a whole number", "number": "a number"}
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
            "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "DECIMAL")
_INTEGER = _NUMERIC[:9]


@dataclass
class TableReport:
    """Validation counts of one table:
    ``read == loaded + quarantined_total + duplicates + outside_window``.

    ``read`` is the number of data rows in ``files`` (the files opened; with a month window
    and hive partitions, only the window's); ``outside_window`` the rows of those files
    whose month is outside the window (0 without a window). ``notes`` are sentences for
    the reader of ``validate`` about rows that loaded but deserve a look (files lacking
    columns, ignored hidden folders, implausible values).
    """

    table: str
    files: list[str]
    read: int = 0
    loaded: int = 0
    duplicates: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    outside_window: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def present(self) -> bool:
        """Whether the data folder holds this table."""
        return bool(self.files)

    @property
    def quarantined_total(self) -> int:
        """Rows quarantined for any reason."""
        return sum(self.quarantined.values())


def _text_expr(col: Column, source_type: str | None) -> str:
    """First layer: the source value, with text trimmed and blanks as NULL (``x_<name>``)."""
    if source_type is None:
        return "CAST(NULL AS VARCHAR)"
    raw = quote_ident(col.name)
    return f"NULLIF(trim({raw}), '')" if source_type == "VARCHAR" else raw


def _typed_expr(col: Column, source_type: str | None) -> str:
    """Second layer: ``x_<name>`` converted to the contract type (``t_<name>``), NULL when
    unparseable. Integers are parsed as DOUBLE here (checked whole, cast in the clean view);
    each source value is parsed once."""
    x = f"x_{col.name}"
    if source_type is None:
        return f"CAST(NULL AS {_STAGE_TYPES[col.type]})"
    is_text = source_type == "VARCHAR"
    if col.type == "string":
        text = x if is_text else f"CAST({x} AS VARCHAR)"
        return f"lower({text})" if col.allowed else text
    if col.type == "timestamp":
        if source_type.startswith("TIMESTAMP"):
            return f"CAST({x} AS TIMESTAMP)"  # WITH TIME ZONE: the session zone is UTC
        return f"CAST(TRY_CAST({x} AS TIMESTAMPTZ) AS TIMESTAMP)"
    if col.type == "date":
        return f"TRY_CAST({x} AS DATE)"
    if col.type == "month":
        text = x if is_text else f"CAST({x} AS VARCHAR)"
        return f"CASE WHEN regexp_full_match({text}, '{MONTH_PATTERN}') THEN {text} END"
    if col.type in ("integer", "number"):
        if is_text:  # a plain decimal number: no digit separators, hex or words
            return f"CASE WHEN regexp_full_match({x}, '{_NUMBER_PATTERN}') THEN TRY_CAST({x} AS DOUBLE) END"
        if not _is_numeric_type(source_type):  # e.g. a BOOLEAN Parquet column
            return "CAST(NULL AS DOUBLE)"
        return f"TRY_CAST({x} AS DOUBLE)"
    raise ValueError(f"unknown column type {col.type!r}")


#: A number as text: optional sign, digits with an optional decimal point, optional exponent
#: (``1_000``, ``0x10`` or ``1,5`` are refused, though an engine may read them).
_NUMBER_PATTERN = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"

#: The UTC offset at the end of a timestamp's text: hours (group 1) and minutes (group 2).
_OFFSET_PATTERN = r"\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*[+-](\d{2}):?(\d{2})$"


def _is_numeric_type(source_type: str) -> bool:
    """Whether a source column type holds numbers (``DECIMAL(18,3)`` included)."""
    return source_type.split("(")[0] in _NUMERIC


#: Types of the typed stage columns (integers are checked and cast in the clean view).
_STAGE_TYPES = {**_DUCK_TYPES, "integer": "DOUBLE"}


def _row_checks(table: Table, types: dict[str, str],
                sites: str | None = None) -> list[tuple[str, str]]:
    """``(condition, reason)`` pairs in priority order; columns ``t_<name>`` are typed;
    with ``sites``, ``s_site_type`` is the site's type in the sites table."""
    checks: list[tuple[str, str]] = []
    for col in table.columns:
        source_type = types.get(col.name)
        typed, blank = f"t_{col.name}", f"x_{col.name} IS NULL"
        if col.required:
            checks.append((blank, f"{col.name}: missing required value"))
        if source_type is None:
            continue
        if col.type in _TYPE_WORDS:
            bad = f"{typed} IS NULL"
            if col.type == "number":
                bad += f" OR NOT isfinite({typed})"
            if col.type == "integer":
                bad += f" OR {typed} <> floor({typed}) OR NOT isfinite({typed})"
            wrong_type = (col.type in ("integer", "number") and source_type != "VARCHAR"
                          and not _is_numeric_type(source_type))
            checks.append((f"NOT ({blank}) AND ({bad})",
                           f"{col.name}: expected {_TYPE_WORDS[col.type]}"
                           + (f" (the column's type is {source_type})" if wrong_type else "")))
        if col.type == "timestamp" and source_type == "VARCHAR":
            hours, minutes = (f"TRY_CAST(regexp_extract(x_{col.name}, '{_OFFSET_PATTERN}', {g}) "
                              "AS INTEGER)" for g in (1, 2))
            checks.append((f"{hours} > 14 OR {minutes} > 59",
                           f"{col.name}: expected a UTC offset between -14:00 and +14:00"))
        if col.type == "timestamp":
            checks.append((f"{typed} < TIMESTAMP '2000-01-01' OR {typed} >= TIMESTAMP "
                           "'2100-01-01'", f"{col.name}: expected a time between 2000 and 2099"))
        if col.allowed:
            allowed = ", ".join(sql_str(a) for a in col.allowed)
            checks.append((f"{typed} NOT IN ({allowed})",
                           f"{col.name}: expected one of {', '.join(col.allowed)}"))
        if col.min_value is not None:
            checks.append((f"{typed} < {col.min_value}",
                           f"{col.name}: expected a value >= {col.min_value:g}"))
        if col.max_value is not None:
            checks.append((f"{typed} > {col.max_value}",
                           (f"{col.name}: expected a value <= {col.max_value:g} (larger is "
                            "implausible)")))
    if table.name == "audits":
        agree = "t_moderator_decision = t_auditor_decision"
        checks.append((f"{agree} AND t_dispute_status = 'overturned'",
                       "dispute_status: overturned on an audit where moderator and auditor "
                       "agree"))
        checks.append((f"{agree} AND (t_error_reason IS NOT NULL OR t_severity IS NOT NULL)",
                       "error_reason/severity: set on an audit where moderator and auditor "
                       "agree"))
        if sites is not None:
            checks.append(("x_site_type IS NULL AND s_site_type IS NULL",
                           "site_type: missing required value (in the audits and in the "
                           "sites table)"))
            checks.append(("t_site_type <> s_site_type",
                           "site_type: differs from the site's site_type in the sites table"))
    if table.name == "targets":
        rate = (f"(t_metric IN ({', '.join(sql_str(m) for m in RATE_METRICS)}) "
                "OR t_metric LIKE '%\\_rate' ESCAPE '\\')")
        checks.append((f"{rate} AND t_target > 1",
                       ("target: a rate above 1; rates are fractions (a percentage such as "
                        "95.5 is written 0.955)")))
        checks.append((f"{rate} AND t_target < 0", "target: a rate below 0"))
    checks += _operations_checks(table)
    if table.name in ("targets", "budgets", "events", "savings"):
        levels = ("site, queue or market" if table.name in ("targets", "events")
                  else "site, queue or vendor")
        checks.append(("t_scope = 'org' AND t_scope_value IS NOT NULL",
                       "scope_value: expected empty for scope 'org'"))
        checks.append(("t_scope <> 'org' AND t_scope_value IS NULL",
                       f"scope_value: expected a value for scope {levels}"))
    return checks


def _operations_checks(table: Table) -> list[tuple[str, str]]:
    """Consistency rules of the operations tables and columns (projects, rate cards, SLA)."""
    rules = {
        "volumes": [("t_items_within_sla > t_items_due",
                     "items_within_sla: more than items_due")],
        "projects": [("t_end_date < t_start_date", "end_date: before start_date")],
        "rate_cards": [("t_valid_to < t_valid_from", "valid_to: before valid_from")],
    }
    return rules.get(table.name, [])


def _derived_columns(table: Table) -> list[tuple[str, str, str]]:
    """(name, type, SQL on typed columns) of the columns derived once at load time."""
    if table.name != "audits":
        return []
    nv = sql_str(NO_VIOLATION)
    is_error = ("(t_moderator_decision <> t_auditor_decision "
                "AND coalesce(t_dispute_status, 'none') <> 'overturned')")
    error_type = (f"CASE WHEN NOT {is_error} THEN NULL "
                  f"WHEN t_moderator_decision <> {nv} AND t_auditor_decision = {nv} "
                  "THEN 'false_positive' "
                  f"WHEN t_moderator_decision = {nv} AND t_auditor_decision <> {nv} "
                  "THEN 'false_negative' ELSE 'wrong_policy' END")
    return [("month", "VARCHAR", "strftime(t_audited_at, '%Y-%m')"),
            ("is_error", "BOOLEAN", is_error),
            ("error_type", "VARCHAR", error_type)]


def create_empty_table(con: duckdb.DuckDBPyConnection, table: Table) -> TableReport:
    """Register an empty clean table and quarantine for an optional table that is absent."""
    cols = [f"{c.name} {_DUCK_TYPES[c.type]}" for c in table.columns]
    cols += [f"{n} {t}" for n, t, _ in _derived_columns(table)]
    con.execute(f"CREATE TABLE {table.name} ({', '.join(cols)})")
    create_quarantine_table(con, table)
    return TableReport(table.name, [])


def create_quarantine_table(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """An empty ``quarantine_<table>``: file, row, every contract column as text, the raw
    line of a malformed CSV line, and the reason."""
    con.execute(f"CREATE TABLE quarantine_{table.name} (_file VARCHAR, _row BIGINT, "
                + ", ".join(f"{c.name} VARCHAR" for c in table.columns)
                + ", raw_line VARCHAR, reason VARCHAR)")


_DUPLICATE = "__duplicate__"
_OUTSIDE = "__outside_window__"


def _mark_duplicates(con: duckdb.DuckDBPyConnection, table: Table, stage: str) -> None:
    """Collapse exact duplicates (all contract columns equal) and quarantine every row of a
    key that appears with different content."""
    key = [f"t_{k}" for k in table.key]
    dupkeys = f"dupkeys_{table.name}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {dupkeys} AS SELECT {', '.join(key)} "
                f"FROM {stage} WHERE _reason IS NULL GROUP BY ALL HAVING count(*) > 1")
    if not scalar(con, f"SELECT count(*) FROM {dupkeys}"):
        con.execute(f"DROP TABLE {dupkeys}")
        return
    match = " AND ".join(f"d.{k} IS NOT DISTINCT FROM s.{k}" for k in key)
    content = ", ".join(f"s.t_{c}" for c in table.names)
    con.execute(f"CREATE OR REPLACE TEMP TABLE dups_{table.name} AS SELECT s._file, s._row, "
                f"count(DISTINCT hash({content})) OVER (PARTITION BY "
                f"{', '.join('s.' + k for k in key)}) > 1 AS conflict, "
                f"row_number() OVER (PARTITION BY {', '.join('s.' + k for k in key)}, "
                f"hash({content}) ORDER BY s._file, s._row) AS copy_no "
                f"FROM {stage} AS s JOIN {dupkeys} AS d ON {match} WHERE s._reason IS NULL")
    reason = sql_str(f"duplicate {', '.join(table.key)} with conflicting content")
    con.execute(f"UPDATE {stage} AS s SET _reason = CASE WHEN d.conflict THEN {reason} "
                f"ELSE {sql_str(_DUPLICATE)} END FROM dups_{table.name} AS d "
                "WHERE s._file = d._file AND s._row = d._row AND (d.conflict OR d.copy_no > 1)")
    con.execute(f"DROP TABLE {dupkeys}; DROP TABLE dups_{table.name}")


def stage_month(table: Table) -> str | None:
    """SQL for the month (YYYY-MM) of a row of ``stage_<table>``, used by a month window
    (and by :mod:`qa_insights.data.ingest`, which stores the counts per month).

    Examples
    --------
    >>> from qa_insights.data.contract import TABLES
    >>> stage_month(TABLES["volumes"])
    't_month'
    """
    return {"audits": "strftime(t_audited_at, '%Y-%m')", "calibration": "strftime(t_session_date, '%Y-%m')",
            "volumes": "t_month", "targets": "t_month",
            "budgets": "t_month", "events": "strftime(t_date, '%Y-%m')"}.get(table.name)


def validate_table(con: duckdb.DuckDBPyConnection, source: Source,
                   months: Sequence[str] | None = None, *,
                   sites: str | None = None) -> TableReport:
    """Validate ``source`` into the clean view ``<table>`` and table ``quarantine_<table>``.

    With ``months``, rows of other months are counted as ``outside_window`` and neither
    loaded nor checked (rows whose month cannot be told are kept, to be quarantined); give
    only the window's files (:func:`qa_insights.data.sources.window_files`) to skip the rest.
    Returns the counts; the caller raises for an empty table. ``sites`` names the clean
    sites table when the data has one: an audit's ``site_type`` may then be empty (the
    site's type comes from there) and, where both give one, must agree with it (the
    stage keeps ``s_site_type`` and ``s_known`` for :mod:`qa_insights.data.dimensions`).

    Raises
    ------
    DataError
        A Parquet file that cannot be decoded, or rows unaccounted for (read differs from
        loaded + quarantined + duplicates + outside the window).
    """
    table = source.table
    stage = f"stage_{table.name}"
    sql, params = _stage_sql(source, months, sites if table.name == "audits" else None)
    try:
        con.execute(f"CREATE TABLE {stage} AS {sql}", params)
    except duckdb.Error as exc:
        raise DataError(f"{source.label}: cannot read as {source.kind.upper()}: "
                        f"{str(exc).strip().splitlines()[0]}") from None
    _mark_duplicates(con, table, stage)

    clean_cols = [f"CAST(t_{c.name} AS BIGINT) AS {c.name}" if c.type == "integer"
                  else f"t_{c.name} AS {c.name}" for c in table.columns]
    clean_cols += [f"d_{n} AS {n}" for n, _, _ in _derived_columns(table)]
    con.execute(f"CREATE VIEW {table.name} AS SELECT {', '.join(clean_cols)} FROM {stage} "
                "WHERE _reason IS NULL")
    _build_quarantine(con, source, stage)

    counts = dict(con.execute(f"SELECT coalesce(_reason, ''), count(*) FROM {stage} "
                              "GROUP BY 1").fetchall())
    report = TableReport(table.name, [str(p) for p in source.files], read=source.rows,
                         notes=list(source.notes))
    report.loaded = counts.pop("", 0)
    report.duplicates = counts.pop(_DUPLICATE, 0)
    report.outside_window = counts.pop(_OUTSIDE, 0)
    report.quarantined = dict(con.execute(
        f"SELECT reason, count(*) FROM quarantine_{table.name} GROUP BY 1").fetchall())
    if table.name == "audits":
        by_month = con.execute(f"SELECT d_month, count(*) FROM {stage} WHERE _reason IS NULL "
                               "GROUP BY 1").fetchall()
        report.notes += sparse_month_notes(dict(by_month), "audited_at")
    accounted = (report.loaded + report.duplicates + report.quarantined_total
                 + report.outside_window)
    if accounted != report.read:
        raise DataError(f"{source.label}: {report.read} data rows read but {accounted} "
                        f"accounted for (loaded {report.loaded}, quarantined "
                        f"{report.quarantined_total}, duplicates {report.duplicates}, "
                        f"outside the month window {report.outside_window})")
    return report


def _stage_sql(source: Source, months: Sequence[str] | None,
               sites: str | None = None) -> tuple[str, list[object]]:
    """The SELECT of ``stage_<table>`` and its parameters: typed and derived columns and
    ``_reason`` (a check's reason, or the outside-window marker) for every source row."""
    table, types = source.table, source.types
    checks = _row_checks(table, types, sites)
    params: list[object] = []
    month = stage_month(table)
    if months is not None and month:
        params = [list(months)]
        checks.insert(0, (f"{month} NOT IN (SELECT unnest(CAST($1 AS VARCHAR[])))",
                          _OUTSIDE))
    reason = "CASE " + " ".join(f"WHEN {c} THEN {sql_str(r)}" for c, r in checks) + " END"
    text = ", ".join(f"{_text_expr(c, types.get(c.name))} AS x_{c.name}"
                     for c in table.columns)
    typed = ", ".join(f"{_typed_expr(c, types.get(c.name))} AS t_{c.name}"
                      for c in table.columns)
    derived = "".join(f", {sql} AS d_{name}" for name, _, sql in _derived_columns(table))
    excluded = ", ".join(f"x_{c}" for c in table.names)
    rows = f"SELECT *, {typed} FROM (SELECT _file, _row, {text} FROM {source.relation})"
    if sites is not None:  # the site's type, for the checks and the clean view
        rows = (f"SELECT q.*, s.site_type AS s_site_type, s.site IS NOT NULL AS s_known "
                f"FROM ({rows}) AS q LEFT JOIN {sites} AS s ON s.site = q.t_site")
    sql = (f"SELECT * EXCLUDE ({excluded}) FROM (SELECT *{derived}, {reason} AS _reason "
           f"FROM ({rows}))")
    return sql, params


def _build_quarantine(con: duckdb.DuckDBPyConnection, source: Source, stage: str) -> None:
    """Quarantined rows with their original text, looked up by file and row."""
    table = source.table
    bad = (f"SELECT _file, _row, _reason FROM {stage} WHERE _reason IS NOT NULL "
           f"AND _reason NOT IN ({sql_str(_DUPLICATE)}, {sql_str(_OUTSIDE)})")
    if not scalar(con, f"SELECT count(*) FROM ({bad})"):
        create_quarantine_table(con, table)
    else:
        _copy_bad_rows(con, source, bad)
    if source.rejects:
        con.execute(f"INSERT INTO quarantine_{table.name} (_file, _row, raw_line, reason) "
                    f"SELECT _file, _row, csv_line, reason FROM {source.rejects}")
    if source.kind == "csv":
        con.execute(f"DROP TABLE {source.relation}; DROP TABLE {source.rejects}")


def _copy_bad_rows(con: duckdb.DuckDBPyConnection, source: Source, bad: str) -> None:
    table = source.table
    raw_cols = ", ".join(
        (f"CAST(src.{quote_ident(c)} AS VARCHAR)" if c in source.types else "NULL::VARCHAR")
        + f" AS {quote_ident(c)}" for c in table.names)
    con.execute(f"CREATE TABLE quarantine_{table.name} AS SELECT src._file, src._row, "
                f"{raw_cols}, NULL::VARCHAR AS raw_line, bad._reason AS reason "
                f"FROM ({bad}) AS bad JOIN {source.relation} AS src "
                "ON src._file = bad._file AND src._row = bad._row")
