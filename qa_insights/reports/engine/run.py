"""Execute one report notebook with papermill and render it: the unit of work of a build.

:func:`run_task` never raises: whatever happens (a failing cell, a kernel that dies, a
rendering error) comes back as a :class:`TaskResult` with status ``ok``, ``empty`` (the
month had no data for the scope; the report says so) or ``failed``. Everything is written
into the task's private staging folder; the build engine publishes it.

Each run gets its own kernel over IPC sockets in a private temporary folder, so parallel
runs never race for TCP ports (papermill #511) and never share socket files.

Examples
--------
>>> result = run_task(task)                                         # doctest: +SKIP
>>> result.status, result.timings["execute_s"]                      # doctest: +SKIP
('ok', 4.1)
"""


from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qa_insights.reports.engine.tasks import STOPPED_ENAME, Task, TaskResult

__all__ = [
    "execute_notebook",
    "run_task",
]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def execute_notebook(notebook: Path, output: Path, parameters: dict[str, Any], *,
                     cwd: Path | None = None, execution_timeout: int = 600,
                     start_timeout: int = 120) -> None:
    """Run ``notebook`` with papermill into ``output`` on the ``python3`` kernel (the
    interpreter running this code), over IPC sockets in a private folder.

    Raises
    ------
    papermill.PapermillExecutionError
        A cell raised; ``output`` holds the executed notebook with papermill's error
        anchor before the failing cell.

    Examples
    --------
    >>> execute_notebook(Path("notebooks/monthly_quality_report.ipynb"),
    ...                  Path("/tmp/mqr.ipynb"), {"month": "2026-10"})  # doctest: +SKIP
    """
    import papermill as pm
    from traitlets.config import Config

    # A short path: AF_UNIX socket paths are limited to about 107 bytes.
    with tempfile.TemporaryDirectory(prefix="qa-k-", dir="/tmp" if os.path.isdir("/tmp")
                                     else None) as sockets:
        cfg = Config()
        cfg.KernelManager.transport = "ipc"
        cfg.KernelManager.ip = os.path.join(sockets, "kernel")
        # The kernel logs "KeyboardInterrupt caught in kernel" at every shutdown; cell
        # errors reach us through the notebook, so keep its log to critical messages.
        cfg.NotebookClient.extra_arguments = ["--IPKernelApp.log_level=CRITICAL"]
        pm.execute_notebook(str(notebook), str(output), parameters=parameters,
                            kernel_name="python3", cwd=str(cwd or notebook.parent),
                            progress_bar=False, log_output=False, request_save_on_cell_execute=False,
                            execution_timeout=execution_timeout, start_timeout=start_timeout,
                            config=cfg)


def _error_of(exc: BaseException) -> dict[str, Any]:
    from papermill import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return {"ename": exc.ename, "evalue": str(exc.evalue), "cell_index": exc.cell_index,
                "exec_count": exc.exec_count}
    if isinstance(exc, OSError) and exc.errno is not None:  # e.g. disk full, read-only
        from qa_insights.reports.engine.publish import describe_os_error

        where = Path(exc.filename).parent if exc.filename else "the staging folder"
        return {"ename": type(exc).__name__, "cell_index": None, "exec_count": None,
                "evalue": f"could not write into {where}: {describe_os_error(exc)}"}
    return {"ename": type(exc).__name__, "evalue": str(exc), "cell_index": None,
            "exec_count": None}


