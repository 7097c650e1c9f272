"""Presentation glue of the Monthly Business Review (``notebooks/monthly_business_review.ipynb``).

Small pure functions on the results of :mod:`qa_insights.business.targets` and
:mod:`qa_insights.business.costs`: target status counts and tiles, readable target,
efficiency and cost tables, the budget, shared-cost allocation, what-if and month-end
projection tables, and the "actions the numbers suggest", every sentence built from the
numbers (the actions the numbers suggest are :mod:`qa_insights.reports.mbr_actions`'s).
Every money figure carries its currency (:func:`qa_insights.present.display.money`,
the currency of the ``volumes`` table). The executive summary is
:mod:`qa_insights.reports.summary`'s, as in the Monthly Quality Report.

Examples
--------
>>> a = pd.DataFrame({"status": ["met", "missed", "at risk", "missed"]})
>>> status_counts(a)
{'met': 1, 'at risk': 1, 'missed': 2, 'no data': 0}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qa_insights.present.display import money, number, pp
from qa_insights.reports.summary import month_name

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = [
    "COST_COLUMNS",
    "COST_TABLE",
    "METRIC_NAMES",
    "TARGET_COLUMNS",
    "TARGET_TABLE",
    "allocation_shown",
    "audit_cost_note",
    "budget_gaps",
    "budget_in_scope",
    "budget_shown",
    "cost_change_or_none",
    "cost_change_shown",
    "cost_shown",
    "efficiency_shown",
    "closed_month_note",
    "format_metric",
    "projection_shown",
    "rows_in_scope",
    "shared_cost_note",
    "shared_pools",
    "status_class",
    "status_counts",
    "status_headline",
    "status_tiles",
    "targets_shown",
    "tradeoff_shown",
    "whatif_move_choice",
    "whatif_shown",
    "with_interval",
    "with_targets",
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
#: Metric column -> its name in words.
METRIC_NAMES = {"accuracy": "Accuracy", "critical_error_rate": "Critical-error rate",
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


def format_metric(metric: str, value: float, digits: int = 1, currency: str = "") -> str:
    """A metric value in its unit: percentages for proportions, seconds for handle time,
    money with its ``currency`` for cost.

    Examples
    --------
    >>> format_metric("accuracy", 0.8937), format_metric("handle_time_s", 43.14)
    ('89.4%', '43.1 s')
    >>> format_metric("cost_per_item", 0.5159, currency="USD")
    'USD 0.516'
    >>> format_metric("critical_error_rate", 0.00407)
    '0.41%'
    """
    if _nan(value):
        return _MISSING
    if metric in _PROPORTIONS:
        d = 2 if metric == "critical_error_rate" else digits
        return f"{100 * value:.{d}f}%"
    if metric.endswith("_s"):
        return f"{value:.{digits}f} s"
    if metric.startswith("cost"):
        return money(value, currency, per_unit=True)
    return f"{value:.3f}"


def with_interval(metric: str, value: float, low: float, high: float,
                  currency: str = "") -> str:
    """A metric value with its interval in the metric's unit (no interval when a bound is
    missing).

    Examples
    --------
    >>> with_interval("accuracy", 0.894, 0.859, 0.92)
    '89.4% (85.9–92.0%)'
    """
    if _nan(low) or _nan(high):
        return format_metric(metric, value, currency=currency)
    if metric.startswith("cost"):  # "USD 0.218 (0.214–0.222)"
        return (f"{money(value, currency, per_unit=True)} ({low:.3f}–{high:.3f})")
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


def targets_shown(attainment: pd.DataFrame, currency: str = "") -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.business.targets.target_attainment`: metric, scope,
    actual with its 95% interval, target, how the target was set (``method``; ``given``
    when the table does not say), status (decided with the interval) and how many months
    in a row; cost figures in ``currency``.

    Examples
    --------
    >>> a = pd.DataFrame({"metric": ["accuracy"], "scope": ["org"], "scope_value": [None],
    ...     "actual": [0.96], "ci_low": [0.95], "ci_high": [0.97], "target": [0.94],
    ...     "status": ["met"], "method": ["trailing_median"]})
    >>> targets_shown(a)[["scope", "method", "status"]].values.tolist()
    [['org', 'trailing_median', 'MET']]
    """
    return pd.DataFrame({
        "metric": [METRIC_NAMES.get(m, m) for m in attainment["metric"]],
        "scope": [s if s == "org" else f"{s} {v}" for s, v in
                  zip(attainment["scope"], attainment["scope_value"].fillna(""))],
        "actual": [with_interval(m, v, lo, hi, currency) for m, v, lo, hi in
                   zip(attainment["metric"], attainment["actual"], attainment["ci_low"],
                       attainment["ci_high"])],
        "target": [format_metric(m, t, currency=currency)
                   for m, t in zip(attainment["metric"], attainment["target"])],
        "method": (attainment["method"].fillna("given").astype(str)
                   if "method" in attainment else "given"),
        "status": attainment["status"].astype(str).str.upper(),
        "streak": attainment.get("streak", np.nan),
    })


