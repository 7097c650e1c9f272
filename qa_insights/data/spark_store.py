"""Apache Spark behind the same ``query()`` as the DuckDB store.

A :class:`SparkStore` registers the clean tables as Spark views from a folder written
by :meth:`qa_insights.data.store.DuckDBStore.export_clean` (local disk, HDFS or ``s3a://``) and runs
the analysis modules' SQL unchanged: the text is written once in DuckDB's dialect,
transpiled by sqlglot (``read="duckdb", write="spark"``) and run with its values bound as
positional parameters (``spark.sql(text, args=[...])``), never formatted into the text.

The master URL comes from the ``master`` argument, else the environment variable
``QA_INSIGHTS_SPARK_MASTER``, else ``local[2]``. One SparkSession serves the process;
each store works in its own child session (``newSession``), so two stores' views do not
clash.

As in the DuckDB store, the view ``audits`` is the clean audits left-joined to the
``sites`` table by ``site`` (when the data has one), so ``vendor``, ``region`` and every
other site attribute are dimensions (``store.dimensions``), and the custom dimensions
(extra audit columns) are kept, with the personal flags the export recorded.

Examples
--------
>>> with open_spark_store("/lake/qa/clean", months=["2026-10"]) as store:  # doctest: +SKIP
...     store.query("SELECT site, count(*) AS n FROM audits WHERE queue = ? GROUP BY site",
...                 ["spam"])
>>> to_spark_sql("SELECT strftime(session_date, '%Y-%m') AS m FROM calibration")
"SELECT DATE_FORMAT(session_date, 'yyyy-MM') AS m FROM calibration"
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import pandas as pd
import pyarrow as pa

from qa_insights.data.contract import TABLES, Table
from qa_insights.data.dimensions import (
    Dimension,
    audit_extras,
    check_site_attributes,
    declared_dimensions,
    extend_table,
    looks_personal,
)
from qa_insights.data.store import CLEAN_MANIFEST, Validation
from qa_insights.data.validation import TableReport

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkFrame
    from pyspark.sql import SparkSession

__all__ = ["DEFAULT_SPARK_MASTER", "SPARK_MASTER_ENV", "SparkStore", "open_spark_store",
           "spark_session", "to_spark_sql"]

#: Environment variable naming the Spark master URL (``spark://host:7077``, ``yarn``, ...).
SPARK_MASTER_ENV = "QA_INSIGHTS_SPARK_MASTER"

#: Master used when neither the caller nor the environment names one.
DEFAULT_SPARK_MASTER = "local[2]"

_SPARK_TYPES = {"string": "STRING", "month": "STRING", "timestamp": "TIMESTAMP",
                "date": "DATE", "integer": "BIGINT", "number": "DOUBLE"}

#: View of the audits as validated, before the join to the sites table.
_VALIDATED = "audits_validated"

#: Columns derived at validation time (see :mod:`qa_insights.data.validation`), per table.
_DERIVED = {"audits": (("month", "STRING"), ("is_error", "BOOLEAN"),
                       ("error_type", "STRING"))}


def _exact_percentile(node: Any) -> Any:
    """``PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x)`` as Spark's exact, interpolating
    ``PERCENTILE(x, p)`` (sqlglot writes ``PERCENTILE_APPROX``, which is not the same)."""
    from sqlglot import exp

    if isinstance(node, exp.WithinGroup) and isinstance(node.this, exp.PercentileCont):
        (order,) = node.expression.expressions
        if order.args.get("desc"):
            raise ValueError("PERCENTILE_CONT with a descending order: use 1 - p instead")
        return exp.Anonymous(this="PERCENTILE", expressions=[order.this, node.this.this])
    return node


@functools.lru_cache(maxsize=1024)
def to_spark_sql(sql: str) -> str:
    """The Spark SQL text of a query written in DuckDB's dialect (sqlglot, cached).

    Null ordering is made explicit (DuckDB sorts NULL last, Spark first) and continuous
    percentiles stay exact.

    Examples
    --------
    >>> to_spark_sql("SELECT CAST(x AS VARCHAR) FROM t WHERE y IN (?, ?) ORDER BY x")
    'SELECT CAST(x AS STRING) FROM t WHERE y IN (?, ?) ORDER BY x NULLS LAST'
    >>> to_spark_sql("SELECT PERCENTILE_CONT(?) WITHIN GROUP (ORDER BY h) FROM a")
    'SELECT PERCENTILE(h, ?) FROM a'
    """
    import sqlglot

    tree = sqlglot.parse_one(sql, read="duckdb").transform(_exact_percentile)
    spark_sql: str = tree.sql(dialect="spark")
    return spark_sql


def spark_session(master: str | None = None) -> SparkSession:
    """The process's SparkSession (created on first use), in UTC.

    Parameters
    ----------
    master : str, optional
        Master URL; default ``$QA_INSIGHTS_SPARK_MASTER`` or ``local[2]``. Ignored when a
        session already runs (Spark keeps one per process).

    Examples
    --------
    >>> spark = spark_session("local[2]")                             # doctest: +SKIP
    """
    from pyspark.sql import SparkSession

    master = master or os.environ.get(SPARK_MASTER_ENV) or DEFAULT_SPARK_MASTER
    builder = (SparkSession.builder.master(master).appName("qa-insights")
               .config("spark.sql.session.timeZone", "UTC")
               # Partition folders month=2026-10 stay strings (not guessed as dates).
               .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false"))
    if master.startswith("local"):
        # The aggregates are small: a few shuffle partitions, no web UI on one machine.
        builder = (builder.config("spark.sql.shuffle.partitions", "4")
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false"))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _plain(value: object) -> object:
    """A parameter as a plain Python value (NumPy scalars from pandas frames included)."""
    return value.item() if isinstance(value, np.generic) else value


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    """A pandas frame typed as DuckDB's ``.df()`` types it: DECIMAL as float64, dates and
    timestamps as naive datetime64 (UTC)."""
    fields = []
    for f in table.schema:
        if pa.types.is_decimal(f.type):
            f = f.with_type(pa.float64())
        elif pa.types.is_timestamp(f.type) and f.type.tz is not None:
            f = f.with_type(pa.timestamp(f.type.unit))
        fields.append(f)
    frame: pd.DataFrame = table.cast(pa.schema(fields)).to_pandas(date_as_object=False)
    return frame


@dataclass
class SparkStore:
    """Clean tables as Spark views, with the Store protocol (:class:`qa_insights.data.protocol.Store`) surface the
    analysis modules use (``query``, ``table_present``, ``validation``, ``fingerprint``).

    Attributes
    ----------
    spark : SparkSession
        This store's session (its own temporary views).
    data_dir : str
        The clean folder (or the raw folder it was validated from).
    validation : Validation
        Counts of the validation that wrote the clean folder.
    fingerprint : str
        SHA-256 of the original input files.
    columns : dict
        Table -> the columns the original input held (recorded by the export), so a
        missing optional column stays "not available" (:mod:`qa_insights.data.columns`).
    dimensions : dict
        Name -> :class:`~qa_insights.data.dimensions.Dimension`: the sites table's
        attributes joined to the audits and the custom dimensions, as in
        :class:`~qa_insights.data.store.DuckDBStore`.
    """

    spark: SparkSession
    data_dir: str
    validation: Validation
    fingerprint: str
    columns: dict[str, list[str]] = field(default_factory=dict)
    _tmpdir: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)
    stale: list[str] = field(default_factory=list)
    dimensions: dict[str, Dimension] = field(default_factory=dict)

    def query(self, sql: str, params: Sequence[object] | None = None) -> pd.DataFrame:
        """Run ``sql`` (DuckDB dialect, ``?`` placeholders) on Spark with ``params`` bound.

        Examples
        --------
        >>> store.query("SELECT count(*) AS n FROM audits WHERE month = ?", ["2026-10"])  # doctest: +SKIP
        """
        args = [_plain(p) for p in params] if params else None
        return _to_pandas(self.spark.sql(to_spark_sql(sql), args=args).toArrow())

    def table_present(self, table: str) -> bool:
        """Whether the data folder held ``table`` (optional tables may be absent)."""
        return self.validation.tables[table].present

    def close(self) -> None:
        """Drop this store's views and remove its temporary folder (the shared Spark
        session keeps running for other stores)."""
        for name in (*TABLES, _VALIDATED):
            self.spark.catalog.dropTempView(name)
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _join(base: str, name: str) -> str:
    return base.rstrip("/") + "/" + name


def _empty(spark: SparkSession, table: Table) -> SparkFrame:
    cols = [(c.name, _SPARK_TYPES[c.type]) for c in table.columns]
    cols += list(_DERIVED.get(table.name, ()))
    return spark.createDataFrame([], ", ".join(f"`{n}` {t}" for n, t in cols))


def _view(spark: SparkSession, table: Table, path: str,
          months: list[str] | None) -> SparkFrame:
    """The clean table read from Parquet, columns in contract order with contract types,
    restricted to ``months`` (a filter on the partition column prunes whole folders)."""
    from pyspark.sql import functions as F

    frame = spark.read.parquet(path)
    cols = [(c.name, _SPARK_TYPES[c.type]) for c in table.columns]
    cols += list(_DERIVED.get(table.name, ()))
    frame = frame.select(*[F.col(n).cast(t).alias(n) for n, t in cols])
    dated = {"calibration": "session_date", "events": "date"}.get(table.name)
    if months is not None and (dated or "month" in dict(cols)):  # sites, projects...: no month
        month = F.date_format(dated, "yyyy-MM") if dated else F.col("month")
        frame = frame.where(month.isin(months))
    return frame


def _extras(manifest: dict[str, Any]) -> dict[str, dict[str, bool]]:
    """Table (``audits``, ``sites``) -> its extra columns kept as dimensions -> personal:
    as the export recorded them, else (an older export) as the DuckDB store finds them
    in the recorded source columns (:func:`~qa_insights.data.dimensions.audit_extras`)."""
    declared = declared_dimensions(manifest.get("dimensions"))
    if declared is not None:
        return declared
    columns = manifest.get("columns") or {}
    return {name: audit_extras(name, columns.get(name, [])) for name in ("audits", "sites")}


def _site_dimensions(sites: SparkFrame, personal: dict[str, bool]) -> dict[str, Dimension]:
    """What :func:`qa_insights.data.dimensions.site_dimensions` gives on DuckDB."""
    return {c: Dimension(c, "sites", personal.get(c, looks_personal(c)))
            for c in sites.columns if c not in ("site", "site_type")}


def _join_sites(audits: SparkFrame, sites: SparkFrame,
                dimensions: dict[str, Dimension]) -> SparkFrame:
    """What :func:`qa_insights.data.dimensions.join_sites` defines on DuckDB: the audits
    left-joined to the sites by ``site``, ``site_type`` from the audits or else the sites
    table, every site attribute a column after the audits'."""
    from pyspark.sql import functions as F

    check_site_attributes(audits.columns, dimensions)
    a, s = audits.alias("a"), sites.alias("s")
    columns = [F.coalesce(F.col("a.site_type"), F.col("s.site_type")).alias("site_type")
               if c == "site_type" else F.col(f"a.`{c}`") for c in audits.columns]
    columns += [F.col(f"s.`{name}`") for name in dimensions]
    return a.join(s, F.col("a.site") == F.col("s.site"), "left").select(*columns)


