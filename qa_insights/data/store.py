"""Open a data folder, validate it against the contract inside DuckDB, register clean tables.

Every table is read by DuckDB (CSV or Parquet, one file or a folder of files), checked row
by row in SQL, and split into a clean table (``audits``, ``calibration``, ``volumes``,
``targets``) and a quarantine table with the original values and a reason. Nothing is
dropped silently: for every table, rows read (counted from the files) = rows loaded + rows
quarantined + exact duplicates collapsed (+ rows outside a month window).

Examples
--------
>>> from qa_insights.data.opening import open_store
>>> store = open_store("data_samples")                       # doctest: +SKIP
>>> store.con.sql("SELECT month, avg(is_error::INT) FROM audits GROUP BY 1").df()  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Self

import duckdb
import pandas as pd

from qa_insights.data.columns import read_header, repeated_names
from qa_insights.data.contract import TABLES, Table
from qa_insights.data.dimensions import (
    Dimension,
    audit_extras,
    declared_dimensions,
    dimension_record,
    extend_table,
    join_sites,
    missing_site_notes,
    site_dimensions,
)
from qa_insights.data.errors import DataError
from qa_insights.data.months import check_month
from qa_insights.data.sources import (
    find_table_files,
    hidden_entries,
    open_source,
    window_files,
)
from qa_insights.data.sql import sql_str
from qa_insights.data.validation import TableReport, create_empty_table, validate_table

if TYPE_CHECKING:
    from qa_insights.data.cube import CountsCube
    from qa_insights.data.normalise import Normalised

__all__ = [
    "CLEAN_MANIFEST",
    "DEFAULT_MEMORY_LIMIT",
    "MEMORY_LIMIT_ENV",
    "DuckDBStore",
    "Validation",
    "configure",
    "fingerprint_files",
    "open_folder",
]

#: DuckDB memory cap: large inputs spill to a temporary folder instead of growing the process.
#: 1 GB keeps a report kernel near 1.3 GB resident at any data size (several run in
#: parallel); a one-off validation of years of data runs faster with more (docs/scaling.md).
DEFAULT_MEMORY_LIMIT = "1GB"

#: Environment variable overriding :data:`DEFAULT_MEMORY_LIMIT` (e.g. ``8GB``).
MEMORY_LIMIT_ENV = "QA_INSIGHTS_MEMORY_LIMIT"

#: File that marks a folder written by :meth:`Store.export_clean` (validation counts,
#: fingerprint); other engines read the clean tables from such a folder.
CLEAN_MANIFEST = "qa_insights_clean.json"


@dataclass
class Validation:
    """Validation result of a data folder: one :class:`TableReport` per contract table."""

    tables: dict[str, TableReport]

    @property
    def clean(self) -> bool:
        """True when no row was quarantined."""
        return all(t.quarantined_total == 0 for t in self.tables.values())

    def notes(self) -> list[str]:
        """Every table's notes (files lacking columns, ignored hidden folders, implausible
        values), each prefixed by its table name."""
        return [f"{t.table}: {note}" for t in self.tables.values() for note in t.notes]

    def summary(self) -> pd.DataFrame:
        """One row per table and quarantine reason, with read / loaded / duplicate counts
        (and the rows outside the month window, when the store has one).

        Examples
        --------
        >>> v = Validation({"volumes": TableReport("volumes", ["v.csv"], 3, 2, 0, {"x": 1})})
        >>> v.summary()[["table", "read", "loaded", "quarantined"]].to_dict("records")
        [{'table': 'volumes', 'read': 3, 'loaded': 2, 'quarantined': 1}]
        """
        windowed = any(t.outside_window for t in self.tables.values())
        rows = []
        for t in self.tables.values():
            base = {"table": t.table, "present": t.present, "read": t.read,
                    "loaded": t.loaded, "duplicates_collapsed": t.duplicates}
            if windowed:
                base["outside_window"] = t.outside_window
            if not t.quarantined:
                rows.append({**base, "quarantined": 0, "reason": ""})
            for reason, n in sorted(t.quarantined.items()):
                rows.append({**base, "quarantined": n, "reason": reason})
        return pd.DataFrame(rows)


@dataclass
class DuckDBStore:
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
        SHA-256 over the relative paths and contents of the files that were read: with a
        month window over hive partitions, only the window's partitions (so it covers what
        the report read, and a change to another month does not change it). For an
        ingested store, the fingerprint of the whole store.
    columns : dict
        Table -> the column names its files hold (contract and other columns; absent
        tables are left out), for :mod:`qa_insights.data.columns`.
    mapping : Normalised, optional
        When the folder was read through a source mapping: the user's column names and
        the label values no value map named (:mod:`qa_insights.data.normalise`).
    stale : list of str
        For an ingested store, what changed in its source folder after the ingest (empty
        when up to date, and for a raw data folder).
    dimensions : dict
        Name -> :class:`~qa_insights.data.dimensions.Dimension`: the ``sites`` table's
        attributes joined to the audits and the custom dimensions (extra audit columns);
        usable in ``by=`` and ``filters=`` like the contract's.
    counts_cube : CountsCube, optional
        An ingested store's pre-aggregated counts (:mod:`qa_insights.data.cube`), which
        :func:`~qa_insights.data.queries.audit_counts` reads when it holds every
        dimension a query uses; None for a validated folder.
    """

    con: duckdb.DuckDBPyConnection
    data_dir: Path
    validation: Validation
    fingerprint: str
    columns: dict[str, list[str]] = field(default_factory=dict)
    mapping: Normalised | None = None
    _tmpdir: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)
    stale: list[str] = field(default_factory=list)
    dimensions: dict[str, Dimension] = field(default_factory=dict)
    counts_cube: CountsCube | None = None

    def query(self, sql: str, params: Sequence[object] | None = None) -> pd.DataFrame:
        """Run ``sql`` with ``params`` bound (``?`` placeholders) and return the result.

        The one door through which the analysis modules reach the engine, so another
        engine (Spark) can stand in for DuckDB behind the same method.
        """
        return self.con.execute(sql, list(params or [])).df()

    def table_present(self, table: str) -> bool:
        """Whether the data folder held ``table`` (optional tables may be absent)."""
        return self.validation.tables[table].present

    def quarantine(self, table: str) -> pd.DataFrame:
        """Quarantined rows of ``table``: file, row, the original values and the reason."""
        rows: pd.DataFrame = self.con.sql(f"SELECT * FROM quarantine_{TABLES[table].name} "
                                          "ORDER BY _file, _row, reason").df()
        return rows

    def write_quarantine(self, out_dir: str | os.PathLike[str]) -> list[Path]:
        """Write one ``<table>.quarantine.csv`` per table that has quarantined rows.

        Returns the paths written. Cells that a spreadsheet would run as a formula are
        prefixed with a quote (see :func:`qa_insights.data.safe_csv.neutralise_formulas`).
        """
        from qa_insights.data.safe_csv import write_csv

        out = Path(out_dir)
        written = []
        for name, report in self.validation.tables.items():
            if report.quarantined_total:
                out.mkdir(parents=True, exist_ok=True)
                path = out / f"{name}.quarantine.csv"
                write_csv(self.quarantine(name), path)
                written.append(path)
        return written

    def export_clean(self, out_dir: str | os.PathLike[str]) -> Path:
        """Write the clean tables as Parquet for another engine (Spark) or a data lake.

        Layout: ``audits/month=YYYY-MM/*.parquet`` (hive partitions, so a month window
        opens only its months' files), ``calibration.parquet``, ``volumes.parquet``,
        ``targets.parquet`` (tables the data folder held), with the derived audit columns
        ``month``, ``is_error`` and ``error_type``, and :data:`CLEAN_MANIFEST` holding the
        validation counts, input fingerprint, source columns and dimensions (with their
        personal flags). The audits are written as validated, before the join to the
        sites table (the reader joins them again). Existing table files in ``out_dir`` are
        replaced. The folder is itself a valid data folder for :func:`open_store`.

        Returns
        -------
        Path
            ``out_dir``.

        Examples
        --------
        >>> with open_store("data_samples") as store:                  # doctest: +SKIP
        ...     store.export_clean("/lake/qa/clean")
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name in TABLES:
            target = out / name if name == "audits" else out / f"{name}.parquet"
            if target.is_dir():
                shutil.rmtree(target)
            target.unlink(missing_ok=True)
            if not self.table_present(name):
                continue
            options = "FORMAT parquet, COMPRESSION zstd"
            if name == "audits":
                options += ", PARTITION_BY (month)"
            relation = _unjoined(self.con) if name == "audits" else name
            self.con.execute(f"COPY (SELECT * FROM {relation}) TO {sql_str(str(target))} "
                             f"({options})")
        manifest = {"fingerprint": self.fingerprint, "source": str(self.data_dir),
                    "tables": {name: dataclasses.asdict(report)
                               for name, report in self.validation.tables.items()},
                    # the source's columns: the export has every contract column, so a
                    # missing one must stay known as missing (qa_insights.data.columns)
                    "columns": self.columns,
                    # with their personal flags (a mapping's are not in the columns)
                    "dimensions": dimension_record(self.dimensions)}
        (out / CLEAN_MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
        return out

    def close(self) -> None:
        """Close the connection and remove the temporary database."""
        self.con.close()
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def fingerprint_files(data_dir: Path, files: Sequence[Path]) -> str:
    """SHA-256 over the relative path (to ``data_dir``) and bytes of each of ``files``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "a.csv").write_text("x\\n1\\n")
    ...     len(fingerprint_files(Path(tmp), [Path(tmp) / "a.csv"]))
    64
    """
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path.relative_to(data_dir)).encode())
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _recorded(data_dir: Path, key: str) -> object:
    """What a clean export recorded under ``key`` in :data:`CLEAN_MANIFEST`, if anything."""
    try:
        recorded: object = json.loads((data_dir / CLEAN_MANIFEST).read_text()).get(key)
    except (OSError, ValueError, AttributeError):
        return None
    return recorded


def _recorded_columns(data_dir: Path) -> dict[str, list[str]] | None:
    """The source columns a clean export recorded in :data:`CLEAN_MANIFEST`, if any."""
    recorded = _recorded(data_dir, "columns")
    return recorded if isinstance(recorded, dict) and recorded else None


def configure(con: duckdb.DuckDBPyConnection, tmpdir: str, *, memory_limit: str | None = None,
              threads: int | None = None) -> None:
    """Session settings of every store connection: UTC, the memory limit (spilling to
    ``tmpdir/spill`` beyond it), no insertion order, and ``threads`` when given.

    Examples
    --------
    >>> con = duckdb.connect()
    >>> configure(con, tempfile.gettempdir(), memory_limit="512MB", threads=1)
    >>> con.execute("SELECT current_setting('threads')").fetchall()
    [(1,)]
    """
    con.execute("SET TimeZone = 'UTC'")
    limit = memory_limit or os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT
    con.execute(f"SET memory_limit = {sql_str(limit)}")
    con.execute(f"SET temp_directory = {sql_str(os.path.join(tmpdir, 'spill'))}")
    con.execute("SET preserve_insertion_order = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")


def _unjoined(con: duckdb.DuckDBPyConnection) -> str:
    """The audits as validated, before the join to the sites table (what an export keeps)."""
    joined = con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = "
                         "'audits_validated'").fetchall()[0][0]
    return "audits_validated" if joined else "audits"


def attach_sites(con: duckdb.DuckDBPyConnection, report: TableReport,
                 personal: dict[str, bool] | None = None,
                 stage: str | None = None) -> dict[str, Dimension]:
    """Join the clean sites table to the audits (the view ``audits`` becomes the join of
    ``audits_validated`` and ``sites``), note the audited sites it lacks in ``report``,
    and return the site dimensions (none when the data has no sites table)."""
    if not report.present:
        return {}
    kind = con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'audits'"
                       ).fetchall()[0][0]
    con.execute(f"ALTER {'VIEW' if kind else 'TABLE'} audits RENAME TO audits_validated")
    dims = site_dimensions(con, personal=personal)
    join_sites(con, dims)
    report.notes += missing_site_notes(con, stage)
    return dims


def _load_table(con: duckdb.DuckDBPyConnection, table: Table, kind: str | None,
                files: list[Path], months: Sequence[str] | None,
                sites: str | None = None) -> TableReport:
    if kind is None or not files:  # absent, or no partition of the month window
        return create_empty_table(con, table)
    source = open_source(con, table, kind, files)
    report = validate_table(con, source, months, sites=sites)
    # An empty file is an error; an empty month window is an answer ("no audits").
    if report.read == 0 and months is None:
        raise DataError(f"{source.label}: table '{table.name}' is empty: expected at least "
                        "one data row after the header")
    return report


def open_folder(data_dir: str | os.PathLike[str], *, months: Sequence[str] | None = None,
                memory_limit: str | None = None, threads: int | None = None,
                dimensions: dict[str, dict[str, bool]] | None = None) -> DuckDBStore:
    """Validate a contract-shaped data folder into a new store (what
    :func:`qa_insights.data.opening.open_store` does for a raw folder without a source
    mapping).

    Parameters
    ----------
    data_dir : path
        Folder holding ``audits`` (required) and optionally ``calibration``, ``volumes``,
        ``targets``, each as ``<table>.csv``, ``<table>.parquet`` or a folder of such files.
    months : sequence of str, optional
        Only load these months ('YYYY-MM'): a monthly report passes its trend window, so
        its cost depends on the months shown, not the years stored. With hive partitions
        (``audits/month=YYYY-MM/``) other months' files are not opened, counted or
        fingerprinted (a corrupt file of another month does not stop the report).
        ``validation`` then counts the files read; rows of those files outside the window
        are counted as ``outside_window``. A partitioned table with no partition in the
        window is empty and reported as absent.
    memory_limit : str, optional
        DuckDB memory limit; beyond it DuckDB spills to a temporary folder. Default
        ``$QA_INSIGHTS_MEMORY_LIMIT``, else :data:`DEFAULT_MEMORY_LIMIT`.
    threads : int, optional
        DuckDB worker threads (default: all cores).
    dimensions : dict, optional
        Table (``audits``, ``sites``) -> extra column -> personal: the custom dimensions a
        source mapping declares, besides every extra column of those tables whose name is
        a plain identifier (:func:`qa_insights.data.dimensions.audit_extras`).

    Returns
    -------
    DuckDBStore
        Clean tables in ``store.con``, validation counts in ``store.validation``, the
        dimensions beyond the contract in ``store.dimensions``.

    Raises
    ------
    DataError
        Missing folder or required table, missing required column, unreadable file, empty
        table, a header whose names differ from the contract only by case or spaces.

    Examples
    --------
    >>> with open_folder("data_samples") as store:                    # doctest: +SKIP
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
    if months is not None:
        months = [check_month(m, "months") for m in months]
        found = {name: (kind, window_files(files, months))
                 for name, (kind, files) in found.items()}
    headers = _recorded_columns(data_dir) or {name: read_header(kind, files)
                                              for name, (kind, files) in found.items() if files}
    declared = dimensions or declared_dimensions(_recorded(data_dir, "dimensions")) or {}
    extras = {name: {k: v for k, v in audit_extras(name, headers.get(name, []),
                                                   declared.get(name)).items()
                     if k not in repeated_names(*found[name])}
              for name in ("audits", "sites")}
    tables = {name: extend_table(table, extras.get(name, {})) for name, table in TABLES.items()}
    has_sites = bool(found["sites"][1])
    if has_sites:  # the site's type may come from the sites table
        tables["audits"] = dataclasses.replace(tables["audits"], columns=tuple(
            dataclasses.replace(c, required=False) if c.name == "site_type" else c
            for c in tables["audits"].columns))
    tmpdir = tempfile.TemporaryDirectory(prefix="qa-insights-")
    con = duckdb.connect(os.path.join(tmpdir.name, "store.duckdb"))
    try:
        configure(con, tmpdir.name, memory_limit=memory_limit, threads=threads)
        order = sorted(TABLES, key=lambda name: name != "sites")  # sites before audits
        reports = {name: _load_table(con, tables[name], *found[name], months,
                                     sites="sites" if has_sites and name == "audits" else None)
                   for name in order}
        reports = {name: reports[name] for name in TABLES}
        dims = {name: Dimension(name, "audits", tables["audits"].column(name).personal)
                for name in extras["audits"]}
        audited = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = "
                              "'stage_audits'").fetchall()[0][0]
        dims.update(attach_sites(con, reports["sites"], extras["sites"],
                                 "stage_audits" if audited else None))
    except BaseException:
        con.close()
        tmpdir.cleanup()
        raise
    read_files = [p for _, files in found.values() for p in files]
    for name, report in reports.items():
        report.notes += [f"{path}: hidden, ignored (not read as data)"
                         for path in hidden_entries(data_dir, name)]
        report.files = [str(Path(f).relative_to(data_dir)) for f in report.files]
    return DuckDBStore(con=con, data_dir=data_dir, validation=Validation(reports),
                       fingerprint=fingerprint_files(data_dir, read_files),
                       columns=headers, _tmpdir=tmpdir, dimensions=dims)
