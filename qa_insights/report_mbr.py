"""Presentation glue of the Monthly Business Review (``notebooks/monthly_business_review.ipynb``).

Small pure functions on the results of :mod:`qa_insights.targets`, :mod:`qa_insights.rca`,
:mod:`qa_insights.findings` and :mod:`qa_insights.costs`: the executive summary (status
counts, the biggest movements with their causes), readable target, efficiency and cost
tables, and the "actions the numbers suggest", every sentence built from the numbers.

Examples
--------
>>> a = pd.DataFrame({"status": ["met", "missed", "at risk", "missed"]})
>>> status_counts(a)
{'met': 1, 'at risk': 1, 'missed': 2, 'no data': 0}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "COST_COLUMNS",
    "TARGET_COLUMNS",
    "actions",
    "cost_change_or_none",
    "cost_change_shown",
    "cost_shown",
    "efficiency_shown",
    "format_metric",
    "movements",
    "rows_in_scope",
    "status_counts",
    "status_tiles",
    "targets_shown",
    "tradeoff_shown",
]

#: First columns of ``mbr_target_attainment.csv`` (extras follow).
TARGET_COLUMNS = ("metric", "scope", "scope_value", "month", "actual", "ci_low", "ci_high",
                  "target", "status")
#: First columns of ``mbr_cost_by_site.csv`` (extras follow).
COST_COLUMNS = ("site", "month", "items_handled", "cost", "cost_per_item",
                "cost_per_correct_decision")

_MISSING = "–"
_STATUS_ORDER = ("met", "at risk", "missed", "no data")
_PROPORTIONS = {"accuracy", "critical_error_rate", "calibration_accuracy"}
_METRIC_NAMES = {"accuracy": "Accuracy", "critical_error_rate": "Critical-error rate",
                 "calibration_accuracy": "Calibration accuracy",
                 "handle_time_s": "Handle time", "cost_per_item": "Cost per item"}


def _nan(value: object) -> bool:
    return value is None or (isinstance(value, (float, np.floating)) and np.isnan(value))


def status_counts(attainment: pd.DataFrame) -> dict[str, int]:
    """Targets per status (``met``, ``at risk``, ``missed``, ``no data``)."""
    counts = attainment["status"].value_counts()
    return {s: int(counts.get(s, 0)) for s in _STATUS_ORDER}


def status_tiles(attainment: pd.DataFrame) -> dict[str, str]:
    """Headline tiles of the target statuses, e.g. ``{"Targets met": "5 of 19"}``.

    Examples
    --------
    >>> status_tiles(pd.DataFrame({"status": ["met", "missed"]}))
    {'Targets met': '1 of 2', 'At risk': '0 of 2', 'Missed': '1 of 2'}
    """
    counts, n = status_counts(attainment), len(attainment)
    return {"Targets met": f"{counts['met']} of {n}", "At risk": f"{counts['at risk']} of {n}",
            "Missed": f"{counts['missed']} of {n}"}


def format_metric(metric: str, value: float, digits: int = 1) -> str:
    """A metric value in its unit: percentages for proportions, seconds for handle time,
    currency units for cost.

    Examples
    --------
    >>> format_metric("accuracy", 0.8937), format_metric("handle_time_s", 43.14)
    ('89.4%', '43.1 s')
    >>> format_metric("cost_per_item", 0.5159), format_metric("critical_error_rate", 0.00407)
    ('0.516', '0.41%')
    """
    if _nan(value):
        return _MISSING
    if metric in _PROPORTIONS:
        d = 2 if metric == "critical_error_rate" else digits
        return f"{100 * value:.{d}f}%"
    if metric.endswith("_s"):
        return f"{value:.{digits}f} s"
    return f"{value:.3f}"


def _with_interval(metric: str, value: float, low: float, high: float) -> str:
    if _nan(low) or _nan(high):
        return format_metric(metric, value)
    unit = "%" if metric in _PROPORTIONS else " s" if metric.endswith("_s") else ""
    low_text = format_metric(metric, low)
    return (f"{format_metric(metric, value)} ({low_text[:len(low_text) - len(unit)]}–"
            f"{format_metric(metric, high)})")


def rows_in_scope(frame: pd.DataFrame, scope_filter: Mapping[str, str]) -> pd.DataFrame:
    """Rows of ``frame`` matching the scope filter on the columns it has (a filter on a
    column the frame lacks is ignored).

    Examples
    --------
    >>> f = pd.DataFrame({"site": ["a", "b"], "n": [1, 2]})
    >>> rows_in_scope(f, {"site": "b"}).n.tolist(), rows_in_scope(f, {"queue": "q"}).n.tolist()
    ([2], [1, 2])
    """
    out = frame
    for column, value in scope_filter.items():
        if column in out.columns:
            out = out[out[column] == value]
    return out.reset_index(drop=True)


def targets_shown(attainment: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.targets.target_attainment`: metric, scope,
    actual with its 95% interval, target, status (decided with the interval) and how many
    months in a row."""
    return pd.DataFrame({
        "metric": [_METRIC_NAMES.get(m, m) for m in attainment["metric"]],
        "scope": [s if s == "org" else f"{s} {v}" for s, v in
                  zip(attainment["scope"], attainment["scope_value"].fillna(""))],
        "actual": [_with_interval(m, v, lo, hi) for m, v, lo, hi in
                   zip(attainment["metric"], attainment["actual"], attainment["ci_low"],
                       attainment["ci_high"])],
        "target": [format_metric(m, t) for m, t in zip(attainment["metric"],
                                                       attainment["target"])],
        "status": attainment["status"].astype(str).str.upper(),
        "streak": attainment["streak"] if "streak" in attainment else np.nan,
    })


