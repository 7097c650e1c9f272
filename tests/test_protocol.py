"""The Store protocol: what the DuckDB store offers is what the analysis modules use (the
Spark store is checked in tests/test_spark_store.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import qa_insights
from qa_insights.data.opening import open_store
from qa_insights.data.protocol import Store
from qa_insights.data.store import DuckDBStore

PACKAGE = Path(qa_insights.__file__).parent


def test_duckdb_store_satisfies_the_protocol(tmp_path: Path) -> None:
    from tests.fixtures_data import audit_row, write_audits

    write_audits(tmp_path, [audit_row("A1")])
    with open_store(tmp_path) as store:
        assert isinstance(store, Store) and isinstance(store, DuckDBStore)
        assert store.query("SELECT count(*) AS n FROM audits WHERE audit_id = ?",
                           ["A1"])["n"].iloc[0] == 1


def test_an_object_without_query_is_not_a_store() -> None:
    assert not isinstance(object(), Store)


def test_analysis_modules_use_only_the_protocol() -> None:
    """Outside the data layer and the command line (which opens a DuckDB store itself), a
    store is only used through the protocol's members."""
    members = {n for n in dir(Store) if not n.startswith("_")}
    for path in PACKAGE.rglob("*.py"):
        if "data" in path.relative_to(PACKAGE).parts or path.name == "cli.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "store" and not node.attr.startswith("_")):
                assert node.attr in members, f"{path}: store.{node.attr} is not in Store"
