"""Proportions: the z / Fisher switch at exactly 5 expected, empty groups, scalar guard
(found by mutation testing, tests/MUTATION.md). P-values are checked against
statsmodels' pooled z test and SciPy's Fisher exact test."""

from __future__ import annotations

import math

import pytest
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from qa_insights.stats.proportions import MIN_EXPECTED_COUNT, compare_proportions


def _expected_min(a, m1, b, m2):
    pooled = (a + b) / (m1 + m2)
    return min(m1 * pooled, m1 * (1 - pooled), m2 * pooled, m2 * (1 - pooled))


def test_exactly_five_expected_uses_the_z_test():
    # 25 errors in 500 audits: pooled 0.05, the 100-audit group expects exactly 5.
    assert _expected_min(10, 100, 15, 400) == MIN_EXPECTED_COUNT == 5
    r = compare_proportions(10, 100, 15, 400)
    assert r.test == "two-proportion z"
    z_p = proportions_ztest([10, 15], [100, 400])[1]
    assert r.p_value == pytest.approx(z_p, rel=1e-9)
    assert r.significant == (z_p < 0.05)
    assert (r.p1, r.p2, r.difference) == pytest.approx((0.1, 15 / 400, 0.1 - 15 / 400))


def test_just_below_five_expected_uses_fisher():
    assert _expected_min(10, 100, 14, 400) < 5
    r = compare_proportions(10, 100, 14, 400)
    assert r.test == "Fisher exact"
    fisher = stats.fisher_exact([[10, 90], [14, 386]]).pvalue
    assert r.p_value == pytest.approx(fisher, rel=1e-12)
    assert r.significant == (fisher < 0.05)


def test_alpha_decides_significance():
    r = compare_proportions(10, 100, 15, 400)
    assert compare_proportions(10, 100, 15, 400, alpha=r.p_value).significant is False
    assert compare_proportions(10, 100, 15, 400, alpha=r.p_value * 1.01).significant is True


@pytest.mark.parametrize("args,p1,p2", [((5, 10, 0, 0), 0.5, None),
                                         ((0, 0, 3, 10), None, 0.3),
                                         ((0, 0, 0, 0), None, None)])
def test_an_empty_group_gives_nan_and_no_finding(args, p1, p2):
    r = compare_proportions(*args)
    assert r.test == "none (empty group)" and r.significant is False
    for got, want in ((r.p1, p1), (r.p2, p2)):
        assert math.isnan(got) if want is None else got == want
    for value in (r.difference, r.ci_low, r.ci_high, r.p_value):
        assert math.isnan(value)


def test_array_counts_are_refused():
    with pytest.raises(ValueError, match="scalar"):
        compare_proportions([1, 2], [10, 10], 1, 10)


@pytest.mark.parametrize("a,m1,b,m2", [(90, 100, 385, 400), (385, 400, 90, 100)])
def test_the_switch_also_watches_the_non_error_cells(a, m1, b, m2):
    # 475 of 500 are errors: the smaller group expects exactly 5 non-errors -> z test;
    # one more error and it expects 4.8 -> Fisher.
    assert _expected_min(a, m1, b, m2) == pytest.approx(5)
    r = compare_proportions(a, m1, b, m2)
    assert r.test == "two-proportion z"
    assert r.p_value == pytest.approx(proportions_ztest([a, b], [m1, m2])[1], rel=1e-9)
    more = (a + 1, m1, b, m2) if m1 == 100 else (a, m1, b + 1, m2)
    assert _expected_min(*more) < 5
    r = compare_proportions(*more)
    assert r.test == "Fisher exact"
    table = [[more[0], m1 - more[0]], [more[2], m2 - more[2]]]
    assert r.p_value == pytest.approx(stats.fisher_exact(table).pvalue, rel=1e-12)
