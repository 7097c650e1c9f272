"""Render an executed report notebook as self-contained HTML with nbconvert, in-process.

Two renderings, both with the ``qa_report`` template (``templates/qa_report``: no scripts,
no network, embedded images, inlined CSS, header, contents, footer):

* :func:`render_report` for managers: no code, no prompts, no stderr, no tracebacks; cells
  tagged ``remove_cell`` (and the parameters cells) dropped; a report stopped early
  because the month had no data (:class:`qa_insights.reports.engine.context.NoDataForReport`)
  shows its notice and nothing after it.
* :func:`render_debug` for analysts, when a run failed: the whole executed notebook with
  code and traceback; papermill's ``#papermill-error-cell`` anchor marks the failing cell.

After nbconvert, the HTML is post-processed: the contents list is built from the ``<h2>``
headings (each given a unique id) and placed after the executive summary (the summary
leads the page), and anything that would load from the network or run a script is removed
and counted in the returned :class:`Rendered` warnings.

Examples
--------
>>> import nbformat
>>> nb = nbformat.read("reports/2026-10/monthly_quality_report.ipynb", 4)  # doctest: +SKIP
>>> render_report(nb).html[:15]                                           # doctest: +SKIP
'<!DOCTYPE html>'
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from bs4 import BeautifulSoup

from qa_insights.present.display import RECORD_MIMETYPE
from qa_insights.reports.engine.paths import TEMPLATES_DIR

__all__ = [
    "REMOVED_TAGS",
    "Rendered",
    "prepare_for_managers",
    "render_debug",
    "render_report",
]

#: Cells with these tags never reach a manager.
REMOVED_TAGS = frozenset({"remove_cell", "parameters", "injected-parameters",
                          "papermill-error-cell-tag"})

_DEFAULT_ALT = "No description has been provided for this image"
_STOPPED = "NoDataForReport"


@dataclass
class Rendered:
    """HTML of a report and what the post-processing had to fix or found missing."""

    html: str
    warnings: list[str] = field(default_factory=list)


def _stopped_cell(nb: Any) -> int | None:
    """Index of the cell that raised NoDataForReport, if the run stopped that way."""
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and out.get("ename") == _STOPPED:
                return i
    return None


def _stop_notice(evalue: str) -> dict[str, Any]:
    import html

    notice: dict[str, Any] = nbformat.v4.new_output(
        "display_data",
        data={"text/html": f'<div class="qa-notice qa-notice-empty" role="note">'
                           f"{html.escape(evalue)}</div>"})
    return notice


def prepare_for_managers(nb: Any) -> Any:
    """A copy of an executed notebook with only what a manager should see.

    Drops cells tagged :data:`REMOVED_TAGS`, stderr streams, error outputs and recorded
    values; when the run stopped with ``NoDataForReport``, replaces the error with its
    message and drops every later cell.
    """
    nb = copy.deepcopy(nb)
    stop = _stopped_cell(nb)
    cells = []
    for i, cell in enumerate(nb.cells):
        if stop is not None and i > stop:
            break
        if REMOVED_TAGS & set(cell.metadata.get("tags", [])):
            continue
        if cell.cell_type == "code":
            kept = []
            for out in cell.get("outputs", []):
                kind = out.get("output_type")
                if kind == "error":
                    if out.get("ename") == _STOPPED:
                        kept.append(_stop_notice(out.get("evalue", "")))
                    continue
                if kind == "stream" and out.get("name") != "stdout":
                    continue
                if kind in ("display_data", "execute_result") and RECORD_MIMETYPE in out.get(
                        "data", {}):
                    continue
                kept.append(out)
            cell.outputs = kept
        cells.append(cell)
    nb.cells = cells
    return nb


@functools.lru_cache(maxsize=4)
def _exporter(templates_dir: str, with_code: bool) -> Any:
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    c = Config()
    c.TemplateExporter.extra_template_basedirs = [templates_dir]
    c.TemplateExporter.template_name = "qa_report"
    c.TemplateExporter.exclude_input = not with_code
    c.TemplateExporter.exclude_input_prompt = not with_code
    c.TemplateExporter.exclude_output_prompt = True
    c.HTMLExporter.embed_images = True
    c.HTMLExporter.sanitize_html = False
    return HTMLExporter(config=c)


def _heading_text(tag: Any) -> str:
    text = "".join(s for s in tag.strings if s.parent.name != "a"
                   or "anchor-link" not in s.parent.get("class", []))
    return " ".join(text.replace("¶", "").split())


def _postprocess(html: str) -> Rendered:
    soup = BeautifulSoup(html, features="html.parser")
    warnings: list[str] = []
    for script in soup.find_all("script"):
        script.decompose()
        warnings.append("removed a <script> element")
    for tag in soup.find_all(src=True):
        if not str(tag["src"]).startswith("data:"):
            warnings.append(f"removed a non-embedded <{tag.name}> source")
            del tag["src"]
    for link in soup.find_all("link", href=True):
        link.decompose()
        warnings.append("removed a <link> element")
    missing = sum(1 for img in soup.find_all("img")
                  if not img.get("alt") or img.get("alt") == _DEFAULT_ALT)
    if missing:
        warnings.append(f"{missing} image(s) without alt text")

    nav = soup.find("nav", class_="qa-toc")
    main = soup.find("main") or soup.body
    used: set[str] = {str(t["id"]) for t in soup.find_all(id=True)}
    items = []
    for h2 in main.find_all("h2") if main else []:
        if nav is not None and nav in h2.parents:
            continue
        text = _heading_text(h2)
        anchor = h2.get("id")
        if not anchor or len(soup.find_all(id=anchor)) > 1:
            base = "sec-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "section")
            anchor, k = base, 2
            while anchor in used:
                anchor, k = f"{base}-{k}", k + 1
            h2["id"] = anchor
            used.add(anchor)
        for link in h2.find_all("a", class_="anchor-link"):
            link["href"] = f"#{anchor}"
        items.append((anchor, text))
    if nav is not None:
        if items:
            ol = soup.new_tag("ol")
            for anchor, text in items:
                li = soup.new_tag("li")
                a = soup.new_tag("a", href=f"#{anchor}")
                a.string = text
                li.append(a)
                ol.append(li)
            nav.append(ol)
            _contents_after_summary(soup, nav)
        else:
            nav.decompose()
    return Rendered(str(soup), warnings)


def _cell_of(tag: Any) -> Any:
    """The notebook cell (``div.jp-Cell``) holding ``tag``, or None."""
    return tag.find_parent("div", class_="jp-Cell")


def _contents_after_summary(soup: Any, nav: Any) -> None:
    """Move the contents box below the executive summary: the summary (``.qa-summary``)
    is the first thing a reader sees; a report without one keeps the box under the header."""
    box = soup.find(class_="qa-summary")
    cell = _cell_of(box) if box is not None else None
    if cell is not None:
        cell.insert_after(nav.extract())



def _render(nb: Any, meta: dict[str, Any], with_code: bool, templates_dir: Path,
            source_dir: Path | None) -> Rendered:
    nb = copy.deepcopy(nb)
    nb.metadata["qa_report"] = meta
    resources = {"metadata": {"name": meta.get("title", "QA report")}}
    if source_dir is not None:
        resources["metadata"]["path"] = str(source_dir)
    html, _ = _exporter(str(templates_dir), with_code).from_notebook_node(nb,
                                                                          resources=resources)
    return _postprocess(html)


def render_report(nb: Any, meta: dict[str, Any] | None = None, *,
                  templates_dir: Path = TEMPLATES_DIR,
                  source_dir: Path | None = None) -> Rendered:
    """Manager-facing HTML of an executed notebook.

    Parameters
    ----------
    nb : NotebookNode
        Executed notebook (papermill output).
    meta : dict, optional
        Header and footer values: ``title``, ``month``, ``scope``, ``generated_at``,
        ``input_fingerprint``, ``analyst_mode``, ``versions`` (name -> version),
        ``git_commit``, ``status``.
    templates_dir : Path
        Folder holding ``qa_report/``.
    source_dir : Path, optional
        Folder of the source notebook, against which markdown images are embedded.

    Returns
    -------
    Rendered
    """
    return _render(prepare_for_managers(nb), dict(meta or {}), False, templates_dir,
                   source_dir)


def render_debug(nb: Any, meta: dict[str, Any] | None = None, *,
                 templates_dir: Path = TEMPLATES_DIR,
                 source_dir: Path | None = None) -> Rendered:
    """Analyst-facing HTML of a failed run: all cells with code, outputs and traceback;
    ``#papermill-error-cell`` marks the failing cell. Parameters as :func:`render_report`.
    """
    return _render(nb, {**(meta or {}), "status": "failed"}, True, templates_dir, source_dir)
