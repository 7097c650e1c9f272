"""Read an ingested store: open it read only, without validating anything.

:func:`open_ingested`, which :func:`qa_insights.data.opening.open_store` calls for a store,
gives a :class:`~qa_insights.data.store.DuckDBStore` over the month window's rows, with the
validation counts that validating the window's files gives, and the window's counts cube
(:mod:`qa_insights.data.cube`). It warns (:class:`StaleStoreWarning`) when the source folder
changed after the ingest; :func:`is_current` says so without opening.

Examples
--------
>>> is_current("reports/no-such-store.duckdb", "data_samples")
False
>>> with open_ingested("reports/.store.duckdb", months=["2026-10"]) as store:  # doctest: +SKIP
...     store.query("SELECT count(*) AS n FROM audits")
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import duckdb

from qa_insights.data.columns import DERIVED
from qa_insights.data.contract import TABLES
from qa_insights.data.cube import CUBE_DIMENSIONS, CountsCube
from qa_insights.data.dimensions import Dimension, audit_extras, join_sites
from qa_insights.data.errors import DataError
from qa_insights.data.months import check_month
from qa_insights.data.sql import quote_ident, sql_str
from qa_insights.data.store import (
    DuckDBStore,
    Validation,
    attach_sites,
)
from qa_insights.data.store_units import (
    ALL_FILES,
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
    TableReport,
)

__all__ = [
    "StaleStoreWarning",
    "is_current",
    "open_ingested",
]

class StaleStoreWarning(UserWarning):
    """The source folder of an ingested store changed after the ingest."""


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
            con = connect_store(tmpdir, db, read_only=True)
        except duckdb.Error:  # e.g. being replaced by an ingest right now
            return False
        try:
            rows = con.execute("SELECT value FROM st._store_meta WHERE key = 'source'"
                               ).fetchall()
            return (format_version(con, db) == FORMAT_VERSION and bool(rows)
                    and Path(rows[0][0]) == Path(source).resolve()
                    and not _stale(con, stored_units(con)))
        except (duckdb.Error, DataError):
            return False
        finally:
            con.close()


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
    con = connect_store(tmpdir.name, db, read_only=True, memory_limit=memory_limit,
                   threads=threads)
    try:
        version = format_version(con, db)
        if version != FORMAT_VERSION:
            raise DataError(f"{store}: store format version {version}; this qa-insights "
                            f"reads version {FORMAT_VERSION}: run qa-insights ingest again "
                            "to rebuild it")
        stored = stored_units(con)
        reads = {(t, u): int(n) for t, u, n in con.execute(
            "SELECT tbl, unit, read FROM st._store_units").fetchall()}
        digest = hashlib.sha256()
        for key in sorted(stored):
            digest.update(f"{key[0]}/{key[1]}:{stored[key].fingerprint}\n".encode())
        window = {k: u for k, u in stored.items()
                  if months is None or u.name == ALL_FILES or u.name[6:] in months}
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
