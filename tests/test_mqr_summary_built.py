"""The built MQR on the sample data (2026-10): the executive summary leads the page and equals
summary.md and tables/findings.csv; its figures equal the recorded headline, the CSV tables and
the change table beside them; it names the planted volume shift to bpo_beta_cebu as mix; no
table header shows a raw column name."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from qa_insights.present.display import count, pct, pp, read_records
from qa_insights.present.findings import format_p
from qa_insights.present.labels import LABELS
from tests.report_helpers import built_pages

pytest_plugins = ["tests.fixtures_reports"]

MQR = "monthly_quality_report"
MONTH = "2026-10"
SNAKE = re.compile(r"[a-z0-9]_[a-z0-9]")


@pytest.fixture(scope="module")
def mqr(tmp_path_factory: pytest.TempPathFactory, sample_data: Path) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("mqr-summary")
    mqr = built_pages(sample_data, out, MONTH, "mqr", (MQR,))
    # a second report adds its claims to findings.csv
    both = built_pages(sample_data, out, MONTH, "rca", (), rca_limit=1)
    folder = mqr["folder"]
    return {"folder": folder, "soup": mqr["pages"][MQR], "mqr_rows": mqr["findings"],
            "all_rows": both["findings"], "findings": mqr["findings"],
            "records": read_records(folder / f"{MQR}.ipynb")}


pytestmark = pytest.mark.slow


def test_no_raw_column_name_in_any_table_header_or_chart_text(mqr: dict) -> None:
    soup = mqr["soup"]
    headers = [th.get_text(strip=True) for th in soup.find_all("th")]
    assert headers and not [h for h in headers if SNAKE.search(h)]
    snake_keys = [k for k in LABELS if "_" in k]
    for img in soup.find_all("img"):
        alt = img.get("alt", "")
        assert not [k for k in snake_keys if re.search(rf"\b{k}\b", alt)], alt


def test_summary_leads_and_equals_summary_md_and_findings_csv(mqr: dict) -> None:
    soup, findings = mqr["soup"], mqr["findings"]
    box = soup.select_one(".qa-summary")
    first_table = soup.find("table", class_="qa-table")
    assert box is not None and box.find_all_previous("table") == [] and first_table is not None
    paragraph = box.get_text(strip=True)
    assert paragraph == " ".join(findings.sentence)
    md = (mqr["folder"] / f"{MQR}.summary.md").read_text(encoding="utf-8").splitlines()
    assert md[0].startswith("# Monthly Quality Report") and md[2] == paragraph
    assert findings.report.eq(MQR).all()
    assert findings.kind.tolist()[0] == "month_change"
    assert findings.kind.tolist()[-2:] == ["target_status", "action"]
    assert len(findings) <= 5
    assert mqr["records"]["summary"] == findings.sentence.tolist()


def test_summary_comes_first_then_the_contents_then_the_story_and_the_appendix(
        mqr: dict) -> None:
    soup = mqr["soup"]
    box, nav = soup.select_one(".qa-summary"), soup.select_one("nav.qa-toc")
    assert box is not None and nav is not None
    # the summary is the first content after the header; the contents box follows it
    assert nav in box.find_all_next("nav") and box not in nav.find_all_next("div")
    assert [h.get_text(strip=True).rstrip("¶") for h in box.find_all_previous("h2")] == \
        ["Summary"]
    assert box.find_all_previous(class_="qa-figure") == []
    listed = [a.get_text() for a in nav.select("a")]
    assert listed[0] == "Summary" and listed[-1] == "Appendix" and len(listed) <= 8
    # story first, then the appendix (tagged, so print starts it on a new page)
    appendix = soup.find(id="Appendix")
    assert appendix is not None and "celltag_appendix" in appendix.parent["class"]
    story = [h.get_text(strip=True).rstrip("¶") for h in appendix.find_all_previous("h2")
             if nav not in h.parents][::-1]
    assert story[:2] == ["Summary", "Headline"]
    assert 3 <= len(story) - 2 <= 5  # three to five findings
    assert not appendix.find_all_next("h2")  # every appendix section is under it


def test_what_happened_equals_the_headline_and_the_trend_table(mqr: dict) -> None:
    row = mqr["findings"].iloc[0]
    numbers, headline = json.loads(row.numbers), mqr["records"]["headline"]
    trend = pd.read_csv(mqr["folder"] / "tables" / "quality_trend.csv").set_index("month")
    assert numbers["accuracy"] == pytest.approx(trend.loc[MONTH, "accuracy"], rel=1e-9)
    assert numbers["n_audits"] == trend.loc[MONTH, "n_audits"] == headline["n_audits"]
    # one test for the month's change: the headline's, quoted with its own p-value
    assert row.p_value == pytest.approx(headline["mom_p_value"], rel=1e-9)
    assert bool(row.significant) == headline["mom_significant"]
    sentence = row.sentence
    assert f"was {pct(numbers['accuracy'])} in October 2026" in sentence
    assert (f"95% interval {pct(trend.loc[MONTH, 'ci_low'])[:-1]}–"
            f"{pct(trend.loc[MONTH, 'ci_high'])}") in sentence
    assert f"{count(numbers['n_audits'])} audits" in sentence
    assert format_p(headline["mom_p_value"]) in sentence
    # the headline tile shows the same change
    tiles = {t.select_one(".qa-figure-label").get_text(strip=True):
             t.select_one(".qa-figure-value").get_text(strip=True)
             for t in mqr["soup"].select(".qa-figure")}
    change = [v for k, v in tiles.items() if k.startswith("Change vs")]
    assert change == [pp(numbers["change_pp"])]
    assert f"{pp(abs(numbers['change_pp']))[1:-3]} percentage points" in sentence


def test_the_planted_volume_shift_is_named_with_the_change_tables_figure(mqr: dict) -> None:
    why = mqr["findings"].iloc[1]
    assert why.kind == "driver_mix" and why.scope == "bpo_beta_cebu"
    assert bool(why.significant) and why.p_adjusted < 0.05
    assert f"adjusted for {int(why.adjusted_for)} comparisons" in why.sentence
    change = pd.read_csv(mqr["folder"] / "tables" / "error_rate_change.csv").set_index("site")
    numbers = json.loads(why.numbers)
    assert numbers["mix_effect_pp"] == pytest.approx(change.loc["bpo_beta_cebu", "mix_effect"])
    text = pp(change.loc["bpo_beta_cebu", "mix_effect"])
    assert text in why.sentence
    # the change section repeats the same sentence; the appendix's change table shows the
    # same figure
    heading = mqr["soup"].find(id="What-changed-and-why")
    bullets = heading.find_next("ul", class_="qa-findings")
    assert why.sentence in [li.get_text() for li in bullets.find_all("li")]
    table = next(t for t in mqr["soup"].select("table.qa-table")
                 if t.caption and t.caption.get_text().startswith(
                     "Change of the error rate by site"))
    assert table in mqr["soup"].find(id="Appendix").find_all_next("table")
    cells = {tr.find("td").get_text(): [td.get_text() for td in tr.find_all("td")]
             for tr in table.select("tbody tr")}
    assert text in cells["bpo_beta_cebu"]


def test_target_status_agrees_with_the_headline_tile(mqr: dict) -> None:
    target = mqr["findings"].iloc[-2]
    headline = mqr["records"]["headline"]
    assert target.kind == "target_status"
    assert json.loads(target.numbers)["status"] == headline["target_status"]
    assert pct(headline["target"]) in target.sentence
    assert headline["target_status"] in target.sentence
    action = mqr["findings"].iloc[-1]
    assert action.sentence.startswith("Action: vendor management") and "2026" in \
        action.sentence


def test_findings_csv_holds_every_reports_claims_and_their_summaries(mqr: dict) -> None:
    rows, folder = mqr["all_rows"], mqr["folder"]
    mine = rows[rows.report == MQR].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, mqr["mqr_rows"])  # kept as they were
    others = rows[rows.report != MQR]
    assert len(others) >= 3 and others.report.str.startswith("rca_").all()
    rca = others.report.iloc[0]
    assert rca.startswith("rca_")
    md = (folder / f"{rca}.summary.md").read_text(encoding="utf-8").splitlines()
    assert md[2] == " ".join(others[others.report == rca].sentence)
    soup = BeautifulSoup((folder / f"{rca}.html").read_text(encoding="utf-8"), "html.parser")
    assert soup.select_one(".qa-summary").get_text(strip=True) == md[2]
