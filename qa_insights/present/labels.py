"""One registry of human column labels, with units, for every report table, axis and legend.

A report never shows a raw column name: :func:`qa_insights.present.display.table` and the
chart helpers of :mod:`qa_insights.present.plots` take a column's header or axis label from
here unless the caller gives one. Rates are percentages ("%"), differences of rates
percentage points ("pp"), counts have no unit. A column not in the registry falls back to
its name in words ("outside_window" -> "Outside window"), so no snake_case can reach a
reader even before its label is added here.

The labels were collected from the notebooks' per-table ``labels={...}`` dictionaries;
where they disagreed, the general one is kept here and the notebook keeps its specific
wording as an explicit label (e.g. calibration's "Accuracy vs expert").

Examples
--------
>>> label("n_audits"), label("false_negative"), label("rows_skipped")
('Audits', 'Under-enforcement (false negatives), %', 'Rows skipped')
>>> labels_for(["site", "accuracy"])
{'site': 'Site', 'accuracy': 'Accuracy, %'}
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["LABELS", "label", "labels_for"]

_PP = "(pp)"

#: Column name -> header / axis label with its unit.
LABELS: dict[str, str] = {
    # segments and identifiers
    "site": "Site", "site_type": "Site type", "queue": "Queue", "market": "Market",
    "month": "Month", "moderator_id": "Moderator", "rater_id": "Rater",
    "rater_role": "Role", "session_id": "Session", "item_id": "Item",
    "tenure_band": "Tenure", "handle_time_band": "Handle time", "policy": "Policy",
    "error_reason": "Reason", "error_type": "Error type", "severity": "Severity",
    "gold_label": "Expert label", "label": "Expert label", "unit": "Site", "pool": "Pool",
    "group_a": "Site", "group_b": "Compared with", "scope": "Scope", "metric": "Metric",
    "scenario": "Scenario", "component": "Component", "area": "Area", "driver": "Driver",
    "driver_value": "Driver value", "level": "Level", "coefficient": "Coefficient",
    "measure": "Measure", "test": "Test", "method": "How the target was set",
    "table": "Input table", "reason": "Reason", "note": "Note", "meaning": "Meaning",
    "denominator": "Out of", "flag": "Flag", "flag_reason": "Why flagged",
    "signal": "Signal", "status": "Status", "verdict": "Verdict", "trend": "Verdict",
    "cause": "Cause", "movement": "Movement", "leaning": "Leaning",
    "budget_basis": "Budget from", "top_wrong_label": "Most common wrong label",
    # counts
    "n": "Count", "n_audits": "Audits", "n_errors": "Errors", "n_items": "Items",
    "n_raters": "Raters", "n_ratings": "Ratings", "n_sessions": "Sessions",
    "n_correct": "Matching the expert", "n_findings": "Findings", "n_disputed": "Disputed",
    "n_overturned": "Overturned", "n_denominator": "Count", "n_before": "Count last month",
    "n_after": "Count this month", "n_audits_before": "Audits last month",
    "n_audits_after": "Audits this month", "n_errors_before": "Errors last month",
    "n_errors_after": "Errors this month", "items_handled": "Items handled",
    "planned_audits": "Audits", "audits": "Suggested audits next month",
    "to_date": "Month to date (audits)", "rank": "Rank", "streak": "Months in a row",
    "read": "Rows read", "loaded": "Rows loaded", "quarantined": "Rows quarantined",
    "duplicates_collapsed": "Duplicates collapsed", "outside_window": "Outside the months read",
    "present": "File present",
    # rates and shares (proportions shown as %)
    "accuracy": "Accuracy, %", "error_rate": "Error rate, %", "p": "Error rate, %",
    "raw_rate": "Raw error rate, %", "shrunk_rate": "Shrunk error rate, %",
    "rate": "Rate, %", "rate_a": "Error rate, %", "rate_b": "Error rate (compared), %",
    "rate_before": "Error rate last month, %", "rate_after": "Error rate this month, %",
    "expected_error_rate": "Error rate, last 3 months, %",
    "critical_error_rate": "Critical-error rate, %", "critical": "Critical-error rate, %",
    "false_negative": "Under-enforcement (false negatives), %",
    "false_positive": "Over-enforcement (false positives), %",
    "wrong_policy": "Wrong policy, %", "under": "Under-enforcement, %",
    "over": "Over-enforcement, %", "under_enforcement_rate": "Under-enforcement, %",
    "over_enforcement_rate": "Over-enforcement, %", "wrong_policy_rate": "Wrong policy, %",
    "share": "Share, %", "share_before": "Share last month, %",
    "share_after": "Share this month, %", "cumulative_share": "Cumulative share, %",
    "driver_share": "Share, %", "top_wrong_share": "Share of ratings, %",
    "coverage": "Share audited, %", "agreement_with_gold": "Agreement with expert, %",
    "dispute_rate": "Dispute rate, %", "overturn_rate": "Overturn rate, %",
    "first_accuracy": "First session, %", "last_accuracy": "Last session, %",
    "utilisation": "Utilisation, %", "centre": "Centre line, %", "lcl": "Lower limit, %",
    "ucl": "Upper limit, %", "ci_low": "Lower 95% limit", "ci_high": "Upper 95% limit",
    "margin_of_error": "Margin of error of the audit sample",
    # changes of rates (percentage points)
    "mix_effect": f"Mix effect {_PP}", "mix": f"Mix effect {_PP}",
    "rate_effect": f"Rate effect {_PP}", "total_effect": f"Total effect {_PP}",
    "total": f"Total effect {_PP}", "share_change": f"Change of share {_PP}",
    "change": f"Change {_PP}", "difference": f"Difference {_PP}",
    "net_leniency": f"Net leniency {_PP}", "slope_per_30_days": f"Trend per 30 days {_PP}",
    # statistics
    "estimate": "Estimate (95% interval)", "value": "Value", "p_value": "p-value",
    "p_adjusted": "Adjusted p-value (Holm)", "significant": "Significant",
    "statistic": "Statistic", "effect": "Effect size", "odds": "Odds ratio of an error",
    "odds_ratio": "Odds ratio of an error", "kappa": "Kappa vs expert",
    "kappa_vs_gold": "Kappa vs expert", "category_kappa": "Kappa of this label",
    "adjusted_residual": "Adjusted residual (beyond ±2: moved more than chance)",
    "credibly_above_average": "Credibly above average", "vital_few": "Vital few",
    "below_min_n": "Below minimum", "outside_band": "Outside band",
    "shrunk": "Shrunk error rate (95% credible interval)",
    # business (money carries its currency in the cell text)
    "cost": "Cost", "budget": "Budget", "amount": "Amount", "actual": "Actual",
    "target": "Target", "projected": "Projected month end", "audit_cost": "Audit cost",
    "allocated_cost": "Allocated", "cost_per_item": "Cost per item",
    "cost_per_correct_decision": "Cost per correct decision",
    "error_premium": "Added by errors", "cheaper_but_worse": "Cheaper but worse",
    "variance": "Variance (of budget)", "volume_variance": "Volume part",
    "rate_variance": "Rate part", "throughput": "Items per hour",
    "handle_time": "Mean handle time", "p50_p90": "Median / 90th percentile",
    "ranks": "Rank: unit cost / per correct",
}


def _words(column: str) -> str:
    text = str(column).replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else text


def label(column: str) -> str:
    """The human label of ``column``: the registry's, else its name in words.

    Examples
    --------
    >>> label("mix_effect"), label("some_new_column")
    ('Mix effect (pp)', 'Some new column')
    """
    return LABELS.get(str(column), _words(column))


def labels_for(columns: Iterable[str]) -> dict[str, str]:
    """Column -> :func:`label` for each of ``columns``, in order.

    Examples
    --------
    >>> labels_for(["n_errors", "error_rate"])
    {'n_errors': 'Errors', 'error_rate': 'Error rate, %'}
    """
    return {str(c): label(c) for c in columns}
