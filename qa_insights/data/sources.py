"""Finding and reading the files of a contract table with DuckDB.

A table is ``<table>.csv`` (or ``.csv.gz``), ``<table>.parquet``, or a folder ``<table>/``
of such files (searched recursively, so hive partitions such as
``audits/month=2026-10/part-0.parquet`` work). :func:`open_source` checks the header
against the contract and returns a :class:`Source`: a SQL relation with one row per data
row, the file and row number of each, and the source type of each column.

CSV files are loaded as text into a temporary table (malformed lines are set aside with
DuckDB's reject tables, not lost); Parquet files are read in place. :func:`window_files`
keeps only the hive partitions (``month=YYYY-MM`` folders) of a month window, so other
months' files are never opened.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import duckdb

from qa_insights.data.contract import Table
from qa_insights.data.errors import DataError
from qa_insights.data.sql import quote_ident, scalar, sql_str

__all__ = ["Source", "check_header", "find_table_files", "hidden_entries", "missing_column_notes",
           "open_source", "partition_month", "reader_names", "window_files"]

_KINDS = {".csv": "csv", ".csv.gz": "csv", ".parquet": "parquet"}


@dataclass(frozen=True)
class Source:
    """A readable table: ``relation`` is SQL text usable after FROM, with the contract
    columns that are present plus ``_file`` and ``_row`` (1-based data row in the file).

    ``types`` maps present contract columns to their DuckDB source type; ``rejects`` names
    a temporary table of malformed CSV lines (``_file, _row, csv_line, reason``); ``rows``
    is the number of data rows in the files, counted from the source itself (parsed plus
    malformed CSV lines; the Parquet footers' row counts), for the row-count invariant.
    ``notes`` are sentences for ``validate``: which files lack which optional columns.

    Every file is read with the union of the contract columns found in any of them; a
    column that a file lacks is NULL for that file's rows only.
    """

    table: Table
    kind: str
    files: tuple[Path, ...]
    relation: str
    types: dict[str, str]
    rejects: str | None = None
    rows: int = 0
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The file, or the folder and file count, for messages."""
        if len(self.files) == 1:
            return str(self.files[0])
        return f"{self.files[0].parent} ({len(self.files)} files)"


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    for suffix, kind in _KINDS.items():
        if name.endswith(suffix):
            return kind
    return None


def find_table_files(data_dir: Path, table: str) -> tuple[str | None, list[Path]]:
    """Find the files of ``table`` in ``data_dir``.

    Returns ``(kind, files)`` with kind ``"csv"`` or ``"parquet"``, or ``(None, [])``
    when the folder does not hold the table.

    Raises
    ------
    DataError
        When the table is given in two forms, or its folder is empty or mixes formats.
    """
    candidates = sorted(p for p in data_dir.iterdir()
                        if p.is_file() and _kind(p) and p.name.split(".")[0] == table)
    folder = data_dir / table
    if folder.is_dir():
        if candidates:
            raise DataError(f"{data_dir}: table '{table}' is given twice "
                            f"({candidates[0].name} and folder {table}/); keep one")
        files = sorted(p for p in folder.rglob("*")
                       if p.is_file() and _kind(p) and not _is_hidden(p.relative_to(folder)))
        if not files:
            raise DataError(f"{folder}: folder for table '{table}' holds no .csv or "
                            ".parquet file")
        kinds = {_kind(p) for p in files}
        if len(kinds) > 1:
            raise DataError(f"{folder}: mixes CSV and Parquet files; use one format per table")
        return kinds.pop(), files
    if len(candidates) > 1:
        raise DataError(f"{data_dir}: table '{table}' is given twice "
                        f"({', '.join(p.name for p in candidates)}); keep one")
    if candidates:
        return _kind(candidates[0]), candidates
    return None, []


def _is_hidden(relative: Path) -> bool:
    """Whether a path inside a table folder is hidden: any part starting with ``.`` or
    ``_`` (``.trash/``, ``.ipynb_checkpoints/``, Spark's ``_temporary/``), as Hadoop and
    Spark treat them."""
    return any(part.startswith((".", "_")) for part in relative.parts)


def hidden_entries(data_dir: Path, table: str) -> list[Path]:
    """The hidden entries of the folder ``<data_dir>/<table>/`` that hold data files and are
    therefore ignored (the outermost hidden folder or file of each), for ``validate``.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "audits" / ".trash").mkdir(parents=True)
    >>> _ = (root / "audits" / ".trash" / "old.csv").write_text("audit_id\\n")
    >>> [p.name for p in hidden_entries(root, "audits")]
    ['.trash']
    """
    folder = data_dir / table
    if not folder.is_dir():
        return []
    found: set[Path] = set()
    for path in folder.rglob("*"):
        relative = path.relative_to(folder)
        if path.is_file() and _kind(path) and _is_hidden(relative):
            first = next(i for i, part in enumerate(relative.parts)
                         if part.startswith((".", "_")))
            found.add(folder.joinpath(*relative.parts[:first + 1]))
    return sorted(found)


def missing_column_notes(table: Table, columns_by_file: dict[Path, set[str]]) -> tuple[str, ...]:
    """One sentence per set of files lacking the same contract columns that other files of
    the table have (those columns are NULL for the rows of those files).

    Examples
    --------
    >>> from qa_insights.data.contract import TABLES
    >>> missing_column_notes(TABLES["audits"], {Path("a/p0.csv"): {"audit_id"},
    ...                                         Path("a/p1.csv"): {"audit_id", "severity"}})
    ("a/p0.csv lacks column 'severity' (given in other files): empty for that file's rows",)
    """
    union = set().union(*columns_by_file.values()) if columns_by_file else set()
    by_missing: dict[tuple[str, ...], list[Path]] = {}
    for path, cols in columns_by_file.items():
        missing = tuple(c for c in table.names if c in union and c not in cols)
        if missing:
            by_missing.setdefault(missing, []).append(path)
    notes = []
    for missing, paths in by_missing.items():
        names = ", ".join(repr(c) for c in missing)
        where = (str(paths[0]) + " lacks" if len(paths) == 1 else
                 f"{len(paths)} files ({', '.join(str(p) for p in paths[:3])}"
                 f"{', ...' if len(paths) > 3 else ''}) lack")
        notes.append(f"{where} column{'s' if len(missing) > 1 else ''} {names} (given in other "
                     f"files): empty for {'that file' if len(paths) == 1 else 'those files'}'s"
                     " rows")
    return tuple(notes)


_MONTH_PART = re.compile(r"month=(\d{4})-(\d{2})")
_YEAR_PART = re.compile(r"year=(\d{4})")
_MONTH_NUMBER_PART = re.compile(r"month=(\d{1,2})")


def partition_month(path: Path) -> str | None:
    """The month (YYYY-MM) that a file's hive folders name, or None when they name none
    that can be read with certainty (the file is then read and its rows filtered by their
    own dates).

    Understood: ``month=YYYY-MM/`` and ``year=YYYY/month=M/`` (or ``MM``), as warehouse
    exports write them.

    Examples
    --------
    >>> partition_month(Path("audits/month=2026-10/part-0.csv"))
    '2026-10'
    >>> partition_month(Path("audits/year=2026/month=7/part-0.csv"))
    '2026-07'
    >>> partition_month(Path("audits/month=October/part-0.csv")) is None
    True
    """
    folders = path.parts[:-1]
    for part in reversed(folders):
        if m := _MONTH_PART.fullmatch(part):
            return f"{m.group(1)}-{m.group(2)}" if 1 <= int(m.group(2)) <= 12 else None
    years = [m.group(1) for part in folders if (m := _YEAR_PART.fullmatch(part))]
    numbers = [int(m.group(1)) for part in folders if (m := _MONTH_NUMBER_PART.fullmatch(part))]
    if len(years) == 1 and len(numbers) == 1 and 1 <= numbers[0] <= 12:
        return f"{years[0]}-{numbers[0]:02d}"
    return None


def window_files(files: Sequence[Path], months: Sequence[str] | None) -> list[Path]:
    """The files a month window needs: a file whose hive folders name a month
    (:func:`partition_month`) is kept only when that month is in ``months``; other files
    are always kept (their rows are filtered by their own dates). ``months=None`` keeps
    every file.

    Examples
    --------
    >>> files = [Path("audits/month=2026-09/p.parquet"), Path("audits/month=2026-10/p.parquet"),
    ...          Path("audits/year=2026/month=9/p.parquet")]
    >>> [str(p) for p in window_files(files, ["2026-10"])]
    ['audits/month=2026-10/p.parquet']
    """
    if months is None:
        return list(files)
    wanted = set(months)
    return [path for path in files
            if (month := partition_month(path)) is None or month in wanted]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def check_header(table: Table, where: str, header: list[str]) -> list[str]:
    """Check a header against the contract; return the contract columns it holds.

    Raises :class:`DataError` for an empty header, a name that differs from a contract
    name only by case or spaces, a repeated contract column, or missing required columns.
    """
    if not header or all(not h.strip() for h in header):
        raise DataError(f"{where}: table '{table.name}' is empty: expected a header row with "
                        f"columns {', '.join(c.name for c in table.required_columns)}")
    contract = set(table.names)
    for name in header:
        norm = name.strip().lower().replace(" ", "_")
        if name not in contract and norm in contract:
            raise DataError(f"{where}: column {name!r} does not match the contract name "
                            f"{norm!r} (names are lower case, without spaces)")
    seen: set[str] = set()
    for name in header:
        if name in seen and name in contract:
            raise DataError(f"{where}: column {name!r} appears twice in the header; keep "
                            "one of them (rename or delete the other)")
        seen.add(name)
    missing = [c.name for c in table.required_columns if c.name not in header]
    if missing:
        hint = ("; the file looks separated by ';' or tabs: export it comma-separated"
                if len(header) == 1 and any(sep in header[0] for sep in ";\t") else "")
        raise DataError(f"{where}: missing required column{'s' if len(missing) > 1 else ''} "
                        f"{', '.join(repr(m) for m in missing)} (found: "
                        f"{', '.join(repr(h) for h in header)}){hint}")
    return [c for c in table.names if c in header]


def reader_names(table: Table, header: list[str]) -> list[str]:
    """The names the CSV reader gives the header's columns: contract columns keep theirs;
    any other column (ignored by the contract), including an empty name (a trailing comma)
    or a repeated one, is ``_extra_<position>``, so no name can clash.

    Examples
    --------
    >>> from qa_insights.data.contract import TABLES
    >>> reader_names(TABLES["volumes"], ["month", "note", "note", ""])
    ['month', '_extra_2', '_extra_3', '_extra_4']
    """
    contract = set(table.names)
    return [h if h in contract else f"_extra_{i + 1}" for i, h in enumerate(header)]


def _ignored_header_notes(path: Path, table: Table, header: list[str]) -> list[str]:
    """Validation notes for unnamed and repeated columns that are not contract columns."""
    contract = set(table.names)
    unnamed = [i + 1 for i, h in enumerate(header) if not h.strip()]
    repeated = sorted({h for h in header if h.strip() and h not in contract
                       and header.count(h) > 1})
    notes = []
    if unnamed:
        notes.append(f"{path}: column{'s' if len(unnamed) > 1 else ''} "
                     f"{', '.join(map(str, unnamed))} ha{'ve' if len(unnamed) > 1 else 's'} "
                     "no name (a trailing comma?): ignored")
    if repeated:
        notes.append(f"{path}: column{'s' if len(repeated) > 1 else ''} "
                     f"{', '.join(repr(h) for h in repeated)} appear{'' if len(repeated) > 1 else 's'}"
                     " more than once; not a contract column: ignored")
    return notes


def _csv_header(path: Path) -> list[str]:
    try:
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(path, "rb") as fh:
            first_line = fh.readline(1 << 20).decode("utf-8-sig")
        return next(csv.reader(io.StringIO(first_line)), [])
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: header row is not UTF-8 text ({exc.reason} at byte "
                        f"{exc.start}); save the file as UTF-8") from None
    except (OSError, EOFError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read the header row ({_first_line(exc)})") from None


def _load_csv(con: duckdb.DuckDBPyConnection, table: Table, files: list[Path]) -> Source:
    name = table.name
    rejects = f"rej_{name}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {rejects} "
                "(_file VARCHAR, _row BIGINT, csv_line VARCHAR, reason VARCHAR)")
    parts: list[str] = []
    columns_by_file: dict[Path, set[str]] = {}
    header_notes: list[str] = []
    for i, path in enumerate(files):
        header = _csv_header(path)
        present = check_header(table, str(path), header)
        columns = "{" + ", ".join(f"{sql_str(h)}: 'VARCHAR'"
                                  for h in reader_names(table, header)) + "}"
        scan_rej, scan_meta = f"rej_{name}_{i}", f"rejscan_{name}_{i}"
        reader = (f"read_csv({sql_str(str(path))}, header=true, auto_detect=false, "
                  f"delim=',', quote='\"', escape='\"', columns={columns}, "
                  f"store_rejects=true, rejects_table={sql_str(scan_rej)}, "
                  f"rejects_scan={sql_str(scan_meta)}, max_line_size=10000000)")
        part = f"raw_{name}_{i}"
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {part} AS SELECT "
                        + ", ".join(quote_ident(c) for c in present)
                        + f", {sql_str(str(path))} AS _file, "
                        f"CAST(row_number() OVER () AS BIGINT) AS _row FROM {reader}")
            con.execute(f"INSERT INTO {rejects} SELECT {sql_str(str(path))}, line - 1, "
                        "any_value(csv_line), 'malformed CSV line: ' || "
                        f"string_agg(DISTINCT lower(error_type), ', ') FROM {scan_rej} "
                        "GROUP BY line")
        except duckdb.Error as exc:
            raise DataError(f"{path}: cannot read as CSV: {_first_line(exc)}") from None
        _renumber_after_rejects(con, part, scan_rej)
        con.execute(f"DROP TABLE {scan_rej}; DROP TABLE {scan_meta}")
        columns_by_file[path] = set(present)
        header_notes += _ignored_header_notes(path, table, header)
        parts.append(part)
    combined = f"raw_{name}"
    # UNION ALL BY NAME fills a column a part lacks with NULL for that part's rows only.
    con.execute(f"CREATE OR REPLACE TEMP TABLE {combined} AS "
                + " UNION ALL BY NAME ".join(f"SELECT * FROM {p}" for p in parts))
    for part in parts:
        con.execute(f"DROP TABLE {part}")
    present_cols = [c for c in table.names if any(c in cols for cols in columns_by_file.values())]
    rows = scalar(con, f"SELECT (SELECT count(*) FROM {combined}) + "
                  f"(SELECT count(*) FROM {rejects})")
    return Source(table, "csv", tuple(files), combined,
                  {c: "VARCHAR" for c in present_cols}, rejects, rows=int(cast(int, rows)),
                  notes=(*header_notes, *missing_column_notes(table, columns_by_file)))


