"""Monthly Business Review: report_mbr glue (unit) and the notebook built on the sample data
for 2026-08 (where bpo_gamma_hyderabad misses its accuracy target)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from qa_insights.business.cost_allocation import cost_allocation
from qa_insights.business.costs import budget_against_targets, cost_by_site, cost_change
from qa_insights.business.targets import store_targets, target_attainment
from qa_insights.business.whatif import change_audit_rate, from_measured, move_volume, whatif_cells
from qa_insights.data.opening import open_store
from qa_insights.present import display as qd
from qa_insights.present.display import read_records
from qa_insights.quality.metrics import quality_summary
from qa_insights.reports import mbr as rm
from qa_insights.reports.business_summary import cost_claim
from qa_insights.reports.engine.paths import NOTEBOOKS_DIR
from qa_insights.reports.mbr_actions import DEEP_DIVE_PHRASE, actions
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
    out = actions(pd.concat([_attainment(), _attainment(status="met", scope_value="b")]))
    assert len(out) == 1
    text = out[0].sentence
    assert "site a" in text and "89.0% (86.0–92.0%)" in text and "95.0%" in text


def test_a_missed_sites_action_links_its_deep_dive_and_escapes_the_rest() -> None:
    from bs4 import BeautifulSoup

    from qa_insights.reports.engine.kinds import report_stem
    from qa_insights.reports.engine.named import missed_target_scopes

    name = 'a<b>&"c'
    attainment = pd.concat([_attainment(scope_value=name),
                            _attainment(scope="queue", scope_value="spam"),
                            _attainment(metric="handle_time_s", scope_value="slow",
                                        actual=60.0, ci_low=55.0, ci_high=65.0,
                                        target=40.0)])
    out = actions(attainment)
    linked = [a for a in out if a.deep_dive is not None]
    # exactly the scopes the build makes a deep dive for (no handle-time review)
    assert sorted(a.deep_dive for a in linked) == sorted(missed_target_scopes(attainment,
                                                                              "2026-08"))
    for action in out:
        html = BeautifulSoup(action._repr_html_(), "html.parser")
        assert html.get_text() == action.sentence  # nothing lost, nothing unescaped
        anchors = html.find_all("a")
        if action.deep_dive is None:
            assert anchors == []
        else:
            assert [a.get_text() for a in anchors] == [DEEP_DIVE_PHRASE]
            assert anchors[0]["href"] == f"{report_stem('rca', *action.deep_dive)}.html"
    assert "<b>" not in out[0]._repr_html_()


def test_actions_watch_at_risk_targets_on_the_wrong_side_only() -> None:
    a = pd.concat([_attainment(status="at risk", point_meets=False, scope_value="x"),
                   _attainment(status="at risk", point_meets=True, scope_value="y")])
    out = actions(a)
    assert len(out) == 1 and "site x" in out[0].sentence


def test_targets_table_shows_how_each_target_was_set() -> None:
    with_method = rm.targets_shown(pd.concat([_attainment(method="glide_path"),
                                              _attainment(method=None)]))
    assert with_method.method.tolist() == ["glide_path", "given"]
    assert rm.targets_shown(_attainment()).method.tolist() == ["given"]


@pytest.mark.parametrize(("status", "css"), [("met", "qa-status-met"),
                                             ("at risk", "qa-status-at-risk"),
                                             ("missed", "qa-status-missed")])
def test_status_cells_and_tiles_carry_their_colour_and_word(status: str, css: str) -> None:
    a = _attainment(status=status, scope_value="<b>x</b>")
    html = qd.table(rm.targets_shown(a), classes={"status": rm.status_class})._repr_html_()
    assert f'<td class="qa-status {css}">{status.upper()}</td>' in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    tiles = rm.status_headline(a).markup
    tile = tiles[tiles.index(css):]
    assert tile.index("1 of 1") < tile.index("</div></div>")   # the count sits in its tile


def test_status_colour_is_only_for_known_statuses() -> None:
    assert rm.status_class("no data") == "qa-status qa-status-no-data"
    assert rm.status_class('"><script>') == ""


def test_whatif_move_choice_skips_single_site_queues_and_needs_one_shared_queue() -> None:
    # queue r: a costs 0.5/item, b 0.4: saving 1000 x 0.1 = 100; queue s (a only) skipped,
    # however dear; queue q: 100 x (0.9 - 0.1) = 80.
    c = pd.DataFrame({"site": ["a", "b", "a", "b", "a"], "queue": ["q", "q", "r", "r", "s"],
                      "items_handled": [100, 100, 1000, 1000, 5000],
                      "cost": [90.0, 10.0, 500.0, 400.0, 50000.0]})
    assert rm.whatif_move_choice(c) == {"queue": "r", "from_site": "a", "to_site": "b"}
    assert rm.whatif_move_choice(c[c.queue == "s"]) is None


def test_shared_pools_refuse_a_negative_cost() -> None:
    with pytest.raises(ValueError, match="shared_cost"):
        rm.shared_pools("2026-08", -1.0)


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
    table = pd.read_csv(mbr["folder"] / "tables" / "target_attainment.csv",
                        keep_default_na=False, na_values=[""])
    assert list(table.columns[:9]) == list(rm.TARGET_COLUMNS)
    with open_store(mbr["data"]) as store:
        expected = target_attainment(store, JUMP_MONTH)
    assert len(table) == len(expected)
    pd.testing.assert_series_equal(table.actual, expected.actual.reset_index(drop=True),
                                   check_names=False, rtol=1e-9)
    assert table.status.tolist() == expected.status.tolist()
    assert table.method.tolist() == expected.method.tolist()
    hyd = table[(table.metric == "accuracy") & (table.scope_value == "bpo_gamma_hyderabad")]
    assert hyd.status.tolist() == ["missed"]


@pytest.mark.slow
def test_mbr_html_shows_hyderabad_accuracy_missed(mbr: dict) -> None:
    html = (mbr["folder"] / "monthly_business_review.html").read_text()
    assert "Accuracy at site bpo_gamma_hyderabad missed its target" in html
    assert html.index("Targets met") < html.index("Handle time of the audited decisions")


@pytest.mark.slow
def test_mbr_cost_table_and_records_equal_the_library(mbr: dict) -> None:
    table = pd.read_csv(mbr["folder"] / "tables" / "cost_by_site.csv")
    assert list(table.columns[:6]) == list(rm.COST_COLUMNS)
    with open_store(mbr["data"]) as store:
        expected = cost_by_site(store, JUMP_MONTH)
        change = cost_change(store, JUMP_MONTH).attrs["overall"]
    assert table.site.tolist() == expected.site.tolist()
    assert table.cost_per_correct_decision.tolist() == pytest.approx(
        expected.cost_per_correct_decision.tolist(), rel=1e-9)
    records = mbr["records"]
    assert records["cost_change"]["mix_effect"] == pytest.approx(change["mix_effect"])
    assert records["target_status_counts"]["missed"] >= 1
    assert any("bpo_gamma_hyderabad" in a for a in records["actions"])


@pytest.mark.slow
def test_mbr_october_volume_shift_is_a_cost_mix_effect(sample_data: Path) -> None:
    with open_store(sample_data) as store:
        change = cost_change(store, "2026-10")
    sentence = cost_claim(change, "USD", "whole organisation").sentence
    assert "volume moving between sites saved USD 330.7k (mostly to bpo_beta_cebu)" in sentence
    assert math.isclose(change.attrs["overall"]["mix_pts"], -24.03, abs_tol=0.01)


@pytest.mark.slow
def test_mbr_outputs_hold_no_raw_people_ids(mbr: dict) -> None:
    files = [mbr["folder"] / "monthly_business_review.html",
             *sorted((mbr["folder"] / "tables").glob("*.csv"))]
    assert leaked_ids(files, raw_ids(mbr["data"])) == {}


def _csv(mbr: dict, name: str) -> pd.DataFrame:
    return pd.read_csv(mbr["folder"] / "tables" / f"{name}.csv", keep_default_na=False,
                       na_values=[""])


def _same(table: pd.DataFrame, expected: pd.DataFrame) -> None:
    """A CSV read back equals the library's frame (numbers to 1e-9, text exactly)."""
    expected = expected.reset_index(drop=True)
    assert list(table.columns) == list(expected.columns)
    for column in expected.columns:
        if pd.api.types.is_numeric_dtype(expected[column]):
            assert table[column].to_numpy(dtype=float) == pytest.approx(
                expected[column].to_numpy(dtype=float), rel=1e-9, nan_ok=True), column
        else:
            assert table[column].fillna("").astype(str).tolist() == \
                expected[column].fillna("").astype(str).tolist(), column


