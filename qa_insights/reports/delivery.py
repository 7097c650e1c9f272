"""Presentation of delivery and staffing in the MBR (:mod:`qa_insights.business.delivery`).

Examples
--------
>>> t = pd.DataFrame({"group": ["b"], "attainment": [0.82], "attainment_before": [0.957],
...     "sla_dropped": [True], "backlog_end": [50000.0], "backlog_change_pct": [300.0],
...     "backlog_rose": [True]})
>>> sla_sentences(t)
['SLA attainment dropped at b: 82.0% this month against 95.7% in the previous months, with the backlog up 300% (50,000 items waiting).']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qa_insights.business.projects import records

__all__ = ["SLA_LABELS", "STAFFING_LABELS", "sla_sentences", "sla_shown", "staffing_shown"]

#: Column labels of :func:`sla_shown`.
SLA_LABELS: dict[str, str] = {"group": "Site", "items_due": "Items due",
                              "attainment": "SLA attainment (95% interval)",
                              "before": "Previous months (lower bound)",
                              "backlog": "Backlog at month end (vs previous)",
                              "verdict": "Verdict"}

#: Column labels of :func:`staffing_shown`.
STAFFING_LABELS: dict[str, str] = {"site": "Site", "items_handled": "Items handled",
                                   "items_per_hour": "Items per productive hour",
                                   "utilisation": "Utilisation",
                                   "plan": "Productive hours vs plan"}


def _pct(value: float, digits: int = 1) -> str:
    return "–" if np.isnan(value) else f"{100 * value:.{digits}f}%"


def _verdict(dropped: bool, rose: bool) -> str:
    parts = (["SLA dropped"] if dropped else []) + (["backlog rose"] if rose else [])
    return ", ".join(parts) if parts else "usual"


def sla_shown(table: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.business.delivery.sla_drops`."""
    rows = records(table)
    return pd.DataFrame({
        "group": ["Organisation" if r["group"] == "org" else str(r["group"]) for r in rows],
        "items_due": table["items_due"],
        "attainment": [f"{_pct(r['attainment'])} ({_pct(r['attainment_ci_low'])}–"
                       f"{_pct(r['attainment_ci_high'])})" for r in rows],
        "before": [f"{_pct(r['attainment_before'])} ({_pct(r['attainment_bound'])})"
                   for r in rows],
        "backlog": ["–" if np.isnan(r["backlog_end"]) else
                    f"{r['backlog_end']:,.0f}" + ("" if np.isnan(r["backlog_change_pct"]) else
                                                 f" ({round(r['backlog_change_pct']) + 0:+d}%)")
                    for r in rows],
        "verdict": [_verdict(bool(r["sla_dropped"]), bool(r["backlog_rose"])) for r in rows]})


def sla_sentences(table: pd.DataFrame) -> list[str]:
    """One sentence per site (or the organisation) whose SLA attainment dropped."""
    out = []
    for r in records(table):
        if not r["sla_dropped"]:
            continue
        where = "across the organisation" if r["group"] == "org" else f"at {r['group']}"
        backlog = (f", with the backlog up {r['backlog_change_pct']:.0f}% "
                   f"({r['backlog_end']:,.0f} items waiting)" if r["backlog_rose"] else "")
        out.append(f"SLA attainment dropped {where}: {_pct(r['attainment'])} this month against "
                   f"{_pct(r['attainment_before'])} in the previous months{backlog}.")
    return out


def staffing_shown(table: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.business.delivery.staffing`."""
    rows = records(table)
    return pd.DataFrame({
        "site": table["site"].astype(str), "items_handled": table["items_handled"],
        "items_per_hour": [f"{r['items_per_hour']:.1f}" for r in rows],
        "utilisation": [_pct(r["utilisation"], 0) for r in rows],
        "plan": ["no plan" if np.isnan(r["hours_vs_plan_pct"]) else
                 f"{r['productive_hours']:,.0f} h of {r['planned_productive_hours']:,.0f} "
                 f"({r['hours_vs_plan_pct']:+.1f}%)" for r in rows]})
