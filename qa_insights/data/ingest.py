"""Ingest once, build many: validate a data folder into a persistent DuckDB store.

``qa-insights ingest DATA --store STORE`` validates the raw files one *unit* at a time (a
table's hive month folder ``audits/month=YYYY-MM/``, or all of a table's files outside
month folders) and keeps in one DuckDB file:

* the clean tables ``audits``, ``calibration``, ``volumes``, ``targets`` and the
  ``quarantine_<table>`` tables, each row tagged with its unit and month;
* the validation counts per unit, month and reason, so the counts of a month window are
  the ones validating the window's files gives;
* each unit's input files (relative path, size, modification time) and fingerprint
  (SHA-256 of the paths and bytes), the source folder and :data:`FORMAT_VERSION`.

A second ingest validates only new units and units whose files changed (size or time
differ, then the fingerprint too); a unit whose files disappeared is removed and
reported. The ingest writes a copy of the store and renames it over the old one, so a
reader (a report kernel) sees the old store or the new one, never a half-ingested month,
and a failed or killed ingest leaves the previous store as it was.

:func:`open_ingested`, which :func:`qa_insights.data.opening.open_store` calls for a store,
opens it read only without validating anything, and warns (:class:`StaleStoreWarning`)
when the source folder changed after the ingest.

A store validates month folder by month folder, so a key (``audit_id``) found in two month
folders is an error here (a full validation would collapse or quarantine it), and a key
with different content in two months of one file is quarantined even when a report's
month window holds only one of them.

Examples
--------
>>> result = ingest("data_samples", "reports/.store.duckdb")     # doctest: +SKIP
>>> result.added[:1]                                             # doctest: +SKIP
['audits (all files)']
>>> with open_ingested("reports/.store.duckdb", months=["2026-10"]) as store:  # doctest: +SKIP
...     store.query("SELECT count(*) AS n FROM audits")
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import duckdb

from qa_insights.data.columns import DERIVED, read_header, repeated_names
from qa_insights.data.contract import TABLES
from qa_insights.data.cube import CUBE_DIMENSIONS, CountsCube, cube_select
from qa_insights.data.dimensions import Dimension, audit_extras, extend_table, join_sites
from qa_insights.data.errors import DataError
from qa_insights.data.mapping import find_mapping, load_mapping
from qa_insights.data.months import check_month
from qa_insights.data.normalise import normalise_folder
from qa_insights.data.queries import COUNT_COLUMNS
from qa_insights.data.sources import find_table_files, open_source
from qa_insights.data.sql import quote_ident, scalar, sql_str
from qa_insights.data.store import (
    CLEAN_MANIFEST,
    DuckDBStore,
    Validation,
    attach_sites,
    configure,
    fingerprint_files,
)
from qa_insights.data.validation import (
    TableReport,
    create_empty_table,
    stage_month,
    validate_table,
)

__all__ = [
    "FORMATS",
    "FORMAT_VERSION",
    "STORE_IN_FOLDER",
    "IngestResult",
    "StaleStoreWarning",
    "Unit",
    "ingest",
    "ingest_cli",
    "is_current",
    "is_ingested",
    "open_ingested",
    "scan_units",
]

#: Version of the store layout; a store of another version is rebuilt by ``ingest`` and
#: refused by :func:`open_ingested`.
FORMAT_VERSION = 3

#: Store formats: one DuckDB file, or a folder holding the clean hive-Parquet export (what
#: the Spark engine reads) and the DuckDB store as :data:`STORE_IN_FOLDER`.
FORMATS: tuple[str, ...] = ("duckdb", "parquet")

#: The DuckDB store inside a Parquet store folder.
STORE_IN_FOLDER = ".qa_insights_store.duckdb"

_ALL = "*"  # the unit of a table's files outside month folders
_PARTITION = re.compile(r"month=(.*)")
_MAGIC = b"DUCK"  # bytes 8-11 of a DuckDB database file

#: Month of a clean row (columns as in the clean tables).
_CLEAN_MONTH = {"audits": "month", "calibration": "strftime(session_date, '%Y-%m')",
                "volumes": "month", "targets": "month", "budgets": "month",
                "sites": "CAST(NULL AS VARCHAR)",
                "events": "strftime(date, '%Y-%m')"}


class StaleStoreWarning(UserWarning):
    """The source folder of an ingested store changed after the ingest."""


@dataclass
class Unit:
    """What one validation pass reads: a table's files of one month folder (``name``
    ``month=YYYY-MM``) or its files outside month folders (``name`` ``*``).

    ``files`` holds ``(relative path, size, mtime_ns)`` per file, sorted.
    """

    table: str
    name: str
    kind: str
    files: list[tuple[str, int, int]]
    fingerprint: str = ""

    @property
    def label(self) -> str:
        """``table month=YYYY-MM`` or ``table (all files)``, for messages."""
        return f"{self.table} {'(all files)' if self.name == _ALL else self.name}"


@dataclass
class IngestResult:
    """What an ingest did, as unit labels (see :attr:`Unit.label`)."""

    store: Path
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rebuilt: str = ""

    @property
    def written(self) -> bool:
        """Whether the store was (re)written."""
        return bool(self.added or self.changed or self.removed)


def _unit_name(relative: Path) -> str:
    """The unit of a file: its last ``month=...`` folder (as :func:`window_files` sees it)."""
    parts = [m.group(1) for part in relative.parts[:-1] if (m := _PARTITION.fullmatch(part))]
    return f"month={parts[-1]}" if parts else _ALL


def scan_units(data_dir: Path) -> dict[tuple[str, str], Unit]:
    """The units of ``data_dir`` with their files' sizes and times (no file is read).

    Raises
    ------
    DataError
        Missing folder or required table, a table given twice or in mixed formats.

    Examples
    --------
    >>> sorted(scan_units(Path("data_samples")))                     # doctest: +SKIP
    [('audits', '*'), ('calibration', '*'), ('targets', '*'), ('volumes', '*')]
    """
    if not data_dir.is_dir():
        raise DataError(f"{data_dir}: data folder not found")
    units: dict[tuple[str, str], Unit] = {}
    for name, table in TABLES.items():
        kind, files = find_table_files(data_dir, name)
        if table.required_table and not files:
            raise DataError(f"{data_dir}: required table '{name}' not found: expected "
                            f"{name}.csv, {name}.parquet or a folder {name}/")
        for path in files:
            relative = path.relative_to(data_dir)
            stat = path.stat()
            unit = units.setdefault((name, _unit_name(relative)),
                                    Unit(name, _unit_name(relative), kind or "", []))
            unit.files.append((relative.as_posix(), stat.st_size, stat.st_mtime_ns))
    for unit in units.values():
        unit.files.sort()
    return units


def is_ingested(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a store written by :func:`ingest` (a DuckDB file, or a folder
    holding :data:`STORE_IN_FOLDER`).

    Examples
    --------
    >>> is_ingested("data_samples")
    False
    """
    path = Path(path)
    if path.is_dir():
        path = path / STORE_IN_FOLDER
    try:
        with open(path, "rb") as fh:
            return fh.read(12)[8:12] == _MAGIC
    except OSError:
        return False


