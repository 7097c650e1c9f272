"""The publisher on its own (reports/engine/publish.py): the build lock, build keys, the
manifest, and moving good and failed runs into place, with staged files made by hand (no
notebook runs, so these tests are fast enough for mutation testing)."""

from __future__ import annotations

import errno
import json
import os
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from qa_insights.present.privacy import DEFAULT_KEY, key_fingerprint
from qa_insights.reports.engine import publish
from qa_insights.reports.engine.publish import (
    ALLOW_PUBLIC_KEY_ENV,
    MANIFEST,
    BuildContext,
    BuildLock,
    BuildLocked,
    Publisher,
    build_context,
    build_key,
    code_files,
    code_sha256,
    describe_os_error,
    private_id_kinds,
    private_ids,
    public_key_refused,
)
from qa_insights.reports.engine.tasks import Task, TaskResult

MONTH = "2026-10"


# --------------------------------------------------------------------------- helpers

def _notebook(tmp_path: Path, text: str = '{"cells": []}') -> Path:
    path = tmp_path / "nb" / "report.ipynb"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def _task(out: Path, notebook: Path, stem: str = "monthly_quality_report",
          **parameters: object) -> Task:
    params = {"month": MONTH, "data_dir": "/data", "scope": "org", "scope_value": "",
              "analyst_mode": False, **parameters}
    return Task(report="mqr", stem=stem, title="Monthly Quality Report", month=MONTH,
                notebook=notebook, parameters=params,
                staging=out / MONTH / ".staging" / f"{stem}-{os.getpid()}")


def _context(notebook: Path, ids: frozenset[str] = frozenset()) -> BuildContext:
    return BuildContext(fingerprint="f" * 64, versions={"pandas": "3"}, git_commit="abc",
                        code_sha256={str(notebook): "c" * 64}, private_ids=ids,
                        pseudonym_key="0123456789abcdef", started_at="2026-11-02T08:00:00+00:00")


def _stage(task: Task, tag: str, tables: dict[str, str] | None = None,
           summary: str | None = None, findings: str | None = None,
           failed: bool = False) -> TaskResult:
    """Write a run's files into its staging folder, as the runner leaves them."""
    staging = task.staging
    (staging / "tables").mkdir(parents=True, exist_ok=True)
    tables = {} if tables is None else tables
    for name, text in tables.items():
        (staging / "tables" / name).write_text(text)
    if summary is not None:
        (staging / "summary.md").write_text(summary)
    if findings is not None:
        (staging / "findings.csv").write_text(findings)
    stem = f"{task.stem}.failed" if failed else task.stem
    (staging / f"{stem}.html").write_text(f"<p>{tag}</p>")
    (staging / f"{stem}.ipynb").write_text(f'{{"tag": "{tag}"}}')
    return TaskResult(task=task, status="failed" if failed else "ok",
                      started_at="2026-11-02T08:00:00+00:00",
                      finished_at=f"finished-{tag}", timings={"execute_s": 1.5},
                      tables=sorted(tables),
                      error=({"ename": "ValueError", "evalue": "boom", "cell_index": 3}
                             if failed else None))


def _entry(out: Path, stem: str = "monthly_quality_report") -> dict:
    return json.loads((out / MONTH / MANIFEST).read_text())["reports"][stem]


# --------------------------------------------------------------------------- lock

def test_a_second_lock_on_the_same_folder_is_refused_naming_the_holder(tmp_path):
    with BuildLock(tmp_path) as held:
        assert (tmp_path / ".qa-insights-build.lock").read_text().startswith(
            f"pid {os.getpid()} since ")
        with pytest.raises(BuildLocked, match=rf"another build is writing to .*holder: "
                                              rf"pid {os.getpid()} since"):
            BuildLock(tmp_path).acquire()
        assert held._fd is not None
    assert (tmp_path / ".qa-insights-build.lock").read_text() == ""  # emptied on release
    with BuildLock(tmp_path):  # free again
        pass


def test_a_lock_left_by_a_killed_build_is_rewritten_whole(tmp_path):
    (tmp_path / ".qa-insights-build.lock").write_text("x" * 300)
    with BuildLock(tmp_path):
        text = (tmp_path / ".qa-insights-build.lock").read_text()
    assert text.startswith(f"pid {os.getpid()} since ") and "x" not in text
    assert text.count("\n") == 1 and text.endswith("\n")


