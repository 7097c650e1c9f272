"""Deep dives for what the reports point to (reports/engine/named.py, kinds.report_stem,
build.plan), the RCA summary's additions (summary.with_agreeing_interval,
small_segments_claim) and the index's month card (engine/index.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from qa_insights.business.targets import target_attainment
from qa_insights.data.protocol import Store
from qa_insights.reports.deep_dives import deep_dive_links
from qa_insights.reports.engine.build import plan
from qa_insights.reports.engine.context import resolve_context
from qa_insights.reports.engine.index import index_html, month_summary, status_css
from qa_insights.reports.engine.kinds import report_stem, select_reports
from qa_insights.reports.engine.named import change_named_sites, named_scopes
from qa_insights.reports.engine.paths import NOTEBOOKS_DIR, TEMPLATES_DIR
from qa_insights.reports.engine.tables import slugify
from qa_insights.reports.mqr import explain_month, headline_numbers, month_findings, quality_trend
from qa_insights.reports.summary import (
    executive_summary,
    findings_frame,
    small_segments_claim,
    with_agreeing_interval,
)
from qa_insights.stats.lmdi import lmdi
from qa_insights.stats.proportions import compare_proportions, score_interval
from tests.fixtures_data import SAMPLE

MONTHS = ["2026-08", "2026-09", "2026-10"]


# --------------------------------------------------------------------------- stems

def test_report_stems_of_scoped_reports_are_file_safe_and_distinct() -> None:
    assert report_stem("rca", "queue", "spam") == "rca_spam"
    assert report_stem("rca", "site", "bpo_beta_cebu") == "rca_site_bpo_beta_cebu"
    assert report_stem("rca", "market", "US") == f"rca_market_{slugify('US')}"
    hostile = report_stem("rca", "site", '<img src=x>"Dublin"')
    assert set(hostile) <= set("abcdefghijklmnopqrstuvwxyz0123456789_-")
    assert report_stem("rca", "site", "x") != report_stem("rca", "queue", "x")


# --------------------------------------------------------------------------- named scopes

def _mqr_claims(store: Store, month: str) -> list:
    """The MQR's summary claims of ``month``, by the notebook's own calls."""
    ctx = resolve_context(store, month=month, scope="org", scope_value="", min_n=30,
                          analyst_mode=False)
    decomposition = explain_month(store, ctx)
    return executive_summary(headline_numbers(store, ctx, quality_trend(store, ctx, 2)),
                             month=month, scope_label=ctx.scope_label,
                             change=month_findings(decomposition, ctx),
                             decomposition=decomposition, min_n=ctx.min_n)


@pytest.mark.parametrize("month", MONTHS)
def test_named_scopes_cover_the_mqr_driver_and_every_missed_site_and_queue(
        sample_store: Store, month: str) -> None:
    named = named_scopes(sample_store, month)
    assert len(named) == len(set(named))
    drivers = [c.scope for c in _mqr_claims(sample_store, month)
               if c.kind in ("driver_mix", "driver_rate")]
    for site in drivers:
        assert ("site", site) in named, (month, drivers, named)
    attainment = target_attainment(sample_store, month)
    missed = attainment[(attainment["month"] == month) & (attainment["status"] == "missed")
                        & attainment["scope"].isin(["site", "queue"])
                        & ~attainment["metric"].isin(["cost_per_item", "handle_time_s"])]
    for scope, value in zip(missed["scope"], missed["scope_value"], strict=True):
        assert (scope, value) in named, (month, scope, value)
    # nothing else: every named scope is a driver or a missed target
    assert set(named) == {("site", s) for s in drivers} | set(
        zip(missed["scope"], missed["scope_value"], strict=True)) | {
        ("site", s) for s in change_named_sites(explain_month_or_none(sample_store, month))}


def explain_month_or_none(store: Store, month: str) -> pd.DataFrame | None:
    from qa_insights.rca.change import explain_change

    try:
        return explain_change(store, month, ["site"])
    except ValueError:
        return None


def test_sample_october_names_the_mix_shift_site(sample_store: Store) -> None:
    """The planted mix shift (bpo_beta_cebu's volume) is what October's MQR names; its deep
    dive is planned beside the busiest queues'."""
    assert ("site", "bpo_beta_cebu") in named_scopes(sample_store, "2026-10")
    tasks = plan(sample_store, ["2026-10"], select_reports("rca"), data_dir=SAMPLE,
                 out_dir=Path("/nonexistent"), notebooks_dir=NOTEBOOKS_DIR, rca_limit=2)
    stems = [t.stem for t in tasks]
    assert stems[:2] == ["rca_" + slugify(q) for q in
                         sample_store.query("SELECT queue, count(*) n FROM audits WHERE month = "
                                            "'2026-10' GROUP BY 1 ORDER BY 2 DESC, 1")
                         .queue[:2]]
    assert "rca_site_bpo_beta_cebu" in stems and len(stems) == len(set(stems))
    # the MQR's links to its drivers' deep dives point at planned reports
    links = deep_dive_links(_mqr_claims(sample_store, "2026-10")).links
    assert links == (("site bpo_beta_cebu", "rca_site_bpo_beta_cebu.html"),)
    assert all(href[:-len(".html")] in stems for _, href in links)
    site = next(t for t in tasks if t.stem == "rca_site_bpo_beta_cebu")
    assert site.parameters["scope"] == "site" and site.parameters["scope_value"] == \
        "bpo_beta_cebu"
    assert site.title == "Root-Cause Deep Dive: site bpo_beta_cebu"
    # a single report asked for: exactly that one
    one = plan(sample_store, ["2026-10"], select_reports("rca:site=inhouse_dublin"),
               data_dir=SAMPLE, out_dir=Path("/nonexistent"), notebooks_dir=NOTEBOOKS_DIR)
    assert [t.stem for t in one] == ["rca_site_inhouse_dublin"]


def test_change_named_sites_follow_the_findings_on_a_planted_jump() -> None:
    before = pd.DataFrame({"site": ["a", "b", "c", "d"], "n_audits": [3000] * 4,
                           "n_errors": [60] * 4})
    jump = lmdi(before, before.assign(n_errors=[60, 150, 60, 60]), "site")
    assert change_named_sites(jump) == ["b"]
    assert change_named_sites(lmdi(before, before, "site")) == []
    assert change_named_sites(None) == []


# --------------------------------------------------------------------------- the month's change

@settings(max_examples=60, deadline=None)
@given(n1=st.integers(20, 3000), n2=st.integers(20, 3000), data=st.data())
def test_month_change_interval_excludes_zero_exactly_when_the_test_rejects(
        n1: int, n2: int, data: st.DataObject) -> None:
    x1 = data.draw(st.integers(0, n1))
    x2 = data.draw(st.integers(0, n2))
    test = compare_proportions(x1, n1, x2, n2)
    trend = pd.DataFrame({"month": ["2026-09", "2026-10"], "n_audits": [n2, n1],
                          "n_errors": [x2, x1]})
    h = with_agreeing_interval({"previous_month": "2026-09", "mom_p_value": test.p_value,
                                "mom_test": test.test, "mom_significant": test.significant,
                                "mom_ci_low": 0.0, "mom_ci_high": 0.0}, trend)
    excludes = h["mom_ci_low"] > 0 or h["mom_ci_high"] < 0
    assert excludes == bool(test.significant)
    # accuracy moves against the error rate: the interval holds minus the rate difference
    assert h["mom_ci_low"] <= -test.difference <= h["mom_ci_high"]


def test_month_change_interval_is_the_score_interval_of_the_z_test() -> None:
    trend = pd.DataFrame({"month": ["2026-09", "2026-10"], "n_audits": [821, 786],
                          "n_errors": [10, 22]})
    test = compare_proportions(22, 786, 10, 821)
    assert test.test == "two-proportion z" and test.significant
    h = with_agreeing_interval({"previous_month": "2026-09", "mom_p_value": test.p_value,
                                "mom_test": test.test}, trend)
    low, high = score_interval(22, 786, 10, 821, 0.95)
    assert (h["mom_ci_low"], h["mom_ci_high"]) == pytest.approx((-high, -low))
    assert h["mom_ci_high"] < 0  # Newcombe's reaches 0.0 here; this one agrees with p < .05
    assert with_agreeing_interval({"previous_month": None}, trend) == {"previous_month": None}


# --------------------------------------------------------------------------- small samples

def test_small_segments_are_stated_and_left_out_of_the_largest_movement() -> None:
    before = pd.DataFrame({"queue": ["big", "mid", "tiny"], "n_audits": [900, 500, 20],
                           "n_errors": [30, 20, 1]})
    after = pd.DataFrame({"queue": ["big", "mid", "tiny"], "n_audits": [950, 480, 12],
                          "n_errors": [33, 19, 6]})
    d = lmdi(before, after, "queue")
    claim = small_segments_claim(d, "queue", 30, "site x")
    assert claim is not None and claim.kind == "small_sample"
    assert claim.sentence == ("Small samples: 1 queue had fewer than 30 audits in one of the "
                              "two months (tiny 20 then 12): its change rests on few audits, "
                              "and tiny is not ranked.")
    assert claim.numbers["segments"] == {"tiny": [20, 12]}
    assert small_segments_claim(d, "queue", 10, "site x") is None
    assert small_segments_claim(None, "queue", 30) is None
    # small only last month: stated, but still ranked
    grown = lmdi(before, after.assign(n_audits=[950, 480, 45], n_errors=[33, 19, 6]), "queue")
    early = small_segments_claim(grown, "queue", 30)
    assert early is not None and "not ranked" not in early.sentence
    assert "tiny 20 then 45" in early.sentence
    frame = findings_frame([claim], "rca_site_x")
    assert json.loads(frame.numbers.iloc[0])["min_n"] == 30


# --------------------------------------------------------------------------- the index

def _findings(folder: Path, rows: list[dict]) -> Path:
    (folder / "tables").mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows)
    frame.to_csv(folder / "tables" / "findings.csv", index=False)
    return folder


