"""Build the monthly reports: validate, execute in parallel, render, publish atomically.

``qa-insights build`` (and :func:`build`) turns the report notebooks in ``notebooks/`` into
``<out>/<month>/``:

* ``<stem>.html`` (manager-facing, self-contained) and ``<stem>.ipynb`` (executed copy);
* ``tables/*.csv``, the numbers behind the reports;
* ``manifest.json``: per report its parameters, input fingerprint, notebook and code
  hashes, package versions, git commit, status, timings and error;
* with ``pdf`` (``--pdf``), ``<stem>.pdf`` beside each report's HTML, printed by headless
  Chromium (:mod:`qa_insights.reports.engine.pdf`); without it, a PDF older than its
  report's new HTML is removed, so no stale PDF sits beside a rebuilt report;

and ``<out>/index.html`` listing every report of every month.

Reports (:data:`REPORTS`): ``mqr``, ``mbr``, ``calibration`` once per month, and ``rca``
once per queue: the ``rca_limit`` (default 8) busiest queues of the month, most audits
first, as ``rca_<queue>``, then a deep dive for every site or queue the month's findings
point to (the MQR's named driver, the MBR's missed targets:
:func:`qa_insights.reports.engine.named.named_scopes`), as ``rca_site_<site>`` (names made
file-safe by :func:`qa_insights.reports.engine.tables.slugify`; see
:func:`qa_insights.reports.engine.kinds.report_stem`). A month in the data's range without audits (or
without calibration sessions) gives a report with status ``empty`` that says so.

Every notebook gets the parameters :data:`ENGINE_PARAMETERS` (``month``, ``data_dir``,
``scope``, ``scope_value``, ``analyst_mode``, ``tables_dir``); see ``notebooks/README.md``.

Guarantees:

* **Checked first.** Month, report names and notebook parameters (against
  ``papermill.inspect_notebook``) are validated before any kernel starts:
  :class:`BuildError`, exit code 2, with the valid values.
* **Isolated failures.** A failing report is recorded ``failed`` with a link to the failing
  cell (``<stem>.failed.html#papermill-error-cell``); the others complete; exit code 1.
* **Atomic publishing.** Each run writes into a private staging folder; on success its
  files are renamed into place (tables, notebook, HTML last), so readers never see a
  half-written file and a failed run leaves the previous good HTML in place.
* **One build per output folder** at a time (a lock file; a second build stops with exit 2).
* **Clear file-system errors.** A full or read-only output folder fails the report (or,
  before any kernel starts, the build with exit 2) with a message naming the folder and
  the cause; a failed rename puts back what was already moved.
* **No raw ids for managers.** Outside analyst mode, a report whose HTML or tables show a
  raw moderator, auditor or rater id of the input fails (``RawIdsInReport``) and is not
  published (:func:`qa_insights.reports.engine.publish.raw_id_hits`).

See ``docs/reliability.md`` for every guarantee and the test that proves it.
* **Incremental.** A report whose input fingerprint, notebook, parameters, package code
  and versions are unchanged is skipped unless ``force``.
* **Parallel.** ``jobs`` worker processes, each report on its own kernel; a progress bar
  on stderr.

Examples
--------
>>> summary = build(month="2026-10", data_dir="data_samples", out_dir="reports")  # doctest: +SKIP
>>> summary.exit_code, [r.status for r in summary.results][:2]                    # doctest: +SKIP
(0, ['ok', 'ok'])
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa_insights.data.months import is_month
from qa_insights.reports.engine.kinds import (
    REPORTS,
    ReportSpec,
    UnknownReport,
    report_stem,
    select_reports,
)
from qa_insights.reports.engine.paths import NOTEBOOKS_DIR
from qa_insights.reports.engine.run import run_tasks
from qa_insights.reports.engine.tasks import Task, TaskResult

__all__ = [
    "BuildError",
    "BuildSummary",
    "ENGINE_PARAMETERS",
    "build",
    "build_cli",
    "plan",
    "validate_parameters",
]



#: Parameters the engine passes to every report notebook (each must declare them).
ENGINE_PARAMETERS = ("month", "data_dir", "scope", "scope_value", "analyst_mode",
                     "tables_dir")


class BuildError(Exception):
    """A problem that stops the build before any report runs (exit code 2)."""


@dataclass
class BuildSummary:
    """What a build did: one result per report run, and the reports skipped as unchanged."""

    out_dir: Path
    months: list[str]
    results: list[TaskResult] = field(default_factory=list)
    skipped: list[Task] = field(default_factory=list)
    month_note: str = ""
    pdfs: list[Path] = field(default_factory=list)
    pdf_errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[TaskResult]:
        """Results with status ``failed``."""
        return [r for r in self.results if r.status == "failed"]

    @property
    def exit_code(self) -> int:
        """0 when nothing failed, else 1 (a report or its PDF failed)."""
        return 1 if self.failed or self.pdf_errors else 0


# --------------------------------------------------------------------------- validation

def validate_parameters(notebook: Path, parameters: dict[str, Any]) -> None:
    """Check ``parameters`` against the notebook's ``parameters`` cell
    (``papermill.inspect_notebook``): every name must be declared, with a value of the
    declared type (``str``, ``int``, ``float``, ``bool``).

    Raises
    ------
    BuildError
        Unknown name or wrong type; the message lists the declared parameters.

    Examples
    --------
    >>> validate_parameters(NOTEBOOKS_DIR / "monthly_quality_report.ipynb",
    ...                     {"mnth": "2026-10"})                  # doctest: +SKIP
    Traceback (most recent call last):
    ...
    BuildError: monthly_quality_report.ipynb: unknown parameter 'mnth'; ...
    """
    import papermill as pm

    declared = pm.inspect_notebook(str(notebook))
    listing = ", ".join(f"{n}: {p['inferred_type_name']}" for n, p in declared.items())
    types: dict[str, type | tuple[type, ...]] = {"str": str, "int": int,
                                                 "float": (int, float), "bool": bool}
    for name, value in parameters.items():
        if name not in declared:
            raise BuildError(f"{notebook.name}: unknown parameter {name!r}; the notebook "
                             f"declares {listing or 'no parameters cell'}")
        expected = types.get(declared[name]["inferred_type_name"])
        wrong_bool = isinstance(value, bool) and expected in (int, (int, float))
        if expected is not None and (not isinstance(value, expected) or wrong_bool):
            raise BuildError(f"{notebook.name}: parameter {name!r} expects "
                             f"{declared[name]['inferred_type_name']}, got {value!r}")


def _select_reports(reports: str | Sequence[str] | None,
                    registry: dict[str, ReportSpec]) -> list[ReportSpec]:
    try:
        return select_reports(reports, registry)
    except UnknownReport as exc:
        raise BuildError(str(exc)) from None


def _default_month(store: Any) -> tuple[str, str]:
    """The month built without ``--month`` and the sentence saying why that one."""
    from qa_insights.reports.engine.context import default_report_month

    chosen = default_report_month(store)
    if chosen is None:
        raise BuildError("the data holds no audits; nothing to build")
    month, how = chosen
    return month, f"--month not given: building {month}, the {how}"


def _select_months(store: Any, month: str | None, all_months: bool) -> list[str]:
    from qa_insights.reports.engine.context import known_months, months_with_data

    with_audits = months_with_data(store, "audits")
    if month and all_months:
        raise BuildError("give either --month or --all-months, not both")
    if all_months:
        return with_audits
    if not is_month(month):
        raise BuildError(f"--month {month!r} is not a month YYYY-MM")
    known = known_months(store)
    if month not in known:
        shown = ", ".join(with_audits) if len(with_audits) <= 24 else \
            f"{with_audits[0]} to {with_audits[-1]}"
        raise BuildError(f"--month {month}: no such month in the data; months with audits: "
                         f"{shown or 'none'}")
    return [month]


# --------------------------------------------------------------------------- planning

def _check_targets(store: Any, spec: ReportSpec) -> None:
    """Refuse a single report asked for (``rca:vendor=NAME``) whose scope the data lacks
    (``vendor`` without a sites table) or whose value is not in the audits, listing the
    valid ones, before any report runs."""
    from qa_insights.reports.engine.context import (
        SCOPES,
        ParameterError,
        report_scopes,
        scope_values,
    )

    for scope, value in spec.targets:
        asked = f"report '{spec.key}:{scope}={value}'"
        try:
            valid = [str(v) for v in scope_values(store, scope) if v is not None]
        except ParameterError as exc:
            if scope in SCOPES:  # vendor or region without a sites table: says so
                raise BuildError(f"{asked}: {exc}") from None
            scopes = ", ".join(s for s in report_scopes(store) if s != "org")
            raise BuildError(f"{asked}: the data has no {scope!r} (neither a report scope "
                             f"nor a column of the sites table); valid: {scopes}") from None
        if value not in valid:
            shown = ", ".join(valid[:30]) + (f" ... ({len(valid)} in all)"
                                             if len(valid) > 30 else "")
            raise BuildError(f"{asked}: {value!r} is not a {scope} of the data; valid "
                             f"{scope} values: {shown or 'none'}")


def _scopes(store: Any, spec: ReportSpec, month: str,
            rca_limit: int) -> list[tuple[str, str | None]]:
    """(scope, value) of each report of ``spec`` in ``month``: the targets asked for
    (checked against the data, :func:`_check_targets`); for a per-queue kind the
    ``rca_limit`` busiest queues, then every site or queue the month's findings point to
    (:func:`qa_insights.reports.engine.named.named_scopes`); else the organisation."""
    from qa_insights.reports.engine.context import scope_values
    from qa_insights.reports.engine.named import named_scopes

    if spec.targets:
        _check_targets(store, spec)
        return [(scope, value) for scope, value in spec.targets]
    if spec.per_queue:
        busiest: list[tuple[str, str | None]] = [
            ("queue", q) for q in scope_values(store, "queue", month, by_volume=True)[:rca_limit]]
        return list(dict.fromkeys(busiest + list(named_scopes(store, month))))
    return [("org", None)]


def plan(store: Any, months: Iterable[str], specs: Iterable[ReportSpec], *,
         data_dir: Path | str, out_dir: Path, notebooks_dir: Path, analyst_mode: bool = False,
         rca_limit: int = 8, header: dict[str, Any] | None = None,
         execution_timeout: int = 600, templates_dir: Path | None = None) -> list[Task]:
    """The tasks of a build: one per month and report, and for ``rca`` one per queue (the
    ``rca_limit`` busiest queues of the month, most audits first) and per site or queue the
    month's findings point to (:func:`qa_insights.reports.engine.named.named_scopes`)."""
    base_header = dict(header or {})
    tasks = []
    for month in months:
        staging_root = out_dir / month / ".staging"
        for spec in specs:
            for scope_name, value in _scopes(store, spec, month, rca_limit):
                stem = report_stem(spec.key, scope_name, value, {spec.key: spec})
                params = {"month": month, "data_dir": str(data_dir), "scope": scope_name,
                          "scope_value": value or "", "analyst_mode": analyst_mode}
                title = spec.title if value is None else f"{spec.title}: {scope_name} {value}"
                scope = "whole organisation" if value is None else f"{scope_name} {value}"
                tasks.append(Task(
                    report=spec.key, stem=stem, title=title, month=month,
                    notebook=notebooks_dir / spec.notebook, parameters=params,
                    staging=staging_root / f"{stem}-{os.getpid()}",
                    header={**base_header, "title": title, "month": month, "scope": scope,
                            "analyst_mode": analyst_mode},
                    execution_timeout=execution_timeout, templates_dir=templates_dir))
    return tasks