@pytest.mark.slow
def test_mbr_budget_table_equals_the_library(mbr: dict) -> None:
    with open_store(mbr["data"]) as store:
        costs = cost_by_site(store, JUMP_MONTH)
        expected = budget_against_targets(costs, store_targets(store))
    _same(_csv(mbr, "mbr_budget_variance"), expected)
    # the organisation against its own target, each site against its own (never the org's)
    assert expected.budget_basis.tolist() == ["cost_per_item target (org)"] + \
        ["cost_per_item target (site)"] * (len(expected) - 1)


@pytest.mark.slow
def test_mbr_says_the_sample_has_no_shared_cost_to_allocate(mbr: dict) -> None:
    html = (mbr["folder"] / "monthly_business_review.html").read_text()
    assert "No shared QA and tooling cost was given for August 2026" in html
    assert not (mbr["folder"] / "tables" / "mbr_cost_allocation.csv").exists()


@pytest.mark.slow
def test_mbr_whatif_tables_equal_the_library(mbr: dict) -> None:
    move = mbr["records"]["whatif_move"]
    with open_store(mbr["data"]) as store:
        cells = whatif_cells(store, JUMP_MONTH)
        now = quality_summary(store, filters={"month": JUMP_MONTH})
    measured = [float(now[c].iloc[0]) for c in ("error_rate", "error_ci_low", "error_ci_high")]
    assert move == rm.whatif_move_choice(cells)
    _same(_csv(mbr, "mbr_whatif_move_volume"),
          from_measured(move_volume(cells, **move, share=0.1), *measured))
    _same(_csv(mbr, "mbr_whatif_audit_rate"),
          from_measured(change_audit_rate(cells, factor=0.5), *measured))
    html = (mbr["folder"] / "monthly_business_review.html").read_text()
    assert "Audit cost is not projected: the cost of one audit is not known" in html


