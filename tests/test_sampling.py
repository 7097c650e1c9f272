"""Tests of qa_insights.stats.sampling: qa-domain.md sample sizes, statsmodels sample-size
functions, Neyman allocation vs its closed form and its optimality, the stratified
estimator vs hand numbers and a simulation, and the engine join of volumes and audits."""

from __future__ import annotations

import doctest
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import (
    proportion_confint,
    samplesize_confint_proportion,
    samplesize_proportions_2indep_onetail,
)

from qa_insights.stats import sampling
from qa_insights.stats.sampling import (
    neyman_allocation,
    sample_size,
    sample_size_per_arm,
    stratified_error_rate,
    stratum_counts,
)
from tests.fixtures_metrics import random_audits, reference_counts, store_from


@pytest.mark.parametrize(("p", "margin", "population", "expected"), [
    (0.5, 0.05, None, 385), (0.05, 0.02, None, 457), (0.05, 0.01, None, 1825),
    (0.05, 0.02, 2000, 372)])
def test_qa_domain_sample_sizes(p, margin, population, expected):
    assert sample_size(p, margin, population=population) == expected


def test_qa_domain_two_arm_sample_size():
    assert sample_size_per_arm(0.05, 0.04) == 6745


@pytest.mark.parametrize("seed", range(20))
def test_sample_sizes_match_statsmodels(seed):
    rng = np.random.default_rng(seed)
    for _ in range(50):
        p, margin = rng.uniform(0.001, 0.999), rng.uniform(0.002, 0.2)
        conf = float(rng.choice([0.9, 0.95, 0.99]))
        n0 = samplesize_confint_proportion(p, margin, alpha=1 - conf)
        assert sample_size(p, margin, conf) == max(1, math.ceil(n0))
        population = int(rng.integers(50, 100_000))
        assert sample_size(p, margin, conf, population) == max(
            1, math.ceil(n0 / (1 + (n0 - 1) / population)))
        p1, p2 = rng.uniform(0.01, 0.5, 2)
        if abs(p1 - p2) < 1e-3:
            continue
        alpha, power = float(rng.choice([0.01, 0.05])), float(rng.choice([0.8, 0.9]))
        ref = samplesize_proportions_2indep_onetail(p1 - p2, p2, power, alpha=alpha)
        assert sample_size_per_arm(p1, p2, alpha=alpha, power=power) == math.ceil(ref)


@settings(max_examples=200, deadline=None)
@given(p=st.floats(0.001, 0.999), margin=st.floats(0.001, 0.3), n=st.integers(1, 10**6))
def test_sample_size_properties(p, margin, n):
    infinite = sample_size(p, margin)
    finite = sample_size(p, margin, population=n)
    assert 1 <= finite <= min(infinite, n)
    assert sample_size(p, margin / 2) >= infinite


def test_sample_size_bad_inputs():
    with pytest.raises(ValueError, match="margin"):
        sample_size(0.5, 0)
    with pytest.raises(ValueError, match="differ"):
        sample_size_per_arm(0.1, 0.1)


# ----------------------------------------------------------------------------- Neyman

def _strata(seed: int, k: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"stratum": [f"s{i}" for i in range(k)],
                         "items_handled": rng.integers(5_000, 200_000, k),
                         "expected_error_rate": rng.uniform(0.005, 0.2, k)})


def _variance(strata: pd.DataFrame, n: np.ndarray) -> float:
    big_n = strata.items_handled.to_numpy(float)
    p = strata.expected_error_rate.to_numpy(float)
    w = big_n / big_n.sum()
    return float(np.sum(w**2 * p * (1 - p) / n * (1 - n / big_n)))


@pytest.mark.parametrize("seed", range(20))
def test_neyman_matches_closed_form_and_beats_proportional(seed):
    strata = _strata(seed)
    budget = 3000
    got = neyman_allocation(strata, budget)
    big_n, p = strata.items_handled.to_numpy(float), strata.expected_error_rate.to_numpy()
    closed = budget * big_n * np.sqrt(p * (1 - p)) / np.sum(big_n * np.sqrt(p * (1 - p)))
    assert got.audits.sum() == budget
    assert np.all(np.abs(got.audits - closed) < 1)
    proportional = budget * big_n / big_n.sum()
    assert _variance(strata, got.audits.to_numpy(float)) <= _variance(strata, proportional)


