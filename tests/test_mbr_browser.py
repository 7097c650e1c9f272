"""The built Monthly Business Review in headless chromium (Playwright): no console errors,
and the RAG-coloured target statuses the page shows equal the library's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qa_insights.business.targets import target_attainment
from qa_insights.data.opening import open_store
from qa_insights.reports import mbr as rm
from tests.report_build_helpers import JUMP_MONTH, month_dir
from tests.report_helpers import BROWSER_ARGS

pytest_plugins = ["tests.fixtures_report_builds"]

pytestmark = pytest.mark.slow
playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def mbr_page(august_build: dict) -> Iterator[tuple[Any, list[str]]]:
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed (CI installs it in .ci/run)")
    path = month_dir(august_build, JUMP_MONTH) / "monthly_business_review.html"
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route("**/*", lambda route: route.continue_()
                   if route.request.url.startswith(("file:", "data:")) else route.abort())
        page.goto(path.resolve().as_uri())
        page.wait_for_load_state("load")
        yield page, errors
        browser.close()


def test_mbr_page_has_no_console_errors(mbr_page: tuple[Any, list[str]]) -> None:
    assert mbr_page[1] == []


def test_mbr_target_statuses_in_the_browser_equal_the_library(
        mbr_page: tuple[Any, list[str]], august_build: dict) -> None:
    page = mbr_page[0]
    with open_store(august_build["data"]) as store:
        expected = rm.status_counts(target_attainment(store, JUMP_MONTH))
    table = page.locator('xpath=//h2[@id="Targets"]'
                         '/following::table[contains(@class, "qa-table")][1]')
    assert table.count() == 1
    for status in ("met", "at risk", "missed"):
        cells = table.locator(f"td.qa-status-{status.replace(' ', '-')}")
        assert cells.count() == expected[status], status
        assert {cells.nth(i).inner_text() for i in range(cells.count())} <= {status.upper()}
        colour = cells.first.evaluate("e => getComputedStyle(e).backgroundColor") \
            if cells.count() else None
        assert colour is None or colour not in ("rgba(0, 0, 0, 0)", "transparent"), status
    tiles = page.locator(".qa-headline").first
    total = sum(expected.values())
    assert tiles.locator(".qa-status-missed .qa-figure-value").inner_text() == \
        f"{expected['missed']} of {total}"
    assert tiles.locator(".qa-status-met .qa-figure-value").inner_text() == \
        f"{expected['met']} of {total}"
