"""Costs: unit economics, budget variance, LMDI cost change, trade-off and allocation.

Expected values are plain arithmetic on the small inputs, statsmodels (Wilson interval,
two-proportion z test), numpy percentiles, a loop-based LMDI written out in the test, or
pandas on the sample CSV files; never the functions under test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from qa_insights.business.cost_allocation import (
    allocate_shared_costs,
    cost_allocation,
    fully_loaded,
)
from qa_insights.business.costs import (
    budget_from_targets,
    budget_variance,
    cost_by_site,
    cost_change,
    cost_change_table,
    cost_tradeoff,
    decompose_cost_change,
    efficiency,
    unit_economics,
)
from qa_insights.business.targets import store_targets
from tests.fixtures_mbr import audits, sample_csv, target, volume, write_folder

OCT, SEP = "2026-10", "2026-09"
HT_IN = [30.0, 50.0, 40.0, 100.0]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mbr_costs")
    store = write_folder(
        tmp,
        audits=[audits(OCT, "inhouse_x", "spam", 400, 8, handle_times=HT_IN),
                audits(OCT, "inhouse_x", "hate", 100, 2, handle_times=[60.0]),
                audits(OCT, "bpo_y", "spam", 200, 20, handle_times=[20.0, 24.0]),
                audits(OCT, "bpo_z", "spam", 100, 3, handle_times=[25.0])],
        volumes=[volume(OCT, "inhouse_x", "spam", 40_000, 36_000.0, hours=500.0, headcount=4),
                 volume(OCT, "inhouse_x", "hate", 10_000, 12_000.0, hours=300.0, headcount=2),
                 volume(OCT, "bpo_y", "spam", 100_000, 20_000.0, hours=800.0, headcount=5),
                 volume(OCT, "bpo_z", "spam", 50_000, 12_500.0, hours=400.0, headcount=3),
                 volume(OCT, "qa_team", "all", 0, 6_000.0, hours=0.0, headcount=0),
                 volume(SEP, "inhouse_x", "spam", 40_000, 36_000.0),
                 volume(SEP, "bpo_y", "spam", 50_000, 10_000.0)],
        targets=[target("cost_per_item", "org", "", OCT, 0.30, "lower_is_better"),
                 target("cost_per_item", "site", "bpo_y", OCT, 0.25, "lower_is_better")])
    yield store
    store.close()


def _site(frame, site):
    return frame.set_index("site").loc[site]


def test_unit_economics_by_site_by_hand(small):
    e = unit_economics(small, ["site", "month"], OCT, rework_cost_per_error=3.0,
                       hours_per_fte=100.0)
    x = _site(e, "inhouse_x")
    items, cost, n, err = 50_000, 48_000.0, 500, 10
    assert x["items_handled"] == items and x["cost"] == cost
    assert x["cost_per_item"] == pytest.approx(cost / items)
    assert x["accuracy"] == pytest.approx(1 - err / n)
    assert x["cost_per_correct_decision"] == pytest.approx(cost / (items * (1 - err / n)))
    lo, hi = proportion_confint(err, n, method="wilson")     # interval of the error rate
    assert x["cost_per_correct_decision_low"] == pytest.approx(cost / (items * (1 - lo)))
    assert x["cost_per_correct_decision_high"] == pytest.approx(cost / (items * (1 - hi)))
    assert x["cost_of_errors"] == pytest.approx(items * err / n * (cost / items + 3.0))
    assert x["cost_of_errors_high"] == pytest.approx(items * hi * (cost / items + 3.0))
    assert x["throughput_per_hour"] == pytest.approx(items / 800.0)
    assert x["audits_per_1000_items"] == pytest.approx(1000 * n / items)
    assert x["utilisation"] == pytest.approx(800.0 / (6 * 100.0))
    times = np.array(HT_IN * 100 + [60.0] * 100)
    assert x["handle_time_mean_s"] == pytest.approx(times.mean())
    assert x["handle_time_sd_s"] == pytest.approx(times.std(ddof=1))
    assert x["handle_time_p50_s"] == pytest.approx(np.percentile(times, 50))
    assert x["handle_time_p90_s"] == pytest.approx(np.percentile(times, 90))
    assert math.isnan(x["cost_per_audit"])
    # The shared-cost site has cost but no items: ratios are NaN, nothing breaks.
    assert math.isnan(_site(e, "qa_team")["cost_per_item"])


def test_unit_economics_by_vendor_and_overall(small):
    e = unit_economics(small, ["vendor"], OCT, vendors={"bpo_y": "acme", "bpo_z": "acme"})
    acme = e.set_index("vendor").loc["acme"]
    assert acme["items_handled"] == 150_000 and acme["cost"] == 32_500.0
    assert acme["accuracy"] == pytest.approx(1 - 23 / 300)
    assert acme["handle_time_mean_s"] == pytest.approx((100 * 20 + 100 * 24 + 100 * 25) / 300)
    assert "handle_time_p50_s" not in e.columns
    org = unit_economics(small, [], OCT).iloc[0]
    assert org["cost_per_item"] == pytest.approx(86_500.0 / 200_000)


def test_audit_cost_gives_cost_per_audit(small):
    ac = pd.DataFrame({"month": [OCT], "site": ["bpo_y"], "audit_cost": [1_000.0]})
    c = cost_by_site(small, OCT, audit_cost=ac)
    assert c.columns[:6].tolist() == ["site", "month", "items_handled", "cost", "cost_per_item",
                                      "cost_per_correct_decision"]
    assert _site(c, "bpo_y")["cost_per_audit"] == pytest.approx(1_000.0 / 200)
    assert math.isnan(_site(c, "bpo_z")["cost_per_audit"])


def test_efficiency_by_queue(small):
    f = efficiency(small, ["queue", "month"], OCT).set_index("queue")
    assert f.loc["spam", "items_handled"] == 190_000
    assert f.loc["spam", "throughput_per_hour"] == pytest.approx(190_000 / 1_700.0)
    assert f.loc["hate", "handle_time_p90_s"] == pytest.approx(60.0)


def test_budget_variance_from_targets(small):
    e = unit_economics(small, ["site", "month"], OCT)
    e = e[e["site"] != "qa_team"]
    v = budget_variance(e, budget_from_targets(e, store_targets(small))).set_index("site")
    # bpo_y has its own target (0.25); the others have none of their own: no budget (the
    # org target of 0.30 is not a site's budget).
    assert v.loc["bpo_y", "budget"] == pytest.approx(0.25 * 100_000)
    assert v.loc["bpo_y", "budget_basis"] == "cost_per_item target (site)"
    assert v.loc[["bpo_z", "inhouse_x"], "budget"].isna().all()
    assert set(v.loc[["bpo_z", "inhouse_x"], "budget_basis"]) == {"no target of its own"}
    assert v.loc["bpo_y", "volume_variance"] == 0
    assert v.loc["bpo_y", "rate_variance"] == pytest.approx(v.loc["bpo_y", "variance"])


def test_budget_variance_split_with_fixed_budget():
    e = pd.DataFrame({"site": ["a", "b"], "items_handled": [1200, 800], "cost": [600.0, 300.0]})
    b = pd.DataFrame({"site": ["a", "b"], "budget": [500.0, 400.0], "budget_items": [1000, 1000]})
    v = budget_variance(e, b).set_index("site")
    # a: budget 0.5/item; volume +200 items -> +100; rate (0.5 - 0.5) x 1200 = 0.
    assert v.loc["a", ["volume_variance", "rate_variance"]].tolist() == pytest.approx([100, 0])
    # b: budget 0.4/item; volume -200 -> -80; rate (0.375 - 0.4) x 800 = -20.
    assert v.loc["b", ["volume_variance", "rate_variance"]].tolist() == pytest.approx([-80, -20])
    assert v.loc["b", "variance_pct"] == pytest.approx(-25.0)


# ------------------------------------------------------------------ LMDI cost change


def _lmdi_by_hand(b, a):
    """Three-factor LMDI-I written out with math.log, segments present in both periods."""
    q0, qt = sum(x[0] for x in b.values()), sum(x[0] for x in a.values())
    effects = {"volume": 0.0, "mix": 0.0, "unit_cost": 0.0}
    for k in b:
        (n0, c0), (nt, ct) = b[k], a[k]
        w = c0 if c0 == ct else (ct - c0) / (math.log(ct) - math.log(c0))
        effects["volume"] += w * math.log(qt / q0)
        effects["mix"] += w * math.log((nt / qt) / (n0 / q0))
        effects["unit_cost"] += w * math.log((ct / nt) / (c0 / n0))
    return effects


def test_cost_change_matches_hand_lmdi():
    b = {"in": (100.0, 90.0), "bpo_a": (200.0, 50.0), "bpo_b": (100.0, 30.0)}
    a = {"in": (120.0, 100.0), "bpo_a": (150.0, 40.0), "bpo_b": (230.0, 60.0)}
    frame = lambda d: pd.DataFrame({"site": list(d), "items_handled": [v[0] for v in d.values()],
                                    "cost": [v[1] for v in d.values()]})
    d = decompose_cost_change(frame(b), frame(a))
    o = d.attrs["overall"]
    hand = _lmdi_by_hand(b, a)
    for name in ("volume", "mix", "unit_cost"):
        assert o[f"{name}_effect"] == pytest.approx(hand[name], rel=1e-12)
        assert o[f"{name}_pts"] == pytest.approx(100 * hand[name] / 170.0, rel=1e-12)
    assert o["change"] == pytest.approx(200.0 - 170.0)
    assert o["d_volume"] * o["d_mix"] * o["d_unit_cost"] == pytest.approx(200.0 / 170.0)
    table = cost_change_table(d)
    assert table["component"].tolist() == ["cost before", "volume", "mix", "unit cost",
                                           "cost after"]
    assert table["amount"].iloc[1:4].sum() == pytest.approx(30.0, abs=1e-9)


def test_new_and_vanished_sites_are_mix():
    b = pd.DataFrame({"site": ["in", "old"], "items_handled": [100, 50], "cost": [100.0, 20.0]})
    a = pd.DataFrame({"site": ["in", "new"], "items_handled": [100, 50], "cost": [100.0, 30.0]})
    d = decompose_cost_change(b, a).set_index("site")
    assert d.loc["new", "mix_effect"] == pytest.approx(30.0)
    assert d.loc["old", "mix_effect"] == pytest.approx(-20.0)
    assert d.loc["new", ["volume_effect", "unit_cost_effect"]].abs().max() == 0.0


def test_cost_without_items_raises():
    b = pd.DataFrame({"site": ["a"], "items_handled": [0], "cost": [5.0]})
    with pytest.raises(ValueError, match="no items"):
        decompose_cost_change(b, b)


segments = st.lists(st.tuples(st.integers(0, 10_000), st.floats(0.05, 3.0)), min_size=1,
                    max_size=8)


@settings(max_examples=200, deadline=None)
@given(b=segments, a=segments)
@example(b=[(1, 0.05078125)], a=[(1681, 3.0)])  # change_pct ~1e7: rounding above 1e-9
def test_cost_decomposition_sums_exactly_to_the_change(b, a):
    def frame(rows):
        return pd.DataFrame({"site": [f"s{i}" for i in range(len(rows))],
                             "items_handled": [r[0] for r in rows],
                             "cost": [r[0] * r[1] for r in rows]})
    fb, fa = frame(b), frame(a)
    if fb["items_handled"].sum() == 0 or fa["items_handled"].sum() == 0:
        return
    d = decompose_cost_change(fb, fa)
    change = fa["cost"].sum() - fb["cost"].sum()
    total = d[["volume_effect", "mix_effect", "unit_cost_effect"]].to_numpy().sum()
    assert total == pytest.approx(change, abs=1e-9 * max(1.0, fb["cost"].sum()))
    o = d.attrs["overall"]
    # Relative tolerance: a change of 10 million per cent carries float rounding of ~1e-9.
    assert o["volume_pts"] + o["mix_pts"] + o["unit_cost_pts"] == \
        pytest.approx(o["change_pct"], abs=1e-9 * max(1.0, abs(o["change_pct"])))


# ------------------------------------------------------------------ sample data


def test_sample_volume_shift_is_a_mix_effect(sample_store):
    d = cost_change(sample_store, "2026-10", "2026-09")
    o = d.attrs["overall"]
    # Direct computation with pandas: Laspeyres and Paasche mix effects bracket the LMDI one.
    v = sample_csv("volumes").groupby(["month", "site"])[["items_handled", "cost"]].sum()
    b, a = v.loc["2026-09"], v.loc["2026-10"]
    q0, qt = b["items_handled"].sum(), a["items_handled"].sum()
    s0, st_ = b["items_handled"] / q0, a["items_handled"] / qt
    u0, ut = b["cost"] / b["items_handled"], a["cost"] / a["items_handled"]
    mix_l = q0 * ((st_ - s0) * u0).sum()
    mix_p = qt * ((st_ - s0) * ut).sum()
    change = a["cost"].sum() - b["cost"].sum()
    assert o["change"] == pytest.approx(change)
    assert o["mix_effect"] < 0 and mix_l < 0 and mix_p < 0
    assert min(mix_l, mix_p) <= o["mix_effect"] <= max(mix_l, mix_p)
    # The story planted in 2026-10: volume grew at bpo_beta_cebu only (a positive volume
    # effect, the items added) while the mix moved toward that cheap site (a negative mix
    # effect that offsets part of it); bpo_beta_cebu is the segment gaining share.
    assert o["volume_effect"] > 0 and q0 < qt
    assert abs(o["mix_effect"]) > 0.3 * abs(o["volume_effect"])
    top = d.iloc[0]
    assert top["site"] == "bpo_beta_cebu" and top["mix_effect"] > 0
    assert d.set_index("site")["mix_effect"].drop("bpo_beta_cebu").lt(0).all()


def test_sample_cheaper_but_worse_site(sample_store):
    t = cost_tradeoff(sample_store, "2026-10").set_index("site")
    cebu = t.loc["bpo_beta_cebu"]
    raw = sample_csv("audits")
    month = pd.to_datetime(raw["audited_at"], utc=True, format="ISO8601").dt.strftime("%Y-%m")
    oct_ = raw[month == "2026-10"]
    err = (oct_["moderator_decision"] != oct_["auditor_decision"]) & \
        (oct_["dispute_status"].fillna("none") != "overturned")
    is_cebu = oct_["site"] == "bpo_beta_cebu"
    counts = [int(err[is_cebu].sum()), int(err[~is_cebu].sum())]
    nobs = [int(is_cebu.sum()), int((~is_cebu).sum())]
    _, p = proportions_ztest(counts, nobs)
    assert cebu["p_value"] == pytest.approx(p, rel=1e-9)
    assert cebu["cost_rank"] == 1 and bool(cebu["cheaper_but_worse"])
    assert cebu["cost_per_correct_decision"] > cebu["cost_per_item"]
    assert t["cheaper_but_worse"].sum() == 1


# ------------------------------------------------------------------ allocation


def test_allocation_by_hand_and_fully_loaded():
    units = pd.DataFrame({"month": [OCT, OCT, SEP], "site": ["a", "b", "a"],
                          "items_handled": [3_000, 1_000, 500],
                          "productive_hours": [10.0, 30.0, 5.0]})
    shared = pd.DataFrame({"month": [OCT, OCT, SEP], "pool": ["qa", "tools", "qa"],
                           "cost": [800.0, 200.0, 50.0]})
    alloc = allocate_shared_costs(units, shared, "productive_hours")
    got = alloc.set_index(["month", "pool", "site"])["allocated_cost"]
    assert got[(OCT, "qa", "a")] == pytest.approx(800 * 10 / 40)
    assert got[(OCT, "tools", "b")] == pytest.approx(200 * 30 / 40)
    assert got[(SEP, "qa", "a")] == pytest.approx(50.0)
    assert alloc.groupby(["month", "pool"])["allocated_cost"].sum().tolist() == \
        pytest.approx([50.0, 800.0, 200.0])
    econ = units.assign(cost=[1_000.0, 1_000.0, 100.0])
    f = fully_loaded(econ, alloc).set_index(["month", "site"])
    assert f.loc[(OCT, "b"), "fully_loaded_cost_per_item"] == pytest.approx((1_000 + 750) / 1_000)


def test_allocation_errors():
    units = pd.DataFrame({"month": [OCT], "site": ["a"], "items_handled": [0]})
    with pytest.raises(ValueError, match="no items_handled"):
        allocate_shared_costs(units, pd.DataFrame({"month": [OCT], "cost": [1.0]}))
    with pytest.raises(ValueError, match="unknown driver"):
        allocate_shared_costs(units, pd.DataFrame({"month": [OCT], "cost": [1.0]}), "fte")


def test_allocation_from_volume_rows_by_audits(small):
    alloc = cost_allocation(small, OCT, driver="audits", shared_sites=["qa_team"])
    got = alloc.set_index("site")
    assert "qa_team" not in got.index
    assert got["pool"].unique().tolist() == ["qa_team"]
    # 800 audits outside the QA team: inhouse_x 500, bpo_y 200, bpo_z 100.
    assert got.loc["inhouse_x", "allocated_cost"] == pytest.approx(6_000 * 500 / 800)
    assert got.loc["bpo_z", "driver_share"] == pytest.approx(100 / 800)
    extra = pd.DataFrame({"month": [OCT], "pool": ["tooling"], "cost": [400.0]})
    both = cost_allocation(small, OCT, by=["site", "queue"], driver="items",
                           shared=extra, shared_sites=["qa_team"])
    assert both.groupby("pool")["allocated_cost"].sum().to_dict() == \
        pytest.approx({"qa_team": 6_000.0, "tooling": 400.0})
    hate = both.set_index(["pool", "site", "queue"]).loc[("tooling", "inhouse_x", "hate")]
    assert hate["allocated_cost"] == pytest.approx(400 * 10_000 / 200_000)


# ------------------------------------------------------------------ defaults


def test_cost_by_site_prices_no_rework_unless_given(small):
    items, cost, n, err = 100_000, 20_000.0, 200, 20          # bpo_y, by hand
    plain = _site(cost_by_site(small, OCT), "bpo_y")
    assert plain["cost_of_errors"] == pytest.approx(items * err / n * (cost / items))
    priced = _site(cost_by_site(small, OCT, rework_cost_per_error=3.0), "bpo_y")
    assert priced["cost_of_errors"] == pytest.approx(items * err / n * (cost / items + 3.0))


def test_cost_tradeoff_flags_at_five_percent_by_default(tmp_path):
    from statsmodels.stats.multitest import multipletests

    store = write_folder(
        tmp_path,
        audits=[audits(OCT, "in", "spam", 400, 8), audits(OCT, "bpo", "spam", 400, 19)],
        volumes=[volume(OCT, "in", "spam", 1_000, 900.0), volume(OCT, "bpo", "spam", 1_000, 250.0)])
    with store:
        p = proportions_ztest([19, 8], [400, 400])[1]
        adjusted = multipletests([p, p], method="holm")[1].max()
        assert 0.05 < adjusted < 0.1       # flagged at 10%, not at the default 5%
        default = cost_tradeoff(store, OCT).set_index("site")
        loose = cost_tradeoff(store, OCT, alpha=0.1).set_index("site")
    assert default.loc["bpo", "p_adjusted"] == pytest.approx(adjusted, rel=1e-9)
    assert not default["cheaper_but_worse"].any()
    assert loose["cheaper_but_worse"].to_dict() == {"bpo": True, "in": False}