def test_month_summary_reads_the_mqr_rows_only(tmp_path: Path) -> None:
    mqr = {"report": "monthly_quality_report"}
    folder = _findings(tmp_path, [
        {"report": "rca_spam", "kind": "month_change", "sentence": "RCA first.",
         "numbers": json.dumps({"accuracy": 0.5})},
        {**mqr, "kind": "month_change", "sentence": "Accuracy was 95.3%.",
         "numbers": json.dumps({"accuracy": 0.953, "ci_low": 0.945, "ci_high": 0.96,
                                "n_audits": 3112})},
        {**mqr, "kind": "target_status", "sentence": "At risk.",
         "numbers": json.dumps({"target": 0.955, "status": "at risk", "accuracy": 0.953})},
        {**mqr, "kind": "action", "sentence": "No corrective action.", "numbers": "{}"}])
    summary = month_summary(folder)
    assert summary == {"accuracy": 0.953, "ci_low": 0.945, "ci_high": 0.96, "n_audits": 3112,
                       "target": 0.955, "status": "at risk", "lead": "Accuracy was 95.3%.",
                       "action": "No corrective action."}
    assert month_summary(tmp_path / "missing") is None
    assert month_summary(_findings(tmp_path / "rca-only", [
        {"report": "rca_spam", "kind": "month_change", "sentence": "x", "numbers": "{}"}])) \
        is None