def test_releasing_a_lock_not_held_does_nothing(tmp_path):
    lock = BuildLock(tmp_path)
    lock.release()
    lock.acquire()
    lock.release()
    lock.release()
    assert lock._fd is None


# --------------------------------------------------------------------------- small helpers

def test_os_errors_are_described_with_their_errno_name():
    assert describe_os_error(OSError(errno.ENOSPC, "No space left on device")) == \
        "No space left on device (ENOSPC)"
    assert describe_os_error(OSError("just words")) == "just words"
    assert describe_os_error(PermissionError()) == "PermissionError"


def test_the_public_key_is_refused_unless_a_demo_allows_it(monkeypatch):
    public = key_fingerprint(DEFAULT_KEY)
    monkeypatch.delenv(ALLOW_PUBLIC_KEY_ENV, raising=False)
    assert public_key_refused(public) is True
    assert public_key_refused("0123456789abcdef") is False
    monkeypatch.setenv(ALLOW_PUBLIC_KEY_ENV, "1")
    assert public_key_refused(public) is False
    monkeypatch.setenv(ALLOW_PUBLIC_KEY_ENV, "yes")
    assert public_key_refused(public) is True


def test_header_shows_a_short_fingerprint_and_the_start_in_utc(tmp_path):
    header = _context(_notebook(tmp_path)).header
    assert header == {"input_fingerprint": "f" * 16, "generated_at": "2026-11-02 08:00 UTC",
                      "versions": {"pandas": "3"}, "git_commit": "abc"}


def test_code_files_are_the_package_sources_notebooks_and_template():
    import qa_insights

    files = code_files()
    names = {p.name for p in files}
    package = Path(qa_insights.__file__).resolve().parent
    assert all(p.is_relative_to(package) for p in files)
    assert {"metrics.py", "monthly_quality_report.ipynb", "publish.py"} <= names
    assert files == sorted(files)
    assert not any("__pycache__" in p.parts for p in files)
    assert all(p.suffix in {".py", ".ipynb", ".j2", ".json", ".css", ".tpl"} for p in files)


def test_code_hash_follows_the_notebook_it_is_built_from(tmp_path):
    a = code_sha256(_notebook(tmp_path, '{"a": 1}'))
    b = code_sha256(_notebook(tmp_path, '{"a": 2}'))
    assert a != b and len(a) == 64
    assert code_sha256(_notebook(tmp_path, '{"a": 1}')) == a
    renamed = tmp_path / "other.ipynb"
    renamed.write_text('{"a": 1}')
    assert code_sha256(renamed) != a  # the notebook's name is part of it


def test_build_context_records_every_notebook_and_the_ids(tmp_path):
    notebook = _notebook(tmp_path)
    context = build_context("f" * 64, [notebook, notebook], {"M0412": "moderator_id"},
                            engine="spark")
    assert set(context.code_sha256) == {str(notebook)}
    assert context.private_ids == frozenset({"M0412"})
    assert context.id_kinds == {"M0412": "moderator_id"}
    assert context.engine == "spark" and context.versions["python"]
    assert build_context("f" * 64, private_ids=["M0412"]).id_kinds == {}


class _Store:
    """Answers the two id queries the way a store does."""

    def __init__(self, audits: dict[str, list[str]], raters: list[str] | None) -> None:
        self.audits, self.raters = audits, raters

    def table_present(self, name: str) -> bool:
        return name == "calibration" and self.raters is not None

    def query(self, sql: str) -> pd.DataFrame:
        ids, kinds = [], []
        for kind in ("moderator_id", "auditor_id"):
            ids += self.audits[kind]
            kinds += [kind] * len(self.audits[kind])
        if "calibration" in sql:
            ids += self.raters or []
            kinds += ["rater_id"] * len(self.raters or [])
        frame = pd.DataFrame({"id": ids, "kind": kinds}).drop_duplicates()
        return frame.sort_values("kind") if "kind" in sql else frame[["id"]].drop_duplicates()