@settings(max_examples=200, deadline=None)
@given(volumes=st.lists(st.integers(0, 5000), min_size=1, max_size=15),
       rates=st.lists(st.floats(0, 1), min_size=15, max_size=15),
       frac=st.floats(0, 1), floor=st.integers(0, 50))
def test_neyman_bounds_and_total(volumes, rates, frac, floor):
    strata = pd.DataFrame({"items_handled": volumes,
                           "expected_error_rate": rates[:len(volumes)]})
    budget = int(frac * sum(volumes))
    lower = np.minimum(floor, strata.items_handled)
    if lower.sum() > budget:
        with pytest.raises(ValueError, match="min_per_stratum"):
            neyman_allocation(strata, budget, min_per_stratum=floor)
        return
    got = neyman_allocation(strata, budget, min_per_stratum=floor).audits
    assert got.sum() == budget
    assert (got >= lower).all() and (got <= strata.items_handled).all()


def test_neyman_caps_at_volume_and_moves_the_rest():
    strata = pd.DataFrame({"items_handled": [50, 100_000, 100_000],
                           "expected_error_rate": [0.5, 0.01, 0.01]})
    got = neyman_allocation(strata, 1000).audits.tolist()
    assert got[0] <= 50 and sum(got) == 1000 and abs(got[1] - got[2]) <= 1


def test_neyman_refuses_budget_above_volume():
    with pytest.raises(ValueError, match="budget"):
        neyman_allocation(pd.DataFrame({"items_handled": [10], "expected_error_rate": [.1]}),
                          11)


# ----------------------------------------------------------------------------- estimate

def _cochran_5_53(big_n, n, x):
    """Cochran (1977), eq. 5.53, as printed: ``v(p_st) = (1 / N^2) sum N_h (N_h - n_h)
    p_h q_h / (n_h - 1)``, in exact fractions."""
    total = sum(big_n)
    v = sum(Fraction(nh_big * (nh_big - nh)) * Fraction(xh, nh) * Fraction(nh - xh, nh)
            / (nh - 1) for nh_big, nh, xh in zip(big_n, n, x))
    return v / total**2


def test_stratified_estimate_cochran_worked_example():
    # Two strata: N = 80,000 and 20,000 (W = .8, .2); n = 400 and 200; x = 8 and 20.
    # p = .02, .10; estimate = .8*.02 + .2*.10 = .036
    # v = .64 * .995 * .02*.98/399 + .04 * .99 * .1*.9/199
    #   = .64 * .995 * 4.91228e-5 + .04 * .99 * 4.52261e-4 = 3.12814e-5 + 1.79095e-5
    big_n, n, x = [80_000, 20_000], [400, 200], [8, 20]
    strata = pd.DataFrame({"items_handled": big_n, "n_audits": n, "n_errors": x})
    r = stratified_error_rate(strata)
    v = float(_cochran_5_53(big_n, n, x))
    assert v == pytest.approx(4.91909e-5, rel=1e-5)
    assert r["estimate"] == pytest.approx(0.036)
    assert r["se"] ** 2 == pytest.approx(v, rel=1e-12)
    assert r["audit_weighted_rate"] == pytest.approx(28 / 600)
    # Stratification beats a simple random sample here (Kish's size 705 > 600 audits):
    # the effective size is capped at the audits.
    assert 0.036 * 0.964 / v > 600 and r["n_effective"] == 600
    assert r["design_effect"] == pytest.approx(v / (0.036 * 0.964 / 600), rel=1e-12)
    assert r["strata_pooled"] == 0
    low, high = proportion_confint(0.036 * r["n_effective"], r["n_effective"],
                                   method="wilson")
    assert (r["ci_low"], r["ci_high"]) == (pytest.approx(low, rel=1e-9),
                                           pytest.approx(high, rel=1e-9))


