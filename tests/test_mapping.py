"""The source mapping: a team's own exports -> the contract, with nothing lost silently.

The round trips turn the committed contract sample into platform-shaped exports
(tests/fixtures_exports.py), map them back, and require the same quality summary as the
original; the other tests check each reader and mapping feature and that problems name the
user's own file, row and column.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_insights.data.errors import DataError
from qa_insights.data.mapping import (
    MAPPING_FILE,
    load_mapping,
    normalise_label,
    parse_mapping,
)
from qa_insights.data.normalise import _labels, read_export
from qa_insights.data.opening import open_store
from qa_insights.quality.metrics import quality_summary
from tests.fixtures_data import SAMPLE
from tests.fixtures_exports import (
    MAESTRO_COLUMNS,
    MAESTRO_FORMAT,
    MAESTRO_ZONE,
    ZENDESK_COLUMNS,
    decision_map,
    maestro_frame,
    write_maestro_csv,
    write_zendesk_jsonl,
)

pytest_plugins = ["tests.fixtures_exports"]


def maestro_mapping(audits: pd.DataFrame, files: str = "maestro_audits*.csv") -> dict:
    """The mapping a person would write for :func:`write_maestro_csv`."""
    return {"tables": {"audits": {
        "files": [files],
        "reader": {"format": "csv", "delimiter": ";", "encoding": "latin-1", "decimal": ","},
        "columns": dict(MAESTRO_COLUMNS),
        "values": {"moderator_decision": decision_map(audits),
                   "auditor_decision": decision_map(audits),
                   "severity": {"Crit": "critical"}, "site_type": {"Outsourced": "bpo"},
                   "dispute_status": {"No dispute": "none"}},
        "timestamps": {"audited_at": {"format": MAESTRO_FORMAT, "timezone": MAESTRO_ZONE}}}}}


def write_mapping(folder: Path, mapping: dict) -> Path:
    path = folder / MAPPING_FILE
    path.write_text(yaml.safe_dump(mapping, sort_keys=False), encoding="utf-8")
    return path


def test_maestro_round_trip_gives_the_original_quality_summary(tmp_path, sample_audits):
    folder = tmp_path / "maestro"
    write_maestro_csv(sample_audits, folder / "maestro_audits.csv")
    for table in ("calibration", "volumes", "targets", "sites", "events", "projects", "rate_cards",
                  "savings"):   # already in the contract's shape
        shutil.copy(SAMPLE / f"{table}.csv", folder)
    write_mapping(folder, maestro_mapping(sample_audits))
    assert b"S\xe1tira" in (folder / "maestro_audits.csv").read_bytes()  # really Latin-1
    with open_store(folder) as mapped, open_store(SAMPLE) as original:
        for name, report in original.validation.tables.items():
            assert mapped.validation.tables[name].loaded == report.loaded
        assert mapped.validation.tables["audits"].files == ["maestro_audits.csv"]
        for by in (["month", "site"], ["queue", "severity", "error_type"]):
            pd.testing.assert_frame_equal(quality_summary(mapped, by),
                                          quality_summary(original, by))
        comments = mapped.query("SELECT comment FROM audits WHERE audit_id = ?",
                                [sample_audits.audit_id[0]])
        assert comments.comment[0] == "Sátira, não é ataque"


def test_zendesk_jsonl_round_trip(tmp_path, sample_audits):
    subset = sample_audits.iloc[:3000]
    write_zendesk_jsonl(subset, tmp_path / "zd" / "reviews.jsonl")
    mapping = {"tables": {"audits": {
        "files": ["*.jsonl"], "columns": dict(ZENDESK_COLUMNS)}}}
    write_mapping(tmp_path / "zd", mapping)
    original = tmp_path / "contract"
    original.mkdir()
    subset[list(ZENDESK_COLUMNS)].to_csv(original / "audits.csv", index=False)
    with open_store(tmp_path / "zd") as mapped, open_store(original) as direct:
        assert mapped.validation.tables["audits"].loaded == len(subset)
        pd.testing.assert_frame_equal(quality_summary(mapped, ["month", "site_type"]),
                                      quality_summary(direct, ["month", "site_type"]))


def _small_export(folder: Path, audits: pd.DataFrame) -> pd.DataFrame:
    """40 audits of the sample, 10 of them errors, in the MaestroQA shape."""
    wrong = audits.moderator_decision != audits.auditor_decision
    rows = pd.concat([audits[~wrong].iloc[:30], audits[wrong].iloc[:10]])
    frame = maestro_frame(rows.reset_index(drop=True))
    folder.mkdir(parents=True, exist_ok=True)
    return frame


def _write(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, sep=";", index=False, encoding="latin-1", errors="replace")


def test_quarantine_names_the_users_file_row_and_column(tmp_path, sample_audits):
    frame = _small_export(tmp_path, sample_audits)
    errors = frame.index[frame["Agent Decision"] != frame["Grader Decision"]]
    frame.loc[errors[0], "Sev"] = "Catastrophic"
    frame.loc[5, "Graded Date"] = "2026-13-45 99:99"
    _write(frame, tmp_path / "maestro_audits.csv")
    write_mapping(tmp_path, maestro_mapping(sample_audits))
    with open_store(tmp_path) as store:
        q = store.quarantine("audits").set_index("_row")
    user_file = str(tmp_path / "maestro_audits.csv")
    assert set(q["_file"]) == {user_file}
    assert q.loc[errors[0] + 1, "reason"] == (
        "column `Sev` mapped to `severity`: expected one of critical, major, minor")
    assert q.loc[6, "reason"] == (
        f"column `Graded Date` mapped to `audited_at`: expected a time in the format "
        f"{MAESTRO_FORMAT}")
    assert len(q) == 2


def test_headers_differing_by_case_or_spaces_match_without_a_mapping(tmp_path):
    lines = [(" Audit_ID ;Audited At;QUEUE;Market;Site;site type;Moderator ID;"
             "Moderator Decision;Auditor Decision"),
             "A1;2026-10-01T10:00:00Z;spam;US;s1;BPO;m1;Spam;No Violation",
             "A2;2026-10-01T11:00:00Z;spam;US;s1;bpo;m1; spam ;spam"]
    (tmp_path / "export.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_mapping(tmp_path, {"tables": {"audits": {
        "files": "export.csv", "reader": {"delimiter": ";"}}}})
    with open_store(tmp_path) as store:
        rows = store.query("SELECT audit_id, site_type, moderator_decision, "
                           "auditor_decision, error_type FROM audits ORDER BY 1")
    assert rows.fillna("-").values.tolist() == [
        ["A1", "bpo", "spam", "no_violation", "false_positive"],
        ["A2", "bpo", "spam", "spam", "-"]]


def test_constants_fill_a_column_the_export_lacks(tmp_path):
    lines = ["id,when,queue,market,site,agent,agent_says,qa_says,filename,_row",
             "A1,2026-10-01 12:00,spam,US,s1,m1,spam,spam,shot.png,7"]
    (tmp_path / "vendor.csv").write_text("\n".join(lines) + "\n")
    write_mapping(tmp_path, {"tables": {"audits": {
        "files": "vendor.csv",
        "columns": {"audit_id": "id", "audited_at": "when", "moderator_id": "agent",
                    "moderator_decision": "agent_says", "auditor_decision": "qa_says"},
        "timestamps": {"audited_at": {"timezone": "Asia/Manila"}},
        "constants": {"site_type": "bpo"}}}})
    with open_store(tmp_path) as store:
        row = store.query("SELECT site_type, audited_at FROM audits").iloc[0]
        assert {"export_filename", "export__row"} <= set(store.columns["audits"])
        assert store.validation.tables["audits"].files == ["vendor.csv"]
    assert row.site_type == "bpo"
    assert row.audited_at == pd.Timestamp("2026-10-01 04:00")  # Manila is UTC+8


def test_daylight_saving_gaps_and_repeats_are_quarantined_with_the_reason(tmp_path):
    lines = ["id,when,queue,market,site,agent,agent_says,qa_says",
             "A1,2026-10-25 01:30,spam,IE,s1,m1,spam,spam",     # Dublin: happens twice
             "A2,2026-03-29 01:30,spam,IE,s1,m1,spam,spam",     # Dublin: never happens
             "A3,2026-10-25 03:30,spam,IE,s1,m1,spam,spam"]     # 03:30 GMT
    (tmp_path / "v.csv").write_text("\n".join(lines) + "\n")
    write_mapping(tmp_path, {"tables": {"audits": {
        "files": "v.csv", "constants": {"site_type": "in_house"},
        "columns": {"audit_id": "id", "audited_at": "when", "moderator_id": "agent",
                    "moderator_decision": "agent_says", "auditor_decision": "qa_says"},
        "timestamps": {"audited_at": {"format": "%Y-%m-%d %H:%M",
                                      "timezone": "Europe/Dublin"}}}}})
    with open_store(tmp_path) as store:
        q = store.quarantine("audits").set_index("_row")
        kept = store.query("SELECT audited_at FROM audits").audited_at.tolist()
    assert kept == [pd.Timestamp("2026-10-25 03:30")]
    assert sorted(q.index) == [1, 2]
    assert q.audited_at.str.endswith("(ambiguous or skipped local time in Europe/Dublin: "
                                     "daylight saving change)").all()
    assert (q.reason == "column `when` mapped to `audited_at`: expected a time in the "
            "format %Y-%m-%d %H:%M").all()


def test_unmapped_labels_are_listed(tmp_path, sample_audits):
    frame = _small_export(tmp_path, sample_audits)
    _write(frame, tmp_path / "maestro_audits.csv")
    mapping = maestro_mapping(sample_audits)
    del mapping["tables"]["audits"]["values"]["moderator_decision"]["Approve"]
    write_mapping(tmp_path, mapping)
    with open_store(tmp_path) as store:
        unmapped = store.mapping.unmapped["audits"]
    assert unmapped["moderator_decision"] == {
        "Approve": int((frame["Agent Decision"] == "Approve").sum())}


@pytest.mark.parametrize(("change", "message"), [
    ({"columns": {"severity": "Severity Level"}}, ("column 'Severity Level' (mapped to "
     "'severity') is not in the header")),
    ({"columns": {"sevrity": "Sev"}}, "did you mean 'severity'"),
    ({"columns": {"queue": None}}, "columns: 'queue' needs a single value"),
    ({"files": ["nothing*.csv"]}, "'nothing*.csv' matches no file"),
    ({"timestamps": {"audited_at": {"timezone": "Mars/Olympus"}}}, "unknown time zone"),
    ({"reader": {"delimiter": ";", "encoding": "utf-8"}}, "set reader.encoding"),
])
def test_mapping_problems_name_the_file_and_key(tmp_path, sample_audits, change, message):
    frame = _small_export(tmp_path, sample_audits)
    _write(frame, tmp_path / "maestro_audits.csv")
    mapping = maestro_mapping(sample_audits)
    table = mapping["tables"]["audits"]
    for key, value in change.items():
        table[key] = {**table[key], **value} if isinstance(value, dict) and key in (
            "columns", "timestamps") else value
    write_mapping(tmp_path, mapping)
    with pytest.raises(DataError) as info:
        open_store(tmp_path)
    assert message in str(info.value)
    assert str(tmp_path) in str(info.value)


def test_required_column_without_a_source_is_named(tmp_path, sample_audits):
    frame = _small_export(tmp_path, sample_audits).drop(columns=["Site Type"])
    _write(frame, tmp_path / "maestro_audits.csv")
    mapping = maestro_mapping(sample_audits)
    del mapping["tables"]["audits"]["columns"]["site_type"]
    write_mapping(tmp_path, mapping)
    with pytest.raises(DataError, match="site_type: name the file's column under columns: "
                       "or give a value under constants:"):
        open_store(tmp_path)


def test_validate_names_the_mapping_and_the_users_file(tmp_path, sample_audits, capsys):
    from qa_insights.cli import main

    frame = _small_export(tmp_path, sample_audits)
    frame.loc[0, "Sev"] = "Catastrophic"      # on an agreeing audit: two findings in one
    _write(frame, tmp_path / "maestro_audits.csv")
    config = write_mapping(tmp_path, maestro_mapping(sample_audits))
    assert main(["validate", str(tmp_path), "--quarantine-dir", str(tmp_path / "q")]) == 1
    out = capsys.readouterr().out
    assert f"through the source mapping {config}" in out
    assert "severity: 1 value(s) not in the mapping's value map, kept normalised: " \
           "'Catastrophic' (1)" in out
    written = pd.read_csv(tmp_path / "q" / "audits.quarantine.csv")
    assert written[["_file", "_row"]].values.tolist() == [
        [str(tmp_path / "maestro_audits.csv"), 1]]
    assert written.reason[0].startswith("column `Sev` mapped to `severity`: ")


def test_config_path_outside_the_data_folder(tmp_path, sample_audits):
    data = tmp_path / "data"
    _write(_small_export(data, sample_audits), data / "maestro_audits.csv")
    config = write_mapping(tmp_path, maestro_mapping(sample_audits))
    with pytest.raises(DataError, match="required table 'audits' not found"):
        open_store(data)
    with open_store(data, config=config) as store:
        assert store.validation.tables["audits"].loaded == 40


def test_mapping_named_by_the_environment(tmp_path, sample_audits, monkeypatch):
    data = tmp_path / "data"
    _write(_small_export(data, sample_audits), data / "maestro_audits.csv")
    config = write_mapping(tmp_path, maestro_mapping(sample_audits))
    monkeypatch.setenv("QA_INSIGHTS_MAPPING", str(config))
    with open_store(data) as store:
        assert store.validation.tables["audits"].files == ["maestro_audits.csv"]
        assert store.mapping.renamed["audits"]["severity"] == "Sev"


def test_unknown_keys_are_refused(tmp_path):
    with pytest.raises(DataError, match="unknown key"):
        parse_mapping({"tables": {"audits": {"files": "a.csv", "colums": {}}}}, "m.yaml")
    with pytest.raises(DataError, match="unknown table 'audit'"):
        parse_mapping({"tables": {"audit": {"files": "a.csv"}}}, "m.yaml")
    with pytest.raises(DataError, match="not valid YAML"):
        bad = tmp_path / "m.yaml"
        bad.write_text("tables: [unclosed")
        load_mapping(bad)


def test_xlsx_reader_needs_openpyxl(tmp_path):
    (tmp_path / "vendor.xlsx").write_bytes(b"PK\x03\x04")
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        with pytest.raises(DataError, match="needs the openpyxl package"):
            read_export(tmp_path / "vendor.xlsx")
    else:
        with pytest.raises(DataError, match="vendor.xlsx"):
            read_export(tmp_path / "vendor.xlsx")


def test_jsonl_reader_names_the_bad_line(tmp_path):
    (tmp_path / "r.jsonl").write_text('{"a": 1}\n{"a": 2,\n')
    with pytest.raises(DataError, match=r"r.jsonl: line 2: not a JSON object"):
        read_export(tmp_path / "r.jsonl")


def test_doctests():
    import doctest

    from qa_insights.data import mapped_store, mapping, normalise

    for module in (mapping, normalise, mapped_store):
        assert doctest.testmod(module).failed == 0


_WORDS = st.lists(st.text("abcdefghijklmnopqrstuvwxyzÁÉÍ", min_size=1, max_size=6),
                  min_size=1, max_size=3)


@settings(max_examples=100, deadline=None)
@given(_WORDS, st.randoms(use_true_random=False))
def test_value_map_keys_match_in_any_case_and_spacing(words, rnd):
    key = " ".join(words)
    variant = " " * rnd.randint(0, 2) + "  ".join(
        "".join(ch.upper() if rnd.random() < 0.5 else ch for ch in w) for w in words) + " "
    unmapped: dict[str, int] = {}
    out = _labels(pd.Series([variant, None, "Other 9"]), {key: "mapped"}, True, unmapped)
    assert out.tolist() == ["mapped", None, "other_9"]   # keys have no digits
    assert unmapped == {"Other 9": 1}
    assert normalise_label(normalise_label(variant)) == normalise_label(variant)
