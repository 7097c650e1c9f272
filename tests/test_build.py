"""The build driver on its own (reports/engine/build.py): checks before any kernel starts,
month choice, planning, incremental skips, the lock, data changing mid-build, the data
folder passed on (relative or a URL), the PDF step (with a stand-in Chromium) and the
command line's output. Report runs are replaced by a stand-in that writes the files a
notebook run leaves, so these tests need no kernel (fast enough for mutation testing)."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import nbformat
import pytest

from qa_insights.reports.engine import build as build_module
from qa_insights.reports.engine.build import (
    ENGINE_PARAMETERS,
    BuildError,
    BuildSummary,
    build,
    build_cli,
    plan,
    validate_parameters,
)
from qa_insights.reports.engine.kinds import ReportSpec
from qa_insights.reports.engine.publish import BuildLock
from qa_insights.reports.engine.tasks import Task, TaskResult
from tests.fixtures_data import audit_row, write_audits

#: Audits per (month, queue): October's busiest queue is hate, then spam, then abuse.
VOLUMES = {("2026-09", "spam"): 2, ("2026-10", "hate"): 3, ("2026-10", "spam"): 2,
           ("2026-10", "abuse"): 1}

REGISTRY = {s.key: s for s in (
    ReportSpec("demo", "demo.ipynb", "Demo Report"),
    ReportSpec("dive", "dive.ipynb", "Deep Dive", per_queue=True,
               target_scopes=("queue", "site")),
)}

KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}

PARAMETERS = ('month: str = "2026-10"\ndata_dir: str = ""\nscope: str = "org"\n'
              'scope_value: str = ""\nanalyst_mode: bool = False\ntables_dir: str = ""\n'
              'min_n: int = 30\nshare: float = 0.5\nnote = "untyped"\n')


@pytest.fixture
def data(tmp_path: Path) -> Path:
    rows = [audit_row(f"A{month}{queue}{i}", f"{month}-15T10:00:00Z", queue=queue,
                      moderator_id=f"mod{i:03d}")
            for (month, queue), n in VOLUMES.items() for i in range(n)]
    return write_audits(tmp_path / "data", rows)


@pytest.fixture
def notebooks(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for name in ("demo.ipynb", "dive.ipynb"):
        cell = nbformat.v4.new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]})
        nbformat.write(nbformat.v4.new_notebook(cells=[cell], metadata=KERNEL), folder / name)
    return folder


class FakeRunner:
    """Stands in for :func:`run_tasks`: each run writes its HTML, notebook and a table."""

    def __init__(self, status: str = "ok", before_result=None) -> None:
        self.status, self.before_result = status, before_result
        self.ran: list[Task] = []
        self.jobs: list[int] = []

    def __call__(self, tasks, jobs, on_result, *, progress=True) -> None:
        self.jobs.append(jobs)
        for task in tasks:
            self.ran.append(task)
            (task.staging / "tables").mkdir(parents=True)
            (task.staging / f"{task.stem}.html").write_text(f"<h1>{task.title}</h1>")
            (task.staging / f"{task.stem}.ipynb").write_text("{}")
            (task.staging / "tables" / f"{task.stem}.csv").write_text("n\n1\n")
            if self.before_result:
                self.before_result(task)
            error = None if self.status != "failed" else {
                "ename": "ValueError", "evalue": "boom", "cell_index": 2}
            on_result(TaskResult(task=task, status=self.status, started_at="t",
                                 tables=[f"{task.stem}.csv"], error=error,
                                 timings={"execute_s": 0.25}))


@pytest.fixture
def runner(monkeypatch) -> FakeRunner:
    fake = FakeRunner()
    monkeypatch.setattr(build_module, "run_tasks", fake)
    return fake


def _build(data: Path, notebooks: Path, out: Path, **kwargs) -> BuildSummary:
    kwargs.setdefault("reports", "demo")
    return build(data_dir=data, out_dir=out, notebooks_dir=notebooks, registry=REGISTRY,
                 progress=False, jobs=1, **kwargs)


# --------------------------------------------------------------------------- parameters

def test_parameters_are_checked_against_the_notebooks_declarations(notebooks):
    nb = notebooks / "demo.ipynb"
    validate_parameters(nb, {"month": "2026-10", "min_n": 10, "share": 1, "analyst_mode": True})
    validate_parameters(nb, {"share": 0.25, "note": 12})  # an untyped name takes anything
    with pytest.raises(BuildError, match=r"demo.ipynb: unknown parameter 'mnth'; the "
                                         r"notebook declares month: str, data_dir: str"):
        validate_parameters(nb, {"mnth": "2026-10"})
    bad = [({"month": 202610}, "'month' expects str, got 202610"),
           ({"min_n": "10"}, "'min_n' expects int, got '10'"),
           ({"min_n": True}, "'min_n' expects int, got True"),
           ({"share": True}, "'share' expects float, got True"),
           ({"share": "half"}, "'share' expects float"),
           ({"analyst_mode": "yes"}, "'analyst_mode' expects bool, got 'yes'")]
    for parameters, message in bad:
        with pytest.raises(BuildError, match=message):
            validate_parameters(nb, parameters)


def test_a_notebook_without_a_parameters_cell_declares_nothing(tmp_path):
    nb = tmp_path / "bare.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")],
                                           metadata=KERNEL), nb)
    with pytest.raises(BuildError, match="declares no parameters cell"):
        validate_parameters(nb, {"month": "2026-10"})


def test_every_engine_parameter_is_declared_by_every_shipped_notebook():
    from qa_insights.reports.engine.kinds import REPORTS
    from qa_insights.reports.engine.paths import NOTEBOOKS_DIR

    for spec in REPORTS.values():
        validate_parameters(NOTEBOOKS_DIR / spec.notebook,
                            {"month": "2026-10", "data_dir": "", "scope": "org",
                             "scope_value": "", "analyst_mode": False, "tables_dir": ""})
    assert ENGINE_PARAMETERS == ("month", "data_dir", "scope", "scope_value", "analyst_mode",
                                 "tables_dir")


# --------------------------------------------------------------------------- planning

class _Store:
    """Answers the planner's one question: the month's queues, busiest first."""

    def query(self, sql: str, params=None):
        import pandas as pd

        month = next(v for v in (params or []) if isinstance(v, str) and len(v) == 7) \
            if params else "2026-10"
        counts = {q: n for (m, q), n in VOLUMES.items() if m == month}
        ordered = sorted(counts, key=lambda q: (-counts[q], q))
        return pd.DataFrame({"value": ordered, "queue": ordered, "n": [counts[q] for q in ordered]})


def test_plan_makes_one_task_per_month_and_report_and_the_busiest_queues(tmp_path, data):
    from qa_insights.data.opening import open_store

    with open_store(data) as store:
        tasks = plan(store, ["2026-09", "2026-10"], REGISTRY.values(), data_dir=data,
                     out_dir=tmp_path / "out", notebooks_dir=tmp_path / "nb",
                     analyst_mode=True, rca_limit=2, header={"input_fingerprint": "abc"},
                     execution_timeout=99)
    assert [(t.month, t.stem) for t in tasks] == [
        ("2026-09", "demo"), ("2026-09", "dive_spam"),
        ("2026-10", "demo"), ("2026-10", "dive_hate"), ("2026-10", "dive_spam")]
    demo, hate = tasks[2], tasks[3]
    assert demo.parameters == {"month": "2026-10", "data_dir": str(data), "scope": "org",
                               "scope_value": "", "analyst_mode": True}
    assert demo.title == "Demo Report" and demo.header["scope"] == "whole organisation"
    assert demo.header["input_fingerprint"] == "abc" and demo.header["analyst_mode"] is True
    assert demo.notebook == tmp_path / "nb" / "demo.ipynb" and demo.execution_timeout == 99
    assert demo.staging.parent == tmp_path / "out" / "2026-10" / ".staging"
    assert demo.staging.name.startswith("demo-")
    assert hate.parameters["scope"] == "queue" and hate.parameters["scope_value"] == "hate"
    assert hate.title == "Deep Dive: queue hate" and hate.header["scope"] == "queue hate"
    assert hate.header["title"] == "Deep Dive: queue hate" and hate.header["month"] == "2026-10"


def test_a_report_asked_for_by_name_gets_its_own_stem(tmp_path):
    from qa_insights.data.opening import open_store
    from qa_insights.reports.engine.kinds import select_reports

    data = write_audits(tmp_path / "named", [audit_row("A1", queue="Abuse Desk")])
    specs = select_reports("dive:site=s1,dive:queue=Abuse Desk", REGISTRY)
    with open_store(data) as store:
        tasks = plan(store, ["2026-10"], specs, data_dir=data, out_dir=tmp_path,
                     notebooks_dir=tmp_path)
    stems = [t.stem for t in tasks]
    assert stems[0] == "dive_site_s1"
    assert stems[1].startswith("dive_abuse_desk-")  # made file-safe, with a hash
    assert tasks[0].parameters["scope"] == "site" and tasks[0].parameters["scope_value"] == "s1"
    with open_store(data) as store, pytest.raises(BuildError, match="valid queue values: "
                                                                    "Abuse Desk$"):
        plan(store, ["2026-10"], select_reports("dive:queue=abuse", REGISTRY), data_dir=data,
             out_dir=tmp_path, notebooks_dir=tmp_path)


# --------------------------------------------------------------------------- building

def test_a_build_publishes_each_report_and_then_skips_what_did_not_change(
        tmp_path, data, notebooks, runner):
    out = tmp_path / "out"
    first = _build(data, notebooks, out, month="2026-10", reports="demo,dive")
    assert [t.stem for t in runner.ran] == ["demo", "dive_hate", "dive_spam", "dive_abuse"]
    assert first.exit_code == 0 and first.months == ["2026-10"] and not first.skipped
    assert first.month_note == ""
    manifest = json.loads((out / "2026-10" / "manifest.json").read_text())
    assert set(manifest["reports"]) == {"demo", "dive_hate", "dive_spam", "dive_abuse"}
    assert all(e["status"] == "ok" for e in manifest["reports"].values())
    assert (out / "index.html").is_file() and (out / "2026-10" / "demo.html").is_file()
    runner.ran.clear()
    again = _build(data, notebooks, out, month="2026-10", reports="demo,dive")
    assert runner.ran == [] and len(again.skipped) == 4 and again.results == []
    forced = _build(data, notebooks, out, month="2026-10", force=True)
    assert [t.stem for t in runner.ran] == ["demo"] and forced.skipped == []
    runner.ran.clear()
    _build(data, notebooks, out, month="2026-10", analyst_mode=True)  # new parameters
    assert [t.stem for t in runner.ran] == ["demo"]


def test_the_rca_limit_caps_the_per_queue_reports(tmp_path, data, notebooks, runner):
    _build(data, notebooks, tmp_path / "out", month="2026-10", reports="dive", rca_limit=1)
    assert [t.stem for t in runner.ran] == ["dive_hate"]


def test_jobs_default_to_the_cores_and_are_passed_on(tmp_path, data, notebooks, runner):
    import os

    build(data_dir=data, out_dir=tmp_path / "a", notebooks_dir=notebooks, registry=REGISTRY,
          reports="demo", month="2026-10", progress=False)
    build(data_dir=data, out_dir=tmp_path / "b", notebooks_dir=notebooks, registry=REGISTRY,
          reports="demo", month="2026-10", progress=False, jobs=3)
    assert runner.jobs == [os.cpu_count() or 1, 3]


def test_without_a_month_the_latest_with_audits_is_built_and_said(tmp_path, data, notebooks,
                                                                  runner):
    summary = _build(data, notebooks, tmp_path / "out")
    assert summary.months == ["2026-10"]
    assert summary.month_note.startswith("--month not given: building 2026-10, the ")


def test_all_months_builds_every_month_with_audits(tmp_path, data, notebooks, runner):
    summary = _build(data, notebooks, tmp_path / "out", all_months=True)
    assert summary.months == ["2026-09", "2026-10"]
    assert [(t.month, t.stem) for t in runner.ran] == [("2026-09", "demo"), ("2026-10", "demo")]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"month": "2026-10", "all_months": True}, "either --month or --all-months, not both"),
    ({"month": "Oct 2026"}, "--month 'Oct 2026' is not a month YYYY-MM"),
    ({"month": "2026-11"}, "--month 2026-11: no such month in the data; months with "
                           "audits: 2026-09, 2026-10"),
    ({"jobs": 0}, "--jobs must be at least 1, got 0"),
    ({"reports": "nope"}, "nope"),
])
def test_bad_requests_stop_before_any_report_runs(tmp_path, data, notebooks, runner, kwargs,
                                                  message):
    kwargs = {"month": "2026-10", **kwargs}
    with pytest.raises(BuildError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build(data_dir=data, out_dir=tmp_path / "out", notebooks_dir=notebooks,
              registry=REGISTRY, progress=False, **kwargs)
    assert runner.ran == [] and not (tmp_path / "out").exists()


def test_a_missing_notebook_or_unreadable_data_stops_the_build(tmp_path, data, notebooks,
                                                               runner):
    (notebooks / "dive.ipynb").unlink()
    with pytest.raises(BuildError, match=r"report dive: notebook .*dive.ipynb not found"):
        _build(data, notebooks, tmp_path / "out", month="2026-10", reports="dive")
    with pytest.raises(BuildError):
        _build(tmp_path / "no such folder", notebooks, tmp_path / "out", month="2026-10")
    assert runner.ran == []


def test_a_notebook_missing_an_engine_parameter_stops_the_build(tmp_path, data, notebooks,
                                                                runner):
    cell = nbformat.v4.new_code_cell('month = ""', metadata={"tags": ["parameters"]})
    nbformat.write(nbformat.v4.new_notebook(cells=[cell], metadata=KERNEL),
                   notebooks / "demo.ipynb")
    with pytest.raises(BuildError, match="demo.ipynb: unknown parameter 'data_dir'"):
        _build(data, notebooks, tmp_path / "out", month="2026-10")
    assert runner.ran == []


def test_a_second_build_on_the_same_output_stops_with_the_holder(tmp_path, data, notebooks,
                                                                 runner):
    out = tmp_path / "out"
    out.mkdir()
    with BuildLock(out), pytest.raises(BuildError, match="another build is writing to"):
        _build(data, notebooks, out, month="2026-10")
    assert runner.ran == []
    _build(data, notebooks, out, month="2026-10")  # the lock is free again afterwards
    assert len(runner.ran) == 1


def test_an_output_folder_that_cannot_be_made_stops_the_build(tmp_path, data, notebooks,
                                                               runner):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(BuildError, match="cannot write to the output folder"):
        _build(data, notebooks, blocker / "out", month="2026-10")
    assert runner.ran == []


def test_a_report_finishing_after_the_data_changed_is_not_published(tmp_path, data,
                                                                    notebooks, monkeypatch):
    def change(task: Task) -> None:
        (data / "audits.csv").write_text((data / "audits.csv").read_text() + "\n")

    fake = FakeRunner(before_result=change)
    monkeypatch.setattr(build_module, "run_tasks", fake)
    summary = _build(data, notebooks, tmp_path / "out", month="2026-10")
    (result,) = summary.results
    assert result.status == "failed" and result.error["ename"] == "DataChanged"
    assert "changed during the build (audits.csv)" in result.error["evalue"]
    assert summary.exit_code == 1 and summary.failed == [result]
    assert not (tmp_path / "out" / "2026-10" / "demo.html").exists()


def test_a_failed_run_is_not_data_checked_and_fails_the_build(tmp_path, data, notebooks,
                                                              monkeypatch):
    monkeypatch.setattr(build_module, "run_tasks", FakeRunner(status="failed"))
    summary = _build(data, notebooks, tmp_path / "out", month="2026-10")
    assert summary.exit_code == 1
    assert summary.failed[0].error["ename"] == "ValueError"


# --------------------------------------------------------------------------- command line

def _args(data: Path, out: Path, **overrides) -> argparse.Namespace:
    values = {"month": "2026-10", "all_months": False, "reports": "demo", "data": str(data),
              "out": str(out), "jobs": 1, "force": False, "store": None}
    return argparse.Namespace(**{**values, **overrides})


def test_the_command_line_prints_one_line_per_report_and_the_index(tmp_path, data, notebooks,
                                                                   monkeypatch, capsys):
    monkeypatch.setattr(build_module, "run_tasks", FakeRunner(status="failed"))
    monkeypatch.setattr(build_module, "REPORTS", REGISTRY)
    monkeypatch.setattr(build_module, "NOTEBOOKS_DIR", notebooks)
    out = tmp_path / "out"
    assert build_cli(_args(data, out)) == 1
    printed = capsys.readouterr()
    assert re.search(r"^failed  2026-10 demo \(\d+\.\d s\): ValueError: boom$", printed.out,
                     re.MULTILINE)
    assert f"index: {out / 'index.html'}" in printed.out
    assert "1 report(s) failed; see the links in the index" in printed.err
    monkeypatch.setattr(build_module, "run_tasks", FakeRunner())
    assert build_cli(_args(data, out)) == 0
    assert "ok      2026-10 demo (" in capsys.readouterr().out
    assert build_cli(_args(data, out)) == 0
    assert "skipped 1 unchanged report(s); --force rebuilds them" in capsys.readouterr().out
    assert build_cli(_args(data, out, month=None)) == 0
    assert "--month not given: building 2026-10" in capsys.readouterr().out


def test_the_command_line_says_why_nothing_ran_and_exits_2(tmp_path, data, capsys):
    assert build_cli(_args(data, tmp_path / "out", month="2026-13", reports="mqr")) == 2
    assert capsys.readouterr().err.startswith("error: --month '2026-13' is not a month")


def test_plan_gives_eight_queues_unless_told_otherwise(tmp_path):
    from qa_insights.data.opening import open_store

    rows = [audit_row(f"Q{i}-{j}", "2026-10-15T10:00:00Z", queue=f"queue{i:02d}")
            for i in range(10) for j in range(10 - i)]
    data = write_audits(tmp_path / "many", rows)
    with open_store(data) as store:
        tasks = plan(store, ["2026-10"], [REGISTRY["dive"]], data_dir=data, out_dir=tmp_path,
                     notebooks_dir=tmp_path)
    assert [t.parameters["scope_value"] for t in tasks] == [f"queue{i:02d}" for i in range(8)]


def test_a_missing_month_lists_a_long_history_as_a_range(tmp_path, notebooks, runner):
    months = [f"{2024 + (i // 12)}-{i % 12 + 1:02d}" for i in range(25)]
    data = write_audits(tmp_path / "long", [audit_row(f"L{m}", f"{m}-15T10:00:00Z")
                                            for m in months])
    with pytest.raises(BuildError, match="months with audits: 2024-01 to 2026-01$"):
        _build(data, notebooks, tmp_path / "out", month="2023-01")
    short = write_audits(tmp_path / "short", [audit_row(f"S{m}", f"{m}-15T10:00:00Z")
                                              for m in months[:24]])
    with pytest.raises(BuildError, match="months with audits: 2024-01, 2024-02, .*, 2025-12$"):
        _build(short, notebooks, tmp_path / "out", month="2023-01")


def test_a_store_older_than_its_data_is_refused(tmp_path, data, notebooks, runner):
    import warnings

    from qa_insights.data.ingest import StaleStoreWarning, ingest

    store = tmp_path / "store.duckdb"
    ingest(data, store)
    _build(store, notebooks, tmp_path / "out", month="2026-10")
    assert len(runner.ran) == 1
    with open(data / "audits.csv", "a") as fh:
        fh.write("\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StaleStoreWarning)
        with pytest.raises(BuildError, match="the store is older than its source folder"):
            _build(store, notebooks, tmp_path / "out", month="2026-10")
    assert len(runner.ran) == 1


def test_staging_left_by_an_interrupted_build_is_cleared(tmp_path, data, notebooks, runner):
    leftover = tmp_path / "out" / "2026-10" / ".staging" / "demo-99999"
    leftover.mkdir(parents=True)
    (leftover / "demo.html").write_text("half written")
    _build(data, notebooks, tmp_path / "out", month="2026-10")
    assert not leftover.exists()


def test_a_failed_run_keeps_its_own_error_when_the_data_also_changed(tmp_path, data,
                                                                     notebooks, monkeypatch):
    def change(task: Task) -> None:
        (data / "audits.csv").write_text((data / "audits.csv").read_text() + "\n")

    monkeypatch.setattr(build_module, "run_tasks", FakeRunner("failed", before_result=change))
    summary = _build(data, notebooks, tmp_path / "out", month="2026-10")
    assert summary.failed[0].error["ename"] == "ValueError"


def test_an_output_folder_that_fills_up_mid_build_stops_it_clearly(tmp_path, data, notebooks,
                                                                   monkeypatch):
    import errno

    def full(tasks, jobs, on_result, *, progress=True):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(build_module, "run_tasks", full)
    out = tmp_path / "out"
    with pytest.raises(BuildError, match=r"cannot write to the output folder .*: No space "
                                         r"left on device \(ENOSPC\); the reports published "
                                         r"before this are complete"):
        _build(data, notebooks, out, month="2026-10")
    assert (out / "index.html").is_file()  # the index still lists what was published
    monkeypatch.setattr(build_module, "run_tasks", FakeRunner())
    _build(data, notebooks, out, month="2026-10", force=True)  # and the lock was released


def test_the_command_line_builds_for_managers_unless_asked(tmp_path, data, notebooks,
                                                           monkeypatch):
    monkeypatch.setattr(build_module, "run_tasks", FakeRunner())
    monkeypatch.setattr(build_module, "REPORTS", REGISTRY)
    monkeypatch.setattr(build_module, "NOTEBOOKS_DIR", notebooks)
    out = tmp_path / "out"
    assert build_cli(_args(data, out)) == 0  # no analyst_mode attribute at all
    manifest = json.loads((out / "2026-10" / "manifest.json").read_text())
    assert manifest["reports"]["demo"]["parameters"]["analyst_mode"] is False


def test_a_stale_store_names_at_most_five_changes(tmp_path, notebooks, runner):
    import warnings

    from qa_insights.data.ingest import StaleStoreWarning, ingest

    months = [f"2026-{m:02d}" for m in range(1, 8)]
    data = tmp_path / "parts"
    for month in months:
        write_audits(data / "audits" / f"month={month}",
                     [audit_row(f"P{month}", f"{month}-15T10:00:00Z")], name="part-0.csv")
    store = tmp_path / "store.duckdb"
    ingest(data, store)
    for month in months:
        with open(data / "audits" / f"month={month}" / "part-0.csv", "a") as fh:
            fh.write("\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StaleStoreWarning)
        with pytest.raises(BuildError) as raised:
            _build(store, notebooks, tmp_path / "out", month="2026-07")
    assert str(raised.value).count(" changed") == 5


def test_an_index_that_cannot_be_written_stops_the_build_clearly(tmp_path, data, notebooks,
                                                                 runner, monkeypatch):
    import errno

    from qa_insights.reports.engine import index

    def refuse(out_dir):
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(index, "write_index", refuse)
    out = tmp_path / "out"
    with pytest.raises(BuildError, match=rf"cannot write {out / 'index.html'}: Permission "
                                         r"denied \(EACCES\)"):
        _build(data, notebooks, out, month="2026-10")
    assert (out / "2026-10" / "demo.html").is_file()  # the report itself was published


def test_plan_allows_ten_minutes_a_cell_unless_told(tmp_path, data):
    from qa_insights.data.opening import open_store

    with open_store(data) as store:
        (task,) = plan(store, ["2026-10"], [REGISTRY["demo"]], data_dir=data, out_dir=tmp_path,
                       notebooks_dir=tmp_path)
    assert task.execution_timeout == 600


def test_data_changed_names_three_files_then_more(tmp_path):
    from qa_insights.data.snapshot import data_snapshot
    from qa_insights.reports.engine.build import _fail_if_data_changed

    for i in range(5):
        (tmp_path / f"part-{i}.csv").write_text("a\n1\n")
    before = data_snapshot(tmp_path)
    for i in range(5):
        (tmp_path / f"part-{i}.csv").write_text("a\n1\n2\n")
    result = TaskResult(task=None, status="ok", started_at="t")  # type: ignore[arg-type]
    _fail_if_data_changed(result, before, tmp_path)
    assert result.status == "failed" and result.error["ename"] == "DataChanged"
    named = re.search(r"during the build \((.*)\)", result.error["evalue"]).group(1)
    assert named.endswith(", ...") and named.count(".csv") == 3


# --------------------------------------------------------------------------- data folder

def test_a_relative_data_folder_reaches_the_reports_as_an_absolute_path(tmp_path, data,
                                                                        notebooks, runner,
                                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)  # the report kernels run elsewhere: "data" would not resolve
    _build(Path("data"), notebooks, tmp_path / "out", month="2026-10")
    (task,) = runner.ran
    assert task.parameters["data_dir"] == str(data.resolve())


def test_a_url_data_folder_is_passed_on_as_it_is(tmp_path, data, notebooks, runner,
                                                 monkeypatch):
    from qa_insights.data import engine
    from qa_insights.data.opening import open_store

    opened: list[object] = []

    def open_url(data_dir, *, engine=None):  # a remote store, served here by the local data
        opened.append(data_dir)
        return open_store(data)

    monkeypatch.setattr(engine, "open_engine", open_url)
    url = "s3a://bucket/qa/clean"
    summary = _build(url, notebooks, tmp_path / "out", month="2026-10")  # type: ignore[arg-type]
    assert opened == [url]
    assert [t.parameters["data_dir"] for t in runner.ran] == [url]
    assert summary.exit_code == 0


def test_jobs_are_one_when_the_cores_cannot_be_counted(tmp_path, data, notebooks, runner,
                                                       monkeypatch):
    import os

    monkeypatch.setattr(os, "cpu_count", lambda: None)
    build(data_dir=data, out_dir=tmp_path / "out", notebooks_dir=notebooks, registry=REGISTRY,
          reports="demo", month="2026-10", progress=False)
    assert runner.jobs == [1]


# --------------------------------------------------------------------------- PDF step

#: A stand-in Chromium: writes a "PDF" naming the page it printed to --print-to-pdf=<file>.
FAKE_CHROMIUM = """#!/bin/sh
for a in "$@"; do
  case "$a" in --print-to-pdf=*) out="${a#--print-to-pdf=}";; file://*) page="$a";; esac