@given(st.lists(st.tuples(st.integers(2, 5_000), st.integers(2, 400), st.floats(0.01, 0.99)),
                min_size=1, max_size=6))
def test_stratified_variance_is_cochran_5_53_whenever_estimable(rows):
    big_n = [max(b, n) for b, n, _ in rows]
    n = [n for _, n, _ in rows]
    x = [min(max(1, round(f * k)), k - 1) for (_, k, f) in rows]
    r = stratified_error_rate(pd.DataFrame({"items_handled": big_n, "n_audits": n,
                                            "n_errors": x}))
    assert r["se"] ** 2 == pytest.approx(float(_cochran_5_53(big_n, n, x)), rel=1e-9,
                                         abs=1e-15)


def test_one_audit_stratum_does_not_inflate_the_effective_size():
    """Issue 22: 50,000 items audited once (no error) and 50,000 audited 400 times (20
    errors) gave 2.5% (1.6%-3.8%) and n_effective 827.7 from 401 audits."""
    strata = pd.DataFrame({"items_handled": [50_000, 50_000], "n_audits": [1, 400],
                           "n_errors": [0, 20]})
    r = stratified_error_rate(strata)
    assert r["estimate"] == pytest.approx(0.025)
    assert r["n_effective"] <= r["n_audits"]
    # Half the volume rests on one audit: the stratum's variance is W^2 p q / 1 with the
    # pooled rate p = 20.5 / 402, so n_eff = .025 * .975 / (.25 p q + Cochran's term).
    pooled = 20.5 / 402
    v = 0.25 * (1 - 1 / 50_000) * pooled * (1 - pooled) / 1 \
        + 0.25 * (1 - 400 / 50_000) * 0.05 * 0.95 / 399
    assert r["se"] ** 2 == pytest.approx(v, rel=1e-9)
    assert r["n_effective"] < 3 and r["ci_high"] > 0.2 and r["strata_pooled"] == 1


@given(st.lists(st.tuples(st.integers(1, 5_000), st.integers(1, 400), st.floats(0, 1)),
                min_size=1, max_size=6))
def test_effective_size_never_exceeds_the_audits(rows):
    big_n = [max(b, n) for b, n, _ in rows]
    n = [n for _, n, _ in rows]
    x = [round(f * k) for (_, k, f) in rows]
    r = stratified_error_rate(pd.DataFrame({"items_handled": big_n, "n_audits": n,
                                            "n_errors": x}))
    assert 0 < r["n_effective"] <= r["n_audits"]
    assert r["ci_low"] <= r["estimate"] + 1e-12 and r["estimate"] <= r["ci_high"] + 1e-12
    assert r["se"] > 0 or all(b == k for b, k in zip(big_n, n))


def test_stratified_estimate_simulation_unbiased_with_right_variance():
    rng = np.random.default_rng(42)
    big_n = np.array([60_000, 25_000, 15_000])
    errors_in_population = np.array([900, 1250, 1800])        # 1.5%, 5%, 12%
    true_rate = errors_in_population.sum() / big_n.sum()
    n = np.array([300, 300, 300])
    reps = 4000
    x = rng.hypergeometric(errors_in_population, big_n - errors_in_population, n,
                           size=(reps, 3))
    estimates, variances, covered = [], [], 0
    for row in x:
        r = stratified_error_rate(pd.DataFrame({"items_handled": big_n, "n_audits": n,
                                                "n_errors": row}))
        estimates.append(r["estimate"])
        variances.append(r["se"] ** 2)
        covered += r["ci_low"] <= true_rate <= r["ci_high"]
    estimates = np.array(estimates)
    assert abs(estimates.mean() - true_rate) < 3 * estimates.std() / math.sqrt(reps)
    assert np.mean(variances) == pytest.approx(estimates.var(), rel=0.08)
    assert 0.93 <= covered / reps <= 0.97


