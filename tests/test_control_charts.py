"""Tests of qa_insights.stats.control_charts: limits vs the textbook formulas computed here,
Laney sigma_z on hand-worked numbers and on the qa-domain.md example, run rules vs a
brute-force reference."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qa_insights.stats.control_charts as cc
from qa_insights.data.sample_data import PLANTED
from qa_insights.quality.trends import rate_series
from qa_insights.stats.control_charts import laney_p_chart, laney_sigma_z, p_chart, run_rules


def _random_series(seed: int, groups: int = 3, periods: int = 14) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(groups):
        base = rng.uniform(0.01, 0.2)
        for t in range(periods):
            n = int(rng.integers(20, 20_000))
            p = np.clip(base + rng.normal(0, 0.01), 0, 1)
            rows.append({"site": f"s{g}", "month": f"2025-{t + 1:02d}" if t < 12
                         else f"2026-{t - 11:02d}", "n_audits": n,
                         "n_errors": int(rng.binomial(n, p))})
    return pd.DataFrame(rows).sample(frac=1, random_state=seed)   # order must not matter


@pytest.mark.parametrize("seed", range(30))
def test_p_chart_limits_match_textbook_formula(seed):
    series = _random_series(seed)
    chart = p_chart(series, ["site"])
    for site, g in chart.groupby("site"):
        raw = series[series.site == site].sort_values("month")
        assert g.month.tolist() == raw.month.tolist()
        p_bar = raw.n_errors.sum() / raw.n_audits.sum()
        half = 3 * np.sqrt(p_bar * (1 - p_bar) / raw.n_audits.to_numpy())
        np.testing.assert_allclose(g.centre, p_bar)
        np.testing.assert_allclose(g.ucl, np.minimum(p_bar + half, 1))
        np.testing.assert_allclose(g.lcl, np.maximum(p_bar - half, 0))
        np.testing.assert_allclose(g.p, raw.n_errors / raw.n_audits)
        assert (g.sigma_z == 1).all()
        expected_beyond = (g.p > g.ucl) | (g.p < g.lcl)
        assert (g.beyond_limits == expected_beyond).all()


@pytest.mark.parametrize("seed", range(30))
def test_laney_limits_match_formula_computed_independently(seed):
    series = _random_series(seed)
    chart = laney_p_chart(series, "site")
    for site, g in chart.groupby("site"):
        raw = series[series.site == site].sort_values("month")
        x, n = raw.n_errors.to_numpy(float), raw.n_audits.to_numpy(float)
        p_bar = x.sum() / n.sum()
        sd = np.sqrt(p_bar * (1 - p_bar) / n)
        z = (x / n - p_bar) / sd
        moving_ranges = [abs(z[i] - z[i - 1]) for i in range(1, len(z))]
        sigma_z = sum(moving_ranges) / len(moving_ranges) / 1.128
        np.testing.assert_allclose(g.sigma_z, sigma_z)
        np.testing.assert_allclose(g.ucl, np.minimum(p_bar + 3 * sd * sigma_z, 1))
        np.testing.assert_allclose(g.lcl, np.maximum(p_bar - 3 * sd * sigma_z, 0))


def test_laney_hand_worked_example_with_varying_n():
    # n = 100, 200, 400, 100; x = 10, 30, 40, 20  ->  p = .10, .15, .10, .20
    # p_bar = 100 / 800 = 0.125;  p_bar (1 - p_bar) = 0.109375
    # sigma_i = sqrt(0.109375 / n): 0.0330719, 0.0233854, 0.0165359, 0.0330719
    # z = -0.025/0.0330719 = -0.755929, 0.025/0.0233854 = 1.069045,
    #     -0.025/0.0165359 = -1.511858, 0.075/0.0330719 = 2.267787
    # moving ranges 1.824974, 2.580903, 3.779645; mean 2.728507; sigma_z = 2.728507/1.128
    #   = 2.418889
    # UCL_1 = 0.125 + 3 * 0.0330719 * 2.418889 = 0.125 + 0.2399918 = 0.3649918
    # UCL_3 = 0.125 + 3 * 0.01653595 * 2.418889 = 0.125 + 0.1199959 = 0.2449959
    # LCL_3 = 0.125 - 0.1199959 = 0.0050041; LCL_1 < 0 -> 0
    series = pd.DataFrame({"month": ["2026-01", "2026-02", "2026-03", "2026-04"],
                           "n_audits": [100, 200, 400, 100], "n_errors": [10, 30, 40, 20]})
    chart = laney_p_chart(series)
    assert chart.sigma_z[0] == pytest.approx(2.418889, abs=1e-6)
    assert laney_sigma_z(series.n_errors, series.n_audits) == pytest.approx(2.418889, abs=1e-6)
    assert chart.ucl[0] == pytest.approx(0.3649918, abs=1e-6)
    assert chart.ucl[2] == pytest.approx(0.2449959, abs=1e-6)
    assert chart.lcl[2] == pytest.approx(0.0050041, abs=1e-6)
    assert chart.lcl[0] == 0.0
    assert not chart.out_of_control.any()


def test_laney_equal_n_hand_example():
    # x = 10, 20, 10, 20 of 100: p_bar = .15, sigma = sqrt(.1275/100) = 0.0357071,
    # z = -/+ 0.05/0.0357071 = 1.400280; each moving range 2.800560;
    # sigma_z = 2.800560/1.128 = 2.482766
    chart = laney_p_chart(pd.DataFrame({"month": ["a", "b", "c", "d"], "n_audits": [100] * 4,
                                        "n_errors": [10, 20, 10, 20]}))
    assert chart.sigma_z[0] == pytest.approx(2.482766, abs=1e-6)
    assert chart.ucl[0] == pytest.approx(0.15 + 3 * 0.0357071 * 2.482766, abs=1e-6)


def test_qa_domain_note_laney_example():
    # qa-domain.md section 4 publishes only summary figures: weekly error rate about 5% on
    # about 10k audits a week, sigma_z = 1.59, week 6 at 5.60% breaches the p-chart UCL
    # (5.54%) but not the Laney UCL (5.88%). This ten-week series (12,310 audits a week) was
    # constructed to have those figures; the chart must return them and that breach pattern.
    x = [596, 605, 563, 608, 572, 689, 615, 596, 607, 643]
    series = pd.DataFrame({"week": [f"w{i:02d}" for i in range(1, 11)],
                           "n_audits": [12_310] * 10, "n_errors": x})
    plain = p_chart(series, period="week")
    laney = laney_p_chart(series, period="week")
    assert round(laney.sigma_z[5], 2) == 1.59
    assert round(laney.p[5] * 100, 2) == 5.60
    assert round(plain.ucl[5] * 100, 2) == 5.54
    assert round(laney.ucl[5] * 100, 2) == 5.88
    assert plain.beyond_limits.tolist() == [i == 5 for i in range(10)]
    assert not laney.beyond_limits.any()


def test_laney_single_period_has_no_limits_and_zero_rate_is_flat():
    one = laney_p_chart(pd.DataFrame({"month": ["a"], "n_audits": [50], "n_errors": [3]}))
    assert np.isnan(one.sigma_z[0]) and np.isnan(one.ucl[0]) and not one.out_of_control[0]
    zero = laney_p_chart(pd.DataFrame({"month": ["a", "b"], "n_audits": [50, 60],
                                       "n_errors": [0, 0]}))
    assert (zero.sigma_z == 1).all() and (zero.ucl == 0).all() and not zero.beyond_limits.any()


def test_empty_and_zero_n_rows():
    empty = p_chart(pd.DataFrame({"month": [], "n_audits": [], "n_errors": []}))
    assert empty.empty and "ucl" in empty.columns
    chart = p_chart(pd.DataFrame({"month": ["a", "b"], "n_audits": [0, 10], "n_errors": [0, 1]}))
    assert chart.month.tolist() == ["b"]


def test_periods_without_audits_are_listed_and_linked_over():
    """Issue 22: periods with n = 0 were dropped silently. They are still left out of the
    chart (no rate), but listed in attrs, and Laney's moving range links their
    neighbours: sigma_z equals laney_sigma_z of the periods with audits."""
    s = pd.DataFrame({"site": ["a"] * 5 + ["b"] * 3,
                      "month": ["m1", "m2", "m3", "m4", "m5", "m1", "m2", "m3"],
                      "n_audits": [1000, 1200, 0, 900, 1100, 500, 0, 0],
                      "n_errors": [50, 80, 0, 40, 70, 20, 0, 0]})
    chart = laney_p_chart(s, "site")
    gone = chart.attrs["periods_without_audits"]
    assert gone.values.tolist() == [["a", "m3"], ["b", "m2"], ["b", "m3"]]
    assert chart[chart.site == "a"].month.tolist() == ["m1", "m2", "m4", "m5"]
    kept = s[(s.site == "a") & (s.n_audits > 0)]
    assert chart[chart.site == "a"].sigma_z.iloc[0] == pytest.approx(
        laney_sigma_z(kept.n_errors.to_numpy(), kept.n_audits.to_numpy()), rel=1e-12)
    assert p_chart(s.iloc[:2], "site").attrs["periods_without_audits"].empty


# ----------------------------------------------------------------------------- run rules

def _brute_force_rules(p, centre, run_length=8, trend_length=6):
    p, centre = list(p), list(centre)
    side, trend = [], []
    for i in range(len(p)):
        win = range(i - run_length + 1, i + 1)
        side.append(i >= run_length - 1 and (all(p[j] > centre[j] for j in win)
                                             or all(p[j] < centre[j] for j in win)))
        tw = range(i - trend_length + 2, i + 1)
        trend.append(i >= trend_length - 1 and (all(p[j] > p[j - 1] for j in tw)
                                                or all(p[j] < p[j - 1] for j in tw)))
    return side, trend


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.integers(0, 4), min_size=1, max_size=40))
def test_run_rules_match_brute_force(values):
    p = np.array(values, float)
    centre = np.full(len(p), 2.0)
    rules = run_rules(p, centre, np.full(len(p), 0.5), np.full(len(p), 3.5))
    side, trend = _brute_force_rules(p, centre)
    assert rules.run_one_side.tolist() == side
    assert rules.trend.tolist() == trend
    assert rules.beyond_limits.tolist() == [v < 0.5 or v > 3.5 for v in values]
    assert (rules.out_of_control == rules.beyond_limits | rules.run_one_side
            | rules.trend).all()


def test_run_rules_named_cases():
    centre, lo, hi = np.full(9, 5.0), np.zeros(9), np.full(9, 10.0)
    eight_above = run_rules(np.array([6.0] * 8 + [4.0]), centre, lo, hi)
    assert eight_above.run_one_side.tolist() == [False] * 7 + [True, False]
    seven_then_line = run_rules(np.array([6.0] * 7 + [5.0, 6.0]), centre, lo, hi)
    assert not seven_then_line.run_one_side.any()
    falling = run_rules(np.array([9, 8, 7, 6, 5.5, 4, 4, 3, 2.0]), centre, lo, hi)
    assert falling.trend.tolist() == [False] * 5 + [True, False, False, False]
    assert not run_rules(np.array([1, 2, 3, 4, 5.0]), centre[:5], lo[:5], hi[:5]).trend.any()


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(1, 100_000), st.floats(0, 1)), min_size=2,
                     max_size=20))
def test_chart_invariants(rows):
    series = pd.DataFrame({"month": [f"m{i:02d}" for i in range(len(rows))],
                           "n_audits": [n for n, _ in rows],
                           "n_errors": [round(n * f) for n, f in rows]})
    for chart in (p_chart(series), laney_p_chart(series)):
        assert ((chart.lcl >= 0) & (chart.ucl <= 1)).all()
        assert ((chart.lcl <= chart.centre + 1e-15) & (chart.centre <= chart.ucl + 1e-15)).all()
        # Larger subgroups get limits no wider than smaller ones.
        width = chart.sigma * chart.sigma_z
        order = np.argsort(chart.n_audits.to_numpy())
        assert np.all(np.diff(width.to_numpy()[order]) <= 1e-15)


def test_docstring_examples_run():
    assert doctest.testmod(cc).failed == 0


def test_sample_data_planted_jump_is_out_of_control(sample_store):
    # data_samples/README.md: bpo_gamma_hyderabad jumps to 10.6% in 2026-08 (3.3% before,
    # 3.6% after): out of control on its p-chart.
    series = rate_series(sample_store, ["site"])
    for chart in (p_chart(series, "site"), laney_p_chart(series, "site")):
        site = chart[chart.site == "bpo_gamma_hyderabad"].set_index("month")
        assert site.loc["2026-08", "beyond_limits"] and site.loc["2026-08", "p"] > site.ucl["2026-08"]
        assert round(site.loc["2026-08", "p"] * 100, 1) == 10.6
        assert site.beyond_limits.sum() == 1
    laney = laney_p_chart(series, "site")
    # The planted retraining (README effect 8) halves inhouse_singapore's rate from 2026-08:
    # its chart's centre line, drawn over both levels, sits lower, and a high month before
    # the retraining can cross the upper limit. Every other site: only the jump.
    retrained = PLANTED["retraining"]["site"]
    flagged = laney[laney.beyond_limits & (laney.site != retrained)][["site", "month"]]
    assert flagged.values.tolist() == [["bpo_gamma_hyderabad", "2026-08"]]
    early = laney[laney.beyond_limits & (laney.site == retrained)]
    assert (early.month < "2026-08").all() and (early.p > early.ucl).all()
