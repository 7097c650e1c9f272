"""The ingested store: the same rows, counts and quarantine as validating the raw folder;
incremental by month folder; stale stores detected; a failed ingest leaves the previous
store intact; readers see one version of the store."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import warnings
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from qa_insights.cli import main
from qa_insights.data import ingest as ingest_module
from qa_insights.data.contract import TABLES
from qa_insights.data.errors import DataError
from qa_insights.data.ingest import ingest
from qa_insights.data.ingested import StaleStoreWarning, open_ingested
from qa_insights.data.opening import open_store
from qa_insights.data.sample_data import generate
from qa_insights.data.store_units import FORMAT_VERSION, STORE_IN_FOLDER, is_ingested
from qa_insights.quality.metrics import quality_summary

MONTHS = ["2026-07", "2026-08", "2026-09", "2026-10"]


def _lines(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text())))


def _append(path: Path, rows: list[list[str]], raw: str = "") -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    with open(path, "a") as fh:
        fh.write(out.getvalue() + raw)


def _dirty_data(folder: Path, *, partitioned: bool) -> Path:
    """Four months of sample data with every kind of bad row in October's audits (and a
    bad volumes row): a bad value, an exact duplicate, a conflicting duplicate, an
    unparseable time, a malformed CSV line, and a September audit in October's file."""
    generate(folder, months=4, audits_per_month=300, seed=3, partition_by_month=partitioned)
    audits = (folder / "audits" / "month=2026-10" / "part-0.csv" if partitioned
              else folder / "audits.csv")
    header, *rows = _lines(audits)
    col = {name: i for i, name in enumerate(header)}
    october = [r for r in rows if r[col["audited_at"]].startswith("2026-10")]
    bad_value, conflict, bad_time, early = (list(r) for r in october[:4])
    bad_value[col["audit_id"]] = "Z1"
    bad_value[col["severity"]] = "catastrophic"
    conflict[col["comment"]] = "changed"
    bad_time[col["audit_id"]] = "Z2"
    bad_time[col["audited_at"]] = "yesterday"
    early[col["audit_id"]] = "Z3"
    early[col["audited_at"]] = "2026-09-30T23:00:00Z"
    _append(audits, [bad_value, october[5], conflict, bad_time, early],
            raw='Z4,"unterminated,2026-10-02T00:00:00Z\n')
    volumes = folder / "volumes.csv"
    vheader, vrow, *_ = _lines(volumes)
    vrow[vheader.index("month")] = "October"
    _append(volumes, [vrow])
    return folder


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def _assert_same(raw, stored) -> None:
    pd.testing.assert_frame_equal(raw.validation.summary(), stored.validation.summary())
    for name in TABLES:
        assert raw.table_present(name) == stored.table_present(name)
        pd.testing.assert_frame_equal(raw.quarantine(name), stored.quarantine(name))
        pd.testing.assert_frame_equal(_sorted(raw.query(f"SELECT * FROM {name}")),
                                      _sorted(stored.query(f"SELECT * FROM {name}")))
    by = ["month", "site", "queue"]
    pd.testing.assert_frame_equal(quality_summary(raw, by), quality_summary(stored, by))


@pytest.mark.parametrize("partitioned", [False, True], ids=["files", "month-folders"])
@pytest.mark.parametrize("window", [None, MONTHS[1:], ["2026-10"], ["2026-09"]],
                         ids=["all", "three", "october", "september"])
def test_store_equals_validating_the_raw_folder(tmp_path: Path, partitioned: bool,
                                                window: list[str] | None) -> None:
    data = _dirty_data(tmp_path / "data", partitioned=partitioned)
    ingest(data, tmp_path / "store.duckdb")
    with open_store(data, months=window) as raw, \
            open_store(tmp_path / "store.duckdb", months=window) as stored:
        if window is None or "2026-10" in window:  # the planted rows are seen
            assert raw.validation.tables["audits"].quarantined_total >= 4
            assert raw.validation.tables["audits"].duplicates == 1
            assert raw.validation.tables["volumes"].quarantined_total == 1
        _assert_same(raw, stored)


def test_counts_stay_accounted_for(tmp_path: Path) -> None:
    data = _dirty_data(tmp_path / "data", partitioned=True)
    ingest(data, tmp_path / "s.duckdb")
    for window in (None, ["2026-08"], ["2026-10"]):
        with open_ingested(tmp_path / "s.duckdb", months=window) as store:
            for t in store.validation.tables.values():
                assert t.outside_window >= 0
                assert t.read == (t.loaded + t.duplicates + t.quarantined_total
                                  + t.outside_window)