@pytest.mark.slow
def test_mbr_has_no_projection_for_a_closed_month_and_says_why(mbr: dict) -> None:
    assert mbr["records"]["projection_as_of"] is None       # later months have audits
    assert not (mbr["folder"] / "tables" / "mbr_month_end_projection.csv").exists()
    html = (mbr["folder"] / "monthly_business_review.html").read_text()
    assert qd.escape(rm.closed_month_note(JUMP_MONTH)) in html


@pytest.mark.slow
def test_mbr_allocates_a_given_shared_cost_and_prices_audits(tmp_path: Path,
                                                             sample_data: Path) -> None:
    pm = pytest.importorskip("papermill")
    notebooks = NOTEBOOKS_DIR
    tables = tmp_path / "tables"
    pm.execute_notebook(str(notebooks / "monthly_business_review.ipynb"),
                        str(tmp_path / "mbr.ipynb"), cwd=str(notebooks), progress_bar=False,
                        kernel_name="python3",
                        parameters={"month": JUMP_MONTH, "data_dir": str(sample_data),
                                    "tables_dir": str(tables), "shared_cost": 20000.0,
                                    "allocation_driver": "audits", "cost_per_audit": 4.0})
    with open_store(sample_data) as store:
        expected = cost_allocation(store, JUMP_MONTH, driver="audits",
                                   shared=rm.shared_pools(JUMP_MONTH, 20000.0))
        cells = whatif_cells(store, JUMP_MONTH)
        now = quality_summary(store, filters={"month": JUMP_MONTH})
    table = pd.read_csv(tables / "mbr_cost_allocation.csv", keep_default_na=False,
                        na_values=[""])
    _same(table, expected)
    assert table.allocated_cost.sum() == pytest.approx(20000.0)
    priced = pd.read_csv(tables / "mbr_whatif_audit_rate.csv")
    measured = [float(now[c].iloc[0]) for c in ("error_rate", "error_ci_low", "error_ci_high")]
    _same(priced, from_measured(change_audit_rate(cells, factor=0.5, cost_per_audit=4.0),
                                *measured))
    assert priced.audit_cost[0] == pytest.approx(4.0 * cells.n_audits.sum())
