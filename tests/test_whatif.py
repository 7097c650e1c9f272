"""What-if: volume moves and audit-rate changes on cost, org error rate and margin of error.

Expected values are plain arithmetic on the small cells, the sample-size numbers of
qa-domain.md section 4, or pandas on the sample CSV files.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from qa_insights.business.whatif import (
    WHATIF_COLUMNS,
    change_audit_rate,
    margin_of_error,
    move_volume,
    whatif_cells,
)
from tests.fixtures_mbr import sample_csv

Z = 1.959963984540054


def _cells():
    return pd.DataFrame({"site": ["in", "bpo", "bpo"], "queue": ["spam", "spam", "hate"],
                         "items_handled": [10_000, 30_000, 10_000],
                         "cost": [9_000.0, 6_000.0, 3_000.0], "n_audits": [400, 400, 100],
                         "n_errors": [8, 40, 0]})


def test_move_volume_by_hand():
    w = move_volume(_cells(), "spam", "bpo", "in", 0.5, cost_per_audit=5.0)
    assert w.columns.tolist() == WHATIF_COLUMNS
    base, scen, change = (w.iloc[i] for i in range(3))
    # Cost: bpo spam keeps half (3,000); in gets 15,000 items at 0.9 -> 9,000 + 13,500.
    assert base["cost"] == 18_000.0
    assert scen["cost"] == pytest.approx(9_000 + 13_500 + 3_000 + 3_000)
    # Org error rate: volume-weighted cell rates 0.02, 0.10, 0.00.
    assert base["error_rate"] == pytest.approx((10_000 * .02 + 30_000 * .1) / 50_000)
    assert scen["error_rate"] == pytest.approx((25_000 * .02 + 15_000 * .1) / 50_000)
    assert change["error_rate"] == pytest.approx(scen["error_rate"] - base["error_rate"])
    # Baseline interval: Wilson (statsmodels) on the effective sample size of Cochran's
    # stratified variance sum W^2 p (1 - p) / (n - 1) (1 - n / N) (Sampling Techniques eq.
    # 5.53); the stratum without errors takes the pooled rate (48 + 0.5) / (900 + 1) over n.
    p = np.array([0.02, 0.10, 0.0])
    n = np.array([400, 400, 100])
    big_n = np.array([10_000, 30_000, 10_000])
    w0 = big_n / 50_000
    w1 = np.array([25_000, 15_000, 10_000]) / 50_000
    pooled = 48.5 / 901
    v_h = np.array([p[0] * (1 - p[0]) / 399, p[1] * (1 - p[1]) / 399,
                    pooled * (1 - pooled) / 100])
    var0 = sum(w0 ** 2 * v_h * (1 - n / big_n))
    rate0 = float(sum(w0 * p))                       # 0.064
    n_eff = rate0 * (1 - rate0) / var0
    lo, hi = proportion_confint(rate0 * n_eff, n_eff, method="wilson")
    assert (base["error_ci_low"], base["error_ci_high"]) == pytest.approx((lo, hi))
    # Change: only the weights move; normal interval on sum dW^2 p (1 - p) / n.
    half_change = Z * math.sqrt(sum((w1 - w0) ** 2 * p * (1 - p) / n))
    assert change["error_ci_high"] - change["error_rate"] == pytest.approx(half_change)
    assert change["error_rate"] - change["error_ci_low"] == pytest.approx(half_change)
    # Audits follow volume at each cell's audit rate: in 0.04/item -> 400 + 600.
    assert scen["planned_audits"] == pytest.approx(1_000 + 200 + 100)
    assert scen["audit_cost"] == pytest.approx(5.0 * 1_300)
    assert scen["total_cost"] == pytest.approx(scen["cost"] + 6_500)
    a1 = np.array([1_000, 200, 100])
    n1 = np.array([25_000, 15_000, 10_000])
    moe = Z * math.sqrt(sum(w1 ** 2 * p * (1 - p) / a1 * (1 - a1 / n1)))
    assert scen["margin_of_error"] == pytest.approx(moe)


def test_move_to_a_site_without_that_queue():
    # in does not handle hate: the new cell takes in's overall cost per item (0.9),
    # error rate (8 / 400) and audit rate (400 / 10,000).
    w = move_volume(_cells(), "hate", "bpo", "in", 1.0)
    assert w.attrs["new_cell"] and w.attrs["moved_items"] == 10_000
    scen = w.iloc[1]
    assert scen["cost"] == pytest.approx(9_000 + 6_000 + 10_000 * 0.9)
    assert scen["error_rate"] == pytest.approx((20_000 * 0.02 + 30_000 * 0.1) / 50_000)
    assert scen["planned_audits"] == pytest.approx(400 + 400 + 400)


def test_move_volume_rejects_bad_input():
    with pytest.raises(ValueError, match="share"):
        move_volume(_cells(), "spam", "bpo", "in", 1.5)
    with pytest.raises(ValueError, match="handles no items"):
        move_volume(_cells(), "hate", "in", "bpo", 0.5)
    with pytest.raises(ValueError, match="unknown site"):
        move_volume(_cells(), "spam", "bpo", "mars", 0.5)


def test_margin_of_error_matches_sample_size_anchors():
    # qa-domain.md section 4: p = 5%, E = 2 pts -> 457 audits; with N = 2,000 -> 372.
    assert margin_of_error([1e12], [0.05], [457]) == pytest.approx(0.02, abs=2e-5)
    assert margin_of_error([2_000], [0.05], [372]) == pytest.approx(0.02, abs=1e-4)
    # p = 5%, E = 1 pt -> 1,825.
    assert margin_of_error([1e12], [0.05], [1_825]) == pytest.approx(0.01, abs=1e-5)
    assert margin_of_error([100.0, 100.0], [0.1, 0.1], [0, 10]) == math.inf


def test_change_audit_rate():
    cells = pd.DataFrame({"site": ["a", "b"], "queue": "q", "items_handled": [1e9, 1e9],
                          "cost": [1.0, 1.0], "n_audits": [1_000, 1_000],
                          "n_errors": [50, 50]})
    w = change_audit_rate(cells, factor=0.25, cost_per_audit=2.0)
    base, scen, change = (w.iloc[i] for i in range(3))
    # A quarter of the audits doubles the margin of error (no finite-population effect).
    assert scen["margin_of_error"] == pytest.approx(2 * base["margin_of_error"], rel=1e-6)
    assert change["audit_cost"] == pytest.approx(-2.0 * 1_500)
    assert scen["error_rate"] == base["error_rate"] and scen["cost"] == base["cost"]
    only_b = change_audit_rate(cells, audits_per_1000=0.004, sites=["b"])
    assert only_b.iloc[1]["planned_audits"] == pytest.approx(1_000 + 4_000)
    with pytest.raises(ValueError, match="exactly one"):
        change_audit_rate(cells)


def test_sample_move_from_weak_cheap_site_to_in_house(sample_store):
    cells = whatif_cells(sample_store, "2026-10")
    w = move_volume(cells, "harassment", "bpo_beta_cebu", "inhouse_dublin", 0.5)
    change = w.iloc[2]
    v = sample_csv("volumes")
    v = v[v["month"] == "2026-10"].set_index(["site", "queue"])
    src, dst = v.loc[("bpo_beta_cebu", "harassment")], v.loc[("inhouse_dublin", "harassment")]
    moved = 0.5 * src["items_handled"]
    unit = lambda r: r["cost"] / r["items_handled"]
    assert change["cost"] == pytest.approx(moved * (unit(dst) - unit(src)))
    raw = sample_csv("audits")
    month = pd.to_datetime(raw["audited_at"], utc=True, format="ISO8601").dt.strftime("%Y-%m")
    a = raw[(month == "2026-10") & (raw["queue"] == "harassment")]
    err = (a["moderator_decision"] != a["auditor_decision"]) & \
        (a["dispute_status"].fillna("none") != "overturned")
    rate = err.groupby(a["site"]).mean()
    expected = moved / v["items_handled"].sum() * (rate["inhouse_dublin"] - rate["bpo_beta_cebu"])
    assert change["error_rate"] == pytest.approx(expected)
    assert change["cost"] > 0 and change["error_rate"] < 0
