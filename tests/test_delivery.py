"""Delivery: SLA attainment and backlog by hand, the prediction bound against its formula
and its error rate on simulated stable months (silent on null data across seeds, binomial
bound), a planted drop found, the sample's planted SLA drop with backlog (and nothing in
the null world), weekly trends and staffing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from qa_insights.business.delivery import (
    sla_by_month,
    sla_drops,
    staffing,
    store_sla_by_month,
    unusual_month,
    weekly_trend,
)
from qa_insights.data.opening import open_store
from qa_insights.data.sample_data import generate
from qa_insights.data.sample_operations import PLANTED_OPERATIONS


def test_sla_by_month_hand_case() -> None:
    v = pd.DataFrame({"site": ["a", "a", "b"], "month": ["2026-10"] * 3,
                      "items_due": [100, 100, 50], "items_within_sla": [90, 80, 50],
                      "backlog_end": [3, 4, 1]})
    out = sla_by_month(v, "site").set_index("group")
    assert out.loc["a", "attainment"] == pytest.approx(0.85)
    assert out.loc["a", "backlog_end"] == 7
    assert out.loc["b", "attainment_ci_high"] == pytest.approx(1.0)


def test_unusual_month_equals_the_prediction_bound() -> None:
    h = np.array([0.95, 0.96, 0.94, 0.955])
    k, m, s = h.size, h.mean(), h.std(ddof=1)
    bound = m - stats.t.ppf(0.99, k - 1) * s * np.sqrt(1 + 1 / k)
    r = unusual_month(h, bound - 1e-9, direction="lower", level=0.99)
    assert r["bound"] == pytest.approx(bound) and r["flagged"]
    assert not unusual_month(h, bound + 1e-9, direction="lower", level=0.99)["flagged"]
    # Backlog on the log scale: the bound is exp of the log-scale bound.
    b = np.array([100.0, 120.0, 90.0, 110.0])
    lb = np.log(b)
    up = np.exp(lb.mean() + stats.t.ppf(0.95, 3) * lb.std(ddof=1) * np.sqrt(1 + 1 / 4))
    assert unusual_month(b, 1.0, direction="higher", log=True)["bound"] == pytest.approx(up)
    # Too little history: no bound, no flag.
    assert not unusual_month(h[:2], 0.0, direction="lower")["flagged"]


def _stable(rng: np.random.Generator, groups: int, months: int, drop: float = 0.0
            ) -> pd.DataFrame:
    """Monthly attainment 95% +/- 0.6 pts (site-month noise) on 50,000 items a month;
    ``drop`` points off the first group's last month, whose backlog also quadruples."""
    names = [f"s{g}" for g in range(groups)]
    month = [f"2026-{i + 1:02d}" for i in range(months)]
    g, mo = np.meshgrid(names, month, indexing="ij")
    due = np.full(g.shape, 50_000)
    att = 0.95 + rng.normal(0, 0.006, g.shape)
    backlog = 2000 * np.exp(rng.normal(0, 0.08, g.shape))
    att[0, -1] -= drop
    if drop:
        backlog[0, -1] *= 4
    return pd.DataFrame({"site": g.ravel(), "month": mo.ravel(), "items_due": due.ravel(),
                         "items_within_sla": rng.binomial(due.ravel(), att.ravel()),
                         "backlog_end": backlog.ravel().round()})


@pytest.mark.slow
def test_silent_on_stable_months() -> None:
    """300 simulated organisations of 8 sites with stable months: any site called
    dropped (or backlog risen) in at most alpha of them (binomial 99.9% bound)."""
    rng = np.random.default_rng(4)
    n_sims, alpha = 300, 0.05
    dropped = rose = 0
    for _ in range(n_sims):
        out = sla_drops(sla_by_month(_stable(rng, 8, 7), "site"), "2026-07", alpha=alpha)
        dropped += bool(out["sla_dropped"].any())
        rose += bool(out["backlog_rose"].any())
    bound = stats.binom.ppf(0.999, n_sims, alpha)
    assert dropped <= bound and rose <= bound


def test_planted_drop_is_found() -> None:
    rng = np.random.default_rng(5)
    found = 0
    for _ in range(40):
        out = sla_drops(sla_by_month(_stable(rng, 8, 7, drop=0.08), "site"), "2026-07")
        hit = out.set_index("group").loc["s0"]
        found += bool(hit["sla_dropped"] and hit["backlog_rose"])
        assert out.loc[out["group"] != "s0", "sla_dropped"].sum() <= 1
    assert found >= 38


def test_staffing_without_a_plan() -> None:
    v = pd.DataFrame({"site": ["a", "a"], "items_handled": [100, 300],
                      "productive_hours": [10.0, 30.0], "headcount": [0.25, 0.25]})
    out = staffing(v, hours_per_fte=100.0)
    assert out.loc[0, "items_per_hour"] == pytest.approx(10.0)
    assert out.loc[0, "utilisation"] == pytest.approx(0.8)
    assert np.isnan(out.loc[0, "hours_vs_plan_pct"])


def _drops(store) -> pd.DataFrame:
    monthly = pd.concat([store_sla_by_month(store), store_sla_by_month(store, "site")])
    return sla_drops(monthly, "2026-10").set_index("group")


def test_sample_finds_the_planted_sla_drop(sample_store) -> None:
    out = _drops(sample_store)
    site = PLANTED_OPERATIONS["sla_drop"]["site"]
    assert out.loc[site, "sla_dropped"] and out.loc[site, "backlog_rose"]
    others = out.drop(index=[site, "org"])
    assert not others["sla_dropped"].any() and not others["backlog_rose"].any()


def test_null_world_claims_no_drop(tmp_path: Path) -> None:
    generate(tmp_path, planted=False)
    with open_store(tmp_path) as store:
        out = _drops(store)
    assert not out["sla_dropped"].any() and not out["backlog_rose"].any()


def test_weekly_trend_adds_up_to_the_months(sample_store) -> None:
    weeks = weekly_trend(sample_store, ["2026-09", "2026-10"])
    n = sample_store.query("SELECT count(*) AS n FROM audits WHERE month IN "
                           "('2026-09', '2026-10')")["n"].iloc[0]
    assert weeks["n_audits"].sum() == n
    assert (pd.to_datetime(weeks["week"]).dt.day_of_week == 0).all()
    assert (weeks["handle_time_ci_low_s"] < weeks["handle_time_mean_s"]).all()


def test_weekly_trend_of_one_site_is_that_sites_audits(sample_store) -> None:
    site = "bpo_beta_cebu"
    weeks = weekly_trend(sample_store, ["2026-09", "2026-10"],
                         filters={"site": site, "month": "ignored: the months argument wins"})
    raw = sample_store.query(
        "SELECT date_trunc('week', audited_at)::DATE::VARCHAR AS week, is_error, handle_time_s "
        "FROM audits WHERE month IN ('2026-09', '2026-10') AND site = ?", [site])
    expected = raw.groupby("week").agg(n=("is_error", "size"), errors=("is_error", "sum"),
                                       ht=("handle_time_s", "mean")).reset_index()
    got = weeks.assign(week=weeks["week"].astype(str)).merge(expected, on="week")
    assert len(got) == len(weeks) == len(expected)
    assert (got["n_audits"] == got["n"]).all() and (got["n_errors"] == got["errors"]).all()
    assert np.allclose(got["handle_time_mean_s"], got["ht"])


def test_absent_columns_give_none(tmp_path: Path) -> None:
    from tests.fixtures_data import audit_row, write_audits
    write_audits(tmp_path, [audit_row()])
    with open_store(tmp_path) as store:
        assert store_sla_by_month(store) is None