def _money(value: float) -> str:
    if _nan(value):
        return _MISSING
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value >= 1e6:
        return f"{sign}{value / 1e6:.2f}M"
    if value >= 1e3:
        return f"{sign}{value / 1e3:.1f}k"
    return f"{sign}{value:.0f}"


def _top(frame: pd.DataFrame, column: str, by: str) -> str:
    row = frame.iloc[int(np.argmax(np.abs(frame[column].to_numpy())))]
    return str(row[by])


def movements(quality: pd.DataFrame, cost: pd.DataFrame | None, findings: Sequence,
              n: int = 3) -> pd.DataFrame:
    """The month's biggest movements with their causes, for the executive summary.

    The org error rate's change (mix and rate effects, the site behind each) and the cost
    change (volume, mix and unit-cost effects) come first; then the significant segment
    findings, largest rate effect first; at most ``n`` rows.

    Parameters
    ----------
    quality : DataFrame or None
        :func:`qa_insights.rca.explain_change` by ``site`` (``scale=100``); None without
        a comparison month.
    cost : DataFrame or None
        :func:`qa_insights.costs.cost_change` by ``site`` (None without volumes).
    findings : sequence of Finding
        :func:`qa_insights.findings.change_findings` of ``quality``.
    n : int
        Rows wanted.

    Returns
    -------
    DataFrame
        ``area``, ``movement``, ``cause``.
    """
    rows: list[dict[str, str]] = []
    by = "site"
    if quality is None:
        quality = pd.DataFrame(columns=["site"])
    else:
        o = quality.attrs["overall"]
        by = o["by"][0] if isinstance(o.get("by"), (list, tuple)) and o["by"] else "site"
        rows.append(_quality_row(quality, o, by, findings))
    if cost is not None and len(cost):
        c = cost.attrs["overall"]
        rows.append({
            "area": "Cost",
            "movement": (f"Cost {_money(c['cost_before'])} to {_money(c['cost_after'])} "
                         f"({c['change_pct']:+.1f}%)"),
            "cause": (f"volume {c['volume_pts']:+.1f} pts, mix {c['mix_pts']:+.1f} pts "
                      f"(mostly {_top(cost, 'mix_effect', by)}), unit cost "
                      f"{c['unit_cost_pts']:+.1f} pts"),
        })
    segs = sorted((f for f in findings if f.kind == "segment_change" and f.significant),
                  key=lambda f: -abs(f.numbers.get("rate_pts", f.numbers.get("rate_effect", 0))
                                     or 0))
    for f in segs:
        rows.append({"area": "Quality", "movement": f.sentence, "cause": "own error rate"})
    shown = {f.scope for f in segs}
    for r in quality.itertuples(index=False):
        if len(rows) >= n:
            break
        name = str(getattr(r, by))
        if name in shown:
            continue
        rows.append({"area": "Quality",
                     "movement": (f"{name}: error rate {100 * r.rate_before:.1f}% to "
                                  f"{100 * r.rate_after:.1f}%, {r.total_effect:+.2f} pts on the "
                                  "org rate (not significant on its own)"),
                     "cause": f"mix {r.mix_effect:+.2f} pts, own rate {r.rate_effect:+.2f} pts"})
    return pd.DataFrame(rows[:n], columns=["area", "movement", "cause"])


