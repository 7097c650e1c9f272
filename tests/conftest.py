"""Fixtures shared by the test modules."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from qa_insights.data.opening import open_store
from tests.fixtures_data import SAMPLE

# A fresh secret pseudonym key per test session (report kernels inherit the variable), so
# tests never read or create the key in the user's config folder.
os.environ.setdefault("QA_INSIGHTS_PSEUDONYM_KEY_FILE",
                      str(Path(tempfile.mkdtemp(prefix="qa-insights-key-")) / "pseudonym.key"))


@pytest.fixture(scope="session")
def sample_store():
    """The committed sample data, validated and opened once per test process (read only)."""
    with open_store(SAMPLE) as store:
        yield store



REQUIRE_PEERS = "QA_INSIGHTS_REQUIRE_PEERS"


def _skip_fails(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Turn a skip into a failure when ``QA_INSIGHTS_REQUIRE_PEERS=1``, keeping the reason."""
    if report.skipped and os.environ.get(REQUIRE_PEERS) == "1" and not hasattr(report,
                                                                              "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = (f"skipped, but {REQUIRE_PEERS}=1 requires every peer and tool: "
                           f"{reason}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With ``QA_INSIGHTS_REQUIRE_PEERS=1`` (``make test`` and CI) a skipped test fails.

    The peers (irrCAC, krippendorff, pyspark, playwright with chromium) are what the
    statistics and reports are checked against; a missing one must not pass silently.
    """
    outcome = yield
    _skip_fails(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """The same rule for a whole module skipped at import (``pytest.importorskip``)."""
    outcome = yield
    _skip_fails(outcome.get_result())
