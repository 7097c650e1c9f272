"""What the engine runs and what comes back: a :class:`Task` per report and its
:class:`TaskResult`, shared by the runner (:mod:`.run`) and the publisher (:mod:`.publish`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "STOPPED_ENAME",
    "Task",
    "TaskResult",
]


#: Exception name with which a notebook stops because its month has no data.
STOPPED_ENAME = "NoDataForReport"


@dataclass(frozen=True)
class Task:
    """One report to build (picklable: it travels to worker processes).

    Attributes
    ----------
    report : str
        Report key (``mqr``, ``mbr``, ``calibration``, ``rca``).
    stem : str
        Output file stem, e.g. ``monthly_quality_report`` or ``rca_hate_speech``.
    title : str
        Title in the report header.
    month : str
        Reporting month.
    notebook : Path
        Source notebook.
    parameters : dict
        Notebook parameters (``tables_dir`` is added by :func:`run_task`).
    staging : Path
        Private folder for this run's outputs (on the output file system).
    header : dict
        Values for the report header and footer (see :func:`qa_insights.reports.engine.render.render_report`).
    execution_timeout : int
        Seconds allowed per cell.
    """

    report: str
    stem: str
    title: str
    month: str
    notebook: Path
    parameters: dict[str, Any]
    staging: Path
    header: dict[str, Any] = field(default_factory=dict)
    execution_timeout: int = 600
    templates_dir: Path | None = None


@dataclass
class TaskResult:
    """Outcome of :func:`run_task`; files are in ``task.staging``."""

    task: Task
    status: str
    started_at: str
    finished_at: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    records: dict[str, Any] = field(default_factory=dict)
    tables: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        """Wall time of the run (execution and rendering)."""
        return round(sum(self.timings.values()), 3)
