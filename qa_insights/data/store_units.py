"""The layout of an ingested store: its format version, its units and their files,
and how it is opened (shared by :mod:`qa_insights.data.ingest`, which writes stores, and
:mod:`qa_insights.data.ingested`, which reads them).

A *unit* is what one validation pass reads: a table's hive month folder
``audits/month=YYYY-MM/``, or all of a table's files outside month folders.

Examples
--------
>>> units = scan_units(Path("data_samples"))
>>> units[("audits", ALL_FILES)].label
'audits (all files)'
>>> is_ingested("data_samples")
False
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from qa_insights.data.contract import TABLES
from qa_insights.data.errors import DataError
from qa_insights.data.sources import find_table_files
from qa_insights.data.sql import sql_str
from qa_insights.data.store import (
    configure,
)

__all__ = [
    "ALL_FILES",
    "FORMAT_VERSION",
    "STORE_IN_FOLDER",
    "Unit",
    "connect_store",
    "format_version",
    "is_ingested",
    "scan_units",
    "stored_units",
]

#: Version of the store layout; a store of another version is rebuilt by ``ingest`` and
#: refused by :func:`open_ingested`.
FORMAT_VERSION = 3


#: The DuckDB store inside a Parquet store folder.
STORE_IN_FOLDER = ".qa_insights_store.duckdb"


ALL_FILES = "*"  # the unit of a table's files outside month folders


_PARTITION = re.compile(r"month=(.*)")


_MAGIC = b"DUCK"  # bytes 8-11 of a DuckDB database file


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
        return f"{self.table} {'(all files)' if self.name == ALL_FILES else self.name}"


def _unit_name(relative: Path) -> str:
    """The unit of a file: its last ``month=...`` folder (as :func:`window_files` sees it)."""
    parts = [m.group(1) for part in relative.parts[:-1] if (m := _PARTITION.fullmatch(part))]
    return f"month={parts[-1]}" if parts else ALL_FILES


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


def connect_store(tmpdir: str, db: Path, *, read_only: bool = False, memory_limit: str | None = None,
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


def format_version(con: duckdb.DuckDBPyConnection, db: Path) -> int | None:
    """The store's format version; :class:`DataError` for a DuckDB file that is no store."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() "
                                        "WHERE database_name = 'st'").fetchall()}
    if "_store_meta" not in tables:
        raise DataError(f"{db}: a DuckDB file but not a qa-insights store (no _store_meta); "
                        "give another --store path")
    rows = con.execute("SELECT value FROM st._store_meta WHERE key = 'format_version'"
                       ).fetchall()
    return int(rows[0][0]) if rows else None


def stored_units(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], Unit]:
    units = {(t, u): Unit(t, u, kind, [], fp) for t, u, kind, fp in con.execute(
        "SELECT tbl, unit, kind, fingerprint FROM st._store_units").fetchall()}
    for t, u, path, size, mtime in con.execute(
            "SELECT tbl, unit, path, size, mtime_ns FROM st._store_files "
            "ORDER BY path").fetchall():
        units[t, u].files.append((path, size, mtime))
    return units