def _renumber_after_rejects(con: duckdb.DuckDBPyConnection, part: str, scan_rej: str) -> None:
    """Give parsed rows their data-row number in the file: the reader numbered them without
    the malformed lines it set aside (row ``s`` follows every rejected row ``q_j`` with
    ``q_j - j < s``)."""
    if not scalar(con, f"SELECT count(*) FROM {scan_rej}"):
        return
    con.execute(f"UPDATE {part} SET _row = _row + (SELECT count(*) FROM "
                f"(SELECT line - 1 - row_number() OVER (ORDER BY line) AS before "
                f"FROM (SELECT DISTINCT line FROM {scan_rej})) AS r WHERE r.before < {part}._row)")


def _parquet_rows(con: duckdb.DuckDBPyConnection, files: list[Path]) -> int:
    """Rows in ``files`` according to their footers; names the first unreadable file."""
    try:
        total = scalar(con, "SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata("
                       "[" + ", ".join(sql_str(str(p)) for p in files) + "])")
        return int(cast(int, total))
    except duckdb.Error as exc:
        failure = exc
    for path in files:  # which file? (DuckDB names it in some messages, not in all)
        try:
            scalar(con, f"SELECT count(*) FROM parquet_file_metadata({sql_str(str(path))})")
        except duckdb.Error as exc:
            raise DataError(f"{path}: cannot read as Parquet: {_first_line(exc)}") from None
    raise DataError(f"{files[0].parent} ({len(files)} files): cannot read as Parquet: "
                    f"{_first_line(failure)}") from None


