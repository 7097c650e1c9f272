"""Costs: every ratio of ``economics_ratios`` by its formula, zero denominators NaN (found
by mutation testing, tests/MUTATION.md). The error-rate interval is statsmodels' Wilson."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from qa_insights.business.costs import HOURS_PER_FTE, economics_ratios


def _sums(**extra):
    return pd.DataFrame({"site": ["a", "b", "c"], "items_handled": [10_000, 4_000, 0],
                         "productive_hours": [100.0, 0.0, 10.0], "headcount": [1.0, 2.0, 0.0],
                         "cost": [5_000.0, 3_000.0, 100.0], "n_audits": [200, 50, 0],
                         "n_errors": [10, 0, 0], "n_critical": [1, 0, 0],
                         "n_handle_time": [200, 0, 0],
                         "handle_time_total_s": [8_000.0, 0.0, 0.0], **extra})


@pytest.mark.parametrize("rework,confidence,hours", [(0.0, 0.95, HOURS_PER_FTE),
                                                      (2.5, 0.9, 150.0)])
def test_every_ratio_by_formula(rework, confidence, hours):
    s = _sums()
    r = economics_ratios(s, rework_cost_per_error=rework, hours_per_fte=hours,
                         confidence=confidence)
    a, b = r.iloc[0], r.iloc[1]
    lo, hi = proportion_confint(10, 200, alpha=1 - confidence, method="wilson")
    err, cpi = 10 / 200, 5_000 / 10_000
    want_a = {
        "cost_per_item": cpi, "accuracy": 1 - err, "accuracy_ci_low": 1 - hi,
        "accuracy_ci_high": 1 - lo, "cost_per_correct_decision": 5_000 / (10_000 * (1 - err)),
        "cost_per_correct_decision_low": 5_000 / (10_000 * (1 - lo)),
        "cost_per_correct_decision_high": 5_000 / (10_000 * (1 - hi)),
        "error_rate": err, "estimated_errors": 10_000 * err,
        "cost_of_errors": 10_000 * err * (cpi + rework),
        "cost_of_errors_low": 10_000 * lo * (cpi + rework),
        "cost_of_errors_high": 10_000 * hi * (cpi + rework),
        "cost_of_errors_share": 10_000 * err * (cpi + rework) / 5_000,
        "throughput_per_hour": 10_000 / 100.0, "audits_per_1000_items": 1000 * 200 / 10_000,
        "utilisation": 100.0 / (1.0 * hours), "handle_time_mean_s": 8_000 / 200,
    }
    for column, value in want_a.items():
        assert a[column] == pytest.approx(value, rel=1e-12), column
    assert b["error_rate"] == 0 and b["accuracy"] == 1
    assert b["utilisation"] == 0 and np.isnan(b["throughput_per_hour"])
    assert np.isnan(b["handle_time_mean_s"]) and b["cost_per_item"] == 3_000 / 4_000
    c = r.iloc[2]
    for column in ("cost_per_item", "error_rate", "utilisation", "audits_per_1000_items",
                   "cost_per_correct_decision"):
        assert np.isnan(c[column]), column
    assert r["cost_per_audit"].isna().all()
    assert r["site"].tolist() == ["a", "b", "c"]


def test_cost_per_audit_when_the_audit_cost_is_given():
    r = economics_ratios(_sums(audit_cost=[400.0, 100.0, 50.0]))
    assert r["cost_per_audit"].iloc[:2].tolist() == pytest.approx([2.0, 2.0])
    assert np.isnan(r["cost_per_audit"].iloc[2])


def test_no_rows_gives_no_rows():
    r = economics_ratios(_sums().iloc[:0])
    assert r.empty and "cost_per_item" in r.columns


def _cost_frame(rows):
    return pd.DataFrame({"site": list(rows), "items_handled": [v[0] for v in rows.values()],
                         "cost": [v[1] for v in rows.values()]})


def test_cost_change_segment_points_are_of_the_total_cost_before():
    from qa_insights.business.costs import COST_FACTORS, decompose_cost_change
    b = _cost_frame({"in": (100.0, 90.0), "bpo_a": (200.0, 50.0), "bpo_b": (100.0, 30.0)})
    a = _cost_frame({"in": (120.0, 100.0), "bpo_a": (150.0, 40.0), "bpo_b": (230.0, 60.0)})
    d = decompose_cost_change(b, a)
    for name in (*COST_FACTORS, "total"):
        np.testing.assert_allclose(d[f"{name}_pts"], 100 * d[f"{name}_effect"] / 170.0,
                                   rtol=1e-12)
    assert d["total_pts"].sum() == pytest.approx(100 * 30 / 170.0)


def test_cost_change_without_items_in_a_period_is_an_error():
    from qa_insights.business.costs import decompose_cost_change
    b = _cost_frame({"in": (100.0, 90.0)})
    with pytest.raises(ValueError, match="after: no items handled in any segment"):
        decompose_cost_change(b, _cost_frame({"in": (0.0, 0.0)}))


def test_cost_change_percent_is_undefined_without_cost_before():
    from qa_insights.business.costs import decompose_cost_change
    d = decompose_cost_change(_cost_frame({"in": (100.0, 0.0)}),
                              _cost_frame({"in": (100.0, 50.0)}))
    o = d.attrs["overall"]
    assert o["change"] == 50.0 and np.isnan(o["change_pct"]) and np.isnan(o["total_pts"])


def test_cheaper_but_worse_uses_alpha_five_percent_by_default():
    from statsmodels.stats.multitest import multipletests
    from statsmodels.stats.proportion import proportions_ztest

    from qa_insights.business.costs import cost_quality_tradeoff
    e = pd.DataFrame({"site": ["in", "bpo"], "month": "2026-10", "items_handled": [1000, 1000],
                      "cost": [900.0, 250.0], "n_audits": [400, 400], "n_errors": [8, 19],
                      "productive_hours": 1.0, "headcount": 1.0, "n_critical": 0,
                      "n_handle_time": 0, "handle_time_total_s": 0.0})
    p = proportions_ztest([19, 8], [400, 400])[1]
    adjusted = multipletests([p, p], method="holm")[1].max()   # both sites are tested
    assert 0.05 < adjusted < 0.1       # flagged at 10%, not at the default 5%
    default = cost_quality_tradeoff(economics_ratios(e)).set_index("site")
    assert default.loc["bpo", "p_value"] == pytest.approx(p, rel=1e-9)
    assert default.loc["bpo", "p_adjusted"] == pytest.approx(adjusted, rel=1e-9)
    assert not default["cheaper_but_worse"].any()
    loose = cost_quality_tradeoff(economics_ratios(e), alpha=0.1).set_index("site")
    assert loose["cheaper_but_worse"].to_dict() == {"bpo": True, "in": False}


def test_cheaper_but_worse_is_holm_adjusted_across_sites():
    from statsmodels.stats.multitest import multipletests

    from qa_insights.business.costs import cost_quality_tradeoff
    # bpo's 22 errors in 400 against the rest's 20 in 1,200: p ~ 0.001 on its own; the
    # adjustment allows for the four sites tested.
    e = pd.DataFrame({"site": ["in1", "in2", "in3", "bpo"], "month": "2026-10",
                      "items_handled": 1000, "cost": [900.0, 800.0, 700.0, 250.0],
                      "n_audits": 400, "n_errors": [6, 7, 7, 22], "productive_hours": 1.0,
                      "headcount": 1.0, "n_critical": 0, "n_handle_time": 0,
                      "handle_time_total_s": 0.0})
    t = cost_quality_tradeoff(economics_ratios(e)).set_index("site").loc[e["site"]]
    expected = multipletests(t["p_value"], method="holm")[1]
    assert t["p_adjusted"].to_numpy() == pytest.approx(expected, rel=1e-12)
    assert (t["n_tests"] == 4).all()
    assert t["cheaper_but_worse"].to_dict() == {"in1": False, "in2": False, "in3": False,
                                                "bpo": bool(expected[3] < 0.05)}
    strict = cost_quality_tradeoff(economics_ratios(e), alpha=t.loc["bpo", "p_value"] * 1.5)
    assert not strict["cheaper_but_worse"].any()   # significant alone, not after adjustment


def test_cost_without_items_names_the_period_and_segment():
    from qa_insights.business.costs import decompose_cost_change
    b = _cost_frame({"in": (100.0, 90.0), "bpo": (0.0, 10.0)})
    with pytest.raises(ValueError, match=r"before: segment \['bpo'\] has cost but no items"):
        decompose_cost_change(b, _cost_frame({"in": (100.0, 90.0)}))


def test_cost_change_percent_with_a_small_cost_before():
    from qa_insights.business.costs import decompose_cost_change
    d = decompose_cost_change(_cost_frame({"in": (100.0, 0.5)}),
                              _cost_frame({"in": (100.0, 1.0)}))
    assert d.attrs["overall"]["change_pct"] == pytest.approx(100.0)
    assert d["total_pts"].tolist() == pytest.approx([100.0])


def test_rest_of_organisation_error_rate():
    from qa_insights.business.costs import cost_quality_tradeoff
    e = pd.DataFrame({"site": ["a", "b", "c"], "month": "2026-10",
                      "items_handled": [1000, 1000, 10], "cost": [900.0, 250.0, 5.0],
                      "n_audits": [400, 300, 1], "n_errors": [8, 30, 1],
                      "productive_hours": 1.0, "headcount": 1.0, "n_critical": 0,
                      "n_handle_time": 0, "handle_time_total_s": 0.0})
    t = cost_quality_tradeoff(economics_ratios(e)).set_index("site")
    assert t.loc["a", "rest_error_rate"] == pytest.approx(31 / 301)
    assert t.loc["c", "rest_error_rate"] == pytest.approx(38 / 700)
    one = cost_quality_tradeoff(economics_ratios(e.iloc[[0, 2]])).set_index("site")
    assert one.loc["a", "rest_error_rate"] == 1.0          # the rest is one audit, an error
    alone = cost_quality_tradeoff(economics_ratios(e.iloc[[0]]))
    assert np.isnan(alone["rest_error_rate"].iloc[0])


def test_a_site_with_volumes_but_no_audits_has_zero_audits(tmp_path):
    from qa_insights.business.costs import unit_economics
    from tests.fixtures_mbr import audits, volume, write_folder
    store = write_folder(tmp_path, audits=[audits("2026-10", "a", "spam", 100, 5)],
                         volumes=[volume("2026-10", "a", "spam", 1000, 500.0),
                                  volume("2026-10", "b", "spam", 2000, 800.0)])
    try:
        u = unit_economics(store, by=("site", "month")).set_index("site")
    finally:
        store.close()
    assert u.loc["b", "n_audits"] == 0 and u.loc["b", "n_errors"] == 0
    assert np.isnan(u.loc["b", "error_rate"])
    assert u.loc["b", "cost_per_item"] == pytest.approx(0.4)
    assert u.loc["a", "n_audits"] == 100 and u.loc["a", "error_rate"] == pytest.approx(0.05)


def test_cost_without_items_names_that_segment_whatever_the_order():
    from qa_insights.business.costs import decompose_cost_change
    for rows in ({"a_in": (100.0, 90.0), "z_bpo": (0.0, 10.0)},
                 {"z_bpo": (0.0, 10.0), "a_in": (100.0, 90.0)}):
        with pytest.raises(ValueError, match=r"before: segment \['z_bpo'\] has cost but no"):
            decompose_cost_change(_cost_frame(rows), _cost_frame({"a_in": (100.0, 90.0)}))


def test_cost_change_table_points_are_of_the_cost_before():
    from qa_insights.business.costs import cost_change_table, decompose_cost_change
    b = _cost_frame({"in": (100.0, 90.0), "bpo_a": (200.0, 50.0), "bpo_b": (100.0, 30.0)})
    a = _cost_frame({"in": (120.0, 100.0), "bpo_a": (150.0, 40.0), "bpo_b": (230.0, 60.0)})
    t = cost_change_table(decompose_cost_change(b, a)).set_index("component")
    assert t.loc["cost before", "amount"] == 170.0 and t.loc["cost after", "amount"] == 200.0
    np.testing.assert_allclose(t["pts"], 100 * t["amount"] / 170.0, rtol=1e-12)
    assert t.loc[["volume", "mix", "unit cost"], "amount"].sum() == pytest.approx(30.0)


def test_cost_change_table_has_no_points_without_cost_before():
    from qa_insights.business.costs import cost_change_table, decompose_cost_change
    t = cost_change_table(decompose_cost_change(_cost_frame({"in": (100.0, 0.0)}),
                                                _cost_frame({"in": (100.0, 50.0)})))
    assert t["amount"].iloc[[0, -1]].tolist() == [0.0, 50.0]
    assert t["pts"].isna().all()


def test_an_org_budget_takes_the_org_target_not_a_sites():
    from qa_insights.business.costs import budget_from_targets
    e = pd.DataFrame({"month": ["2026-09", "2026-10"], "items_handled": [2000, 1000]})
    t = pd.DataFrame({"metric": "cost_per_item", "scope": ["site", "org", "org"],
                      "scope_value": ["bpo", "", ""], "month": ["2026-10", "2026-10", "2026-09"],
                      "target": [0.25, 0.30, 0.40], "direction": "lower_is_better"})
    b = budget_from_targets(e, t)
    assert b["budget"].tolist() == pytest.approx([0.40 * 2000, 0.30 * 1000])
    assert set(b["budget_basis"]) == {"cost_per_item target (org)"}
