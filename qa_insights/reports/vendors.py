"""Presentation of the vendor scorecard in the MBR (:mod:`qa_insights.business.vendors`).

:func:`scorecard_shown` turns the scorecard into readable cells (intervals, differences
against in-house with their Holm-adjusted test, money with its currency, target statuses);
:func:`tradeoff_sentences` gives the one-sentence trade-off of each vendor.

Examples
--------
>>> card = pd.DataFrame({"vendor": ["in-house"], "tradeoff": ["in-house: the baseline."]})
>>> tradeoff_sentences(card)
[]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qa_insights.business.vendors import IN_HOUSE
from qa_insights.present.display import money

__all__ = ["SCORECARD_LABELS", "scorecard_shown", "tradeoff_sentences"]

#: Column labels of :func:`scorecard_shown` for :func:`qa_insights.present.display.table`.
SCORECARD_LABELS: dict[str, str] = {
    "vendor": "Vendor", "sites": "Sites", "items_handled": "Items handled",
    "accuracy": "Accuracy (95% interval)",
    "accuracy_vs_in_house": "Accuracy vs in-house (pts, 95% interval; Holm-adjusted p)",
    "critical_error_rate": "Critical-error rate (95% interval)",
    "handle_time": "Mean handle time (vs in-house)",
    "throughput": "Items per productive hour (vs in-house)",
    "cost_per_item": "Cost per item (vs in-house)",
    "cost_per_correct_decision": "Cost per correct decision (95% interval)",
    "cost_of_errors": "Cost of errors (95% interval)",
    "targets": "Against org targets",
}

_TARGETS = {"accuracy": "accuracy", "critical_error_rate": "critical errors",
            "handle_time_s": "handle time", "cost_per_item": "cost per item"}


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _pct(value: float, low: float, high: float, digits: int = 1) -> str:
    if _missing(value):
        return "–"
    return f"{100 * value:.{digits}f}% ({100 * low:.{digits}f}–{100 * high:.{digits}f}%)"


def _vs(text: str, pct: float) -> str:
    return text if _missing(pct) else f"{text} ({pct:+.0f}%)"


def _diff(row: pd.Series) -> str:
    if _missing(row["accuracy_diff_pts"]):
        return "baseline" if row["vendor"] == IN_HOUSE else "–"
    p = row["accuracy_p_holm"]
    p_text = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    return (f"{row['accuracy_diff_pts']:+.1f} ({row['accuracy_diff_ci_low_pts']:+.1f} to "
            f"{row['accuracy_diff_ci_high_pts']:+.1f}; {p_text})")


def _targets(row: pd.Series) -> str:
    parts = [f"{name} {row[f'{metric}_status']}" for metric, name in _TARGETS.items()
             if row[f"{metric}_status"] != "no target"]
    return "; ".join(parts) if parts else "no targets"


def scorecard_shown(card: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.business.vendors.vendor_scorecard`.

    Examples
    --------
    >>> from qa_insights.business.vendors import scorecard_from_sums
    >>> s = pd.DataFrame({"vendor": ["in-house", "alpha"], "items_handled": [1000, 1000],
    ...     "productive_hours": [10.0, 10.0], "headcount": [1.0, 1.0],
    ...     "cost": [1000.0, 600.0], "n_audits": [500, 500], "n_errors": [10, 30],
    ...     "n_critical": [1, 2], "n_handle_time": [500, 500],
    ...     "handle_time_total_s": [20000.0, 15000.0], "currency": "EUR"})
    >>> scorecard_shown(scorecard_from_sums(s)).loc[1, ["cost_per_item", "handle_time"]].tolist()
    ['EUR 0.600 (-40%)', '30.0 s (-25%)']
    """
    rows = [card.loc[i] for i in card.index]
    cur = [str(r.get("currency", "")) for r in rows]
    return pd.DataFrame({
        "vendor": card["vendor"].astype(str),
        "sites": card["sites"].astype(str),
        "items_handled": card["items_handled"],
        "accuracy": [_pct(r["accuracy"], r["accuracy_ci_low"], r["accuracy_ci_high"])
                     for r in rows],
        "accuracy_vs_in_house": [_diff(r) for r in rows],
        "critical_error_rate": [_pct(r["critical_error_rate"], r["critical_error_rate_ci_low"],
                                     r["critical_error_rate_ci_high"], 2) for r in rows],
        "handle_time": [_vs("–" if _missing(r["handle_time_mean_s"])
                            else f"{r['handle_time_mean_s']:.1f} s",
                            r["handle_time_vs_in_house_pct"]) for r in rows],
        "throughput": [_vs("–" if _missing(r["throughput_per_hour"])
                           else f"{r['throughput_per_hour']:.1f}",
                           r["throughput_vs_in_house_pct"]) for r in rows],
        "cost_per_item": [_vs("–" if _missing(r["cost_per_item"])
                              else money(r["cost_per_item"], c, per_unit=True),
                              r["cost_per_item_vs_in_house_pct"]) for r, c in zip(rows, cur)],
        "cost_per_correct_decision": [
            "–" if _missing(r["cost_per_correct_decision"]) else
            f"{money(r['cost_per_correct_decision'], c, per_unit=True)} "
            f"({r['cost_per_correct_decision_low']:.3f}–"
            f"{r['cost_per_correct_decision_high']:.3f})" for r, c in zip(rows, cur)],
        "cost_of_errors": ["–" if _missing(r["cost_of_errors"]) else
                           f"{money(r['cost_of_errors'], c)} "
                           f"({money(r['cost_of_errors_low'], c)} to "
                           f"{money(r['cost_of_errors_high'], c)})" for r, c in zip(rows, cur)],
        "targets": [_targets(r) for r in rows],
    }, index=card.index)


def tradeoff_sentences(card: pd.DataFrame) -> list[str]:
    """The trade-off sentence of every vendor (not the in-house baseline), in table order."""
    return card.loc[card["vendor"] != IN_HOUSE, "tradeoff"].astype(str).tolist()
