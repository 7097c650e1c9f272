"""Tests of qa_insights.reports.engine.context: report parameters checked against the data."""

from __future__ import annotations

import dataclasses
import doctest
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qa_insights.data.opening import open_store
from qa_insights.data.protocol import Store
from qa_insights.data.queries import TENURE_BANDS
from qa_insights.present.privacy import MIN_AUDITS_PER_PERSON
from qa_insights.rca.change import explain_change
from qa_insights.rca.drivers import driver_cells, logistic_drivers
from qa_insights.reports.engine import context as report_context
from qa_insights.reports.engine.context import (
    NoDataForReport,
    ParameterError,
    ReportContext,
    known_months,
    latest_partition_month,
    months_with_data,
    report_months,
    report_scopes,
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
from tests.fixtures_data import AUDIT_HEADER, audit_row, write_audits

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


def _gap_store_folder(folder: Path) -> Path:
    """Audits in 2026-01 (one) and 2026-03 (one), none in 2026-02; no calibration, no volumes."""
    return write_audits(folder, [audit_row("A1", "2026-01-05T10:00:00Z", site="s1"),
                                 audit_row("A2", "2026-03-05T10:00:00Z", site="s2")])


def test_a_gap_month_inside_the_data_is_valid_and_empty(tmp_path: Path) -> None:
    with open_store(_gap_store_folder(tmp_path)) as store:
        assert months_with_data(store) == ["2026-01", "2026-03"]
        assert months_with_data(store, "calibration") == [] == months_with_data(store, "volumes")
        assert known_months(store) == ["2026-01", "2026-02", "2026-03"]
        gap = resolve_context(store, month="2026-02")
        assert (gap.n_audits, gap.months) == (0, ("2026-01", "2026-02", "2026-03"))
        with pytest.raises(NoDataForReport, match="^No audits in 2026-02 for the whole "
                                                  "organisation.$"):
            require_data(gap)
        one = resolve_context(store, month="2026-01", scope="site", scope_value="s1")
        assert one.n_audits == 1
        require_data(one)  # a single audit is data: no stop
        for outside in ("2025-12", "2026-04"):  # just before the first, just after the last
            with pytest.raises(ParameterError, match=f"^parameter month: '{outside}' is not in "
                                                     "the data; valid months: 2026-01 to "
                                                     "2026-03$"):
                resolve_context(store, month=outside)


def test_min_n_is_a_whole_number_of_at_least_one(store: Store) -> None:
    assert resolve_context(store, min_n=1).min_n == 1
    for bad in (0, -5, 2.5, True, "30"):
        with pytest.raises(ParameterError, match=f"^parameter min_n: expected a whole number "
                                                 f">= 1, got {bad!r}$"):
            resolve_context(store, min_n=bad)  # type: ignore[arg-type]


def test_a_month_window_without_audits_asks_for_a_month(tmp_path: Path) -> None:
    with open_store(_gap_store_folder(tmp_path), months=["2020-01"]) as store:
        with pytest.raises(ParameterError, match="^parameter month: the data holds no audits, "
                                                 "so there is no latest month; give "
                                                 "month=YYYY-MM$"):
            resolve_context(store)
        with pytest.raises(ParameterError, match=r"'2026-01' is not in the data; valid months: "
                                                 r"none \(no dated rows\)$"):
            resolve_context(store, month="2026-01")


@pytest.mark.parametrize("n_sites", [20, 21])
def test_a_long_list_of_valid_values_is_cut_at_twenty_and_counted(tmp_path: Path,
                                                                   n_sites: int) -> None:
    sites = [f"s{i:02d}" for i in range(1, n_sites + 1)]
    folder = write_audits(tmp_path, [audit_row(f"A{i}", site=s) for i, s in enumerate(sites)])
    with open_store(folder) as store, pytest.raises(ParameterError) as info:
        resolve_context(store, scope="site", scope_value="atlantis")
    shown = ", ".join(repr(s) for s in sites[:20])
    more = f" ... ({n_sites} in all)" if n_sites > 20 else ""
    assert str(info.value).endswith(f"valid values: {shown}{more}")


def test_report_scopes_offer_site_attributes_only_with_a_sites_table(store: Store,
                                                                      sample_data: Path,
                                                                      tmp_path: Path) -> None:
    audit_columns = set(AUDIT_HEADER.split(","))
    attributes = [c for c in pd.read_csv(sample_data / "sites.csv", nrows=0).columns
                  if c not in audit_columns]
    assert {"vendor", "region"} <= set(attributes)
    scopes = report_scopes(store)
    assert scopes[:4] == ["org", "site", "queue", "market"]
    assert sorted(scopes[4:]) == sorted(attributes)
    with open_store(_gap_store_folder(tmp_path)) as bare:
        assert report_scopes(bare) == ["org", "site", "queue", "market"]
        with pytest.raises(ParameterError, match="^parameter scope: 'vendor' needs a sites table"):
            resolve_context(bare, scope="vendor", scope_value="alpha")


def test_report_months_is_the_window_of_back_months_ending_at_the_month() -> None:
    assert report_months("2026-03", back=1) == ["2026-03"]
    assert report_months("2026-01", back=3) == ["2025-11", "2025-12", "2026-01"]
    for bad in ("2026-13", "Oct 2026"):
        assert report_months(bad) is None  # left to resolve_context, which lists valid months
    with pytest.raises(ValueError, match="^back must be at least 1, got 0$"):
        report_months("2026-03", back=0)


def test_the_latest_partition_month_is_read_from_folder_names(tmp_path: Path,
                                                              sample_data: Path) -> None:
    audits = tmp_path / "audits"
    for name in ("month=2026-09", "month=2026-10", "month=2026-13", "month=latest"):
        (audits / name).mkdir(parents=True)
    (audits / "month=2026-11").write_text("")  # a file, not a partition folder
    assert latest_partition_month(tmp_path) == "2026-10"
    assert report_months("", back=2, data_dir=tmp_path) == ["2026-09", "2026-10"]
    assert report_months("2026-05", back=1, data_dir=tmp_path) == ["2026-05"]  # given wins
    assert latest_partition_month(sample_data) is None  # CSV files
    assert latest_partition_month(None) is None
    assert latest_partition_month(f"s3://bucket{tmp_path}") is None  # never listed


def test_the_context_shows_as_escaped_html() -> None:
    scope_value = '<b>"Dublin" & co</b>'
    ctx = ReportContext("2026-10", "site", scope_value, 25, False, ("2026-10",), 12345)
    shown = ctx._repr_html_()
    assert shown.startswith('<p class="qa-context">') and shown.endswith("</p>")
    assert ("12,345 audits in 2026-10 for the site &lt;b&gt;&quot;Dublin&quot; &amp; "
            "co&lt;/b&gt;; segments with fewer than 25 audits are greyed out.") in shown
    assert "Analyst mode" not in shown
    analyst = ReportContext("2026-10", "org", "", 25, True, ("2026-10",), 7)._repr_html_()
    assert "7 audits in 2026-10 for the whole organisation" in analyst
    assert "<strong>Analyst mode: raw moderator ids may be shown.</strong>" in analyst


def test_people_with_few_audits_are_left_out_and_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_INSIGHTS_PSEUDONYM_KEY", "test-key")
    least = MIN_AUDITS_PER_PERSON
    frame = pd.DataFrame({"moderator_id": ["m1", "m2", "m3", "m4"],
                          "n_audits": [least - 1, least, least + 5, 1]})
    ctx = ReportContext("2026-10", "org", "", 30, False, ("2026-10",), 100)
    shown = ctx.people(frame)
    assert shown.n_audits.tolist() == [least, least + 5]  # fewer than the minimum: left out
    assert shown.attrs["suppressed"] == 2
    assert shown.moderator_id.str.startswith("MOD-").all()
    assert len(dataclasses.replace(ctx, analyst_mode=True).people(frame)) == 4
    sites = pd.DataFrame({"site": ["a", "b"], "n_audits": [1, least]})  # no people in it
    assert ctx.people(sites).equals(sites) and "suppressed" not in ctx.people(sites).attrs


def test_a_resolved_context_cannot_be_changed_past_its_checks(store: Store) -> None:
    ctx = resolve_context(store)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.month = "1999-01"  # type: ignore[misc]
