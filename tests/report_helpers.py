"""Helpers of the report tests (constants, tiny notebooks, hostile data, manifests); the
session fixtures that use them live in tests/fixtures_reports.py.

Import with ``from tests.report_helpers import ...``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd

from qa_insights.data.opening import open_store
from qa_insights.reports.engine.context import months_with_data, scope_values
from qa_insights.reports.engine.paths import NOTEBOOKS_DIR

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = NOTEBOOKS_DIR
RCA_LIMIT = 2

#: Planted names: if escaping failed, they would set a global or fire an event.
HOSTILE_SITE = ('<script>window.__qa_pwned = 1</script>Dublin & "Co" '
                '<img src=x onerror="window.__qa_img = 1">')
HOSTILE_QUEUE = "spam<img src=y onerror=\"window.__qa_queue = 1\">'\"&"
HOSTILE_COMMENT = '=HYPERLINK("http://evil")<script>window.__qa_comment = 1</script>'

BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"]


class LoadedPage:
    """A page opened from disk in a Playwright browser, with every non-file request aborted
    and recorded (``external``) and every console error and uncaught page error recorded
    (``errors``), listeners attached before the page loads."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.page = browser.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: m.type == "error"
                     and self.errors.append(f"console error: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.route("**/*", lambda route: route.continue_()
                        if route.request.url.startswith(("file:", "data:")) else route.abort())
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_load_state("load")

    @property
    def external(self) -> list[str]:
        """Requests to anything but the file itself and data: URLs."""
        return [u for u in self.requests if not u.startswith(("file:", "data:"))]


def built_pages(data: Path, out: Path, month: str, reports: str, stems: tuple[str, ...],
                **options: Any) -> dict[str, Any]:
    """Build ``reports`` of ``month`` into ``out`` (it must succeed) and read back what the
    page tests look at: ``folder`` (the month's folder), ``pages`` (stem -> parsed HTML of
    each of ``stems``) and ``findings`` (``tables/findings.csv``)."""
    from bs4 import BeautifulSoup

    from qa_insights.reports.engine.build import build

    summary = build(month=month, reports=reports, data_dir=data, out_dir=out,
                    progress=False, **{"jobs": 1, **options})
    assert summary.exit_code == 0, [r.error for r in summary.results]
    folder = out / month
    return {"folder": folder, "data": data,
            "pages": {stem: BeautifulSoup((folder / f"{stem}.html").read_text(
                encoding="utf-8"), "html.parser") for stem in stems},
            "findings": pd.read_csv(folder / "tables" / "findings.csv")}


def summary_info(summary: Any) -> dict[str, Any]:
    """JSON-able digest of a BuildSummary."""
    return {"out": str(summary.out_dir), "months": summary.months,
            "exit_code": summary.exit_code,
            "results": [{"stem": r.task.stem, "month": r.task.month, "status": r.status,
                         "timings": r.timings, "error": r.error} for r in summary.results],
            "skipped": [t.stem for t in summary.skipped]}


def write_hostile_copy(source: Path, target: Path) -> dict[str, Any]:
    """Copy the data with HTML-hostile names planted and one month's audits removed."""
    shutil.copytree(source, target)
    audits_path = target / "audits.csv"
    with open_store(source) as store:
        months = months_with_data(store, "audits")
        month, gap = months[-1], months[-2]
        busiest_queue = scope_values(store, "queue", month, by_volume=True)[0]
        site = scope_values(store, "site", month)[0]
    audits = pd.read_csv(audits_path, dtype=str, keep_default_na=False)
    utc_month = pd.to_datetime(audits["audited_at"], utc=True, format="ISO8601").dt.strftime(
        "%Y-%m")
    audits = audits[utc_month != gap].copy()
    audits.loc[audits["site"] == site, "site"] = HOSTILE_SITE
    audits.loc[audits["queue"] == busiest_queue, "queue"] = HOSTILE_QUEUE
    audits.loc[audits.index[:50], "comment"] = HOSTILE_COMMENT
    audits.to_csv(audits_path, index=False)
    return {"month": month, "gap": gap, "renamed_site": site, "renamed_queue": busiest_queue}


def manifest(out: str | Path, month: str) -> dict[str, Any]:
    """The month's manifest.json."""
    return json.loads((Path(out) / month / "manifest.json").read_text())


def tiny_notebook(path: Path, body: str, *, heading: str = "Section") -> Path:
    """A fast report notebook (no heavy imports) that declares the engine's parameters and
    runs ``body``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    params = nbformat.v4.new_code_cell(
        'month: str = ""  # month\ndata_dir: str = ""  # data\nscope: str = "org"  # scope\n'
        'scope_value: str = ""  # value\nanalyst_mode: bool = False  # raw ids\n'
        'tables_dir: str = ""  # tables')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_markdown_cell(f"## {heading}"),
                nbformat.v4.new_code_cell(body)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF written by Chromium: its page objects (``/Type /Page``, not
    ``/Pages``), which Chromium does not compress into object streams."""
    import re

    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", pdf))


def assert_xlsx_equals_csv(tables: Path, name: str) -> list[str]:
    """``tables/<name>.xlsx`` has a data sheet and a README sheet, and its data sheet holds
    the columns and numbers of ``tables/<name>.csv``; returns the numeric columns compared."""
    import numpy as np
    from openpyxl import load_workbook

    wb = load_workbook(tables / f"{name}.xlsx")
    assert wb.sheetnames == ["data", "README"], name
    rows = list(wb["data"].iter_rows(values_only=True))
    sheet = pd.DataFrame(rows[1:], columns=rows[0])
    csv = pd.read_csv(tables / f"{name}.csv")
    assert list(sheet.columns) == list(csv.columns), name
    numeric = [c for c in csv.columns if pd.api.types.is_numeric_dtype(csv[c])
               and not pd.api.types.is_bool_dtype(csv[c])]
    np.testing.assert_allclose(sheet[numeric].astype(float).to_numpy(),
                               csv[numeric].to_numpy(dtype=float), rtol=1e-11,
                               equal_nan=True, err_msg=name)
    return numeric
