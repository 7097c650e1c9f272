"""Ingest once, build many: validate a data folder into a persistent DuckDB store.

``qa-insights ingest DATA --store STORE`` validates the raw files one *unit* at a time (a
table's hive month folder ``audits/month=YYYY-MM/``, or all of a table's files outside
month folders) and keeps in one DuckDB file:

* the clean tables ``audits``, ``calibration``, ``volumes``, ``targets`` and the
  ``quarantine_<table>`` tables, each row tagged with its unit and month;
* the validation counts per unit, month and reason, so the counts of a month window are
  the ones validating the window's files gives;
* each unit's input files (relative path, size, modification time) and fingerprint
  (SHA-256 of the paths and bytes), the source folder and the format version;
* each month's counts cube (:mod:`qa_insights.data.cube`).

A second ingest validates only new units and units whose files changed (size or time
differ, then the fingerprint too); a unit whose files disappeared is removed and
reported. The ingest writes a copy of the store and renames it over the old one, so a
reader (a report kernel) sees the old store or the new one, never a half-ingested month,
and a failed or killed ingest leaves the previous store as it was.

:mod:`qa_insights.data.ingested` reads a store (read only, nothing validated again);
:mod:`qa_insights.data.store_units` holds the layout both share (units, format version).

A store validates month folder by month folder, so a key (``audit_id``) found in two month
folders is an error here (a full validation would collapse or quarantine it), and a key
with different content in two months of one file is quarantined even when a report's
month window holds only one of them.

Examples
--------
>>> result = ingest("data_samples", "reports/.store.duckdb")     # doctest: +SKIP
>>> result.added[:1]                                             # doctest: +SKIP
['audits (all files)']
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import duckdb

from qa_insights.data.columns import read_header, repeated_names
from qa_insights.data.contract import TABLES
from qa_insights.data.cube import CUBE_DIMENSIONS, cube_select
from qa_insights.data.dimensions import audit_extras, extend_table
from qa_insights.data.errors import DataError
from qa_insights.data.ingested import open_ingested
from qa_insights.data.mapping import find_mapping, load_mapping
from qa_insights.data.normalise import normalise_folder
from qa_insights.data.queries import COUNT_COLUMNS
from qa_insights.data.sources import open_source
from qa_insights.data.sql import quote_ident, scalar
from qa_insights.data.store import (
    CLEAN_MANIFEST,
    fingerprint_files,
)
from qa_insights.data.store_units import (
    FORMAT_VERSION,
    STORE_IN_FOLDER,
    Unit,
    connect_store,
    format_version,
    is_ingested,
    scan_units,
    stored_units,
)
from qa_insights.data.validation import (
    create_empty_table,
    stage_month,
    validate_table,
)

__all__ = ["FORMATS", "IngestResult", "ingest", "ingest_cli"]


#: Store formats: one DuckDB file, or a folder holding the clean hive-Parquet export (what
#: the Spark engine reads) and the DuckDB store as :data:`STORE_IN_FOLDER`.
FORMATS: tuple[str, ...] = ("duckdb", "parquet")

#: Month of a clean row (columns as in the clean tables).
_CLEAN_MONTH = {"audits": "month", "calibration": "strftime(session_date, '%Y-%m')",
                "volumes": "month", "targets": "month", "budgets": "month",
                "sites": "CAST(NULL AS VARCHAR)",
                "events": "strftime(date, '%Y-%m')"}






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








def _read_state(db: Path, tmpdir: str) -> tuple[dict[tuple[str, str], Unit], str]:
    """The units of the existing store, or ``({}, why)`` when it is rebuilt from scratch."""
    if not db.exists():
        return {}, "new store"
    if not is_ingested(db):
        raise DataError(f"{db}: exists and is not a qa-insights store; give another --store "
                        "path (an ingest never overwrites other files)")
    con = connect_store(tmpdir, db, read_only=True)
    try:
        version = format_version(con, db)
        if version != FORMAT_VERSION:
            return {}, f"store format version {version} rebuilt as version {FORMAT_VERSION}"
        return stored_units(con), ""
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
    con = connect_store(work, tmp, memory_limit=memory_limit, threads=threads)
    try:
        con.execute(_SCHEMA)
        _create_tables(con)
        _remove_units(con, drop)
        for i, unit in enumerate(validate):
            if i:
                con.close()
                con = connect_store(work, tmp, memory_limit=memory_limit, threads=threads)
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
    con = connect_store(work, tmp)
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









