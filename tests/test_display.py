"""Tests of the presentation helpers of the reports: display (formatting, escaping, greyed
rows, recorded values), plots (alt text, no pyplot state) and render (what managers see)."""

from __future__ import annotations

import doctest

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from matplotlib.backends.backend_agg import FigureCanvasAgg

from qa_insights.present import display, plots
from qa_insights.present.display import (
    RECORD_MIMETYPE,
    drivers_table,
    interval,
    pct,
    quality_table,
    read_records,
    table,
)
from qa_insights.reports.engine import tables as report_tables
from qa_insights.reports.engine.render import prepare_for_managers, render_report


@pytest.mark.parametrize("module", [display, plots, report_tables])
def test_docstring_examples(module: object) -> None:
    assert doctest.testmod(module).failed == 0


def test_percentages_and_intervals() -> None:
    assert pct(0.03812) == "3.8%" and pct(None) == "–" and pct(np.nan) == "–"
    assert interval(0.038, 0.031, 0.046) == "3.8% (3.1–4.6%)"
    assert interval(0.0042, 0.0021, 0.0083, digits=2) == "0.42% (0.21–0.83%)"


def test_table_escapes_names_and_greys_small_segments() -> None:
    frame = pd.DataFrame({"site": ["<script>x</script>", "a & b"], "n_audits": [5, 500]})
    html = table(frame, min_n=30)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "a &amp; b" in html
    assert html.count('class="below-min-n"') == 1
    assert "fewer than 30 audits" in html


def test_quality_table_formats_every_interval() -> None:
    summary = pd.DataFrame({"queue": ["spam"], "n_audits": [1000], "n_errors": [38],
                            "accuracy": [0.962], "ci_low": [0.948], "ci_high": [0.972],
                            "critical_error_rate": [0.002], "critical_ci_low": [0.0005],
                            "critical_ci_high": [0.0073]})
    html = quality_table(summary, "queue", min_n=30)._repr_html_()
    assert "96.2% (94.8–97.2%)" in html and "0.20% (0.05–0.73%)" in html
    assert "below-min-n" not in html


def test_empty_drivers_table_is_a_notice() -> None:
    html = drivers_table(pd.DataFrame(columns=["driver"]))._repr_html_()
    assert "Too few audits" in html and "<table" not in html


def test_drivers_table_writes_p_values_as_the_findings_do() -> None:
    """The p-value column follows the project's one convention (format_p_value: 0.0473 keeps
    the digits that decide p < 0.05, > 0.99 at the top); the reference level has none."""
    d = pd.DataFrame({"driver": ["queue"] * 4, "level": ["a", "b", "c", "d"],
                      "reference": [True, False, False, False],
                      "odds_ratio": [1.0, 1.3, 0.9, 2.0], "ci_low": [None, 1.0, 0.7, 1.5],
                      "ci_high": [None, 1.7, 1.1, 2.6], "p_value": [None, 0.0473, 0.995, 1e-5],
                      "n_audits": [500] * 4, "error_rate": [0.05, 0.06, 0.045, 0.09]})
    cells = [tr.find_all("td")[-1].get_text() for tr in
             BeautifulSoup(drivers_table(d)._repr_html_(), "html.parser").select("tbody tr")]
    assert cells == ["–", "0.0473", "> 0.99", "< 0.001"]


def test_records_round_trip_through_a_notebook() -> None:
    nb = nbformat.v4.new_notebook()
    out = nbformat.v4.new_output("display_data", data={RECORD_MIMETYPE: {
        "name": "overall", "value": [{"accuracy": 0.96}]}})
    nb.cells = [nbformat.v4.new_code_cell("record(...)", outputs=[out])]
    nb.metadata["qa_insights"] = {"records": {"month": "2026-10"}}
    assert read_records(nb) == {"month": "2026-10", "overall": [{"accuracy": 0.96}]}
    assert display._jsonable(pd.DataFrame({"a": [np.int64(1)], "b": [np.nan]})) == [
        {"a": 1, "b": None}]


def test_helpers_leave_no_pyplot_figures_and_describe_the_chart() -> None:
    before = plt.get_fignums()
    frame = pd.DataFrame({"site": ["a", "b", "c"], "accuracy": [0.97, 0.95, 0.90],
                          "ci_low": [0.95, 0.93, 0.80], "ci_high": [0.98, 0.97, 0.95],
                          "n_audits": [500, 400, 10], "month": ["2026-08", "2026-09",
                                                                "2026-10"]})
    dots = plots.interval_dots(frame, "site", "accuracy", "ci_low", "ci_high", n="n_audits",
                               min_n=30, title="Accuracy by site")
    line = plots.trend(frame, "month", "accuracy", low="ci_low", high="ci_high",
                       title="Accuracy by month")
    assert plt.get_fignums() == before
    assert "Highest a 97.0%" in plots.alt_text(dots) and "lowest b 95.0%" in plots.alt_text(
        dots)
    assert "1 segments below 30 audits in grey" in plots.alt_text(dots)
    assert plots.alt_text(line) == ("Line chart: Accuracy by month. 97.0% in 2026-08 to "
                                    "90.0% in 2026-10.")
    assert plots.figure_png(dots)[:8] == b"\x89PNG\r\n\x1a\n"