def test_index_card_escapes_and_colours_the_status_like_the_reports() -> None:
    hostile = '<img src=x onerror="window.__qa_pwned=1">'
    page = index_html({"2026-10": {"reports": {"monthly_quality_report": {
        "report": "mqr", "title": "Monthly Quality Report", "status": "ok",
        "html": "monthly_quality_report.html", "notebook": "monthly_quality_report.ipynb"}}}},
        {"2026-10": {"accuracy": 0.9, "ci_low": 0.85, "ci_high": 0.93, "n_audits": 10,
                     "target": 0.95, "status": "missed", "lead": f"Site {hostile} fell.",
                     "action": f"Action: review {hostile}."}})
    assert "<img" not in page and "&lt;img src=x" in page
    assert "90.0% (85.0–93.0%)" in page
    assert '<h2 id="m-2026-10">October 2026</h2>' in page
    assert 'class="figure qa-status qa-status-missed"' in page
    assert '<a href="2026-10/monthly_quality_report.ipynb">analyst&#x27;s copy (notebook)</a>' \
        in page
    # the colours are the report template's, rule for rule
    css = (TEMPLATES_DIR / "qa_report" / "static" / "qa_report.css").read_text()
    for name in ("met", "at-risk", "missed"):
        body = re.search(rf"\.qa-figure\.qa-status-{name}\s*\{{([^}}]*)\}}", css)
        assert body is not None
        assert f".figure.qa-status-{name} {{{body.group(1)}}}" in status_css()
        assert f".figure.qa-status-{name} {{{body.group(1)}}}" in page
    # a month without a quality summary says so instead of showing numbers
    bare = index_html({"2026-09": {"reports": {}}})
    assert "No quality summary for this month" in bare


