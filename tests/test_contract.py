"""The contract is one definition: the docs page shows it and its example rows validate."""

from __future__ import annotations

import re
from pathlib import Path

from qa_insights.data.contract import TABLES, markdown_table
from qa_insights.data.opening import open_store

DOC = Path(__file__).resolve().parents[1] / "docs" / "data-contract.md"


def test_docs_show_the_contract_tables() -> None:
    text = DOC.read_text()
    for table in TABLES.values():
        assert markdown_table(table) in text, f"docs/data-contract.md is stale for {table.name}"


def test_docs_example_rows_validate(tmp_path: Path) -> None:
    sections = DOC.read_text().split("\n## ")[1:]
    blocks = {s.split("\n", 1)[0]: m.group(1) for s in sections
              if (m := re.search(r"```csv\n(.*?)```", s, re.S))}
    assert set(blocks) == set(TABLES)
    for name, block in blocks.items():
        (tmp_path / f"{name}.csv").write_text(block)
    with open_store(tmp_path) as store:
        assert store.validation.clean
        for name in TABLES:
            assert store.validation.tables[name].loaded == 1


def test_fixed_sets_only_where_the_design_says() -> None:
    fixed = {(t.name, c.name) for t in TABLES.values() for c in t.columns if c.allowed}
    assert fixed == {("audits", "site_type"), ("audits", "severity"),
                     ("audits", "dispute_status"), ("calibration", "rater_role"),
                     ("targets", "scope"), ("targets", "direction"), ("budgets", "scope"),
                     ("sites", "site_type"),
                     ("events", "scope"), ("events", "kind"),
                     ("rate_cards", "unit"), ("savings", "scope")}


def test_personal_columns_are_marked() -> None:
    personal = {(t.name, c.name) for t in TABLES.values() for c in t.columns if c.personal}
    assert ("audits", "moderator_id") in personal and ("calibration", "rater_id") in personal
