"""The MBR's vendor section: readable cells (unit) and the MBR built on the sample data,
whose ``tables/vendor_scorecard.csv`` must equal the library's scorecard and whose HTML
must show the section with the planted cheaper-but-worse vendor (beta)."""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qa_insights.business.budgets import budget_vs_actual
from qa_insights.business.vendors import IN_HOUSE, scorecard_from_sums, vendor_scorecard
from qa_insights.data.opening import open_store
from qa_insights.reports.engine.build import build
from qa_insights.reports.vendors import scorecard_shown, tradeoff_sentences
from tests.fixtures_data import SAMPLE
from tests.report_helpers import assert_xlsx_equals_csv


def _card() -> pd.DataFrame:
    sums = pd.DataFrame({"vendor": [IN_HOUSE, "alpha", "beta"],
                         "items_handled": [1000, 2000, 0], "productive_hours": [10.0, 10.0, 0.0],
                         "headcount": [1.0, 1.0, 0.0], "cost": [1000.0, 1000.0, 0.0],
                         "n_audits": [400, 400, 0], "n_errors": [8, 40, 0],
                         "n_critical": [0, 4, 0], "n_handle_time": [400, 400, 0],
                         "handle_time_total_s": [16000.0, 12000.0, 0.0], "currency": "EUR"})
    return scorecard_from_sums(sums, {"accuracy": (0.95, "higher_is_better")})


def test_scorecard_shown_cells() -> None:
    card = _card()
    shown = scorecard_shown(card)
    assert shown.loc[0, "accuracy_vs_in_house"] == "baseline"
    assert shown.loc[1, "cost_per_item"] == "EUR 0.500 (-50%)"
    assert shown.loc[1, "throughput"] == "200.0 (+100%)"
    assert shown.loc[1, "handle_time"] == "30.0 s (-25%)"
    assert shown.loc[1, "accuracy_vs_in_house"].startswith("-8.0 (")
    assert shown.loc[1, "accuracy_vs_in_house"].endswith("p < 0.001)")
    assert shown.loc[1, "targets"] == "accuracy missed"
    # A vendor without audits or volumes shows dashes, not "nan".
    assert "nan" not in " ".join(shown.loc[2].astype(str))
    assert tradeoff_sentences(card) == card["tradeoff"].tolist()[1:]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample data plus a budgets table for its latest month (org, a vendor, a queue)."""
    folder = tmp_path_factory.mktemp("vendors") / "data"
    shutil.copytree(SAMPLE, folder)
    month = pd.read_csv(SAMPLE / "volumes.csv", usecols=["month"])["month"].max()
    (folder / "budgets.csv").write_text(
        "month,scope,scope_value,amount,currency\n"
        f"{month},org,,2000000,USD\n{month},vendor,beta,100000,USD\n"
        f"{month},queue,spam,1,USD\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def built(data: Path) -> Path:
    out = data.parent / "reports"
    summary = build(reports=["mbr"], data_dir=data, out_dir=out, jobs=1, progress=False)
    assert summary.exit_code == 0, [r.error for r in summary.results]
    return out / summary.months[-1]


@pytest.mark.slow
def test_built_csv_equals_the_library(built: Path, data: Path) -> None:
    csv = pd.read_csv(built / "tables" / "vendor_scorecard.csv")
    with open_store(data) as store:
        expected = vendor_scorecard(store, built.name)
    expected = expected.replace("", np.nan)
    assert list(csv.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(csv, expected, check_dtype=False, rtol=1e-9)


@pytest.mark.slow
def test_built_html_shows_the_section(built: Path, data: Path) -> None:
    text = (built / "monthly_business_review.html").read_text(encoding="utf-8")
    start = text.rfind(">Vendors<")
    section = text[start:text.find(">Data quality<", start)]
    assert start > 0 and "Vendors against in-house and the org targets" in section
    with open_store(data) as store:
        card = vendor_scorecard(store, built.name)
    for sentence in tradeoff_sentences(card):
        assert html.escape(sentence, quote=False) in section
    beta = card.set_index("vendor").loc["beta", "tradeoff"]
    assert beta.startswith("beta is") and "less accurate" in beta and "(significant" in beta


MONEY_TABLES = ("mbr_budget_vs_actual", "cost_by_site", "mbr_cost_change", "mbr_budget_variance", "mbr_cost_allocation",
                "mbr_whatif_move_volume", "mbr_whatif_audit_rate", "vendor_scorecard")


@pytest.mark.slow
def test_built_money_tables_travel_as_xlsx(built: Path) -> None:

    tables = built / "tables"
    present = [name for name in MONEY_TABLES if (tables / f"{name}.csv").is_file()]
    assert {"cost_by_site", "vendor_scorecard", "mbr_cost_change", "mbr_budget_vs_actual"} \
        <= set(present)
    for name in present:
        assert_xlsx_equals_csv(tables, name)


@pytest.mark.slow
def test_built_budgets_equal_the_library(built: Path, data: Path) -> None:
    csv = pd.read_csv(built / "tables" / "mbr_budget_vs_actual.csv", keep_default_na=False,
                      na_values=[""])
    with open_store(data) as store:
        expected = budget_vs_actual(store, built.name)
    expected["scope_value"] = expected["scope_value"].replace("", np.nan)
    pd.testing.assert_frame_equal(csv, expected, check_dtype=False, rtol=1e-9)
    assert set(csv["status"]) == {"over budget", "within budget"}
    text = (built / "monthly_business_review.html").read_text(encoding="utf-8")
    assert "Budget against actual cost by scope" in text
