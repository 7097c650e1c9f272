"""Projects and rate cards: cost per label, billing check and burn projection against
independent computations, the interval's coverage on simulated months, and the planted
over-budget project and over-billing vendor of the sample data (absent from the null world)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from qa_insights.business.projects import (
    billing_check,
    cost_per_label,
    project_burn,
    project_quality,
    store_billing_check,
    store_cost_per_label,
    store_project_burn,
    store_project_quality,
)
from qa_insights.data.opening import open_store
from qa_insights.data.sample_data import generate
from qa_insights.data.sample_operations import PLANTED_OPERATIONS
from tests.fixtures_data import SAMPLE, audit_row, write_audits


def test_cost_per_label_hand_case() -> None:
    v = pd.DataFrame({"project_id": ["a", "a", "a", None], "task_type": ["x", "y", "x", "x"],
                      "items_handled": [100, 50, 300, 10], "cost": [20.0, 5.0, 40.0, 99.0],
                      "currency": "EUR"})
    out = cost_per_label(v).set_index(["project_id", "task_type"])
    assert out.loc[("a", "x"), "cost_per_label"] == pytest.approx(60 / 400)
    assert out.loc[("a", "y"), "cost_per_label"] == pytest.approx(0.1)
    assert len(out) == 2 and set(out["currency"]) == {"EUR"}


def test_mixed_currency_is_an_error() -> None:
    v = pd.DataFrame({"project_id": ["a", "a"], "task_type": ["x", "x"],
                      "items_handled": [1, 1], "cost": [1.0, 1.0], "currency": ["USD", "EUR"]})
    with pytest.raises(ValueError, match="EUR, USD; expected one currency"):
        cost_per_label(v)


def _cards() -> pd.DataFrame:
    return pd.DataFrame({
        "vendor": ["a", "a", "a", "b"], "task_type": ["t", "t", "u", "t"],
        "unit": ["hour", "hour", "item", "item"], "unit_price": [10.0, 9.0, 0.02, 0.05],
        "currency": "USD", "valid_from": ["2026-01-01", "2026-06-01", "2026-01-01", "2026-01-01"],
        "valid_to": ["2026-05-31", None, None, "2026-03-31"]})


def test_billing_check_hand_cases() -> None:
    v = pd.DataFrame({"month": ["2026-05", "2026-06", "2026-06", "2026-06", "2026-06"],
                      "vendor": ["a", "a", "a", "b", "c"], "task_type": ["t", "t", "u", "t", "t"],
                      "items_handled": [1000, 1000, 5000, 100, 1],
                      "productive_hours": [10.0, 10.0, 1.0, 1.0, 1.0],
                      "cost": [100.0, 100.0, 99.5, 1.0, 1.0], "currency": "USD"})
    out = billing_check(v, _cards(), tolerance=0.01)
    # May: the old card (10/h): 100 expected, matches; June: the new card (9/h): 90, above.
    assert out["expected"].tolist()[:3] == pytest.approx([100.0, 90.0, 100.0])
    assert out["status"].tolist() == ["matches card", "above card", "matches card",
                                      "no rate card", "no rate card"]
    assert out.loc[1, "difference_pct"] == pytest.approx(100 * 10 / 90)
    assert out.loc[2, "unit"] == "item" and out.loc[2, "units"] == 5000


def test_billing_check_equals_a_merge_on_random_data() -> None:
    rng = np.random.default_rng(3)
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    v = pd.DataFrame({"month": rng.choice(months, 60), "vendor": rng.choice(["a", "b"], 60),
                      "task_type": rng.choice(["t", "u"], 60),
                      "items_handled": rng.integers(100, 10_000, 60),
                      "productive_hours": rng.uniform(10, 100, 60),
                      "cost": rng.uniform(50, 2000, 60), "currency": "USD"})
    cards = _cards()
    out = billing_check(v, cards, tolerance=0.02)
    # Independent: every card row expanded to the months it covers, then a plain merge.
    expanded = []
    for c in cards.to_dict("records"):
        end = c["valid_to"] if isinstance(c["valid_to"], str) else "2026-12-31"
        for m in months:
            if c["valid_from"] <= f"{m}-01" <= end:
                expanded.append({**c, "month": m})
    e = v.merge(pd.DataFrame(expanded), on=["month", "vendor", "task_type"], how="left")
    units = np.where(e["unit"] == "item", e["items_handled"], e["productive_hours"])
    expected = units * e["unit_price"]
    np.testing.assert_allclose(out["expected"], expected)
    ratio = e["cost"] / expected - 1
    status = np.where(e["unit"].isna(), "no rate card", np.where(
        ratio > 0.02, "above card", np.where(ratio < -0.02, "below card", "matches card")))
    assert out["status"].tolist() == status.tolist()


def _burn_reference(costs: np.ndarray, left: int, budget: float, level: float
                    ) -> tuple[float, float, float, float]:
    """Spent, projection and interval written from the formula, independently."""
    k = costs.size
    m, s = costs.mean(), costs.std(ddof=1)
    projected = costs.sum() + left * m
    half = stats.t.isf((1 - level) / 2, k - 1) * s * np.sqrt(left * left / k + left)
    return costs.sum(), projected, projected - half, projected + half


def test_project_burn_equals_the_formula() -> None:
    rng = np.random.default_rng(11)
    costs = rng.normal(1000, 100, 6)
    months = [f"2026-{m:02d}" for m in range(1, 7)]
    monthly = pd.DataFrame({"project_id": "p", "month": months, "cost": costs,
                            "currency": "USD"})
    projects = pd.DataFrame({"project_id": ["p", "q"], "start_date": ["2026-01-15"] * 2,
                             "end_date": ["2026-10-31", "2026-06-30"],
                             "budget": [9000.0, 100.0], "currency": "USD"})
    out = project_burn(monthly, projects, "2026-06", alpha=0.05).set_index("project_id")
    spent, proj, low, high = _burn_reference(costs, 4, 9000.0, 1 - 0.05 / 2)
    row = out.loc["p"]
    assert row["spent"] == pytest.approx(spent) and row["months_left"] == 4
    assert row["projected"] == pytest.approx(proj)
    assert (row["projected_low"], row["projected_high"]) == pytest.approx((low, high))
    assert row["elapsed_pct"] == pytest.approx(60.0)
    # q has no cost rows: not started; its budget is not compared.
    assert out.loc["q", "status"] == "not started"


def test_project_burn_statuses() -> None:
    monthly = pd.DataFrame({"project_id": "p", "month": ["2026-01", "2026-02", "2026-03"],
                            "cost": [100.0, 100.0, 100.0], "currency": "USD"})
    def status(budget: float) -> str:
        projects = pd.DataFrame({"project_id": ["p"], "start_date": ["2026-01-01"],
                                 "end_date": ["2026-06-30"], "budget": [budget],
                                 "currency": ["USD"]})
        return str(project_burn(monthly, projects, "2026-03").loc[0, "status"])
    # No variation: the projection is exactly 600.
    assert status(250.0) == "over budget"
    assert status(599.0) == "projected over budget"
    assert status(600.0) == "on track"


def test_burn_interval_covers_the_realised_total() -> None:
    """Months drawn independently: the 95% interval (one project) covers the realised
    total in about 95% of 250 simulations (binomial bounds)."""
    rng = np.random.default_rng(5)
    projects = pd.DataFrame({"project_id": ["p"], "start_date": ["2026-01-01"],
                             "end_date": ["2026-12-31"], "budget": [1e9],
                             "currency": ["USD"]})
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    covered = 0
    n_sims = 250
    for _ in range(n_sims):
        costs = rng.normal(1000, 150, 12)
        monthly = pd.DataFrame({"project_id": "p", "month": months[:6], "cost": costs[:6],
                                "currency": "USD"})
        row = project_burn(monthly, projects, "2026-06").iloc[0]
        covered += row["projected_low"] <= costs.sum() <= row["projected_high"]
    low, high = stats.binom.ppf([0.001, 0.999], n_sims, 0.95)
    assert low <= covered <= high


def test_project_quality_equals_wilson_from_statsmodels() -> None:
    from statsmodels.stats.proportion import proportion_confint
    q = project_quality(pd.DataFrame({"project_id": ["a", "b"], "n_audits": [200, 50],
                                      "n_errors": [12, 0]}))
    lo, hi = proportion_confint([12, 0], [200, 50], method="wilson")
    np.testing.assert_allclose(q["accuracy_ci_low"], 1 - np.asarray(hi))
    np.testing.assert_allclose(q["accuracy_ci_high"], 1 - np.asarray(lo))
    assert q["accuracy"].tolist() == pytest.approx([0.94, 1.0])


def test_absent_tables_give_none(tmp_path: Path) -> None:
    write_audits(tmp_path, [audit_row()])
    with open_store(tmp_path) as store:
        assert store_cost_per_label(store, "2026-10") is None
        assert store_billing_check(store, "2026-10") is None
        assert store_project_burn(store, "2026-10") is None
        assert store_project_quality(store, "2026-10") is None


@pytest.fixture(scope="module")
def null_store(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("null_ops")
    generate(folder, planted=False)
    with open_store(folder) as store:
        yield store


def test_sample_plants_the_over_budget_project_and_the_over_billing(sample_store) -> None:
    month = "2026-10"
    burn = store_project_burn(sample_store, month).set_index("project_id")
    over = PLANTED_OPERATIONS["over_budget"]["project"]
    assert burn.loc[over, "status"] == "projected over budget"
    assert (burn.drop(index=over)["status"] == "on track").all()
    bill = store_billing_check(sample_store, month)
    flagged = set(bill.loc[bill["status"] != "matches card", "vendor"])
    assert flagged == {PLANTED_OPERATIONS["overbilling"]["vendor"]}
    # Cost per label adds up to the month's project cost in the volumes file.
    v = pd.read_csv(SAMPLE / "volumes.csv")
    v = v[v["month"] == month]
    labels = store_cost_per_label(sample_store, month)
    assert labels["cost"].sum() == pytest.approx(v["cost"].sum())
    quality = store_project_quality(sample_store, month).set_index("project_id")
    audits = pd.read_csv(SAMPLE / "audits.csv", usecols=["audited_at", "project_id"])
    utc_month = pd.to_datetime(audits["audited_at"], utc=True, format="ISO8601")\
        .dt.strftime("%Y-%m")
    counts = audits[utc_month == month]["project_id"].value_counts()
    assert quality["n_audits"].to_dict() == counts.to_dict()


def test_null_world_claims_nothing(null_store) -> None:
    burn = store_project_burn(null_store, "2026-10")
    assert (burn["status"] == "on track").all()
    bill = store_billing_check(null_store, "2026-10")
    assert (bill["status"] == "matches card").all()
