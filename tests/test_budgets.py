"""Budget against actual (qa_insights.business.budgets): hand-computed on a small folder,
actuals checked against pandas sums of the volumes rows, absent table and currency errors."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qa_insights.business.budgets import BUDGET_COLUMNS, actual_cost_by_scope, budget_vs_actual
from qa_insights.data.opening import open_store
from tests.fixtures_mbr import audits, volume, write_folder

M = "2026-10"
VOLUMES = [volume(M, "inhouse_dublin", "spam", 10_000, 5_000.0),
           volume(M, "inhouse_dublin", "nudity", 2_000, 1_000.0),
           volume(M, "bpo_alpha_manila", "spam", 10_000, 3_000.0),
           volume(M, "bpo_alpha_cebu", "spam", 5_000, 1_500.0),
           volume("2026-09", "bpo_alpha_cebu", "spam", 5_000, 99_999.0)]


def _folder(tmp_path: Path, budgets: list[tuple] | None):
    store = write_folder(tmp_path, audits=[audits(M, "inhouse_dublin", "spam", 50, 1)],
                         volumes=VOLUMES)
    if budgets is None:
        return store
    store.close()
    with open(tmp_path / "budgets.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["month", "scope", "scope_value", "amount", "currency"])
        w.writerows(budgets)
    return open_store(tmp_path)


def test_hand_computed_budget_vs_actual(tmp_path: Path) -> None:
    store = _folder(tmp_path, [(M, "org", "", 10_000, "USD"), (M, "vendor", "alpha", 5_000, "USD"),
                               (M, "site", "inhouse_dublin", 6_000, "USD"),
                               (M, "queue", "spam", 9_000, "USD"),
                               (M, "vendor", "gamma", 100, "USD"),
                               ("2026-09", "org", "", 1, "USD")])
    table = budget_vs_actual(store, M)
    assert list(table.columns) == BUDGET_COLUMNS
    rows = {(r.scope, r.scope_value): r for r in table.itertuples()}
    assert len(rows) == 5  # the other month's budget is not compared
    assert rows[("org", "")].actual == pytest.approx(10_500.0)
    assert rows[("org", "")].variance == pytest.approx(500.0)
    assert rows[("org", "")].variance_pct == pytest.approx(5.0)
    assert rows[("org", "")].status == "over budget"
    assert rows[("vendor", "alpha")].actual == pytest.approx(4_500.0)
    assert rows[("vendor", "alpha")].variance_pct == pytest.approx(-10.0)
    assert rows[("vendor", "alpha")].status == "within budget"
    assert rows[("site", "inhouse_dublin")].variance == pytest.approx(0.0)
    assert rows[("site", "inhouse_dublin")].status == "within budget"
    assert rows[("queue", "spam")].actual == pytest.approx(9_500.0)
    assert rows[("queue", "spam")].status == "over budget"
    assert np.isnan(rows[("vendor", "gamma")].actual)
    assert rows[("vendor", "gamma")].status == "no actual"


def test_actuals_equal_pandas_sums_of_volumes(tmp_path: Path) -> None:
    store = _folder(tmp_path, None)
    got = actual_cost_by_scope(store, M).set_index(["scope", "scope_value"])["actual"]
    v = pd.DataFrame(VOLUMES)
    v = v[v["month"] == M]
    for site, cost in v.groupby("site")["cost"].sum().items():
        assert got[("site", site)] == pytest.approx(cost)
    for queue, cost in v.groupby("queue")["cost"].sum().items():
        assert got[("queue", queue)] == pytest.approx(cost)
    assert got[("org", "")] == pytest.approx(v["cost"].sum())
    assert got[("vendor", "in-house")] == pytest.approx(6_000.0)


def test_no_budgets_table_gives_none(tmp_path: Path) -> None:
    assert budget_vs_actual(_folder(tmp_path, None), M) is None


def test_budget_in_another_currency_is_an_error(tmp_path: Path) -> None:
    store = _folder(tmp_path, [(M, "org", "", 10_000, "EUR")])
    with pytest.raises(ValueError, match="budgets: org '' of 2026-10 is in EUR.*USD"):
        budget_vs_actual(store, M)


def test_vendor_budget_without_scope_value_is_quarantined(tmp_path: Path) -> None:
    store = _folder(tmp_path, [(M, "vendor", "", 10_000, "USD"), (M, "org", "", 1, "USD")])
    assert store.validation.tables["budgets"].quarantined == {
        "scope_value: expected a value for scope site, queue or vendor": 1}
    assert budget_vs_actual(store, M)["scope"].tolist() == ["org"]
