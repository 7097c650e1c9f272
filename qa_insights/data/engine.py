"""Choose the query engine: embedded DuckDB (default) or Apache Spark.

:func:`open_engine` is how the report notebooks open their data. The engine is the
``engine`` argument, else the environment variable ``QA_INSIGHTS_ENGINE`` (which
``qa-insights build --engine`` sets for the report kernels), else ``duckdb``. Both engines
answer the same SQL through ``store.query(sql, params)``.

With Spark, a folder written by :meth:`qa_insights.data.store.DuckDBStore.export_clean`
(``qa-insights export``) is read as it is; any other data folder is first validated by
DuckDB and exported to a temporary folder (convenient on small data; at scale export once).

Examples
--------
>>> engine_name("duckdb")
'duckdb'
>>> with open_engine("data_samples", engine="spark") as store:      # doctest: +SKIP
...     store.query("SELECT count(*) AS n FROM audits")
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from qa_insights.data.opening import open_store
from qa_insights.data.store import CLEAN_MANIFEST

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store
    from qa_insights.data.spark_store import SparkStore

__all__ = ["ENGINES", "ENGINE_ENV", "engine_environment", "engine_name", "is_clean_export",
           "open_engine"]

#: Engines :func:`open_engine` knows.
ENGINES: tuple[str, ...] = ("duckdb", "spark")

#: Environment variable selecting the engine when no argument does.
ENGINE_ENV = "QA_INSIGHTS_ENGINE"


def engine_name(engine: str | None = None) -> str:
    """The engine to use: ``engine``, else ``$QA_INSIGHTS_ENGINE``, else ``duckdb``.

    Raises
    ------
    ValueError
        For a name not in :data:`ENGINES`.

    Examples
    --------
    >>> engine_name("spark")
    'spark'
    """
    name = (engine or os.environ.get(ENGINE_ENV) or "duckdb").strip().lower()
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; valid: {', '.join(ENGINES)}")
    return name


@contextmanager
def engine_environment(engine: str) -> Iterator[None]:
    """Set ``$QA_INSIGHTS_ENGINE`` to ``engine`` for processes started inside the block
    (the report kernels), then restore it.

    Examples
    --------
    >>> with engine_environment("spark"):
    ...     engine_name()
    'spark'
    """
    before = os.environ.get(ENGINE_ENV)
    os.environ[ENGINE_ENV] = engine_name(engine)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENGINE_ENV, None)
        else:
            os.environ[ENGINE_ENV] = before


def is_clean_export(data_dir: str | os.PathLike[str]) -> bool:
    """Whether ``data_dir`` was written by ``export_clean`` (URLs such as ``s3a://`` are
    taken to be clean exports: raw files are validated on local disk).

    Examples
    --------
    >>> is_clean_export("s3a://bucket/qa/clean")
    True
    """
    text = str(data_dir)
    return "://" in text or (Path(text) / CLEAN_MANIFEST).is_file()


def open_engine(data_dir: str | os.PathLike[str], *, months: Sequence[str] | None = None,
                engine: str | None = None, master: str | None = None) -> Store | SparkStore:
    """Open ``data_dir`` on the chosen engine.

    Parameters
    ----------
    data_dir : path or URL
        A data folder (see :func:`qa_insights.data.opening.open_store`) or a clean export.
    months : sequence of str, optional
        Month window ('YYYY-MM'); other months' partitions are not read.
    engine : {"duckdb", "spark"}, optional
        Default: ``$QA_INSIGHTS_ENGINE`` or ``duckdb``.
    master : str, optional
        Spark master URL (default ``$QA_INSIGHTS_SPARK_MASTER`` or ``local[2]``).

    Returns
    -------
    Store or SparkStore
        Either answers ``query(sql, params)``, ``table_present``, ``validation`` and
        ``fingerprint``, and closes as a context manager.

    Examples
    --------
    >>> store = open_engine("data_samples", months=["2026-09", "2026-10"])  # doctest: +SKIP
    """
    if engine_name(engine) == "duckdb":
        return open_store(data_dir, months=months)
    from qa_insights.data.spark_store import open_spark_store

    if is_clean_export(data_dir):
        return open_spark_store(data_dir, months=months, master=master)
    tmpdir = tempfile.TemporaryDirectory(prefix="qa-insights-clean-")
    try:
        with open_store(data_dir, months=months) as store:
            store.export_clean(tmpdir.name)
        spark_store = open_spark_store(tmpdir.name, master=master)
    except BaseException:
        tmpdir.cleanup()
        raise
    spark_store.data_dir = str(data_dir)
    spark_store._tmpdir = tmpdir
    return spark_store
