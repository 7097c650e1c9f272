"""Small hand-made data folders for store and contract tests."""

from __future__ import annotations

from pathlib import Path

AUDIT_HEADER = ("audit_id,audited_at,queue,market,site,site_type,moderator_id,"
                "moderator_decision,auditor_decision,error_reason,severity,handle_time_s,"
                "dispute_status,comment")


def audit_row(audit_id: str = "A1", audited_at: str = "2026-10-01T10:00:00Z",
              queue: str = "spam", market: str = "US", site: str = "s1",
              site_type: str = "bpo", moderator_id: str = "m1",
              moderator_decision: str = "spam", auditor_decision: str = "spam",
              error_reason: str = "", severity: str = "", handle_time_s: str = "10",
              dispute_status: str = "none", comment: str = "") -> str:
    """One CSV line of the audits table (values are written as given)."""
    return ",".join([audit_id, audited_at, queue, market, site, site_type, moderator_id,
                     moderator_decision, auditor_decision, error_reason, severity,
                     handle_time_s, dispute_status, comment])


def write_audits(folder: Path, rows: list[str], header: str = AUDIT_HEADER,
                 name: str = "audits.csv", encoding: str = "utf-8",
                 newline: str = "\n") -> Path:
    """Write an audits CSV into ``folder`` and return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    text = newline.join([header, *rows]) + newline
    (folder / name).write_bytes(text.encode(encoding))
    return folder
