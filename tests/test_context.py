"""Tests of qa_insights.reports.engine.context: report parameters checked against the data."""

from __future__ import annotations

import doctest
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qa_insights.data.opening import open_store
from qa_insights.data.protocol import Store
from qa_insights.data.queries import TENURE_BANDS
from qa_insights.rca.change import explain_change
from qa_insights.rca.drivers import driver_cells, logistic_drivers
from qa_insights.reports.engine import context as report_context
from qa_insights.reports.engine.context import (
    NoDataForReport,
    ParameterError,
    known_months,
    months_with_data,
    require_data,
    resolve_context,
    scope_values,
)
from qa_insights.reports.mqr import error_rate_drivers, sample_plan
from qa_insights.reports.sections import (
    calibration_overview,
    error_drivers,
    flag_below_min_n,
    in_natural_order,
    scope_overview,
)
from qa_insights.stats.sampling import stratum_counts

pytest_plugins = ["tests.fixtures_reports"]


@pytest.fixture(scope="module")
def store(sample_data: Path) -> Iterator[Store]:
    with open_store(sample_data) as s:
        yield s


def test_docstring_examples() -> None:
    assert doctest.testmod(report_context).failed == 0


def test_defaults_resolve_to_the_latest_month_and_the_org(store: Store) -> None:
    ctx = resolve_context(store)
    latest = months_with_data(store)[-1]
    assert (ctx.month, ctx.scope, ctx.scope_value, ctx.filters) == (
        latest, "org", "", {"month": latest})
    n = store.con.execute("SELECT count(*) FROM audits WHERE month = ?", [latest]).fetchone()
    assert ctx.n_audits == n[0] > 0
    assert ctx.window(3) == known_months(store)[-3:]


@pytest.mark.parametrize("kwargs, message", [
    ({"month": "2026-1"}, "parameter month: '2026-1' is not a month YYYY-MM"),
    ({"month": "1999-01"}, "parameter month: '1999-01' is not in the data; valid months: "),
    ({"scope": "planet"}, "parameter scope: unknown scope 'planet'; valid: org, site, queue"),
    ({"scope": "site", "scope_value": "atlantis"},
     "parameter scope_value: 'atlantis' is not in the data for scope 'site'; valid values: "),
    ({"scope": "queue"}, "parameter scope_value: is missing for scope 'queue'"),
    ({"scope_value": "x"}, "parameter scope_value: must be empty when scope is 'org'"),
    ({"min_n": 0}, "parameter min_n: expected a whole number >= 1"),
    ({"analyst_mode": "false"},
     "parameter analyst_mode: expected True or False, got 'false' (str)"),
    ({"analyst_mode": 1}, "parameter analyst_mode: expected True or False, got 1 (int)"),
])
def test_bad_parameters_name_the_parameter(store: Store, kwargs: dict, message: str) -> None:
    with pytest.raises(ParameterError) as info:
        resolve_context(store, **kwargs)
    assert str(info.value).startswith(message)


def test_bad_month_format_lists_the_valid_months(store: Store) -> None:
    months = known_months(store)
    with pytest.raises(ParameterError) as info:
        resolve_context(store, month="Oct 2026")
    assert str(info.value).endswith(f"valid months: {months[0]} to {months[-1]}")


def test_scope_value_error_lists_valid_values(store: Store) -> None:
    with pytest.raises(ParameterError, match=scope_values(store, "site")[0]):
        resolve_context(store, scope="site", scope_value="atlantis")


def test_busiest_scope_value_when_empty(store: Store) -> None:
    ctx = resolve_context(store, scope="queue", busiest_if_empty=True)
    ranked = scope_values(store, "queue", ctx.month, by_volume=True)
    assert ctx.scope_value == ranked[0]
    counts = [store.con.execute("SELECT count(*) FROM audits WHERE month = ? AND queue = ?",
                                [ctx.month, q]).fetchone()[0] for q in ranked]
    assert counts == sorted(counts, reverse=True)


def test_scoped_overview_counts(store: Store) -> None:
    site = scope_values(store, "site")[0]
    ctx = resolve_context(store, scope="site", scope_value=site)
    overview = scope_overview(store, ctx).set_index("measure")["value"]
    assert overview["audits"] == ctx.n_audits and overview["sites"] == 1
    calibration = calibration_overview(store, ctx).set_index("measure")["value"]
    n = store.con.execute("SELECT count(*) FROM calibration WHERE site = ? AND "
                          "strftime(session_date, '%Y-%m') = ?", [site, ctx.month]).fetchone()
    assert calibration["ratings"] == n[0]
    with pytest.raises(ParameterError, match="calibration data has no market"):
        calibration_overview(store, resolve_context(
            store, scope="market", scope_value=scope_values(store, "market")[0]))


def test_empty_month_stops_with_a_plain_message(store: Store) -> None:
    ctx = resolve_context(store)
    require_data(ctx)  # has audits: no stop
    with pytest.raises(NoDataForReport, match=f"No calibration ratings in {ctx.month} for "
                                              "the whole organisation."):
        require_data(ctx, 0, "calibration ratings")


