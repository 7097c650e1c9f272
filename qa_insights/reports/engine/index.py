"""``<out>/index.html``: the landing page. Per month, newest first: the accuracy with its
95% interval, the target status (the MQR's word and colour), the MQR summary's first
sentence and its action, then every report with its status and links (the executed
notebook labelled as the analyst's copy).

Built from the months' ``manifest.json`` files and the MQR's rows of ``tables/findings.csv``
(:func:`month_summary`), so it always matches what is published. Self-contained (inline CSS, no script, a Content-Security-Policy that forbids loading
anything), every value escaped, links relative so the folder can be moved or zipped.

Examples
--------
>>> write_index(Path("reports"))                                    # doctest: +SKIP
PosixPath('reports/index.html')
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from qa_insights.reports.engine.kinds import index_rank, report_stem
from qa_insights.reports.engine.paths import TEMPLATES_DIR
from qa_insights.reports.engine.publish import MANIFEST
from qa_insights.reports.engine.tables import FINDINGS_FILE

__all__ = ["index_html", "month_summary", "read_manifests", "status_css", "write_index"]

#: The report whose findings give a month's headline on the index.
HEADLINE_REPORT = "mqr"

_STATUS_TEXT = {"ok": "ready", "empty": "no data", "failed": "failed"}

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1f2933;
       max-width: 1040px; margin: 0 auto; padding: 24px 32px; }
h1 { font-size: 26px; border-bottom: 3px solid #0072B2; padding-bottom: 8px; }
h2 { font-size: 19px; margin-top: 28px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #d9dee3; vertical-align: top; }
th { background: #f5f7fa; }
.status { font-weight: 600; white-space: nowrap; }
.status-ok { color: #00734d; } .status-empty { color: #52606d; } .status-failed { color: #b00020; }
.meta { color: #52606d; font-size: 12px; }
a { color: #0072B2; }
.month-card { border: 1px solid #d9dee3; border-radius: 6px; padding: 12px 16px; margin: 8px 0 14px; }
.month-figures { display: flex; flex-wrap: wrap; gap: 10px; margin-bottom: 8px; }
.figure { border-left: 4px solid #d9dee3; background: #f5f7fa; padding: 6px 12px; }
.figure-value { font-size: 20px; font-weight: 600; display: block; }
.figure-label { font-size: 12px; color: #52606d; display: block; }
.figure.qa-status .figure-label { color: inherit; }
.lead { font-size: 15px; margin: 6px 0; }
.action { font-size: 15px; margin: 6px 0; font-weight: 600; }
@media print { a { color: inherit; } }
"""

_STATUS_RULE = re.compile(r"\.qa-figure\.qa-status-(met|at-risk|missed)\s*\{([^}]*)\}")


def status_css(template_css: Path = TEMPLATES_DIR / "qa_report" / "static" / "qa_report.css"
               ) -> str:
    """The MQR's target-status colours (``.qa-figure.qa-status-met`` ... of the report
    template's CSS) as rules for the index's ``.figure.qa-status-*``, so the index shows a
    status in the very colour the reports do; empty when the template has none.

    Examples
    --------
    >>> ".figure.qa-status-missed {" in status_css()
    True
    """
    try:
        text = template_css.read_text(encoding="utf-8")
    except OSError:
        return ""
    return "\n".join(f".figure.qa-status-{name} {{{body}}}"
                      for name, body in _STATUS_RULE.findall(text))


def read_manifests(out_dir: Path) -> dict[str, dict[str, Any]]:
    """Month -> manifest of every ``<out>/<month>/manifest.json``, newest month first."""
    found = {}
    for path in Path(out_dir).glob(f"*/{MANIFEST}"):
        try:
            found[path.parent.name] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return dict(sorted(found.items(), reverse=True))