def is_current(store: str | os.PathLike[str], source: str | os.PathLike[str]) -> bool:
    """Whether ``store`` is an ingested store of this format version, ingested from the
    folder ``source``, and no file of ``source`` changed since (what
    :func:`open_ingested` would warn about); opening it then gives what validating
    ``source`` gives.

    Examples
    --------
    >>> is_current("reports/no-such-store.duckdb", "data_samples")
    False
    """
    store = Path(store)
    db = store / STORE_IN_FOLDER if store.is_dir() else store
    if not is_ingested(db):
        return False
    with tempfile.TemporaryDirectory(prefix="qa-insights-") as tmpdir:
        try:
            con = _connect(tmpdir, db, read_only=True)
        except duckdb.Error:  # e.g. being replaced by an ingest right now
            return False
        try:
            rows = con.execute("SELECT value FROM st._store_meta WHERE key = 'source'"
                               ).fetchall()
            return (_format_version(con, db) == FORMAT_VERSION and bool(rows)
                    and Path(rows[0][0]) == Path(source).resolve()
                    and not _stale(con, _stored_units(con)))
        except (duckdb.Error, DataError):
            return False
        finally:
            con.close()


# --------------------------------------------------------------------------- writing

_SCHEMA = """
CREATE TABLE IF NOT EXISTS st._store_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS st._store_units (tbl VARCHAR, unit VARCHAR, kind VARCHAR,
    fingerprint VARCHAR, read BIGINT);
CREATE TABLE IF NOT EXISTS st._store_files (tbl VARCHAR, unit VARCHAR, path VARCHAR,
    size BIGINT, mtime_ns BIGINT);
CREATE TABLE IF NOT EXISTS st._store_counts (tbl VARCHAR, unit VARCHAR, _month VARCHAR,
    outcome VARCHAR, reason VARCHAR, n BIGINT);
CREATE TABLE IF NOT EXISTS st._audit_cube ({cube}, _month VARCHAR, _unit VARCHAR);
""".format(cube=", ".join([*(f"{d} VARCHAR" for d in CUBE_DIMENSIONS),
                           *(f"{c} BIGINT" for c in COUNT_COLUMNS)]))


