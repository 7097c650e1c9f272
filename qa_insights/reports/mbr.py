"""Presentation glue of the Monthly Business Review (``notebooks/monthly_business_review.ipynb``).

Small pure functions on the results of :mod:`qa_insights.business.targets`, :mod:`qa_insights.rca.change`,
:mod:`qa_insights.present.findings` and :mod:`qa_insights.business.costs`: the executive summary (status
counts, the biggest movements with their causes), readable target, efficiency and cost
tables, the budget, shared-cost allocation, what-if and month-end projection tables, and
the "actions the numbers suggest", every sentence built from the numbers.

Examples
--------
>>> a = pd.DataFrame({"status": ["met", "missed", "at risk", "missed"]})
>>> status_counts(a)
{'met': 1, 'at risk': 1, 'missed': 2, 'no data': 0}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from qa_insights.data.scalars import as_float

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store
    from qa_insights.present.findings import Finding

__all__ = [
    "COST_COLUMNS",
    "COST_TABLE",
    "TARGET_COLUMNS",
    "TARGET_TABLE",
    "actions",
    "allocation_shown",
    "budget_shown",
    "cost_change_or_none",
    "cost_change_shown",
    "cost_shown",
    "efficiency_shown",
    "format_metric",
    "movements",
    "projection_day",
    "projection_shown",
    "rows_in_scope",
    "shared_pools",
    "status_class",
    "status_counts",
    "status_headline",
    "status_tiles",
    "targets_shown",
    "tradeoff_shown",
    "whatif_move_choice",
    "whatif_shown",
]

#: Name of the targets table (``tables/target_attainment.csv``).
TARGET_TABLE = "target_attainment"
#: Name of the cost table (``tables/cost_by_site.csv``).
COST_TABLE = "cost_by_site"
#: First columns of ``target_attainment.csv`` (extras follow).
TARGET_COLUMNS = ("metric", "scope", "scope_value", "month", "actual", "ci_low", "ci_high",
                  "target", "status")
#: First columns of ``cost_by_site.csv`` (extras follow).
COST_COLUMNS = ("site", "month", "items_handled", "cost", "cost_per_item",
                "cost_per_correct_decision")

_MISSING = "–"
_STATUS_ORDER = ("met", "at risk", "missed", "no data")
#: Headline tile label -> the status it counts.
_TILE_STATUS = {"Targets met": "met", "At risk": "at risk", "Missed": "missed"}
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


def status_class(status: object) -> str:
    """CSS classes of a target status cell or tile (RAG colour: met green, at risk amber,
    missed red); the status word is always shown with it, so colour is never the only
    signal. Case and spaces do not matter; unknown values get no colour.

    Examples
    --------
    >>> status_class("AT RISK"), status_class("met"), status_class("odd")
    ('qa-status qa-status-at-risk', 'qa-status qa-status-met', '')
    """
    key = str(status).strip().lower()
    return f"qa-status qa-status-{key.replace(' ', '-')}" if key in _STATUS_ORDER else ""


def status_headline(attainment: pd.DataFrame) -> object:
    """:func:`status_tiles` as headline tiles coloured by status
    (:func:`qa_insights.present.display.headline`).

    Examples
    --------
    >>> 'qa-status-missed' in status_headline(pd.DataFrame({"status": ["missed"]})).markup
    True
    """
    from qa_insights.present.display import headline

    return headline(status_tiles(attainment),
                    {label: status_class(s) for label, s in _TILE_STATUS.items()})


def status_tiles(attainment: pd.DataFrame) -> dict[str, str]:
    """Headline tiles of the target statuses, e.g. ``{"Targets met": "5 of 19"}``.

    Examples
    --------
    >>> status_tiles(pd.DataFrame({"status": ["met", "missed"]}))
    {'Targets met': '1 of 2', 'At risk': '0 of 2', 'Missed': '1 of 2'}
    """
    counts, n = status_counts(attainment), len(attainment)
    return {label: f"{counts[s]} of {n}" for label, s in _TILE_STATUS.items()}


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
    """Readable rows of :func:`qa_insights.business.targets.target_attainment`: metric, scope,
    actual with its 95% interval, target, how the target was set (``method``; ``given``
    when the table does not say), status (decided with the interval) and how many months
    in a row.

    Examples
    --------
    >>> a = pd.DataFrame({"metric": ["accuracy"], "scope": ["org"], "scope_value": [None],
    ...     "actual": [0.96], "ci_low": [0.95], "ci_high": [0.97], "target": [0.94],
    ...     "status": ["met"], "method": ["trailing_median"]})
    >>> targets_shown(a)[["scope", "method", "status"]].values.tolist()
    [['org', 'trailing_median', 'MET']]
    """
    return pd.DataFrame({
        "metric": [_METRIC_NAMES.get(m, m) for m in attainment["metric"]],
        "scope": [s if s == "org" else f"{s} {v}" for s, v in
                  zip(attainment["scope"], attainment["scope_value"].fillna(""))],
        "actual": [_with_interval(m, v, lo, hi) for m, v, lo, hi in
                   zip(attainment["metric"], attainment["actual"], attainment["ci_low"],
                       attainment["ci_high"])],
        "target": [format_metric(m, t) for m, t in zip(attainment["metric"],
                                                       attainment["target"])],
        "method": (attainment["method"].fillna("given").astype(str)
                   if "method" in attainment else "given"),
        "status": attainment["status"].astype(str).str.upper(),
        "streak": attainment.get("streak", np.nan),
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


def _size(change: float, level: float) -> float:
    """``|change|`` as a percentage of ``level`` (NaN without a positive level)."""
    return 100.0 * abs(change) / level if level > 0 else float("nan")


def movements(quality: pd.DataFrame | None, cost: pd.DataFrame | None, findings: Sequence[Finding],
              n: int = 3) -> pd.DataFrame:
    """The month's biggest movements with their causes, largest first, for the executive
    summary.

    Candidates: the org error rate's change (mix and rate effects, the site behind each),
    the cost change (volume, mix and unit-cost effects), every significant segment
    finding (its own-rate effect on the org rate) and each other site's effect on the org
    rate. Each is sized as a percentage of last month's level of what it moves
    (``size_pct``: points of the org error rate over last month's rate, or the cost
    change over last month's cost), so error-rate and cost movements rank on one scale;
    the ``n`` largest are kept, largest first (ties keep that order).

    Parameters
    ----------
    quality : DataFrame or None
        :func:`qa_insights.rca.change.explain_change` by ``site`` (``scale=100``); None without
        a comparison month.
    cost : DataFrame or None
        :func:`qa_insights.business.costs.cost_change` by ``site`` (None without volumes).
    findings : sequence of Finding
        :func:`qa_insights.present.findings.change_findings` of ``quality``.
    n : int
        Rows wanted.

    Returns
    -------
    DataFrame
        ``area``, ``movement``, ``cause``, ``size_pct``.

    Examples
    --------
    >>> c = pd.DataFrame({"site": ["a"], "mix_effect": [0.0]})
    >>> c.attrs["overall"] = {"cost_before": 100.0, "cost_after": 90.0, "change_pct": -10.0,
    ...                       "volume_pts": -10.0, "mix_pts": 0.0, "unit_cost_pts": 0.0}
    >>> movements(None, c, []).size_pct.tolist()
    [10.0]
    """
    rows: list[dict[str, object]] = []
    by, level = "site", float("nan")
    if quality is None:
        quality = pd.DataFrame(columns=["site"])
    else:
        o = quality.attrs["overall"]
        by = o["by"][0] if isinstance(o.get("by"), (list, tuple)) and o["by"] else "site"
        level = 100.0 * o["rate_before"]
        rows.append({**_quality_row(quality, o, by, findings),
                     "size_pct": _size(o["change"], level)})
    if cost is not None and len(cost):
        c = cost.attrs["overall"]
        rows.append({
            "area": "Cost",
            "movement": (f"Cost {_money(c['cost_before'])} to {_money(c['cost_after'])} "
                         f"({c['change_pct']:+.1f}%)"),
            "cause": (f"volume {c['volume_pts']:+.1f} pts, mix {c['mix_pts']:+.1f} pts "
                      f"(mostly {_top(cost, 'mix_effect', by)}), unit cost "
                      f"{c['unit_cost_pts']:+.1f} pts"),
            "size_pct": abs(float(c["change_pct"])),
        })
    segs = [f for f in findings if f.kind == "segment_change" and f.significant]
    rows += [{"area": "Quality", "movement": f.sentence, "cause": "own error rate",
              "size_pct": _size(f.numbers["rate_effect_pts"], level)} for f in segs]
    shown = {f.scope for f in segs}
    for r in quality.itertuples(index=False):
        name = str(getattr(r, by))
        if name in shown:
            continue
        rows.append({"area": "Quality",
                     "movement": (f"{name}: error rate {100 * as_float(r.rate_before):.1f}% to "
                                  f"{100 * as_float(r.rate_after):.1f}%, {r.total_effect:+.2f} pts on the "
                                  "org rate (not significant on its own)"),
                     "cause": f"mix {r.mix_effect:+.2f} pts, own rate {r.rate_effect:+.2f} pts",
                     "size_pct": _size(as_float(r.total_effect), level)})
    out = pd.DataFrame(rows, columns=["area", "movement", "cause", "size_pct"])
    out["size_pct"] = out["size_pct"].astype(float)
    return out.sort_values("size_pct", ascending=False, kind="stable",
                           na_position="last").head(n).reset_index(drop=True)


def _quality_row(quality: pd.DataFrame, o: Mapping[str, Any], by: str, findings: Sequence[Finding]
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


def cost_change_or_none(store: Store, month: str) -> pd.DataFrame | None:
    """:func:`qa_insights.business.costs.cost_change` by site against the previous month, or None
    when either month has no volumes (a gap, the first month)."""
    from qa_insights.business.costs import cost_change

    try:
        return cost_change(store, month)
    except ValueError:
        return None


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def efficiency_shown(eff: pd.DataFrame, confidence_z: float = 1.96) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.business.costs.efficiency` by site: mean handle time with
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
    """Readable rows of :func:`qa_insights.business.costs.cost_by_site`: items, cost, cost per item,
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
    """Readable rows of :func:`qa_insights.business.costs.cost_tradeoff`: unit cost against cost
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
    """Readable rows of :func:`qa_insights.business.costs.cost_change_table` (the waterfall).

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


def budget_shown(variance: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.business.costs.budget_variance`: cost against budget,
    the variance (positive = over budget) split into volume and rate parts, and where the
    budget comes from.

    Examples
    --------
    >>> v = pd.DataFrame({"site": ["a"], "cost": [660.0], "budget": [500.0],
    ...     "variance": [160.0], "variance_pct": [32.0], "volume_variance": [50.0],
    ...     "rate_variance": [110.0], "budget_basis": ["cost_per_item target (org)"]})
    >>> budget_shown(v).iloc[0].tolist()
    ['a', '660', '500', '160 (+32.0%)', '50', '110', 'cost_per_item target (org)']
    """
    return pd.DataFrame({
        "site": variance["site"].astype(str),
        "cost": [_money(v) for v in variance["cost"]],
        "budget": [_money(v) for v in variance["budget"]],
        "variance": [f"{_money(v)} ({p:+.1f}%)" if not _nan(p) else _MISSING
                     for v, p in zip(variance["variance"], variance["variance_pct"])],
        "volume_variance": [_money(v) for v in variance["volume_variance"]],
        "rate_variance": [_money(v) for v in variance["rate_variance"]],
        "budget_basis": variance["budget_basis"].astype(str),
    })


def shared_pools(month: str, shared_cost: float, pool: str = "shared QA and tooling"
                 ) -> pd.DataFrame | None:
    """The report parameter ``shared_cost`` as a shared cost pool of ``month`` for
    :func:`qa_insights.business.cost_allocation.cost_allocation`; None when it is 0 (not given).

    Examples
    --------
    >>> shared_pools("2026-08", 12000.0).values.tolist()
    [['2026-08', 'shared QA and tooling', 12000.0]]
    >>> shared_pools("2026-08", 0.0) is None
    True
    """
    if shared_cost < 0:
        raise ValueError(f"shared_cost must be >= 0; got {shared_cost}")
    if shared_cost == 0:
        return None
    return pd.DataFrame({"month": [month], "pool": [pool], "cost": [float(shared_cost)]})


def allocation_shown(allocation: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.business.cost_allocation.allocate_shared_costs`: pool,
    unit, driver value, its share and the amount allocated.

    Examples
    --------
    >>> a = pd.DataFrame({"month": ["2026-08"], "pool": ["qa"], "site": ["a"],
    ...     "driver": ["n_audits"], "driver_value": [300.0], "driver_share": [0.75],
    ...     "allocated_cost": [6000.0]})
    >>> allocation_shown(a).iloc[0].tolist()
    ['qa', 'a', 'n_audits', '300', '75.0%', '6.0k']
    """
    unit = [c for c in ("site", "vendor", "queue") if c in allocation.columns]
    return pd.DataFrame({
        "pool": allocation["pool"].astype(str),
        "unit": allocation[unit].astype(str).agg(" / ".join, axis=1),
        "driver": allocation["driver"].astype(str),
        "driver_value": [f"{v:,.0f}" for v in allocation["driver_value"]],
        "driver_share": [f"{100 * v:.1f}%" for v in allocation["driver_share"]],
        "allocated_cost": [_money(v) for v in allocation["allocated_cost"]],
    })


def whatif_move_choice(cells: pd.DataFrame) -> dict[str, str] | None:
    """The volume move the what-if looks at: in the queue with the most to save, from its
    dearest site (highest cost per item) to its cheapest.

    "Most to save" is the dearest site's items times the gap in cost per item between the
    two sites; queues handled by one site only are skipped.

    Parameters
    ----------
    cells : DataFrame
        :func:`qa_insights.business.whatif.whatif_cells`.

    Returns
    -------
    dict or None
        ``queue``, ``from_site``, ``to_site``; None when no queue is handled by two sites
        with volume (nothing to move).

    Examples
    --------
    >>> c = pd.DataFrame({"site": ["a", "b", "a", "b"], "queue": ["q", "q", "r", "r"],
    ...     "items_handled": [100, 100, 1000, 1000], "cost": [90.0, 10.0, 500.0, 400.0]})
    >>> whatif_move_choice(c)
    {'queue': 'r', 'from_site': 'a', 'to_site': 'b'}
    """
    c = cells[cells["items_handled"] > 0].assign(
        cpi=lambda f: f["cost"] / f["items_handled"])
    best: tuple[float, dict[str, str]] | None = None
    for queue, g in c.groupby("queue", sort=True):
        if len(g) < 2:
            continue
        cpi = g["cpi"].to_numpy(float)
        dear, cheap = g.iloc[int(np.nanargmax(cpi))], g.iloc[int(np.nanargmin(cpi))]
        saving = float(dear["items_handled"] * (dear["cpi"] - cheap["cpi"]))
        if best is None or saving > best[0]:
            best = (saving, {"queue": str(queue), "from_site": str(dear["site"]),
                             "to_site": str(cheap["site"])})
    return None if best is None else best[1]


def whatif_shown(whatif: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of a :mod:`qa_insights.business.whatif` result: baseline, scenario and change
    of cost, audits, the org error rate with its 95% interval and the margin of error.

    Examples
    --------
    >>> w = pd.DataFrame({"scenario": ["baseline", "change"], "cost": [1.5e4, -1.2e3],
    ...     "cost_per_item": [0.5, -0.04], "planned_audits": [800.0, 0.0],
    ...     "audit_cost": [float("nan")] * 2, "error_rate": [0.08, -0.003],
    ...     "error_ci_low": [0.07, -0.005], "error_ci_high": [0.09, -0.001],
    ...     "margin_of_error": [0.011, 0.0004]})
    >>> whatif_shown(w).error_rate.tolist()
    ['8.00% (7.00–9.00%)', '-0.30 pts (-0.50 to -0.10)']
    """
    change = whatif["scenario"] == "change"
    return pd.DataFrame({
        "scenario": whatif["scenario"].astype(str),
        "cost": [_money(v) for v in whatif["cost"]],
        "cost_per_item": [f"{v:+.4f}" if ch else f"{v:.4f}"
                          for v, ch in zip(whatif["cost_per_item"], change)],
        "planned_audits": [f"{v:+,.0f}" if ch else f"{v:,.0f}"
                           for v, ch in zip(whatif["planned_audits"], change)],
        "audit_cost": [_money(v) for v in whatif["audit_cost"]],
        "error_rate": [
            f"{100 * v:+.2f} pts ({100 * lo:.2f} to {100 * hi:.2f})" if ch else f"{100 * v:.2f}% ({100 * lo:.2f}–{100 * hi:.2f}%)"
            for v, lo, hi, ch in zip(whatif["error_rate"], whatif["error_ci_low"],
                                     whatif["error_ci_high"], change)],
        "margin_of_error": [f"{100 * v:+.2f} pts" if ch else f"±{100 * v:.2f} pts"
                            for v, ch in zip(whatif["margin_of_error"], change)],
    })


def projection_day(store: Store, month: str, look_back_day: int = 15) -> tuple[str, bool]:
    """The day to project the month end from: the last day with audits when the month
    is still running, else (a complete month) day ``look_back_day`` as a look-back of what
    the projection said then.

    Returns
    -------
    tuple
        ``(as_of 'YYYY-MM-DD', complete)``.

    Examples
    --------
    >>> projection_day(store, "2026-08")                               # doctest: +SKIP
    ('2026-08-15', True)
    """
    last = store.query("SELECT CAST(MAX(audited_at) AS DATE) AS day FROM audits "
                       "WHERE month = ?", [month])["day"].iloc[0]
    if pd.isna(last):
        raise ValueError(f"no audits in {month}: nothing to project")
    day = pd.Timestamp(last)
    if day.day < day.days_in_month:
        return day.strftime("%Y-%m-%d"), False
    return f"{month}-{min(look_back_day, day.days_in_month):02d}", True


def projection_shown(projection: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.business.targets.month_end_projection`: month to date,
    projected month end with its 95% prediction interval, target and projected status.

    Examples
    --------
    >>> p = pd.DataFrame({"metric": ["accuracy"], "scope": ["org"], "scope_value": [None],
    ...     "n_to_date": [900.0], "actual_to_date": [0.95], "projected_n": [1800.0],
    ...     "projected": [0.95], "ci_low": [0.94], "ci_high": [0.96], "target": [0.955],
    ...     "status": ["at risk"]})
    >>> projection_shown(p).iloc[0].tolist()
    ['Accuracy', 'org', '95.0% (900)', '95.0% (94.0–96.0%)', '95.5%', 'AT RISK']
    """
    return pd.DataFrame({
        "metric": [_METRIC_NAMES.get(m, m) for m in projection["metric"]],
        "scope": [s if s == "org" else f"{s} {v}" for s, v in
                  zip(projection["scope"], projection["scope_value"].fillna(""))],
        "to_date": [f"{format_metric(m, v)} ({n:,.0f})" for m, v, n in
                    zip(projection["metric"], projection["actual_to_date"],
                        projection["n_to_date"])],
        "projected": [_with_interval(m, v, lo, hi) for m, v, lo, hi in
                      zip(projection["metric"], projection["projected"],
                          projection["ci_low"], projection["ci_high"])],
        "target": [format_metric(m, t) for m, t in zip(projection["metric"],
                                                       projection["target"])],
        "status": projection["status"].astype(str).str.upper(),
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
        :func:`qa_insights.business.targets.target_attainment` of the month.
    tradeoff : DataFrame, optional
        :func:`qa_insights.business.costs.cost_tradeoff` of the month.
    quality : DataFrame, optional
        :func:`qa_insights.rca.change.explain_change` by site (``scale=100``).
    cost : DataFrame, optional
        :func:`qa_insights.business.costs.cost_change` by site.
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
        metric = str(r.metric)
        name = _METRIC_NAMES.get(metric, metric)
        todo = {"cost_per_item": "Review staffing and vendor rates against volume.",
                "handle_time_s": "Check workflow and tooling for slow steps."}.get(
            metric, "Start a root-cause review there (see its RCA deep dive)."
            if r.scope in ("site", "queue") else "Focus on the sites and queues that missed.")
        out.append(f"{name} at {where} missed its target: "
                   f"{_with_interval(metric, as_float(r.actual), as_float(r.ci_low), as_float(r.ci_high))} against "
                   f"{format_metric(metric, as_float(r.target))}. {todo}")
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
                       f"{_with_interval('accuracy', as_float(r.accuracy), as_float(r.accuracy_ci_low), as_float(r.accuracy_ci_high))}"
                       f" is significantly below the rest ({_p_text(as_float(r.p_value))}); cost per "
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
        metric = str(r.metric)
        out.append(f"Watch {_METRIC_NAMES.get(metric, metric).lower()} at {where}: "
                   f"{format_metric(metric, as_float(r.actual))} is on the wrong side of "
                   f"{format_metric(metric, as_float(r.target))}, not yet significantly.")
    return out[:max_actions]
