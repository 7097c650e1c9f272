"""Tests of qa_insights.stats.proportions against statsmodels, scipy and published values.

Published values: tests/refdata/newcombe1998_wilson.json (Newcombe 1998a Table I, Wilson
score intervals; Newcombe 1998b method 10 difference example 56/70 vs 48/80; Fagerland,
Lydersen & Laake 2015 example 7/34 vs 1/34). See the file's ``source`` for the citation.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, special, stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

from qa_insights.stats.proportions import (
    agreeing_interval,
    compare_proportions,
    newcombe_interval,
    score_interval,
    wilson_interval,
)

REF = json.loads((Path(__file__).parent / "refdata" / "newcombe1998_wilson.json").read_text())
SEEDS = range(40)


# ----------------------------------------------------------------------------- Wilson

@pytest.mark.parametrize("case", REF["single_proportion"], ids=lambda c: f"{c['x']}/{c['n']}")
def test_wilson_matches_newcombe_1998_table_1(case):
    low, high = wilson_interval(case["x"], case["n"])
    assert isinstance(low, float) and isinstance(high, float)
    assert (round(low, 4), round(high, 4)) == pytest.approx(tuple(case["expected_wilson_95"]),
                                                            abs=1e-12)


def test_wilson_matches_domain_note_example():
    # qa-domain.md section 4: 2 errors in 40 audits -> Wilson (1.4%, 16.5%);
    # 0 errors in 30 -> upper bound 11.4%.
    low, high = wilson_interval(2, 40)
    assert (round(low * 100, 1), round(high * 100, 1)) == (1.4, 16.5)
    assert round(wilson_interval(0, 30)[1] * 100, 1) == 11.4


@pytest.mark.parametrize("seed", SEEDS)
def test_wilson_matches_statsmodels_on_random_data(seed):
    rng = np.random.default_rng(seed)
    n = rng.integers(1, 5000, size=200)
    n[:10] = rng.integers(1, 5, size=10)             # tiny samples too
    x = rng.binomial(n, rng.uniform(0, 1, size=n.size))
    x[10:15] = 0
    x[15:20] = n[15:20]
    confidence = float(rng.choice([0.8, 0.9, 0.95, 0.99]))
    low, high = wilson_interval(x, n, confidence=confidence)
    ref_low, ref_high = proportion_confint(x, n, alpha=1 - confidence, method="wilson")
    np.testing.assert_allclose(low, ref_low, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(high, ref_high, rtol=1e-9, atol=1e-12)


def test_wilson_zero_n_gives_nan_not_error():
    low, high = wilson_interval(0, 0)
    assert math.isnan(low) and math.isnan(high)
    low, high = wilson_interval([0, 3, 0], [0, 10, 0])
    assert np.isnan(low[[0, 2]]).all() and np.isnan(high[[0, 2]]).all()
    assert np.isfinite(low[1]) and np.isfinite(high[1])


def test_wilson_rejects_impossible_counts():
    with pytest.raises(ValueError, match="exceed"):
        wilson_interval(5, 4)
    with pytest.raises(ValueError, match="non-negative"):
        wilson_interval(-1, 4)
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 4, confidence=1.0)


def test_wilson_broadcasts_and_keeps_shape():
    low, high = wilson_interval(np.array([[1, 2], [3, 4]]), 10)
    assert low.shape == high.shape == (2, 2)


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 10**6), frac=st.floats(0, 1), conf=st.floats(0.5, 0.999))
def test_wilson_bounds_contain_estimate_within_unit_interval(n, frac, conf):
    x = round(frac * n)
    low, high = wilson_interval(x, n, confidence=conf)
    assert 0.0 <= low <= x / n <= high <= 1.0


@settings(max_examples=300, deadline=None)
@given(x=st.integers(0, 500), extra=st.integers(0, 500), k=st.integers(2, 50))
def test_wilson_narrows_with_n_at_fixed_rate(x, extra, k):
    n = x + extra
    if n == 0:
        return
    low1, high1 = wilson_interval(x, n)
    low2, high2 = wilson_interval(k * x, k * n)
    assert high2 - low2 < high1 - low1


@settings(max_examples=300, deadline=None)
@given(x=st.integers(0, 999), n=st.integers(1, 1000))
def test_wilson_bounds_monotone_in_successes(x, n):
    if x >= n:
        return
    low1, high1 = wilson_interval(x, n)
    low2, high2 = wilson_interval(x + 1, n)
    assert low2 > low1 and high2 > high1


# ----------------------------------------------------------------------------- Newcombe

@pytest.mark.parametrize("case", REF["difference_newcombe_method10"],
                         ids=lambda c: f"{c['x1']}/{c['n1']}-{c['x2']}/{c['n2']}")
def test_newcombe_matches_published_examples(case):
    low, high = newcombe_interval(case["x1"], case["n1"], case["x2"], case["n2"])
    digits = 4 if case["expected_95"][0] == 0.0524 else 3
    expected = tuple(case["expected_95"])
    assert (round(low, digits), round(high, digits)) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_newcombe_matches_statsmodels_on_random_data(seed):
    rng = np.random.default_rng(1000 + seed)
    confidence = float(rng.choice([0.9, 0.95, 0.99]))
    for _ in range(25):
        n1, n2 = rng.integers(1, 3000, size=2)
        x1, x2 = rng.binomial([n1, n2], rng.uniform(0, 1, size=2))
        low, high = newcombe_interval(x1, n1, x2, n2, confidence=confidence)
        ref = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff",
                                         alpha=1 - confidence)
        assert (low, high) == pytest.approx(tuple(map(float, ref)), rel=1e-9, abs=1e-12)


def test_newcombe_vectorised_equals_elementwise():
    rng = np.random.default_rng(7)
    n1, n2 = rng.integers(1, 500, size=(2, 50))
    x1, x2 = rng.binomial(n1, 0.2), rng.binomial(n2, 0.3)
    low, high = newcombe_interval(x1, n1, x2, n2)
    for i in range(50):
        assert (low[i], high[i]) == newcombe_interval(x1[i], n1[i], x2[i], n2[i])


def test_newcombe_empty_group_is_nan():
    low, high = newcombe_interval(0, 0, 3, 10)
    assert math.isnan(low) and math.isnan(high)


@settings(max_examples=300, deadline=None)
@given(x1=st.integers(0, 400), e1=st.integers(0, 400), x2=st.integers(0, 400),
       e2=st.integers(0, 400))
def test_newcombe_contains_difference_within_bounds(x1, e1, x2, e2):
    n1, n2 = x1 + e1, x2 + e2
    if n1 == 0 or n2 == 0:
        return
    low, high = newcombe_interval(x1, n1, x2, n2)
    assert -1.0 <= low <= x1 / n1 - x2 / n2 <= high <= 1.0


# ----------------------------------------------------------------------------- tests

def _expected_counts(x1, n1, x2, n2):
    pooled = (x1 + x2) / (n1 + n2)
    return [n1 * pooled, n1 - n1 * pooled, n2 * pooled, n2 - n2 * pooled]


def _fisher_by_hand(x1, n1, x2, n2):
    """Two-sided Fisher p-value: sum of hypergeometric probabilities no larger than the
    observed table's (relative tolerance 1e-7, as in R's fisher.test)."""
    total, successes = n1 + n2, x1 + x2
    support = np.arange(max(0, successes - n2), min(successes, n1) + 1)
    pmf = stats.hypergeom.pmf(support, total, successes, n1)
    observed = stats.hypergeom.pmf(x1, total, successes, n1)
    return float(min(1.0, pmf[pmf <= observed * (1 + 1e-7)].sum()))


@pytest.mark.parametrize("seed", SEEDS)
def test_compare_proportions_matches_peers_on_random_data(seed):
    rng = np.random.default_rng(2000 + seed)
    for _ in range(25):
        n1, n2 = rng.integers(2, 2000, size=2)
        x1, x2 = rng.binomial([n1, n2], rng.uniform(0, 0.3, size=2))
        res = compare_proportions(x1, n1, x2, n2)
        assert res.p1 == x1 / n1 and res.p2 == x2 / n2
        assert res.difference == pytest.approx(x1 / n1 - x2 / n2)
        ref_ci = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
        assert (res.ci_low, res.ci_high) == pytest.approx(tuple(map(float, ref_ci)), rel=1e-9)
        if min(_expected_counts(x1, n1, x2, n2)) < 5:
            assert res.test == "Fisher exact"
            assert res.p_value == pytest.approx(_fisher_by_hand(x1, n1, x2, n2), rel=1e-6)
        else:
            assert res.test == "two-proportion z"
            _, ref_p = proportions_ztest([x1, x2], [n1, n2])
            assert res.p_value == pytest.approx(float(ref_p), rel=1e-9)
        assert res.significant == (res.p_value < 0.05)


def test_compare_small_counts_use_fisher_like_scipy():
    res = compare_proportions(7, 34, 1, 34)
    assert res.test == "Fisher exact"
    ref = stats.fisher_exact([[7, 27], [1, 33]]).pvalue
    assert res.p_value == pytest.approx(ref, rel=1e-9)
    # The interval excludes 0 but the exact test does not reject: not significant.
    assert res.ci_low > 0 and not res.significant


def test_compare_large_counts_use_z_test():
    res = compare_proportions(30, 300, 10, 300)
    assert res.test == "two-proportion z"
    assert res.significant
    assert res.as_dict()["test"] == "two-proportion z"
    assert set(res.as_dict()) == {"p1", "p2", "difference", "ci_low", "ci_high", "p_value",
                                  "test", "significant"}


def test_compare_alpha_controls_significance():
    res = compare_proportions(60, 1000, 45, 1000)
    assert 0.01 < res.p_value < 0.2
    assert compare_proportions(60, 1000, 45, 1000, alpha=0.5).significant
    assert not compare_proportions(60, 1000, 45, 1000, alpha=0.001).significant


def test_compare_identical_zero_rates_is_not_significant():
    res = compare_proportions(0, 500, 0, 400)
    assert res.test == "Fisher exact" and res.p_value == 1.0 and not res.significant


def test_compare_empty_group_is_nan_and_not_significant():
    res = compare_proportions(0, 0, 3, 10)
    assert math.isnan(res.p_value) and math.isnan(res.difference) and not res.significant
    assert res.p2 == 0.3


def test_compare_rejects_arrays():
    with pytest.raises(ValueError, match="scalar"):
        compare_proportions([1, 2], [10, 10], 3, 10)


def test_docstring_examples_run():
    import doctest

    import qa_insights.stats.proportions as module

    assert doctest.testmod(module).failed == 0


def _score_statistic(x1, n1, x2, n2, delta):
    """Mee's score statistic with the restricted MLE found numerically (bounded search
    of the binomial log-likelihood along p1 - p2 = delta), independent of the closed form."""
    def nll(q2):
        return -(special.xlogy(x1, q2 + delta) + special.xlogy(n1 - x1, 1 - q2 - delta)
                 + special.xlogy(x2, q2) + special.xlogy(n2 - x2, 1 - q2))
    q2 = optimize.minimize_scalar(nll, bounds=(max(0, -delta), min(1, 1 - delta)),
                                  method="bounded", options={"xatol": 1e-13}).x
    q1 = q2 + delta
    return (x1 / n1 - x2 / n2 - delta) / math.sqrt(q1 * (1 - q1) / n1 + q2 * (1 - q2) / n2)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 2000), st.integers(2, 2000), st.floats(0, 1), st.floats(0, 1),
       st.sampled_from([0.9, 0.95, 0.99]))
def test_score_interval_inverts_the_score_test(n1, n2, f1, f2, conf):
    x1, x2 = round(f1 * n1), round(f2 * n2)
    low, high = score_interval(x1, n1, x2, n2, conf)
    z = stats.norm.ppf(0.5 + conf / 2)
    d = x1 / n1 - x2 / n2
    assert -1 <= low <= d <= high <= 1
    for bound in (low, high):
        if abs(bound) < 1 - 1e-9 and abs(bound - d) > 1e-9:
            assert abs(_score_statistic(x1, n1, x2, n2, bound)) == pytest.approx(z, abs=1e-4)


@settings(max_examples=150, deadline=None)
@given(st.integers(5, 3000), st.integers(5, 3000), st.floats(0.01, 0.5), st.floats(0, 1),
       st.sampled_from([0.9, 0.95, 0.99]))
def test_agreeing_interval_excludes_zero_exactly_when_the_test_rejects(n1, n2, p, spread,
                                                                       conf):
    """Issue 22: the z test said significant (p 0.048) beside a Newcombe interval that
    held 0. The agreeing interval excludes 0 exactly when p < 1 - confidence, for the z
    test (checked against statsmodels) and for Fisher's exact test on sparse tables."""
    x1 = round(p * n1)
    x2 = min(n2, round(p * (1 + spread) * n2))
    c = compare_proportions(x1, n1, x2, n2, alpha=1 - conf)
    if c.test == "two-proportion z" and 0 < x1 + x2 < n1 + n2:
        assert c.p_value == pytest.approx(proportions_ztest([x1, x2], [n1, n2])[1],
                                          rel=1e-9, abs=1e-300)
    low, high = agreeing_interval(x1, n1, x2, n2, c.p_value, c.test, conf)
    if abs(c.p_value - (1 - conf)) > 1e-9:
        assert (low > 0 or high < 0) == c.significant


def test_issue_example_interval_agrees_with_its_z_test():
    """33 audits with 2 errors against 317 with 64: z test p = 0.048, Newcombe's interval
    ran from -0.01 pts; the score interval excludes 0."""
    c = compare_proportions(2, 33, 64, 317)
    assert c.test == "two-proportion z" and c.significant
    assert c.p_value == pytest.approx(proportions_ztest([2, 64], [33, 317])[1], rel=1e-12)
    assert newcombe_interval(2, 33, 64, 317)[1] > 0          # the old disagreement
    low, high = score_interval(2, 33, 64, 317)
    assert high < 0 and low < high