def _connect(tmpdir: str, db: Path, *, read_only: bool = False, memory_limit: str | None = None,
             threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory connection (the work space) with the store ``db`` attached as ``st``."""
    con = duckdb.connect()
    try:
        configure(con, tmpdir, memory_limit=memory_limit, threads=threads)
        con.execute(f"ATTACH {sql_str(str(db))} AS st" + (" (READ_ONLY)" if read_only else ""))
    except BaseException:
        con.close()
        raise
    return con


def _format_version(con: duckdb.DuckDBPyConnection, db: Path) -> int | None:
    """The store's format version; :class:`DataError` for a DuckDB file that is no store."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() "
                                        "WHERE database_name = 'st'").fetchall()}
    if "_store_meta" not in tables:
        raise DataError(f"{db}: a DuckDB file but not a qa-insights store (no _store_meta); "
                        "give another --store path")
    rows = con.execute("SELECT value FROM st._store_meta WHERE key = 'format_version'"
                       ).fetchall()
    return int(rows[0][0]) if rows else None


def _stored_units(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], Unit]:
    units = {(t, u): Unit(t, u, kind, [], fp) for t, u, kind, fp in con.execute(
        "SELECT tbl, unit, kind, fingerprint FROM st._store_units").fetchall()}
    for t, u, path, size, mtime in con.execute(
            "SELECT tbl, unit, path, size, mtime_ns FROM st._store_files "
            "ORDER BY path").fetchall():
        units[t, u].files.append((path, size, mtime))
    return units


def _read_state(db: Path, tmpdir: str) -> tuple[dict[tuple[str, str], Unit], str]:
    """The units of the existing store, or ``({}, why)`` when it is rebuilt from scratch."""
    if not db.exists():
        return {}, "new store"
    if not is_ingested(db):
        raise DataError(f"{db}: exists and is not a qa-insights store; give another --store "
                        "path (an ingest never overwrites other files)")
    con = _connect(tmpdir, db, read_only=True)
    try:
        version = _format_version(con, db)
        if version != FORMAT_VERSION:
            return {}, f"store format version {version} rebuilt as version {FORMAT_VERSION}"
        return _stored_units(con), ""
    finally:
        con.close()


@contextlib.contextmanager
def _ingest_lock(store: Path) -> Iterator[None]:
    """One ingest per store at a time (an advisory lock file beside the store)."""
    lock_path = store.with_name(f"{store.name}.lock")
    with open(lock_path, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DataError(f"{store}: another ingest is writing this store; wait for "
                            "it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _remove_units(con: duckdb.DuckDBPyConnection, units: Sequence[tuple[str, str]]) -> None:
    for table, unit in units:
        for name in (table, f"quarantine_{table}"):
            con.execute(f"DELETE FROM st.{name} WHERE _unit = ?", [unit])
        for meta in ("_store_units", "_store_files", "_store_counts"):
            con.execute(f"DELETE FROM st.{meta} WHERE tbl = ? AND unit = ?", [table, unit])
        if table == "audits":
            con.execute("DELETE FROM st._audit_cube WHERE _unit = ?", [unit])


def _create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The store's clean and quarantine tables (contract columns, ``_month``, ``_unit``)."""
    existing = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() "
                                          "WHERE database_name = 'st'").fetchall()}
    for name, table in TABLES.items():
        if name in existing:
            continue
        create_empty_table(con, table)
        for local in (name, f"quarantine_{name}"):
            con.execute(f"CREATE TABLE st.{local} AS SELECT *, NULL::VARCHAR AS _month, "
                        f"NULL::VARCHAR AS _unit FROM {local} LIMIT 0")
            con.execute(f"DROP TABLE {local}")


