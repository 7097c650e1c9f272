"""Open a data folder, validate it against the contract inside DuckDB, register clean tables.

Every table is read by DuckDB (CSV or Parquet, one file or a folder of files), checked row
by row in SQL, and split into a clean table (``audits``, ``calibration``, ``volumes``,
``targets``) and a quarantine table with the original values and a reason. Nothing is
dropped silently: for every table, rows read = rows loaded + rows quarantined + exact
duplicates collapsed.

Examples
--------
>>> from qa_insights.store import open_store
>>> store = open_store("data_samples")                       # doctest: +SKIP
>>> store.con.sql("SELECT month, avg(is_error::INT) FROM audits GROUP BY 1").df()  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from .contract import NO_VIOLATION, TABLES, Column, Table

__all__ = ["DataError", "TableReport", "Validation", "Store", "open_store", "find_table_files"]

#: DuckDB memory cap: large inputs spill to a temporary folder instead of growing the process.
DEFAULT_MEMORY_LIMIT = "1GB"


class DataError(Exception):
    """A problem with an input that stops loading: the message says the file, the column,
    what was expected and what was found."""


@dataclass
class TableReport:
    """Validation counts of one table.

    ``read == loaded + quarantined_total + duplicates`` always holds.
    """

    table: str
    files: list[str]
    read: int = 0
    loaded: int = 0
    duplicates: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)

    @property
    def present(self) -> bool:
        """Whether the data folder holds this table."""
        return bool(self.files)

    @property
    def quarantined_total(self) -> int:
        """Rows quarantined for any reason."""
        return sum(self.quarantined.values())


@dataclass
class Validation:
    """Validation result of a data folder: one :class:`TableReport` per contract table."""

    tables: dict[str, TableReport]

    @property
    def clean(self) -> bool:
        """True when no row was quarantined."""
        return all(t.quarantined_total == 0 for t in self.tables.values())

    def summary(self) -> pd.DataFrame:
        """One row per table and quarantine reason, with read / loaded / duplicate counts.

        Examples
        --------
        >>> v = Validation({"volumes": TableReport("volumes", ["v.csv"], 3, 2, 0, {"x": 1})})
        >>> v.summary()[["table", "read", "loaded", "quarantined"]].to_dict("records")
        [{'table': 'volumes', 'read': 3, 'loaded': 2, 'quarantined': 1}]
        """
        rows = []
        for t in self.tables.values():
            base = {"table": t.table, "present": t.present, "read": t.read,
                    "loaded": t.loaded, "duplicates_collapsed": t.duplicates}
            if not t.quarantined:
                rows.append({**base, "quarantined": 0, "reason": ""})
            for reason, n in sorted(t.quarantined.items()):
                rows.append({**base, "quarantined": n, "reason": reason})
        return pd.DataFrame(rows)


@dataclass
class Store:
    """A validated data folder: one DuckDB connection with clean tables.

    Attributes
    ----------
    con : duckdb.DuckDBPyConnection
        Connection holding tables ``audits``, ``calibration``, ``volumes``, ``targets``
        (empty with the contract columns when the folder lacks an optional table) and
        ``quarantine_<table>``.
    data_dir : Path
        The folder that was opened.
    validation : Validation
        Counts per table and quarantine reason.
    fingerprint : str
        SHA-256 over the input files' relative paths and contents.
    """

    con: duckdb.DuckDBPyConnection
    data_dir: Path
    validation: Validation
    fingerprint: str
    _tmpdir: tempfile.TemporaryDirectory | None = field(default=None, repr=False)

    def table_present(self, table: str) -> bool:
        """Whether the data folder held ``table`` (optional tables may be absent)."""
        return self.validation.tables[table].present

    def quarantine(self, table: str) -> pd.DataFrame:
        """Quarantined rows of ``table``: file, row, the original values and the reason."""
        return self.con.sql(f"SELECT * FROM quarantine_{TABLES[table].name} "
                            "ORDER BY _file, _row").df()

    def write_quarantine(self, out_dir: str | os.PathLike) -> list[Path]:
        """Write one ``<table>.quarantine.csv`` per table that has quarantined rows.

        Returns the paths written. Cells that a spreadsheet would run as a formula are
        prefixed with a quote (see :func:`qa_insights.tables.neutralise_formulas`).
        """
        from .tables import write_csv

        out = Path(out_dir)
        written = []
        for name, report in self.validation.tables.items():
            if report.quarantined_total:
                out.mkdir(parents=True, exist_ok=True)
                path = out / f"{name}.quarantine.csv"
                write_csv(self.quarantine(name), path)
                written.append(path)
        return written

    def close(self) -> None:
        """Close the connection and remove the temporary database."""
        self.con.close()
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------- discovery

_CSV_SUFFIXES = (".csv", ".csv.gz")
_PARQUET_SUFFIXES = (".parquet",)


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(_CSV_SUFFIXES):
        return "csv"
    if name.endswith(_PARQUET_SUFFIXES):
        return "parquet"
    return None


def find_table_files(data_dir: Path, table: str) -> tuple[str | None, list[Path]]:
    """Find the files of ``table`` in ``data_dir``: ``<table>.csv``, ``<table>.parquet``
    or a folder ``<table>/`` of such files (searched recursively, e.g. hive partitions).

    Returns ``(kind, files)`` with kind ``"csv"`` or ``"parquet"``, or ``(None, [])``.

    Raises
    ------
    DataError
        When the table is given in two forms, or its folder mixes CSV and Parquet.
    """
    candidates = [p for p in data_dir.iterdir()
                  if p.is_file() and _kind(p) and p.name.lower().split(".")[0] == table]
    folder = data_dir / table
    if folder.is_dir():
        files = sorted(p for p in folder.rglob("*")
                       if p.is_file() and _kind(p) and not p.name.startswith("."))
        if candidates:
            raise DataError(f"{data_dir}: table '{table}' is given twice "
                            f"({candidates[0].name} and folder {table}/); keep one")
        if not files:
            raise DataError(f"{folder}: folder for table '{table}' holds no .csv or "
                            ".parquet file")
        kinds = {_kind(p) for p in files}
        if len(kinds) > 1:
            raise DataError(f"{folder}: mixes CSV and Parquet files; use one format per table")
        return kinds.pop(), files
    if len(candidates) > 1:
        raise DataError(f"{data_dir}: table '{table}' is given twice "
                        f"({', '.join(sorted(p.name for p in candidates))}); keep one")
    if candidates:
        return _kind(candidates[0]), candidates
    return None, []


def _fingerprint(data_dir: Path, files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path.relative_to(data_dir)).encode())
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------- reading

def _csv_header(path: Path) -> list[str]:
    opener = _open_text_gz if path.name.lower().endswith(".gz") else _open_text
    try:
        with opener(path) as fh:
            return next(csv.reader(fh), [])
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: header row is not UTF-8 text ({exc.reason} at byte "
                        f"{exc.start}); save the file as UTF-8") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read the file ({exc})") from None


def _open_text(path: Path) -> io.TextIOBase:
    return open(path, encoding="utf-8-sig", newline="")


def _open_text_gz(path: Path) -> io.TextIOBase:
    import gzip

    return gzip.open(path, "rt", encoding="utf-8-sig", newline="")


def _check_header(table: Table, path: Path, header: list[str]) -> None:
    if not header or all(not h.strip() for h in header):
        raise DataError(f"{path}: table '{table.name}' is empty: expected a header row with "
                        f"columns {', '.join(c.name for c in table.required_columns)}")
    contract = {c.name for c in table.columns}
    for name in header:
        norm = name.strip().lower()
        if name not in contract and norm in contract:
            raise DataError(f"{path}: column {name!r} does not match the contract name "
                            f"{norm!r} (names are lower case, without spaces)")
    seen = set()
    for name in header:
        if name in seen and name in contract:
            raise DataError(f"{path}: column {name!r} appears twice in the header")
        seen.add(name)
    missing = [c.name for c in table.required_columns if c.name not in header]
    if missing:
        raise DataError(f"{path}: missing required column{'s' if len(missing) > 1 else ''} "
                        f"{', '.join(repr(m) for m in missing)} (found: "
                        f"{', '.join(repr(h) for h in header)})")


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_str(value: str) -> str:
    """A SQL string literal, for paths and names that DuckDB table functions need inline."""
    return "'" + value.replace("'", "''") + "'"


def _stage_csv(con: duckdb.DuckDBPyConnection, table: Table, files: list[Path]) -> list[str]:
    """Load CSV files as all-text columns into ``raw_<table>``; malformed lines go to
    ``rej_<table>``. Returns the contract columns present in every file."""
    present: set[str] | None = None
    selects = []
    con.execute(f"CREATE OR REPLACE TEMP TABLE rej_{table.name} "
                "(_file VARCHAR, _row BIGINT, csv_line VARCHAR, reason VARCHAR)")
    for i, path in enumerate(files):
        header = _csv_header(path)
        _check_header(table, path, header)
        cols = {h: "VARCHAR" for h in header}
        columns_sql = "{" + ", ".join(f"{_sql_str(h)}: 'VARCHAR'" for h in cols) + "}"
        rej, scan = f"rej_scan_{table.name}_{i}", f"rej_scanmeta_{table.name}_{i}"
        src = (f"read_csv({_sql_str(str(path))}, header=true, auto_detect=false, delim=',', "
               f"quote='\"', escape='\"', columns={columns_sql}, strict_mode=true, "
               f"store_rejects=true, rejects_table={_sql_str(rej)}, "
               f"rejects_scan={_sql_str(scan)}, max_line_size=10000000)")
        keep = [h for h in header if h in {c.name for c in table.columns}]
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE raw_{table.name}_{i} AS "
                        f"SELECT {', '.join(_quote_ident(h) for h in keep)}, "
                        f"{_sql_str(str(path))} AS _file, "
                        f"CAST(row_number() OVER () AS BIGINT) AS _row FROM {src}")
            con.execute(f"INSERT INTO rej_{table.name} SELECT {_sql_str(str(path))}, "
                        f"line - 1, any_value(csv_line), "
                        f"'malformed CSV line: ' || string_agg(DISTINCT lower(error_type), ', ') "
                        f"FROM {rej} GROUP BY line")
            _renumber_after_rejects(con, f"raw_{table.name}_{i}", rej)
        except duckdb.Error as exc:
            raise DataError(f"{path}: cannot read as CSV: {_first_line(exc)}") from None
        present = set(keep) if present is None else present & set(keep)
        selects.append(f"SELECT * FROM raw_{table.name}_{i}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE raw_{table.name} AS "
                + " UNION ALL BY NAME ".join(selects))
    for i in range(len(files)):
        con.execute(f"DROP TABLE raw_{table.name}_{i}")
    return [c for c in table.names if c in (present or set())]


def _renumber_after_rejects(con: duckdb.DuckDBPyConnection, raw: str, rej: str) -> None:
    """Give parsed rows their data-row number in the file: the reader numbered them without
    the malformed lines it set aside (row ``s`` follows every rejected row ``q_j`` with
    ``q_j - j < s``)."""
    if not con.execute(f"SELECT count(*) FROM {rej}").fetchone()[0]:
        return
    con.execute(f"UPDATE {raw} SET _row = _row + (SELECT count(*) FROM "
                f"(SELECT line - 1 - row_number() OVER (ORDER BY line) AS before "
                f"FROM (SELECT DISTINCT line FROM {rej})) AS r WHERE r.before < {raw}._row)")


def _stage_parquet(con: duckdb.DuckDBPyConnection, table: Table, files: list[Path]) -> list[str]:
    file_list = "[" + ", ".join(_sql_str(str(p)) for p in files) + "]"
    src = (f"read_parquet({file_list}, filename=true, file_row_number=true, "
           "union_by_name=true, hive_partitioning=true)")
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()
    except duckdb.Error as exc:
        raise DataError(f"{_files_label(files)}: cannot read as Parquet: "
                        f"{_first_line(exc)}") from None
    header = [row[0] for row in described if row[0] not in ("filename", "file_row_number")]
    _check_header(table, files[0] if len(files) == 1 else files[0].parent, header)
    keep = [h for h in header if h in {c.name for c in table.columns}]
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE raw_{table.name} AS SELECT "
                    + ", ".join(f"CAST({_quote_ident(h)} AS VARCHAR) AS {_quote_ident(h)}"
                                if table.column(h).type != "timestamp" else _quote_ident(h)
                                for h in keep)
                    + ", filename AS _file, CAST(file_row_number + 1 AS BIGINT) AS _row "
                    f"FROM {src}")
    except duckdb.Error as exc:
        raise DataError(f"{_files_label(files)}: cannot read as Parquet: "
                        f"{_first_line(exc)}") from None
    con.execute(f"CREATE OR REPLACE TEMP TABLE rej_{table.name} "
                "(_file VARCHAR, _row BIGINT, csv_line VARCHAR, reason VARCHAR)")
    return keep


def _files_label(files: list[Path]) -> str:
    return str(files[0]) if len(files) == 1 else f"{files[0].parent} ({len(files)} files)"


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# --------------------------------------------------------------------------- checking

def _typed_expr(col: Column, present: bool) -> str:
    """SQL expression turning the raw column into its contract type (NULL when unparseable)."""
    if not present:
        return f"CAST(NULL AS {_duck_type(col)})"
    raw = _quote_ident(col.name)
    text = f"NULLIF(trim(CAST({raw} AS VARCHAR)), '')"
    if col.type == "string":
        return f"lower({text})" if col.allowed else text
    if col.type == "timestamp":
        return f"CAST(timezone('UTC', TRY_CAST({text} AS TIMESTAMPTZ)) AS TIMESTAMP)"
    if col.type == "date":
        return f"TRY_CAST({text} AS DATE)"
    if col.type == "month":
        return f"CASE WHEN regexp_full_match({text}, '\\d{{4}}-(0[1-9]|1[0-2])') THEN {text} END"
    if col.type == "integer":
        return (f"CASE WHEN TRY_CAST({text} AS DOUBLE) = floor(TRY_CAST({text} AS DOUBLE)) "
                f"THEN CAST(TRY_CAST({text} AS DOUBLE) AS BIGINT) END")
    if col.type == "number":
        return f"CASE WHEN isfinite(TRY_CAST({text} AS DOUBLE)) THEN TRY_CAST({text} AS DOUBLE) END"
    raise ValueError(col.type)


def _duck_type(col: Column) -> str:
    return {"string": "VARCHAR", "month": "VARCHAR", "timestamp": "TIMESTAMP", "date": "DATE",
            "integer": "BIGINT", "number": "DOUBLE"}[col.type]


_TYPE_WORDS = {"timestamp": "an ISO 8601 timestamp", "date": "a date YYYY-MM-DD",
               "month": "a month YYYY-MM", "integer": "a whole number", "number": "a number"}


def _row_checks(table: Table, present: list[str]) -> list[tuple[str, str]]:
    """(condition on typed columns ``t_<name>`` and raw columns, reason) in priority order."""
    checks: list[tuple[str, str]] = []
    for col in table.columns:
        typed, raw = f"t_{col.name}", _quote_ident(col.name)
        is_present = col.name in present
        blank = (f"NULLIF(trim(CAST({raw} AS VARCHAR)), '') IS NULL" if is_present else "TRUE")
        if col.required:
            checks.append((blank, f"{col.name}: missing required value"))
        if is_present and col.type in _TYPE_WORDS:
            checks.append((f"NOT ({blank}) AND {typed} IS NULL",
                           f"{col.name}: expected {_TYPE_WORDS[col.type]}"))
        if is_present and col.allowed:
            allowed = ", ".join(_sql_str(a) for a in col.allowed)
            checks.append((f"{typed} IS NOT NULL AND {typed} NOT IN ({allowed})",
                           f"{col.name}: expected one of {', '.join(col.allowed)}"))
        if is_present and col.min_value is not None:
            checks.append((f"{typed} < {col.min_value}",
                           f"{col.name}: expected a value >= {col.min_value:g}"))
    if table.name == "audits":
        agree = "t_moderator_decision = t_auditor_decision"
        checks.append((f"{agree} AND t_dispute_status = 'overturned'",
                       "dispute_status: overturned on an audit where moderator and auditor "
                       "agree"))
        checks.append((f"{agree} AND (t_error_reason IS NOT NULL OR t_severity IS NOT NULL)",
                       "error_reason/severity: set on an audit where moderator and auditor "
                       "agree"))
    if table.name == "targets":
        checks.append(("t_scope = 'org' AND t_scope_value IS NOT NULL",
                       "scope_value: expected empty for scope 'org'"))
        checks.append(("t_scope <> 'org' AND t_scope_value IS NULL",
                       "scope_value: expected a value for scope site, queue or market"))
    return checks


def _derived_audit_columns() -> str:
    nv = _sql_str(NO_VIOLATION)
    is_error = ("(moderator_decision <> auditor_decision "
                "AND coalesce(dispute_status, 'none') <> 'overturned')")
    return (f", strftime(audited_at, '%Y-%m') AS month, {is_error} AS is_error, "
            f"CASE WHEN NOT {is_error} THEN NULL "
            f"WHEN moderator_decision <> {nv} AND auditor_decision = {nv} THEN 'false_positive' "
            f"WHEN moderator_decision = {nv} AND auditor_decision <> {nv} THEN 'false_negative' "
            "ELSE 'wrong_policy' END AS error_type")


def _validate_table(con: duckdb.DuckDBPyConnection, table: Table, kind: str | None,
                    files: list[Path], data_dir: Path) -> TableReport:
    report = TableReport(table.name, [str(p.relative_to(data_dir)) for p in files])
    typed_cols = ", ".join(f"{c.name} {_duck_type(c)}" for c in table.columns)
    if kind is None:
        con.execute(f"CREATE TABLE {table.name} ({typed_cols}"
                    + (", month VARCHAR, is_error BOOLEAN, error_type VARCHAR"
                       if table.name == "audits" else "") + ")")
        con.execute(f"CREATE TABLE quarantine_{table.name} (_file VARCHAR, _row BIGINT, "
                    + ", ".join(f"{c.name} VARCHAR" for c in table.columns)
                    + ", raw_line VARCHAR, reason VARCHAR)")
        return report

    present = (_stage_csv if kind == "csv" else _stage_parquet)(con, table, files)
    raw = f"raw_{table.name}"
    checks = _row_checks(table, present)
    reason = ("CASE " + " ".join(f"WHEN {cond} THEN {_sql_str(r)}" for cond, r in checks)
              + " END")
    typed = ", ".join(f"{_typed_expr(c, c.name in present)} AS t_{c.name}"
                      for c in table.columns)
    raw_cols = ", ".join(
        (f"CAST({_quote_ident(c.name)} AS VARCHAR)" if c.name in present else "NULL::VARCHAR")
        + f" AS r_{c.name}" for c in table.columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE stage_{table.name} AS "
                f"SELECT _file, _row, {raw_cols}, typed.*, {reason} AS _reason FROM "
                f"(SELECT *, {typed} FROM {raw}) AS typed")
    # `typed.*` above repeats the raw columns; drop them so names stay unambiguous.
    for c in present:
        con.execute(f"ALTER TABLE stage_{table.name} DROP COLUMN {_quote_ident(c)}")
    con.execute(f"DROP TABLE {raw}")

    stage = f"stage_{table.name}"
    t_cols = [f"t_{c}" for c in table.names]
    key = [f"t_{k}" for k in table.key]
    key_match = " AND ".join(f"d.{k} IS NOT DISTINCT FROM s.{k}" for k in key)
    con.execute(f"CREATE OR REPLACE TEMP TABLE dupkeys_{table.name} AS "
                f"SELECT {', '.join(key)}, min(h) <> max(h) AS conflict FROM "
                f"(SELECT {', '.join(key)}, hash({', '.join(t_cols)}) AS h FROM {stage} "
                f"WHERE _reason IS NULL) GROUP BY ALL HAVING count(*) > 1")
    key_words = ", ".join(table.key)
    con.execute(f"UPDATE {stage} AS s SET _reason = {_sql_str(f'duplicate {key_words} with conflicting content')} "
                f"FROM dupkeys_{table.name} AS d WHERE s._reason IS NULL AND d.conflict "
                f"AND {key_match}")
    select_clean = ", ".join(f"t_{c} AS {c}" for c in table.names)
    derived = _derived_audit_columns() if table.name == "audits" else ""
    con.execute(
        f"CREATE TABLE {table.name} AS SELECT *{derived} FROM ("
        f"SELECT {select_clean} FROM {stage} AS s WHERE _reason IS NULL AND NOT EXISTS "
        f"(SELECT 1 FROM dupkeys_{table.name} AS d WHERE {key_match}) "
        f"UNION ALL "
        f"SELECT {select_clean} FROM (SELECT s.* FROM {stage} AS s "
        f"JOIN dupkeys_{table.name} AS d ON {key_match} WHERE s._reason IS NULL "
        f"AND NOT d.conflict QUALIFY row_number() OVER "
        f"(PARTITION BY {', '.join('s.' + k for k in key)} ORDER BY s._file, s._row) = 1))")
    raw_out = ", ".join(f"r_{c} AS {c}" for c in table.names)
    con.execute(f"CREATE TABLE quarantine_{table.name} AS "
                f"SELECT _file, _row, {raw_out}, NULL::VARCHAR AS raw_line, _reason AS reason "
                f"FROM {stage} "
                f"WHERE _reason IS NOT NULL")
    n_rejected = con.execute(f"SELECT count(*) FROM rej_{table.name}").fetchone()[0]
    if n_rejected:
        con.execute(f"INSERT INTO quarantine_{table.name} (_file, _row, raw_line, reason) "
                    f"SELECT _file, _row, csv_line, reason FROM rej_{table.name}")

    report.read = con.execute(f"SELECT count(*) FROM {stage}").fetchone()[0] + n_rejected
    report.loaded = con.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]
    report.quarantined = dict(con.execute(
        f"SELECT reason, count(*) FROM quarantine_{table.name} GROUP BY 1").fetchall())
    report.duplicates = report.read - report.loaded - report.quarantined_total
    con.execute(f"DROP TABLE {stage}; DROP TABLE dupkeys_{table.name}; "
                f"DROP TABLE rej_{table.name}")
    if report.read == 0:
        raise DataError(f"{_files_label(files)}: table '{table.name}' is empty: expected at "
                        "least one data row after the header")
    return report


def open_store(data_dir: str | os.PathLike, *, memory_limit: str = DEFAULT_MEMORY_LIMIT,
               threads: int | None = None) -> Store:
    """Open and validate a data folder.

    Parameters
    ----------
    data_dir : path
        Folder holding ``audits`` (required) and optionally ``calibration``, ``volumes``,
        ``targets``, each as ``<table>.csv``, ``<table>.parquet`` or a folder of such files.
    memory_limit : str
        DuckDB memory limit; beyond it DuckDB spills to a temporary folder.
    threads : int, optional
        DuckDB worker threads (default: all cores).

    Returns
    -------
    Store
        Clean tables in ``store.con``, validation counts in ``store.validation``.

    Raises
    ------
    DataError
        Missing folder or required table, missing required column, unreadable file, empty
        table, a header whose names differ from the contract only by case or spaces.

    Examples
    --------
    >>> with open_store("data_samples") as store:                     # doctest: +SKIP
    ...     store.validation.summary()
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(f"{data_dir}: data folder not found")
    found = {name: find_table_files(data_dir, name) for name in TABLES}
    for name, table in TABLES.items():
        if table.required_table and not found[name][1]:
            raise DataError(f"{data_dir}: required table '{name}' not found: expected "
                            f"{name}.csv, {name}.parquet or a folder {name}/")
    tmpdir = tempfile.TemporaryDirectory(prefix="qa-insights-")
    con = duckdb.connect(os.path.join(tmpdir.name, "store.duckdb"))
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"SET memory_limit = {_sql_str(memory_limit)}")
        con.execute(f"SET temp_directory = {_sql_str(os.path.join(tmpdir.name, 'spill'))}")
        con.execute("SET preserve_insertion_order = false")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        reports = {name: _validate_table(con, TABLES[name], *found[name], data_dir)
                   for name in TABLES}
    except BaseException:
        con.close()
        tmpdir.cleanup()
        raise
    all_files = [p for _, files in found.values() for p in files]
    return Store(con=con, data_dir=data_dir, validation=Validation(reports),
                 fingerprint=_fingerprint(data_dir, all_files), _tmpdir=tmpdir)
