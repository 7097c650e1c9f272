"""Session fixtures of the report tests: one build of the sample data's latest month, and
one build of a hostile copy of the data (HTML-hostile site and queue names, a month with no
audits). Each is built once per test session even under ``pytest -n 2``: the first worker
builds into a folder shared by all workers, under a file lock, and the others reuse it.

Load with ``pytest_plugins = ["tests.fixtures_reports"]`` in a test module (not imported
directly, so pytest can rewrite it once); helpers are in tests/report_helpers.py.
"""

from __future__ import annotations

import fcntl
import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from qa_insights.data.opening import open_store
from qa_insights.reports.engine.build import build
from qa_insights.reports.engine.context import scope_values
from qa_insights.reports.engine.kinds import report_stem
from qa_insights.reports.engine.named import named_scopes
from tests.report_helpers import RCA_LIMIT, ROOT, summary_info, write_hostile_copy


def _has_data(folder: Path) -> bool:
    return folder.is_dir() and any((folder / n).exists()
                                   for n in ("audits.csv", "audits.parquet", "audits"))


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _shared_root(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    root = tmp_path_factory.getbasetemp()
    return root if worker_id == "master" else root.parent


def _once(tmp_path_factory: pytest.TempPathFactory, worker_id: str, name: str,
          make: Callable[[Path], dict[str, Any]]) -> dict[str, Any]:
    """Run ``make(folder)`` once per session across xdist workers; returns its JSON info."""
    folder = _shared_root(tmp_path_factory, worker_id) / name
    with _file_lock(folder.with_name(name + ".lock")):
        done = folder / ".done.json"
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            done.write_text(json.dumps(make(folder)))
    return json.loads(done.read_text())


@pytest.fixture(scope="session")
def sample_data(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The bundled sample data, or a generated copy when data_samples/ is absent."""
    if _has_data(ROOT / "data_samples"):
        return ROOT / "data_samples"

    def make(folder: Path) -> dict[str, Any]:
        from qa_insights.data.sample_data import generate

        generate(folder / "data")
        return {"data": str(folder / "data")}

    return Path(_once(tmp_path_factory, worker_id, "sample-data", make)["data"])


@pytest.fixture(scope="session")
def built_month(tmp_path_factory: pytest.TempPathFactory, worker_id: str,
                sample_data: Path) -> dict[str, Any]:
    """Every report of the latest month of the sample data (RCA for the 2 busiest queues and
    the sites and queues the month's findings name), built once; info with ``out``,
    ``month``, ``data``, ``rca_stems`` and the build summary."""

    def make(folder: Path) -> dict[str, Any]:
        summary = build(data_dir=sample_data, out_dir=folder / "reports", jobs=2,
                        rca_limit=RCA_LIMIT, progress=False)
        with open_store(sample_data) as store:
            queues = scope_values(store, "queue", summary.months[0], by_volume=True)
            named = named_scopes(store, summary.months[0])
        busiest = [report_stem("rca", "queue", q) for q in queues[:RCA_LIMIT]]
        return {**summary_info(summary), "month": summary.months[0], "data": str(sample_data),
                "rca_queues": queues[:RCA_LIMIT],
                "rca_stems": list(dict.fromkeys(
                    busiest + [report_stem("rca", *scope) for scope in named]))}

    return _once(tmp_path_factory, worker_id, "built-month", make)


@pytest.fixture(scope="session")
def hostile_build(tmp_path_factory: pytest.TempPathFactory, worker_id: str,
                  sample_data: Path) -> dict[str, Any]:
    """MQR and the busiest queue's RCA of a hostile data copy, and the MQR of a month whose
    audits were removed (status ``empty``)."""

    def make(folder: Path) -> dict[str, Any]:
        info = write_hostile_copy(sample_data, folder / "data")
        out = folder / "reports"
        first = build(month=info["month"], reports="mqr,rca", rca_limit=1,
                      data_dir=folder / "data", out_dir=out, jobs=2, progress=False)
        second = build(month=info["gap"], reports="mqr", data_dir=folder / "data",
                       out_dir=out, jobs=1, progress=False)
        return {**info, "out": str(out), "data": str(folder / "data"),
                "first": summary_info(first), "second": summary_info(second)}

    return _once(tmp_path_factory, worker_id, "hostile-build", make)


