"""The MBR's operations sections built on the sample data (projects and rate cards, savings
register, delivery and staffing): the written tables equal the library, the money tables'
xlsx workbooks (opened with openpyxl) equal their CSVs, the planted effects are said in the
HTML; and a data folder without the optional tables and columns builds with a one-line note
per section naming the file that would enable it."""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qa_insights.business.projects import store_billing_check, store_project_burn
from qa_insights.business.savings import store_savings
from qa_insights.data.contract import VOLUMES_OPERATIONS
from qa_insights.data.opening import open_store
from qa_insights.data.sample_operations import PLANTED_OPERATIONS
from qa_insights.reports.engine.build import build
from qa_insights.reports.projects import billing_sentences, burn_sentences
from qa_insights.reports.savings import savings_sentences
from tests.fixtures_data import SAMPLE
from tests.report_helpers import assert_xlsx_equals_csv

MONEY = ("mbr_project_burn", "mbr_cost_per_label", "mbr_billing_check", "mbr_savings")
MONTH = "2026-10"


def _build(data: Path, out: Path) -> Path:
    summary = build(reports=["mbr"], data_dir=data, out_dir=out, month=MONTH, jobs=1,
                    progress=False)
    assert summary.exit_code == 0, [r.error for r in summary.results]
    return out / MONTH


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(SAMPLE, tmp_path_factory.mktemp("ops") / "reports")


@pytest.fixture(scope="module")
def built_without(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample without projects, rate cards, savings and the new columns."""
    folder = tmp_path_factory.mktemp("plain") / "data"
    folder.mkdir()
    for name in ("audits", "calibration", "targets"):
        shutil.copy(SAMPLE / f"{name}.csv", folder / f"{name}.csv")
    volumes = pd.read_csv(SAMPLE / "volumes.csv")
    volumes.drop(columns=[c.name for c in VOLUMES_OPERATIONS]).to_csv(
        folder / "volumes.csv", index=False)
    return _build(folder, folder.parent / "reports")


def _section(built: Path, start: str, end: str | None = None) -> str:
    text = (built / "monthly_business_review.html").read_text(encoding="utf-8")
    i = text.rfind(f">{start}<")
    assert i > 0, start
    return text[i:text.find(f">{end}<", i)] if end else text[i:]


@pytest.mark.slow
def test_money_tables_equal_the_library_and_their_xlsx(built: Path) -> None:
    tables = built / "tables"
    with open_store(SAMPLE) as store:
        expected = {"mbr_project_burn": store_project_burn(store, MONTH),
                    "mbr_billing_check": store_billing_check(store, MONTH),
                    "mbr_savings": store_savings(store, MONTH)}
    for name, frame in expected.items():
        csv = pd.read_csv(tables / f"{name}.csv", keep_default_na=False, na_values=[""])
        pd.testing.assert_frame_equal(csv, frame.replace("", np.nan), check_dtype=False,
                                      rtol=1e-9)
    for name in MONEY:
        assert assert_xlsx_equals_csv(tables, name), name


@pytest.mark.slow
def test_html_says_the_planted_effects(built: Path) -> None:
    projects = _section(built, "Projects and rate cards", "Savings register")
    savings = _section(built, "Savings register", "Delivery and staffing")
    delivery = _section(built, "Delivery and staffing")
    with open_store(SAMPLE) as store:
        burn, bill = store_project_burn(store, MONTH), store_billing_check(store, MONTH)
        register = store_savings(store, MONTH)
    for sentence in burn_sentences(burn) + billing_sentences(bill):
        assert html.escape(sentence, quote=False) in projects
    over = PLANTED_OPERATIONS["over_budget"]["project"]
    assert f"Project {over} will overrun its budget" in projects
    assert "Vendor delta invoiced" in projects and "USD" in projects
    sentences = savings_sentences(register)
    assert len(sentences) == 1 and sentences[0].startswith("Dublin workflow tooling is behind")
    assert html.escape(sentences[0], quote=False) in savings
    assert "1 on track or ahead, 1 behind" in savings
    site = PLANTED_OPERATIONS["sla_drop"]["site"]
    assert f"SLA attainment dropped at {site}" in delivery
    assert "Accuracy by week" in delivery and "Staffing by site" in delivery


@pytest.mark.slow
def test_without_the_optional_tables_each_section_names_its_file(built_without: Path) -> None:
    text = _section(built_without, "Projects and rate cards")
    for note in ("add projects.csv", "add rate_cards.csv", "add savings.csv",
                 "add items_due, items_within_sla and backlog_end to volumes.csv",
                 "add planned_productive_hours to volumes.csv"):
        assert note in text, note
    assert not (built_without / "tables" / "mbr_project_burn.csv").exists()
    assert (built_without / "tables" / "mbr_weekly_trend.csv").exists()


def test_cells_show_currency_and_no_negative_zero() -> None:
    from qa_insights.reports.delivery import sla_shown
    from qa_insights.reports.projects import billing_shown
    bill = pd.DataFrame({"month": ["2026-10"], "vendor": ["a"], "task_type": ["t"],
                         "unit": ["hour"], "units": [10.0], "unit_price": [2.0],
                         "expected": [20.0], "invoiced": [19.999], "difference": [-0.001],
                         "difference_pct": [-0.005], "status": ["matches card"],
                         "currency": ["EUR"]})
    shown = billing_shown(bill).iloc[0]
    assert shown["difference"] == "EUR +0 (+0.0%)"
    assert shown["unit_price"] == "EUR 2.0000" and shown["units"] == "10.0 hours"
    sla = pd.DataFrame({"group": ["org"], "items_due": [10], "attainment": [0.9],
                        "attainment_ci_low": [0.8], "attainment_ci_high": [0.95],
                        "attainment_before": [0.9], "attainment_bound": [0.85],
                        "backlog_end": [100.0], "backlog_change_pct": [-0.3],
                        "sla_dropped": [False], "backlog_rose": [False]})
    row = sla_shown(sla).iloc[0]
    assert (row["group"], row["backlog"], row["verdict"]) == ("Organisation", "100 (+0%)",
                                                               "usual")
