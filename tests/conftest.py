"""Fixtures shared by the test modules."""

from __future__ import annotations

import pytest

from qa_insights.store import open_store
from tests.fixtures_data import SAMPLE


@pytest.fixture(scope="session")
def sample_store():
    """The committed sample data, validated and opened once per test process (read only)."""
    with open_store(SAMPLE) as store:
        yield store