# --------------------------------------------------------------------------- building

def build(*, month: str | None = None, all_months: bool = False,
          reports: str | Sequence[str] | None = None, data_dir: str | os.PathLike[str] = "data_samples",
          out_dir: str | os.PathLike[str] = "reports", jobs: int | None = None, force: bool = False,
          analyst_mode: bool = False, rca_limit: int = 8, progress: bool = True,
          notebooks_dir: str | os.PathLike[str] | None = None,
          registry: dict[str, ReportSpec] | None = None,
          execution_timeout: int = 600, engine: str | None = None,
          pdf: bool = False) -> BuildSummary:
    """Build reports; see the module docstring for what is guaranteed.

    Parameters
    ----------
    month : str, optional
        ``YYYY-MM``; default the latest month with audits.
    all_months : bool
        Every month with audits (a backfill).
    reports : str or sequence of str, optional
        Keys of :data:`REPORTS` (comma-separated string or list); default all.
    data_dir, out_dir : path
        Data folder (or a store written by ``qa-insights ingest``: the report kernels then
        open it without validating; a store older than its source folder is refused) and
        output folder.
    jobs : int, optional
        Reports run in parallel (default: CPU cores).
    force : bool
        Rebuild reports whose inputs did not change.
    analyst_mode : bool
        Notebooks may show raw moderator ids; flagged in every report header.
    rca_limit : int
        Queues per month that get an RCA deep dive (the busiest).
    progress : bool
        Show a progress bar on stderr.
    notebooks_dir : path, optional
        Folder of the notebooks (default :data:`NOTEBOOKS_DIR`).
    registry : dict, optional
        Report key -> :class:`ReportSpec` (default :data:`REPORTS`).
    execution_timeout : int
        Seconds allowed per notebook cell.
    engine : {"duckdb", "spark"}, optional
        Query engine of the build and its report kernels (default ``$QA_INSIGHTS_ENGINE``
        or ``duckdb``; see :mod:`qa_insights.data.engine`). ``data_dir`` may then be a URL.
    pdf : bool
        Also print each report (built now, or unchanged but without an up-to-date PDF) to
        ``<stem>.pdf`` beside its HTML; Chromium is looked up before anything runs.

    Returns
    -------
    BuildSummary

    Raises
    ------
    BuildError
        Bad month, report name or parameter, unreadable data, missing notebook, another
        build holding the output folder, or ``pdf`` without Chromium; nothing was run.
    """
    from qa_insights.data.engine import engine_environment, engine_name, open_engine
    from qa_insights.data.errors import DataError
    from qa_insights.data.snapshot import data_snapshot
    from qa_insights.reports.engine.index import write_index
    from qa_insights.reports.engine.publish import (
        BuildLock,
        BuildLocked,
        Publisher,
        build_context,
        build_key,
        describe_os_error,
        private_id_kinds,
    )

    registry = REPORTS if registry is None else registry
    specs = _select_reports(reports, registry)
    chromium = _chromium() if pdf else None
    # A URL (s3a://, hdfs://) is passed to the engine as it is.
    data_dir = str(data_dir) if "://" in str(data_dir) else Path(data_dir).resolve()
    out_dir = Path(out_dir).resolve()
    notebooks = Path(notebooks_dir).resolve() if notebooks_dir else NOTEBOOKS_DIR
    jobs = (os.cpu_count() or 1) if jobs is None else jobs
    if jobs < 1:
        raise BuildError(f"--jobs must be at least 1, got {jobs}")
    for spec in specs:
        if not (notebooks / spec.notebook).is_file():
            raise BuildError(f"report {spec.key}: notebook {notebooks / spec.notebook} not found")
    # Taken before the data is read: a report finishing after any change is not published.
    snapshot = None if "://" in str(data_dir) else data_snapshot(data_dir)
    try:
        engine = engine_name(engine)
        store = open_engine(data_dir, engine=engine)
    except (DataError, ValueError) as exc:
        raise BuildError(str(exc)) from None
    if store.stale:
        store.close()
        raise BuildError(f"{data_dir}: the store is older than its source folder "
                         f"({'; '.join(store.stale[:5])}); run qa-insights ingest again")
    month_note = ""
    with store:
        if not month and not all_months:
            month, month_note = _default_month(store)
        months = _select_months(store, month, all_months)
        context = build_context(store.fingerprint, [notebooks / s.notebook for s in specs],
                                private_id_kinds(store), engine=engine)
        tasks = plan(store, months, specs, data_dir=data_dir, out_dir=out_dir,
                     notebooks_dir=notebooks, analyst_mode=analyst_mode, rca_limit=rca_limit,
                     header=context.header, execution_timeout=execution_timeout)
    for spec in specs:
        sample = next((t for t in tasks if t.report == spec.key), None)
        if sample is not None:
            validate_parameters(sample.notebook, {**sample.parameters, "tables_dir": ""})

    summary = BuildSummary(out_dir=out_dir, months=months, month_note=month_note)
    lock = BuildLock(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except BuildLocked as exc:
        raise BuildError(str(exc)) from None
    except OSError as exc:  # read-only or full file system, no permission
        raise BuildError(f"cannot write to the output folder {out_dir}: "
                         f"{describe_os_error(exc)}") from None
    try:
        publisher = Publisher(out_dir, context)
        publisher.clean_staging(months)
        keys = {(t.month, t.stem): build_key(t, context) for t in tasks}
        to_run = []
        for task in tasks:
            if not force and publisher.up_to_date(task, keys[task.month, task.stem]):
                summary.skipped.append(task)
            else:
                to_run.append(task)

        def on_result(result: TaskResult) -> None:
            if snapshot is not None and result.status != "failed":
                _fail_if_data_changed(result, snapshot, Path(data_dir))
            publisher.publish(result, keys[result.task.month, result.task.stem])
            summary.results.append(result)

        try:
            with engine_environment(engine):
                run_tasks(to_run, jobs, on_result, progress=progress)
        except OSError as exc:  # the manifest could not be written (disk full, read-only)
            raise BuildError(f"cannot write to the output folder {out_dir}: "
                             f"{describe_os_error(exc)}; the reports published before this "
                             "are complete, the others were not published") from None
        finally:
            try:
                write_index(out_dir)
            except OSError as exc:
                raise BuildError(f"cannot write {out_dir / 'index.html'}: "
                                 f"{describe_os_error(exc)}") from None
        _pdfs(summary, chromium, jobs)
    finally:
        lock.release()
    return summary


def _chromium() -> str:
    """The Chromium of ``--pdf``, or the BuildError saying it is missing."""
    from qa_insights.reports.engine.pdf import ChromiumMissing, find_chromium

    try:
        return find_chromium()
    except ChromiumMissing as exc:
        raise BuildError(str(exc)) from None


def _pdfs(summary: BuildSummary, chromium: str | None, jobs: int) -> None:
    """Print the published reports to PDF (``chromium`` given), or drop the PDFs their
    new HTML made stale; record the PDFs written and the failures in ``summary``."""
    from concurrent.futures import ThreadPoolExecutor

    from qa_insights.reports.engine.pdf import PdfError, print_pdf

    tasks = [r.task for r in summary.results if r.status != "failed"] + summary.skipped
    pages = [summary.out_dir / t.month / f"{t.stem}.html" for t in tasks]
    stale = [p for p in pages if p.is_file() and p.with_suffix(".pdf").is_file()
             and p.with_suffix(".pdf").stat().st_mtime_ns < p.stat().st_mtime_ns]
    if chromium is None:
        for page in stale:
            page.with_suffix(".pdf").unlink(missing_ok=True)
        return
    wanted = [p for p in pages if p.is_file() and (p in stale or not p.with_suffix(".pdf").is_file())]

    def one(page: Path) -> Path | str:
        try:
            return print_pdf(page, chromium=chromium)
        except PdfError as exc:
            return str(exc)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for outcome in pool.map(one, wanted):
            if isinstance(outcome, Path):
                summary.pdfs.append(outcome)
            else:
                summary.pdf_errors.append(outcome)


def _fail_if_data_changed(result: TaskResult, snapshot: dict[str, tuple[int, int]],
                          data_dir: Path) -> None:
    """Fail ``result`` when a data file changed since the build started: the report may
    have read either version, so it must not be published under either fingerprint."""
    from qa_insights.data.snapshot import changed_files, data_snapshot

    changed = changed_files(snapshot, data_snapshot(data_dir))
    if changed:
        shown = ", ".join(changed[:3]) + (", ..." if len(changed) > 3 else "")
        result.status = "failed"
        result.error = {"ename": "DataChanged", "cell_index": None, "exec_count": None,
                        "evalue": f"the data in {data_dir} changed during the build ({shown}):"
                                  " this report was not published; build again once the data "
                                  "is complete"}


def build_cli(args: argparse.Namespace) -> int:
    """Run ``qa-insights build`` from parsed arguments; returns the exit code (0 all built
    or unchanged, 1 a report failed, 2 nothing was run because of a usage or input
    problem)."""
    try:
        store = getattr(args, "store", None)
        summary = build(month=args.month, all_months=args.all_months, reports=args.reports,
                        data_dir=store or args.data, out_dir=args.out, jobs=args.jobs, force=args.force,
                        analyst_mode=getattr(args, "analyst_mode", False),
                        engine=getattr(args, "engine", None), pdf=getattr(args, "pdf", False))
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if summary.month_note:
        print(summary.month_note)
    for result in summary.results:
        task = result.task
        line = f"{result.status:<7} {task.month} {task.stem} ({result.duration_s:.1f} s)"
        if result.error:
            line += f": {result.error['ename']}: {result.error['evalue']}"
        print(line)
    if summary.skipped:
        print(f"skipped {len(summary.skipped)} unchanged report(s); --force rebuilds them")
    for path in summary.pdfs:
        print(f"pdf     {path}")
    for message in summary.pdf_errors:
        print(f"error: PDF not written: {message}", file=sys.stderr)
    print(f"index: {summary.out_dir / 'index.html'}")
    if summary.failed:
        print(f"{len(summary.failed)} report(s) failed; see the links in the index",
              file=sys.stderr)
    return summary.exit_code
