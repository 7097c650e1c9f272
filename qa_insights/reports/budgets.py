"""Presentation of budget against actual in the MBR (:mod:`qa_insights.business.budgets`).

Examples
--------
>>> t = pd.DataFrame({"month": ["2026-10"], "scope": ["vendor"], "scope_value": ["gamma"],
...     "budget": [100.0], "actual": [float("nan")], "variance": [float("nan")],
...     "variance_pct": [float("nan")], "status": ["no actual"], "currency": ["USD"]})
>>> budgets_shown(t).loc[0, ["budget", "actual", "variance"]].tolist()
['USD 100', '–', '–']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["BUDGET_LABELS", "budgets_shown"]

#: Column labels of :func:`budgets_shown`.
BUDGET_LABELS: dict[str, str] = {"scope": "Scope", "scope_value": "Of", "budget": "Budget",
                                 "actual": "Actual", "variance": "Variance (of budget)",
                                 "status": "Status"}


def _money(currency: str, value: float, sign: bool = False) -> str:
    if value is None or np.isnan(value):
        return "–"
    return f"{currency} {value:+,.0f}" if sign else f"{currency} {value:,.0f}"


def budgets_shown(table: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.business.budgets.budget_vs_actual`."""
    rows = table.to_dict("records")
    return pd.DataFrame({
        "scope": table["scope"].astype(str),
        "scope_value": table["scope_value"].fillna("").astype(str),
        "budget": [_money(r["currency"], r["budget"]) for r in rows],
        "actual": [_money(r["currency"], r["actual"]) for r in rows],
        "variance": ["–" if np.isnan(r["variance"]) else
                     f"{_money(r['currency'], r['variance'], sign=True)} "
                     f"({r['variance_pct']:+.1f}%)" for r in rows],
        "status": table["status"].astype(str),
    })
