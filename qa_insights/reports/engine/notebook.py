"""The opening cell every report notebook shares: house style, the store, the context.

Examples
--------
>>> store, ctx = open_report(month="2026-10", data_dir="data_samples")   # doctest: +SKIP
>>> ctx.month                                                             # doctest: +SKIP
'2026-10'
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from qa_insights.data.engine import open_engine
from qa_insights.data.ingested import is_current
from qa_insights.data.protocol import Store
from qa_insights.present import display as qd
from qa_insights.present.plots import use_house_style
from qa_insights.reports.engine.context import ReportContext, resolve_context

__all__ = ["DATA_ENV", "INGESTED_STORE", "default_data_dir", "open_report"]

#: Environment variable naming the data folder a notebook opens when ``data_dir`` is empty.
DATA_ENV = "QA_INSIGHTS_DATA"

#: Where ``make reports`` ingests the data (``$(OUT)/.store.duckdb``, ``OUT=reports``),
#: relative to the folder holding ``data_samples``.
INGESTED_STORE = Path("reports") / ".store.duckdb"


def default_data_dir(start: str | os.PathLike[str] | None = None) -> str:
    """The data for an empty ``data_dir`` parameter: ``$QA_INSIGHTS_DATA`` if set, else the
    nearest ``data_samples`` folder in ``start`` (default: the working folder) or one of its
    parents, so a notebook opened in JupyterLab runs on the bundled sample data. When
    ``make reports`` has ingested that folder into ``reports/.store.duckdb`` beside it and
    nothing changed since, the store is used instead: it opens in about a second, without
    validating again.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     (Path(tmp) / "data_samples").mkdir()
    ...     (Path(tmp) / "a" / "b").mkdir(parents=True)
    ...     found = default_data_dir(Path(tmp) / "a" / "b")
    ...     Path(found) == (Path(tmp) / "data_samples").resolve()
    True
    """
    if os.environ.get(DATA_ENV):
        return os.environ[DATA_ENV]
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        data = folder / "data_samples"
        if data.is_dir():
            store = folder / INGESTED_STORE
            return str(store if is_current(store, data) else data)
    raise FileNotFoundError(f"no data folder given: set data_dir or ${DATA_ENV}, or run "
                            f"from a folder with data_samples/ above it (searched from {here})")


def open_report(*, month: str, data_dir: str, scope: str = "org", scope_value: str = "",
                analyst_mode: bool = False, min_n: int = 30,
                months: Sequence[str] | None = None,
                busiest_if_empty: bool = False) -> tuple[Store, ReportContext]:
    """Set the house style, open the store on ``data_dir`` (the ``months`` window, or every
    month) and resolve the report's context from its parameters; records the month and the
    input fingerprint for the manifest.

    Parameters
    ----------
    month, data_dir, scope, scope_value, analyst_mode, min_n
        The notebook's parameters (see ``notebooks/README.md``); an empty ``data_dir`` is
        :func:`default_data_dir`.
    months
        Months to open the store on (None: all).
    busiest_if_empty
        Passed to :func:`~qa_insights.reports.engine.context.resolve_context`.

    Returns
    -------
    (store, context)
    """
    use_house_style()
    store = open_engine(data_dir or default_data_dir(), months=months)
    ctx = resolve_context(store, month=month, scope=scope, scope_value=scope_value,
                          min_n=min_n, analyst_mode=analyst_mode,
                          busiest_if_empty=busiest_if_empty)
    qd.record("month", ctx.month)
    qd.record("input_fingerprint", store.fingerprint)
    return store, ctx
