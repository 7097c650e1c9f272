"""Tests of qa_insights.quality.trends: series vs the pandas reference, period changes vs
statsmodels (Newcombe interval, z test) and scipy (Fisher exact)."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from qa_insights.quality import trends
from qa_insights.quality.metrics import quality_summary
from qa_insights.quality.trends import (
    month_over_month,
    period_changes,
    rate_series,
    shift_period,
    year_over_year,
)
from tests.fixtures_metrics import random_audits, reference_counts, store_from


def _months(start: str, count: int) -> list[str]:
    return pd.period_range(start, periods=count, freq="M").strftime("%Y-%m").tolist()


def _random_monthly(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for site in ("a", "b", "c"):
        months = sorted(rng.choice(_months("2024-11", 26), size=20, replace=False))
        for m in months:
            n = int(rng.integers(5, 3000))
            rows.append({"site": site, "month": m, "n_audits": n,
                         "n_errors": int(rng.binomial(n, rng.uniform(0.001, 0.15)))})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("lag", [1, 12])
def test_period_changes_match_peers(seed, lag):
    series = _random_monthly(seed)
    got = period_changes(series, ["site"], "month", lag)
    assert len(got) == len(series)
    index = series.set_index(["site", "month"])
    for row in got.itertuples(index=False):
        expected_prev = (pd.Period(row.month, "M") - lag).strftime("%Y-%m")
        assert row.previous == expected_prev
        if (row.site, expected_prev) not in index.index:
            assert row.n_previous == 0 and np.isnan(row.p_value) and not row.significant
            assert row.test == "none (no previous period)"
            continue
        prev = index.loc[(row.site, expected_prev)]
        x1, n1, x2, n2 = row.x, row.n, int(prev.n_errors), int(prev.n_audits)
        assert (row.x_previous, row.n_previous) == (x2, n2)
        assert row.difference == pytest.approx(x1 / n1 - x2 / n2)
        low, high = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb")
        assert (row.ci_low, row.ci_high) == pytest.approx((float(low), float(high)), rel=1e-9)
        pooled = (x1 + x2) / (n1 + n2)
        small = min(n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled)) < 5
        if small:
            assert row.test == "Fisher exact"
            ref = stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]]).pvalue
        else:
            assert row.test == "two-proportion z"
            ref = proportions_ztest([x1, x2], [n1, n2])[1]
        assert row.p_value == pytest.approx(float(ref), rel=1e-8)
        assert row.significant == (row.p_value < 0.05)


def test_year_over_year_pairs_same_month_last_year():
    series = pd.DataFrame({"month": ["2025-10", "2026-09", "2026-10"],
                           "n_audits": [2000, 2000, 2000], "n_errors": [100, 60, 60]})
    yoy = year_over_year(series).set_index("month")
    assert yoy.loc["2026-10", "previous"] == "2025-10"
    assert yoy.loc["2026-10", "difference"] == pytest.approx(0.03 - 0.05)
    assert yoy.loc["2026-10", "significant"]
    mom = month_over_month(series).set_index("month")
    assert mom.loc["2026-10", "difference"] == 0 and not mom.loc["2026-10", "significant"]


def test_other_rate_columns_and_alpha():
    series = pd.DataFrame({"month": ["2026-09", "2026-10"], "n_audits": [4000, 4000],
                           "n_critical": [40, 62]})
    res = month_over_month(series, count="n_critical", alpha=0.10).iloc[1]
    assert res.rate == pytest.approx(62 / 4000)
    strict = month_over_month(series, count="n_critical", alpha=0.001).iloc[1]
    assert res.p_value == strict.p_value
    assert res.significant and not strict.significant


def test_shift_period_weeks_and_months():
    assert shift_period(pd.Series(["2026-01-05"]), "week", 2).tolist() == ["2025-12-22"]
    assert shift_period(pd.Series(["2026-03"]), "month", 1).tolist() == ["2026-02"]
    with pytest.raises(ValueError, match="period"):
        shift_period(pd.Series(["2026-03"]), "quarter", 1)


def test_bad_lag_is_refused():
    with pytest.raises(ValueError, match="lag"):
        period_changes(pd.DataFrame({"month": ["2026-01"], "n_audits": [1], "n_errors": [0]}),
                       lag=0)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    audits = random_audits(3, n=900, months=("2026-08", "2026-09", "2026-10"))
    s = store_from(tmp_path_factory.mktemp("trends"), audits)
    yield audits, s
    s.close()


def test_rate_series_matches_reference_and_summary(store):
    audits, s = store
    series = rate_series(s, ["site"], min_n=10)
    pd.testing.assert_frame_equal(series, quality_summary(s, ["site", "month"], min_n=10))
    ref = reference_counts(audits).groupby(["site", "month"]).n_errors.sum()
    assert series.set_index(["site", "month"]).n_errors.to_dict() == ref.to_dict()


def test_weekly_series_and_week_over_week(store):
    audits, s = store
    weekly = rate_series(s, period="week", filters={"queue": "spam"})
    ts = pd.to_datetime(audits.audited_at, utc=True).dt.tz_localize(None)
    monday = (ts.dt.normalize() - pd.to_timedelta(ts.dt.day_of_week, unit="D"))
    expected = monday[audits.queue == "spam"].dt.strftime("%Y-%m-%d").value_counts()
    assert weekly.set_index("week").n_audits.to_dict() == expected.sort_index().to_dict()
    changes = period_changes(weekly, period="week")
    dates = pd.to_datetime(changes.week)
    assert (pd.to_datetime(changes.previous) == dates - pd.Timedelta(days=7)).all()


def test_rate_series_refuses_period_in_by(store):
    _, s = store
    with pytest.raises(ValueError, match="period"):
        rate_series(s, ["month"])
    with pytest.raises(ValueError, match="period must be one of"):
        rate_series(s, [], period="quarter")


def test_docstring_examples_run():
    assert doctest.testmod(trends).failed == 0


def test_sample_data_planted_mix_shift_raises_org_rate_significantly(sample_store):
    # data_samples/README.md: the org error rate rises from 3.11% (2026-09) to 4.63%
    # (2026-10), two-proportion test p < 0.01.
    org = rate_series(sample_store)
    change = month_over_month(org).set_index("month").loc["2026-10"]
    assert (round(change.rate_previous * 100, 2), round(change.rate * 100, 2)) == (3.11, 4.63)
    assert change.test == "two-proportion z" and change.p_value < 0.01 and change.significant
    assert change.ci_low > 0
