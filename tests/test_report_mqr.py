"""The Monthly Quality Report: its recorded numbers and CSV tables equal direct library calls
on the same data (2026-10 through the session build, 2026-08 and a site scope executed
here), the planted 2026-08 jump shows out of control, and no raw moderator id reaches the
manager-facing HTML or CSVs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from qa_insights.data.opening import open_store
from qa_insights.present.display import read_records
from qa_insights.quality.metrics import quality_summary
from qa_insights.quality.trends import month_over_month, rate_series
from qa_insights.rca.change import explain_change, reason_pareto
from qa_insights.reports.engine.build import build
from qa_insights.reports.engine.context import report_months
from qa_insights.reports.engine.run import execute_notebook
from qa_insights.stats.sampling import stratified_error_rate, stratum_counts
from qa_insights.stats.shrinkage import coaching_list, moderator_error_rates
from tests.report_helpers import NOTEBOOKS

pytest_plugins = ["tests.fixtures_reports"]

MQR = "monthly_quality_report"
JUMP_SITE, JUMP_MONTH = "bpo_gamma_hyderabad", "2026-08"


# --------------------------------------------------------------------------- fast

def test_report_months_is_the_window_ending_at_the_month() -> None:
    assert report_months("2026-01", back=3) == ["2025-11", "2025-12", "2026-01"]
    assert len(report_months("2026-10")) == 13
    assert report_months("", data_dir="data_samples") is None  # CSV: resolved in the store
    assert report_months("2026-13") is None  # left to resolve_context's message


def test_report_months_finds_the_latest_partition(tmp_path: Path) -> None:
    for month in ("2026-09", "2026-10"):
        (tmp_path / "audits" / f"month={month}").mkdir(parents=True)
    assert report_months("", back=2, data_dir=tmp_path) == ["2026-09", "2026-10"]


# --------------------------------------------------------------------------- slow

def _window(month: str, n: int) -> list[str]:
    return report_months(month, back=n)


@pytest.fixture(scope="session")
def august(tmp_path_factory: pytest.TempPathFactory, sample_data: Path) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("mqr-august")
    summary = build(month=JUMP_MONTH, reports="mqr", data_dir=sample_data, out_dir=out, jobs=1,
                    progress=False)
    assert summary.exit_code == 0
    return {"dir": out / JUMP_MONTH, "data": sample_data}


def _check_records(records: dict, data: Path, month: str, **scope: str) -> None:
    with open_store(data) as store:
        overall = quality_summary(store, filters={"month": month, **scope}).iloc[0]
        series = rate_series(store, filters={"month": _window(month, 13), **scope})
        mom = month_over_month(series).set_index("month").loc[month]
        by = "queue" if "site" in scope else "site"
        change = explain_change(store, month, [by], filters=scope)
        rates = moderator_error_rates(store, filters={"month": _window(month, 3), **scope})
        ranked = coaching_list(rates, min_n=30)
    head = records["headline"]
    assert head["accuracy"] == pytest.approx(overall.accuracy, rel=1e-12)
    assert (head["ci_low"], head["ci_high"]) == pytest.approx((overall.ci_low, overall.ci_high))
    assert head["n_audits"] == overall.n_audits
    assert head["mom_difference"] == pytest.approx(-mom.difference, rel=1e-12)
    assert (head["mom_ci_low"], head["mom_ci_high"]) == pytest.approx((-mom.ci_high,
                                                                       -mom.ci_low))
    assert head["mom_p_value"] == pytest.approx(mom.p_value, rel=1e-12)
    assert head["mom_significant"] == bool(mom.significant)
    assert records["top_change_segment"] == change[by].iloc[0]
    assert records["coaching_list_length"] == len(ranked)
    assert records["coaching_count"] == int(ranked.credibly_above_average.sum())


@pytest.mark.slow
def test_recorded_values_equal_the_library(built_month: dict) -> None:
    month_dir = Path(built_month["out"]) / built_month["month"]
    records = read_records(month_dir / f"{MQR}.ipynb")
    _check_records(records, Path(built_month["data"]), built_month["month"])
    assert records["headline"]["target_status"] in {"met", "at risk", "missed"}
    assert records["coaching_list_length"] > 0  # the sample data has moderators to coach


@pytest.mark.slow
def test_tables_equal_the_library(built_month: dict) -> None:
    month, data = built_month["month"], built_month["data"]
    tables = Path(built_month["out"]) / month / "tables"
    with open_store(data) as store:
        reasons = reason_pareto(store, filters={"month": month})
        change = explain_change(store, month, ["site"])
        strata = stratum_counts(store, month)
        ranked = coaching_list(moderator_error_rates(store, filters={"month": _window(month, 3)}), min_n=30)
    csv = pd.read_csv(tables / "error_reasons.csv")
    assert csv.error_reason.tolist() == reasons.error_reason.tolist()
    assert csv.n_errors.tolist() == reasons.n_errors.tolist()
    csv = pd.read_csv(tables / "error_rate_change.csv")
    assert csv.site.tolist() == change.site.tolist()
    pd.testing.assert_series_equal(csv.total_effect, change.total_effect.reset_index(drop=True),
                                   check_dtype=False, rtol=1e-9)
    csv = pd.read_csv(tables / "coaching_list.csv")
    assert len(csv) == len(ranked)
    assert csv.shrunk_rate.tolist() == pytest.approx(ranked.shrunk_rate.tolist(), rel=1e-12)
    assert csv.n_audits.min() >= 30  # nobody below min_n is shown
    allocation = pd.read_csv(tables / "sample_allocation.csv")
    assert allocation.audits.sum() == strata.n_audits.sum()
    records = read_records(Path(built_month["out"]) / month / f"{MQR}.ipynb")
    expected = stratified_error_rate(strata[strata.items_handled > 0])
    assert records["stratified_error_rate"]["estimate"] == pytest.approx(expected["estimate"])
    assert records["stratified_error_rate"]["ci_low"] == pytest.approx(expected["ci_low"])


def _greyed_rows(html: str, caption: str) -> tuple[list[bool], list[str]]:
    """Rows of the table with ``caption``: greyed (class below-min-n) or not, and the text
    of their last cell (the "Below minimum" flag)."""
    found = BeautifulSoup(html, "html.parser").find("caption", string=caption)
    assert found is not None, caption
    rows = found.find_parent("table").tbody.find_all("tr")
    return (["below-min-n" in (r.get("class") or []) for r in rows],
            [r.find_all("td")[-1].get_text() for r in rows])


@pytest.mark.slow
def test_small_cells_are_flagged_in_the_csvs_and_greyed_in_the_html(built_month: dict) -> None:
    month, data = built_month["month"], built_month["data"]
    month_dir = Path(built_month["out"]) / month
    with open_store(data) as store:
        change = explain_change(store, month, ["site", "queue"])
        strata = stratum_counts(store, month).set_index(["site", "queue"])
    drivers = pd.read_csv(month_dir / "tables" / "error_rate_drivers.csv")
    assert list(drivers.columns[:5]) == ["site", "queue", "mix_effect", "rate_effect",
                                         "total_effect"]
    assert list(zip(drivers.site, drivers.queue)) == list(zip(change.site, change.queue))
    small_cells = (change.n_audits_after < 30).tolist()  # min_n = 30 by default
    assert drivers.below_min_n.tolist() == small_cells
    allocation = pd.read_csv(month_dir / "tables" / "sample_allocation.csv")
    n = strata.loc[list(zip(allocation.site, allocation.queue)), "n_audits"].to_numpy()
    small_strata = (n < 30).tolist()
    assert allocation.below_min_n.tolist() == small_strata and any(small_strata)
    html = (month_dir / f"{MQR}.html").read_text()
    for caption, small in (
            ("The ten site x queue cells that moved the error rate most", small_cells[:10]),
            ("Coverage this month and suggested allocation", small_strata[:10])):  # top 10 shown
        greyed, flags = _greyed_rows(html, caption)
        assert greyed == small, caption
        assert flags == ["yes" if s else "" for s in small], caption


def _visible(page: str) -> str:
    return re.sub(r'src="data:[^"]*"', "", page)


@pytest.mark.slow
def test_no_raw_moderator_id_in_html_or_csv(built_month: dict) -> None:
    ids = set(pd.read_csv(Path(built_month["data"]) / "audits.csv",
                          usecols=["moderator_id", "auditor_id"], dtype=str).stack())
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(ids))) + r")\b")
    month_dir = Path(built_month["out"]) / built_month["month"]
    page = _visible((month_dir / f"{MQR}.html").read_text())
    assert "MOD-" in page
    assert not pattern.findall(page)
    for name in ("coaching_list", "month_calibration_flagged_raters", "error_rate_change",
                 "sample_allocation", "error_reasons"):
        text = (month_dir / "tables" / f"{name}.csv").read_text()
        assert not pattern.findall(text), name


@pytest.mark.slow
def test_august_jump_site_is_out_of_control(august: dict) -> None:
    records = read_records(august["dir"] / f"{MQR}.ipynb")
    assert JUMP_SITE in records["out_of_control_sites"]
    flags = pd.read_csv(august["dir"] / "tables" / "site_control_flags.csv").set_index("site")
    assert flags.loc[JUMP_SITE, "out_of_control"]
    assert flags.loc[JUMP_SITE, "p"] > flags.loc[JUMP_SITE, "ucl"]
    _check_records(records, august["data"], JUMP_MONTH)


@pytest.mark.slow
def test_site_scope_records_equal_the_library(tmp_path: Path, sample_data: Path) -> None:
    month, site = "2026-10", "bpo_beta_cebu"
    out = tmp_path / f"{MQR}.ipynb"
    execute_notebook(NOTEBOOKS / f"{MQR}.ipynb", out,
                     {"data_dir": str(sample_data), "month": month, "scope": "site",
                      "scope_value": site, "tables_dir": str(tmp_path / "tables")},
                     execution_timeout=300)
    records = read_records(out)
    _check_records(records, sample_data, month, site=site)
    assert pd.read_csv(tmp_path / "tables" / "quality_by_site.csv").site.tolist() == [site]


@pytest.mark.parametrize(("scope", "value"), [("org", ""), ("site", "bpo_beta_cebu"),
                                              ("queue", "hate_speech")])
def test_headline_targets_are_the_attainment_tables(sample_store, scope: str,
                                                    value: str) -> None:
    """The headline reads only its two metrics at its own scope; their targets and statuses
    are the rows of the whole attainment table (every metric, every scope)."""
    from qa_insights.business.targets import target_attainment
    from qa_insights.reports.engine.context import resolve_context
    from qa_insights.reports.mqr import headline_numbers, quality_trend

    ctx = resolve_context(sample_store, month="2026-10", scope=scope, scope_value=value)
    got = headline_numbers(sample_store, ctx, quality_trend(sample_store, ctx, 2))
    full = target_attainment(sample_store, "2026-10")
    full = full[(full["scope"] == scope) & (full["scope_value"].astype(str) == value)]
    seen = 0
    for metric, key in (("accuracy", "target"), ("critical_error_rate", "critical_target")):
        rows = full[full["metric"] == metric]
        status = key.replace("target", "target_status")
        if rows.empty:
            assert got[key] is None and got[status] is None
            continue
        seen += 1
        assert (got[key], got[status]) == (float(rows["target"].iloc[0]),
                                           str(rows["status"].iloc[0]))
    assert seen  # the sample sets targets at each of these scopes