def _quality_row(quality: pd.DataFrame, o: Mapping, by: str, findings: Sequence
                 ) -> dict[str, str]:
    head = next((f for f in findings if f.kind == "rate_change"), None)
    p = "" if head is None else f", {_p_text(head.p_value)}"
    verdict = "" if head is None or head.significant else " (not significant)"
    return {
        "area": "Quality",
        "movement": (f"Error rate {100 * o['rate_before']:.2f}% in {o['compare_month']} to "
                     f"{100 * o['rate_after']:.2f}% ({o['change']:+.2f} pts{p}){verdict}"),
        "cause": (f"mix {o['mix_effect']:+.2f} pts (mostly {_top(quality, 'mix_effect', by)}), "
                  f"own rates {o['rate_effect']:+.2f} pts (mostly "
                  f"{_top(quality, 'rate_effect', by)})"),
    }


def cost_change_or_none(store: object, month: str) -> pd.DataFrame | None:
    """:func:`qa_insights.costs.cost_change` by site against the previous month, or None
    when either month has no volumes (a gap, the first month)."""
    from .costs import cost_change

    try:
        return cost_change(store, month)
    except ValueError:
        return None


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def efficiency_shown(eff: pd.DataFrame, confidence_z: float = 1.96) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.costs.efficiency` by site: mean handle time with
    an approximate 95% interval (mean ± z sd / sqrt(audits)), median and 90th percentile,
    throughput, audits per 1,000 items and utilisation.

    Examples
    --------
    >>> e = pd.DataFrame({"site": ["a"], "items_handled": [1000], "n_audits": [100],
    ...     "handle_time_mean_s": [40.0], "handle_time_sd_s": [30.0],
    ...     "handle_time_p50_s": [32.0], "handle_time_p90_s": [80.0],
    ...     "throughput_per_hour": [74.1], "audits_per_1000_items": [0.78],
    ...     "utilisation": [0.86]})
    >>> efficiency_shown(e).handle_time[0]
    '40.0 s (34.1–45.9 s)'
    """
    half = confidence_z * eff["handle_time_sd_s"] / np.sqrt(eff["n_audits"].clip(lower=1))
    return pd.DataFrame({
        "site": eff["site"].astype(str),
        "items_handled": eff["items_handled"],
        "handle_time": [f"{m:.1f} s ({m - h:.1f}–{m + h:.1f} s)" if not _nan(m) else _MISSING
                        for m, h in zip(eff["handle_time_mean_s"], half)],
        "p50_p90": [f"{a:.0f} s / {b:.0f} s" if not _nan(a) else _MISSING
                    for a, b in zip(eff["handle_time_p50_s"], eff["handle_time_p90_s"])],
        "throughput": [f"{v:.1f}" for v in eff["throughput_per_hour"]],
        "coverage": [f"{v:.2f}" for v in eff["audits_per_1000_items"]],
        "utilisation": [f"{100 * v:.1f}%" if not _nan(v) else _MISSING
                        for v in eff["utilisation"]],
    })


def cost_shown(cost: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.costs.cost_by_site`: items, cost, cost per item,
    cost per correct decision with its interval (from the accuracy's Wilson interval) and
    accuracy with its interval."""
    return pd.DataFrame({
        "site": cost["site"].astype(str),
        "items_handled": cost["items_handled"],
        "cost": [_money(v) for v in cost["cost"]],
        "cost_per_item": [f"{v:.3f}" for v in cost["cost_per_item"]],
        "cost_per_correct_decision": [
            f"{v:.3f} ({lo:.3f}–{hi:.3f})" for v, lo, hi in
            zip(cost["cost_per_correct_decision"], cost["cost_per_correct_decision_low"],
                cost["cost_per_correct_decision_high"])],
        "accuracy": [_with_interval("accuracy", v, lo, hi) for v, lo, hi in
                     zip(cost["accuracy"], cost["accuracy_ci_low"], cost["accuracy_ci_high"])],
    })


def tradeoff_shown(tradeoff: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.costs.cost_tradeoff`: unit cost against cost
    per correct decision, what errors add, ranks and the cheaper-but-worse flag."""
    return pd.DataFrame({
        "site": tradeoff["site"].astype(str),
        "cost_per_item": [f"{v:.3f}" for v in tradeoff["cost_per_item"]],
        "cost_per_correct_decision": [f"{v:.3f}" for v in tradeoff["cost_per_correct_decision"]],
        "error_premium": [f"{v:.4f}" for v in tradeoff["error_premium"]],
        "accuracy": [_with_interval("accuracy", v, lo, hi) for v, lo, hi in
                     zip(tradeoff["accuracy"], tradeoff["accuracy_ci_low"],
                         tradeoff["accuracy_ci_high"])],
        "ranks": [f"{a} / {b}" for a, b in zip(tradeoff["cost_rank"],
                                               tradeoff["cost_per_correct_decision_rank"])],
        "cheaper_but_worse": ["yes" if v else "no" for v in tradeoff["cheaper_but_worse"]],
    })


def cost_change_shown(table: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.costs.cost_change_table` (the waterfall).

    Examples
    --------
    >>> t = pd.DataFrame({"component": ["cost before", "mix"], "amount": [1.39e6, -3.36e5],
    ...                   "pts": [100.0, -24.17]})
    >>> cost_change_shown(t).values.tolist()
    [['cost before', '1.39M', '100.0'], ['mix', '-336.0k', '-24.2 pts']]
    """
    return pd.DataFrame({
        "component": table["component"].astype(str),
        "amount": [_money(v) for v in table["amount"]],
        "pts": [f"{v:.1f}" if c in ("cost before", "cost after") else f"{v:+.1f} pts"
                for c, v in zip(table["component"], table["pts"])],
    })


def actions(attainment: pd.DataFrame, tradeoff: pd.DataFrame | None = None,
            quality: pd.DataFrame | None = None, cost: pd.DataFrame | None = None,
            max_actions: int = 8) -> list[str]:
    """The actions the numbers suggest, most urgent first, each sentence built from the
    numbers.

    Rules, in order:

    1. every ``missed`` target (org first, then sites and queues, largest gap first):
       name it with the actual, its interval and the target;
    2. a quality change driven by mix (the mix effect is positive and larger than the
       rate effect): review volume allocation rather than coaching;
    3. every site that is ``cheaper_but_worse``: weigh its saving against its quality gap;
    4. a cost change driven by mix: volume moved between sites of different unit cost;
    5. ``at risk`` targets whose point estimate is on the wrong side: watch them.

    Parameters
    ----------
    attainment : DataFrame
        :func:`qa_insights.targets.target_attainment` of the month.
    tradeoff : DataFrame, optional
        :func:`qa_insights.costs.cost_tradeoff` of the month.
    quality : DataFrame, optional
        :func:`qa_insights.rca.explain_change` by site (``scale=100``).
    cost : DataFrame, optional
        :func:`qa_insights.costs.cost_change` by site.
    max_actions : int
        At most this many sentences.

    Returns
    -------
    list of str

    Examples
    --------
    >>> a = pd.DataFrame({"metric": ["accuracy"], "scope": ["site"], "scope_value": ["hyd"],
    ...     "month": ["2026-08"], "actual": [0.894], "ci_low": [0.859], "ci_high": [0.920],
    ...     "target": [0.95], "status": ["missed"], "point_meets": [False]})
    >>> actions(a)
    ['Accuracy at site hyd missed its target: 89.4% (85.9–92.0%) against 95.0%. Start a root-cause review there (see its RCA deep dive).']
    """
    out: list[str] = []
    order = {"org": 0, "site": 1, "queue": 2, "market": 3}
    missed = attainment[attainment["status"] == "missed"].copy()
    missed["_order"] = missed["scope"].map(order).fillna(9)
    missed["_gap"] = -(missed["actual"] - missed["target"]).abs() / missed["target"].abs()
    for r in missed.sort_values(["_order", "_gap"], kind="stable").itertuples(index=False):
        where = "the organisation" if r.scope == "org" else f"{r.scope} {r.scope_value}"
        name = _METRIC_NAMES.get(r.metric, r.metric)
        todo = {"cost_per_item": "Review staffing and vendor rates against volume.",
                "handle_time_s": "Check workflow and tooling for slow steps."}.get(
            r.metric, "Start a root-cause review there (see its RCA deep dive)."
            if r.scope in ("site", "queue") else "Focus on the sites and queues that missed.")
        out.append(f"{name} at {where} missed its target: "
                   f"{_with_interval(r.metric, r.actual, r.ci_low, r.ci_high)} against "
                   f"{format_metric(r.metric, r.target)}. {todo}")
    if quality is not None and len(quality):
        o = quality.attrs["overall"]
        if o["mix_effect"] > 0 and o["mix_effect"] > o["rate_effect"]:
            site = _top(quality, "mix_effect", "site")
            out.insert(min(len(out), 1),
                       f"The error rate moved {o['change']:+.2f} pts, of which "
                       f"{o['mix_effect']:+.2f} pts is mix: volume moved towards {site}, while "
                       f"sites' own rates moved {o['rate_effect']:+.2f} pts. Review volume "
                       "allocation: coaching will not fix a mix effect.")
    if tradeoff is not None:
        for r in tradeoff[tradeoff["cheaper_but_worse"]].itertuples(index=False):
            out.append(f"{r.site} is cheaper per item ({r.cost_per_item:.3f} against "
                       f"{r.org_cost_per_item:.3f} overall) but its accuracy "
                       f"{_with_interval('accuracy', r.accuracy, r.accuracy_ci_low, r.accuracy_ci_high)}"
                       f" is significantly below the rest ({_p_text(r.p_value)}); cost per "
                       f"correct decision {r.cost_per_correct_decision:.3f}. Weigh the saving "
                       "against the quality gap before moving more volume there.")
    if cost is not None and len(cost):
        c = cost.attrs["overall"]
        if abs(c["mix_pts"]) >= 5:
            site = _top(cost, "mix_effect", "site")
            direction = "saved" if c["mix_effect"] < 0 else "added"
            out.append(f"Volume moving between sites {direction} {_money(abs(c['mix_effect']))}"
                       f" ({c['mix_pts']:+.1f} pts of cost, mostly {site}); volume itself "
                       f"added {c['volume_pts']:+.1f} pts. Confirm the shift is intended.")
    risky = attainment[(attainment["status"] == "at risk")
                       & ~attainment.get("point_meets", pd.Series(True, attainment.index))
                       .fillna(True).astype(bool)]
    for r in risky.itertuples(index=False):
        where = "the organisation" if r.scope == "org" else f"{r.scope} {r.scope_value}"
        out.append(f"Watch {_METRIC_NAMES.get(r.metric, r.metric).lower()} at {where}: "
                   f"{format_metric(r.metric, r.actual)} is on the wrong side of "
                   f"{format_metric(r.metric, r.target)}, not yet significantly.")
    return out[:max_actions]
