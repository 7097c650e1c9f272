"""The built HTML in a real browser (Playwright + Debian chromium): self-contained, no code,
charts with alt text, working contents, readable tables, the library's numbers, printable,
and hostile names from the data rendered as inert text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import nbformat
import pandas as pd
import pytest

from qa_insights.agreement.table import agreement_table
from qa_insights.calibration.load import load_calibration, ratings_matrix
from qa_insights.data.opening import open_store
from qa_insights.data.queries import TENURE_BANDS
from qa_insights.present import display as qd
from qa_insights.quality.metrics import quality_summary
from qa_insights.rca.change import explain_change
from qa_insights.reports.engine.kinds import report_stem
from qa_insights.reports.engine.paths import TEMPLATES_DIR
from qa_insights.reports.engine.tables import slugify
from tests.report_helpers import BROWSER_ARGS, HOSTILE_QUEUE, HOSTILE_SITE, LoadedPage

pytest_plugins = ["tests.fixtures_reports"]

pytestmark = pytest.mark.slow
playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")

#: Report stem -> number of charts it shows.
REPORT_STEMS = ("monthly_quality_report", "monthly_business_review", "calibration_report")
PWNED = ("__qa_pwned", "__qa_img", "__qa_queue", "__qa_comment")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed (CI installs it in .ci/run)")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    pages: list[LoadedPage] = []

    def _open(path: Path) -> LoadedPage:
        pages.append(LoadedPage(browser, path))
        return pages[-1]

    yield _open
    for loaded in pages:
        loaded.page.close()


def _stems(built_month: dict) -> list[str]:
    return [*REPORT_STEMS, *built_month["rca_stems"]]


def _charts_in_notebook(path: Path) -> int:
    """Charts the executed notebook displayed: one PNG output each (so a chart shown twice
    or lost in rendering makes the HTML count differ)."""
    nb = nbformat.read(path, as_version=4)
    return sum("image/png" in out.get("data", {}) for cell in nb.cells
               if cell.cell_type == "code" for out in cell.get("outputs", []))


def _check_report_page(loaded: LoadedPage, month: str, n_charts: int | None) -> None:
    page = loaded.page
    assert loaded.errors == []
    assert loaded.external == []
    assert page.locator("script").count() == 0
    # no code, prompts, stderr or tracebacks
    assert page.locator(".jp-InputArea-editor, .jp-InputPrompt, .jp-OutputPrompt").count() == 0
    assert page.locator('[data-mime-type="application/vnd.jupyter.stderr"]').count() == 0
    text = page.inner_text("body")
    assert "Traceback" not in text and "encountered an exception" not in text
    # header
    assert page.locator('dd[data-param="month"]').inner_text() == month
    assert len(page.locator('dd[data-param="input_fingerprint"]').inner_text()) == 16
    assert page.locator(".qa-versions").inner_text().count("pandas") == 1
    # images: embedded, decoded, described
    images = page.locator("img")
    if n_charts is not None:
        assert images.count() == n_charts
    for i in range(images.count()):
        img = images.nth(i)
        assert img.get_attribute("src").startswith("data:image/png;base64,")
        assert img.evaluate("e => e.complete && e.naturalWidth > 0")
        alt = img.get_attribute("alt") or ""
        assert len(alt) > 20 and "No description" not in alt
    # contents: every link resolves to exactly one element
    links = page.locator("nav.qa-toc a")
    assert links.count() >= 1
    for i in range(links.count()):
        target = links.nth(i).get_attribute("href")
        assert target.startswith("#")
        assert page.evaluate("id => document.querySelectorAll(`[id=\"${CSS.escape(id)}\"]`)"
                             ".length", target[1:]) == 1
    # tables have visible rows
    tables = page.locator("table.qa-table")
    for i in range(tables.count()):
        rows = tables.nth(i).locator("tbody tr")
        assert rows.count() > 0 and rows.first.is_visible()


@pytest.mark.parametrize("index", range(5))
def test_report_page_is_clean_and_self_contained(built_month: dict, open_page: Any,
                                                 index: int) -> None:
    stem = _stems(built_month)[index]
    month = built_month["month"]
    loaded = open_page(Path(built_month["out"]) / month / f"{stem}.html")
    charts = _charts_in_notebook(Path(built_month["out"]) / month / f"{stem}.ipynb")
    assert charts >= 1
    _check_report_page(loaded, month, charts)
    assert loaded.page.title()


def test_mqr_numbers_equal_the_library(built_month: dict, open_page: Any) -> None:
    month = built_month["month"]
    page = open_page(Path(built_month["out"]) / month / "monthly_quality_report.html").page
    with open_store(built_month["data"]) as store:
        overall = quality_summary(store, filters={"month": month}).iloc[0]
        by_site = quality_summary(store, "site", filters={"month": month})
        moderators = [r[0] for r in store.con.execute(
            "SELECT DISTINCT moderator_id FROM audits WHERE month = ?", [month]).fetchall()]
    headline = page.locator(".qa-headline").first.inner_text()  # the first tiles are the headline
    assert qd.interval(overall.accuracy, overall.ci_low, overall.ci_high) in headline
    assert qd.count(overall.n_audits) in headline
    site_table = page.locator("table.qa-table", has=page.locator(
        "caption", has_text=re.compile(r"^Accuracy by site$")))
    assert site_table.count() == 1
    assert site_table.locator("th").first.inner_text() == "Site"
    rows = site_table.locator("tbody tr")
    shown = {rows.nth(i).locator("td").nth(0).inner_text():
             rows.nth(i).locator("td").nth(3).inner_text() for i in range(rows.count())}
    expected = {r.site: qd.interval(r.accuracy, r.ci_low, r.ci_high)
                for r in by_site.itertuples()}
    assert shown == expected
    text = page.inner_text("body")
    assert not [m for m in moderators if m in text]  # manager-facing: no raw moderator ids


def _table_rows(page: Any, caption: str) -> list[list[str]]:
    """Cell texts of the one report table whose caption starts with ``caption``."""
    table = page.locator("table.qa-table", has=page.locator("caption",
                                                            has_text=caption))
    assert table.count() == 1, caption
    return table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells, c => c.innerText))")


def _kappa_like(value: float, low: float, high: float) -> str:
    return f"{value:.2f} ({low:.2f}–{high:.2f})"


def test_calibration_numbers_equal_the_library(built_month: dict, open_page: Any) -> None:
    month = built_month["month"]
    page = open_page(Path(built_month["out"]) / month / "calibration_report.html").page
    with open_store(built_month["data"]) as store:
        ratings = load_calibration(store)
    sessions = ratings[ratings.session_date.dt.strftime("%Y-%m") == month]
    assert sessions.session_id.nunique() >= 1
    expected = agreement_table(ratings_matrix(sessions)).set_index("coefficient")
    shown = {row[0]: row[1] for row in _table_rows(page, "Agreement coefficients")}
    for name in ("percent agreement", "Fleiss' kappa", "Gwet's AC1"):
        r = expected.loc[name]
        text = (qd.interval(r.value, r.ci_low, r.ci_high) if name == "percent agreement"
                else _kappa_like(r.value, r.ci_low, r.ci_high))
        assert shown[name] == text, name
    headline = page.locator(".qa-headline").first.inner_text()
    ac1 = expected.loc["Gwet's AC1"]
    assert _kappa_like(ac1.value, ac1.ci_low, ac1.ci_high) in headline


def test_rca_numbers_equal_the_library(built_month: dict, open_page: Any) -> None:
    month, queue = built_month["month"], built_month["rca_queues"][0]
    page = open_page(Path(built_month["out"]) / month / f"rca_{slugify(queue)}.html").page
    with open_store(built_month["data"]) as store:
        change = explain_change(store, month, ["site"], filters={"queue": queue})
    rows = _table_rows(page, "By site,")
    assert [r[0] for r in rows] == change.site.tolist()  # sorted by absolute total effect
    for row, expected in zip(rows, change.itertuples()):
        assert row[3] == qd.count(expected.n_audits_after), expected.site
        assert row[4] == qd.pct(expected.rate_after), expected.site
        assert row[7] == f"{qd.number(expected.total_effect, 2, sign=True)} pts", expected.site
    drivers = page.locator('xpath=//h2[@id="Error-drivers"]'
                           '/following::table[contains(@class, "qa-table")][1]')
    levels = [r[1] for r in drivers.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells, c => c.innerText))") if r[0] == "tenure band"]
    natural = [label for label, _ in TENURE_BANDS] + ["unknown"]
    assert len(levels) >= 3 and levels == [b for b in natural if b in levels]


def test_mqr_prints_to_pdf(built_month: dict, open_page: Any) -> None:
    page = open_page(Path(built_month["out"]) / built_month["month"]
                     / "monthly_quality_report.html").page
    pdf = page.pdf(format="A4")
    assert pdf[:4] == b"%PDF" and len(pdf) > 10_000


def test_index_links_every_report(built_month: dict, open_page: Any) -> None:
    out, month = Path(built_month["out"]), built_month["month"]
    loaded = open_page(out / "index.html")
    assert loaded.errors == [] and loaded.external == []
    hrefs = loaded.page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href'))")
    for stem in _stems(built_month):
        assert f"{month}/{stem}.html" in hrefs
    for href in hrefs:
        assert (out / href.split("#")[0]).is_file(), href


def test_hostile_names_render_as_inert_text(hostile_build: dict, open_page: Any) -> None:
    out, month = Path(hostile_build["out"]), hostile_build["month"]
    mqr_path = out / month / "monthly_quality_report.html"
    rca_paths = sorted((out / month).glob("rca_*.html"))
    pages = {path: open_page(path) for path in (mqr_path, out / "index.html", *rca_paths)}
    assert len(pages) >= 3
    for path, loaded in pages.items():
        page = loaded.page
        assert loaded.errors == [], (path.name, loaded.errors)  # any console error fails
        assert loaded.external == [], (path.name, loaded.external)
        for name in PWNED:
            assert page.evaluate(f"typeof window.{name}") == "undefined", (path.name, name)
        assert page.locator("script").count() == 0
        assert page.locator("img:not([src^='data:'])").count() == 0
    assert HOSTILE_SITE in pages[mqr_path].page.inner_text("body")
    queue_rca = out / month / f"{report_stem('rca', 'queue', HOSTILE_QUEUE)}.html"
    assert HOSTILE_QUEUE in pages[queue_rca].page.locator("h1").inner_text()


def test_page_check_catches_console_errors(tmp_path: Path, open_page: Any) -> None:
    """The recorder the tests above rely on: a console error, an uncaught exception and a
    resource that fails to load are each caught; a clean page records nothing."""
    pages = {"clean": "<p>fine</p>",
             "console": "<script>console.error('boom')</script>",
             "exception": "<script>throw new Error('thrown')</script>",
             "missing image": '<img src="no-such-file.png" alt="x">'}
    for name, body in pages.items():
        (tmp_path / f"{name}.html").write_text(f"<!doctype html><title>t</title>{body}")
    recorded = {name: open_page(tmp_path / f"{name}.html").errors for name in pages}
    assert recorded["clean"] == []
    assert recorded["console"] == ["console error: boom"]
    assert len(recorded["exception"]) == 1 and "thrown" in recorded["exception"][0]
    assert len(recorded["missing image"]) == 1
    assert recorded["missing image"][0].startswith("console error: ")


def test_empty_month_report_says_so(hostile_build: dict, open_page: Any) -> None:
    gap = hostile_build["gap"]
    loaded = open_page(Path(hostile_build["out"]) / gap / "monthly_quality_report.html")
    assert loaded.errors == [] and loaded.external == []
    notice = loaded.page.locator(".qa-notice-empty")
    assert notice.inner_text() == f"No audits in {gap} for the whole organisation."


# --------------------------------------------------------------------------- links and index

#: An action that sends a missed target's site or queue to its deep dive (one action: the
#: match may not run on into the next action's "missed its target").
DEEP_DIVE_ACTION = re.compile(r" at (site|queue) (\S+) missed its target:"
                              r"(?:(?! missed its target).)*?\(see its RCA deep dive\)")


def _hrefs(page: Any) -> list[str]:
    return page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")


def test_every_link_resolves_and_every_deep_dive_pointed_to_exists(built_month: dict,
                                                                   open_page: Any) -> None:
    """Every href of the MQR, the MBR, the deep dives and the index opens a file that
    exists; every site or queue the MBR sends to "its RCA deep dive" and every site the MQR
    names as the driver has its deep dive."""
    out, month = Path(built_month["out"]), built_month["month"]
    month_dir = out / month
    pages = [out / "index.html", month_dir / "monthly_quality_report.html",
             month_dir / "monthly_business_review.html", *sorted(month_dir.glob("rca_*.html"))]
    for path in pages:
        for href in _hrefs(open_page(path).page):
            if href.startswith("#"):
                continue
            assert "://" not in href, (path.name, href)
            target = (path.parent / unquote(href.split("#")[0])).resolve()
            assert target.is_file(), (path.name, href)
    mbr_page = open_page(month_dir / "monthly_business_review.html").page
    mbr = mbr_page.inner_text("body")
    pointed = DEEP_DIVE_ACTION.findall(" ".join(mbr.split()))
    # each action that sends the reader to a deep dive links it, in its own notice
    linked = mbr_page.eval_on_selector_all(
        ".qa-notice-warning a", "els => els.map(e => [e.textContent, e.getAttribute('href')])")
    assert sorted(href for _, href in linked) == sorted(
        f"{report_stem('rca', scope, value)}.html" for scope, value in pointed)
    assert {text for text, _ in linked} <= {"its RCA deep dive"}
    findings = pd.read_csv(month_dir / "tables" / "findings.csv")
    drivers = findings[(findings["report"] == "monthly_quality_report")
                       & findings["kind"].isin(["driver_mix", "driver_rate"])]
    pointed += [("site", s) for s in drivers["scope"]]
    assert pointed, "the sample month names no deep dive: the test would check nothing"
    for scope, value in pointed:
        assert (month_dir / f"{report_stem('rca', scope, value)}.html").is_file(), (scope, value)


def _status_colour(css: str, status: str) -> str:
    body = re.search(rf"\.qa-figure\.qa-status-{status}\s*\{{([^}}]*)\}}", css)
    assert body is not None
    colour = re.search(r"background:\s*#([0-9a-fA-F]{6})", body.group(1))
    assert colour is not None
    r, g, b = (int(colour.group(1)[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgb({r}, {g}, {b})"


def test_index_is_a_landing_page_with_the_mqr_figures(built_month: dict,
                                                      open_page: Any) -> None:
    out, month = Path(built_month["out"]), built_month["month"]
    loaded = open_page(out / "index.html")
    page = loaded.page
    assert loaded.errors == [] and loaded.external == []
    findings = pd.read_csv(out / month / "tables" / "findings.csv")
    mqr = findings[findings["report"] == "monthly_quality_report"].set_index("kind")
    what = json.loads(mqr.loc["month_change", "numbers"])
    target = json.loads(mqr.loc["target_status", "numbers"])
    card = page.locator(f'section[aria-labelledby="m-{month}"] .month-card')
    figures = card.locator(".figure-value").all_inner_texts()
    accuracy = (f"{100 * what['accuracy']:.1f}% ({100 * what['ci_low']:.1f}–"
                f"{100 * what['ci_high']:.1f}%)")
    assert figures[0] == accuracy
    assert figures[1] == target["status"]
    assert f"{100 * target['target']:.1f}%" in card.locator(".figure-label").nth(1).inner_text()
    summary_md = (out / month / "monthly_quality_report.summary.md").read_text()
    lead = card.locator(".lead").inner_text()
    assert lead == mqr.loc["month_change", "sentence"]
    assert summary_md.split("\n\n", 1)[1].startswith(lead)
    assert card.locator(".action").inner_text() == mqr.loc["action", "sentence"]
    # the status in the MQR's colour, with its word
    status_class = target["status"].replace(" ", "-")
    css = (TEMPLATES_DIR / "qa_report" / "static" / "qa_report.css").read_text()
    tile = card.locator(f".figure.qa-status-{status_class}")
    assert tile.evaluate("e => getComputedStyle(e).backgroundColor") == \
        _status_colour(css, status_class)
    # every report: an open link and the analyst's copy
    rows = page.locator(f'section[aria-labelledby="m-{month}"] tbody tr')
    assert rows.count() == len(json.loads((out / month / "manifest.json").read_text())[
        "reports"])
    for i in range(rows.count()):
        links = rows.nth(i).locator("a").all_inner_texts()
        assert links == ["open report", "analyst's copy (notebook)"], links
