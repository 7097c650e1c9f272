"""Calibration report: report_calibration glue (unit) and the notebook built on the sample
data for 2026-09 (drift at bpo_delta_bogota, lenient raters at bpo_beta_cebu)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from qa_insights.agreement.table import agreement_table
from qa_insights.calibration import raters as cal
from qa_insights.calibration.load import load_calibration, ratings_matrix
from qa_insights.data.opening import open_store
from qa_insights.present.display import read_records
from qa_insights.reports import calibration as rc
from tests.report_build_helpers import CALIBRATION_MONTH, leaked_ids, month_dir, raw_ids

pytest_plugins = ["tests.fixtures_report_builds"]


def _calibration(data: Path) -> pd.DataFrame:
    with open_store(data) as store:
        return load_calibration(store)


def test_pseudonymise_raters_hides_ids_unless_analyst_mode() -> None:
    frame = pd.DataFrame({"rater_id": ["M0001", "M0002"], "n": [1, 2]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hidden = rc.pseudonymise_raters(frame)
    assert not set(hidden.rater_id) & {"M0001", "M0002"}
    assert hidden.rater_id.nunique() == 2
    assert rc.pseudonymise_raters(frame, analyst_mode=True).rater_id.tolist() == ["M0001",
                                                                                 "M0002"]


def test_site_alignment_counts_match_gold_comparison(sample_data: Path) -> None:
    month = rc.sessions_in_month(_calibration(sample_data), CALIBRATION_MONTH)
    comparison = cal.gold_comparison(month)
    sites = rc.site_alignment(comparison)
    assert sites.n_ratings.sum() == len(comparison)
    assert sites.n_correct.sum() == comparison.correct.sum()
    assert (sites.accuracy_ci_low <= sites.accuracy).all()


def test_leniency_to_date_names_cebu_and_drift_names_bogota(sample_data: Path) -> None:
    history = rc.sessions_up_to(_calibration(sample_data), CALIBRATION_MONTH)
    lenient = rc.site_alignment_sentences(rc.site_alignment(cal.gold_comparison(history)))
    # Cebu is planted lenient; Bogota's drift makes it err (lenient, then both ways too).
    assert {s.split(" is ")[0] for s in lenient} == {"bpo_beta_cebu", "bpo_delta_bogota"}
    assert "bpo_beta_cebu is lenient" in {s.split(":")[0] for s in lenient}
    drift = rc.drift_sentences(cal.drift_trend(history, by="site"))
    assert drift[0].startswith("bpo_delta_bogota: accuracy against the expert is declining")


@pytest.fixture(scope="module")
def report(calibration_build: dict) -> dict:
    folder = month_dir(calibration_build, CALIBRATION_MONTH)
    assert (folder / "calibration_report.html").exists(), calibration_build["results"]
    return {"folder": folder, "records": read_records(folder / "calibration_report.ipynb"),
            "data": Path(calibration_build["data"])}


@pytest.mark.slow
def test_agreement_table_equals_the_library(report: dict) -> None:
    month = rc.sessions_in_month(_calibration(report["data"]), CALIBRATION_MONTH)
    expected = agreement_table(ratings_matrix(month))
    table = pd.read_csv(report["folder"] / "tables" / "calibration_agreement.csv")
    assert table.coefficient.tolist() == expected.coefficient.tolist()
    assert table.value.tolist() == pytest.approx(expected.value.tolist(), rel=1e-9)
    assert table.ci_low.tolist() == pytest.approx(expected.ci_low.tolist(), rel=1e-9)
    recorded = pd.DataFrame(report["records"]["calibration_agreement"])
    assert recorded.value.tolist() == pytest.approx(expected.value.tolist(), rel=1e-9)
    html = (report["folder"] / "calibration_report.html").read_text()
    assert "yet Fleiss&#x27; kappa is only" in html or "yet Fleiss' kappa is only" in html


@pytest.mark.slow
def test_rater_table_equals_the_library_pseudonymised(report: dict) -> None:
    month = rc.sessions_in_month(_calibration(report["data"]), CALIBRATION_MONTH)
    expected = cal.rater_accuracy(month)
    table = pd.read_csv(report["folder"] / "tables" / "calibration_raters.csv")
    assert list(table.columns) == list(rc.RATER_COLUMNS)
    assert table.accuracy.tolist() == pytest.approx(expected.accuracy.tolist(), rel=1e-9)
    assert table.rater_id.str.startswith("RATER-").all()
    assert table.outside_band.sum() == expected.outside_band.sum()


@pytest.mark.slow
def test_report_shows_drift_at_bogota_and_lenient_cebu(report: dict) -> None:
    drift = pd.DataFrame(report["records"]["calibration_drift"]).set_index("site")
    assert drift.loc["bpo_delta_bogota", "trend"] == "declining"
    html = (report["folder"] / "calibration_report.html").read_text()
    assert "bpo_delta_bogota: accuracy against the expert is declining" in html
    assert "bpo_beta_cebu is lenient: its raters labelled" in html


@pytest.mark.slow
def test_calibration_outputs_hold_no_raw_people_ids(report: dict) -> None:
    files = [report["folder"] / "calibration_report.html",
             *sorted((report["folder"] / "tables").glob("calibration_*.csv"))]
    assert leaked_ids(files, raw_ids(report["data"])) == {}


def _text(html: str) -> str:
    import html as html_lib
    import re

    return html_lib.unescape(re.sub(r"<[^>]+>", " ", html))


@pytest.mark.slow
def test_leaning_words_agree_across_callout_table_and_chart(report: dict) -> None:
    import re

    html = (report["folder"] / "calibration_report.html").read_text()
    sites = pd.read_csv(report["folder"] / "tables" / "calibration_sites_to_date.csv")
    alt = re.search(r'alt="(Under-enforcement by site[^"]*)"', html)
    assert alt is not None
    alt_text = _text(alt.group(1))
    section = html.split('id="Leniency-by-site,-all-sessions-to-date"')[-1].split("<h2")[0]
    rows = {_text(r).split()[0]: _text(r) for r in re.findall(r"<tr[^>]*>(.*?)</tr>", section,
                                                              flags=re.S)[1:]}
    text = _text(section)
    for site, leaning in zip(sites["site"], sites["leaning"], strict=True):
        assert f"{site} " in alt_text and f"({leaning})" in alt_text.split(site)[1][:40]
        assert rows[site].rstrip().endswith(leaning)  # the table's last column
        if leaning in ("lenient", "strict", "lenient and strict"):
            assert f"{site} is {leaning}:" in text  # the callout
        else:
            assert f"{site} is " not in text


@pytest.mark.slow
def test_summary_leads_and_is_written_beside_the_report(report: dict) -> None:
    html = _text((report["folder"] / "calibration_report.html").read_text())
    summary = (report["folder"] / "calibration_report.summary.md").read_text()
    body = summary.split("\n\n", 1)[1].strip()
    assert "bpo_beta_cebu is lenient" in body
    assert "bpo_delta_bogota's accuracy against the expert is declining" in body
    assert html.index("Summary") < html.index("Headline")
    assert " ".join(body.split()[:12]) in " ".join(html.split())
    findings = pd.read_csv(report["folder"] / "tables" / "findings.csv")
    mine = findings[findings["report"] == "calibration_report"]
    assert mine["kind"].tolist()[0] == "calibration_accuracy" and len(mine) <= 5
    assert " ".join(mine["sentence"]) == body