def test_private_ids_leave_out_short_and_numeric_ids_and_name_each_kind():
    store = _Store({"moderator_id": ["M0412", "7", "12345", "ab", "BOTH"],
                    "auditor_id": ["A0001", "BOTH"]}, raters=["R0009"])
    assert private_ids(store) == frozenset({"M0412", "A0001", "BOTH", "R0009"})
    kinds = private_id_kinds(store)
    assert kinds == {"A0001": "auditor_id", "BOTH": "auditor_id/moderator_id",
                     "M0412": "moderator_id", "R0009": "rater_id"}
    assert private_ids(_Store({"moderator_id": ["M0412"], "auditor_id": []}, None)) == \
        frozenset({"M0412"})


# --------------------------------------------------------------------------- build key

def test_the_build_key_changes_with_everything_the_output_depends_on(tmp_path):
    notebook = _notebook(tmp_path)
    context = _context(notebook)
    task = _task(tmp_path / "out", notebook)
    key = build_key(task, context)
    assert build_key(task, context) == key
    # where the data and tables live does not matter, only what the data holds
    moved = replace(task, parameters={**task.parameters, "data_dir": "/elsewhere",
                                      "tables_dir": "/t"})
    assert build_key(moved, context) == key
    changed = [
        replace(context, fingerprint="e" * 64),
        replace(context, code_sha256={str(notebook): "d" * 64}),
        replace(context, versions={"pandas": "4"}),
        replace(context, engine="spark"),
        replace(context, pseudonym_key="fedcba9876543210"),
    ]
    assert len({build_key(task, c) for c in changed} | {key}) == len(changed) + 1
    other_tasks = [replace(task, parameters={**task.parameters, "scope": "site"}),
                   replace(task, title="Another title")]
    assert all(build_key(t, context) != key for t in other_tasks)
    notebook.write_text('{"cells": [1]}')
    os.utime(notebook, ns=(1, 1))  # a new modification time: the cached hash is not reused
    assert build_key(task, context) != key


# --------------------------------------------------------------------------- manifest

def test_a_missing_or_broken_manifest_reads_as_empty(tmp_path):
    notebook = _notebook(tmp_path)
    assert Publisher(tmp_path, _context(notebook)).manifest(MONTH) == {"month": MONTH,
                                                                       "reports": {}}
    (tmp_path / MONTH).mkdir()
    (tmp_path / MONTH / MANIFEST).write_text("{not json")
    assert Publisher(tmp_path, _context(notebook)).manifest(MONTH)["reports"] == {}


def test_up_to_date_needs_the_same_key_a_good_status_and_the_html(tmp_path):
    out, notebook = tmp_path / "out", _notebook(tmp_path)
    task = _task(out, notebook)
    pub = Publisher(out, _context(notebook))
    assert not pub.up_to_date(task, "k")
    pub.publish(_stage(task, "v1"), "k")
    assert pub.up_to_date(task, "k")
    assert not pub.up_to_date(task, "other key")
    fresh = Publisher(out, _context(notebook))  # read back from disk
    assert fresh.up_to_date(task, "k")
    fresh.manifest(MONTH)["reports"][task.stem]["status"] = "empty"
    assert fresh.up_to_date(task, "k")
    fresh.manifest(MONTH)["reports"][task.stem]["status"] = "failed"
    assert not fresh.up_to_date(task, "k")
    fresh.manifest(MONTH)["reports"][task.stem]["status"] = "ok"
    (out / MONTH / f"{task.stem}.html").unlink()
    assert not fresh.up_to_date(task, "k")


def test_a_failed_manifest_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    notebook = _notebook(tmp_path)
    pub = Publisher(tmp_path, _context(notebook))
    (tmp_path / MONTH).mkdir()

    def refuse(src, dst):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(publish.os, "replace", refuse)
    with pytest.raises(OSError):
        pub._write_manifest(MONTH)
    assert list((tmp_path / MONTH).iterdir()) == []


# --------------------------------------------------------------------------- publishing

