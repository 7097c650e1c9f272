"""Every module's docstring examples run (numpydoc ``Examples`` sections): collected
automatically for each module of the package, so a new module is covered without a line
here. Examples that need a store or a build are marked ``# doctest: +SKIP`` in place."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import qa_insights

MODULES = sorted(m.name for m in pkgutil.walk_packages(qa_insights.__path__, "qa_insights."))


def test_every_module_is_collected() -> None:
    assert "qa_insights.stats.proportions" in MODULES
    assert "qa_insights.reports.engine.kinds" in MODULES
    assert len(MODULES) > 60


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