def _open_parquet(con: duckdb.DuckDBPyConnection, table: Table, files: list[Path]) -> Source:
    rows = _parquet_rows(con, files)
    file_list = "[" + ", ".join(sql_str(str(p)) for p in files) + "]"
    reader = (f"read_parquet({file_list}, filename=true, file_row_number=true, "
              "union_by_name=true, hive_partitioning=true)")
    label = str(files[0]) if len(files) == 1 else f"{files[0].parent} ({len(files)} files)"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
    except duckdb.Error as exc:
        raise DataError(f"{label}: cannot read as Parquet: {_first_line(exc)}") from None
    types = {row[0]: row[1] for row in described}
    # A hive partition column such as ``month`` (audits/month=2026-10/...) is not a contract
    # column of audits: the month comes from audited_at; window_files used the folders.
    present = check_header(table, label,
                           [c for c in types if c not in ("filename", "file_row_number")])
    relation = ("(SELECT " + ", ".join(quote_ident(c) for c in present)
                + ", filename AS _file, CAST(file_row_number + 1 AS BIGINT) AS _row "
                f"FROM {reader})")
    return Source(table, "parquet", tuple(files), relation, {c: types[c] for c in present},
                  rows=rows, notes=missing_column_notes(table, _parquet_columns(con, files)))


def _parquet_columns(con: duckdb.DuckDBPyConnection, files: list[Path]) -> dict[Path, set[str]]:
    """The column names in each Parquet file's own schema (footers only)."""
    if len(files) == 1:
        return {}
    listed = "[" + ", ".join(sql_str(str(p)) for p in files) + "]"
    rows = con.execute(f"SELECT file_name, name FROM parquet_schema({listed})").fetchall()
    columns: dict[Path, set[str]] = {p: set() for p in files}
    for file_name, column in rows:
        columns.setdefault(Path(file_name), set()).add(column)
    return columns


def open_source(con: duckdb.DuckDBPyConnection, table: Table, kind: str,
                files: list[Path]) -> Source:
    """Check the header(s) of ``files`` and make them readable in ``con``.

    Raises
    ------
    DataError
        Unreadable or corrupt file, header problems (see :func:`check_header`).
    """
    if kind == "csv":
        return _load_csv(con, table, files)
    return _open_parquet(con, table, files)
