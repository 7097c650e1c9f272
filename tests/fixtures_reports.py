"""Session fixtures of the report tests: one build of the sample data's latest month, and
one build of a hostile copy of the data (HTML-hostile site and queue names, a month with no
audits). Each is built once per test session even under ``pytest -n 2``: the first worker
builds into a folder shared by all workers, under a file lock, and the others reuse it.

Import with ``from tests.fixtures_reports import ...``.
"""

from __future__ import annotations

import fcntl
import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest

from qa_insights.report_context import months_with_data, scope_values
from qa_insights.reports import build
from qa_insights.store import open_store

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
RCA_LIMIT = 2

#: Planted names: if escaping failed, they would set a global or fire an event.
HOSTILE_SITE = ('<script>window.__qa_pwned = 1</script>Dublin & "Co" '
                '<img src=x onerror="window.__qa_img = 1">')
HOSTILE_QUEUE = "spam<img src=y onerror=\"window.__qa_queue = 1\">'\"&"
HOSTILE_COMMENT = '=HYPERLINK("http://evil")<script>window.__qa_comment = 1</script>'

BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"]


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
        from qa_insights.sample_data import generate

        generate(folder / "data")
        return {"data": str(folder / "data")}

    return Path(_once(tmp_path_factory, worker_id, "sample-data", make)["data"])


def summary_info(summary: Any) -> dict[str, Any]:
    """JSON-able digest of a BuildSummary."""
    return {"out": str(summary.out_dir), "months": summary.months,
            "exit_code": summary.exit_code,
            "results": [{"stem": r.task.stem, "month": r.task.month, "status": r.status,
                         "timings": r.timings, "error": r.error} for r in summary.results],
            "skipped": [t.stem for t in summary.skipped]}


@pytest.fixture(scope="session")
def built_month(tmp_path_factory: pytest.TempPathFactory, worker_id: str,
                sample_data: Path) -> dict[str, Any]:
    """Every report of the latest month of the sample data (RCA for the 2 busiest queues),
    built once; info with ``out``, ``month``, ``data`` and the build summary."""

    def make(folder: Path) -> dict[str, Any]:
        summary = build(data_dir=sample_data, out_dir=folder / "reports", jobs=2,
                        rca_limit=RCA_LIMIT, progress=False)
        with open_store(sample_data) as store:
            queues = scope_values(store, "queue", summary.months[0], by_volume=True)
        return {**summary_info(summary), "month": summary.months[0], "data": str(sample_data),
                "rca_queues": queues[:RCA_LIMIT]}

    return _once(tmp_path_factory, worker_id, "built-month", make)


def write_hostile_copy(source: Path, target: Path) -> dict[str, Any]:
    """Copy the data with HTML-hostile names planted and one month's audits removed."""
    shutil.copytree(source, target)
    audits_path = target / "audits.csv"
    with open_store(source) as store:
        months = months_with_data(store, "audits")
        month, gap = months[-1], months[-2]
        busiest_queue = scope_values(store, "queue", month, by_volume=True)[0]
        site = scope_values(store, "site", month)[0]
    audits = pd.read_csv(audits_path, dtype=str, keep_default_na=False)
    utc_month = pd.to_datetime(audits["audited_at"], utc=True, format="ISO8601").dt.strftime(
        "%Y-%m")
    audits = audits[utc_month != gap].copy()
    audits.loc[audits["site"] == site, "site"] = HOSTILE_SITE
    audits.loc[audits["queue"] == busiest_queue, "queue"] = HOSTILE_QUEUE
    audits.loc[audits.index[:50], "comment"] = HOSTILE_COMMENT
    audits.to_csv(audits_path, index=False)
    return {"month": month, "gap": gap, "renamed_site": site, "renamed_queue": busiest_queue}


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


def manifest(out: str | Path, month: str) -> dict[str, Any]:
    """The month's manifest.json."""
    return json.loads((Path(out) / month / "manifest.json").read_text())


def tiny_notebook(path: Path, body: str, *, heading: str = "Section") -> Path:
    """A fast report notebook (no heavy imports) that declares the engine's parameters and
    runs ``body``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    params = nbformat.v4.new_code_cell(
        'month: str = ""  # month\ndata_dir: str = ""  # data\nscope: str = "org"  # scope\n'
        'scope_value: str = ""  # value\nanalyst_mode: bool = False  # raw ids\n'
        'tables_dir: str = ""  # tables')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_markdown_cell(f"## {heading}"),
                nbformat.v4.new_code_cell(body)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
