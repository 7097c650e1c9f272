"""The package's public surface: every exported name resolves to the module's object."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import qa_insights


@pytest.mark.parametrize("name", sorted(qa_insights._EXPORTS))
def test_export_resolves(name: str) -> None:
    module = importlib.import_module(f"qa_insights.{qa_insights._EXPORTS[name]}")
    assert getattr(qa_insights, name) is getattr(module, name)
    assert name in module.__all__


def test_unknown_name() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        qa_insights.nope  # noqa: B018


def test_import_is_light() -> None:
    code = "import sys, qa_insights; print('duckdb' in sys.modules, 'scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]
