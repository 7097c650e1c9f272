"""``<out>/index.html``: every report of every month, with its status and links.

Built from the months' ``manifest.json`` files, so it always matches what is published.
Self-contained (inline CSS, no script, a Content-Security-Policy that forbids loading
anything), every value escaped, links relative so the folder can be moved or zipped.

Examples
--------
>>> write_index(Path("reports"))                                    # doctest: +SKIP
PosixPath('reports/index.html')
"""

from __future__ import annotations

import html
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from qa_insights.reports.engine.kinds import index_rank
from qa_insights.reports.engine.publish import MANIFEST

__all__ = ["index_html", "read_manifests", "write_index"]

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
@media print { a { color: inherit; } }
"""


def read_manifests(out_dir: Path) -> dict[str, dict[str, Any]]:
    """Month -> manifest of every ``<out>/<month>/manifest.json``, newest month first."""
    found = {}
    for path in Path(out_dir).glob(f"*/{MANIFEST}"):
        try:
            found[path.parent.name] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return dict(sorted(found.items(), reverse=True))


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
        label = "open" if status != "failed" else "last good version"
        links.append(_link(month, entry["html"], label))
    if status == "failed" and entry.get("error_link"):
        links.append(_link(month, entry["error_link"], "failing cell"))
    if entry.get("notebook") and status != "failed":
        links.append(_link(month, entry["notebook"], "notebook"))
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


def index_html(manifests: dict[str, dict[str, Any]]) -> str:
    """The index page for ``month -> manifest`` (see :func:`read_manifests`)."""
    sections = []
    for month, manifest in manifests.items():
        entries = sorted(manifest.get("reports", {}).values(),
                         key=lambda e: (index_rank(e.get("report", "")), e.get("title", "")))
        rows = "".join(_row(month, e) for e in entries)
        month_id = "m-" + html.escape(month)
        sections.append(
            f'<section aria-labelledby="{month_id}"><h2 id="{month_id}">'
            f"{html.escape(month)}</h2><table><thead><tr><th>Report</th><th>Status</th>"
            f"<th>Links</th><th>Built</th></tr></thead><tbody>{rows}</tbody></table>"
            "</section>")
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "".join(sections) or "<p>No reports have been built yet.</p>"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>QA reports</title><style>{_CSS}</style></head><body>"
            "<h1>QA reports</h1>"
            f'<p class="meta">Updated {generated}. Failed reports keep their last good '
            "version; “failing cell” opens the run at the error.</p>"
            f"{body}</body></html>\n")


def write_index(out_dir: Path) -> Path:
    """Write ``<out>/index.html`` atomically; returns its path."""
    out_dir = Path(out_dir)
    path = out_dir / "index.html"
    tmp = out_dir / f".index.html.{os.getpid()}.tmp"
    tmp.write_text(index_html(read_manifests(out_dir)), encoding="utf-8")
    os.replace(tmp, path)
    return path
