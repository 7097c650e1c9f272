"""Nothing silent: a missing or misnamed optional column is named by `validate` (with "did
you mean"), exits 1 when a report uses it, and never turns into a number.

The silent-loss test renames every optional audits column in turn and requires each number
of the quality summary either to be NaN (marked "not available") or to equal the number
computed with the column present.
"""

from __future__ import annotations

import shutil
import warnings

import pandas as pd
import pyarrow.parquet as pq
import pytest

from qa_insights.business.actuals import metric_actuals
from qa_insights.business.targets import target_attainment
from qa_insights.cli import main
from qa_insights.data.columns import DISABLES, check_columns
from qa_insights.data.contract import TABLES
from qa_insights.data.opening import open_store
from qa_insights.present.display import quality_headline, quality_table
from qa_insights.quality.metrics import UNAVAILABLE_WITHOUT, quality_summary
from tests.fixtures_data import SAMPLE

OPTIONAL = [c.name for c in TABLES["audits"].columns if not c.required]
BY = [[], ["month"], ["month", "site"], ["queue", "error_type"]]


@pytest.fixture(scope="module")
def subset(tmp_path_factory) -> pd.DataFrame:
    audits = pd.read_csv(SAMPLE / "audits.csv", dtype=str, keep_default_na=False,
                         na_values=[""])
    return audits[audits.audited_at >= "2026-05"].reset_index(drop=True)


def _folder(tmp_path, audits: pd.DataFrame, name: str):
    folder = tmp_path / name
    folder.mkdir()
    audits.to_csv(folder / "audits.csv", index=False)
    for table in ("volumes", "targets"):
        shutil.copy(SAMPLE / f"{table}.csv", folder)
    return folder


@pytest.fixture(scope="module")
def reference(tmp_path_factory, subset):
    """Quality summaries with every column present, and with dispute_status present but
    empty (what the numbers mean without disputes: before any overturn)."""
    tmp = tmp_path_factory.mktemp("reference")
    no_disputes = subset.assign(dispute_status="none")
    out = {}
    for key, frame in (("full", subset), ("no_disputes", no_disputes)):
        with open_store(_folder(tmp, frame, key)) as store:
            out[key] = {tuple(by): quality_summary(store, by) for by in BY}
    return out


@pytest.mark.parametrize("column", OPTIONAL)
def test_renamed_optional_column_never_becomes_a_number(tmp_path, subset, reference,
                                                         column, capsys):
    misnamed = column[:-1]                                 # a near miss: 'severit'
    folder = _folder(tmp_path, subset.rename(columns={column: misnamed}), "renamed")
    code = main(["validate", str(folder), "--quarantine-dir", str(tmp_path / "q")])
    out = capsys.readouterr().out
    assert f"column {misnamed!r} is not in the contract and is ignored (did you mean " \
           f"{column!r}?)" in out
    assert f"optional column {column!r} missing" in out
    assert code == (1 if column in DISABLES["audits"] else 0)
    expected = reference["no_disputes" if column == "dispute_status" else "full"]
    blanked = set(UNAVAILABLE_WITHOUT.get(column, ()))
    with open_store(folder) as store:
        for by in BY:
            got, want = quality_summary(store, by), expected[tuple(by)]
            assert list(got.columns) == list(want.columns)
            for name in got.columns:
                if name in blanked:
                    assert got[name].isna().all(), (column, name)
                    assert got.attrs["unavailable"][name] == (
                        f"not available: column {column} missing")
                else:
                    pd.testing.assert_series_equal(got[name], want[name], check_dtype=False,
                                                   obj=f"{column} missing: {name} by {by}")


def test_report_tiles_say_not_available(tmp_path, subset):
    folder = _folder(tmp_path, subset.drop(columns=["severity"]), "nosev")
    with open_store(folder) as store:
        overall = quality_summary(store)
        by_site = quality_summary(store, "site")
        actuals = metric_actuals(store, metrics=("accuracy", "critical_error_rate"))
        status = target_attainment(store, months="2026-10")
    assert "not available: column severity missing" in quality_headline(overall).markup
    html = quality_table(by_site, "site")._repr_html_()
    assert html.count("not available: column severity missing") == len(by_site)
    critical = actuals[actuals.metric == "critical_error_rate"]
    assert len(critical) and critical.actual.isna().all()
    assert actuals[actuals.metric == "accuracy"].actual.notna().all()
    critical_targets = status[status.metric == "critical_error_rate"]
    assert len(critical_targets) and (critical_targets.status == "no data").all()


def test_complete_data_validates_with_exit_0(tmp_path, subset, capsys):
    folder = _folder(tmp_path, subset, "full")
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "All rows loaded." in out and "  audits:" not in out


def test_check_columns_unknown_and_missing():
    given = [c for c in TABLES["audits"].names
             if c not in ("handle_time_s", "dispute_status", "comment")]
    check = check_columns("audits", [*given, "Dispute-Status", "language", "_file", "month",
                                     "is_error"])
    assert check.unknown == [("Dispute-Status", "dispute_status"), ("language", None)]
    assert [name for name, _ in check.missing_optional] == ["handle_time_s",
                                                             "dispute_status", "comment"]
    assert check.disabling == ["handle_time_s", "dispute_status"]
    assert check.lines()[0] == ("audits: column 'Dispute-Status' is not in the contract and "
                                "is ignored (did you mean 'dispute_status'?)")
    assert check.lines()[2].startswith("audits: optional column 'handle_time_s' missing: "
                                       "not available: handle time")
    assert check.lines()[-1] == "audits: optional column 'comment' missing"


def test_a_clean_export_remembers_the_missing_column(tmp_path, subset):
    folder = _folder(tmp_path, subset.drop(columns=["severity"]), "nosev")
    with open_store(folder) as store:
        store.export_clean(tmp_path / "clean")
    part = next((tmp_path / "clean" / "audits").rglob("*.parquet"))
    assert "severity" in pq.read_schema(part).names        # written empty, for Spark
    with open_store(tmp_path / "clean") as clean:
        assert quality_summary(clean).critical_error_rate.isna().all()
        assert "critical_error_rate" in quality_summary(clean).attrs["unavailable"]


@pytest.mark.spark
def test_spark_store_of_the_export_remembers_it_too(tmp_path, subset):
    pytest.importorskip("pyspark")
    from qa_insights.data.spark_store import open_spark_store

    folder = _folder(tmp_path, subset.drop(columns=["dispute_status"]), "nodispute")
    with open_store(folder) as store:
        clean = store.export_clean(tmp_path / "clean")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)   # PySpark 4 on pandas 3
        with open_spark_store(clean) as spark:
            summary = quality_summary(spark)
    assert summary[["dispute_rate", "overturn_rate", "n_disputed"]].isna().all().all()
    assert summary.accuracy.notna().all()