def _validate_unit(con: duckdb.DuckDBPyConnection, data_dir: Path, unit: Unit) -> None:
    """Validate ``unit`` in ``con``'s work space and append its rows and counts to the
    attached store."""
    name = unit.table
    files = [data_dir / f[0] for f in unit.files]
    table = TABLES[name]
    if name in ("audits", "sites"):  # extra columns: dimensions, added to the store's table
        repeated = repeated_names(unit.kind, files)
        table = extend_table(table, {k: v for k, v in audit_extras(
            name, read_header(unit.kind, files)).items() if k not in repeated})
        for col in table.columns[len(TABLES[name].columns):]:
            for local in (name, f"quarantine_{name}"):
                con.execute(f"ALTER TABLE st.{local} ADD COLUMN IF NOT EXISTS "
                            f"{quote_ident(col.name)} VARCHAR")
    sites = "st.sites" if name == "audits" and scalar(
        con, "SELECT count(*) FROM st.sites") else None
    if sites:  # the site's type may come from the sites table
        table = dataclasses.replace(table, columns=tuple(
            dataclasses.replace(c, required=False) if c.name == "site_type" else c
            for c in table.columns))
    source = open_source(con, table, unit.kind, files)
    report = validate_table(con, source, None, sites=sites)
    key = [unit.table, unit.name]
    # Tables without a month (projects, rate cards, savings) store NULL as their month.
    clean_month = _CLEAN_MONTH.get(name, "NULL::VARCHAR")
    row_month = stage_month(table) or "NULL::VARCHAR"
    con.execute(f"INSERT INTO st.{name} BY NAME SELECT *, {clean_month} AS _month, "
                f"? AS _unit FROM {name}", [unit.name])
    con.execute(f"INSERT INTO st.quarantine_{name} BY NAME SELECT q.*, s._month, ? AS _unit "
                f"FROM quarantine_{name} AS q LEFT JOIN (SELECT _file, _row, {row_month} "
                f"AS _month FROM stage_{name}) AS s USING (_file, _row)", [unit.name])
    con.execute(f"INSERT INTO st._store_counts SELECT ?, ?, {clean_month}, 'loaded', '', "
                f"count(*) FROM {name} GROUP BY ALL", key)
    con.execute("INSERT INTO st._store_counts SELECT ?, ?, _month, 'quarantined', reason, "
                f"count(*) FROM st.quarantine_{name} WHERE _unit = ? GROUP BY ALL",
                [*key, unit.name])
    # Stage rows set aside for a reason that quarantines nothing: collapsed duplicates.
    con.execute(f"INSERT INTO st._store_counts SELECT ?, ?, {row_month}, 'duplicates', '', "
                f"count(*) FROM stage_{name} WHERE _reason IS NOT NULL AND _reason NOT IN "
                f"(SELECT reason FROM quarantine_{name}) GROUP BY ALL", key)
    if name == "audits":  # the unit's counts cube (qa_insights.data.cube)
        con.execute(f"INSERT INTO st._audit_cube BY NAME SELECT *, month AS _month, "
                    f"? AS _unit FROM ({cube_select(name)})", [unit.name])
    con.execute("INSERT INTO st._store_units VALUES (?, ?, ?, ?, ?)",
                [*key, unit.kind, unit.fingerprint, report.read])
    con.executemany("INSERT INTO st._store_files VALUES (?, ?, ?, ?, ?)",
                    [[*key, *f] for f in unit.files])


def _check_nonempty(con: duckdb.DuckDBPyConnection, data_dir: Path) -> None:
    for table, read in con.execute("SELECT tbl, sum(read) FROM st._store_units "
                                   "GROUP BY 1").fetchall():
        if not read:
            raise DataError(f"{data_dir}: table '{table}' is empty: expected at least one "
                            "data row after the header")


def _check_keys_across_units(con: duckdb.DuckDBPyConnection, data_dir: Path,
                             written: Sequence[tuple[str, str]]) -> None:
    """A key in two units cannot be collapsed or quarantined unit by unit: refuse it.
    Only the keys of the units just written are looked up (a hash join, not a scan that
    groups every stored row)."""
    for table in sorted({t for t, _ in written}):
        if cast(int, scalar(con, "SELECT count(*) FROM st._store_units WHERE tbl = ?",
                            [table])) < 2:
            continue
        key = TABLES[table].key
        on = " AND ".join(f"o.{k} = n.{k}" for k in key)
        rows = con.execute(
            f"SELECT {', '.join('n.' + k for k in key)}, n._unit, o._unit FROM (SELECT "
            f"{', '.join(key)}, _unit FROM st.{table} WHERE list_contains(?, _unit)) AS n "
            f"JOIN st.{table} AS o ON {on} AND o._unit <> n._unit LIMIT 1",
            [[u for t, u in written if t == table]]).fetchall()
        if rows:
            *values, one, other = rows[0]
            where = " and ".join(f"{table}/{u}" for u in sorted([one, other]))
            shown = ", ".join(f"{k}={v!r}" for k, v in zip(key, values, strict=True))
            raise DataError(f"{data_dir}: {table} row {shown} is in two month folders "
                            f"({where}); the store validates month by month: keep each "
                            "row in the folder of its own month")