def test_control_chart_legend_stands_outside_the_axes() -> None:
    """Drawn by matplotlib's renderer: the legend's box and the axes' box do not overlap,
    and the legend stays inside the figure (so the PNG keeps it), whatever the points."""
    rng = np.random.default_rng(7)
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    p = rng.uniform(0.02, 0.10, len(months))
    chart = pd.DataFrame({"month": months, "p": p, "centre": 0.06, "lcl": 0.03, "ucl": 0.09,
                          "out_of_control": (p > 0.09) | (p < 0.03)})
    chart.loc[0, "out_of_control"] = True  # the flagged marker is in the legend too
    fig = plots.control_chart(chart, title="Error rate")
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    legends = [*fig.legends, *(a.get_legend() for a in fig.axes if a.get_legend())]
    assert len(legends) == 1
    [legend] = legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "error rate", "centre line", "control limits", "out of control"]
    box = legend.get_window_extent(renderer)
    axes_box = fig.axes[0].get_window_extent(renderer)
    assert not box.overlaps(axes_box), (box, axes_box)
    figure_box = fig.bbox
    assert figure_box.x0 <= box.x0 and box.x1 <= figure_box.x1
    assert figure_box.y0 <= box.y0 and box.y1 <= figure_box.y1


def _executed_notebook() -> nbformat.NotebookNode:
    v4 = nbformat.v4
    params = v4.new_code_cell("month = ''")
    params.metadata["tags"] = ["parameters"]
    title = v4.new_markdown_cell("# Title")
    title.metadata["tags"] = ["remove_cell"]
    stop = v4.new_code_cell("require_data(ctx)", outputs=[
        v4.new_output("stream", name="stderr", text="warning!"),
        v4.new_output("display_data", data={RECORD_MIMETYPE: {"name": "x", "value": 1}}),
        v4.new_output("display_data", data={"text/html": "<p>shown</p>"}),
        v4.new_output("error", ename="NoDataForReport", evalue="No audits <here>.",
                      traceback=["Traceback ..."])])
    later = v4.new_markdown_cell("## Later section")
    nb = v4.new_notebook()
    nb.cells = [title, params, stop, later]
    return nb


def test_managers_see_no_code_stderr_records_or_traceback() -> None:
    nb = prepare_for_managers(_executed_notebook())
    assert len(nb.cells) == 1
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data", "display_data"]
    assert "No audits &lt;here&gt;." in outputs[1].data["text/html"]


def test_rendered_html_is_self_contained_with_contents() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("## One & <Two>"),
                nbformat.v4.new_code_cell("1", outputs=[nbformat.v4.new_output(
                    "execute_result", data={"text/plain": "1"}, execution_count=1)]),
                nbformat.v4.new_markdown_cell("## One & <Two>")]
    rendered = render_report(nb, {"title": "T <b>", "month": "2026-10"})
    assert rendered.warnings == []
    html = rendered.html
    assert "<script" not in html and "Content-Security-Policy" in html
    assert "T &lt;b&gt;" in html
    soup = BeautifulSoup(html, "html.parser")
    targets = [a["href"][1:] for a in soup.select("nav.qa-toc a")]
    assert len(targets) == 2 and len(set(targets)) == 2  # same heading twice: two anchors
    for target in targets:
        assert len(soup.find_all(id=target)) == 1
        assert soup.find(id=target).name == "h2"


def test_contents_box_follows_the_executive_summary() -> None:
    summary = nbformat.v4.new_output("display_data", data={
        "text/html": '<div class="qa-summary" role="note"><p>Accuracy fell.</p></div>'})
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("## Summary"),
                nbformat.v4.new_code_cell("s", outputs=[summary]),
                nbformat.v4.new_markdown_cell("## Findings")]
    soup = BeautifulSoup(render_report(nb).html, "html.parser")
    box, nav = soup.select_one(".qa-summary"), soup.select_one("nav.qa-toc")
    assert nav in box.find_all_next("nav")  # after the summary ...
    assert nav in soup.find(id="Findings").find_all_previous("nav")  # ... before the rest
    assert [a.get_text() for a in nav.select("a")] == ["Summary", "Findings"]
    # a report without a summary keeps the box under the header, before every section
    nb.cells = nb.cells[2:]
    soup = BeautifulSoup(render_report(nb).html, "html.parser")
    assert soup.select_one("nav.qa-toc") in soup.find(id="Findings").find_all_previous("nav")
