"""Presentation of projects and rate cards in the MBR (:mod:`qa_insights.business.projects`).

Readable cells with the currency on every amount, and one sentence per flagged project or
vendor (conclusion first).

Examples
--------
>>> money("USD", 1234567.0), money("USD", -50.0, sign=True), money("EUR", float("nan"))
('USD 1,234,567', 'USD -50', '–')
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from qa_insights.business.projects import records

__all__ = ["BILLING_LABELS", "BURN_LABELS", "LABEL_COST_LABELS", "PROJECT_QUALITY_LABELS",
           "billing_sentences", "billing_shown", "burn_sentences", "burn_shown",
           "label_costs_shown", "money", "project_quality_shown"]

#: Column labels of :func:`label_costs_shown`.
LABEL_COST_LABELS: dict[str, str] = {"project_id": "Project", "task_type": "Task type",
                                     "items_handled": "Labels (items handled)",
                                     "cost": "Cost", "cost_per_label": "Cost per label"}

#: Column labels of :func:`billing_shown`.
BILLING_LABELS: dict[str, str] = {"vendor": "Vendor", "task_type": "Task type",
                                  "units": "Billed units", "unit_price": "Card price",
                                  "expected": "At card price", "invoiced": "Invoiced",
                                  "difference": "Invoiced minus card", "status": "Billing check"}

#: Column labels of :func:`burn_shown`.
BURN_LABELS: dict[str, str] = {"project_id": "Project", "period": "Period",
                               "budget": "Budget", "spent": "Spent to date",
                               "burn": "Budget used / time elapsed",
                               "run_rate": "Run rate per month",
                               "projected": "Projected at end (interval)",
                               "vs_budget": "Projected vs budget", "status": "Status"}

#: Column labels of :func:`project_quality_shown`.
PROJECT_QUALITY_LABELS: dict[str, str] = {"project_id": "Project", "n_audits": "Audits",
                                          "accuracy": "Accuracy (95% interval)"}


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and bool(np.isnan(value)))


def money(currency: str, value: float, *, sign: bool = False, digits: int = 0) -> str:
    """An amount with its currency (``–`` when missing)."""
    if _missing(value):
        return "–"
    value = round(value, digits) + 0.0  # no "-0"
    return f"{currency} {value:{'+' if sign else ''},.{digits}f}"


def label_costs_shown(table: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.business.projects.cost_per_label`."""
    rows = records(table)
    return pd.DataFrame({
        "project_id": table["project_id"].astype(str), "task_type": table["task_type"].astype(str),
        "items_handled": table["items_handled"],
        "cost": [money(r["currency"], r["cost"]) for r in rows],
        "cost_per_label": [money(r["currency"], r["cost_per_label"], digits=4) for r in rows]})


