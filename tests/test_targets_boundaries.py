"""Targets: every status boundary, the month-end intervals by formula, and the documented
guards (found by mutation testing, tests/MUTATION.md).

Expected statuses follow the rule in the module docstring (met: the whole interval on the
good side of the target or on it; missed: the whole interval on the bad side; at risk:
it straddles); expected intervals are computed here with SciPy's t quantile and
statsmodels' Wilson interval.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from qa_insights.business.targets import (
    GIVEN_METHOD,
    attainment,
    attainment_status,
    month_end_projection,
    month_index,
    project_month_end,
    streaks,
    target_attainment,
)
from tests.fixtures_mbr import audits, target, write_folder

HI, LO = "higher_is_better", "lower_is_better"
NAN = float("nan")
OCT = "2026-10"


def _expected_status(lo: float, hi: float, t: float, direction: str) -> str:
    """The documented rule, written with the good side spelled out."""
    good = (lambda v: v >= t) if direction == HI else (lambda v: v <= t)
    if good(lo) and good(hi):
        return "met"
    if not good(lo) and not good(hi):
        return "missed"
    return "at risk"


@pytest.mark.parametrize("direction", [HI, LO])
@pytest.mark.parametrize("lo,hi", [
    (40.0, 40.0),   # the whole interval on the target
    (40.0, 44.0),   # lower bound on the target, upper above
    (36.0, 40.0),   # upper bound on the target, lower below
    (40.5, 44.0),   # just above
    (36.0, 39.5),   # just below
    (39.5, 40.5),   # straddling
])
def test_status_on_and_next_to_the_target_both_directions(direction, lo, hi):
    want = _expected_status(lo, hi, 40.0, direction)
    got = attainment_status([(lo + hi) / 2], [lo], [hi], [40.0], direction)
    assert got.tolist() == [want]


@pytest.mark.parametrize("direction", [HI, LO])
def test_point_on_the_target_without_interval_is_met(direction):
    got = attainment_status([0.95, 0.96, 0.94], [NAN] * 3, [NAN] * 3, 0.95, direction)
    want = ["met", "met", "missed"] if direction == HI else ["met", "missed", "met"]
    assert got.tolist() == want


def test_status_directions_mixed_in_one_call():
    got = attainment_status([0.5, 0.5], [0.4, 0.4], [0.45, 0.45], [0.46, 0.46], [HI, LO])
    assert got.tolist() == ["missed", "met"]


def test_month_index_rejects_bad_months_naming_the_value():
    assert month_index(["2026-01", "2026-12"]).tolist() == [2026 * 12, 2026 * 12 + 11]
    for bad in ["2026-13", "2026-1", "2026-00", "26-01", "2026/01"]:
        with pytest.raises(ValueError, match=f"YYYY-MM.*{bad}"):
            month_index(["2026-01", bad])


def _actuals(months, actual, lo, hi, n=1000.0):
    return pd.DataFrame({"metric": "accuracy", "scope": "org", "scope_value": "",
                         "month": months, "actual": actual, "ci_low": lo, "ci_high": hi,
                         "n": n})


def _targets(months, value=0.95, direction=HI, **extra):
    return pd.DataFrame({"metric": "accuracy", "scope": "org", "scope_value": "",
                         "month": months, "target": value, "direction": direction, **extra})


def test_duplicate_target_is_an_error_naming_the_key():
    t = _targets([OCT, OCT])
    with pytest.raises(ValueError, match=r"accuracy.*org.*2026-10.*more than one target"):
        attainment(_actuals([OCT], [0.96], [0.955], [0.965]), t)


def test_missing_target_column_is_an_error_naming_it():
    with pytest.raises(ValueError, match="direction"):
        attainment(_actuals([OCT], [0.96], [0.955], [0.965]),
                   _targets([OCT]).drop(columns="direction"))


def test_method_absent_blank_or_given():
    a = _actuals(["2026-08", "2026-09", OCT], [0.96] * 3, [0.955] * 3, [0.965] * 3)
    without = attainment(a, _targets(["2026-08", "2026-09", OCT]))
    assert without["method"].tolist() == [GIVEN_METHOD] * 3
    with_col = attainment(a, _targets(["2026-08", "2026-09", OCT],
                                      method=["cascade", "  ", None]))
    assert with_col["method"].tolist() == ["cascade", GIVEN_METHOD, GIVEN_METHOD]


def test_attainment_gap_point_meets_and_interval_column():
    a = _actuals(["2026-09", OCT], [0.94, 0.96], [NAN, 0.955], [NAN, 0.965])
    out = attainment(a, _targets(["2026-09", OCT], value=0.95, direction=LO))
    assert out["gap"].tolist() == pytest.approx([0.94 - 0.95, 0.96 - 0.95])
    assert out["point_meets"].tolist() == [True, False]
    assert out["interval"].tolist() == ["none", "given"]
    assert out["status"].tolist() == ["met", "missed"]


def test_a_missing_actual_does_not_meet_and_has_no_data():
    out = attainment(_actuals([OCT], [0.96], [0.955], [0.965]), _targets(["2026-09", OCT]))
    assert out["status"].tolist() == ["no data", "met"]
    assert out["point_meets"].tolist() == [False, True]


def test_streaks_of_an_empty_frame_and_of_separate_series():
    empty = pd.DataFrame({"metric": [], "scope": [], "scope_value": [], "month": [],
                          "status": []})
    assert streaks(empty).tolist() == []
    f = pd.DataFrame({"metric": ["a", "a", "b", "b"], "scope": "org", "scope_value": "",
                      "month": ["2026-01", "2026-02", "2026-01", "2026-02"],
                      "status": ["met", "met", "met", "met"]})
    # Rows given out of order: the result follows the input's row order.
    order = [3, 0, 2, 1]
    assert streaks(f.iloc[order]).tolist() == [[1, 2, 1, 2][i] for i in order]


# ------------------------------------------------------------------ month-end projection


def _mean_row(n=40.0, actual=50.0, sd=12.0):
    return pd.DataFrame({"metric": ["handle_time_s"], "site": ["x"], "actual": [actual],
                         "n": [n], "sd": [sd], "interval": ["t"], "ci_low": [1.0],
                         "ci_high": [2.0]})


@pytest.mark.parametrize("confidence", [0.95, 0.8])
def test_projection_of_a_mean_by_formula(confidence):
    n, p, sd, d, days = 40.0, 50.0, 12.0, 10, 30
    m = round(n * (days - d) / d)
    q = stats.t.ppf(1 - (1 - confidence) / 2, n - 1)
    r = project_month_end(_mean_row(n, p, sd), d, days, confidence=confidence).iloc[0]
    assert r["projected_n"] == n + m
    assert r["n_to_date"] == n and r["actual_to_date"] == p and r["projected"] == p
    half = q * sd * math.sqrt(m / (n * (n + m)))
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((p - half, p + half), rel=1e-12)
    end = q * sd / math.sqrt(n + m)
    assert (r["month_end_ci_low"], r["month_end_ci_high"]) == pytest.approx(
        (p - end, p + end), rel=1e-12)
    assert r["site"] == "x" and r["interval"] == "t"


def test_projection_of_a_proportion_month_end_interval_is_wilson():
    mtd = pd.DataFrame({"metric": ["accuracy"], "actual": [0.9], "n": [200.0],
                        "successes": [180.0], "sd": [0.3], "interval": ["wilson"]})
    r = project_month_end(mtd, 7, 28).iloc[0]
    assert r["projected_n"] == 800
    lo, hi = proportion_confint(0.9 * 800, 800, alpha=0.05, method="wilson")
    assert (r["month_end_ci_low"], r["month_end_ci_high"]) == pytest.approx((lo, hi),
                                                                             rel=1e-9)
    assert r["ci_low"] < 0.9 < r["ci_high"]


def test_projection_of_a_mean_from_one_audit_has_no_interval():
    r = project_month_end(_mean_row(n=1.0), 10, 30).iloc[0]
    assert math.isnan(r["ci_low"]) and math.isnan(r["month_end_ci_high"])


def test_rows_without_interval_are_not_projected():
    rows = pd.concat([_mean_row(), _mean_row().assign(interval="none", metric="cost")])
    assert project_month_end(rows, 10, 30)["metric"].tolist() == ["handle_time_s"]


@pytest.mark.parametrize("elapsed,days", [(0, 30), (31, 30), (-1, 30)])
def test_days_elapsed_out_of_range_is_an_error(elapsed, days):
    with pytest.raises(ValueError, match="days_elapsed"):
        project_month_end(_mean_row(), elapsed, days)


def test_first_and_last_day_are_allowed():
    first = project_month_end(_mean_row(n=10.0), 1, 30).iloc[0]
    assert first["projected_n"] == 10 + 10 * 29
    last = project_month_end(_mean_row(n=10.0), 30, 30).iloc[0]
    assert last["projected_n"] == 10 and last["ci_low"] == last["ci_high"] == 50.0


@pytest.fixture(scope="module")
def as_of_store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("as_of")
    store = write_folder(
        tmp,
        audits=[audits(OCT, "a", "spam", 200, 4, day=9),
                audits(OCT, "b", "spam", 100, 30, day=10),
                audits(OCT, "c", "spam", 50, 0, day=11),
                audits("2026-09", "a", "spam", 100, 1, day=20)],
        targets=[target("accuracy", "site", "a", OCT, 0.95, HI),
                 target("accuracy", "site", "b", OCT, 0.95, HI),
                 target("accuracy", "site", "a", "2026-09", 0.95, HI),
                 target("accuracy", "site", "b", "2026-11", 0.95, HI)])
    yield store
    store.close()


def test_projection_keeps_the_as_of_days_own_audits(as_of_store):
    got = month_end_projection(as_of_store, "2026-10-10", scopes=["site"],
                               metrics=["accuracy"])
    assert sorted(got["scope_value"]) == ["a", "b"]       # day 10 in, day 11 out
    b = got[got["scope_value"] == "b"].iloc[0]
    assert (b["n_to_date"], b["projected"]) == (100, pytest.approx(0.7))
    assert b["projected_n"] == round(100 * 31 / 10)
    assert b["as_of"] == "2026-10-10" and b["month"] == OCT
    # b is 0.70 at n = 310: Wilson upper bound far below 0.95.
    assert proportion_confint(0.7 * 310, 310, method="wilson")[1] < 0.95
    assert b["status"] == "missed"
    a = got[got["scope_value"] == "a"].iloc[0]
    assert a["target"] == 0.95 and a["direction"] == HI
    assert month_end_projection(as_of_store, "2026-10-09", scopes=["site"],
                                metrics=["accuracy"])["scope_value"].tolist() == ["a"]


def test_projection_without_a_target_has_no_data(as_of_store):
    got = month_end_projection(as_of_store, "2026-10-11", scopes=["site"],
                               metrics=["accuracy"])
    c = got[got["scope_value"] == "c"].iloc[0]
    assert math.isnan(c["target"]) and c["status"] == "no data"


def test_target_attainment_months_keeps_earlier_months_for_streaks(as_of_store):
    got = target_attainment(as_of_store, OCT)
    assert set(got["month"]) == {OCT}
    a = got[got["scope_value"] == "a"].iloc[0]
    # 2026-09: 99/100, Wilson lower bound 0.945 < 0.95 (at risk); 2026-10: 196/200 likewise.
    assert proportion_confint(99, 100, method="wilson")[0] < 0.95
    assert proportion_confint(196, 200, method="wilson")[0] < 0.95
    assert (a["status"], a["streak"]) == ("at risk", 2)
    every = target_attainment(as_of_store)
    assert sorted(set(every["month"])) == ["2026-09", OCT, "2026-11"]
    later = every[every["month"] == "2026-11"].iloc[0]
    assert later["status"] == "no data"


@pytest.mark.parametrize("x,n,days_elapsed,confidence", [(3, 100, 10, 0.9),
                                                          (2, 10, 1, 0.95)])
def test_projection_of_a_proportion_is_the_jeffreys_beta_binomial_by_formula(
        x, n, days_elapsed, confidence):
    # Jeffreys Beta(x + 1/2, n - x + 1/2) rate, then m = n (30 - d) / d audits to come.
    mtd = pd.DataFrame({"metric": ["critical_error_rate"], "actual": [x / n], "n": [float(n)],
                        "successes": [float(x)], "sd": [0.17], "interval": ["wilson"]})
    r = project_month_end(mtd, days_elapsed, 30, confidence=confidence).iloc[0]
    m = round(n * (30 - days_elapsed) / days_elapsed)
    tail = (1 - confidence) / 2
    low = (x + stats.betabinom.ppf(tail, m, x + 0.5, n - x + 0.5)) / (n + m)
    high = (x + stats.betabinom.ppf(1 - tail, m, x + 0.5, n - x + 0.5)) / (n + m)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((low, high), rel=1e-12)


@pytest.mark.parametrize("direction", [HI, LO])
def test_a_point_exactly_on_the_target_meets_it(direction):
    a = _actuals(["2026-09", OCT], [0.95, 0.95], [0.94, NAN], [0.96, NAN])
    out = attainment(a, _targets(["2026-09", OCT], value=0.95, direction=direction))
    assert out["gap"].tolist() == [0.0, 0.0]
    assert out["point_meets"].tolist() == [True, True]
    assert out["status"].tolist() == ["at risk", "met"]


def test_month_end_projection_column_order(as_of_store):
    got = month_end_projection(as_of_store, "2026-10-10", scopes=["site"],
                               metrics=["accuracy"])
    cols = got.columns.tolist()
    assert cols[:7] == ["metric", "scope", "scope_value", "month", "as_of", "days_elapsed",
                        "days_in_month"]
    assert cols[7:13] == ["n_to_date", "actual_to_date", "projected_n", "projected",
                          "ci_low", "ci_high"]
    assert cols[-3:] == ["target", "direction", "status"]
    assert got["days_in_month"].tolist() == [31, 31]


def test_blank_scope_values_match_whichever_side_has_them_missing():
    # An org row's scope_value is empty; read from CSV it may be NaN on either side.
    a = _actuals([OCT], [0.96], [0.955], [0.965])
    t = _targets([OCT]).assign(scope_value=None)
    assert attainment(a, t)[["scope_value", "status"]].values.tolist() == [["", "met"]]
    a_nan = a.assign(scope_value=None)
    assert attainment(a_nan, _targets([OCT]))["status"].tolist() == ["met"]


def test_projection_of_a_mean_from_two_audits_uses_one_degree_of_freedom():
    r = project_month_end(_mean_row(n=2.0, actual=40.0, sd=10.0), 10, 30).iloc[0]
    end = stats.t.ppf(0.975, 1) * 10.0 / math.sqrt(2 + 4)
    assert (r["month_end_ci_low"], r["month_end_ci_high"]) == pytest.approx(
        (40.0 - end, 40.0 + end), rel=1e-12)
