"""Control charts: run rules on constructed series, degenerate series, exact columns
(found by mutation testing, tests/MUTATION.md).

Expected flags are read off the constructed series by the rule's wording (Nelson 1984:
the 8th point in a row on one side; the 6th point of a steady rise or fall); limits are
computed here with the Montgomery section 7.2 formulas.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from qa_insights.stats.control_charts import laney_p_chart, laney_sigma_z, p_chart, run_rules

RULE_COLUMNS = ["beyond_limits", "run_one_side", "trend", "out_of_control"]


def _rules(p, centre=10.0, lcl=0.0, ucl=20.0, **kw):
    p = np.asarray(p, float)
    return run_rules(p, np.full(len(p), centre), np.full(len(p), lcl), np.full(len(p), ucl),
                     **kw)


@pytest.mark.parametrize("side", [+1, -1])
def test_eighth_point_on_one_side_is_out_of_control(side):
    # Alternating 1 and 2 away from the centre: no trend, within limits.
    p = [10 + side * (1 + i % 2) for i in range(9)]
    r = _rules(p)
    want = [False] * 7 + [True, True]
    assert r["run_one_side"].tolist() == want
    assert r["out_of_control"].tolist() == want
    assert not r["trend"].any() and not r["beyond_limits"].any()


def test_a_point_on_the_centre_line_or_across_it_ends_the_run():
    p = [11, 12] * 3 + [10] + [11, 12] * 3 + [9, 11]
    r = _rules(p)
    assert not r["run_one_side"].any() and not r["out_of_control"].any()


def test_run_length_parameter():
    p = [11, 12, 11, 12]
    assert _rules(p, run_length=3)["run_one_side"].tolist() == [False, False, True, True]


@pytest.mark.parametrize("step", [+1, -1])
def test_sixth_point_of_a_steady_rise_or_fall_is_out_of_control(step):
    # Crossing the centre line so that no run on one side forms.
    p = [10 + step * (i - 3) * 0.5 for i in range(7)]
    r = _rules(p)
    want = [False] * 5 + [True, True]
    assert r["trend"].tolist() == want
    assert r["out_of_control"].tolist() == want
    assert not r["run_one_side"].any() and not r["beyond_limits"].any()


def test_an_equal_step_breaks_a_trend():
    p = [8, 9, 10, 10, 11, 12, 13]
    assert not _rules(p)["trend"].any()
    assert _rules(p, trend_length=4)["trend"].tolist() == [False] * 6 + [True]


def test_beyond_either_limit_only():
    r = _rules([10, 21, 10, -1, 10, 20, 0])
    want = [False, True, False, True, False, False, False]
    assert r["beyond_limits"].tolist() == want
    assert r["out_of_control"].tolist() == want
    assert list(r.columns) == RULE_COLUMNS


def _series(x, n, months=None):
    months = months or [f"2026-{i + 1:02d}" for i in range(len(x))]
    return pd.DataFrame({"month": months, "n_audits": n, "n_errors": x})


def test_p_chart_columns_limits_and_sigma_by_formula():
    s = _series([5, 12, 7, 30], [100, 200, 150, 300])
    chart = p_chart(s, sigma=2.0)
    assert list(chart.columns) == ["month", "n_errors", "n_audits", "p", "centre", "sigma",
                                   "sigma_z", "lcl", "ucl", *RULE_COLUMNS]
    p_bar = 54 / 750
    sd = np.sqrt(p_bar * (1 - p_bar) / np.array([100, 200, 150, 300]))
    np.testing.assert_allclose(chart["centre"], p_bar)
    np.testing.assert_allclose(chart["sigma"], sd)
    np.testing.assert_allclose(chart["lcl"], np.clip(p_bar - 2 * sd, 0, 1))
    np.testing.assert_allclose(chart["ucl"], p_bar + 2 * sd)
    assert (chart["sigma_z"] == 1.0).all()


def test_by_group_charts_have_their_own_centre_and_exact_columns():
    s = pd.concat([_series([5, 6, 7], [100] * 3).assign(site="a"),
                   _series([50, 60, 70], [100] * 3).assign(site="b")])
    chart = laney_p_chart(s, by="site")
    assert list(chart.columns) == ["site", "month", "n_errors", "n_audits", "p", "centre",
                                   "sigma", "sigma_z", "lcl", "ucl", *RULE_COLUMNS]
    assert chart.groupby("site")["centre"].first().to_dict() == pytest.approx(
        {"a": 0.06, "b": 0.6})
    assert chart.index.tolist() == list(range(6))


def test_laney_limits_are_widened_by_sigma_z():
    x, n = np.array([500, 575, 440, 505]), np.array([10_000] * 4)
    chart = laney_p_chart(_series(x, n))
    p_bar = x.sum() / n.sum()
    z = (x / n - p_bar) / np.sqrt(p_bar * (1 - p_bar) / n)
    s_z = np.mean(np.abs(np.diff(z))) / 1.128
    np.testing.assert_allclose(chart["sigma_z"], s_z)
    np.testing.assert_allclose(chart["ucl"], p_bar + 3 * chart["sigma"] * s_z)
    np.testing.assert_allclose(chart["lcl"], p_bar - 3 * chart["sigma"] * s_z)


@pytest.mark.parametrize("errors", [0, 1])
def test_all_errors_or_none_has_sigma_z_one_and_flat_limits(errors):
    n = np.array([100, 200, 50])
    assert laney_sigma_z(errors * n, n) == 1.0
    chart = laney_p_chart(_series(errors * n, n))
    assert (chart["sigma_z"] == 1.0).all()
    assert (chart["lcl"] == errors).all() and (chart["ucl"] == errors).all()
    assert not chart["out_of_control"].any()


def test_one_period_has_no_laney_limits_and_empty_input_keeps_columns():
    assert math.isnan(laney_sigma_z(np.array([5]), np.array([100])))
    one = laney_p_chart(_series([5], [100]))
    assert math.isnan(one["sigma_z"][0]) and math.isnan(one["ucl"][0])
    empty = p_chart(_series([0, 0], [0, 0]))
    assert empty.empty
    assert list(empty.columns)[-10:] == ["p", "centre", "sigma", "sigma_z", "lcl", "ucl",
                                         *RULE_COLUMNS]


def test_rows_without_audits_are_dropped():
    chart = p_chart(_series([5, 0, 7], [100, 0, 100]))
    assert chart["month"].tolist() == ["2026-01", "2026-03"]
    assert chart["centre"][0] == pytest.approx(12 / 200)


def test_a_group_with_a_missing_label_keeps_its_own_chart():
    s = pd.concat([_series([5, 6, 7], [100] * 3).assign(site="a"),
                   _series([50, 60, 70], [100] * 3).assign(site=None)])
    chart = p_chart(s, by="site")
    assert len(chart) == 6
    missing = chart[chart["site"].isna()]
    assert missing["centre"].tolist() == pytest.approx([0.6] * 3)