def open_spark_store(clean_dir: str | os.PathLike[str], *, months: Sequence[str] | None = None,
                     master: str | None = None) -> SparkStore:
    """Open a folder written by :meth:`qa_insights.data.store.DuckDBStore.export_clean` on Spark.

    Parameters
    ----------
    clean_dir : path or URL
        Local folder, ``hdfs://`` or ``s3a://`` URL holding :data:`CLEAN_MANIFEST`.
    months : sequence of str, optional
        Only these months ('YYYY-MM'); audits of other months are pruned by partition.
    master : str, optional
        Spark master URL (see :func:`spark_session`).

    Returns
    -------
    SparkStore

    Examples
    --------
    >>> store = open_spark_store("s3a://bucket/qa/clean", master="spark://head:7077")  # doctest: +SKIP
    """
    base = str(clean_dir)
    spark = spark_session(master).newSession()
    text = spark.read.text(_join(base, CLEAN_MANIFEST), wholetext=True).collect()[0][0]
    manifest: dict[str, Any] = json.loads(text)
    validation = Validation({name: TableReport(**report)
                             for name, report in manifest["tables"].items()})
    window = None if months is None else [str(m) for m in months]
    extras = _extras(manifest)
    frames = {}
    for name, table in TABLES.items():
        table = extend_table(table, extras.get(name, {}))
        if validation.tables[name].present:
            path = _join(base, "audits" if name == "audits" else f"{name}.parquet")
            frames[name] = _view(spark, table, path, window)
        else:
            frames[name] = _empty(spark, table)
    dimensions = {name: Dimension(name, "audits", personal)
                  for name, personal in extras.get("audits", {}).items()}
    if validation.tables["sites"].present:
        sites = _site_dimensions(frames["sites"], extras.get("sites", {}))
        frames[_VALIDATED] = frames["audits"]
        frames["audits"] = _join_sites(frames["audits"], frames["sites"], sites)
        dimensions.update(sites)
    for name, frame in frames.items():
        frame.createOrReplaceTempView(name)
    return SparkStore(spark=spark, data_dir=base, validation=validation,
                      fingerprint=manifest["fingerprint"],
                      columns=manifest.get("columns") or {}, dimensions=dimensions)
