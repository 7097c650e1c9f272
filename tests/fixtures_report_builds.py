"""Session builds of the MBR and RCA (2026-08, where the planted jump is) and of the
calibration report (2026-09) on the sample data, each built once per test session (shared
by xdist workers under a file lock, as in tests/fixtures_reports.py).

Load with ``pytest_plugins = ["tests.fixtures_report_builds"]``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qa_insights.reports.engine.build import build
from tests.report_build_helpers import CALIBRATION_MONTH, JUMP_MONTH
from tests.report_helpers import summary_info

pytest_plugins = ["tests.fixtures_reports"]


def _once(*args: Any) -> dict[str, Any]:
    from tests.fixtures_reports import _once as once  # imported late: a plugin module

    return once(*args)


@pytest.fixture(scope="session")
def august_build(tmp_path_factory: pytest.TempPathFactory, worker_id: str,
                 sample_data: Path) -> dict[str, Any]:
    """MBR and the RCA of the 3 busiest queues (harassment among them) of 2026-08."""

    def make(folder: Path) -> dict[str, Any]:
        summary = build(month=JUMP_MONTH, reports=["mbr", "rca"], rca_limit=3,
                        data_dir=sample_data, out_dir=folder / "reports", jobs=2,
                        progress=False)
        return {**summary_info(summary), "data": str(sample_data)}

    return _once(tmp_path_factory, worker_id, "august-build", make)


@pytest.fixture(scope="session")
def calibration_build(tmp_path_factory: pytest.TempPathFactory, worker_id: str,
                      sample_data: Path) -> dict[str, Any]:
    """The calibration report of 2026-09."""

    def make(folder: Path) -> dict[str, Any]:
        summary = build(month=CALIBRATION_MONTH, reports=["calibration"], data_dir=sample_data,
                        out_dir=folder / "reports", jobs=1, progress=False)
        return {**summary_info(summary), "data": str(sample_data)}

    return _once(tmp_path_factory, worker_id, "calibration-build", make)