done
printf '%%PDF-1.4 %s' "$page" > "$out"
"""


@pytest.fixture
def chromium(tmp_path, monkeypatch) -> Path:
    from qa_insights.reports.engine.pdf import CHROMIUM_ENV

    script = tmp_path / "fake-chromium"
    script.write_text(FAKE_CHROMIUM)
    script.chmod(0o755)
    monkeypatch.setenv(CHROMIUM_ENV, str(script))
    return script


def _printed_from_its_html(pdf: Path) -> bool:
    """Whether ``pdf`` is the stand-in's print of the HTML beside it."""
    return pdf.read_bytes() == b"%PDF-1.4 " + pdf.with_suffix(".html").resolve().as_uri().encode()


def test_pdf_prints_each_report_then_only_those_without_an_up_to_date_pdf(
        tmp_path, data, notebooks, runner, chromium):
    out = tmp_path / "out"
    month = out / "2026-10"
    stems = ["demo", "dive_hate", "dive_spam", "dive_abuse"]
    first = _build(data, notebooks, out, month="2026-10", reports="demo,dive", pdf=True)
    assert first.pdfs == [month / f"{s}.pdf" for s in stems] and first.pdf_errors == []
    assert all(_printed_from_its_html(p) for p in first.pdfs) and first.exit_code == 0
    again = _build(data, notebooks, out, month="2026-10", reports="demo,dive", pdf=True)
    assert len(again.skipped) == 4 and again.pdfs == []  # unchanged and printed: nothing
    (month / "dive_spam.pdf").unlink()
    import os

    os.utime(month / "dive_hate.pdf", ns=(0, 0))  # older than its HTML
    third = _build(data, notebooks, out, month="2026-10", reports="demo,dive", pdf=True)
    assert len(third.skipped) == 4
    assert third.pdfs == [month / "dive_hate.pdf", month / "dive_spam.pdf"]
    assert all(_printed_from_its_html(month / f"{s}.pdf") for s in stems)


