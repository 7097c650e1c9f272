"""Small audit stores for the RCA, drivers, experiments and findings tests.

``cell(...)`` describes a group of audits with the same month, site, queue (and so on) and
a given number of errors; ``write_store(tmp_path, cells)`` writes them as ``audits.csv``
and opens the store.
"""

from __future__ import annotations

import csv
from pathlib import Path

from qa_insights.data.opening import open_store
from qa_insights.data.protocol import Store

COLUMNS = ["audit_id", "audited_at", "queue", "market", "site", "site_type", "moderator_id",
           "moderator_tenure_days", "moderator_decision", "auditor_decision", "error_reason",
           "severity", "handle_time_s", "dispute_status"]

#: (moderator_decision, auditor_decision) giving each error type.
DECISIONS = {"false_positive": ("hate_speech", "no_violation"),
             "false_negative": ("no_violation", "hate_speech"),
             "wrong_policy": ("hate_speech", "harassment")}


def cell(month: str, site: str, queue: str, n: int, errors: int = 0, *, market: str = "US",
         error_type: str = "false_positive", reasons: list[str] | None = None,
         handle_times: list[float] | None = None, tenure: int | None = 400,
         moderator: str | None = None) -> list[dict]:
    """``n`` audits of one month x site x queue, the first ``errors`` of them errors.

    ``reasons`` (cycled) sets the error reasons, ``handle_times`` (cycled) the handle
    times of all ``n`` audits.
    """
    site_type = "bpo" if site.startswith("bpo") else "in_house"
    rows = []
    for i in range(n):
        err = i < errors
        mod, aud = DECISIONS[error_type] if err else ("no_violation", "no_violation")
        rows.append({
            "audited_at": f"{month}-15T10:00:00Z", "queue": queue, "market": market,
            "site": site, "site_type": site_type,
            "moderator_id": moderator or f"{site}-m{i % 7}",
            "moderator_tenure_days": "" if tenure is None else tenure,
            "moderator_decision": mod, "auditor_decision": aud,
            "error_reason": (reasons[i % len(reasons)] if reasons else "policy_misread")
            if err else "",
            "severity": "major" if err else "",
            "handle_time_s": handle_times[i % len(handle_times)] if handle_times else 40.0,
            "dispute_status": "none"})
    return rows


def write_store(tmp_path: Path, *cells: list[dict]) -> Store:
    """Write the cells as ``audits.csv`` in ``tmp_path`` and open the store."""
    with open(tmp_path / "audits.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        k = 0
        for rows in cells:
            for row in rows:
                k += 1
                w.writerow({"audit_id": f"A{k:07d}", **row})
    return open_store(tmp_path)
