"""Tests of the report engine (qa_insights.reports.engine.build and its helpers): validation before any
kernel starts, the published files and manifest, CSV tables equal to the library's numbers,
incremental skips, failure isolation with the previous good HTML kept, the lock, and the
index. Slow tests share one session build (tests/fixtures_reports.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from qa_insights import cli
from qa_insights.data.opening import open_store
from qa_insights.present.display import pp, read_records
from qa_insights.quality.metrics import quality_summary
from qa_insights.rca.change import explain_change
from qa_insights.rca.drivers import driver_cells, logistic_drivers
from qa_insights.reports.engine.build import BuildError, build, validate_parameters
from qa_insights.reports.engine.index import index_html
from qa_insights.reports.engine.kinds import REPORTS, ReportSpec
from qa_insights.reports.engine.paths import NOTEBOOKS_DIR
from qa_insights.reports.engine.publish import BuildLock
from qa_insights.reports.engine.tables import QUALITY_COLUMNS, slugify
from qa_insights.reports.sections import in_natural_order
from tests.report_helpers import manifest, tiny_notebook

pytest_plugins = ["tests.fixtures_reports"]

MANIFEST_KEYS = {"report", "title", "status", "html", "notebook", "tables", "parameters",
                 "input_fingerprint", "notebook_sha256", "code_sha256", "build_key",
                 "versions", "git_commit", "engine", "pseudonym_key_fingerprint", "started_at",
                 "finished_at", "duration_s",
                 "timings", "error", "warnings"}


# --------------------------------------------------------------------------- fast: validation

def test_build_processes_skip_the_slow_iri_checker_and_still_validate_notebooks() -> None:
    # jsonschema#1428: rfc3987_syntax builds Lark parsers at import. The build command and
    # its workers mark it absent; notebooks still read and validate.
    import subprocess
    import sys

    code = ("from qa_insights.reports.engine.run import skip_slow_iri_checker\n"
            "skip_slow_iri_checker()\n"
            "import sys, nbformat, jsonschema._format as f\n"
            f"nb = nbformat.read({str(NOTEBOOKS_DIR / 'monthly_quality_report.ipynb')!r}, 4)\n"
            "nbformat.validate(nb)\n"
            "print(sys.modules['rfc3987_syntax'], 'iri' in f.draft7_format_checker.checkers)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["None", "False"]


def test_build_key_and_manifest_context_record_the_engine() -> None:
    from types import SimpleNamespace

    from qa_insights.reports.engine.publish import build_context, build_key

    notebook = NOTEBOOKS_DIR / "monthly_quality_report.ipynb"
    task = SimpleNamespace(notebook=notebook, title="MQR",
                           parameters={"month": "2026-10", "data_dir": "x"})
    duck = build_context("f" * 64, [notebook])
    spark = build_context("f" * 64, [notebook], engine="spark")
    assert (duck.engine, spark.engine) == ("duckdb", "spark")
    assert build_key(task, duck) == build_key(task, build_context("f" * 64, [notebook]))
    assert build_key(task, duck) != build_key(task, spark)


def test_unknown_parameter_is_refused_before_running() -> None:
    with pytest.raises(BuildError, match=r"unknown parameter 'mnth'.*month: str"):
        validate_parameters(NOTEBOOKS_DIR / "monthly_quality_report.ipynb", {"mnth": "2026-10"})


def test_parameter_of_wrong_type_is_refused() -> None:
    with pytest.raises(BuildError, match="'analyst_mode' expects bool"):
        validate_parameters(NOTEBOOKS_DIR / "monthly_quality_report.ipynb",
                            {"analyst_mode": "yes"})


def test_every_report_notebook_declares_the_engine_parameters() -> None:
    from qa_insights.reports.engine.build import ENGINE_PARAMETERS

    for spec in REPORTS.values():
        validate_parameters(NOTEBOOKS_DIR / spec.notebook,
                            {name: ("" if name != "analyst_mode" else False)
                             for name in ENGINE_PARAMETERS})


def test_unknown_month_exits_2_listing_valid_months(sample_data: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["build", "--month", "1999-01", "--data", str(sample_data),
                     "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "1999-01" in err and "months with audits" in err
    with open_store(sample_data) as store:
        latest = store.con.execute("SELECT max(month) FROM audits").fetchone()[0]
    assert latest in err
    assert not (tmp_path / "out" / "1999-01").exists()


@pytest.mark.parametrize("argv, message", [
    (["--month", "2026-13"], "not a month YYYY-MM"),
    (["--reports", "mqr,nope"], "unknown report 'nope'"),
    (["--month", "2026-10", "--all-months"], "either --month or --all-months"),
    (["--jobs", "0"], "--jobs must be at least 1"),
])
def test_usage_errors_exit_2(sample_data: Path, tmp_path: Path, argv: list[str], message: str,
                             capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["build", "--data", str(sample_data), "--out", str(tmp_path), *argv])
    assert code == 2
    assert message in capsys.readouterr().err


def test_bad_data_folder_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["build", "--data", str(tmp_path / "missing"), "--out", str(tmp_path)])
    assert code == 2
    assert "data folder not found" in capsys.readouterr().err


def test_second_build_on_a_locked_folder_stops(sample_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with BuildLock(out), pytest.raises(BuildError, match="another build is writing"):
        build(data_dir=sample_data, out_dir=out, reports="mqr", progress=False)
    with BuildLock(out):  # released: can be taken again
        pass


def test_slugs_are_file_safe_and_distinct() -> None:
    names = ["hate_speech", "Hate Speech", "a/../b", "<script>", "hate speech"]
    slugs = [slugify(n) for n in names]
    assert slugs[0] == "hate_speech"
    assert len(set(slugs)) == len(slugs)
    assert all(set(s) <= set("abcdefghijklmnopqrstuvwxyz0123456789_-") for s in slugs)


def test_index_escapes_everything() -> None:
    hostile = '<script>alert(1)</script>"'
    page = index_html({"2026-10": {"reports": {"x": {
        "report": "rca", "title": f"RCA: {hostile}", "status": "failed",
        "html": None, "error_link": "rca_x.failed.html#papermill-error-cell",
        "error": {"ename": "ValueError", "evalue": hostile}}}}})
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;" in page
    assert 'href="2026-10/rca_x.failed.html#papermill-error-cell"' in page


# --------------------------------------------------------------------------- slow: the build

@pytest.mark.slow
def test_build_publishes_every_report(built_month: dict) -> None:
    out, month = Path(built_month["out"]), built_month["month"]
    assert built_month["exit_code"] == 0
    stems = {"monthly_quality_report", "monthly_business_review", "calibration_report",
             "target_planning", "experiment_readout"}
    stems |= {f"rca_{slugify(q)}" for q in built_month["rca_queues"]}
    stems |= set(built_month["rca_stems"])  # and the deep dives the findings point to
    assert {r["stem"] for r in built_month["results"]} == stems
    for stem in stems:
        assert (out / month / f"{stem}.html").is_file()
        nb = nbformat.read(out / month / f"{stem}.ipynb", as_version=4)
        assert not nb.metadata.papermill.get("exception")
    assert (out / "index.html").is_file()
    assert not (out / month / ".staging").exists()
    assert not list((out / month).glob("*.failed.*"))


@pytest.mark.slow
def test_manifest_is_complete(built_month: dict) -> None:
    data = manifest(built_month["out"], built_month["month"])
    assert data["month"] == built_month["month"]
    with open_store(built_month["data"]) as store:
        fingerprint = store.fingerprint
    for stem, entry in data["reports"].items():
        assert set(entry) >= MANIFEST_KEYS, stem
        assert entry["status"] == "ok"
        assert entry["error"] is None
        assert entry["input_fingerprint"] == fingerprint
        assert entry["parameters"]["month"] == built_month["month"]
        assert len(entry["notebook_sha256"]) == 64 and len(entry["build_key"]) == 64
        assert {"python", "pandas", "papermill", "nbconvert"} <= set(entry["versions"])
        assert entry["duration_s"] > 0 and entry["timings"]["execute_s"] > 0
        assert not entry["warnings"], entry["warnings"]
    assert data["reports"]["rca_" + slugify(built_month["rca_queues"][0])]["parameters"][
        "scope"] == "queue"


@pytest.mark.slow
@pytest.mark.parametrize("dimension", ["site", "queue"])
def test_quality_tables_equal_the_library(built_month: dict, dimension: str) -> None:
    out, month = Path(built_month["out"]), built_month["month"]
    csv = pd.read_csv(out / month / "tables" / f"quality_by_{dimension}.csv")
    assert list(csv.columns) == [dimension, *QUALITY_COLUMNS]
    with open_store(built_month["data"]) as store:
        expected = quality_summary(store, dimension, filters={"month": month})[[dimension, *QUALITY_COLUMNS]]
    pd.testing.assert_frame_equal(csv.sort_values(dimension).reset_index(drop=True),
                                  expected.sort_values(dimension).reset_index(drop=True),
                                  check_dtype=False, rtol=1e-10)
    entry = manifest(out, month)["reports"]["monthly_quality_report"]
    assert f"tables/quality_by_{dimension}.csv" in entry["tables"]


@pytest.mark.slow
def test_error_rate_drivers_table_is_the_site_queue_decomposition(built_month: dict) -> None:
    out, month = Path(built_month["out"]), built_month["month"]
    csv = pd.read_csv(out / month / "tables" / "error_rate_drivers.csv")
    assert list(csv.columns[:5]) == ["site", "queue", "mix_effect", "rate_effect",
                                     "total_effect"]
    with open_store(built_month["data"]) as store:
        expected = explain_change(store, month, by=["site", "queue"])
    assert list(zip(csv.site, csv.queue)) == list(zip(expected.site, expected.queue))
    for column in ("mix_effect", "rate_effect", "total_effect"):
        np.testing.assert_allclose(csv[column], expected[column], rtol=1e-9, atol=1e-12)
    assert (csv.total_effect.abs().diff().dropna() <= 1e-12).all()  # sorted by |total|
    html = (out / month / "monthly_quality_report.html").read_text()
    top = expected.iloc[0]
    assert pp(top.total_effect) in html  # one decimal, true minus, "pp"


@pytest.mark.slow
def test_error_odds_ratio_table_equals_the_library(built_month: dict) -> None:
    out, month = Path(built_month["out"]), built_month["month"]
    csv = pd.read_csv(out / month / "tables" / "error_odds_ratios.csv")
    drivers = ["tenure_band", "site_type", "queue", "handle_time_band"]  # as in the MQR
    with open_store(built_month["data"]) as store:
        # The report lists tenure and handle-time bands in their natural order.
        expected = in_natural_order(logistic_drivers(driver_cells(store, drivers, filters={"month": month}),
                                                     drivers, min_audits=30))
    assert len(csv) == len(expected) > 0
    assert list(csv.level.astype(str)) == list(expected.level.astype(str))
    np.testing.assert_allclose(csv.odds_ratio, expected.odds_ratio, rtol=1e-9)
    np.testing.assert_array_equal(csv.n_audits, expected.n_audits)


@pytest.mark.slow
def test_recorded_numbers_equal_the_library(built_month: dict) -> None:
    out, month = Path(built_month["out"]), built_month["month"]
    records = read_records(out / month / "monthly_quality_report.ipynb")
    with open_store(built_month["data"]) as store:
        overall = quality_summary(store, filters={"month": month}).iloc[0]
        assert records["input_fingerprint"] == store.fingerprint
    assert records["month"] == month
    assert records["overall"][0]["accuracy"] == pytest.approx(overall.accuracy, rel=1e-12)
    assert records["overall"][0]["n_audits"] == overall.n_audits


@pytest.mark.slow
def test_second_build_with_nothing_changed_is_skipped(built_month: dict) -> None:
    out = Path(built_month["out"])
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.html")}
    summary = build(data_dir=built_month["data"], out_dir=out, jobs=2, rca_limit=2,
                    progress=False)
    assert summary.results == []
    assert len(summary.skipped) == len(built_month["results"])
    assert summary.exit_code == 0
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*.html") if p.name != "index.html"}
    assert all(after[p] == before[p] for p in after)


@pytest.mark.slow
def test_month_without_audits_gives_an_empty_report(hostile_build: dict) -> None:
    out, gap = Path(hostile_build["out"]), hostile_build["gap"]
    assert hostile_build["second"]["exit_code"] == 0
    entry = manifest(out, gap)["reports"]["monthly_quality_report"]
    assert entry["status"] == "empty"
    page = (out / gap / "monthly_quality_report.html").read_text()
    assert f"No audits in {gap} for the whole organisation." in page
    assert "Traceback" not in page and "NoDataForReport" not in page
    assert "Quality by site" not in page  # nothing after the stop


@pytest.mark.slow
def test_hostile_names_stay_text_in_files(hostile_build: dict) -> None:
    out, month = Path(hostile_build["out"]), hostile_build["month"]
    entries = manifest(out, month)["reports"]
    assert {e["status"] for e in entries.values()} == {"ok"}
    rca = [s for s in entries if s.startswith("rca_")]
    assert rca and all(set(stem) <= set("abcdefghijklmnopqrstuvwxyz0123456789_-")
                       for stem in rca)
    for path in (out / month).glob("*.html"):
        page = path.read_text()
        for tag in ("<script>window", "<img src=x", "<img src=y"):
            assert tag not in page, (path.name, tag)
    csv = pd.read_csv(out / month / "tables" / "quality_by_site.csv")
    assert csv["site"].str.contains("<script>", regex=False).any()  # kept as data
    index = (out / "index.html").read_text()
    assert "<img src=y" not in index and "&lt;img src=y" in index


@pytest.mark.slow
def test_failing_report_is_isolated_and_previous_html_kept(sample_data: Path,
                                                           tmp_path: Path) -> None:
    notebooks, out = tmp_path / "notebooks", tmp_path / "out"
    tiny_notebook(notebooks / "good.ipynb",
                  "from qa_insights.present.display import record\nrecord('answer', 42)\n"
                  "print('good')")
    flaky = tiny_notebook(notebooks / "flaky.ipynb", "print('version 1')")
    registry = {"good": ReportSpec("good", "good.ipynb", "Good report"),
                "flaky": ReportSpec("flaky", "flaky.ipynb", "Flaky report")}
    first = build(data_dir=sample_data, out_dir=out, registry=registry, jobs=2,
                  progress=False, notebooks_dir=notebooks)
    assert first.exit_code == 0
    month = first.months[0]
    good_html = (out / month / "flaky.html").read_text()
    assert "version 1" in good_html

    tiny_notebook(flaky, "x = 1\nraise ValueError('planted failure')")
    second = build(data_dir=sample_data, out_dir=out, registry=registry, jobs=2,
                   progress=False, notebooks_dir=notebooks, force=True)
    assert second.exit_code == 1
    status = {r.task.stem: r.status for r in second.results}
    assert status == {"good": "ok", "flaky": "failed"}
    assert (out / month / "flaky.html").read_text() == good_html
    entry = manifest(out, month)["reports"]["flaky"]
    assert entry["status"] == "failed"
    assert entry["error"]["ename"] == "ValueError"
    assert "planted failure" in entry["error"]["evalue"]
    assert entry["html"] == "flaky.html" and entry["last_good_at"]
    assert entry["error_link"] == "flaky.failed.html#papermill-error-cell"
    debug = (out / month / "flaky.failed.html").read_text()
    assert 'id="papermill-error-cell"' in debug and "planted failure" in debug
    assert (out / month / "flaky.failed.ipynb").is_file()
    index = (out / "index.html").read_text()
    assert "flaky.failed.html#papermill-error-cell" in index and "failed" in index
    assert read_records(out / month / "good.ipynb")["answer"] == 42

    tiny_notebook(flaky, "print('version 2')")
    third = build(data_dir=sample_data, out_dir=out, registry=registry, jobs=1,
                  progress=False, notebooks_dir=notebooks)
    assert [r.task.stem for r in third.results] == ["flaky"]  # good is unchanged
    assert "version 2" in (out / month / "flaky.html").read_text()
    assert not (out / month / "flaky.failed.html").exists()
    assert manifest(out, month)["reports"]["flaky"]["status"] == "ok"


@pytest.mark.slow
def test_analyst_mode_is_flagged_in_the_header(sample_data: Path, tmp_path: Path) -> None:
    notebooks = tmp_path / "notebooks"
    tiny_notebook(notebooks / "plain.ipynb", "print(analyst_mode)")
    registry = {"plain": ReportSpec("plain", "plain.ipynb", "Plain")}
    summary = build(data_dir=sample_data, out_dir=tmp_path / "out", registry=registry,
                    jobs=1, progress=False, notebooks_dir=notebooks, analyst_mode=True)
    page = (tmp_path / "out" / summary.months[0] / "plain.html").read_text()
    assert "Analyst mode" in page and "raw moderator ids" in page
    assert json.loads((tmp_path / "out" / summary.months[0] / "manifest.json").read_text())[
        "reports"]["plain"]["parameters"]["analyst_mode"] is True
    assert os.path.exists(tmp_path / "out" / "index.html")