@pytest.mark.slow
def test_stratified_interval_coverage_with_one_audit_strata():
    """Realistic strata (2-10% error rates, 1 to 400 audits, two strata audited once),
    sampled without replacement: the 95% interval covers the true rate in 93-97% of
    2,000 draws (binomial sd 0.5 pts), and the variance estimate is unbiased to 10%."""
    rng = np.random.default_rng(7)
    big_n = np.array([40_000, 25_000, 15_000, 8_000, 5_000, 3_000, 2_000, 1_000, 600, 400])
    rate = np.array([0.02, 0.04, 0.03, 0.08, 0.05, 0.10, 0.06, 0.09, 0.03, 0.07])
    n = np.array([400, 300, 200, 120, 60, 40, 20, 10, 1, 1])
    bad = np.round(big_n * rate).astype(int)
    true_rate = bad.sum() / big_n.sum()
    reps = 2000
    x = rng.hypergeometric(bad, big_n - bad, n, size=(reps, len(n)))
    results = [stratified_error_rate(pd.DataFrame({"items_handled": big_n, "n_audits": n,
                                                   "n_errors": row})) for row in x]
    covered = np.mean([r["ci_low"] <= true_rate <= r["ci_high"] for r in results])
    assert 0.93 <= covered <= 0.97
    estimates = np.array([r["estimate"] for r in results])
    assert np.mean([r["se"] ** 2 for r in results]) == pytest.approx(estimates.var(),
                                                                      rel=0.10)
    assert all(r["n_effective"] <= n.sum() for r in results)


def test_stratified_estimate_refuses_unaudited_strata():
    strata = pd.DataFrame({"items_handled": [100, 50, 0], "n_audits": [10, 0, 0],
                           "n_errors": [1, 0, 0]})
    with pytest.raises(ValueError, match=r"no audits \(rows \[1\]\)"):
        stratified_error_rate(strata)
    ok = stratified_error_rate(strata.drop(index=1))
    assert ok["estimate"] == pytest.approx(0.1)


# ----------------------------------------------------------------------------- store

def test_stratum_counts_join_volumes_and_audits(tmp_path):
    audits = random_audits(21, n=700)
    ref = reference_counts(audits)
    cells = ref.groupby(["month", "site", "queue"])[["n_audits", "n_errors"]].sum()
    vol = cells.reset_index()[["month", "site", "queue"]].copy()
    vol["items_handled"] = 1000 + 37 * np.arange(len(vol))
    vol = pd.concat([vol, pd.DataFrame({"month": ["2026-10"], "site": ["bpo_new"],
                                        "queue": ["spam"], "items_handled": [500]})])
    vol = vol.assign(productive_hours=10.0, headcount=1.0, cost=100.0, currency="USD")
    with store_from(tmp_path, audits, vol) as store:
        got = stratum_counts(store, "2026-10")
        by_site = stratum_counts(store, "2026-10", ["site"], filters={"queue": "spam"})
        hostile = stratum_counts(store, "2026-10'; DROP TABLE volumes; --")
    oct_cells = cells.loc["2026-10"]
    merged = got.set_index(["site", "queue"])
    assert merged.loc[("bpo_new", "spam")].tolist() == [500, 0, 0]
    for key, row in oct_cells.iterrows():
        assert merged.loc[key, "n_audits"] == row.n_audits
        assert merged.loc[key, "n_errors"] == row.n_errors
    oct_vol = vol[vol.month == "2026-10"].set_index(["site", "queue"]).items_handled
    assert merged.items_handled.to_dict() == oct_vol.to_dict()
    spam = ref[(ref.month == "2026-10") & (ref.queue == "spam")].groupby("site").n_audits.sum()
    assert by_site.set_index("site").n_audits[spam.index].tolist() == spam.tolist()
    assert hostile.empty
    with pytest.raises(ValueError, match="unknown dimension"):
        stratum_counts(store, "2026-10", ["market"])


def test_docstring_examples_run():
    assert doctest.testmod(sampling).failed == 0