def test_pdf_leaves_a_failed_report_alone(tmp_path, data, notebooks, monkeypatch, chromium):
    out = tmp_path / "out"
    monkeypatch.setattr(build_module, "run_tasks", FakeRunner())
    _build(data, notebooks, out, month="2026-10", reports="demo,dive")  # no PDFs yet

    def fail_hate(tasks, jobs, on_result, *, progress=True):
        for task in tasks:
            FakeRunner("failed" if task.stem == "dive_hate" else "ok")([task], jobs, on_result)

    monkeypatch.setattr(build_module, "run_tasks", fail_hate)
    summary = _build(data, notebooks, out, month="2026-10", reports="demo,dive", force=True,
                     pdf=True)
    assert [r.task.stem for r in summary.failed] == ["dive_hate"]
    month = out / "2026-10"
    assert summary.pdfs == [month / f"{s}.pdf" for s in ("demo", "dive_spam", "dive_abuse")]
    assert (month / "dive_hate.html").is_file() and not (month / "dive_hate.pdf").exists()


def test_without_pdf_a_pdf_older_than_its_rebuilt_html_is_removed(tmp_path, data, notebooks,
                                                                   runner, chromium):
    import os

    out = tmp_path / "out"
    month = out / "2026-10"
    _build(data, notebooks, out, month="2026-10", reports="demo,dive", pdf=True)
    os.utime(month / "demo.pdf", ns=(0, 0))
    future = 2 ** 62
    os.utime(month / "dive_hate.pdf", ns=(future, future))  # newer than any rebuild
    plain = _build(data, notebooks, out, month="2026-10", reports="demo,dive", force=True)
    assert plain.pdfs == [] and plain.exit_code == 0
    assert not (month / "demo.pdf").exists()
    assert (month / "dive_hate.pdf").is_file()
    assert (month / "demo.html").is_file()


def test_a_pdf_that_cannot_be_printed_fails_the_build_and_is_said(tmp_path, data, notebooks,
                                                                  monkeypatch, capsys):
    from qa_insights.reports.engine.pdf import CHROMIUM_ENV

    broken = tmp_path / "broken-chromium"
    broken.write_text("#!/bin/sh\necho 'GPU process gone' >&2\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setenv(CHROMIUM_ENV, str(broken))
    monkeypatch.setattr(build_module, "run_tasks", FakeRunner())
    monkeypatch.setattr(build_module, "REPORTS", REGISTRY)
    monkeypatch.setattr(build_module, "NOTEBOOKS_DIR", notebooks)
    out = tmp_path / "out"
    assert build_cli(_args(data, out, pdf=True)) == 1
    printed = capsys.readouterr()
    assert ("error: PDF not written: demo.html: Chromium wrote no PDF (exit code 3: GPU "
            "process gone)") in printed.err
    assert (out / "2026-10" / "demo.html").is_file()
    assert not (out / "2026-10" / "demo.pdf").exists()
