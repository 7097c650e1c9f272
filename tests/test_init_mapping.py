"""`qa-insights init`: a drafted mapping validates platform-shaped exports with at most the
edits it lists, and says what it could not decide."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_insights.cli import main
from qa_insights.data.contract import TABLES
from qa_insights.data.init_mapping import draft_mapping, match_header
from qa_insights.data.mapping import MAPPING_FILE
from qa_insights.data.opening import open_store
from qa_insights.quality.metrics import quality_summary
from tests.fixtures_data import SAMPLE
from tests.fixtures_exports import (
    MAESTRO_ZONE,
    ZENDESK_COLUMNS,
    maestro_frame,
    write_maestro_csv,
    write_zendesk_jsonl,
)

pytest_plugins = ["tests.fixtures_exports"]


def test_maestro_export_needs_only_the_time_zone(tmp_path, sample_audits, capsys):
    folder = tmp_path / "maestro"
    write_maestro_csv(sample_audits, folder / "maestro_audits.csv")
    for table in ("calibration", "volumes", "targets"):
        shutil.copy(SAMPLE / f"{table}.csv", folder)
    assert main(["init", str(folder)]) == 0
    printed = capsys.readouterr().out
    assert "audits from maestro_audits.csv" in printed
    assert "has no UTC offset" in printed           # the one thing it cannot know
    text = (folder / MAPPING_FILE).read_text()
    assert 'encoding: "cp1252"' in text and 'delimiter: ";"' in text and 'decimal: ","' in text
    assert '"Approve": "no_violation"' in text and '"Crit": "critical"' in text
    draft = draft_mapping(folder)
    assert draft.undecided == [
        ("audits: audited_at ('Graded Date') has no UTC offset: timezone assumed UTC; set the "
        "export's time zone")]
    assert set(draft.tables) == {"audits"}           # contract-shaped tables are read as is
    (folder / MAPPING_FILE).write_text(text.replace('timezone: "UTC"',
                                                    f'timezone: "{MAESTRO_ZONE}"'))
    with open_store(folder) as mapped, open_store(SAMPLE) as original:
        assert mapped.validation.clean
        for by in (["month", "site"], ["month", "severity", "dispute_status"]):
            pd.testing.assert_frame_equal(quality_summary(mapped, by),
                                          quality_summary(original, by))


def test_zendesk_jsonl_needs_no_edit(tmp_path, sample_audits):
    subset = sample_audits.iloc[:2000]
    write_zendesk_jsonl(subset, tmp_path / "zd" / "reviews.jsonl")
    draft = draft_mapping(tmp_path / "zd")
    assert draft.undecided == []
    (tmp_path / "zd" / MAPPING_FILE).write_text(draft.text)
    direct = tmp_path / "contract"
    direct.mkdir()
    subset[list(ZENDESK_COLUMNS)].to_csv(direct / "audits.csv", index=False)
    with open_store(tmp_path / "zd") as mapped, open_store(direct) as original:
        pd.testing.assert_frame_equal(quality_summary(mapped, ["month", "site"]),
                                      quality_summary(original, ["month", "site"]))


def test_lists_what_it_cannot_decide(tmp_path, sample_audits):
    frame = maestro_frame(sample_audits.iloc[:50]).drop(columns=["Site Type"])
    frame.loc[0, "Agent Decision"] = "Remove"                    # which policy?
    frame["Graded Date"] = "01/02/2026 10:00"                    # January 2 or February 1?
    frame.to_csv(tmp_path / "vendor.csv", index=False)
    draft = draft_mapping(tmp_path)
    joined = "\n".join(draft.undecided)
    assert "moderator_decision value 'Remove' (1 rows): no contract value proposed" in joined
    assert "no column found for required 'site_type'" in joined
    assert "fits several formats (%m/%d/%Y %H:%M, %d/%m/%Y %H:%M)" in joined
    assert "#  site_type:" in draft.text and "TODO" in draft.text


def test_title_rows_above_the_header_are_skipped(tmp_path, sample_audits):
    frame = maestro_frame(sample_audits.iloc[:60])
    body = frame.to_csv(sep=";", index=False)
    (tmp_path / "vendor.csv").write_text("Vendor QA export, October 2026\n\n" + body)
    draft = draft_mapping(tmp_path)
    assert "skip_rows: 2" in draft.text and 'delimiter: ";"' in draft.text
    assert 'audit_id: "Audit ID"' in draft.text
    (tmp_path / MAPPING_FILE).write_text(draft.text)
    with open_store(tmp_path) as store:
        assert store.validation.tables["audits"].loaded == 60


def test_init_keeps_an_existing_mapping(tmp_path, capsys):
    (tmp_path / MAPPING_FILE).write_text("tables: {}\n")
    assert main(["init", str(tmp_path)]) == 2
    assert "exists; use --force" in capsys.readouterr().err


def test_vendor_xlsx_with_a_title_row(tmp_path, sample_audits):
    pytest.importorskip("openpyxl")
    frame = maestro_frame(sample_audits.iloc[:50])
    with pd.ExcelWriter(tmp_path / "vendor.xlsx") as writer:
        frame.to_excel(writer, index=False, startrow=1)   # a title row above the header
    draft = draft_mapping(tmp_path)
    assert "audits" in draft.tables and "skip_rows: 1" in draft.text


_CONTRACT = TABLES["audits"].names


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(_CONTRACT), min_size=1, unique=True),
       st.randoms(use_true_random=False))
def test_contract_names_in_any_case_and_spacing_map_to_themselves(names, rnd):
    def disguise(name: str) -> str:
        text = "".join(ch.upper() if rnd.random() < 0.5 else ch for ch in name)
        return " " * rnd.randint(0, 2) + text.replace("_", rnd.choice(["_", " ", "-"]))
    header = [disguise(n) for n in names]
    matches = match_header(TABLES["audits"], header)
    assert {c: h for c, (h, _, _) in matches.items()} == dict(zip(names, header, strict=True))


def test_doctests():
    import doctest

    from qa_insights.data import init_mapping

    assert doctest.testmod(init_mapping).failed == 0