def run_task(task: Task) -> TaskResult:
    """Execute and render one report into ``task.staging``; never raises.

    Writes ``<stem>.ipynb`` and ``<stem>.html`` (status ``ok`` or ``empty``), or
    ``<stem>.failed.ipynb`` and ``<stem>.failed.html`` (status ``failed``; the HTML shows
    code and traceback, with ``#papermill-error-cell`` at the failing cell), and
    ``tables/*.csv`` (and ``*.xlsx``) written by the notebook.
    """
    import nbformat

    from qa_insights.present.display import read_records
    from qa_insights.reports.engine.paths import TEMPLATES_DIR
    from qa_insights.reports.engine.render import render_debug, render_report

    result = TaskResult(task=task, status="failed", started_at=_now())
    staging = task.staging
    tables_dir = staging / "tables"
    executed = staging / f"{task.stem}.ipynb"
    templates = task.templates_dir or TEMPLATES_DIR
    t0 = time.perf_counter()
    try:
        staging.mkdir(parents=True, exist_ok=True)
        params = {**task.parameters, "tables_dir": str(tables_dir)}
        try:
            execute_notebook(task.notebook, executed, params,
                             execution_timeout=task.execution_timeout)
            result.status = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure of the run is the report's
            result.error = _error_of(exc)
            result.status = "empty" if result.error["ename"] == STOPPED_ENAME else "failed"
            if result.status == "empty":
                result.error = None
        result.timings["execute_s"] = round(time.perf_counter() - t0, 3)

        t1 = time.perf_counter()
        if not executed.exists():
            raise RuntimeError("papermill wrote no output notebook (the kernel did not start?)")
        nb = nbformat.read(executed, as_version=4)
        result.records = read_records(nb)
        nb.metadata.setdefault("qa_insights", {})["records"] = result.records
        header = {**task.header, "status": result.status}
        seen = str(result.records.get("input_fingerprint", ""))
        if seen:  # the fingerprint of the data this report read (its month window)
            header["input_fingerprint"] = seen[:16]
        if result.status == "failed":
            rendered = render_debug(nb, header, templates_dir=templates,
                                    source_dir=task.notebook.parent)
            nbformat.write(nb, staging / f"{task.stem}.failed.ipynb")
            executed.unlink()
            (staging / f"{task.stem}.failed.html").write_text(rendered.html, encoding="utf-8")
        else:
            rendered = render_report(nb, header, templates_dir=templates,
                                     source_dir=task.notebook.parent)
            nbformat.write(nb, executed)
            (staging / f"{task.stem}.html").write_text(rendered.html, encoding="utf-8")
            result.tables = sorted(p.name for p in tables_dir.iterdir()
                                   if p.suffix in (".csv", ".xlsx")) \
                if tables_dir.is_dir() else []
        result.warnings.extend(rendered.warnings)
        result.timings["render_s"] = round(time.perf_counter() - t1, 3)
    except Exception as exc:  # noqa: BLE001 - isolate this report from the others
        result.status = "failed"
        result.error = result.error or {**_error_of(exc),
                                        "traceback": traceback.format_exc(limit=5)}
        result.timings.setdefault("execute_s", round(time.perf_counter() - t0, 3))
        if executed.exists():
            shutil.move(executed, staging / f"{task.stem}.failed.ipynb")
    result.finished_at = _now()
    return result


def skip_slow_iri_checker() -> None:
    """Keep jsonschema from importing ``rfc3987_syntax`` in this process (call it first).

    papermill and nbconvert import nbformat, which imports jsonschema, whose format module
    builds some 35 Lark parsers for the ``iri`` format at import time: 1.5-2 s for every
    build process and worker (python-jsonschema/jsonschema#1428). No notebook schema uses
    that format, so the build's own processes (the ``qa-insights build`` command and its
    workers) mark the module absent and jsonschema leaves the format unchecked. Nothing
    changes in a process that has already imported it, nor in a caller's own process.

    Examples
    --------
    >>> skip_slow_iri_checker()  # before anything imports nbformat  # doctest: +SKIP
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def _worker_init() -> None:
    skip_slow_iri_checker()
    # Kernels inherit this: silence debugpy's frozen-modules note on every kernel start.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def _crashed(task: Task, exc: BaseException) -> TaskResult:
    return TaskResult(task=task, status="failed", started_at=_now(), finished_at=_now(),
                      error={"ename": type(exc).__name__,
                             "evalue": f"the worker process running this report died: {exc}",
                             "cell_index": None, "exec_count": None})


def run_tasks(tasks: list[Task], jobs: int, on_result: Callable[[TaskResult], None], *,
              progress: bool = True) -> None:
    """Run ``tasks`` on ``jobs`` worker processes (in this process when ``jobs`` is 1 or
    there is one task), calling ``on_result`` in this process as each finishes, and, with
    ``progress``, printing one line per finished report on stderr (``[3/10] ok 2026-10
    rca_spam (8.6 s)``: readable in a log file, unlike a redrawn bar). A worker that dies
    fails its report only.

    Examples
    --------
    >>> run_tasks(tasks, 2, results.append, progress=False)           # doctest: +SKIP
    """
    finished = 0

    def done(result: TaskResult) -> None:
        nonlocal finished
        on_result(result)
        finished += 1
        if progress:
            print(f"[{finished}/{len(tasks)}] {result.status} {result.task.month} "
                  f"{result.task.stem} ({result.duration_s:.1f} s)", file=sys.stderr, flush=True)

    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            done(run_task(task))
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=ctx,
                             initializer=_worker_init) as pool:
        futures = {pool.submit(run_task, task): task for task in tasks}
        for future in as_completed(futures):
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - e.g. BrokenProcessPool
                result = _crashed(futures[future], exc)
            done(result)