def test_index_status_class_is_safe_for_any_status_word() -> None:
    page = index_html({"2026-10": {"reports": {}}}, {"2026-10": {
        "accuracy": 0.9, "ci_low": 0.8, "ci_high": 0.95, "n_audits": 5, "target": 0.9,
        "status": 'x" onmouseover="y', "lead": "", "action": ""}})
    assert 'onmouseover="y' not in page and "qa-status-x-onmouseovery" in page


# --------------------------------------------------------------------------- the pairwise table

_INTERVAL = re.compile(r"\(([\d.]+)% interval ([+−]?<?[\d.]+) to ([+−]?<?[\d.]+)\)")


def _signed(text: str) -> float:
    """A printed bound as a number; "−<0.0001" (a bound short of 0) as -1e-9."""
    if "<" in text:
        return -1e-9 if text.startswith("−") else 1e-9
    return float(text.replace("−", "-").replace("+", ""))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(15, 800), st.floats(0.0, 0.3)), min_size=2, max_size=6))
@example(groups=[(15, 0.0), (15, 0.0), (132, 0.0), (353, 0.046875)])  # bound -5e-324
def test_rca_pairwise_table_never_says_no_beside_an_interval_excluding_zero(
        groups: list[tuple[int, float]]) -> None:
    """The "Significant" column and the printed interval come from the same test at the
    same (adjusted) level: "yes" exactly when the printed interval excludes 0, and the
    printed level is the adjusted one (docs/statistics-conventions.md)."""
    from qa_insights.reports.rca import pairwise_shown
    from qa_insights.stats.differences import pairwise_proportions

    counts = pd.DataFrame({"site": [f"s{i}" for i in range(len(groups))],
                           "n_audits": [n for n, _ in groups],
                           "n_errors": [int(round(n * r)) for n, r in groups]})
    pairs = pairwise_proportions(counts, "site")
    shown = pairwise_shown(pairs)
    assert len(shown) == len(pairs)
    for row in shown.itertuples():
        match = _INTERVAL.search(row.difference)
        assert match is not None, row.difference
        low, high = _signed(match.group(2)), _signed(match.group(3))
        excludes = low > 0 or high < 0
        assert excludes == (row.significant == "yes"), row
    levels = sorted(pairs["ci_level"].round(3))
    printed = sorted(round(float(_INTERVAL.search(d).group(1)) / 100, 3)
                     for d in shown["difference"])
    assert printed == pytest.approx(levels, abs=6e-4)
