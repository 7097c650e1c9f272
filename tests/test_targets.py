"""Targets: actuals, attainment status, streaks, projection, target setting and the cascade.

Expected values are computed in the tests from the small inputs (plain arithmetic,
statsmodels' Wilson interval, scipy's t quantile, numpy simulation), or read from the
sample data with pandas, never with the functions under test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from qa_insights.business.actuals import metric_actuals
from qa_insights.business.cascade import cascade_target
from qa_insights.business.target_setting import (
    benchmark_targets,
    glide_path,
    shift_month,
    trailing_median_targets,
)
from qa_insights.business.targets import (
    ATTAINMENT_COLUMNS,
    GIVEN_METHOD,
    attainment_status,
    month_end_projection,
    project_month_end,
    store_targets,
    streaks,
    target_attainment,
)
from tests.fixtures_mbr import (
    TARGET_COLUMNS,
    audits,
    calibration_item,
    sample_csv,
    target,
    volume,
    write_folder,
)

HI, LO = "higher_is_better", "lower_is_better"

# ------------------------------------------------------------------ status and streaks


def test_status_rule_both_directions():
    # higher is better, target 0.95: whole interval above / straddling (either side of the
    # point) / below; the bound equal to the target counts as met.
    got = attainment_status([0.97, 0.96, 0.94, 0.90, 0.96], [0.955, 0.94, 0.93, 0.85, 0.95],
                            [0.98, 0.97, 0.96, 0.94, 0.97], 0.95, HI)
    assert got.tolist() == ["met", "at risk", "at risk", "missed", "met"]
    # lower is better, target 40: mirrored.
    got = attainment_status([35, 39, 45], [30, 35, 41], [39, 42, 50], 40, LO)
    assert got.tolist() == ["met", "at risk", "missed"]


def test_status_without_interval_and_without_data():
    nan = float("nan")
    got = attainment_status([0.30, 0.25, nan, 0.2], [nan] * 4, [nan] * 4,
                            [0.28, 0.28, 0.28, nan], LO)
    assert got.tolist() == ["missed", "met", "no data", "no data"]


def test_status_rejects_unknown_direction():
    with pytest.raises(ValueError, match="direction"):
        attainment_status([1], [1], [1], [1], "up")


def test_streaks_break_on_status_change_and_month_gap():
    f = pd.DataFrame({
        "metric": ["a"] * 5 + ["b"] * 2,
        "month": ["2026-01", "2026-02", "2026-03", "2026-05", "2026-06", "2026-01", "2026-02"],
        "status": ["met", "met", "missed", "missed", "missed", "met", "met"]})
    shuffled = f.sample(frac=1.0, random_state=3)
    expected = {0: 1, 1: 2, 2: 1, 3: 1, 4: 2, 5: 1, 6: 2}
    assert streaks(shuffled, ["metric"]).tolist() == [expected[i] for i in shuffled.index]


# ------------------------------------------------------------------ a small store

OCT, SEP = "2026-10", "2026-09"


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mbr_targets")
    cal = [
        *calibration_item("S1", "2026-10-08", "i1", "spam",
                          {"r1": ("inhouse_x", "spam"), "r2": ("bpo_y", "no_violation")}),
        *calibration_item("S1", "2026-10-08", "i2", "no_violation",
                          {"r1": ("inhouse_x", "no_violation"), "r2": ("bpo_y", "no_violation")}),
        # Two experts disagree on i3: no gold, left out.
        *calibration_item("S1", "2026-10-08", "i3", "spam", {"r1": ("inhouse_x", "spam")}),
        {"session_id": "S1", "session_date": "2026-10-08", "item_id": "i3", "queue": "spam",
         "rater_id": "E2", "rater_role": "expert", "site": "policy", "label": "no_violation"},
    ]
    store = write_folder(
        tmp,
        audits=[audits(OCT, "inhouse_x", "spam", 400, 8, critical=2, day=5,
                       handle_times=[30.0, 50.0]),
                audits(OCT, "bpo_y", "spam", 100, 15, day=20, handle_times=[20.0]),
                audits(SEP, "inhouse_x", "spam", 300, 3),
                audits(SEP, "bpo_y", "spam", 100, 12)],
        volumes=[volume(OCT, "inhouse_x", "spam", 10_000, 9_000.0),
                 volume(OCT, "bpo_y", "spam", 30_000, 6_000.0)],
        targets=[target("accuracy", "org", "", OCT, 0.95, HI),
                 target("accuracy", "site", "inhouse_x", OCT, 0.95, HI),
                 target("accuracy", "site", "bpo_y", OCT, 0.95, HI),
                 target("accuracy", "site", "bpo_y", SEP, 0.95, HI),
                 target("accuracy", "market", "US", OCT, 0.95, HI),
                 target("critical_error_rate", "org", "", OCT, 0.01, LO),
                 target("handle_time_s", "site", "inhouse_x", OCT, 45.0, LO),
                 target("cost_per_item", "org", "", OCT, 0.40, LO),
                 target("cost_per_item", "site", "bpo_y", OCT, 0.15, LO),
                 target("cost_per_item", "market", "US", OCT, 0.15, LO),
                 target("calibration_accuracy", "site", "bpo_y", OCT, 0.90, HI),
                 target("throughput", "org", "", OCT, 100.0, HI)],
        calibration=[cal])
    yield store
    store.close()


def _row(frame, **key):
    mask = np.ones(len(frame), dtype=bool)
    for k, v in key.items():
        mask &= (frame[k] == v).to_numpy()
    assert mask.sum() == 1, key
    return frame[mask].iloc[0]


def test_actuals_match_hand_counts(small):
    a = metric_actuals(small, OCT)
    org_acc = _row(a, metric="accuracy", scope="org")
    assert org_acc["actual"] == pytest.approx((500 - 23) / 500)
    lo, hi = proportion_confint(477, 500, method="wilson")
    assert (org_acc["ci_low"], org_acc["ci_high"]) == pytest.approx((lo, hi), abs=1e-12)
    crit = _row(a, metric="critical_error_rate", scope="site", scope_value="inhouse_x")
    assert crit["actual"] == pytest.approx(2 / 400)
    assert crit["ci_high"] == pytest.approx(proportion_confint(2, 400, method="wilson")[1])
    # Handle times alternate 30 / 50 at inhouse_x: mean 40, t interval from scipy.
    ht = _row(a, metric="handle_time_s", scope="site", scope_value="inhouse_x")
    values = np.array([30.0, 50.0] * 200)
    lo, hi = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert (ht["actual"], ht["ci_low"], ht["ci_high"]) == pytest.approx((40.0, lo, hi))
    # Cost per item: 15,000 / 40,000 for the org, no interval.
    cost = _row(a, metric="cost_per_item", scope="org")
    assert cost["actual"] == pytest.approx(15_000 / 40_000)
    assert math.isnan(cost["ci_low"]) and cost["interval"] == "none"
    # Calibration: i3 has no gold; inhouse_x 2 of 2, bpo_y 1 of 2, org 3 of 4.
    cal = a[a.metric == "calibration_accuracy"].set_index(["scope", "scope_value"])
    assert cal.loc[("org", ""), ["successes", "n"]].tolist() == [3, 4]
    assert cal.loc[("site", "inhouse_x"), "actual"] == 1.0
    assert cal.loc[("site", "bpo_y"), "actual"] == 0.5
    assert not ((a.scope == "market") & a.metric.isin(["cost_per_item",
                                                        "calibration_accuracy"])).any()


def test_target_attainment_statuses(small):
    ta = target_attainment(small, OCT)
    assert ta.columns[:9].tolist() == ["metric", "scope", "scope_value", "month", "actual",
                                       "ci_low", "ci_high", "target", "status"]
    assert ta.columns.tolist() == ATTAINMENT_COLUMNS
    st_ = {(r.metric, r.scope, r.scope_value): r.status for r in ta.itertuples()}
    # Wilson intervals (statsmodels) decide: org 477/500 -> straddles 0.95;
    # inhouse_x 392/400 -> above; bpo_y 85/100 -> below.
    assert proportion_confint(477, 500, method="wilson")[0] < 0.95 < \
        proportion_confint(477, 500, method="wilson")[1]
    assert proportion_confint(392, 400, method="wilson")[0] > 0.95
    assert proportion_confint(85, 100, method="wilson")[1] < 0.95
    assert st_[("accuracy", "org", "")] == "at risk"
    assert st_[("accuracy", "market", "US")] == "at risk"
    assert st_[("accuracy", "site", "inhouse_x")] == "met"
    assert st_[("accuracy", "site", "bpo_y")] == "missed"
    # 2/500 critical: Wilson (0.0011, 0.0145) straddles 0.01.
    assert st_[("critical_error_rate", "org", "")] == "at risk"
    assert st_[("handle_time_s", "site", "inhouse_x")] == "met"
    assert st_[("cost_per_item", "org", "")] == "met"          # 0.375 <= 0.40
    assert st_[("cost_per_item", "site", "bpo_y")] == "missed"  # 6000/30000 = 0.2 > 0.15
    assert st_[("cost_per_item", "market", "US")] == "no data"
    assert st_[("throughput", "org", "")] == "no data"
    # 1 of 2 labels correct: Wilson upper 0.905 straddles 0.90.
    assert proportion_confint(1, 2, method="wilson")[1] > 0.90
    assert st_[("calibration_accuracy", "site", "bpo_y")] == "at risk"
    bpo = _row(ta, metric="accuracy", scope="site", scope_value="bpo_y")
    assert bpo["streak"] == 2                   # 88/100 missed 0.95 in September too
    assert bpo["gap"] == pytest.approx(0.85 - 0.95)
    assert not bpo["point_meets"]
    assert ta.loc[ta.metric == "accuracy", "scope"].drop_duplicates().tolist() == \
        ["org", "site", "market"]


def test_target_attainment_with_given_targets(small):
    # 85/100: Wilson lower bound 0.767 (statsmodels) clears 0.75.
    assert proportion_confint(85, 100, method="wilson")[0] > 0.75
    given_t = pd.DataFrame([target("accuracy", "site", "bpo_y", OCT, 0.75, HI)])
    ta = target_attainment(small, OCT, targets=given_t.assign(method="cascade"))
    assert ta[["scope_value", "status", "method"]].values.tolist() == [["bpo_y", "met",
                                                                          "cascade"]]


def test_month_to_date_cut_off_and_full_month(small):
    # Audits: inhouse_x on day 5, bpo_y on day 20. As of 2026-10-10 only day-5 audits count.
    mtd = month_end_projection(small, "2026-10-10", scopes=["site"], metrics=["accuracy"])
    assert set(mtd["scope_value"]) == {"inhouse_x"}
    r = mtd.iloc[0]
    assert (r["n_to_date"], r["days_elapsed"], r["days_in_month"]) == (400, 10, 31)
    assert r["projected_n"] == round(400 * 31 / 10)
    assert r["projected"] == pytest.approx(392 / 400)
    # As of the last day the projection is the month's actual value, interval collapsed.
    full = month_end_projection(small, "2026-10-31", scopes=["org", "site"])
    whole = metric_actuals(small, OCT, scopes=["org", "site"],
                           metrics=["accuracy", "critical_error_rate",
                                    "calibration_accuracy", "handle_time_s"])
    merged = full.merge(whole.drop(columns=["ci_low", "ci_high", "interval"]),
                        on=["metric", "scope", "scope_value", "month"])
    assert len(merged) == len(whole)
    np.testing.assert_allclose(merged["projected"], merged["actual"], rtol=1e-12)
    np.testing.assert_allclose(merged["n_to_date"], merged["n"])
    np.testing.assert_allclose(merged["ci_low"], merged["actual"], rtol=1e-12)
    np.testing.assert_allclose(merged["ci_high"], merged["actual"], rtol=1e-12)
    org = _row(full, metric="accuracy", scope="org")
    assert org["status"] == "at risk"


def test_projection_interval_matches_simulation():
    # 3 errors in 100 audits after 10 of 30 days: 200 audits to come.
    mtd = pd.DataFrame({"metric": ["critical_error_rate"], "actual": [0.03], "n": [100.0],
                        "successes": [3.0], "sd": [math.sqrt(0.03 * 0.97)],
                        "interval": ["wilson"]})
    p = project_month_end(mtd, 10, 30).iloc[0]
    rng = np.random.default_rng(7)
    rate = rng.beta(3.5, 97.5, 400_000)
    final = (3 + rng.binomial(200, rate)) / 300
    lo, hi = np.quantile(final, [0.025, 0.975])
    assert p["projected_n"] == 300
    assert p["ci_low"] == pytest.approx(lo, abs=1 / 300 + 1e-9)
    assert p["ci_high"] == pytest.approx(hi, abs=1 / 300 + 1e-9)


def test_projection_of_a_mean_covers_the_month_end_mean():
    # Normal handle times: the prediction interval of the month-end mean covers ~95%.
    rng = np.random.default_rng(11)
    reps, n, m = 4000, 40, 80
    first = rng.normal(50, 12, (reps, n))
    rest = rng.normal(50, 12, (reps, m))
    mtd = pd.DataFrame({"metric": "handle_time_s", "rep": np.arange(reps),
                        "actual": first.mean(1), "n": float(n), "sd": first.std(1, ddof=1),
                        "interval": "t"})
    p = project_month_end(mtd, 10, 30)
    month_mean = np.hstack([first, rest]).mean(1)
    covered = (p["ci_low"] <= month_mean) & (month_mean <= p["ci_high"])
    assert p["projected_n"].iloc[0] == n + m
    assert abs(covered.mean() - 0.95) < 0.015


# ------------------------------------------------------------------ sample data


def test_sample_jump_site_missed_accuracy_in_august(sample_store):
    ta = target_attainment(sample_store, "2026-08")
    row = _row(ta, metric="accuracy", scope="site", scope_value="bpo_gamma_hyderabad")
    # Independent count with pandas: month of the UTC timestamp, an overturned dispute is
    # not an error.
    raw = sample_csv("audits")
    month = pd.to_datetime(raw["audited_at"], utc=True, format="ISO8601").dt.strftime("%Y-%m")
    cell = raw[(month == "2026-08") & (raw["site"] == "bpo_gamma_hyderabad")]
    err = (cell["moderator_decision"] != cell["auditor_decision"]) & \
        (cell["dispute_status"].fillna("none") != "overturned")
    lo, hi = proportion_confint(len(cell) - err.sum(), len(cell), method="wilson")
    assert row["actual"] == pytest.approx(1 - err.mean())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), abs=1e-12)
    assert row["n"] == len(cell)
    assert hi < row["target"] == 0.95
    assert row["status"] == "missed"
    # The month before and after, the same site is not missed.
    around = target_attainment(sample_store, ["2026-07", "2026-09"])
    other = around[(around.metric == "accuracy") & (around.scope_value == "bpo_gamma_hyderabad")]
    assert set(other["status"]) <= {"met", "at risk"} and len(other) == 2


def test_sample_calibration_accuracy_matches_calibration_module(sample_store):
    # Peer: the calibration module's gold comparison (pandas, experts in conflict dropped).
    from qa_insights.calibration.load import gold_comparison, load_calibration
    cmp = gold_comparison(load_calibration(sample_store), roles=("moderator", "auditor"),
                          on_conflict="drop")
    cmp["month"] = pd.to_datetime(cmp["session_date"]).dt.strftime("%Y-%m")
    peer = cmp.groupby(["month", "site"])["correct"].agg(["sum", "size"])
    a = metric_actuals(sample_store, metrics=["calibration_accuracy"], scopes=["site"])
    got = a.set_index(["month", "scope_value"])[["successes", "n"]]
    got.index.names = ["month", "site"]
    assert len(got) == len(peer)
    np.testing.assert_array_equal(got.loc[peer.index, "successes"], peer["sum"])
    np.testing.assert_array_equal(got.loc[peer.index, "n"], peer["size"])


# ------------------------------------------------------------------ target setting


def _history(values: dict[str, list[float]], months: list[str], metric="accuracy",
             scope="site") -> pd.DataFrame:
    return pd.DataFrame([{"metric": metric, "scope": scope, "scope_value": unit, "month": m,
                          "actual": v} for unit, vs in values.items()
                         for m, v in zip(months, vs, strict=True)])


def test_trailing_median_improvement():
    months = ["2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09"]
    h = _history({"a": [0.90, 0.99, 0.94, 0.96, 0.95, 0.97]}, months)
    t = trailing_median_targets(h, "2026-10", improvement=0.2, window=4).iloc[0]
    # Last 4 months: 0.94, 0.96, 0.95, 0.97 -> median 0.955; error 0.045 cut by 20%.
    assert t["baseline"] == pytest.approx(0.955)
    assert t["target"] == pytest.approx(1 - 0.045 * 0.8)
    assert "2026-06..2026-09" in t["method"] and t["direction"] == HI
    # Lower is better (handle time): 10% below the median; October data is not used.
    h2 = _history({"a": [50.0, 60.0, 70.0, 10.0]}, ["2026-07", "2026-08", "2026-09", "2026-10"],
                  metric="handle_time_s")
    t2 = trailing_median_targets(h2, "2026-10", improvement=0.1).iloc[0]
    assert t2["target"] == pytest.approx(60.0 * 0.9)


def test_trailing_median_needs_min_months():
    h = _history({"a": [0.9, 0.9]}, ["2026-08", "2026-09"])
    assert trailing_median_targets(h, "2026-10", min_months=3).empty
    assert len(trailing_median_targets(h, "2026-10", min_months=2)) == 1


def test_best_quartile_benchmark():
    months = ["2026-08", "2026-09"]
    values = {"s1": [0.90, 0.92], "s2": [0.93, 0.93], "s3": [0.95, 0.97], "s4": [0.97, 0.97],
              "s5": [0.99, 0.97]}
    t = benchmark_targets(_history(values, months), "2026-10", window=2).set_index("scope_value")
    # Medians 0.91, 0.93, 0.96, 0.97, 0.98; the 0.75 quantile of 5 sorted values is the 4th.
    assert t["benchmark"].iloc[0] == pytest.approx(0.97)
    assert t.loc[["s1", "s2", "s3", "s4"], "target"].tolist() == pytest.approx([0.97] * 4)
    assert t.loc["s5", "target"] == pytest.approx(0.98)
    assert "already better" in t.loc["s5", "method"]
    # Lower is better: the benchmark is the 0.25 quantile (2nd of 5 sorted medians).
    ht = {k: [100 * v for v in vs] for k, vs in values.items()}
    t2 = benchmark_targets(_history(ht, months, metric="handle_time_s"), "2026-10", window=2)
    assert t2["benchmark"].iloc[0] == pytest.approx(93.0)
    assert t2.set_index("scope_value").loc["s1", "target"] == pytest.approx(91.0)


def test_glide_path_and_month_shift():
    g = glide_path(0.95, 0.98, "2026-11", 3, metric="accuracy", scope="site",
                   scope_value="a")
    assert g["month"].tolist() == ["2026-12", "2027-01", "2027-02"]
    assert g["target"].tolist() == pytest.approx([0.96, 0.97, 0.98])
    assert g["target"].iloc[-1] == 0.98
    assert shift_month("2026-01", -13) == "2024-12"


# ------------------------------------------------------------------ cascade


def _units(weights, current, **bounds):
    return pd.DataFrame({"scope_value": [f"u{i}" for i in range(len(weights))],
                         "weight": weights, "current": current, **bounds})


def test_cascade_equal_and_gap_by_hand():
    u = _units([100.0, 300.0, 600.0], [0.90, 0.95, 0.97])
    # Org now 0.090 + 0.285 + 0.582 = 0.957; target 0.967 -> +0.01 each (equal).
    eq = cascade_target(u, 0.967)
    assert eq["target"].tolist() == pytest.approx([0.91, 0.96, 0.98])
    # Gap to the best (0.97): 0.07, 0.02, 0; weighted gap 7 + 6 = 13 per 1000; need 10.
    gap = cascade_target(u, 0.967, method="gap")
    share = 10 / 13
    assert gap["target"].tolist() == pytest.approx([0.90 + 0.07 * share,
                                                    0.95 + 0.02 * share, 0.97])
    # Ceiling 0.975: u2 capped at 0.975 (+0.005 * 600 = 3), the other two share 7 of 10
    # per 1000 over weight 400 -> +0.0175 each.
    capped = cascade_target(u, 0.967, ceiling=0.975)
    assert capped["target"].tolist() == pytest.approx([0.9175, 0.9675, 0.975])
    assert capped["at_bound"].tolist() == ["", "", "ceiling"]


def test_cascade_out_of_reach_raises():
    with pytest.raises(ValueError, match="out of reach"):
        cascade_target(_units([1.0, 1.0], [0.9, 0.95]), 0.99, ceiling=0.98)


weights_st = st.lists(st.floats(1.0, 1e5), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), method=st.sampled_from(["equal", "gap"]),
       direction=st.sampled_from([HI, LO]))
def test_cascade_property_weighted_targets_meet_org_exactly(data, method, direction):
    w = np.array(data.draw(weights_st))
    k = len(w)
    current = np.array(data.draw(st.lists(st.floats(0.5, 1.0), min_size=k, max_size=k)))
    floor = data.draw(st.one_of(st.none(), st.floats(0.0, 0.6)))
    ceiling = data.draw(st.one_of(st.none(), st.floats(0.9, 1.0)))
    lo = -np.inf if floor is None else floor
    hi = np.inf if ceiling is None else ceiling
    org_now = float(np.sum(w * np.clip(current, lo, hi)) / w.sum())
    move = data.draw(st.floats(-0.2, 0.2))
    org_target = org_now + move
    if method == "gap":
        # Units already at the best level do not move; the reachable range is narrower.
        best = current.max() if direction == HI else current.min()
        still = current == best
        assume(not still.all())
    try:
        c = cascade_target(_units(w, current), org_target, method=method, direction=direction,
                           metric="m", floor=floor, ceiling=ceiling)
    except ValueError as exc:
        assert "out of reach" in str(exc)
        return
    t = c["target"].to_numpy()
    # 1. The volume-weighted mean of the unit targets is the org target.
    assert abs(np.sum(w * t) / w.sum() - org_target) <= 1e-12 * max(1.0, abs(org_target))
    # 2. Bounds hold.
    assert np.all(t >= lo - 1e-12) and np.all(t <= hi + 1e-12)
    # 3. Every unit meeting its own target (any actuals on the good side) meets the org
    #    target; every unit exactly on target gives exactly the org target.
    sign = 1.0 if direction == HI else -1.0
    slack = np.array(data.draw(st.lists(st.floats(0.0, 0.1), min_size=k, max_size=k)))
    actual = t + sign * slack
    assert sign * (np.sum(w * actual) / w.sum() - org_target) >= -1e-12
    # 4. Units strictly inside their bounds move by the method's profile.
    free = (t > lo + 1e-9) & (t < hi + -1e-9)
    imp = sign * (t - current)
    if method == "equal" and free.sum() > 1:
        assert np.ptp(imp[free]) <= 1e-9
    if method == "gap":
        best = current.max() if direction == HI else current.min()
        gap = sign * (best - current)
        movers = free & (gap > 1e-6)
        if movers.sum() > 1:
            ratio = imp[movers] / gap[movers]
            assert np.ptp(ratio) <= 1e-6
        assert np.allclose(imp[free & (gap == 0)], 0.0, atol=1e-12)


def test_cascade_output_feeds_attainment(small):
    u = pd.DataFrame({"scope_value": ["inhouse_x", "bpo_y"], "weight": [10_000.0, 30_000.0],
                      "current": [0.98, 0.85]})
    c = cascade_target(u, 0.90, metric="accuracy", scope="site", month=OCT)
    assert c.attrs["org_of_targets"] == pytest.approx(0.90, abs=1e-12)
    ta = target_attainment(small, OCT, targets=c)
    assert ta["target"].tolist() == pytest.approx(c.set_index("scope_value")
                                                  .loc[ta["scope_value"], "target"].tolist())
    assert "cascade of org target" in ta["method"].iloc[0]


# ------------------------------------------------------------------ method of each target


def test_method_survives_the_round_trip_through_the_store(tmp_path):
    months = ["2026-07", "2026-08", "2026-09"]
    h = _history({"inhouse_x": [0.97, 0.98, 0.96], "bpo_y": [0.88, 0.86, 0.87]}, months)
    u = pd.DataFrame({"scope_value": ["inhouse_x", "bpo_y"], "weight": [10_000.0, 30_000.0],
                      "current": [0.97, 0.87]})
    setting = pd.concat([
        trailing_median_targets(h, OCT, improvement=0.1).query("scope_value == 'inhouse_x'"),
        benchmark_targets(h, OCT).query("scope_value == 'bpo_y'"),
        glide_path(0.9, 0.95, SEP, 2, metric="accuracy").query("month == @OCT"),
        cascade_target(u, 0.92, method="gap", metric="accuracy", scope="site", month=SEP),
    ], ignore_index=True)
    rows = setting[[*TARGET_COLUMNS, "method"]].to_dict("records")
    rows.append(target("critical_error_rate", "org", "", OCT, 0.01, LO))   # no method
    store = write_folder(tmp_path, targets=rows,
                         audits=[audits(OCT, "inhouse_x", "spam", 50, 1),
                                 audits(SEP, "bpo_y", "spam", 50, 5)])
    with store:
        back = store_targets(store)
        ta = target_attainment(store)
    written = {(r["metric"], r["scope"], r["scope_value"], r["month"]): r.get("method", "given")
               for r in rows}
    assert len(back) == len(written) == 6
    for frame in (back, ta):
        got = {tuple(r[:4]): r[4] for r in frame[["metric", "scope", "scope_value", "month",
                                                  "method"]].itertuples(index=False, name=None)}
        assert got == written
    methods = " | ".join(written.values())
    for word in ("trailing median", "best-quartile benchmark", "glide path", "cascade",
                 "given"):
        assert word in methods


def test_targets_without_method_are_given(sample_store, small):
    assert set(store_targets(sample_store)["method"]) == {GIVEN_METHOD}
    assert set(target_attainment(small, OCT)["method"]) == {GIVEN_METHOD}
    blank = pd.DataFrame([target("accuracy", "org", "", OCT, 0.9, HI)]).assign(method=[" "])
    assert target_attainment(small, OCT, targets=blank)["method"].tolist() == [GIVEN_METHOD]


def test_zero_target_lower_is_better_can_be_met():
    """Issue 22: a lower-is-better target of 0 (no critical errors) was never met, as the
    Wilson interval of 0 errors always reaches above 0."""
    for n in (50, 5_000):
        low, high = proportion_confint(0, n, method="wilson")
        assert high > 0
        assert attainment_status(0.0, low, high, 0.0, "lower_is_better").item() == "met"
        low1, high1 = proportion_confint(1, n, method="wilson")
        assert attainment_status(1 / n, low1, high1, 0.0, "lower_is_better").item() == "missed"
    # Only the unbeatable zero target is special: 0 against a higher target follows the
    # interval rule, and so does a zero actual when higher is better.
    assert attainment_status(0.0, 0.0, 0.004, 0.002, "lower_is_better").item() == "at risk"
    assert attainment_status(0.0, 0.0, 0.004, 0.0, "higher_is_better").item() == "met"
