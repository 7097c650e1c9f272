"""Tests of qa_insights.business.vendors (the vendor scorecard).

Expected values are plain arithmetic on small inputs (the pooled z test written out with
``math.erfc``), statsmodels (z test, Wilson interval, Holm) on random data, and a simulation:
on null data no vendor is called significantly less accurate more often than the binomial
bound allows, and a planted worse vendor is found.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from qa_insights.business.vendors import (
    IN_HOUSE,
    SCORECARD_COLUMNS,
    scorecard_from_sums,
    site_vendor,
    site_vendors,
    tradeoff_sentence,
    vendor_scorecard,
)
from tests.fixtures_mbr import audits, target, volume, write_folder

M = "2026-10"


def test_site_vendor_rule():
    assert site_vendor("bpo_alpha_manila", "bpo") == "alpha"
    assert site_vendor("bpo_alpha_cebu", "bpo") == "alpha"
    assert site_vendor("inhouse_dublin", "in_house") == IN_HOUSE
    # The site type wins over the name; an unconventional BPO name is its own vendor.
    assert site_vendor("bpo_x_y", "in_house") == IN_HOUSE
    assert site_vendor("acme_lagos", "bpo") == "acme_lagos"
    assert site_vendor("bpo_gamma_hyderabad") == "gamma"
    assert site_vendor("dublin") == IN_HOUSE


@pytest.fixture()
def small(tmp_path):
    return write_folder(
        tmp_path,
        audits=[audits(M, "inhouse_dublin", "spam", 200, 4, critical=1, handle_times=[30.0]),
                audits(M, "bpo_alpha_manila", "spam", 200, 12, critical=2,
                       handle_times=[20.0]),
                audits(M, "bpo_alpha_cebu", "spam", 200, 8, handle_times=[20.0]),
                audits(M, "bpo_beta_bogota", "spam", 100, 2, handle_times=[45.0])],
        volumes=[volume(M, "inhouse_dublin", "spam", 10_000, 5_000.0, hours=100.0),
                 volume(M, "bpo_alpha_manila", "spam", 10_000, 3_000.0, hours=80.0),
                 volume(M, "bpo_alpha_cebu", "spam", 5_000, 1_500.0, hours=40.0),
                 volume(M, "bpo_beta_bogota", "spam", 4_000, 1_000.0, hours=50.0)],
        targets=[target("accuracy", "org", "", M, 0.95, "higher_is_better"),
                 target("cost_per_item", "org", "", M, 0.4, "lower_is_better")])


def test_site_vendors_from_store(small):
    assert site_vendors(small) == {"bpo_alpha_cebu": "alpha", "bpo_alpha_manila": "alpha",
                                   "bpo_beta_bogota": "beta", "inhouse_dublin": IN_HOUSE}


def test_the_sites_table_names_the_vendor_where_it_lists_one(small, tmp_path):
    from qa_insights.data.opening import open_store

    (tmp_path / "sites.csv").write_text(
        "site,site_type,vendor\n"
        "bpo_alpha_cebu,bpo,omega\n"        # a vendor the site's name does not tell
        "bpo_beta_bogota,bpo,\n"            # listed without a vendor: the naming rule
        "inhouse_dublin,in_house,in-house\n")
    with open_store(tmp_path) as store:
        assert site_vendors(store) == {"bpo_alpha_cebu": "omega", "bpo_alpha_manila": "alpha",
                                       "bpo_beta_bogota": "beta", "inhouse_dublin": IN_HOUSE}
        card = vendor_scorecard(store, M).set_index("vendor")
    assert card.loc["omega", "sites"] == "bpo_alpha_cebu"
    assert card.loc["alpha", "sites"] == "bpo_alpha_manila"


def test_hand_computed_scorecard(small):
    card = vendor_scorecard(small, M).set_index("vendor")
    assert list(card.index) == [IN_HOUSE, "alpha", "beta"]
    assert card.loc["alpha", "sites"] == "bpo_alpha_cebu; bpo_alpha_manila"
    # Sums and ratios.
    assert card.loc["alpha", ["items_handled", "n_audits", "n_errors", "n_critical"]].tolist() \
        == [15_000, 400, 20, 2]
    assert card.loc[IN_HOUSE, "accuracy"] == pytest.approx(196 / 200)
    assert card.loc["alpha", "accuracy"] == pytest.approx(380 / 400)
    assert card.loc["alpha", "critical_error_rate"] == pytest.approx(2 / 400)
    assert card.loc["alpha", "cost_per_item"] == pytest.approx(0.3)
    assert card.loc["alpha", "cost_per_correct_decision"] == pytest.approx(4500 / (15000 * 0.95))
    assert card.loc["alpha", "throughput_per_hour"] == pytest.approx(15_000 / 120)
    assert card.loc["alpha", "handle_time_mean_s"] == pytest.approx(20.0)
    # Against in-house.
    assert card.loc["alpha", "cost_per_item_vs_in_house_pct"] == pytest.approx(-40.0)
    assert card.loc["alpha", "throughput_vs_in_house_pct"] == pytest.approx(25.0)
    assert card.loc["alpha", "handle_time_vs_in_house_pct"] == pytest.approx(-100 / 3)
    assert card.loc["beta", "throughput_vs_in_house_pct"] == pytest.approx(-20.0)
    assert card.loc["alpha", "accuracy_diff_pts"] == pytest.approx(-3.0)
    pooled = 24 / 600
    z = 0.03 / math.sqrt(pooled * (1 - pooled) * (1 / 400 + 1 / 200))
    p_alpha = math.erfc(z / math.sqrt(2))
    assert card.loc["alpha", "accuracy_test"] == "two-proportion z"
    assert card.loc["alpha", "accuracy_p_value"] == pytest.approx(p_alpha)
    # beta: equal rates, expected error count 100 x 2% = 2 < 5, so Fisher, p = 1.
    assert card.loc["beta", "accuracy_test"] == "Fisher exact"
    assert card.loc["beta", "accuracy_p_value"] == pytest.approx(1.0)
    # Holm over two vendors: the smaller p doubled, the larger at least that.
    assert card.loc["alpha", "accuracy_p_holm"] == pytest.approx(2 * p_alpha)
    assert card.loc["beta", "accuracy_p_holm"] == pytest.approx(1.0)
    assert not card["accuracy_significant"].any()
    assert card.loc["alpha", "extra_errors"] == pytest.approx(15_000 * 0.03)
    assert card.loc["alpha", "extra_errors_cost"] == pytest.approx(450 * 0.3)
    assert card.loc["beta", "extra_errors"] == pytest.approx(0.0)
    assert np.isnan(card.loc[IN_HOUSE, "accuracy_diff_pts"])
    # Against target: cost is an accounting total (no interval); accuracy uses Wilson.
    assert card["cost_per_item_status"].tolist() == ["missed", "met", "met"]
    lo, hi = proportion_confint(196, 200, method="wilson")
    assert card.loc[IN_HOUSE, "accuracy_status"] == ("met" if lo >= 0.95 else "at risk")
    assert card.loc[IN_HOUSE, "critical_error_rate_status"] == "no target"
    sentence = card.loc["alpha", "tradeoff"]
    assert sentence.startswith("alpha is 40% cheaper per item and 3.0 pts less accurate "
                               "than in-house (not significant: two-proportion z test, "
                               f"Holm-adjusted p = {2 * p_alpha:.3f}); its extra errors "
                               "cost about USD 135")
    assert "extra errors" not in card.loc["beta", "tradeoff"]


def test_rework_cost_adds_to_each_extra_error(small):
    card = vendor_scorecard(small, M, rework_cost_per_error=1.0).set_index("vendor")
    assert card.loc["alpha", "extra_errors_cost"] == pytest.approx(450 * 1.3)


def test_explicit_vendor_mapping_replaces_the_naming_rule(small):
    vendors = {"inhouse_dublin": IN_HOUSE, "bpo_alpha_manila": "acme",
               "bpo_alpha_cebu": "acme", "bpo_beta_bogota": "acme"}
    card = vendor_scorecard(small, M, vendors=vendors)
    assert card["vendor"].tolist() == [IN_HOUSE, "acme"]
    assert card["n_audits"].tolist() == [200, 500]


def _sums(errors, n, items=None, cost=None, critical=None):
    k = len(n)
    names = [IN_HOUSE] + [f"v{i}" for i in range(1, k)]
    items = items if items is not None else [10_000] * k
    return pd.DataFrame({"vendor": names, "items_handled": items,
                         "productive_hours": [100.0] * k, "headcount": [1.0] * k,
                         "cost": cost if cost is not None else [5_000.0] * k,
                         "n_audits": n, "n_errors": errors,
                         "n_critical": critical if critical is not None else [0] * k,
                         "n_handle_time": [0] * k, "handle_time_total_s": [0.0] * k,
                         "currency": "USD"})


@pytest.mark.parametrize("seed", range(5))
def test_tests_match_statsmodels_on_random_data(seed):
    rng = np.random.default_rng(seed)
    n = rng.integers(300, 2000, size=5)
    errors = rng.binomial(n, rng.uniform(0.03, 0.1, size=5))
    critical = rng.binomial(errors, 0.3)
    card = scorecard_from_sums(_sums(errors, n, critical=critical))
    vendors = card.iloc[1:]
    raw = [proportions_ztest([errors[i], errors[0]], [n[i], n[0]])[1] for i in range(1, 5)]
    assert (vendors["accuracy_test"] == "two-proportion z").all()
    np.testing.assert_allclose(vendors["accuracy_p_value"], raw, rtol=1e-9)
    np.testing.assert_allclose(vendors["accuracy_p_holm"],
                               multipletests(raw, method="holm")[1], rtol=1e-9)
    lo, hi = proportion_confint(n - errors, n, method="wilson")
    np.testing.assert_allclose(card["accuracy_ci_low"], lo, rtol=1e-9)
    np.testing.assert_allclose(card["accuracy_ci_high"], hi, rtol=1e-9)
    lo, hi = proportion_confint(critical, n, method="wilson")
    np.testing.assert_allclose(card["critical_error_rate_ci_low"], lo, atol=1e-12)
    np.testing.assert_allclose(card["critical_error_rate_ci_high"], hi, rtol=1e-9)


def _less_accurate_calls(rates, seeds, n=400):
    calls = np.zeros(len(rates) - 1, dtype=int)
    for seed in seeds:
        rng = np.random.default_rng(seed)
        errors = rng.binomial(n, rates)
        card = scorecard_from_sums(_sums(errors, [n] * len(rates)))
        v = card.iloc[1:]
        calls += (v["accuracy_significant"] & (v["accuracy_diff_pts"] < 0)).to_numpy()
    return calls


def test_null_data_no_vendor_called_less_accurate_beyond_binomial_bound():
    seeds = range(200)
    calls = _less_accurate_calls(np.full(5, 0.04), seeds)
    # Holm keeps the family-wise rate <= 5%, so the number of seeds with any call is at
    # most Binomial(200, 0.05); the bound is its 99.9% quantile.
    bound = stats.binom.ppf(0.999, len(seeds), 0.05)
    assert calls.sum() <= bound


def test_planted_worse_vendor_is_found():
    calls = _less_accurate_calls(np.array([0.03, 0.03, 0.09, 0.03]), range(60), n=800)
    assert calls[1] >= 55
    assert calls[[0, 2]].sum() <= stats.binom.ppf(0.999, 120, 0.05)


def test_no_in_house_baseline():
    card = scorecard_from_sums(_sums([5, 9], [200, 200]).assign(vendor=["a", "b"]))
    assert card["accuracy_diff_pts"].isna().all()
    assert card["tradeoff"].str.contains("no in-house baseline").all()
    assert list(card.columns) == SCORECARD_COLUMNS


def test_vendor_without_audits_is_not_tested():
    card = scorecard_from_sums(_sums([5, 0], [200, 0]))
    assert np.isnan(card.loc[1, "accuracy_p_value"])
    assert not card.loc[1, "accuracy_significant"]
    assert "no in-house baseline or no audits" in card.loc[1, "tradeoff"]


def test_sentence_dearer_and_more_accurate():
    text = tradeoff_sentence({"vendor": "x", "cost_per_item_vs_in_house_pct": 12.4,
                              "accuracy_diff_pts": 0.8, "accuracy_test": "Fisher exact",
                              "accuracy_p_holm": 0.03, "extra_errors": -10.0,
                              "currency": "EUR"})
    assert text == ("x is 12% dearer per item and 0.8 pts more accurate than in-house "
                    "(significant: Fisher exact test, Holm-adjusted p = 0.030).")


def test_sample_data_finds_the_planted_cheaper_but_worse_vendor():
    from qa_insights.data.opening import open_store
    from tests.fixtures_data import SAMPLE

    with open_store(SAMPLE) as store:
        month = store.query("SELECT max(month) AS m FROM volumes")["m"].iloc[0]
        card = vendor_scorecard(store, month).set_index("vendor")
    # beta (bpo_beta_cebu) has three times the base error rate in the sample generator.
    assert card.loc["beta", "accuracy_significant"]
    assert card.loc["beta", "accuracy_diff_pts"] < 0
    assert card.loc["beta", "cost_per_item_vs_in_house_pct"] < 0
    assert not card.drop(index=["beta", IN_HOUSE])["accuracy_significant"].any()