def cost_change_or_none(store: Store, month: str) -> pd.DataFrame | None:
    """:func:`qa_insights.business.costs.cost_change` by site against the previous month, or None
    when either month has no volumes (a gap, the first month)."""
    from qa_insights.business.costs import cost_change

    try:
        return cost_change(store, month)
    except ValueError:
        return None


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


def cost_shown(cost: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.business.costs.cost_by_site`: items, cost, cost per
    item, cost per correct decision with its interval (from the accuracy's Wilson interval)
    and accuracy with its interval; money in ``currency``.

    Examples
    --------
    >>> c = pd.DataFrame({"site": ["a"], "items_handled": [1000], "cost": [250.0],
    ...     "cost_per_item": [0.25], "cost_per_correct_decision": [0.26],
    ...     "cost_per_correct_decision_low": [0.255], "cost_per_correct_decision_high": [0.27],
    ...     "accuracy": [0.96], "accuracy_ci_low": [0.93], "accuracy_ci_high": [0.98]})
    >>> cost_shown(c, "USD").iloc[0, 2:5].tolist()
    ['USD 250', 'USD 0.250', 'USD 0.260 (0.255–0.270)']
    """
    return pd.DataFrame({
        "site": cost["site"].astype(str),
        "items_handled": cost["items_handled"],
        "cost": [money(v, currency) for v in cost["cost"]],
        "cost_per_item": [money(v, currency, per_unit=True) for v in cost["cost_per_item"]],
        "cost_per_correct_decision": [
            with_interval("cost_per_correct_decision", v, lo, hi, currency) for v, lo, hi in
            zip(cost["cost_per_correct_decision"], cost["cost_per_correct_decision_low"],
                cost["cost_per_correct_decision_high"])],
        "accuracy": [with_interval("accuracy", v, lo, hi) for v, lo, hi in
                     zip(cost["accuracy"], cost["accuracy_ci_low"], cost["accuracy_ci_high"])],
    })


def tradeoff_shown(tradeoff: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.business.costs.cost_tradeoff`: unit cost against cost
    per correct decision, what errors add, ranks and the cheaper-but-worse flag; money in
    ``currency``."""
    return pd.DataFrame({
        "site": tradeoff["site"].astype(str),
        "cost_per_item": [money(v, currency, per_unit=True) for v in tradeoff["cost_per_item"]],
        "cost_per_correct_decision": [money(v, currency, per_unit=True)
                                      for v in tradeoff["cost_per_correct_decision"]],
        "error_premium": [money(v, currency, per_unit=True, sign=True)
                          for v in tradeoff["error_premium"]],
        "accuracy": [with_interval("accuracy", v, lo, hi) for v, lo, hi in
                     zip(tradeoff["accuracy"], tradeoff["accuracy_ci_low"],
                         tradeoff["accuracy_ci_high"])],
        "ranks": [f"{a} / {b}" for a, b in zip(tradeoff["cost_rank"],
                                               tradeoff["cost_per_correct_decision_rank"])],
        "cheaper_but_worse": ["yes" if v else "no" for v in tradeoff["cheaper_but_worse"]],
    })


_COMPONENTS = {"volume": "Volume: more or fewer items",
               "mix": "Mix: items moving between sites of different cost per item",
               "unit cost": "Unit cost: sites' own cost per item"}


def cost_change_shown(table: pd.DataFrame, currency: str, before: str, after: str
                      ) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.business.costs.cost_change_table` (the waterfall):
    last month's cost, the volume, mix and unit-cost effects in ``currency`` and as a
    percentage of last month's cost, and this month's cost with the total change.

    Parameters
    ----------
    table : DataFrame
        :func:`qa_insights.business.costs.cost_change_table`.
    currency : str
        The cost's currency.
    before, after : str
        The two months (``YYYY-MM``).

    Examples
    --------
    >>> t = pd.DataFrame({"component": ["cost before", "mix", "cost after"],
    ...                   "amount": [1.39e6, -3.36e5, 1.054e6], "pts": [100.0, -24.17, 75.83]})
    >>> cost_change_shown(t, "USD", "2026-09", "2026-10").values.tolist()
    [['Cost in September 2026', 'USD 1.39M', ''], ['Mix: items moving between sites of different cost per item', 'USD −336.0k', '−24.2%'], ['Cost in October 2026', 'USD 1.05M', '−24.2% (USD −336.0k)']]
    """
    rows = []
    base = float(table.loc[table["component"] == "cost before", "amount"].iloc[0])
    for c, v, pts in zip(table["component"], table["amount"], table["pts"]):
        if c == "cost before":
            rows.append((f"Cost in {month_name(before)}", money(v, currency), ""))
        elif c == "cost after":
            rows.append((f"Cost in {month_name(after)}", money(v, currency),
                         f"{number(pts - 100.0, sign=True)}% "
                         f"({money(v - base, currency, sign=True)})"))
        else:
            rows.append((_COMPONENTS.get(str(c), str(c)), money(v, currency, sign=True),
                         f"{number(pts, sign=True)}%"))
    return pd.DataFrame(rows, columns=["component", "amount", "change_pct"])


def _basis(basis: str, per_item: float, currency: str) -> str:
    if basis.startswith("cost_per_item target"):
        whose = "the organisation's" if basis.endswith("(org)") else "its own"
        return f"{whose} cost-per-item target, {money(per_item, currency, per_unit=True)}"
    return "no cost-per-item target of its own"


def budget_shown(budget: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.business.costs.budget_against_targets`: scope, cost
    against budget, the variance in ``currency`` and as a percentage of the budget
    (positive: over budget), the status and the target the budget comes from.

    Examples
    --------
    >>> b = pd.DataFrame({"scope": ["org", "site"], "scope_value": ["", "a"],
    ...     "cost": [660.0, 300.0], "budget": [500.0, float("nan")],
    ...     "variance": [160.0, float("nan")], "variance_pct": [32.0, float("nan")],
    ...     "budget_cost_per_item": [0.3, float("nan")],
    ...     "budget_basis": ["cost_per_item target (org)", "no target of its own"],
    ...     "status": ["over budget", "no budget"]})
    >>> budget_shown(b, "USD").values.tolist()[0]
    ['Whole organisation', 'USD 660', 'USD 500', 'USD +160 (+32.0%)', 'over budget', "the organisation's cost-per-item target, USD 0.300"]
    >>> budget_shown(b, "USD").values.tolist()[1][2:5]
    ['–', '–', 'no budget']
    """
    return pd.DataFrame({
        "scope": ["Whole organisation" if s == "org" else str(v)
                  for s, v in zip(budget["scope"], budget["scope_value"])],
        "cost": [money(v, currency) for v in budget["cost"]],
        "budget": [money(v, currency) for v in budget["budget"]],
        "variance": [_MISSING if _nan(v) else
                     f"{money(v, currency, sign=True)} ({number(p, sign=True)}%)"
                     for v, p in zip(budget["variance"], budget["variance_pct"])],
        "status": budget["status"].astype(str),
        "budget_basis": [_basis(str(b), c, currency) for b, c in
                         zip(budget["budget_basis"], budget["budget_cost_per_item"])],
    })


def budget_in_scope(budget: pd.DataFrame, scope_filter: Mapping[str, str]
                    ) -> tuple[pd.DataFrame, str | None]:
    """The budget rows a report shows and the line naming the rows it cannot show.

    The scope's rows are every row for the organisation (or a queue or market, whose cost is
    not split by site) and only its own site's row for a site; of those, the rows with a
    budget are shown, and the sites without a target of their own are named in one line
    (:func:`budget_gaps`).

    Examples
    --------
    >>> b = pd.DataFrame({"scope": ["org", "site", "site"], "scope_value": ["", "a", "b"],
    ...                   "status": ["over budget", "within budget", "no budget"]})
    >>> rows, gaps = budget_in_scope(b, {})
    >>> rows.scope_value.tolist(), gaps[:18]
    (['', 'a'], 'No budget for b: i')
    >>> budget_in_scope(b, {"site": "a"})[0].scope_value.tolist()
    ['a']
    """
    if "site" in scope_filter:
        budget = budget[(budget["scope"] == "site")
                        & (budget["scope_value"] == scope_filter["site"])]
    shown = budget[budget["status"] != "no budget"].reset_index(drop=True)
    return shown, budget_gaps(budget)


def budget_gaps(budget: pd.DataFrame) -> str | None:
    """One line naming the sites without a cost-per-item target of their own (so without
    a budget) and what to add; None when every site has one.

    Examples
    --------
    >>> b = pd.DataFrame({"scope": ["org", "site", "site"], "scope_value": ["", "a", "b"],
    ...                   "status": ["over budget", "no budget", "within budget"]})
    >>> budget_gaps(b)
    'No budget for a: it has no cost-per-item target of its own. To compare it with a budget, add a row to targets.csv with metric cost_per_item, scope site and the site in scope_value.'
    """
    gaps = budget[(budget["scope"] == "site") & (budget["status"] == "no budget")]
    if gaps.empty:
        return None
    names = ", ".join(gaps["scope_value"].astype(str))
    one = len(gaps) == 1
    return (f"No budget for {names}: {'it has' if one else 'they have'} no cost-per-item "
            f"target of {'its' if one else 'their'} own. To compare "
            f"{'it' if one else 'them'} with a budget, add a row to targets.csv with metric "
            f"cost_per_item, scope site and the site in scope_value.")


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



def shared_cost_note(month: str, currency: str) -> str:
    """The line shown when no shared cost was given: what is missing and how to give it.

    Examples
    --------
    >>> shared_cost_note("2026-10", "USD")[:71]
    'No shared QA and tooling cost was given for October 2026, so none is al'
    """
    return (f"No shared QA and tooling cost was given for {month_name(month)}, so none is "
            "allocated to the sites. To allocate it, enter the month's amount"
            f"{f' in {currency}' if currency else ''} as the report's shared cost (the "
            "shared_cost setting at the top of the Monthly Business Review notebook).")


def audit_cost_note(currency: str) -> str:
    """The line shown when the cost of one audit is not known: what it would add.

    Examples
    --------
    >>> audit_cost_note("USD")[:52]
    'Audit cost is not projected: the cost of one audit i'
    """
    return ("Audit cost is not projected: the cost of one audit is not known. Enter it"
            f"{f' in {currency}' if currency else ''} as the report's cost per audit (the "
            "cost_per_audit setting at the top of the Monthly Business Review notebook) to "
            "see what each scenario changes in audit cost.")


def allocation_shown(allocation: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.business.cost_allocation.allocate_shared_costs`: pool,
    unit, driver value, its share and the amount allocated (in ``currency``).

    Examples
    --------
    >>> a = pd.DataFrame({"month": ["2026-08"], "pool": ["qa"], "site": ["a"],
    ...     "driver": ["n_audits"], "driver_value": [300.0], "driver_share": [0.75],
    ...     "allocated_cost": [6000.0]})
    >>> allocation_shown(a, "USD").iloc[0].tolist()
    ['qa', 'a', 'audits', '300', '75.0%', 'USD 6.0k']
    """
    unit = [c for c in ("site", "vendor", "queue") if c in allocation.columns]
    return pd.DataFrame({
        "pool": allocation["pool"].astype(str),
        "unit": allocation[unit].astype(str).agg(" / ".join, axis=1),
        "driver": [_DRIVERS.get(str(d), str(d)) for d in allocation["driver"]],
        "driver_value": [f"{v:,.0f}" for v in allocation["driver_value"]],
        "driver_share": [f"{100 * v:.1f}%" for v in allocation["driver_share"]],
        "allocated_cost": [money(v, currency) for v in allocation["allocated_cost"]],
    })


_DRIVERS = {"n_audits": "audits", "items_handled": "items handled",
            "productive_hours": "productive hours"}


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



def whatif_shown(whatif: pd.DataFrame, currency: str) -> pd.DataFrame:
    """Readable rows of a :mod:`qa_insights.business.whatif` result: baseline, scenario and
    change of cost and cost per item (in ``currency``), audits, audit cost, the org error
    rate with its 95% interval and the margin of error.

    Examples
    --------
    >>> w = pd.DataFrame({"scenario": ["baseline", "change"], "cost": [1.5e4, -1.2e3],
    ...     "cost_per_item": [0.5, -0.04], "planned_audits": [800.0, 0.0],
    ...     "audit_cost": [float("nan")] * 2, "error_rate": [0.08, -0.003],
    ...     "error_ci_low": [0.07, -0.005], "error_ci_high": [0.09, -0.001],
    ...     "margin_of_error": [0.011, 0.0004]})
    >>> whatif_shown(w, "USD").error_rate.tolist()
    ['8.00% (7.00–9.00%)', '−0.30 pp (−0.50 to −0.10)']
    >>> whatif_shown(w, "USD").cost.tolist()
    ['USD 15.0k', 'USD −1.2k']
    """
    change = whatif["scenario"] == "change"
    return pd.DataFrame({
        "scenario": whatif["scenario"].astype(str),
        "cost": [money(v, currency, sign=ch) for v, ch in zip(whatif["cost"], change)],
        "cost_per_item": [money(v, currency, per_unit=True, sign=ch)
                          for v, ch in zip(whatif["cost_per_item"], change)],
        "planned_audits": [number(v, 0, sign=ch) for v, ch in
                           zip(whatif["planned_audits"], change)],
        "audit_cost": [money(v, currency, sign=ch) if not _nan(v) else _MISSING
                       for v, ch in zip(whatif["audit_cost"], change)],
        "error_rate": [
            f"{pp(100 * v, 2)} ({number(100 * lo, 2)} to {number(100 * hi, 2)})" if ch
            else f"{100 * v:.2f}% ({100 * lo:.2f}–{100 * hi:.2f}%)"
            for v, lo, hi, ch in zip(whatif["error_rate"], whatif["error_ci_low"],
                                     whatif["error_ci_high"], change)],
        "margin_of_error": [pp(100 * v, 2) if ch else f"±{100 * v:.2f} pp"
                            for v, ch in zip(whatif["margin_of_error"], change)],
    })


def closed_month_note(month: str) -> str:
    """The one line shown instead of a month-end projection when the month is closed.

    Examples
    --------
    >>> closed_month_note("2026-10")[:60]
    'No month-end projection: October 2026 is closed, so its actu'
    """
    return (f"No month-end projection: {month_name(month)} is closed, so its actual values "
            "are in the Targets table above; a projection is made only while a month is "
            "still open.")


def with_targets(projection: pd.DataFrame) -> pd.DataFrame:
    """The projection rows that have a target (a projected status needs one).

    Examples
    --------
    >>> with_targets(pd.DataFrame({"target": [0.95, None]})).target.tolist()
    [0.95]
    """
    return projection[projection["target"].notna()].reset_index(drop=True)


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
        "metric": [METRIC_NAMES.get(m, m) for m in projection["metric"]],
        "scope": [s if s == "org" else f"{s} {v}" for s, v in
                  zip(projection["scope"], projection["scope_value"].fillna(""))],
        "to_date": [f"{format_metric(m, v)} ({n:,.0f})" for m, v, n in
                    zip(projection["metric"], projection["actual_to_date"],
                        projection["n_to_date"])],
        "projected": [with_interval(m, v, lo, hi) for m, v, lo, hi in
                      zip(projection["metric"], projection["projected"],
                          projection["ci_low"], projection["ci_high"])],
        "target": [format_metric(m, t) for m, t in zip(projection["metric"],
                                                       projection["target"])],
        "status": projection["status"].astype(str).str.upper(),
    })
