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

from qa_insights.present.display import money, number

__all__ = ["BUDGET_LABELS", "budgets_shown"]

#: Column labels of :func:`budgets_shown`.
BUDGET_LABELS: dict[str, str] = {"scope": "Scope", "scope_value": "Of", "budget": "Budget",
                                 "actual": "Actual", "variance": "Variance (of budget)",
                                 "status": "Status"}


def budgets_shown(table: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.business.budgets.budget_vs_actual`."""
    rows = table.to_dict("records")
    return pd.DataFrame({
        "scope": table["scope"].astype(str),
        "scope_value": table["scope_value"].fillna("").astype(str),
        "budget": [money(r["budget"], r["currency"]) for r in rows],
        "actual": [money(r["actual"], r["currency"]) for r in rows],
        "variance": ["–" if np.isnan(r["variance"]) else
                     f"{money(r['variance'], r['currency'], sign=True)} "
                     f"({number(r['variance_pct'], sign=True)}%)" for r in rows],
        "status": table["status"].astype(str),
    })
