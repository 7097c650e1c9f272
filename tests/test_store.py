"""The validated store: fatal errors with exact messages, quarantine reasons, the
row-count invariant, derived columns, robust reading."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_insights.data.errors import DataError
from qa_insights.data.opening import open_store

from .fixtures_data import AUDIT_HEADER, audit_row, write_audits


def _reasons(store, table: str = "audits") -> dict[str, int]:
    return store.validation.tables[table].quarantined


def _assert_invariant(store) -> None:
    for report in store.validation.tables.values():
        assert report.read == (report.loaded + report.quarantined_total + report.duplicates
                               + report.outside_window)


# ----------------------------------------------------------------------------- fatal

def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nope: data folder not found$"):
        open_store(tmp_path / "nope")


def test_missing_required_table(tmp_path: Path) -> None:
    (tmp_path / "volumes.csv").write_text("month\n")
    with pytest.raises(DataError) as err:
        open_store(tmp_path)
    assert str(err.value) == (f"{tmp_path}: required table 'audits' not found: expected "
                              "audits.csv, audits.parquet or a folder audits/")


def test_missing_required_column(tmp_path: Path) -> None:
    header = AUDIT_HEADER.replace("queue,", "")
    write_audits(tmp_path, ["A1,2026-10-01,US,s1,bpo,m1,spam,spam,,,10,none,"], header=header)
    with pytest.raises(DataError) as err:
        open_store(tmp_path)
    assert str(err.value).startswith(f"{tmp_path / 'audits.csv'}: missing required column "
                                      "'queue' (found: 'audit_id', 'audited_at', 'market'")


def test_mixed_case_header_names_the_column(tmp_path: Path) -> None:
    write_audits(tmp_path, [audit_row()], header=AUDIT_HEADER.replace("queue", " Queue"))
    with pytest.raises(DataError) as err:
        open_store(tmp_path)
    assert str(err.value) == (f"{tmp_path / 'audits.csv'}: column ' Queue' does not match "
                              "the contract name 'queue' (names are lower case, without "
                              "spaces)")


def test_header_only_file_is_empty(tmp_path: Path) -> None:
    write_audits(tmp_path, [])
    with pytest.raises(DataError) as err:
        open_store(tmp_path)
    assert str(err.value) == (f"{tmp_path / 'audits.csv'}: table 'audits' is empty: expected "
                              "at least one data row after the header")


def test_zero_byte_file_is_empty(tmp_path: Path) -> None:
    (tmp_path / "audits.csv").write_bytes(b"")
    with pytest.raises(DataError) as err:
        open_store(tmp_path)
    assert str(err.value) == (
        f"{tmp_path / 'audits.csv'}: table 'audits' is empty: expected a header row with "
        "columns audit_id, audited_at, queue, market, site, site_type, moderator_id, "
        "moderator_decision, auditor_decision")


def test_binary_garbage_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "audits.csv").write_bytes(bytes(range(128, 256)) * 20)
    with pytest.raises(DataError) as err:
        open_store(tmp_path)
    assert str(err.value) == (f"{tmp_path / 'audits.csv'}: header row is not UTF-8 text "
                              "(invalid start byte at byte 0); save the file as UTF-8")


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_corrupt_parquet(tmp_path: Path) -> None:
    table = pa.table({"audit_id": ["A1"], "queue": ["spam"]})
    pq.write_table(table, tmp_path / "audits.parquet")
    _truncate(tmp_path / "audits.parquet")
    path = tmp_path / "audits.parquet"
    with pytest.raises(DataError) as err:
        open_store(tmp_path)
    assert str(err.value) == (f"{path}: cannot read as Parquet: Invalid Input Error: No magic "
                              f"bytes found at end of file '{path}'")


def test_table_given_twice(tmp_path: Path) -> None:
    write_audits(tmp_path, [audit_row()])
    write_audits(tmp_path / "audits", [audit_row()])
    with pytest.raises(DataError, match=r"table 'audits' is given twice \(audits.csv and "
                                        r"folder audits/\); keep one"):
        open_store(tmp_path)


# ----------------------------------------------------------------------------- rows

@pytest.mark.parametrize(("changes", "reason"), [
    ({"queue": ""}, "queue: missing required value"),
    ({"audited_at": "14/10/2026 09:00"}, "audited_at: expected an ISO 8601 timestamp"),
    ({"site_type": "vendor"}, "site_type: expected one of in_house, bpo"),
    ({"severity": "huge", "moderator_decision": "no_violation"},
     "severity: expected one of critical, major, minor"),
    ({"handle_time_s": "-3"}, "handle_time_s: expected a value >= 0"),
    ({"handle_time_s": "fast"}, "handle_time_s: expected a number"),
    ({"dispute_status": "overturned"},
     "dispute_status: overturned on an audit where moderator and auditor agree"),
    ({"error_reason": "fatigue"},
     "error_reason/severity: set on an audit where moderator and auditor agree"),
])
def test_row_problems_are_quarantined_with_reason(tmp_path: Path, changes: dict,
                                                  reason: str) -> None:
    write_audits(tmp_path, [audit_row("A0"), audit_row("A1", **changes)])
    with open_store(tmp_path) as store:
        assert _reasons(store) == {reason: 1}
        q = store.quarantine("audits")
        assert q.loc[0, "audit_id"] == "A1" and q.loc[0, "_row"] == 2
        assert store.con.sql("SELECT audit_id FROM audits").fetchall() == [("A0",)]
        _assert_invariant(store)


def test_duplicates_exact_collapsed_conflicting_quarantined(tmp_path: Path) -> None:
    rows = [audit_row("A1"), audit_row("A1"), audit_row("A1"),
            audit_row("A2"), audit_row("A2", moderator_id="m9"), audit_row("A3")]
    write_audits(tmp_path, rows)
    with open_store(tmp_path) as store:
        report = store.validation.tables["audits"]
        assert (report.read, report.loaded, report.duplicates) == (6, 2, 2)
        assert report.quarantined == {"duplicate audit_id with conflicting content": 2}
        assert sorted(store.con.sql("SELECT audit_id FROM audits").fetchall()) == [
            ("A1",), ("A3",)]
        _assert_invariant(store)


def test_malformed_csv_line_keeps_row_numbers(tmp_path: Path) -> None:
    rows = [audit_row("A1"), "A2,2026-10-01,spam", audit_row("A3", queue="")]
    write_audits(tmp_path, rows)
    with open_store(tmp_path) as store:
        q = store.quarantine("audits").set_index("_row")
        assert q.loc[2, "reason"] == "malformed CSV line: missing columns"
        assert q.loc[2, "raw_line"] == "A2,2026-10-01,spam"
        assert q.loc[3, "reason"] == "queue: missing required value"
        _assert_invariant(store)


def test_non_utf8_row_is_quarantined(tmp_path: Path) -> None:
    write_audits(tmp_path, [audit_row("A1"), audit_row("A2", comment="caf\xe9")],
                 encoding="latin-1")
    with open_store(tmp_path) as store:
        assert _reasons(store) == {"malformed CSV line: invalid encoding": 1}
        assert store.quarantine("audits").loc[0, "_row"] == 2
        _assert_invariant(store)


def test_robust_reading_bom_crlf_quotes_gzip(tmp_path: Path) -> None:
    rows = [audit_row("A1", comment='"a, b ""quoted""\nsecond line"'),
            audit_row("A2", audited_at="2026-10-01T01:30:00+05:30")]
    folder = write_audits(tmp_path / "d", rows, newline="\r\n")
    data = (folder / "audits.csv").read_bytes()
    (folder / "audits.csv").write_bytes(b"\xef\xbb\xbf" + data)
    with open_store(folder) as store:
        assert store.validation.clean
        got = store.con.sql("SELECT audit_id, comment, audited_at, month FROM audits "
                            "ORDER BY 1").df()
        assert got.loc[0, "comment"] == 'a, b "quoted"\r\nsecond line' or \
            got.loc[0, "comment"] == 'a, b "quoted"\nsecond line'
        # +05:30 converted to UTC: the previous day, and so the previous month
        assert str(got.loc[1, "audited_at"]) == "2026-09-30 20:00:00"
        assert got.loc[1, "month"] == "2026-09"
    gz = tmp_path / "g"
    gz.mkdir()
    (gz / "audits.csv.gz").write_bytes(gzip.compress(data))
    with open_store(gz) as store:
        assert store.validation.tables["audits"].loaded == 2


def test_hostile_text_is_valid_data(tmp_path: Path) -> None:
    rows = [audit_row("A1", comment="<script>window.x=1</script>"),
            audit_row("A2", comment='"=HYPERLINK(""http://x"",""y"")"'),
            audit_row("A3", site="x'; DROP TABLE audits; --")]
    write_audits(tmp_path, rows)
    with open_store(tmp_path) as store:
        assert store.validation.clean
        assert store.con.execute("SELECT count(*) FROM audits").fetchall() == [(3,)]


def test_derived_columns(tmp_path: Path) -> None:
    rows = [audit_row("FP", moderator_decision="spam", auditor_decision="no_violation",
                      severity="minor"),
            audit_row("FN", moderator_decision="no_violation", auditor_decision="spam",
                      severity="major"),
            audit_row("WP", moderator_decision="hate", auditor_decision="spam"),
            audit_row("OK"),
            audit_row("OV", moderator_decision="hate", auditor_decision="spam",
                      dispute_status="overturned")]
    write_audits(tmp_path, rows)
    with open_store(tmp_path) as store:
        got = dict(store.con.sql("SELECT audit_id, coalesce(error_type, '-') || '/' || "
                                 "is_error::VARCHAR FROM audits").fetchall())
    assert got == {"FP": "false_positive/true", "FN": "false_negative/true",
                   "WP": "wrong_policy/true", "OK": "-/false", "OV": "-/false"}


def test_parquet_folder_with_hive_partitions(tmp_path: Path) -> None:
    frame = pd.DataFrame([dict(zip(AUDIT_HEADER.split(","), audit_row(f"A{i}").split(",")))
                          for i in range(4)]).replace("", None)
    frame["audited_at"] = pd.to_datetime(frame["audited_at"], utc=True)
    frame["handle_time_s"] = frame["handle_time_s"].astype(float)
    for month in ("2026-09", "2026-10"):
        part = tmp_path / "audits" / f"month={month}"
        part.mkdir(parents=True)
        pq.write_table(pa.Table.from_pandas(frame.assign(audit_id=frame.audit_id + month),
                                            preserve_index=False), part / "part-0.parquet")
    with open_store(tmp_path) as store:
        assert store.validation.clean
        assert store.validation.tables["audits"].loaded == 8
        assert store.validation.tables["audits"].files == [
            "audits/month=2026-09/part-0.parquet", "audits/month=2026-10/part-0.parquet"]


def test_fingerprint_changes_with_content(tmp_path: Path) -> None:
    write_audits(tmp_path, [audit_row("A1")])
    with open_store(tmp_path) as store:
        first = store.fingerprint
    with open_store(tmp_path) as store:
        assert store.fingerprint == first
    write_audits(tmp_path, [audit_row("A2")])
    with open_store(tmp_path) as store:
        assert store.fingerprint != first


def test_write_quarantine_neutralises_formulas(tmp_path: Path) -> None:
    write_audits(tmp_path / "d", [audit_row("=cmd|' /C calc'!A0", queue="")])
    with open_store(tmp_path / "d") as store:
        (path,) = store.write_quarantine(tmp_path / "q")
    text = path.read_text()
    assert "'=cmd|" in text and "queue: missing required value" in text


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["A1", "A2", "A3"]),
                          st.sampled_from(["spam", "", "hate"]),
                          st.sampled_from(["bpo", "in_house", "x"]),
                          st.sampled_from(["10", "-1", "abc", ""]),
                          st.sampled_from(["2026-10-01", "2026-13-01", "yesterday"])),
                min_size=1, max_size=12))
def test_row_count_invariant(tmp_path_factory, rows) -> None:
    folder = tmp_path_factory.mktemp("inv")
    write_audits(folder, [audit_row(a, audited_at=t, queue=q, site_type=s, handle_time_s=h)
                          for a, q, s, h, t in rows])
    with open_store(folder) as store:
        report = store.validation.tables["audits"]
        assert report.read == len(rows)
        _assert_invariant(store)
        loaded = store.con.execute("SELECT count(*) FROM audits").fetchall()[0][0]
        assert loaded == report.loaded
        assert len(store.quarantine("audits")) == report.quarantined_total


def test_month_window_opens_only_those_months(tmp_path: Path) -> None:
    from qa_insights.data.sample_data import generate

    folder = tmp_path / "h"
    generate(folder, months=4, audits_per_month=300, fmt="parquet", partition_by_month=True)
    parts = {p.parent.name.split("=")[1]: p for p in (folder / "audits").rglob("*.parquet")}
    expected = {m: pq.read_metadata(p).num_rows for m, p in parts.items()}
    with open_store(folder, months=["2026-09", "2026-10"]) as before:
        fingerprint = before.fingerprint
    first = min(parts)
    _truncate(parts[first])  # a month outside the window is corrupt
    with open_store(folder, months=["2026-09", "2026-10"]) as store:
        got = dict(store.con.execute("SELECT month, count(*) FROM audits GROUP BY 1")
                   .fetchall())
        assert got == {m: expected[m] for m in ("2026-09", "2026-10")}
        report = store.validation.tables["audits"]
        assert report.files == [f"audits/month={m}/{parts[m].name}"
                                for m in ("2026-09", "2026-10")]
        assert (report.read, report.outside_window) == (sum(got.values()), 0)
        assert store.fingerprint == fingerprint  # covers only the months read
        vol = store.con.execute("SELECT DISTINCT month FROM volumes ORDER BY 1").fetchall()
        assert vol == [("2026-09",), ("2026-10",)]
        _assert_invariant(store)
    with pytest.raises(DataError) as err:
        open_store(folder)
    assert str(err.value) == (
        f"{parts[first]}: cannot read as Parquet: Invalid Input Error: No magic bytes found "
        f"at end of file '{parts[first]}'")
    with open_store(folder, months=["1999-01"]) as empty:
        assert empty.con.execute("SELECT count(*) FROM audits").fetchall() == [(0,)]
    with pytest.raises(ValueError, match=r"months: expected a month 'YYYY-MM', got '2026-9'"):
        open_store(folder, months=["2026-9"])


def test_month_window_keeps_unplaceable_rows_for_quarantine(tmp_path: Path) -> None:
    write_audits(tmp_path, [audit_row("A1", audited_at="2026-09-03"),
                            audit_row("A2", audited_at="2026-10-03"),
                            audit_row("A3", audited_at="not a date")])
    with open_store(tmp_path, months=["2026-10"]) as store:
        report = store.validation.tables["audits"]
        assert (report.read, report.loaded, report.outside_window) == (3, 1, 1)
        assert report.quarantined == {"audited_at: expected an ISO 8601 timestamp": 1}


def _audit_frame(ids: list[str], **changes: object) -> pd.DataFrame:
    names = AUDIT_HEADER.split(",")
    frame = pd.DataFrame([dict(zip(names, audit_row(i).split(","), strict=True))
                          for i in ids]).replace("", None)
    frame["audited_at"] = pd.to_datetime(frame["audited_at"], utc=True)
    frame["handle_time_s"] = frame["handle_time_s"].astype(float)
    return frame.assign(**changes)


def test_read_counts_the_parquet_rows_with_bad_rows_and_duplicates(tmp_path: Path) -> None:
    good = _audit_frame(["A1", "A2", "A3", "A1", "A1"])  # A1 three times: two collapsed
    bad = _audit_frame(["B1", "B2"], site_type="vendor")
    conflict = _audit_frame(["A3"], moderator_id="m9")  # A3 twice with different content
    folder = tmp_path / "audits"
    folder.mkdir()
    for i, frame in enumerate((good, bad, conflict)):
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False),
                       folder / f"part-{i}.parquet")
    with open_store(tmp_path) as store:
        report = store.validation.tables["audits"]
        assert report.read == len(good) + len(bad) + len(conflict) == 8
        assert (report.loaded, report.duplicates) == (2, 2)
        assert report.quarantined == {"site_type: expected one of in_house, bpo": 2,
                                      "duplicate audit_id with conflicting content": 2}
        _assert_invariant(store)


def test_read_counts_malformed_csv_lines(tmp_path: Path) -> None:
    rows = [audit_row("A1"), audit_row("A1"), "A2,2026-10-01,spam",
            audit_row("A3") + ",extra", audit_row("A4", queue=""), audit_row("A5")]
    write_audits(tmp_path, rows)
    with open_store(tmp_path) as store:
        report = store.validation.tables["audits"]
        assert report.read == len(rows)
        assert (report.loaded, report.duplicates, report.quarantined_total) == (2, 1, 3)
        _assert_invariant(store)


def test_rows_unaccounted_for_raise(tmp_path: Path, monkeypatch) -> None:
    from qa_insights.data import validation

    write_audits(tmp_path, [audit_row("A1"), audit_row("A2")])
    real = validation._stage_sql

    def drops_a_row(source, months, sites=None):
        sql, params = real(source, months, sites)
        return sql + " WHERE x_audit_id <> 'A2'", params  # a stage that loses a row

    monkeypatch.setattr(validation, "_stage_sql", drops_a_row)
    with pytest.raises(DataError) as err:
        open_store(tmp_path)
    assert str(err.value) == (f"{tmp_path / 'audits.csv'}: 2 data rows read but 1 accounted "
                              "for (loaded 1, quarantined 0, duplicates 0, outside the month "
                              "window 0)")


def test_error_without_reason_or_severity_is_loaded(tmp_path: Path) -> None:
    """docs/data-contract.md: reason and severity are optional on errors, whether the
    columns are absent or empty; on an agreement they are quarantined."""
    error = {"moderator_decision": "hate", "auditor_decision": "spam"}
    write_audits(tmp_path / "empty", [audit_row("E1", **error),
                                      audit_row("A1", severity="minor")])
    with open_store(tmp_path / "empty") as store:
        assert store.con.sql("SELECT audit_id, is_error FROM audits").fetchall() == [
            ("E1", True)]
        assert _reasons(store) == {
            "error_reason/severity: set on an audit where moderator and auditor agree": 1}
    names = AUDIT_HEADER.split(",")
    keep = [i for i, n in enumerate(names) if n not in ("error_reason", "severity")]
    row = audit_row("E1", **error).split(",")
    write_audits(tmp_path / "absent", [",".join(row[i] for i in keep)],
                 header=",".join(names[i] for i in keep))
    with open_store(tmp_path / "absent") as store:
        assert store.validation.clean
        assert store.con.sql("SELECT is_error, error_reason FROM audits").fetchall() == [
            (True, None)]
