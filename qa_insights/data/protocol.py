"""The store interface every engine satisfies: what the analysis modules may use.

:class:`~qa_insights.data.store.DuckDBStore` (the default, embedded) and
:class:`~qa_insights.data.spark_store.SparkStore` (a cluster) both satisfy :class:`Store`;
every function that reads data takes a ``Store``, so it runs on either engine. SQL is
written once in DuckDB's dialect with ``?`` parameters (values are never formatted into it).

Examples
--------
>>> from qa_insights.data.opening import open_store
>>> with open_store("data_samples") as store:                           # doctest: +SKIP
...     isinstance(store, Store)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Self, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd

    from qa_insights.data.store import Validation

__all__ = ["Store"]


@runtime_checkable
class Store(Protocol):
    """A validated data store: the clean tables, queried with bound parameters."""

    @property
    def data_dir(self) -> Path | str:
        """The folder (or URL) the data came from."""
        ...

    @property
    def validation(self) -> Validation:
        """Rows read, loaded and quarantined per table."""
        ...

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the input files: what the numbers were computed from."""
        ...

    @property
    def stale(self) -> list[str]:
        """What changed in the source after an ingested store was written (empty when
        up to date, and for data validated on opening)."""
        ...

    def query(self, sql: str, params: Sequence[object] | None = None) -> pd.DataFrame:
        """Run ``sql`` (DuckDB dialect, ``?`` placeholders) with ``params`` bound."""
        ...

    def table_present(self, table: str) -> bool:
        """Whether the data held ``table`` (optional tables may be absent)."""
        ...

    def close(self) -> None:
        """Release the store's resources."""
        ...

    def __enter__(self) -> Self:
        ...

    def __exit__(self, *exc: object) -> None:
        ...
