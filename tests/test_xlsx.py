"""Excel copies of the money tables (qa_insights.present.xlsx, write_table(..., xlsx=True)):
opened with openpyxl, their numbers equal the CSV's, the README sheet is there, numbers
carry formats and formula-like text stays text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from qa_insights.present.xlsx import DATA_SHEET, README_SHEET, number_format
from qa_insights.reports.engine.tables import write_table


def sheet_frame(path: Path) -> pd.DataFrame:
    """The data sheet as a frame (openpyxl, independent of the writer)."""
    rows = list(load_workbook(path)[DATA_SHEET].iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"site": ["inhouse_dublin", "=HYPERLINK(\"x\")", "bpo_a_b"],
                         "items_handled": [10_000, 2_500, 0],
                         "cost": [5_000.123456789, 1_234.5, 0.0],
                         "cost_per_item": [0.5000123456789, 0.4938, np.nan],
                         "accuracy": [0.98, 0.9512345, np.nan],
                         "accuracy_diff_pts": [np.nan, -3.04, np.nan],
                         "significant": [False, True, False]})


def test_workbook_numbers_equal_the_csv(tmp_path: Path) -> None:
    csv_path = write_table(_frame(), "cost_by_site", tmp_path, xlsx=True, notes="USD.")
    xlsx_path = tmp_path / "cost_by_site.xlsx"
    assert csv_path is not None and xlsx_path.is_file()
    csv = pd.read_csv(csv_path)
    sheet = sheet_frame(xlsx_path)
    assert list(sheet.columns) == list(csv.columns)
    numeric = ["items_handled", "cost", "cost_per_item", "accuracy", "accuracy_diff_pts"]
    np.testing.assert_allclose(sheet[numeric].astype(float).to_numpy(),
                               csv[numeric].to_numpy(dtype=float), rtol=1e-11, equal_nan=True)
    assert sheet["significant"].tolist() == csv["significant"].tolist()
    # Formula-like text is neutralised as in the CSV and stored as text, never a formula.
    assert sheet["site"].tolist() == csv["site"].tolist()
    ws = load_workbook(xlsx_path)[DATA_SHEET]
    assert ws["A3"].data_type == "s" and ws["A3"].value.startswith("'=")


def test_readme_sheet_and_formats(tmp_path: Path) -> None:
    write_table(_frame(), "cost_by_site", tmp_path, xlsx=True, notes="Costs in USD.")
    wb = load_workbook(tmp_path / "cost_by_site.xlsx")
    assert wb.sheetnames == [DATA_SHEET, README_SHEET]
    readme = [r for r in wb[README_SHEET].iter_rows(values_only=True)]
    text = " ".join(str(v) for r in readme for v in r if v is not None)
    assert "cost_by_site" in text and "Costs in USD." in text and "cost_by_site.csv" in text
    listed = {r[0]: r for r in readme if r and r[0] in _frame().columns}
    assert set(listed) == set(_frame().columns)
    ws = wb[DATA_SHEET]
    header = [c.value for c in ws[1]]
    fmt = {h: ws.cell(row=2, column=k + 1).number_format for k, h in enumerate(header)}
    assert fmt["cost"] == "#,##0.00"
    assert fmt["accuracy"] == "0.00%"
    assert fmt["items_handled"] == "#,##0"
    assert fmt["cost_per_item"] == "#,##0.0000"
    assert listed["cost"][2] == "#,##0.00"


def test_no_workbook_without_the_flag_or_folder(tmp_path: Path) -> None:
    write_table(_frame(), "t", tmp_path)
    assert not (tmp_path / "t.xlsx").exists()
    assert write_table(_frame(), "t", "", xlsx=True) is None


@pytest.mark.parametrize(("column", "expected"), [
    ("cost_of_errors_low", "#,##0.00"), ("critical_error_rate_ci_high", "0.00%"),
    ("accuracy_diff_ci_low_pts", "0.00"), ("cost_per_item_vs_in_house_pct", "0.0"),
    ("accuracy_p_holm", "0.0000"), ("handle_time_mean_s", "#,##0.0"),
    ("throughput_per_hour", "#,##0.0"), ("pts", "0.00"), ("n_audits", "#,##0"),
    ("extra_errors", "0.000")])
def test_number_format_by_column_name(column: str, expected: str) -> None:
    assert number_format(column) == expected


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(min_value=-1e15, max_value=1e15) | st.just(float("nan")), min_size=1,
                max_size=8))
def test_any_floats_round_trip_like_the_csv(tmp_path_factory, values: list[float]) -> None:
    folder = tmp_path_factory.mktemp("x")
    csv_path = write_table(pd.DataFrame({"cost": values}), "t", folder, xlsx=True)
    csv = pd.read_csv(csv_path)["cost"].to_numpy(dtype=float)
    sheet = sheet_frame(folder / "t.xlsx")["cost"].astype(float).to_numpy()
    # The CSV keeps 12 significant digits; the workbook stores the full double.
    np.testing.assert_allclose(sheet, csv, rtol=1e-11, atol=1e-300, equal_nan=True)


def test_same_frame_gives_the_same_bytes(tmp_path: Path) -> None:
    write_table(_frame(), "a", tmp_path / "one", xlsx=True)
    write_table(_frame(), "a", tmp_path / "two", xlsx=True)
    assert (tmp_path / "one" / "a.xlsx").read_bytes() == (tmp_path / "two" / "a.xlsx").read_bytes()
    assert load_workbook(tmp_path / "one" / "a.xlsx").properties.modified.year == 2000
