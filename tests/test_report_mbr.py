"""Monthly Business Review: report_mbr glue (unit) and the notebook built on the sample data
for 2026-08 (where bpo_gamma_hyderabad misses its accuracy target)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from qa_insights import report_mbr as rm
from qa_insights.costs import cost_by_site, cost_change
from qa_insights.display import read_records
from qa_insights.rca import explain_change
from qa_insights.store import open_store
from qa_insights.targets import target_attainment
from tests.report_build_helpers import JUMP_MONTH, leaked_ids, month_dir, raw_ids

pytest_plugins = ["tests.fixtures_report_builds"]


def _attainment(**overrides) -> pd.DataFrame:
    row = {"metric": "accuracy", "scope": "site", "scope_value": "a", "month": "2026-08",
           "actual": 0.89, "ci_low": 0.86, "ci_high": 0.92, "target": 0.95,
           "status": "missed", "point_meets": False, "streak": 1}
    row.update(overrides)
    return pd.DataFrame([row])


def test_status_counts_cover_every_status() -> None:
    a = pd.concat([_attainment(), _attainment(status="met"), _attainment(status="no data")])
    assert rm.status_counts(a) == {"met": 1, "at risk": 0, "missed": 1, "no data": 1}


def test_actions_name_missed_targets_with_numbers_and_skip_met_ones() -> None:
    out = rm.actions(pd.concat([_attainment(), _attainment(status="met", scope_value="b")]))
    assert len(out) == 1
    assert "site a" in out[0] and "89.0% (86.0–92.0%)" in out[0] and "95.0%" in out[0]


def test_actions_flag_a_mix_driven_quality_change() -> None:
    quality = pd.DataFrame({"site": ["cheap", "dear"], "mix_effect": [2.0, -0.1],
                            "rate_effect": [-0.2, -0.3], "total_effect": [1.8, -0.4]})
    quality.attrs["overall"] = {"change": 1.5, "mix_effect": 1.9, "rate_effect": -0.4}
    out = rm.actions(_attainment(status="met"), quality=quality)
    assert len(out) == 1 and "mix" in out[0] and "cheap" in out[0]


def test_actions_watch_at_risk_targets_on_the_wrong_side_only() -> None:
    a = pd.concat([_attainment(status="at risk", point_meets=False, scope_value="x"),
                   _attainment(status="at risk", point_meets=True, scope_value="y")])
    out = rm.actions(a)
    assert len(out) == 1 and "site x" in out[0]


def test_rows_in_scope_ignores_columns_the_frame_lacks() -> None:
    f = pd.DataFrame({"site": ["a", "b"]})
    assert rm.rows_in_scope(f, {"site": "a", "market": "US"}).site.tolist() == ["a"]


@pytest.fixture(scope="module")
def mbr(august_build: dict) -> dict:
    folder = month_dir(august_build, JUMP_MONTH)
    assert (folder / "monthly_business_review.html").exists(), august_build["results"]
    return {"folder": folder, "records": read_records(folder / "monthly_business_review.ipynb"),
            "data": Path(august_build["data"])}


@pytest.mark.slow
def test_mbr_target_table_has_required_columns_and_library_numbers(mbr: dict) -> None:
    table = pd.read_csv(mbr["folder"] / "tables" / "mbr_target_attainment.csv",
                        keep_default_na=False, na_values=[""])
    assert list(table.columns[:9]) == list(rm.TARGET_COLUMNS)
    with open_store(mbr["data"]) as store:
        expected = target_attainment(store, JUMP_MONTH)
    assert len(table) == len(expected)
    pd.testing.assert_series_equal(table.actual, expected.actual.reset_index(drop=True),
                                   check_names=False, rtol=1e-9)
    assert table.status.tolist() == expected.status.tolist()
    hyd = table[(table.metric == "accuracy") & (table.scope_value == "bpo_gamma_hyderabad")]
    assert hyd.status.tolist() == ["missed"]


@pytest.mark.slow
def test_mbr_html_shows_hyderabad_accuracy_missed(mbr: dict) -> None:
    html = (mbr["folder"] / "monthly_business_review.html").read_text()
    assert "Accuracy at site bpo_gamma_hyderabad missed its target" in html
    assert html.index("Targets met") < html.index("Handle time of the audited decisions")


@pytest.mark.slow
def test_mbr_cost_table_and_records_equal_the_library(mbr: dict) -> None:
    table = pd.read_csv(mbr["folder"] / "tables" / "mbr_cost_by_site.csv")
    assert list(table.columns[:6]) == list(rm.COST_COLUMNS)
    with open_store(mbr["data"]) as store:
        expected = cost_by_site(store, JUMP_MONTH)
        change = cost_change(store, JUMP_MONTH).attrs["overall"]
        quality = explain_change(store, JUMP_MONTH, "site")
    assert table.site.tolist() == expected.site.tolist()
    assert table.cost_per_correct_decision.tolist() == pytest.approx(
        expected.cost_per_correct_decision.tolist(), rel=1e-9)
    records = mbr["records"]
    assert records["cost_change"]["mix_effect"] == pytest.approx(change["mix_effect"])
    assert records["target_status_counts"]["missed"] >= 1
    assert records["movements"][0]["movement"].startswith("Error rate")
    assert f"{100 * quality.attrs['overall']['rate_after']:.2f}%" in \
        records["movements"][0]["movement"]
    assert any("bpo_gamma_hyderabad" in a for a in records["actions"])


@pytest.mark.slow
def test_mbr_october_volume_shift_is_a_cost_mix_effect(sample_data: Path) -> None:
    with open_store(sample_data) as store:
        change = cost_change(store, "2026-10")
    out = rm.movements(_october_quality(sample_data), change, [])
    assert "mix -24.2 pts (mostly bpo_beta_cebu)" in out.cause[1]
    assert math.isclose(change.attrs["overall"]["mix_pts"], -24.17, abs_tol=0.01)


def _october_quality(data: Path) -> pd.DataFrame:
    with open_store(data) as store:
        return explain_change(store, "2026-10", "site")


@pytest.mark.slow
def test_mbr_outputs_hold_no_raw_people_ids(mbr: dict) -> None:
    files = [mbr["folder"] / "monthly_business_review.html",
             *sorted((mbr["folder"] / "tables").glob("mbr_*.csv"))]
    assert leaked_ids(files, raw_ids(mbr["data"])) == {}
