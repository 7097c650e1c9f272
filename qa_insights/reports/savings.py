"""Presentation of the savings register in the MBR (:mod:`qa_insights.business.savings`).

Examples
--------
>>> t = pd.DataFrame({"initiative": ["a"], "scope": ["site"], "scope_value": ["x"],
...     "start_month": ["2026-05"], "months_after": [6], "planned": [1000.0],
...     "realised": [100.0], "realised_low": [-50.0], "realised_high": [250.0],
...     "realised_pct_of_plan": [10.0], "status": ["behind"], "currency": ["USD"]})
>>> savings_sentences(t)
['A is behind: it saves USD 100 a month (interval USD -50 to 250) against USD 1,000 planned, 10% of plan over 6 months since 2026-05.']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qa_insights.business.projects import records
from qa_insights.reports.projects import money

__all__ = ["SAVINGS_LABELS", "savings_sentences", "savings_shown"]

#: Column labels of :func:`savings_shown`.
SAVINGS_LABELS: dict[str, str] = {"initiative": "Initiative", "scope": "Where",
                                  "start_month": "Since", "planned": "Planned per month",
                                  "realised": "Realised per month (interval)",
                                  "of_plan": "Of plan", "status": "Status"}


def _interval(currency: str, value: float, low: float, high: float) -> str:
    if np.isnan(value):
        return "–"
    if np.isnan(low):
        return money(currency, value)
    return f"{money(currency, value)} ({money(currency, low)} to {high:,.0f})"


def savings_shown(table: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.business.savings.savings_register`."""
    rows = records(table)
    return pd.DataFrame({
        "initiative": table["initiative"].astype(str),
        "scope": [r["scope"] if not r["scope_value"] else f"{r['scope']} {r['scope_value']}"
                  for r in rows],
        "start_month": table["start_month"].astype(str),
        "planned": [money(r["currency"], r["planned"]) for r in rows],
        "realised": [_interval(r["currency"], r["realised"], r["realised_low"],
                               r["realised_high"]) for r in rows],
        "of_plan": ["–" if np.isnan(r["realised_pct_of_plan"]) else
                    f"{r['realised_pct_of_plan']:.0f}%" for r in rows],
        "status": table["status"].astype(str)})


def savings_sentences(table: pd.DataFrame) -> list[str]:
    """One sentence per initiative behind or ahead of plan."""
    out = []
    for r in records(table):
        if r["status"] not in ("behind", "ahead"):
            continue
        cur = r["currency"]
        name = str(r["initiative"])
        out.append(f"{name[:1].upper() + name[1:]} is {r['status']}: it saves "
                   f"{money(cur, r['realised'])} a month (interval "
                   f"{money(cur, r['realised_low'])} to {r['realised_high']:,.0f}) against "
                   f"{money(cur, r['planned'])} planned, {r['realised_pct_of_plan']:.0f}% of "
                   f"plan over {r['months_after']} months since {r['start_month']}.")
    return out
