"""The executive summary of the calibration report: four moves from the report's numbers.

The same machinery as the MQR's summary (:mod:`qa_insights.reports.summary`: one
:class:`~qa_insights.reports.summary.Claim` per sentence, ``findings_frame`` for
``tables/findings.csv``, ``markdown`` for ``summary.md``), with calibration's moves:

1. **What happened**: the month's sessions, items, raters and experts counted as the
   report counts them, accuracy against the expert with its 95% interval, Gwet's AC1.
2. **Why**: the sites out of band over all sessions to date (the rule of
   :mod:`qa_insights.calibration.flags`: exact intervals at the Bonferroni level clear
   the band) and the sites whose accuracy trends (Cochran-Armitage, Holm over the sites);
   otherwise that none is.
3. **So what**: what a lenient or drifting site means for the content and the audits,
   and how many raters are flagged this month.
4. **What to do**: training and coaching for a lenient or strict site, the quality lead
   for drift, with a date; or "No action needed this month".

Nothing here reads data.

Examples
--------
>>> h = {"n_sessions": 2, "n_items": 43, "n_raters": 34, "n_experts": 2, "n_ratings": 753,
...      "accuracy": 0.938, "ci_low": 0.918, "ci_high": 0.953, "ac1": 0.88,
...      "ac1_ci_low": 0.85, "ac1_ci_high": 0.91, "n_flagged": 0}
>>> claims = calibration_summary(h, month="2026-10", scope_label="whole organisation")
>>> [c.kind for c in claims]
['calibration_accuracy', 'no_site_out_of_band', 'raters_flagged', 'action']
>>> print(claims[-1].sentence)
No action needed this month.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from qa_insights.calibration.flags import level_text
from qa_insights.data.months import shift_month
from qa_insights.present.display import count, number, pct
from qa_insights.present.findings import format_p
from qa_insights.reports.summary import Claim, month_name

__all__ = ["calibration_summary"]

_TRAINING = "training and coaching"
_QUALITY_LEAD = "quality lead"
_FLAG_WORDS = ("lenient", "strict", "lenient and strict")


def _due(month: str) -> str:
    """The 15th of the month after ``month``."""
    return pd.Period(shift_month(month, 1), "M").to_timestamp().replace(day=15).strftime(
        "%-d %B %Y")


def _span(low: float, high: float) -> str:
    """``91.8–95.3%``."""
    return f"{number(100 * low)}–{pct(high)}"


def _against(n_experts: int) -> str:
    if not n_experts:
        return "the raters' consensus, no expert"
    return f"{count(n_experts)} expert{'s' if n_experts != 1 else ''}"


def _what(h: Mapping[str, Any], month: str, scope_label: str) -> Claim:
    text = (f"In the {month_name(month)} calibration sessions for the {scope_label} "
            f"({count(h['n_sessions'])} sessions, {count(h['n_items'])} items, "
            f"{count(h['n_raters'])} raters scored against {_against(h['n_experts'])}), "
            "raters matched the expert on "
            f"{pct(h['accuracy'])} of {count(h['n_ratings'])} ratings (95% interval "
            f"{_span(h['ci_low'], h['ci_high'])}); agreement beyond chance "
            f"(Gwet's AC1) was {h['ac1']:.2f} ({h['ac1_ci_low']:.2f}–{h['ac1_ci_high']:.2f}).")
    return Claim("calibration_accuracy", scope_label, text, numbers=dict(h))


def _site_clause(row: Any) -> str:
    level = level_text(row.ci_level)
    if row.leaning == "lenient":
        return (f"{row.site} is lenient (its raters called {pct(row.under_enforcement_rate)} of "
                f"{count(row.n_violation)} ratings of violating items clean; {level} interval "
                f"{_span(row.under_ci_low, row.under_ci_high)})")
    if row.leaning == "strict":
        return (f"{row.site} is strict (its raters actioned {pct(row.over_enforcement_rate)} of "
                f"clean items; {level} interval {_span(row.over_ci_low, row.over_ci_high)})")
    if row.leaning == "lenient and strict":
        return (f"{row.site} errs both ways ({pct(row.under_enforcement_rate)} of violations "
                f"called clean, {pct(row.over_enforcement_rate)} of clean items actioned; "
                f"{level} intervals {_span(row.under_ci_low, row.under_ci_high)} and "
                f"{_span(row.over_ci_low, row.over_ci_high)})")
    return (f"{row.site} is below the accuracy band ({pct(row.accuracy)}; {level} interval "
            f"{_span(row.accuracy_ci_low, row.accuracy_ci_high)})")


def _sites(sites: pd.DataFrame, max_error: float) -> Claim | None:
    out = sites[sites["outside_band"].astype(bool)]
    if out.empty:
        return None
    n = len(sites)
    order = out.assign(_o=out["leaning"].map({"lenient": 0, "lenient and strict": 1,
                                               "strict": 2}).fillna(3)).sort_values("_o")
    clauses = [_site_clause(r) for r in order.itertuples(index=False)]
    joined = clauses[0] if len(clauses) == 1 else ", ".join(clauses[:-1]) + " and " + \
        clauses[-1]
    text = (f"Over all sessions to date, {joined}, beyond the {max_error:.0%} band "
            f"(Bonferroni over {n} sites).")
    return Claim("site_out_of_band", ", ".join(order["site"].astype(str)), text, True,
                 None, None, 3 * n,
                 {"sites": order["site"].astype(str).tolist(),
                  "leaning": order["leaning"].astype(str).tolist(),
                  "under_enforcement_rate": order["under_enforcement_rate"].tolist(),
                  "ci_level": float(order["ci_level"].iloc[0])})


def _drift(drift: pd.DataFrame, by: str) -> Claim | None:
    rows = drift[drift["trend"].isin(["declining", "improving"])]
    if rows.empty:
        return None
    rows = rows.assign(_o=(rows["trend"] != "declining").astype(int)).sort_values(
        ["_o", "p_value"], kind="stable")
    tested = int(drift["p_adjusted"].notna().sum())
    parts = [f"{r[by]}'s accuracy against the expert is {r['trend']}, "
             f"{number(100 * r['slope_per_30_days'], sign=True)} points per 30 days over "
             f"{r['n_sessions']} sessions ({pct(r['first_accuracy'])} to "
             f"{pct(r['last_accuracy'])}; {format_p(r['p_adjusted'])}, Holm-adjusted for "
             f"{tested} {by}s)" for r in rows.to_dict("records")]
    first = rows.iloc[0]
    return Claim("drift", ", ".join(rows[by].astype(str)),
                 "; ".join(parts) + ".", True,
                 float(first["p_value"]), float(first["p_adjusted"]), tested,
                 {"groups": rows[by].astype(str).tolist(), "trend": rows["trend"].tolist(),
                  "slope_per_30_days": rows["slope_per_30_days"].tolist()})


def _so_what(h: Mapping[str, Any], sites: Claim | None, drift: Claim | None,
             scope_label: str) -> Claim:
    n_flag, n_raters = int(h["n_flagged"]), int(h["n_raters"])
    raters = (f"{n_flag} of {n_raters} raters {'is' if n_flag == 1 else 'are'} flagged this "
              "month") if n_flag else (
        f"none of the {n_raters} raters is flagged this month")
    impact = []
    if sites is not None and any("lenient" in w for w in sites.numbers["leaning"]):
        lenient = [s for s, w in zip(sites.numbers["sites"], sites.numbers["leaning"],
                                     strict=True) if "lenient" in w]
        where, whose = ("this site", "its") if len(lenient) == 1 else ("these sites",
                                                                        "their")
        impact.append(f"violations missed at {where} stay up, and {whose} audits "
                      "under-count errors")
    text = ("So what: " + "; ".join(impact) + f"; {raters}.") if impact else (
        f"So what: calibration is holding; {raters}.")
    return Claim("raters_flagged", scope_label, text, numbers={
        "n_flagged": n_flag, "n_raters": n_raters})


def _action(sites: Claim | None, drift: Claim | None, month: str, scope_label: str
            ) -> Claim:
    due = _due(month)
    steps, owners = [], []
    if sites is not None:
        steps.append(f"{_TRAINING} reruns the missed examples with the raters of "
                     f"{' and '.join(sites.numbers['sites'])} before the next session")
        owners.append(_TRAINING)
    declining = [] if drift is None else [
        s for s, t in zip(drift.numbers["groups"], drift.numbers["trend"],
                          strict=True) if t == "declining"]
    if declining:
        steps.append(f"the {_QUALITY_LEAD} reviews {' and '.join(declining)}'s declining "
                     f"accuracy with its site manager by {due}")
        owners.append(_QUALITY_LEAD)
    if not steps:
        return Claim("action", scope_label, "No action needed this month.",
                     numbers={"owner": "", "due": due})
    text = "Action: " + ", and ".join(steps) + "."
    return Claim("action", scope_label, text, numbers={"owner": "; ".join(owners),
                                                       "due": due})


def calibration_summary(headline: Mapping[str, Any], *, month: str, scope_label: str,
                        sites_to_date: pd.DataFrame | None = None,
                        drift: pd.DataFrame | None = None, by: str = "site",
                        max_error: float = 0.10) -> list[Claim]:
    """The calibration report's summary, at most five sentences.

    Parameters
    ----------
    headline : mapping
        ``n_sessions``, ``n_items``, ``n_raters`` (raters scored, experts not counted),
        ``n_experts``, ``n_ratings``, ``accuracy`` with ``ci_low``/``ci_high`` (95%),
        ``ac1`` with ``ac1_ci_low``/``ac1_ci_high`` and ``n_flagged`` (raters flagged).
    month : str
        Report month ``YYYY-MM``.
    scope_label : str
        The scope in words.
    sites_to_date : DataFrame, optional
        :func:`qa_insights.reports.calibration.site_alignment` over every session up to
        the month.
    drift : DataFrame, optional
        :func:`qa_insights.calibration.raters.drift_trend` by ``by``.
    by : str
        The group column of ``drift``.
    max_error : float
        The band's edge used for the sites (for the sentence).

    Returns
    -------
    list of Claim
        ``calibration_accuracy``; ``site_out_of_band`` and / or ``drift``, or
        ``no_site_out_of_band``; ``raters_flagged``; ``action``.
    """
    claims = [_what(headline, month, scope_label)]
    sites = None if sites_to_date is None else _sites(sites_to_date, max_error)
    trend = None if drift is None else _drift(drift, by)
    if sites is not None:
        claims.append(sites)
    if trend is not None:
        claims.append(trend)
    if sites is None and trend is None:
        n = 0 if sites_to_date is None else len(sites_to_date)
        claims.append(Claim("no_site_out_of_band", scope_label,
                            f"No site is out of band over all sessions to date and no site's "
                            f"accuracy trends (tests adjusted for the {n} sites compared).",
                            False, numbers={"n_sites": n}))
    claims.append(_so_what(headline, sites, trend, scope_label))
    claims.append(_action(sites, trend, month, scope_label))
    return claims