def test_a_good_run_is_moved_into_place_and_recorded(tmp_path):
    out, notebook = tmp_path / "out", _notebook(tmp_path)
    task = _task(out, notebook)
    pub = Publisher(out, _context(notebook))
    result = _stage(task, "v1", tables={"a.csv": "x\n1\n", "b.csv": "y\n2\n"},
                    summary="Accuracy fell.", findings="report,sentence\nmqr,Accuracy fell.\n")
    pub.publish(result, "key1")
    month = out / MONTH
    assert (month / f"{task.stem}.html").read_text() == "<p>v1</p>"
    assert json.loads((month / f"{task.stem}.ipynb").read_text()) == {"tag": "v1"}
    assert (month / "tables" / "a.csv").read_text() == "x\n1\n"
    assert (month / f"{task.stem}.summary.md").read_text() == "Accuracy fell."
    findings = pd.read_csv(month / "tables" / "findings.csv")
    assert findings.to_dict("records") == [{"report": task.stem, "sentence": "Accuracy fell."}]
    assert not task.staging.exists() and not (month / ".staging").exists()
    entry = _entry(out)
    assert entry["status"] == "ok" and entry["error"] is None
    assert (entry["html"], entry["notebook"]) == (f"{task.stem}.html", f"{task.stem}.ipynb")
    assert entry["tables"] == ["tables/a.csv", "tables/b.csv"]
    assert entry["build_key"] == "key1" and entry["code_sha256"] == "c" * 64
    assert entry["input_fingerprint"] == "f" * 64
    assert entry["parameters"] == task.parameters
    assert entry["engine"] == "duckdb" and entry["git_commit"] == "abc"
    assert entry["pseudonym_key_fingerprint"] == "0123456789abcdef"
    assert entry["finished_at"] == "finished-v1" and entry["failed_html"] is None
    assert entry["duration_s"] == pytest.approx(1.5 + entry["timings"]["publish_s"])
    assert "last_good_at" not in entry and "error_link" not in entry
    manifest = json.loads((month / MANIFEST).read_text())
    assert manifest["month"] == MONTH and manifest["updated_at"]


def test_the_fingerprint_recorded_is_the_one_the_notebook_saw(tmp_path):
    out, notebook = tmp_path / "out", _notebook(tmp_path)
    task = _task(out, notebook)
    result = _stage(task, "v1")
    result.records["input_fingerprint"] = "window-fingerprint"
    Publisher(out, _context(notebook)).publish(result, "k")
    assert _entry(out)["input_fingerprint"] == "window-fingerprint"


def test_a_rebuild_replaces_files_and_drops_what_it_no_longer_writes(tmp_path):
    out, notebook = tmp_path / "out", _notebook(tmp_path)
    task = _task(out, notebook)
    pub = Publisher(out, _context(notebook))
    pub.publish(_stage(task, "v1", tables={"a.csv": "1", "old.csv": "2"}, summary="s1",
                       findings="report,sentence\nmqr,one\n"), "k1")
    month = out / MONTH
    (month / f"{task.stem}.failed.html").write_text("stale debug page")
    (month / f"{task.stem}.failed.ipynb").write_text("{}")
    pub.publish(_stage(task, "v2", tables={"a.csv": "3"}), "k2")
    assert (month / "tables" / "a.csv").read_text() == "3"
    assert not (month / "tables" / "old.csv").exists()
    assert not (month / f"{task.stem}.summary.md").exists()  # no summary this time
    assert not (month / f"{task.stem}.failed.html").exists()
    assert not (month / f"{task.stem}.failed.ipynb").exists()
    assert len(pd.read_csv(month / "tables" / "findings.csv")) == 0  # its old claims go
    assert not any(p.name.startswith(".previous") for p in month.rglob("*"))
    assert _entry(out)["tables"] == ["tables/a.csv"]


def test_other_reports_findings_stay_when_one_report_is_republished(tmp_path):
    out, notebook = tmp_path / "out", _notebook(tmp_path)
    pub = Publisher(out, _context(notebook))
    mqr, rca = _task(out, notebook), _task(out, notebook, stem="rca_spam")
    pub.publish(_stage(mqr, "m", findings="report,sentence\nx,mqr claim\n"), "k")
    pub.publish(_stage(rca, "r", findings="report,sentence\nx,rca claim\n"), "k")
    pub.publish(_stage(mqr, "m2", findings="report,sentence\nx,new mqr claim\n"), "k")
    rows = pd.read_csv(out / MONTH / "tables" / "findings.csv")
    assert rows.values.tolist() == [["rca_spam", "rca claim"],
                                    ["monthly_quality_report", "new mqr claim"]]


