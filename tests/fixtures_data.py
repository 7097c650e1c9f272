"""Small hand-made data folders for store and contract tests, and the committed sample."""

from __future__ import annotations

from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples"
"""The committed sample data (``data_samples/``; its README lists the planted effects)."""

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


def planted_month(store, month_offset: int) -> str:
    """The month ``month_offset`` months from the store's last (0 = last, -1 = the one before).

    ``qa_insights.data.sample_data.PLANTED`` places its effects by such offsets.
    """
    months = [m for (m,) in store.con.execute(
        "SELECT DISTINCT month FROM audits ORDER BY month").fetchall()]
    return months[len(months) - 1 + int(month_offset)]
