"""Every report of a build whose data is hostile: names that are HTML, script, spreadsheet
formulas and SQL, planted in every table, built end to end by the ``qa-insights build``
command (a real process).

* Every HTML file the build produces (whatever the notebooks show) renders the text as
  text in headless chromium: a planted ``<script>`` sets no global, a planted
  ``<img onerror>`` fires nothing, no script element, no external request, and no console
  error or uncaught page error at all.
* Every CSV file the build produces: no cell starts with ``= + - @`` (or tab / CR) unless
  it is a plain number.
* A queue named ``x'; DROP TABLE audits; --`` is a value: its RCA report is built, the
  audits table survives, and a scope that is not in the data stops with a ParameterError
  naming the valid values (in :func:`resolve_context` and in a report kernel).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from qa_insights.data.opening import open_store
from qa_insights.reports.engine.context import ParameterError, resolve_context, scope_values
from qa_insights.reports.engine.paths import NOTEBOOKS_DIR
from qa_insights.reports.engine.run import run_task
from qa_insights.reports.engine.tasks import Task
from tests.report_helpers import (
    BROWSER_ARGS,
    HOSTILE_COMMENT,
    HOSTILE_QUEUE,
    HOSTILE_SITE,
    ROOT,
    LoadedPage,
    manifest,
)

pytest_plugins = ["tests.fixtures_reports"]

SQL_QUEUE = "x'; DROP TABLE audits; --"
FORMULA_MARKET = '=HYPERLINK("http://evil","x")'
FORMULA_REASON = "+cmd|' /C calc'!A0"
FORMULA_SITE = "@SUM(1+1)"
PWNED = ("__qa_pwned", "__qa_img", "__qa_queue", "__qa_comment")
N_QUEUES = 2  # queues kept, so the build runs 2 RCA reports
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _write_hostile_data(source: Path, target: Path) -> dict[str, Any]:
    """The sample data with the 3 busiest queues only, hostile names in every table."""
    shutil.copytree(source, target)
    with open_store(source) as store:
        month = store.query("SELECT max(month) AS m FROM audits")["m"].iloc[0]
        queues = scope_values(store, "queue", month, by_volume=True)[:N_QUEUES]
        sites = scope_values(store, "site", month)
    renames = {"queue": {queues[0]: SQL_QUEUE, queues[1]: HOSTILE_QUEUE},
               "site": {sites[0]: HOSTILE_SITE, sites[1]: FORMULA_SITE}}
    for name in ("audits", "calibration", "volumes", "targets"):
        path = target / f"{name}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "queue" in frame:
            frame = frame[frame["queue"].isin(queues)].copy()
        for column, mapping in renames.items():
            if column in frame:
                frame[column] = frame[column].replace(mapping)
        if name == "targets":
            for column, mapping in renames.items():
                hit = frame["scope"] == column
                frame.loc[hit, "scope_value"] = frame.loc[hit, "scope_value"].replace(mapping)
        if name == "audits":
            frame.loc[frame["market"] == frame["market"].iloc[0], "market"] = FORMULA_MARKET
            frame.loc[frame["error_reason"] != "", "error_reason"] = frame.loc[
                frame["error_reason"] != "", "error_reason"].where(
                frame.index[frame["error_reason"] != ""] % 5 != 0, FORMULA_REASON)
            frame.loc[frame.index[:200], "comment"] = HOSTILE_COMMENT
        frame.to_csv(path, index=False)
    with open_store(target) as store:
        n_audits = int(store.query("SELECT count(*) AS n FROM audits")["n"].iloc[0])
    return {"month": month, "queues": [SQL_QUEUE, HOSTILE_QUEUE],
            "n_audits": n_audits}


@pytest.fixture(scope="module")
def hostile_all(tmp_path_factory: pytest.TempPathFactory, sample_data: Path) -> dict[str, Any]:
    """Every report of the hostile data's latest month, built by the CLI in a subprocess."""
    folder = tmp_path_factory.mktemp("hostile-all")
    info = _write_hostile_data(sample_data, folder / "data")
    out = folder / "reports"
    run = subprocess.run(
        [sys.executable, "-m", "qa_insights.cli", "build", "--data", str(folder / "data"),
         "--out", str(out), "--jobs", "2"], capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    return {**info, "out": out, "data": folder / "data", "returncode": run.returncode,
            "stdout": run.stdout, "stderr": run.stderr}


def _report_files(info: dict[str, Any], suffix: str) -> list[Path]:
    return sorted(Path(info["out"]).rglob(f"*{suffix}"))


@pytest.mark.slow
def test_hostile_build_completes_and_table_survives(hostile_all: dict) -> None:
    assert hostile_all["returncode"] == 0, hostile_all["stdout"] + hostile_all["stderr"]
    entries = manifest(hostile_all["out"], hostile_all["month"])["reports"]
    assert {e["status"] for e in entries.values()} == {"ok"}, {
        s: e["error"] for s, e in entries.items() if e["error"]}
    rca = {e["parameters"]["scope_value"] for e in entries.values()
           if e["report"] == "rca" and e["parameters"]["scope"] == "queue"}
    assert rca == set(hostile_all["queues"])
    assert {"mqr", "mbr", "calibration"} <= {e["report"] for e in entries.values()}
    with open_store(hostile_all["data"]) as store:  # the table is intact and complete
        n = int(store.query("SELECT count(*) AS n FROM audits")["n"].iloc[0])
        assert n == hostile_all["n_audits"]
        assert SQL_QUEUE in scope_values(store, "queue")
    by_queue = pd.read_csv(Path(hostile_all["out"]) / hostile_all["month"] / "tables"
                           / "quality_by_queue.csv", dtype=str, keep_default_na=False)
    assert "'" + SQL_QUEUE not in set(by_queue["queue"])  # not a formula: left as it is
    assert SQL_QUEUE in set(by_queue["queue"])


@pytest.mark.slow
def test_every_csv_neutralises_formulas(hostile_all: dict) -> None:
    files = _report_files(hostile_all, ".csv")
    assert len(files) >= 5
    seen_neutralised = 0
    for path in files:
        with open(path, newline="", encoding="utf-8") as fh:
            for row_no, row in enumerate(csv.reader(fh)):
                for cell in row:
                    if _FORMULA.match(cell) and not _NUMBER.match(cell):
                        pytest.fail(f"{path.name} row {row_no}: formula cell {cell!r}")
                    seen_neutralised += cell.startswith(("'=", "'+", "'@"))
    assert seen_neutralised > 0  # the planted names reached the tables, neutralised


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("chromium is not installed")
    with api.sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
        yield b
        b.close()


@pytest.mark.slow
def test_every_html_shows_hostile_text_as_text(hostile_all: dict, browser: Any) -> None:
    pages = _report_files(hostile_all, ".html")
    assert len(pages) >= 3 + N_QUEUES + 1  # reports and the index
    shown = ""
    for path in pages:
        loaded = LoadedPage(browser, path)
        page = loaded.page
        name = path.relative_to(hostile_all["out"])
        assert loaded.errors == [], (name, loaded.errors)  # any console or page error fails
        assert loaded.external == [], (name, loaded.external)
        for flag in PWNED:
            assert page.evaluate(f"typeof window.{flag}") == "undefined", (name, flag)
        assert page.locator("script").count() == 0, name
        assert page.locator("img:not([src^='data:'])").count() == 0, name
        assert page.locator("[onerror], [onload], [onclick]").count() == 0, name
        shown += page.inner_text("body")
        page.close()
    for text in (HOSTILE_SITE, HOSTILE_QUEUE, SQL_QUEUE):
        assert text in shown, text  # shown, as text, somewhere


def test_sql_scope_is_a_value_with_valid_values_named(sample_data: Path) -> None:
    with open_store(sample_data) as store:
        before = int(store.query("SELECT count(*) AS n FROM audits")["n"].iloc[0])
        with pytest.raises(ParameterError) as err:
            resolve_context(store, scope="queue", scope_value=SQL_QUEUE)
        message = str(err.value)
        assert "parameter scope_value" in message and repr(SQL_QUEUE) in message
        assert "valid values: " in message and "'spam'" in message
        after = int(store.query("SELECT count(*) AS n FROM audits")["n"].iloc[0])
        assert after == before > 0
        tables = set(store.query("SELECT table_name FROM information_schema.tables")
                     ["table_name"])
        assert "audits" in tables


@pytest.mark.slow
def test_sql_scope_stops_the_report_kernel_with_the_valid_values(sample_data: Path,
                                                                  tmp_path: Path) -> None:
    """The RCA notebook given a queue that is not in the data: a failed run whose error
    names the parameter and the valid queues, and the data untouched."""
    task = Task(report="rca", stem="rca_x", title="RCA", month="",
                notebook=NOTEBOOKS_DIR / "rca_deep_dive.ipynb",
                parameters={"month": "", "data_dir": str(sample_data), "scope": "queue",
                            "scope_value": SQL_QUEUE, "analyst_mode": False},
                staging=tmp_path / "staging", execution_timeout=120)
    result = run_task(task)
    assert result.status == "failed"
    assert result.error["ename"] == "ParameterError"
    assert "valid values: " in result.error["evalue"] and SQL_QUEUE in result.error["evalue"]
    with open_store(sample_data) as store:
        assert int(store.query("SELECT count(*) AS n FROM audits")["n"].iloc[0]) > 0
