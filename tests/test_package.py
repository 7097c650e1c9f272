"""The package's public surface: a static root API, one import path per name."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import qa_insights

INIT = Path(qa_insights.__file__)


def _root_imports() -> dict[str, str]:
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    return {alias.name: node.module for node in tree.body
            if isinstance(node, ast.ImportFrom) and node.module and node.module != "__future__"
            for alias in node.names}


def test_root_all_is_static_and_complete() -> None:
    imported = _root_imports()
    assert set(qa_insights.__all__) == set(imported) | {"__version__"}
    assert "__getattr__" not in vars(qa_insights)


@pytest.mark.parametrize("name", sorted(_root_imports()))
def test_root_name_is_the_defining_modules_object(name: str) -> None:
    module = importlib.import_module(_root_imports()[name])
    assert getattr(qa_insights, name) is getattr(module, name)
    assert name in module.__all__


def test_unknown_name() -> None:
    with pytest.raises(AttributeError, match="nope"):
        _ = qa_insights.nope