def test_unreadable_findings_leave_the_report_published_with_a_warning(tmp_path):
    out, notebook = tmp_path / "out", _notebook(tmp_path)
    task = _task(out, notebook)
    result = _stage(task, "v1", findings="")  # an empty file: pandas cannot read it
    Publisher(out, _context(notebook)).publish(result, "k")
    entry = _entry(out)
    assert entry["status"] == "ok"
    assert any("could not add the findings to tables/findings.csv" in w
               for w in entry["warnings"])


def test_a_failed_run_keeps_the_last_good_report_and_links_the_error_cell(tmp_path):
    out, notebook = tmp_path / "out", _notebook(tmp_path)
    task = _task(out, notebook)
    pub = Publisher(out, _context(notebook))
    pub.publish(_stage(task, "good", tables={"a.csv": "1"}), "k1")
    pub.publish(_stage(task, "bad", failed=True), "k2")
    month = out / MONTH
    entry = _entry(out)
    assert entry["status"] == "failed" and entry["error"]["ename"] == "ValueError"
    assert entry["html"] == f"{task.stem}.html" and entry["notebook"] == f"{task.stem}.ipynb"
    assert (month / entry["html"]).read_text() == "<p>good</p>"
    assert entry["tables"] == ["tables/a.csv"] and (month / "tables" / "a.csv").is_file()
    assert entry["failed_html"] == f"{task.stem}.failed.html"
    assert entry["failed_notebook"] == f"{task.stem}.failed.ipynb"
    assert (month / entry["failed_html"]).read_text() == "<p>bad</p>"
    assert entry["error_link"] == f"{task.stem}.failed.html#papermill-error-cell"
    assert entry["last_good_at"] == "finished-good"
    assert not pub.up_to_date(task, "k2")
    # a second failure still points at the last good run, not at the failure before
    pub.publish(_stage(task, "worse", failed=True), "k3")
    assert _entry(out)["last_good_at"] == "finished-good"


def test_a_failure_outside_a_cell_links_the_page_and_a_first_failure_has_no_html(tmp_path):
    out, notebook = tmp_path / "out", _notebook(tmp_path)
    task = _task(out, notebook)
    result = _stage(task, "bad", failed=True)
    result.error = {"ename": "DeadKernelError", "evalue": "died", "cell_index": None}
    Publisher(out, _context(notebook)).publish(result, "k")
    entry = _entry(out)
    assert entry["error_link"] == f"{task.stem}.failed.html"
    assert entry["html"] is None and entry["notebook"] is None and entry["tables"] == []
    assert "last_good_at" not in entry


def test_a_failure_without_debug_files_removes_stale_ones(tmp_path):
    out, notebook = tmp_path / "out", _notebook(tmp_path)
    task = _task(out, notebook)
    month = out / MONTH
    month.mkdir(parents=True)
    (month / f"{task.stem}.failed.html").write_text("from an older failure")
    task.staging.mkdir(parents=True)
    result = TaskResult(task=task, status="failed", started_at="s",
                        error={"ename": "X", "evalue": "y", "cell_index": None})
    Publisher(out, _context(notebook)).publish(result, "k")
    assert not (month / f"{task.stem}.failed.html").exists()
    entry = _entry(out)
    assert entry["failed_html"] is None and entry["error_link"] is None


def test_a_run_that_never_started_is_recorded_in_a_new_month_folder(tmp_path):
    out, notebook = tmp_path / "out", _notebook(tmp_path)
    task = _task(out, notebook)  # its worker died: no staging folder, no month folder yet
    result = TaskResult(task=task, status="failed", started_at="s",
                        error={"ename": "WorkerDied", "evalue": "killed", "cell_index": None})
    Publisher(out, _context(notebook)).publish(result, "k")
    assert _entry(out)["error"]["ename"] == "WorkerDied"


def test_a_debug_file_that_cannot_be_moved_is_a_warning(tmp_path, monkeypatch):
    out, notebook = tmp_path / "out", _notebook(tmp_path)
    task = _task(out, notebook)
    result = _stage(task, "bad", failed=True)

    def refuse(src, dst):
        if str(dst).endswith(".failed.html"):
            raise OSError(errno.ENOSPC, "No space left on device")
        os.rename(src, dst)

    monkeypatch.setattr(publish.os, "replace", refuse)
    Publisher(out, _context(notebook)).publish(result, "k")
    entry = _entry(out)
    assert entry["failed_html"] is None and entry["failed_notebook"] is not None
    assert any("could not publish" in w and "ENOSPC" in w for w in entry["warnings"])


