"""Savings register: a hand-computed case, the interval's variance against simulation, a
null simulation (initiatives that deliver their plan are not called behind, binomial bound
over seeds), a planted shortfall found, and the sample data's planted missed saving."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from qa_insights.business.savings import realised_saving, savings_register, store_savings
from qa_insights.data.sample_operations import PLANTED_OPERATIONS


def test_hand_case() -> None:
    monthly = pd.DataFrame({"month": ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05",
                                      "2026-06"],
                            "items_handled": [100, 100, 100, 200, 100, 100],
                            "cost": [100.0, 110.0, 90.0, 180.0, 95.0, 85.0]})
    r = realised_saving(monthly, "2026-04", 10.0, min_months=3, level=0.95)
    # Cost per item before: 1.0, 1.1, 0.9 -> 1.0; counterfactual 200, 100, 100.
    assert r["counterfactual"] == pytest.approx(400.0)
    assert r["actual"] == pytest.approx(360.0)
    assert r["realised"] == pytest.approx((20 + 5 + 15) / 3)
    # sigma^2 pooled: before 0.02 (sum of squares) + after (0.9, 0.95, 0.85) 0.005, df 4.
    sigma2 = (0.02 + 0.005) / 4
    v = np.array([200.0, 100.0, 100.0])
    se = np.sqrt(sigma2 * (v.mean() ** 2 / 3 + (v ** 2).sum() / 9))
    t = stats.t.ppf(0.95, 4)
    assert r["realised_low"] == pytest.approx(r["realised"] - t * se)
    assert r["realised_high"] == pytest.approx(r["realised"] + t * se)
    assert r["status"] == "on track"


def test_too_early_and_months_after_the_report_are_not_counted() -> None:
    monthly = pd.DataFrame({"month": ["2026-01", "2026-02", "2026-03"],
                            "items_handled": [10, 10, 10], "cost": [10.0, 10.0, 5.0]})
    assert realised_saving(monthly, "2026-03", 1.0)["status"] == "too early"
    assert realised_saving(monthly, "2026-03", 1.0, month="2026-02")["months_after"] == 0


def _simulate(rng: np.random.Generator, n: int, true_saving_share: float, k: int = 6,
              m: int = 6) -> list[pd.DataFrame]:
    """``n`` scopes with cost per item 1 +/- 0.03 a month and volume 10,000 +/- 10%; from
    month k on the cost per item falls by ``true_saving_share``."""
    frames = []
    months = [f"2025-{i + 1:02d}" if i < 12 else f"2026-{i - 11:02d}" for i in range(k + m)]
    for _ in range(n):
        items = rng.normal(10_000, 1_000, k + m).round()
        cpi = 1 + rng.normal(0, 0.03, k + m)
        cpi[k:] -= true_saving_share
        frames.append(pd.DataFrame({"month": months, "items_handled": items,
                                    "cost": items * cpi}))
    return frames


def test_interval_variance_matches_simulation() -> None:
    """The standard error of the realised saving equals the spread of the estimate over
    simulated scopes (within 10%)."""
    rng = np.random.default_rng(1)
    frames = _simulate(rng, 600, 0.0)
    start = frames[0]["month"].iloc[6]
    res = [realised_saving(f, start, 0.0, level=stats.norm.cdf(1)) for f in frames]
    estimates = np.array([r["realised"] for r in res])
    half = np.array([r["realised_high"] - r["realised"] for r in res])
    t1 = stats.t.ppf(stats.norm.cdf(1), 10)
    assert np.mean(half / t1) == pytest.approx(estimates.std(ddof=1), rel=0.10)


def test_null_initiatives_that_deliver_are_not_behind() -> None:
    """200 registers of 3 initiatives each saving exactly their plan: "behind" in at most
    alpha of the registers (binomial 99.9% bound)."""
    rng = np.random.default_rng(2)
    n_reg, alpha = 200, 0.05
    flagged = 0
    for _ in range(n_reg):
        frames = _simulate(rng, 3, 0.05)
        start = frames[0]["month"].iloc[6]
        register = pd.DataFrame({"initiative": ["a", "b", "c"], "scope": "site",
                                 "scope_value": ["a", "b", "c"], "start_month": start,
                                 "planned_monthly_saving": 500.0, "currency": "USD"})
        out = savings_register(register, {("site", s): f for s, f in zip("abc", frames,
                                                                            strict=True)},
                               frames[0]["month"].iloc[-1], alpha=alpha)
        flagged += bool((out["status"] == "behind").any())
    assert flagged <= stats.binom.ppf(0.999, n_reg, alpha)


def test_planted_shortfall_is_found() -> None:
    """An initiative planned at 10% of cost that saves nothing is behind in nearly every
    simulation."""
    rng = np.random.default_rng(3)
    found = 0
    for f in _simulate(rng, 200, 0.0):
        r = realised_saving(f, f["month"].iloc[6], 1000.0, level=1 - 0.05 / 3)
        found += r["status"] == "behind"
    assert found >= 190


def test_mixed_currency_is_an_error() -> None:
    register = pd.DataFrame({"initiative": ["a", "b"], "scope": "org", "scope_value": None,
                             "start_month": "2026-01", "planned_monthly_saving": 1.0,
                             "currency": ["USD", "EUR"]})
    with pytest.raises(ValueError, match="expected one currency"):
        savings_register(register, {}, "2026-10")


def test_sample_finds_the_missed_saving(sample_store) -> None:
    out = store_savings(sample_store, "2026-10").set_index("initiative")
    missed = PLANTED_OPERATIONS["missed_saving"]["initiative"]
    done = PLANTED_OPERATIONS["delivered_saving"]["initiative"]
    assert out.loc[missed, "status"] == "behind"
    assert out.loc[done, "status"] == "on track"
    assert out.loc[done, "realised_low"] <= out.loc[done, "planned"]
    assert set(out["currency"]) == {"USD"}