def _write_store(tmp: Path, data_dir: Path, work: str, validate: Sequence[Unit],
                 drop: Sequence[tuple[str, str]], *, memory_limit: str | None,
                 threads: int | None) -> None:
    """Apply the changes to the copy ``tmp``: drop units, validate units, check, stamp.

    One connection does it all when one unit changed (the usual monthly re-ingest: each
    connection attaches the store again); with several, each further unit gets a fresh
    work space, so the memory of the one before is freed."""
    con = _connect(work, tmp, memory_limit=memory_limit, threads=threads)
    try:
        con.execute(_SCHEMA)
        _create_tables(con)
        _remove_units(con, drop)
        for i, unit in enumerate(validate):
            if i:
                con.close()
                con = _connect(work, tmp, memory_limit=memory_limit, threads=threads)
            _validate_unit(con, data_dir, unit)
        _check_nonempty(con, data_dir)
        _check_keys_across_units(con, data_dir, [(u.table, u.name) for u in validate])
        meta = {"format_version": str(FORMAT_VERSION), "source": str(data_dir.resolve()),
                "ingested_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        con.executemany("INSERT OR REPLACE INTO st._store_meta VALUES (?, ?)",
                        list(meta.items()))
        con.execute("CHECKPOINT st")
    finally:
        con.close()


def _refresh_times(tmp: Path, work: str, units: Sequence[Unit]) -> None:
    """Record the new sizes and times of units whose bytes did not change."""
    con = _connect(work, tmp)
    try:
        for unit in units:
            con.execute("DELETE FROM st._store_files WHERE tbl = ? AND unit = ?",
                        [unit.table, unit.name])
            con.executemany("INSERT INTO st._store_files VALUES (?, ?, ?, ?, ?)",
                            [[unit.table, unit.name, *f] for f in unit.files])
    finally:
        con.close()