def test_a_table_another_report_writes_fails_the_run(tmp_path):
    out, notebook = tmp_path / "out", _notebook(tmp_path)
    pub = Publisher(out, _context(notebook))
    pub.publish(_stage(_task(out, notebook), "m", tables={"shared.csv": "1"}), "k")
    rca = _task(out, notebook, stem="rca_spam")
    pub.publish(_stage(rca, "r", tables={"shared.csv": "2", "own.csv": "3"}), "k")
    entry = _entry(out, "rca_spam")
    assert entry["status"] == "failed" and entry["error"]["ename"] == "TableNameClash"
    assert "tables/shared.csv is already written by monthly_quality_report" in \
        entry["error"]["evalue"]
    assert (out / MONTH / "tables" / "shared.csv").read_text() == "1"
    assert not (out / MONTH / "tables" / "own.csv").exists()
    # republishing the owner itself is no clash
    pub.publish(_stage(_task(out, notebook), "m2", tables={"shared.csv": "4"}), "k")
    assert _entry(out)["status"] == "ok"


def test_raw_ids_in_manager_output_fail_the_run_but_not_in_analyst_mode(tmp_path):
    out, notebook = tmp_path / "out", _notebook(tmp_path)
    context = replace(_context(notebook, frozenset({"M0412"})),
                      id_kinds={"M0412": "moderator_id"})
    pub = Publisher(out, context)
    task = _task(out, notebook)
    result = _stage(task, "M0412", tables={"t.csv": "who\nM0412\n"})
    pub.publish(result, "k")
    entry = _entry(out)
    assert entry["status"] == "failed" and entry["error"]["ename"] == "RawIdsInReport"
    assert "moderator_id" in entry["error"]["evalue"]
    assert "M0412" not in entry["error"]["evalue"]  # names the files, never the ids
    assert f"{task.stem}.html" in entry["error"]["evalue"]
    analyst = _task(out, notebook, stem="analyst_copy", analyst_mode=True)
    pub.publish(_stage(analyst, "M0412"), "k")
    assert _entry(out, "analyst_copy")["status"] == "ok"


def test_a_failed_rename_puts_every_replaced_file_back(tmp_path, monkeypatch):
    out, notebook = tmp_path / "out", _notebook(tmp_path)
    task = _task(out, notebook)
    pub = Publisher(out, _context(notebook))
    pub.publish(_stage(task, "v1", tables={"a.csv": "old"}, summary="old summary"), "k1")
    month = out / MONTH
    real_replace = os.replace

    def fail_on_html(src, dst):
        if str(dst).endswith(f"{task.stem}.html") and ".staging" in str(src):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(publish.os, "replace", fail_on_html)
    pub.publish(_stage(task, "v2", tables={"a.csv": "new", "extra.csv": "x"},
                       summary="new summary"), "k2")
    assert (month / "tables" / "a.csv").read_text() == "old"
    assert not (month / "tables" / "extra.csv").exists()
    assert (month / f"{task.stem}.summary.md").read_text() == "old summary"
    assert json.loads((month / f"{task.stem}.ipynb").read_text()) == {"tag": "v1"}
    assert (month / f"{task.stem}.html").read_text() == "<p>v1</p>"
    entry = _entry(out)
    assert entry["status"] == "failed" and entry["html"] == f"{task.stem}.html"
    assert "could not publish into" in entry["error"]["evalue"]
    assert "No space left on device (ENOSPC)" in entry["error"]["evalue"]
    assert entry["tables"] == ["tables/a.csv"]


def test_clean_staging_removes_what_an_interrupted_build_left(tmp_path):
    notebook = _notebook(tmp_path)
    leftover = tmp_path / MONTH / ".staging" / "monthly_quality_report-1"
    leftover.mkdir(parents=True)
    (leftover / "x.html").write_text("half")
    Publisher(tmp_path, _context(notebook)).clean_staging([MONTH, "2026-09"])
    assert not (tmp_path / MONTH / ".staging").exists()
