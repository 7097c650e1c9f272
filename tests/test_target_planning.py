"""Target planning: methods side by side against hand-computed cases, the chance of meeting
against the normal distribution and a simulation, the cascade identity (property test), the
draft in the contract's shape and the ``targets plan`` command."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_insights.business.actuals import metric_actuals
from qa_insights.business.target_planning import (
    METRIC_RULES,
    PLAN_METHODS,
    ambition,
    cascade_draft,
    chance_of_meeting,
    draft_targets,
    period_months,
    process_stats,
    propose_targets,
)
from qa_insights.cli import main
from qa_insights.data.contract import TABLES
from qa_insights.data.opening import open_store

ROOT = Path(__file__).resolve().parents[1]


def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _org(metric: str, months: list[str], values: list[float], n: float = 1000.0
         ) -> pd.DataFrame:
    return pd.DataFrame({"metric": metric, "scope": "org", "scope_value": "",
                         "month": months, "actual": values, "n": n})


def test_period_months_and_bad_periods() -> None:
    assert period_months("2026-Q4") == ["2026-10", "2026-11", "2026-12"]
    assert period_months("2027-Q2") == ["2027-04", "2027-05", "2027-06"]
    assert period_months("2027-02") == ["2027-02"]
    for bad in ("2027-Q5", "2027Q1", "2027-13", ""):
        with pytest.raises(ValueError, match="period"):
            period_months(bad)


def test_chance_of_meeting_by_hand() -> None:
    # mean 0.96, sd 0.005 over 6 months, target 0.965: z = -0.005 / (0.005 sqrt(7/6)).
    z = -0.005 / (0.005 * math.sqrt(7 / 6))
    assert chance_of_meeting(0.965, 0.96, 0.005, 6, "higher_is_better") == pytest.approx(
        _phi(z), abs=1e-12)
    assert chance_of_meeting(0.965, 0.96, 0.005, 6, "lower_is_better") == pytest.approx(
        1 - _phi(z), abs=1e-12)
    assert chance_of_meeting(40.0, 45.0, 0.0, 6, "lower_is_better") == 0.0
    assert math.isnan(chance_of_meeting(0.9, 0.95, 0.01, 1, "higher_is_better"))


@given(t=st.floats(0.5, 1.0), m=st.floats(0.5, 1.0), s=st.floats(1e-4, 0.2),
       k=st.integers(2, 24))
def test_chance_of_the_two_directions_adds_to_one(t: float, m: float, s: float,
                                                  k: int) -> None:
    up = chance_of_meeting(t, m, s, k, "higher_is_better")
    down = chance_of_meeting(t, m, s, k, "lower_is_better")
    assert up + down == pytest.approx(1.0, abs=1e-12)


def test_chance_of_meeting_matches_a_simulated_stable_process() -> None:
    """A stable normal process: the predicted chance for a target is close to the share of
    next months that meet it (averaged over histories; the normal prediction with
    ``sqrt(1 + 1/k)`` is slightly optimistic in the tails, so the band is generous)."""
    rng = np.random.default_rng(7)
    k, mu, sigma, target = 12, 0.96, 0.006, 0.965
    hist = rng.normal(mu, sigma, size=(20000, k))
    nxt = rng.normal(mu, sigma, size=20000)
    predicted = chance_of_meeting(target, hist.mean(axis=1), hist.std(axis=1, ddof=1), k,
                                  "higher_is_better")
    assert float(np.mean(predicted)) == pytest.approx(float(np.mean(nxt >= target)),
                                                      abs=0.02)


def test_methods_side_by_side_by_hand() -> None:
    h = _org("accuracy", ["2026-07", "2026-08", "2026-09"], [0.95, 0.97, 0.96])
    p = propose_targets(h, "2026-Q4")
    assert set(p["plan_method"]) == {"trailing_median", "glide_path"}  # no org benchmark
    tm = p[p["plan_method"] == "trailing_median"]
    # median 0.96, 10% of the gap to 1 closed: 1 - 0.04 * 0.9 = 0.964, every month.
    assert tm["target"].tolist() == pytest.approx([0.964] * 3)
    assert tm["month"].tolist() == ["2026-10", "2026-11", "2026-12"]
    assert "trailing median of 3 months 2026-07..2026-09 (0.96)" in tm["method"].iloc[0]
    gp = p[p["plan_method"] == "glide_path"]
    # From 0.96 (2026-09, the last actual) to 0.964 in 2026-12: +0.004 / 3 a month.
    assert gp["target"].tolist() == pytest.approx([0.96 + 0.004 / 3, 0.96 + 0.008 / 3,
                                                   0.964])
    # Chance: mean 0.96, sd 0.01 (sample sd of 0.95, 0.97, 0.96), k = 3.
    expected = 1 - _phi((0.964 - 0.96) / (0.01 * math.sqrt(4 / 3)))
    assert tm["chance_of_meeting"].iloc[0] == pytest.approx(expected, abs=1e-9)
    assert tm["fitting"].all() and not gp["fitting"].any()


def test_each_metric_type_gets_its_fitting_method() -> None:
    months = ["2026-07", "2026-08", "2026-09"]
    h = pd.concat([_org("critical_error_rate", months, [0.004, 0.006, 0.005]),
                   _org("handle_time_s", months, [40.0, 44.0, 42.0]),
                   _org("cost_per_item", months, [0.50, 0.52, 0.48])])
    d = draft_targets(propose_targets(h, "2026-10"), "by_metric").set_index("metric")
    assert d.loc["critical_error_rate", "target"] == pytest.approx(0.005 * 0.9)
    assert d.loc["handle_time_s", "target"] == pytest.approx(42.0)  # held
    # Cost: glide from 0.48 (2026-09) to 0.50 * 0.95 = 0.475, reached in 2026-10.
    assert d.loc["cost_per_item", "target"] == pytest.approx(0.475)
    assert d.loc["cost_per_item", "method"].startswith("glide path")
    assert {r.method for r in METRIC_RULES.values()} <= set(PLAN_METHODS)


def test_benchmark_by_hand_and_draft_fallback_at_org() -> None:
    sites = pd.DataFrame({"metric": "accuracy", "scope": "site",
                          "scope_value": list("abcde") * 3,
                          "month": np.repeat(["2026-07", "2026-08", "2026-09"], 5),
                          "actual": [0.90, 0.92, 0.94, 0.96, 0.98] * 3, "n": 100.0})
    h = pd.concat([sites, _org("accuracy", ["2026-07", "2026-08", "2026-09"],
                               [0.94, 0.94, 0.94])])
    p = propose_targets(h, "2026-10")
    bm = p[p["plan_method"] == "benchmark"].set_index("scope_value")["target"]
    # 0.75 quantile of 0.90..0.98 (linear): 0.96; e is already better and keeps 0.98.
    assert bm.to_dict() == pytest.approx({"a": 0.96, "b": 0.96, "c": 0.96, "d": 0.96,
                                          "e": 0.98})
    d = draft_targets(p, "benchmark")
    assert list(d.columns) == [c.name for c in TABLES["targets"].columns]
    assert not d.duplicated(["metric", "scope", "scope_value", "month"]).any()
    org = d[d["scope"] == "org"].iloc[0]
    assert org["method"].startswith("no benchmark at this scope; trailing median")
    assert org["target"] == pytest.approx(1 - 0.06 * 0.9)
    with pytest.raises(ValueError, match="method must be one of"):
        draft_targets(p, "wishful")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0.80, 0.99), st.integers(20, 5000)), min_size=1,
                max_size=8),
       st.floats(-0.05, 0.05))
def test_cascade_reproduces_the_org_target_exactly(units: list[tuple[float, int]],
                                                   shift: float) -> None:
    h = pd.DataFrame({"metric": "accuracy", "scope": "site",
                      "scope_value": [f"s{i}" for i in range(len(units))],
                      "month": "2026-09", "actual": [u[0] for u in units],
                      "n": [float(u[1]) for u in units]})
    w = h["n"].to_numpy()
    org_now = float(np.sum(w * h["actual"]) / w.sum())
    target = min(org_now + shift, 0.999)
    draft = pd.DataFrame({"metric": ["accuracy"], "scope": ["org"], "scope_value": [""],
                          "month": ["2026-10"], "target": [target],
                          "direction": ["higher_is_better"], "method": [""]})
    c = cascade_draft(draft, h)
    # The volume-weighted identity, computed here from the unit rows.
    weights = c["weight"].to_numpy()
    assert np.sum(weights * c["target"].to_numpy()) / weights.sum() == pytest.approx(
        target, abs=1e-12)
    assert (c["target"] <= 1.0).all()
    np.testing.assert_allclose(weights, w)


def test_process_stats_by_hand() -> None:
    h = _org("handle_time_s", ["2026-06", "2026-07", "2026-08", "2026-09"],
             [50.0, 40.0, 44.0, 42.0])
    s = process_stats(h, "2026-10", window=3).iloc[0]
    assert s["trailing_mean"] == pytest.approx(42.0)
    assert s["trailing_sd"] == pytest.approx(2.0)
    assert s["n_months"] == 3 and s["last_actual"] == 42.0


def test_targets_plan_command_writes_a_valid_draft(tmp_path: Path) -> None:
    out = tmp_path / "targets_draft.csv"
    assert main(["targets", "plan", "--period", "2027-Q1", "--method", "trailing_median",
                 "--data", str(ROOT / "data_samples"), "--out", str(out)]) == 0
    draft = pd.read_csv(out, keep_default_na=False, dtype={"scope_value": str})
    with open_store(ROOT / "data_samples") as store:
        org = metric_actuals(store, scopes=["org"], metrics=["accuracy"])
    last6 = org.sort_values("month")["actual"].to_numpy()[-6:]
    expected = 1 - (1 - float(np.median(last6))) * 0.9
    row = draft[(draft["metric"] == "accuracy") & (draft["scope"] == "org")]
    assert row["month"].tolist() == ["2027-01", "2027-02", "2027-03"]
    assert row["target"].tolist() == pytest.approx([expected] * 3)
    # The draft is a contract targets table: a data folder with it loads every row.
    data = tmp_path / "data"
    data.mkdir()
    for name in ("audits", "calibration", "volumes"):
        shutil.copy(ROOT / "data_samples" / f"{name}.csv", data)
    shutil.copy(out, data / "targets.csv")
    with open_store(data) as store:
        report = store.validation.tables["targets"]
        assert report.quarantined_total == 0 and report.loaded == len(draft)
    assert main(["targets", "plan", "--period", "2027-Q7", "--out", str(out)]) == 2


def test_ambition_uses_only_the_months_before_each_target() -> None:
    h = _org("accuracy", ["2026-07", "2026-08", "2026-09", "2026-10"],
             [0.95, 0.97, 0.96, 0.50])
    t = pd.DataFrame({"metric": "accuracy", "scope": "org", "scope_value": "",
                      "month": ["2026-10", "2026-09"], "target": [0.965, 0.99],
                      "direction": "higher_is_better"})
    a = ambition(t, h).set_index("month")
    # 2026-10: mean 0.96, sd 0.01, k = 3 (the 0.50 of October itself is not used).
    assert a.loc["2026-10", "chance_at_setting"] == pytest.approx(
        1 - _phi(0.005 / (0.01 * math.sqrt(4 / 3))), abs=1e-12)
    # 2026-09: mean 0.96, sd 0.01414, k = 2; 0.99 is a stretch.
    sd = float(np.std([0.95, 0.97], ddof=1))
    assert a.loc["2026-09", "chance_at_setting"] == pytest.approx(
        1 - _phi(0.03 / (sd * math.sqrt(1.5))), abs=1e-12)
    assert a.loc["2026-09", "ambition"] == "stretch"
    assert a.loc["2026-10", "ambition"] == "balanced"
