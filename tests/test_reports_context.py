"""Tests of qa_insights.report_context: report parameters checked against the data."""

from __future__ import annotations

import doctest
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa_insights import report_context
from qa_insights.drivers import driver_cells, logistic_drivers
from qa_insights.report_context import (
    NoDataForReport,
    ParameterError,
    calibration_overview,
    error_drivers,
    known_months,
    months_with_data,
    require_data,
    resolve_context,
    scope_overview,
    scope_values,
)
from qa_insights.store import Store, open_store

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
    expected = logistic_drivers(driver_cells(store, drivers, month=ctx.month), drivers,
                                min_audits=ctx.min_n)
    got = error_drivers(store, ctx, drivers)
    assert got[["driver", "level", "odds_ratio"]].equals(
        expected[["driver", "level", "odds_ratio"]])
    small = scope_values(store, "site", ctx.month, by_volume=True)[-1]
    tiny = resolve_context(store, scope="site", scope_value=small, min_n=10**6)
    empty = error_drivers(store, tiny, drivers)
    assert empty.empty and list(empty.columns)[:3] == ["driver", "level", "reference"]
    assert "no cells left" in empty.attrs["dropped"]


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