def _units(store: Path) -> dict[tuple[str, str], str]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return {(t, u): fp for t, u, fp in con.execute(
            "SELECT tbl, unit, fingerprint FROM _store_units").fetchall()}
    finally:
        con.close()


def _validated(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = ingest_module._validate_unit

    def spy(con, data_dir, unit):
        seen.append(unit.label)
        return real(con, data_dir, unit)

    monkeypatch.setattr(ingest_module, "_validate_unit", spy)
    return seen


def test_incremental_ingest_validates_only_the_changed_month(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _dirty_data(tmp_path / "data", partitioned=True)
    store = tmp_path / "s.duckdb"
    first = ingest(data, store)
    assert sorted(first.added) == sorted(
        [f"audits month={m}" for m in MONTHS]
        + [f"{t} (all files)" for t in ("calibration", "volumes", "targets", "sites", "events",
                                        "projects", "rate_cards")])
    before = _units(store)
    with open_store(store) as opened:
        fingerprint = opened.fingerprint
    validated = _validated(monkeypatch)

    # Touched without a change of bytes: nothing is validated, the new time is recorded.
    august = data / "audits" / "month=2026-08" / "part-0.csv"
    os.utime(august, ns=(1, 1))
    again = ingest(data, store)
    assert validated == [] and not again.written and not again.changed
    assert _units(store) == before
    with warnings.catch_warnings():
        warnings.simplefilter("error", StaleStoreWarning)
        with open_store(store) as opened:  # what a build records in its manifest
            assert opened.fingerprint == fingerprint

    # One month's file changes: only that month is validated again.
    header, *rows = _lines(august)
    august.write_text("\n".join(",".join(r) for r in [header, *rows[:-10]]) + "\n")
    result = ingest(data, store)
    assert validated == ["audits month=2026-08"]
    assert result.changed == ["audits month=2026-08"] and not result.added
    after = _units(store)
    assert after[("audits", "month=2026-08")] != before[("audits", "month=2026-08")]
    assert {k: v for k, v in after.items() if k != ("audits", "month=2026-08")} == \
        {k: v for k, v in before.items() if k != ("audits", "month=2026-08")}
    with open_store(data) as raw, open_store(store) as stored:
        _assert_same(raw, stored)
        assert stored.fingerprint != fingerprint  # so a build runs the reports again


def test_a_month_whose_files_disappear_is_reported_and_removed(tmp_path: Path) -> None:
    data = _dirty_data(tmp_path / "data", partitioned=True)
    store = tmp_path / "s.duckdb"
    ingest(data, store)
    shutil.rmtree(data / "audits" / "month=2026-07")
    with pytest.warns(StaleStoreWarning, match=r"audits month=2026-07 was removed"):
        open_store(store).close()
    result = ingest(data, store)
    assert result.removed == ["audits month=2026-07"]
    with open_store(data) as raw, open_store(store) as stored:
        assert stored.query("SELECT count(*) AS n FROM audits WHERE month = '2026-07'"
                            ).n[0] == 0
        _assert_same(raw, stored)


def test_cli_reports_added_changed_and_removed(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    data = _dirty_data(tmp_path / "data", partitioned=True)
    store = tmp_path / "s.duckdb"
    assert main(["ingest", str(data), "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "(new store)" in out and "added     audits month=2026-10" in out
    shutil.rmtree(data / "audits" / "month=2026-07")
    assert main(["ingest", str(data), "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "removed   audits month=2026-07 (its files are gone" in out
    assert "row(s) quarantined" in out


def test_stale_store_is_detected_and_refused_by_build(tmp_path: Path) -> None:
    from qa_insights.reports.engine.build import BuildError, build

    data = _dirty_data(tmp_path / "data", partitioned=False)
    store = tmp_path / "s.duckdb"
    ingest(data, store)
    new = _lines(data / "audits.csv")[1]
    new[0] = "NEW1"
    _append(data / "audits.csv", [new])
    with pytest.warns(StaleStoreWarning, match=r"older than its source folder "
                                              r"\(audits \(all files\) changed\)"), \
            open_store(store) as stale:
        assert stale.stale == ["audits (all files) changed"]
    with pytest.warns(StaleStoreWarning), pytest.raises(BuildError, match="run qa-insights "
                                                                          "ingest again"):
        build(data_dir=store, out_dir=tmp_path / "out", progress=False)


def test_other_format_version_is_refused_and_rebuilt(tmp_path: Path) -> None:
    data = _dirty_data(tmp_path / "data", partitioned=False)
    store = tmp_path / "s.duckdb"
    ingest(data, store)
    con = duckdb.connect(str(store))
    con.execute("UPDATE _store_meta SET value = '0' WHERE key = 'format_version'")
    con.close()
    with pytest.raises(DataError, match=f"store format version 0; this qa-insights reads "
                                        f"version {FORMAT_VERSION}: run qa-insights ingest"):
        open_store(store)
    result = ingest(data, store)
    assert result.rebuilt == f"store format version 0 rebuilt as version {FORMAT_VERSION}"
    assert len(result.added) == 8  # audits, calibration, volumes, targets, sites, events, projects, rate_cards
    open_store(store).close()


def test_other_files_are_never_overwritten(tmp_path: Path) -> None:
    data = _dirty_data(tmp_path / "data", partitioned=False)
    other = tmp_path / "notes.txt"
    other.write_text("keep me")
    with pytest.raises(DataError, match="exists and is not a qa-insights store"):
        ingest(data, other)
    assert other.read_text() == "keep me"
    assert not is_ingested(data) and not is_ingested(other)
    with pytest.raises(DataError, match="is not a Parquet store of qa-insights"):
        ingest(data, data, fmt="parquet")
    with pytest.raises(DataError, match="is not a Parquet store of qa-insights"):
        ingest(data, other, fmt="parquet")
    with pytest.raises(DataError, match="is a folder; a DuckDB store is a file"):
        ingest(data, tmp_path, fmt="duckdb")
    assert other.read_text() == "keep me" and (data / "audits.csv").is_file()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_failed_ingest_leaves_the_previous_store_intact(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _dirty_data(tmp_path / "data", partitioned=True)
    store = tmp_path / "s.duckdb"
    ingest(data, store)
    digest = _sha(store)
    with open_store(store) as before:
        audits_before = _sorted(before.query("SELECT * FROM audits"))
    for month in ("2026-08", "2026-09"):
        part = data / "audits" / f"month={month}" / "part-0.csv"
        part.write_text(part.read_text().rsplit("\n", 3)[0] + "\n")
    real = ingest_module._validate_unit
    calls = []

    def killed_mid_way(con, data_dir, unit):
        calls.append(unit.label)
        if len(calls) == 2:  # the first changed month is in, the second is not
            raise KeyboardInterrupt("killed")
        return real(con, data_dir, unit)

    monkeypatch.setattr(ingest_module, "_validate_unit", killed_mid_way)
    with pytest.raises(KeyboardInterrupt):
        ingest(data, store)
    assert _sha(store) == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "s.duckdb", "s.duckdb.lock"]
    with pytest.warns(StaleStoreWarning), open_store(store) as after:
        pd.testing.assert_frame_equal(_sorted(after.query("SELECT * FROM audits")),
                                      audits_before)
    monkeypatch.setattr(ingest_module, "_validate_unit", real)
    assert sorted(ingest(data, store).changed) == ["audits month=2026-08",
                                                   "audits month=2026-09"]


def test_a_reader_keeps_its_version_while_an_ingest_replaces_the_store(
        tmp_path: Path) -> None:
    data = _dirty_data(tmp_path / "data", partitioned=True)
    store = tmp_path / "s.duckdb"
    ingest(data, store)
    shutil.rmtree(data / "audits" / "month=2026-07")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StaleStoreWarning)
        reader = open_store(store)
    with reader:
        ingest(data, store)  # replaces the file the reader has open
        assert reader.query("SELECT count(DISTINCT month) AS n FROM audits").n[0] == 4
        with open_store(store) as fresh:
            assert fresh.query("SELECT count(DISTINCT month) AS n FROM audits").n[0] == 3


def test_a_key_in_two_month_folders_is_an_error(tmp_path: Path) -> None:
    data = _dirty_data(tmp_path / "data", partitioned=True)
    october = data / "audits" / "month=2026-10" / "part-0.csv"
    september = data / "audits" / "month=2026-09" / "part-0.csv"
    moved = _lines(october)[1]
    _append(september, [moved])
    with pytest.raises(DataError, match=rf"audits row audit_id='{moved[0]}' is in two month "
                                        r"folders \(audits/month=2026-09 and "
                                        r"audits/month=2026-10\)"):
        ingest(data, tmp_path / "s.duckdb")
    assert not (tmp_path / "s.duckdb").exists()


def test_parquet_store_is_the_clean_export(tmp_path: Path) -> None:
    from qa_insights.data.engine import is_clean_export

    data = _dirty_data(tmp_path / "data", partitioned=True)
    folder = tmp_path / "clean"
    assert main(["ingest", str(data), "--store", str(folder), "--format", "parquet"]) == 0
    assert is_clean_export(folder) and is_ingested(folder)
    assert (folder / STORE_IN_FOLDER).is_file()
    assert sorted(p.name for p in (folder / "audits").iterdir()) == \
        [f"month={m}" for m in MONTHS]
    with open_store(data) as raw, open_store(folder) as stored:
        _assert_same(raw, stored)
        # the export holds the audits as validated; the sites' attributes join on opening
        joined = [d for d, dim in raw.dimensions.items() if dim.source == "sites"]
        audits = raw.query("SELECT * FROM audits").drop(columns=joined)
        exported = _sorted(duckdb.sql(
            f"SELECT * FROM read_parquet('{folder}/audits/*/*.parquet', "
            "hive_partitioning=true)").df()[list(audits.columns)])
        pd.testing.assert_frame_equal(exported, _sorted(audits), check_dtype=False)
    stamp = (folder / "audits").stat().st_ino
    assert not ingest(data, folder, fmt="parquet").written
    assert (folder / "audits").stat().st_ino == stamp  # unchanged: not exported again


@pytest.mark.slow
def test_builds_from_the_store_equal_the_build_from_raw_and_run_in_parallel(
        tmp_path: Path) -> None:
    """Two builds read one store at once (each a report kernel opening it read only) while
    a third builds from the raw folder: the MQR's CSV tables are identical byte for byte."""
    import subprocess
    import sys

    from tests.fixtures_data import SAMPLE

    root = Path(__file__).resolve().parents[1]
    store = tmp_path / "store.duckdb"
    ingest(SAMPLE, store)
    env = {**os.environ, "PYTHONPATH": str(root)}
    common = ["--month", "2026-10", "--reports", "mqr", "--jobs", "1"]
    sources = {"raw": ["--data", str(SAMPLE)], "store1": ["--store", str(store)],
               "store2": ["--store", str(store)]}
    runs = {name: subprocess.Popen([sys.executable, "-m", "qa_insights.cli", "build", *src,
                                    *common, "--out", str(tmp_path / name)], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True)
            for name, src in sources.items()}
    for name, run in runs.items():
        out, _ = run.communicate(timeout=900)
        assert run.returncode == 0, f"{name}: {out[-3000:]}"
    tables = {name: {p.name: p.read_bytes()
                     for p in sorted((tmp_path / name / "2026-10" / "tables").glob("*.csv"))}
              for name in sources}
    assert len(tables["raw"]) > 10
    assert tables["store1"] == tables["raw"]
    assert tables["store2"] == tables["raw"]


def test_notebooks_opened_by_hand_use_the_store_only_while_it_is_current(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qa_insights.data.ingested import is_current
    from qa_insights.reports.engine.notebook import DATA_ENV, INGESTED_STORE, default_data_dir

    monkeypatch.delenv(DATA_ENV, raising=False)
    data = tmp_path / "data_samples"
    generate(data, months=2, audits_per_month=50, seed=5)
    notebooks = tmp_path / "qa_insights" / "reports" / "notebooks"
    notebooks.mkdir(parents=True)
    store = tmp_path / INGESTED_STORE
    assert default_data_dir(notebooks) == str(data)  # nothing ingested yet
    ingest(data, store)
    assert is_current(store, data) and default_data_dir(notebooks) == str(store)
    assert not is_current(store, tmp_path)  # ingested from another folder
    with open(data / "audits.csv", "a") as fh:  # the data changed since the ingest
        fh.write("\n")
    assert not is_current(store, data) and default_data_dir(notebooks) == str(data)
    ingest(data, store)
    assert default_data_dir(notebooks) == str(store)
    (data / "README.md").write_text("notes")  # not a table: the store stays current
    assert default_data_dir(notebooks) == str(store)
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "elsewhere"))
    assert default_data_dir(notebooks) == str(tmp_path / "elsewhere")
    assert not is_current(data / "audits.csv", data)  # a CSV is no store
