"""Exports shaped like real QA platforms', made from contract data, for the mapping tests.

* :func:`write_maestro_csv`: a MaestroQA-style CSV: semicolon separated, Latin-1, its own
  column names, "Approve"/"Remove"-style labels, ``10/14/2026 09:31`` local timestamps,
  decimal commas, severity and site type in its own words.
* :func:`write_zendesk_jsonl`: a Zendesk-QA-style JSON lines export: one object per
  review, camelCase keys, nested ``rating`` and ``agent`` objects, numbers as numbers.

Each returns the relabelling it applied so a test can write (or check) the mapping.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.fixtures_data import SAMPLE

#: Contract column -> MaestroQA-style column name.
MAESTRO_COLUMNS = {
    "audit_id": "Audit ID", "audited_at": "Graded Date", "item_id": "Ticket ID",
    "queue": "Queue Name", "market": "Country", "site": "Vendor Site",
    "site_type": "Site Type", "moderator_id": "Agent", "moderator_tenure_days": "Tenure",
    "auditor_id": "Grader", "moderator_decision": "Agent Decision",
    "auditor_decision": "Grader Decision", "error_reason": "Error Reason",
    "severity": "Sev", "handle_time_s": "AHT (s)", "dispute_status": "Dispute",
    "comment": "Grader Comment"}

#: Contract value -> the export's word, for the label columns.
MAESTRO_LABELS = {"no_violation": "Approve", "critical": "Crit", "major": "Major",
                  "minor": "Minor", "bpo": "Outsourced", "in_house": "In-House",
                  "none": "No dispute", "upheld": "Upheld", "overturned": "Overturned"}

#: The export's time zone and timestamp format (Excel-style, to the minute).
MAESTRO_ZONE, MAESTRO_FORMAT = "America/Sao_Paulo", "%m/%d/%Y %H:%M"


def _relabel_decision(value: str) -> str:
    """``no_violation`` -> ``Approve``; a policy label ``hate_speech`` -> ``Remove - Hate
    Speech``."""
    if value == "no_violation":
        return "Approve"
    return "Remove - " + value.replace("_", " ").title()


def maestro_frame(audits: pd.DataFrame) -> pd.DataFrame:
    """The MaestroQA-style version of a contract ``audits`` frame (all cells text)."""
    out = audits.copy()
    when = pd.to_datetime(out["audited_at"], utc=True).dt.tz_convert(MAESTRO_ZONE)
    out["audited_at"] = when.dt.strftime(MAESTRO_FORMAT)
    for col in ("moderator_decision", "auditor_decision"):
        out[col] = out[col].map(_relabel_decision)
    for col in ("site_type", "severity", "dispute_status"):
        out[col] = out[col].map(lambda v: MAESTRO_LABELS.get(v, v) if isinstance(v, str) else v)
    out["handle_time_s"] = out["handle_time_s"].str.replace(".", ",", regex=False)
    out.loc[out.index[:3], "comment"] = "Sátira, não é ataque"  # Latin-1, not ASCII
    return out.rename(columns=MAESTRO_COLUMNS)


def write_maestro_csv(audits: pd.DataFrame, path: Path) -> Path:
    """Write :func:`maestro_frame` of ``audits`` as a semicolon-separated Latin-1 CSV (the
    grader comments hold non-ASCII Latin-1 text)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    maestro_frame(audits).to_csv(path, sep=";", index=False, encoding="latin-1",
                                errors="replace")  # as a Latin-1 export loses the rest
    return path


def decision_map(audits: pd.DataFrame) -> dict[str, str]:
    """The export's decision words -> contract labels, for every label in ``audits``."""
    labels = set(audits["moderator_decision"]) | set(audits["auditor_decision"])
    return {_relabel_decision(v): v for v in sorted(labels)}


#: Contract column -> Zendesk-QA-style JSON key (dotted: nested objects).
ZENDESK_COLUMNS = {
    "audit_id": "reviewId", "audited_at": "createdAt", "item_id": "ticketId",
    "queue": "category", "market": "market", "site": "agent.site",
    "site_type": "agent.siteType", "moderator_id": "agent.id",
    "moderator_decision": "agentAnswer", "auditor_decision": "reviewerAnswer",
    "severity": "rating.severity", "handle_time_s": "handleTimeSeconds"}


def write_zendesk_jsonl(audits: pd.DataFrame, path: Path) -> Path:
    """Write ``audits`` as Zendesk-QA-style JSON lines (times with a ``+02:00`` offset)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for row in audits.to_dict("records"):
        when = pd.Timestamp(row["audited_at"]).tz_convert("Europe/Berlin")
        record: dict = {"reviewId": row["audit_id"], "createdAt": when.isoformat(),
                        "ticketId": row.get("item_id"), "category": row["queue"],
                        "market": row["market"],
                        "agent": {"id": row["moderator_id"], "site": row["site"],
                                  "siteType": row["site_type"].upper()},
                        "agentAnswer": row["moderator_decision"].replace("_", " ").upper(),
                        "reviewerAnswer": row["auditor_decision"].replace("_", " ").upper(),
                        "rating": {"severity": row["severity"] if isinstance(
                            row["severity"], str) else None},
                        "handleTimeSeconds": float(row["handle_time_s"])}
        lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


#: The bundled sample audits as text, the starting point of every export fixture.
@pytest.fixture(scope="module")
def sample_audits() -> pd.DataFrame:
    return pd.read_csv(SAMPLE / "audits.csv", dtype=str, keep_default_na=False,
                       na_values=[""])