def _numbers(row: dict[str, str]) -> dict[str, Any]:
    try:
        value = json.loads(row.get("numbers") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def month_summary(month_dir: Path, report: str = report_stem(HEADLINE_REPORT)
                  ) -> dict[str, Any] | None:
    """The headline of a month for the index, from ``report``'s rows of
    ``<month>/tables/findings.csv``: ``accuracy``, ``ci_low``, ``ci_high``, ``n_audits``
    (the ``month_change`` claim), ``target`` and ``status`` (``target_status``), the first
    sentence (``lead``) and the ``action`` sentence. None when the report wrote no findings.

    Examples
    --------
    >>> month_summary(Path("reports/2026-10"))["status"]              # doctest: +SKIP
    'at risk'
    """
    path = Path(month_dir) / "tables" / FINDINGS_FILE
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = [r for r in csv.DictReader(fh) if r.get("report") == report]
    except (OSError, csv.Error, UnicodeDecodeError):
        return None
    kinds = {r.get("kind", ""): r for r in reversed(rows)}  # the first row of a kind wins
    what = kinds.get("month_change")
    if what is None:
        return None
    numbers = _numbers(what)
    target = _numbers(kinds.get("target_status", {}))
    return {"accuracy": numbers.get("accuracy"), "ci_low": numbers.get("ci_low"),
            "ci_high": numbers.get("ci_high"), "n_audits": numbers.get("n_audits"),
            "target": target.get("target"), "status": target.get("status"),
            "lead": what.get("sentence", ""),
            "action": kinds.get("action", {}).get("sentence", "")}


def _pct(value: Any) -> str:
    try:
        return f"{100 * float(value):.1f}%"
    except (TypeError, ValueError):
        return "–"


def _headline(month: str, summary: dict[str, Any] | None) -> str:
    """The month's card: accuracy and interval, target status, first sentence, action."""
    if summary is None:
        return ('<div class="month-card"><p class="lead">No quality summary for this month: '
                "the Monthly Quality Report has not been built (or failed).</p></div>")
    accuracy = (f"{_pct(summary['accuracy'])} ({_pct(summary['ci_low'])[:-1]}–"
                f"{_pct(summary['ci_high'])})")
    figures = [f'<div class="figure"><span class="figure-value">{html.escape(accuracy)}'
               '</span><span class="figure-label">Accuracy (95% interval)</span></div>']
    status = summary.get("status")
    if summary.get("target") is not None and status:
        css = re.sub(r"[^a-z0-9-]", "", str(status).lower().replace(" ", "-"))
        figures.append(
            f'<div class="figure qa-status qa-status-{html.escape(css)}">'
            f'<span class="figure-value">{html.escape(str(status))}</span>'
            f'<span class="figure-label">Against the {html.escape(_pct(summary["target"]))} '
            "accuracy target</span></div>")
    else:
        figures.append('<div class="figure"><span class="figure-value">no target</span>'
                       '<span class="figure-label">Accuracy target</span></div>')
    action = (f'<p class="action">{html.escape(summary["action"])}</p>'
              if summary.get("action") else "")
    return (f'<div class="month-card"><div class="month-figures">{"".join(figures)}</div>'
            f'<p class="lead">{html.escape(str(summary.get("lead", "")))}</p>{action}</div>')


def _month_title(month: str) -> str:
    try:
        return datetime.strptime(month, "%Y-%m").strftime("%B %Y")
    except ValueError:
        return month


def _when(timestamp: Any) -> str:
    try:
        moment = datetime.fromisoformat(str(timestamp)).astimezone(UTC)
    except ValueError:
        return str(timestamp or "")
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _link(month: str, target: str, text: str) -> str:
    return (f'<a href="{html.escape(quote(month))}/{html.escape(quote(target, safe="#"))}">'
            f"{html.escape(text)}</a>")


def _row(month: str, entry: dict[str, Any]) -> str:
    status = entry.get("status", "failed")
    links = []
    if entry.get("html"):
        label = "open report" if status != "failed" else "last good version"
        links.append(_link(month, entry["html"], label))
    if status == "failed" and entry.get("error_link"):
        links.append(_link(month, entry["error_link"], "failing cell"))
    if entry.get("notebook") and status != "failed":
        links.append(_link(month, entry["notebook"], "analyst's copy (notebook)"))
    error = entry.get("error") or {}
    detail = ""
    if status == "failed" and error:
        detail = (f'<div class="meta">{html.escape(str(error.get("ename", "")))}: '
                  f'{html.escape(str(error.get("evalue", ""))[:300])}</div>')
    when = html.escape(_when(entry.get("finished_at")))
    return (f"<tr><td>{html.escape(str(entry.get('title', '')))}{detail}</td>"
            f'<td class="status status-{html.escape(status)}">'
            f"{html.escape(_STATUS_TEXT.get(status, status))}</td>"
            f"<td>{' · '.join(links) or '–'}</td><td class=\"meta\">{when}</td></tr>")


def index_html(manifests: dict[str, dict[str, Any]],
               summaries: dict[str, dict[str, Any] | None] | None = None) -> str:
    """The index page for ``month -> manifest`` (see :func:`read_manifests`) and
    ``month -> headline`` (:func:`month_summary`; a month without one says so).

    Examples
    --------
    >>> page = index_html({"2026-10": {"reports": {}}}, {"2026-10": {
    ...     "accuracy": .953, "ci_low": .945, "ci_high": .96, "n_audits": 3112,
    ...     "target": .955, "status": "at risk", "lead": "Accuracy <was> 95.3%.",
    ...     "action": "No action needed this month."}})
    >>> "95.3% (94.5–96.0%)" in page, "Accuracy &lt;was&gt; 95.3%." in page
    (True, True)
    >>> 'class="figure qa-status qa-status-at-risk"' in page
    True
    """
    summaries = summaries or {}
    sections = []
    for month, manifest in manifests.items():
        entries = sorted(manifest.get("reports", {}).values(),
                         key=lambda e: (index_rank(e.get("report", "")), e.get("title", "")))
        rows = "".join(_row(month, e) for e in entries)
        month_id = "m-" + html.escape(month)
        sections.append(
            f'<section aria-labelledby="{month_id}"><h2 id="{month_id}">'
            f"{html.escape(_month_title(month))}</h2>{_headline(month, summaries.get(month))}"
            "<table><thead><tr><th>Report</th><th>Status</th>"
            f"<th>Links</th><th>Built</th></tr></thead><tbody>{rows}</tbody></table>"
            "</section>")
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "".join(sections) or "<p>No reports have been built yet.</p>"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>QA reports</title><style>{_CSS}{status_css()}</style></head><body>"
            "<h1>QA reports</h1>"
            f'<p class="meta">Newest month first. Updated {generated}.</p>'
            f"{body}"
            '<p class="meta">Target status: met when the whole 95% interval of accuracy '
            "clears the target, missed when it falls wholly short, at risk otherwise. "
            "The analyst's copy is the executed notebook behind a report. Failed reports "
            "keep their last good version; “failing cell” opens the run at the error.</p>"
            "</body></html>\n")


def write_index(out_dir: Path) -> Path:
    """Write ``<out>/index.html`` atomically; returns its path."""
    out_dir = Path(out_dir)
    path = out_dir / "index.html"
    tmp = out_dir / f".index.html.{os.getpid()}.tmp"
    manifests = read_manifests(out_dir)
    summaries = {month: month_summary(out_dir / month) for month in manifests}
    tmp.write_text(index_html(manifests, summaries), encoding="utf-8")
    os.replace(tmp, path)
    return path
