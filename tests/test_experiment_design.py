"""Experiment design checks: the minimum detectable effect against statsmodels' power
functions, the DiD MDE by hand, and the parallel-trends slopes against statsmodels' WLS,
silent on parallel data across seeds and finding a planted divergence."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import power_proportions_2indep, proportion_effectsize

from qa_insights.stats.experiment_design import (
    did_minimum_detectable_effect,
    minimum_detectable_effect,
    parallel_trends,
)


@settings(max_examples=40, deadline=None)
@given(p=st.floats(0.02, 0.3), n1=st.integers(300, 20000), ratio=st.floats(0.3, 3.0))
def test_mde_has_the_wanted_power_by_statsmodels(p: float, n1: int, ratio: float) -> None:
    mde = minimum_detectable_effect(p, n1, n1 * ratio)
    if math.isnan(mde):  # even a fall to a rate of 0 is not detected with power 0.8
        assert power_proportions_2indep(-p * (1 - 1e-9), p, n1 * ratio,
                                        ratio=1 / ratio).power < 0.8
        return
    assert 0 < mde < p
    # The same pooled z test in statsmodels (its arm 1 is the treatment, arm 2 the
    # control with nobs1 * ratio audits): power exactly 0.8 at the MDE.
    exact = power_proportions_2indep(-mde, p, n1 * ratio, ratio=1 / ratio,
                                     alternative="two-sided")
    assert exact.power == pytest.approx(0.8, abs=1e-6)
    # The arcsine (Cohen's h) approximation agrees within 5 points where both are normal-ish
    # (at least 30 expected errors in the smaller arm).
    if min(n1, n1 * ratio) * p >= 30:
        h = proportion_effectsize(p, p - mde)
        approx = NormalIndPower().power(h, nobs1=n1, alpha=0.05, ratio=ratio)
        assert approx == pytest.approx(0.8, abs=0.05)


def test_mde_by_hand_and_unreachable() -> None:
    # qa-domain.md: 5% -> 4% at alpha .05, power .8 needs 6,745 audits per arm.
    assert minimum_detectable_effect(0.05, 6745) == pytest.approx(0.01, abs=2e-6)
    assert math.isnan(minimum_detectable_effect(0.05, 5))
    with pytest.raises(ValueError):
        minimum_detectable_effect(0.0, 100)


def test_did_mde_by_hand() -> None:
    cells = pd.DataFrame({"group": ["treated"] * 2 + ["control"] * 2,
                          "period": ["before", "after"] * 2,
                          "n_audits": [2000, 1000, 6000, 3000],
                          "n_errors": [100, 7, 300, 1]})
    var = 0.05 * 0.95 * (1 / 2000 + 1 / 1000) + 0.05 * 0.95 * (1 / 6000 + 1 / 3000)
    expected = (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * math.sqrt(var)
    assert did_minimum_detectable_effect(cells) == pytest.approx(expected, rel=1e-12)


def _monthly(rates_t, rates_c, n, rng) -> pd.DataFrame:
    months = [f"2026-{i + 1:02d}" for i in range(len(rates_t))]
    rows = []
    for group, rates in (("treated", rates_t), ("control", rates_c)):
        for m, p in zip(months, rates):
            rows.append({"group": group, "month": m, "n_audits": n,
                         "n_errors": int(rng.binomial(n, p))})
    return pd.DataFrame(rows)


def test_slopes_equal_statsmodels_wls_with_known_variance() -> None:
    rng = np.random.default_rng(3)
    m = _monthly([0.05, 0.055, 0.06, 0.058, 0.07, 0.072], [0.04] * 6, 800, rng)
    t = parallel_trends(m)
    for group, slope, se in (("treated", t.slope_treated, t.se_treated),
                             ("control", t.slope_control, t.se_control)):
        g = m[m["group"] == group]
        pbar = g["n_errors"].sum() / g["n_audits"].sum()
        fit = sm.WLS(g["n_errors"] / g["n_audits"], sm.add_constant(np.arange(len(g))),
                     weights=g["n_audits"] / (pbar * (1 - pbar))).fit(cov_type="fixed scale")
        assert slope == pytest.approx(fit.params.iloc[1], rel=1e-9)
        assert se == pytest.approx(fit.bse.iloc[1], rel=1e-9)
    assert t.difference == pytest.approx(t.slope_treated - t.slope_control)


def test_parallel_trends_silent_on_parallel_data_and_finds_divergence() -> None:
    flags = 0
    seeds = 300
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        m = _monthly([0.06 - 0.001 * i for i in range(6)],
                     [0.04 - 0.001 * i for i in range(6)], 1500, rng)
        flags += not parallel_trends(m).parallel
    # False alarms at most the 0.999 binomial bound of alpha = 0.05.
    assert flags <= stats.binom.ppf(0.999, seeds, 0.05)
    found = sum(not parallel_trends(_monthly([0.04 + 0.006 * i for i in range(6)],
                                             [0.04] * 6, 1500,
                                             np.random.default_rng(s))).parallel
                for s in range(50))
    assert found >= 45


def test_parallel_trends_needs_three_months() -> None:
    m = _monthly([0.05, 0.05], [0.05, 0.05], 100, np.random.default_rng(0))
    with pytest.raises(ValueError, match="at least 3 pre-period months"):
        parallel_trends(m)
