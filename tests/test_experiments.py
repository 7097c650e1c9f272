"""A/B tests, power and sample size, difference-in-differences.

Expected values: qa-domain.md section 4 (6,745 audits per arm for 5% -> 4%), statsmodels
(power_proportions_2indep, samplesize_proportions_2indep_onetail, proportions_ztest,
confint_proportions_2indep, OLS with HC0 errors) called here on the same numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    power_proportions_2indep,
    proportions_ztest,
    samplesize_proportions_2indep_onetail,
)

from qa_insights.stats.experiments import (
    ab_test,
    arm_counts,
    did_cells,
    difference_in_differences,
    power_two_proportions,
)
from qa_insights.stats.sampling import sample_size_per_arm
from tests.fixtures_rca import cell, write_store


def test_sample_size_matches_the_domain_notes_and_statsmodels():
    assert sample_size_per_arm(0.05, 0.04) == 6745           # qa-domain.md section 4
    for p1, p2, power, ratio in [(0.05, 0.04, 0.8, 1), (0.03, 0.05, 0.9, 1),
                                 (0.10, 0.07, 0.8, 2), (0.2, 0.25, 0.85, 0.5)]:
        # statsmodels' group 1 is our control arm: diff = p1 - p2, prop2 = p2.
        expected = samplesize_proportions_2indep_onetail(p1 - p2, p2, power, ratio=ratio,
                                                         alpha=0.05)
        assert sample_size_per_arm(p1, p2, power=power, ratio=ratio) == int(np.ceil(expected))


@pytest.mark.parametrize("p1, p2, n1, n2", [(0.05, 0.04, 6745, 6745), (0.05, 0.04, 6744, 6744),
                                            (0.05, 0.03, 900, 1800), (0.12, 0.2, 150, 90)])
def test_power_against_statsmodels(p1, p2, n1, n2):
    expected = power_proportions_2indep(p1 - p2, p2, n1, ratio=n2 / n1, alpha=0.05).power
    assert power_two_proportions(p1, p2, n1, n2) == pytest.approx(expected, rel=1e-9)


def test_power_at_the_required_sample_size():
    assert power_two_proportions(0.05, 0.04, 6745) >= 0.8 > power_two_proportions(0.05, 0.04,
                                                                                 6744)


def test_ab_test_against_statsmodels():
    r = ab_test(300, 6000, 228, 6000, minimum_effect=-0.01)
    _, p = proportions_ztest([228, 300], [6000, 6000])
    # The interval inverts the z test (Mee's score interval); statsmodels 0.15's
    # method="score" differs from it in the third significant figure, so compare loosely.
    low, high = confint_proportions_2indep(228, 6000, 300, 6000, method="score",
                                           compare="diff", correction=False)
    assert r.difference == pytest.approx(228 / 6000 - 300 / 6000, rel=1e-12)
    assert r.p_value == pytest.approx(p, rel=1e-9)
    assert (r.ci_low, r.ci_high) == (pytest.approx(low, rel=2e-3), pytest.approx(high, rel=2e-3))
    assert r.ci_level == 0.95 and r.ci_high < 0
    assert r.relative_change == pytest.approx(-0.24)
    assert r.power_observed == pytest.approx(
        power_proportions_2indep(0.05 - 0.038, 0.038, 6000).power, rel=1e-9)
    assert r.power_minimum_effect == pytest.approx(
        power_proportions_2indep(0.01, 0.04, 6000).power, rel=1e-9)
    assert r.n_per_arm_needed == 6745 and r.significant


def test_ab_test_small_arms_use_fisher():
    r = ab_test(3, 40, 0, 40)
    assert r.test == "Fisher exact" and not r.significant


def _did_rows(cells):
    rows = []
    for _, c in cells.iterrows():
        y = np.r_[np.ones(c.n_errors), np.zeros(c.n_audits - c.n_errors)]
        rows.append(pd.DataFrame({"y": y, "treated": float(c.group == "treated"),
                                  "after": float(c.period == "after")}))
    return pd.concat(rows)


def test_did_against_ols_with_robust_errors():
    cells = pd.DataFrame({"group": ["treated"] * 2 + ["control"] * 2,
                          "period": ["before", "after"] * 2,
                          "n_audits": [900, 1100, 3000, 3200], "n_errors": [63, 44, 150, 150]})
    r = difference_in_differences(cells)
    rows = _did_rows(cells)
    X = sm.add_constant(np.column_stack([rows.treated, rows.after,
                                         rows.treated * rows.after]))
    fit = sm.OLS(rows.y.to_numpy(), X).fit(cov_type="HC0")
    assert r.estimate == pytest.approx(fit.params[3], rel=1e-10)
    assert r.std_err == pytest.approx(fit.bse[3], rel=1e-8)
    assert r.p_value == pytest.approx(fit.pvalues[3], rel=1e-6)
    low, high = fit.conf_int()[3]
    assert (r.ci_low, r.ci_high) == (pytest.approx(low, rel=1e-7), pytest.approx(high, rel=1e-7))


def test_did_refuses_missing_cells():
    cells = pd.DataFrame({"group": ["treated", "control", "control"],
                          "period": ["before", "before", "after"],
                          "n_audits": [10, 10, 10], "n_errors": [1, 1, 1]})
    with pytest.raises(ValueError, match="no audits"):
        difference_in_differences(cells)


def test_arms_and_did_cells_from_the_store(tmp_path):
    store = write_store(
        tmp_path,
        cell("2026-01", "bpo_t", "spam", 200, 20), cell("2026-02", "bpo_t", "spam", 200, 8),
        cell("2026-01", "bpo_c1", "spam", 300, 15), cell("2026-02", "bpo_c1", "spam", 300, 14),
        cell("2026-01", "bpo_c2", "spam", 100, 5), cell("2026-02", "bpo_c2", "spam", 100, 6),
        cell("2026-02", "other", "spam", 50, 40))
    arms = arm_counts(store, "site", ["bpo_t"], filters={"month": "2026-02"}).set_index("arm")
    assert arms.loc["treatment"].tolist() == [200, 8]
    assert arms.loc["control"].tolist() == [450, 60]
    cells = did_cells(store, "site", ["bpo_t"], ["bpo_c1", "bpo_c2"], ["2026-01"], ["2026-02"])
    got = {(r.group, r.period): (r.n_audits, r.n_errors) for r in cells.itertuples()}
    assert got == {("treated", "before"): (200, 20), ("treated", "after"): (200, 8),
                   ("control", "before"): (400, 20), ("control", "after"): (400, 20)}
    r = difference_in_differences(cells)
    assert r.estimate == pytest.approx(-0.06)
    with pytest.raises(ValueError, match="both"):
        did_cells(store, "site", ["bpo_t"], ["bpo_t"], ["2026-01"], ["2026-02"])
    store.close()


def test_docstring_examples_run():
    import doctest

    from qa_insights.stats import experiments as module
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


@settings(max_examples=80, deadline=None)
@given(st.integers(5, 3000), st.integers(5, 3000), st.floats(0.005, 0.3), st.floats(0, 1),
       st.sampled_from([0.01, 0.05, 0.1]))
def test_ab_and_did_intervals_agree_with_their_tests(n_c, n_t, p, spread, alpha):
    """The interval at its default level 1 - alpha excludes 0 exactly when the verdict
    is significant (issue 22), for the A/B test and for difference-in-differences."""
    e_c, e_t = round(p * n_c), min(n_t, round(p * (1 + spread) * n_t))
    r = ab_test(e_c, n_c, e_t, n_t, alpha=alpha)
    assert r.ci_level == pytest.approx(1 - alpha)
    if abs(r.p_value - alpha) > 1e-9:
        assert (r.ci_low > 0 or r.ci_high < 0) == r.significant
    cells = pd.DataFrame({"group": ["treated"] * 2 + ["control"] * 2,
                          "period": ["before", "after"] * 2,
                          "n_audits": [n_c, n_t, 2 * n_c, 2 * n_t],
                          "n_errors": [e_c, e_t, 2 * e_c + 1, min(2 * n_t, 2 * e_c + 1)]})
    d = difference_in_differences(cells, alpha=alpha)
    assert d.ci_level == pytest.approx(1 - alpha)
    if abs(d.p_value - alpha) > 1e-9:
        assert (d.ci_low > 0 or d.ci_high < 0) == d.significant