def billing_shown(table: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.business.projects.billing_check`."""
    rows = records(table)
    return pd.DataFrame({
        "vendor": table["vendor"].astype(str), "task_type": table["task_type"].astype(str),
        "units": ["–" if _missing(r["units"]) else f"{r['units']:,.1f} {r['unit']}s"
                  for r in rows],
        "unit_price": [money(r["currency"], r["unit_price"], digits=4) for r in rows],
        "expected": [money(r["currency"], r["expected"]) for r in rows],
        "invoiced": [money(r["currency"], r["invoiced"]) for r in rows],
        "difference": ["–" if _missing(r["difference"]) else
                       f"{money(r['currency'], r['difference'], sign=True)} "
                       f"({round(r['difference_pct'], 1) + 0.0:+.1f}%)" for r in rows],
        "status": table["status"].astype(str)})


def _interval(r: dict[str, Any]) -> str:
    cur = r["currency"]
    if _missing(r["projected"]):
        return "–"
    if r["projected_low"] == r["projected_high"]:
        return money(cur, r["projected"])
    return (f"{money(cur, r['projected'])} ({money(cur, r['projected_low'])} to "
            f"{r['projected_high']:,.0f})")


def burn_shown(table: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.business.projects.project_burn`."""
    rows = records(table)
    return pd.DataFrame({
        "project_id": table["project_id"].astype(str),
        "period": [f"{r['start_date']} to {r['end_date']}" for r in rows],
        "budget": [money(r["currency"], r["budget"]) for r in rows],
        "spent": [money(r["currency"], r["spent"]) for r in rows],
        "burn": [f"{r['spent_pct']:.0f}% / {r['elapsed_pct']:.0f}%" for r in rows],
        "run_rate": [money(r["currency"], r["run_rate"]) for r in rows],
        "projected": [_interval(r) for r in rows],
        "vs_budget": ["–" if _missing(r["projected_vs_budget_pct"]) else
                      f"{r['projected_vs_budget_pct']:+.1f}%" for r in rows],
        "status": table["status"].astype(str)})


def burn_sentences(table: pd.DataFrame) -> list[str]:
    """One sentence per project over budget or projected over it (conclusion first).

    Examples
    --------
    >>> t = pd.DataFrame({"project_id": ["ads"], "status": ["projected over budget"],
    ...     "projected": [110.0], "projected_low": [105.0], "projected_high": [115.0],
    ...     "budget": [100.0], "spent": [80.0], "end_date": ["2027-01-31"],
    ...     "projected_vs_budget_pct": [10.0], "currency": ["USD"]})
    >>> burn_sentences(t)[0]
    'Project ads will overrun its budget: at the recent run rate it ends at USD 110 (interval USD 105 to 115) on 2027-01-31, 10.0% over its budget of USD 100.'
    """
    out = []
    for r in records(table):
        cur = r["currency"]
        if r["status"] == "over budget":
            out.append(f"Project {r['project_id']} has already spent {money(cur, r['spent'])}, "
                       f"more than its budget of {money(cur, r['budget'])}.")
        elif r["status"] == "projected over budget":
            out.append(f"Project {r['project_id']} will overrun its budget: at the recent run "
                       f"rate it ends at {money(cur, r['projected'])} (interval "
                       f"{money(cur, r['projected_low'])} to {r['projected_high']:,.0f}) on "
                       f"{r['end_date']}, {r['projected_vs_budget_pct']:.1f}% over its budget "
                       f"of {money(cur, r['budget'])}.")
    return out


def billing_sentences(table: pd.DataFrame) -> list[str]:
    """One sentence per vendor invoicing away from its rate card.

    Examples
    --------
    >>> t = pd.DataFrame({"vendor": ["d", "d"], "task_type": ["a", "b"],
    ...     "status": ["above card", "above card"], "difference": [10.0, 5.0],
    ...     "expected": [100.0, 100.0], "currency": "USD"})
    >>> billing_sentences(t)
    ['Vendor d invoiced USD 15 (7.5%) above its rate card this month (a, b).']
    """
    out = []
    off = table[table["status"].isin(["above card", "below card"])]
    for vendor, rows in off.groupby("vendor", sort=True):
        diff, expected = float(rows["difference"].sum()), float(rows["expected"].sum())
        side = "above" if diff > 0 else "below"
        out.append(f"Vendor {vendor} invoiced {money(str(rows['currency'].iloc[0]), abs(diff))} "
                   f"({100 * abs(diff) / expected:.1f}%) {side} its rate card this month "
                   f"({', '.join(rows['task_type'].astype(str))}).")
    return out


def project_quality_shown(table: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.business.projects.project_quality`."""
    rows = records(table)
    return pd.DataFrame({
        "project_id": table["project_id"].astype(str), "n_audits": table["n_audits"],
        "accuracy": ["–" if _missing(r["accuracy"]) else
                     f"{100 * r['accuracy']:.1f}% ({100 * r['accuracy_ci_low']:.1f}–"
                     f"{100 * r['accuracy_ci_high']:.1f}%)" for r in rows]})