def test_error_drivers_equal_the_library_and_survive_small_scopes(store: Store) -> None:
    drivers = ["tenure_band", "site_type"]
    ctx = resolve_context(store)
    expected = logistic_drivers(driver_cells(store, drivers, filters={"month": ctx.month}), drivers,
                                min_audits=ctx.min_n)
    got = error_drivers(store, ctx, drivers)
    key = ["driver", "level"]
    pd.testing.assert_frame_equal(got.sort_values(key).reset_index(drop=True),
                                  expected.sort_values(key).reset_index(drop=True))
    small = scope_values(store, "site", ctx.month, by_volume=True)[-1]
    tiny = resolve_context(store, scope="site", scope_value=small, min_n=10**6)
    empty = error_drivers(store, tiny, drivers)
    assert empty.empty and list(empty.columns)[:3] == ["driver", "level", "reference"]
    assert "no cells left" in empty.attrs["dropped"]


#: The bands' natural order (the contract's tenure bands; handle-time edges 30, 60, 120 s).
TENURE_ORDER = [label for label, _ in TENURE_BANDS] + ["unknown"]
HANDLE_TIME_ORDER = ["<30s", "30-60s", "60-120s", "120s+", "unknown"]


def test_error_drivers_list_bands_in_natural_order(store: Store) -> None:
    drivers = ["tenure_band", "site_type", "queue", "handle_time_band"]  # as in the MQR
    got = error_drivers(store, resolve_context(store, min_n=5), drivers)
    assert list(dict.fromkeys(got.driver)) == drivers
    for driver, natural in (("tenure_band", TENURE_ORDER),
                            ("handle_time_band", HANDLE_TIME_ORDER)):
        levels = got.loc[got.driver == driver, "level"].tolist()
        assert len(levels) >= 4, driver  # enough bands for the order to mean something
        assert levels == [b for b in natural if b in levels], driver
        assert levels != sorted(levels), driver  # alphabetical order would differ
    queues = got.loc[got.driver == "queue"]
    assert queues.reference.iloc[0]  # a nominal driver keeps its reference first
    assert queues.level.iloc[1:].tolist() == sorted(queues.level.iloc[1:])


def test_in_natural_order_puts_unlisted_levels_last() -> None:
    frame = pd.DataFrame({"driver": ["handle_time_band"] * 4 + ["tenure_band"] * 2,
                          "level": ["unknown", "15-45s", "<15s", "45s+", "odd", "0-3m"],
                          "odds_ratio": range(6)})
    frame.attrs["dropped"] = "none"
    out = in_natural_order(frame)
    assert out.level.tolist() == ["<15s", "15-45s", "45s+", "unknown", "0-3m", "odd"]
    assert out.set_index("level").odds_ratio.to_dict() == frame.set_index(
        "level").odds_ratio.to_dict()
    assert out.attrs == {"dropped": "none"}


def test_flag_below_min_n_names_a_missing_column() -> None:
    frame = pd.DataFrame({"n_audits": [29, 30, np.nan]})
    assert flag_below_min_n(frame, 30).below_min_n.tolist() == [True, False, True]
    with pytest.raises(KeyError, match="no column 'n_items' \\(columns: n_audits\\)"):
        flag_below_min_n(frame, 30, "n_items")


def test_error_rate_drivers_flag_small_cells(store: Store) -> None:
    ctx = resolve_context(store)
    expected = explain_change(store, ctx.month, ["site", "queue"])
    got = error_rate_drivers(store, ctx)
    assert list(got.columns[:5]) == ["site", "queue", "mix_effect", "rate_effect",
                                     "total_effect"]
    assert list(got.columns[5:-1]) == [c for c in expected.columns if c not in got.columns[:5]]
    assert got.columns[-1] == "below_min_n"
    pd.testing.assert_frame_equal(got[expected.columns], expected)
    small = (expected.n_audits_after < ctx.min_n).to_numpy()
    assert 0 < small.sum() < len(expected)  # the sample data has both kinds of cell
    assert got.below_min_n.tolist() == small.tolist()


def test_sample_plan_flags_small_strata(store: Store) -> None:
    ctx = resolve_context(store)
    strata, _ = sample_plan(store, ctx)
    counts = stratum_counts(store, ctx.month).set_index(["site", "queue"])["n_audits"]
    n = counts.loc[list(zip(strata.site, strata.queue))].to_numpy()
    assert strata.columns[-1] == "below_min_n"
    assert 0 < strata.below_min_n.sum() < len(strata)
    assert strata.below_min_n.tolist() == (n < ctx.min_n).tolist()


def test_people_are_pseudonymised_unless_analyst_mode(store: Store,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_INSIGHTS_PSEUDONYM_KEY", "test-key")
    frame = store.con.execute("SELECT moderator_id, auditor_id FROM audits LIMIT 20").df()
    shown = resolve_context(store).people(frame)
    assert shown.moderator_id.str.startswith("MOD-").all()
    assert shown.auditor_id.dropna().str.startswith("AUD-").all()
    assert not set(shown.moderator_id) & set(frame.moderator_id)
    raw = resolve_context(store, analyst_mode=True).people(frame)
    assert raw.equals(frame)