def ingest(data_dir: str | os.PathLike[str], store: str | os.PathLike[str], *, fmt: str = "duckdb",
           memory_limit: str | None = None, threads: int | None = None,
           config: str | os.PathLike[str] | bool | None = None) -> IngestResult:
    """Validate ``data_dir`` into the store ``store``, only the units that changed.

    A folder of a team's own exports with a source mapping (``qa_insights.yaml``, or
    ``config``: see :func:`qa_insights.data.opening.open_store`) is mapped into a
    temporary contract-shaped folder first and ingested from there; quarantined rows keep
    the user's file names, and the mapping's personal dimensions are recorded.

    Parameters
    ----------
    data_dir : path
        The raw data folder (see :func:`qa_insights.data.opening.open_store`).
    store : path
        The store: a DuckDB file (``fmt="duckdb"``) or a folder (``fmt="parquet"``: the
        clean hive-Parquet export the Spark engine reads, with the DuckDB store inside).
    fmt : {"duckdb", "parquet"}
        Store format.
    memory_limit, threads
        DuckDB settings of the validation (see :func:`open_store`).

    Returns
    -------
    IngestResult
        Units added, changed (re-validated), unchanged and removed (input gone).

    Raises
    ------
    DataError
        What :func:`open_store` raises for the raw data; a ``store`` path holding another
        file; a key in two month folders; another ingest writing the same store. The
        previous store is then left as it was.

    Examples
    --------
    >>> ingest("data_samples", "reports/.store.duckdb").written      # doctest: +SKIP
    True
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown store format {fmt!r}; valid: {', '.join(FORMATS)}")
    data_dir, store = Path(data_dir), Path(store)
    mapping_file = None if config is False or not data_dir.is_dir() else find_mapping(
        data_dir, None if isinstance(config, bool) else config)
    if mapping_file is not None:
        return _ingest_mapped(data_dir, mapping_file, store, fmt=fmt,
                              memory_limit=memory_limit, threads=threads)
    if fmt == "duckdb" and store.is_dir():
        raise DataError(f"{store}: is a folder; a DuckDB store is a file (a folder is the "
                        "Parquet store: --format parquet)")
    if fmt == "parquet" and store.exists() and (not store.is_dir() or (
            any(store.iterdir()) and not (store / STORE_IN_FOLDER).is_file())):
        raise DataError(f"{store}: exists and is not a Parquet store of qa-insights; give a "
                        "new or empty folder (an ingest never overwrites other files)")
    db = store / STORE_IN_FOLDER if fmt == "parquet" else store
    store.parent.mkdir(parents=True, exist_ok=True)
    db.parent.mkdir(exist_ok=True)
    result = IngestResult(store)
    with _ingest_lock(store), tempfile.TemporaryDirectory(prefix="qa-insights-ingest-") as work:
        units = scan_units(data_dir)
        old, result.rebuilt = _read_state(db, work)
        validate, retimed = [], []
        for key, unit in units.items():
            before = old.get(key)
            if before is not None and before.files == unit.files and before.kind == unit.kind:
                unit.fingerprint = before.fingerprint
                result.unchanged.append(unit.label)
                continue
            unit.fingerprint = fingerprint_files(data_dir,
                                                 [data_dir / f[0] for f in unit.files])
            if before is None:
                result.added.append(unit.label)
            elif before.fingerprint != unit.fingerprint or before.kind != unit.kind:
                result.changed.append(unit.label)
            else:
                result.unchanged.append(unit.label)
                retimed.append(unit)
                continue
            validate.append(unit)
        gone = [key for key in old if key not in units]
        if any(u.table == "sites" for u in validate) or any(t == "sites" for t, _ in gone):
            # audits are checked against the sites table (site_type): check them again
            for key, unit in units.items():
                if key[0] == "audits" and unit not in validate:
                    result.unchanged.remove(unit.label)
                    result.changed.append(unit.label)
                    validate.append(unit)
        validate.sort(key=lambda u: u.table != "sites")  # sites before the audits
        result.removed = [old[key].label for key in gone]
        if result.written or retimed:
            tmp = db.with_name(f"{db.name}.tmp-{os.getpid()}")
            try:
                if old:
                    shutil.copyfile(db, tmp)
                if retimed:
                    _refresh_times(tmp, work, retimed)
                if result.written:
                    _write_store(tmp, data_dir, work, validate,
                                 gone + [(u.table, u.name) for u in validate],
                                 memory_limit=memory_limit, threads=threads)
                os.replace(tmp, db)
            finally:
                tmp.unlink(missing_ok=True)
                tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
        if fmt == "parquet":
            _export_parquet(store, db)
    return result


def _ingest_mapped(data_dir: Path, mapping_file: Path, store: Path, *, fmt: str,
                   memory_limit: str | None, threads: int | None) -> IngestResult:
    """Ingest a folder of exports through its source mapping (see :func:`ingest`)."""
    with tempfile.TemporaryDirectory(prefix="qa-insights-mapped-") as tmp:
        mapped = normalise_folder(load_mapping(mapping_file), data_dir, tmp)
        result = ingest(tmp, store, fmt=fmt, memory_limit=memory_limit, threads=threads,
                        config=False)
        db = store / STORE_IN_FOLDER if fmt == "parquet" else store
        con = duckdb.connect(str(db))
        try:
            for name in TABLES:
                for written, user_file in mapped.origins.items():
                    con.execute(f"UPDATE quarantine_{name} SET _file = ? WHERE _file = ?",
                                [user_file, written])
            con.execute("INSERT OR REPLACE INTO _store_meta VALUES ('dimensions', ?)",
                        [json.dumps(mapped.dimensions)])
        finally:
            con.close()
    return result


def _export_parquet(store: Path, db: Path) -> None:
    """Rewrite the clean hive-Parquet export of folder ``store`` when it does not hold the
    DuckDB store's fingerprint: written beside it, then swapped in by two renames."""
    manifest = store / CLEAN_MANIFEST
    with open_ingested(db) as opened:
        if manifest.is_file() and json.loads(manifest.read_text()).get(
                "fingerprint") == opened.fingerprint:
            return
        staging = store.with_name(f".{store.name}.export-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        try:
            opened.export_clean(staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    old = store.with_name(f".{store.name}.old-{os.getpid()}")
    os.replace(db, staging / STORE_IN_FOLDER)
    os.rename(store, old)
    os.rename(staging, store)
    shutil.rmtree(old)


def ingest_cli(data_dir: str | os.PathLike[str], store: str | os.PathLike[str], *,
               fmt: str = "duckdb") -> int:
    """Run ``qa-insights ingest``: ingest, then print what changed and the validation
    counts; returns the exit code 0 (quarantined rows are counted, not an error: ``qa-insights
    validate STORE`` writes them out). :class:`DataError` propagates (exit code 2).

    Examples
    --------
    >>> ingest_cli("data_samples", "reports/.store.duckdb")           # doctest: +SKIP
    0
    """
    result = ingest(data_dir, store, fmt=fmt)
    state = f" ({result.rebuilt})" if result.rebuilt else ""
    print(f"Ingested {data_dir} into {store}{state}")
    for what, labels in (("added", result.added), ("changed", result.changed),
                         ("removed", result.removed)):
        for label in labels:
            note = " (its files are gone from the data folder; its rows left the store)" \
                if what == "removed" else ""
            print(f"  {what:<9} {label}{note}")
    print(f"  unchanged {len(result.unchanged)} unit(s)")
    with open_ingested(store) as opened:
        print(opened.validation.summary().to_string(index=False))
        total = sum(t.quarantined_total for t in opened.validation.tables.values())
        print(f"Fingerprint {opened.fingerprint[:12]}")
    if total:
        print(f"{total} row(s) quarantined; qa-insights validate {store} writes them out")
    return 0


# --------------------------------------------------------------------------- reading

def _stale(con: duckdb.DuckDBPyConnection, stored: dict[tuple[str, str], Unit]) -> list[str]:
    """What changed in the source folder since the ingest (empty when it is gone)."""
    rows = con.execute("SELECT value FROM st._store_meta WHERE key = 'source'").fetchall()
    source = Path(rows[0][0]) if rows else None
    if source is None or not source.is_dir():
        return []
    try:
        now = scan_units(source)
    except DataError as exc:
        return [f"the source folder no longer reads ({exc})"]
    changes = [f"{u.label} changed" for k, u in now.items()
               if k in stored and stored[k].files != u.files]
    changes += [f"{u.label} is new" for k, u in now.items() if k not in stored]
    changes += [f"{u.label} was removed" for k, u in stored.items() if k not in now]
    return changes


def _window_validation(con: duckdb.DuckDBPyConnection, units: dict[tuple[str, str], Unit],
                       reads: dict[tuple[str, str], int], month_filter: str) -> Validation:
    """The counts validating the window's files would give (see :func:`open_store`)."""
    tables = {}
    counts = con.execute(
        "SELECT tbl, unit, outcome, reason, sum(n) FROM st._store_counts "
        f"WHERE {month_filter} GROUP BY ALL").fetchall()
    for name in TABLES:
        mine = [k for k in units if k[0] == name]
        files = sorted((f[0] for k in mine for f in units[k].files), key=Path)
        report = TableReport(name, files, read=sum(reads[k] for k in mine))
        for table, unit, outcome, reason, n in counts:
            if table != name or (table, unit) not in units:
                continue
            if outcome == "loaded":
                report.loaded += int(n)
            elif outcome == "duplicates":
                report.duplicates += int(n)
            else:
                report.quarantined[reason] = report.quarantined.get(reason, 0) + int(n)
        report.outside_window = (report.read - report.loaded - report.duplicates
                                 - report.quarantined_total)
        tables[name] = report
    return Validation(tables)


def _ordered(con: duckdb.DuckDBPyConnection, local: str) -> str:
    """The columns of ``st.<local>`` in the order validating the folder gives them: extra
    columns (added to the store when they first appeared) before the derived columns and
    the quarantine's ``raw_line`` and ``reason``."""
    names = [r[0] for r in con.execute(f"DESCRIBE st.{local}").fetchall()
             if r[0] not in ("_month", "_unit")]
    last = [*DERIVED.get(local, ()), "raw_line", "reason"]
    return ", ".join(quote_ident(n) for n in [*(n for n in names if n not in last),
                                              *(n for n in last if n in names)])


def _cube_view(con: duckdb.DuckDBPyConnection, where: str,
               site_dims: dict[str, Dimension]) -> CountsCube:
    """The view ``audit_cube``: the window's counts cube, with the site attributes joined
    as the view ``audits`` has them."""
    con.execute("CREATE VIEW audit_cube_window AS SELECT * EXCLUDE (_month, _unit) "
                f"FROM st._audit_cube WHERE {where}")
    if site_dims:
        join_sites(con, site_dims, base="audit_cube_window", view="audit_cube")
    else:
        con.execute("CREATE VIEW audit_cube AS SELECT * FROM audit_cube_window")
    return CountsCube("audit_cube", frozenset([*CUBE_DIMENSIONS, *site_dims]))


def open_ingested(store: str | os.PathLike[str], *, months: Sequence[str] | None = None,
                  memory_limit: str | None = None, threads: int | None = None) -> DuckDBStore:
    """Open an ingested store read only, without validating: the month window's rows.

    The :class:`DuckDBStore` has views ``audits``, ``calibration``, ``volumes``, ``targets``
    and ``quarantine_<table>`` over the store (restricted to ``months``), the validation
    counts of the window (what :func:`open_store` on the raw folder counts: with month
    folders, only the window's folders are read) and, as ``fingerprint``, the whole
    store's fingerprint (it changes with every ingest that changed something). Several
    processes may open one store at once, also while an ingest writes its next version.

    Warns
    -----
    StaleStoreWarning
        When the source folder still exists and its files changed after the ingest.

    Raises
    ------
    DataError
        Not a store, or a store of another format version.

    Examples
    --------
    >>> with open_ingested("reports/.store.duckdb", months=["2026-10"]) as s:  # doctest: +SKIP
    ...     s.validation.summary()
    """
    store = Path(store)
    db = store / STORE_IN_FOLDER if store.is_dir() else store
    if not is_ingested(db):
        raise DataError(f"{store}: not a store written by qa-insights ingest")
    if months is not None:
        months = [check_month(m, "months") for m in months]
    tmpdir = tempfile.TemporaryDirectory(prefix="qa-insights-")
    con = _connect(tmpdir.name, db, read_only=True, memory_limit=memory_limit,
                   threads=threads)
    try:
        version = _format_version(con, db)
        if version != FORMAT_VERSION:
            raise DataError(f"{store}: store format version {version}; this qa-insights "
                            f"reads version {FORMAT_VERSION}: run qa-insights ingest again "
                            "to rebuild it")
        stored = _stored_units(con)
        reads = {(t, u): int(n) for t, u, n in con.execute(
            "SELECT tbl, unit, read FROM st._store_units").fetchall()}
        digest = hashlib.sha256()
        for key in sorted(stored):
            digest.update(f"{key[0]}/{key[1]}:{stored[key].fingerprint}\n".encode())
        window = {k: u for k, u in stored.items()
                  if months is None or u.name == _ALL or u.name[6:] in months}
        month_filter = "true" if months is None else (
            "(_month IS NULL OR _month IN (" + ", ".join(map(sql_str, months)) + "))")
        audit_window = "false"
        for name in TABLES:
            units = [sql_str(u) for t, u in window if t == name]
            where = f"_unit IN ({', '.join(units)}) AND {month_filter}" if units else "false"
            if name == "audits":
                audit_window = where
            for local in (name, f"quarantine_{name}"):
                con.execute(f"CREATE VIEW {local} AS SELECT {_ordered(con, local)} "
                            f"FROM st.{local} WHERE {where}")
        validation = _window_validation(con, window, reads, month_filter)
        known = {*TABLES["audits"].names, *DERIVED["audits"]}
        meta = con.execute("SELECT value FROM st._store_meta WHERE key = 'dimensions'"
                           ).fetchall()
        declared = json.loads(meta[0][0]) if meta else {}
        present = [r[0] for r in con.execute("DESCRIBE audits").fetchall() if r[0] not in known]
        dims = {c: Dimension(c, "audits", personal) for c, personal in audit_extras(
            "audits", present, {k: v for k, v in declared.get("audits", {}).items()
                                if k in present}).items()}
        site_dims = attach_sites(con, validation.tables["sites"], declared.get("sites"))
        dims.update(site_dims)
        cube = _cube_view(con, audit_window, site_dims)
        stale = _stale(con, stored)
    except BaseException:
        con.close()
        tmpdir.cleanup()
        raise
    if stale:
        shown = "; ".join(stale[:5]) + (f"; and {len(stale) - 5} more" if len(stale) > 5 else "")
        warnings.warn(f"{store}: the store is older than its source folder ({shown}); run "
                      "qa-insights ingest again to bring it up to date",
                      StaleStoreWarning, stacklevel=2)
    return DuckDBStore(con=con, data_dir=store, validation=validation,
                       fingerprint=digest.hexdigest(), _tmpdir=tmpdir, stale=stale,
                       dimensions=dims, counts_cube=cube)
