"""Opening data, one entry point for every kind of input: an ingested store
(:mod:`qa_insights.data.ingest`), a folder of a team's own exports read through a source
mapping (:mod:`qa_insights.data.mapped_store`), or a contract-shaped folder
(:func:`qa_insights.data.store.open_folder`).

Examples
--------
>>> with open_store("data_samples") as store:                          # doctest: +SKIP
...     store.validation.summary()
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from qa_insights.data.errors import DataError
from qa_insights.data.ingested import open_ingested
from qa_insights.data.mapped_store import open_mapped_store
from qa_insights.data.mapping import find_mapping
from qa_insights.data.store import DuckDBStore, open_folder
from qa_insights.data.store_units import is_ingested

__all__ = ["open_store"]


def open_store(data_dir: str | os.PathLike[str], *, months: Sequence[str] | None = None,
               memory_limit: str | None = None, threads: int | None = None,
               config: str | os.PathLike[str] | bool | None = None) -> DuckDBStore:
    """Open data for analysis: an ingested store as it is (no validation), anything else
    validated into a new store.

    Parameters
    ----------
    data_dir : path
        An ingested store (``qa-insights ingest``), or a folder holding ``audits``
        (required) and optionally ``calibration``, ``volumes``, ``targets``, each as
        ``<table>.csv``, ``<table>.parquet`` or a folder of such files.
    months : sequence of str, optional
        Only these months ('YYYY-MM'): a monthly report passes its trend window (see
        :func:`qa_insights.data.store.open_folder`).
    memory_limit, threads
        DuckDB settings (see :func:`qa_insights.data.store.configure`).
    config : path, optional
        Source mapping file (default ``$QA_INSIGHTS_MAPPING``, else ``qa_insights.yaml``
        in ``data_dir`` if present): the folder holds a team's own exports, read through
        :func:`qa_insights.data.mapped_store.open_mapped_store`. ``False``: read the
        folder as contract-shaped, ignoring any mapping.

    Returns
    -------
    DuckDBStore
        Clean tables in ``store.con``, validation counts in ``store.validation``.

    Raises
    ------
    DataError
        A URL (read by the Spark engine), a missing folder or required table, a missing
        required column, an unreadable file, an empty table, a bad mapping.
    """
    if "://" in str(data_dir):
        raise DataError(f"{data_dir}: DuckDB reads a local data folder; a URL is read by "
                        "the Spark engine (--engine spark) from a clean export "
                        "(qa-insights export)")
    path = Path(data_dir)
    if is_ingested(path):
        return open_ingested(path, months=months, memory_limit=memory_limit, threads=threads)
    if not path.is_dir():
        raise DataError(f"{path}: data folder not found")
    explicit = config if not isinstance(config, bool) else None
    mapping_file = None if config is False else find_mapping(path, explicit)
    if mapping_file is not None:
        return open_mapped_store(path, mapping_file, open_folder, months=months,
                                 memory_limit=memory_limit, threads=threads)
    return open_folder(path, months=months, memory_limit=memory_limit, threads=threads)
