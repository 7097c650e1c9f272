"""A catalogue of broken and hostile inputs across all four tables.

Each case gives either a fatal DataError with its exact message, or a load in which the
bad rows are quarantined with their exact reason; always rows read = loaded + quarantined
+ duplicates collapsed. Hostile free text is valid data and is never quarantined.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from qa_insights.data.errors import DataError
from qa_insights.data.opening import open_store

from .fixtures_data import AUDIT_HEADER, audit_row, write_audits

CAL_HEADER = "session_id,session_date,item_id,queue,rater_id,rater_role,site,label"
VOL_HEADER = "month,site,queue,items_handled,productive_hours,headcount,cost,currency"
TGT_HEADER = "metric,scope,scope_value,month,target,direction"
GOOD = {
    "calibration": ["S1,2026-10-07,C1,spam,E1,expert,hq,spam",
                    "S1,2026-10-07,C1,spam,M1,moderator,s1,spam"],
    "volumes": ["2026-10,s1,spam,100,10.5,1,200,USD"],
    "targets": ["accuracy,org,,2026-10,0.95,higher_is_better"],
}
HEADERS = {"calibration": CAL_HEADER, "volumes": VOL_HEADER, "targets": TGT_HEADER}


def _folder(tmp_path: Path, table: str, rows: list[str]) -> Path:
    """A data folder with good audits and ``rows`` added to ``table``."""
    write_audits(tmp_path, [audit_row("A0")] + (rows if table == "audits" else []))
    if table != "audits":
        (tmp_path / f"{table}.csv").write_text(
            "\n".join([HEADERS[table], *GOOD[table], *rows]) + "\n")
    return tmp_path


# (id, table, extra rows, {reason: count}); GOOD rows and audit A0 always load.
QUARANTINE_CASES = [
    ("wrong type number", "audits", [audit_row("A1", handle_time_s="fast")],
     {"handle_time_s: expected a number": 1}),
    ("infinite number", "audits", [audit_row("A1", handle_time_s="1e400")],
     {"handle_time_s: expected a number": 1}),
    ("negative handle time", "audits", [audit_row("A1", handle_time_s="-2")],
     {"handle_time_s: expected a value >= 0": 1}),
    ("unknown site type", "audits", [audit_row("A1", site_type="vendor")],
     {"site_type: expected one of in_house, bpo": 1}),
    ("unknown dispute status", "audits", [audit_row("A1", dispute_status="pending")],
     {"dispute_status: expected one of none, upheld, overturned": 1}),
    ("missing required", "audits", [audit_row("A1", market=" ")],
     {"market: missing required value": 1}),
    ("timestamp day-first", "audits", [audit_row("A1", audited_at="14/10/2026 09:00")],
     {"audited_at: expected an ISO 8601 timestamp": 1}),
    ("timestamp epoch", "audits", [audit_row("A1", audited_at="1760000000")],
     {"audited_at: expected an ISO 8601 timestamp": 1}),
    ("timestamp out of range", "audits", [audit_row("A1", audited_at="1970-01-01T00:00:00Z")],
     {"audited_at: expected a time between 2000 and 2099": 1}),
    ("duplicate id conflicting", "audits",
     [audit_row("A1"), audit_row("A1", moderator_decision="hate", severity="minor")],
     {"duplicate audit_id with conflicting content": 2}),
    ("too many fields", "audits", [audit_row("A1") + ",x"],
     {"malformed CSV line: too many columns": 1}),
    ("too few fields", "audits", ["A1,2026-10-01,spam"],
     {"malformed CSV line: missing columns": 1}),
    ("unclosed quote", "audits", [audit_row("A1", comment='"never closed')],
     {"malformed CSV line: unquoted value": 1}),
    ("overturned without disagreement", "audits",
     [audit_row("A1", dispute_status="overturned")],
     {"dispute_status: overturned on an audit where moderator and auditor agree": 1}),
    ("calibration unknown role", "calibration", ["S1,2026-10-07,C1,spam,M2,boss,s1,spam"],
     {"rater_role: expected one of moderator, auditor, expert": 1}),
    ("calibration bad date", "calibration", ["S1,yesterday,C1,spam,M2,moderator,s1,spam"],
     {"session_date: expected a date YYYY-MM-DD": 1}),
    ("calibration conflicting labels", "calibration",
     ["S1,2026-10-07,C1,spam,M1,moderator,s1,no_violation"],
     {"duplicate session_id, item_id, rater_id with conflicting content": 2}),
    ("volumes bad month", "volumes", ["2026-13,s2,spam,100,10,1,200,USD"],
     {"month: expected a month YYYY-MM": 1}),
    ("volumes fractional items", "volumes", ["2026-10,s2,spam,100.5,10,1,200,USD"],
     {"items_handled: expected a whole number": 1}),
    ("volumes negative cost", "volumes", ["2026-10,s2,spam,100,10,1,-5,USD"],
     {"cost: expected a value >= 0": 1}),
    ("targets unknown scope", "targets", ["accuracy,team,t1,2026-10,0.9,higher_is_better"],
     {"scope: expected one of org, site, queue, market": 1}),
    ("targets org with value", "targets", ["accuracy,org,x,2026-09,0.9,higher_is_better"],
     {"scope_value: expected empty for scope 'org'": 1}),
    ("targets site without value", "targets", ["accuracy,site,,2026-09,0.9,lower_is_better"],
     {"scope_value: expected a value for scope site, queue or market": 1}),
    ("targets bad direction", "targets", ["accuracy,site,s1,2026-10,0.9,up"],
     {"direction: expected one of higher_is_better, lower_is_better": 1}),
    ("targets text target", "targets", ["accuracy,site,s1,2026-10,high,higher_is_better"],
     {"target: expected a number": 1}),
]


@pytest.mark.parametrize(("table", "rows", "expected"),
                         [c[1:] for c in QUARANTINE_CASES], ids=[c[0] for c in QUARANTINE_CASES])
def test_bad_rows_are_quarantined(tmp_path: Path, table: str, rows: list[str],
                                  expected: dict[str, int]) -> None:
    with open_store(_folder(tmp_path, table, rows)) as store:
        report = store.validation.tables[table]
        assert report.quarantined == expected
        assert report.read == len(GOOD.get(table, [])) + len(rows) + (table == "audits")
        assert report.read == report.loaded + report.quarantined_total + report.duplicates
        conflicts = expected.get(
            "duplicate session_id, item_id, rater_id with conflicting content", 0)
        good = 1 if table == "audits" else len(GOOD[table])
        assert report.loaded == good - conflicts // 2


FATAL_CASES = [
    ("semicolon separated", AUDIT_HEADER.replace(",", ";"), [audit_row("A1").replace(",", ";")],
     "missing required columns 'audit_id', 'audited_at', 'queue', 'market', 'site', "
     "'site_type', 'moderator_id', 'moderator_decision', 'auditor_decision' (found: '"
     + AUDIT_HEADER.replace(",", ";") + "'); the file looks separated by ';' or tabs: "
     "export it comma-separated"),
    ("duplicate header", AUDIT_HEADER + ",queue", [audit_row("A1") + ",spam"],
     "column 'queue' appears twice in the header"),
    ("padded header", AUDIT_HEADER.replace("site_type", "Site Type"), [audit_row("A1")],
     "column 'Site Type' does not match the contract name 'site_type' (names are lower "
     "case, without spaces)"),
    ("header only", AUDIT_HEADER, [],
     "table 'audits' is empty: expected at least one data row after the header"),
]


@pytest.mark.parametrize(("header", "rows", "message"), [c[1:] for c in FATAL_CASES],
                         ids=[c[0] for c in FATAL_CASES])
def test_fatal_header_problems(tmp_path: Path, header: str, rows: list[str],
                               message: str) -> None:
    write_audits(tmp_path, rows, header=header)
    with pytest.raises(DataError) as err:
        open_store(tmp_path)
    assert str(err.value) == f"{tmp_path / 'audits.csv'}: {message}"


def test_utf16_file(tmp_path: Path) -> None:
    write_audits(tmp_path, [audit_row("A1")], encoding="utf-16")
    with pytest.raises(DataError) as err:
        open_store(tmp_path)
    assert str(err.value) == (f"{tmp_path / 'audits.csv'}: header row is not UTF-8 text "
                              "(invalid start byte at byte 0); save the file as UTF-8")


def test_optional_table_missing_column(tmp_path: Path) -> None:
    write_audits(tmp_path, [audit_row("A1")])
    (tmp_path / "volumes.csv").write_text("month,site,queue\n2026-10,s1,spam\n")
    with pytest.raises(DataError) as err:
        open_store(tmp_path)
    assert str(err.value) == (
        f"{tmp_path / 'volumes.csv'}: missing required columns 'items_handled', "
        "'productive_hours', 'headcount', 'cost', 'currency' (found: 'month', 'site', "
        "'queue')")


def test_parquet_with_wrong_types(tmp_path: Path) -> None:
    names = AUDIT_HEADER.split(",")
    values = dict(zip(names, audit_row("A1").split(","), strict=True))
    columns = {n: [values[n] or None, values[n] or None] for n in names}
    columns["audit_id"] = ["A1", "A2"]
    columns["handle_time_s"] = ["12", "twelve"]  # a text column where a number belongs
    pq.write_table(pa.table(columns), tmp_path / "audits.parquet")
    with open_store(tmp_path) as store:
        assert store.validation.tables["audits"].quarantined == {
            "handle_time_s: expected a number": 1}


def test_hostile_text_is_loaded_not_quarantined(tmp_path: Path) -> None:
    hostile = ['"<script>window.pwned=1</script>"', '"<img src=x onerror=alert(1)>"',
               '"=HYPERLINK(""http://evil"",""click"")"', '"+cmd|\' /C calc\'!A0"',
               '"@SUM(1+1)"', '"-1+2"', '"Robert\'); DROP TABLE audits;--"']
    rows = [audit_row(f"A{i}", comment=c) for i, c in enumerate(hostile)]
    rows.append(audit_row("S1", site="<b>x'; DROP TABLE audits; --</b>"))
    write_audits(tmp_path, rows)
    with open_store(tmp_path) as store:
        assert store.validation.clean
        assert store.validation.tables["audits"].loaded == len(rows)
        comments = {r[0] for r in store.con.execute("SELECT comment FROM audits").fetchall()}
        assert "<script>window.pwned=1</script>" in comments


@pytest.mark.slow
def test_million_row_csv_with_some_bad_rows(tmp_path: Path) -> None:
    good = audit_row("X", audited_at="2026-10-01T10:00:00Z")
    lines = [AUDIT_HEADER]
    bad_every = 50_000
    for i in range(1_000_000):
        if i % bad_every == 7:
            lines.append(audit_row(f"A{i}", site_type="vendor"))
        else:
            lines.append(good.replace("X", f"A{i}", 1))
    (tmp_path / "audits.csv").write_text("\n".join(lines) + "\n")
    with open_store(tmp_path) as store:
        report = store.validation.tables["audits"]
        n_bad = len(range(7, 1_000_000, bad_every))
        assert report.read == 1_000_000
        assert report.quarantined == {"site_type: expected one of in_house, bpo": n_bad}
        assert report.loaded == 1_000_000 - n_bad
        rows = sorted(store.quarantine("audits")["_row"].tolist())
        assert rows == [i + 1 for i in range(7, 1_000_000, bad_every)]


REQUIRED = {
    "calibration": "session_id, session_date, item_id, queue, rater_id, rater_role, site, "
                   "label",
    "volumes": "month, site, queue, items_handled, productive_hours, headcount, cost, "
               "currency",
    "targets": "metric, scope, month, target, direction",
}


@pytest.mark.parametrize("table", sorted(REQUIRED))
def test_optional_table_zero_byte_file(tmp_path: Path, table: str) -> None:
    write_audits(tmp_path, [audit_row("A1")])
    (tmp_path / f"{table}.csv").write_bytes(b"")
    with pytest.raises(DataError) as err:
        open_store(tmp_path)
    assert str(err.value) == (f"{tmp_path / f'{table}.csv'}: table '{table}' is empty: "
                              f"expected a header row with columns {REQUIRED[table]}")


@pytest.mark.parametrize("table", sorted(REQUIRED))
def test_optional_table_header_only(tmp_path: Path, table: str) -> None:
    write_audits(tmp_path, [audit_row("A1")])
    (tmp_path / f"{table}.csv").write_text(HEADERS[table] + "\n")
    with pytest.raises(DataError) as err:
        open_store(tmp_path)
    assert str(err.value) == (f"{tmp_path / f'{table}.csv'}: table '{table}' is empty: "
                              "expected at least one data row after the header")


def test_truncated_parquet_of_an_optional_table(tmp_path: Path) -> None:
    write_audits(tmp_path, [audit_row("A1")])
    names = VOL_HEADER.split(",")
    values = GOOD["volumes"][0].split(",")
    path = tmp_path / "volumes.parquet"
    pq.write_table(pa.table({n: [v] for n, v in zip(names, values, strict=True)}), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 10])
    with pytest.raises(DataError) as err:
        open_store(tmp_path)
    assert str(err.value) == (f"{path}: cannot read as Parquet: Invalid Input Error: No magic "
                              f"bytes found at end of file '{path}'")
