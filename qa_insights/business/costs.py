"""Efficiency and cost: unit economics, cost of poor quality, budget, cost change, trade-off.

:func:`unit_economics` joins the ``volumes`` table (items, productive hours, headcount,
cost; summed in DuckDB by :func:`qa_insights.business.actuals.volume_totals`) with the audit counts
of :func:`qa_insights.data.queries.audit_counts` and the handle-time statistics of
:func:`qa_insights.business.actuals.handle_time_stats`, per month / site / queue (or per vendor,
from a site -> vendor mapping), and derives:

* efficiency: average and percentile handle time of the audited decisions, throughput
  ``items / productive hour``, audit coverage ``1000 audits / items``, headcount
  utilisation ``productive hours / (headcount x hours_per_fte)``;
* cost: ``cost_per_item = cost / items``, ``cost_per_audit = audit_cost / audits`` (when
  the QA cost is given, see :func:`qa_insights.business.cost_allocation.allocate_shared_costs`);
* cost of poor quality: estimated wrong decisions ``items x error rate`` (the audit error
  rate), ``cost_of_errors = wrong decisions x (cost per item + rework cost per error)``
  and ``cost_per_correct_decision = cost / (items x accuracy)``, each with the interval
  implied by the Wilson interval of the error rate (cost itself is an accounting total).

:func:`decompose_cost_change` splits a cost change into volume, mix and unit-cost effects
with the LMDI machinery of :mod:`qa_insights.stats.lmdi` (``cost = Q x sum_i s_i u_i``: total
items, segment share of items, segment cost per item). :func:`cost_quality_tradeoff` puts
cost per correct decision beside raw unit cost and flags sites that are cheaper but worse.

Examples
--------
>>> import pandas as pd
>>> sep = pd.DataFrame({"site": ["inhouse", "bpo"], "items_handled": [100, 100],
...                     "cost": [100.0, 50.0]})
>>> oct_ = pd.DataFrame({"site": ["inhouse", "bpo"], "items_handled": [100, 200],
...                      "cost": [100.0, 100.0]})
>>> d = decompose_cost_change(sep, oct_, "site")
>>> {k: round(v, 2) for k, v in d.attrs["overall"].items() if k.endswith("_pts")}
{'volume_pts': 46.53, 'mix_pts': -13.2, 'unit_cost_pts': 0.0, 'total_pts': 33.33}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qa_insights.business.actuals import VOLUME_DIMENSIONS, handle_time_stats, volume_totals
from qa_insights.data.queries import audit_counts, check_dimensions
from qa_insights.data.scalars import as_int
from qa_insights.rca.change import comparison_month
from qa_insights.stats.differences import adjust_p_values
from qa_insights.stats.lmdi import align_periods, lmdi_additive, lmdi_multiplicative
from qa_insights.stats.proportions import compare_proportions, wilson_interval

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = [
    "COST_FACTORS",
    "HOURS_PER_FTE",
    "budget_against_targets",
    "budget_from_targets",
    "budget_variance",
    "cost_by_site",
    "cost_change",
    "cost_change_table",
    "cost_quality_tradeoff",
    "cost_tradeoff",
    "decompose_cost_change",
    "economics_ratios",
    "efficiency",
    "unit_economics",
]

#: Factors of the cost decomposition, in order.
COST_FACTORS: tuple[str, ...] = ("volume", "mix", "unit_cost")

#: Default paid hours of one FTE in a month (headcount utilisation denominator).
HOURS_PER_FTE = 160.0

_SUMS = ["items_handled", "productive_hours", "headcount", "cost", "n_audits", "n_errors",
         "n_critical", "n_handle_time", "handle_time_total_s"]

_EFFICIENCY = ["items_handled", "productive_hours", "headcount", "n_audits",
               "audits_per_1000_items", "throughput_per_hour", "utilisation",
               "handle_time_mean_s"]


def _ratio(num: pd.Series | np.ndarray, den: pd.Series | np.ndarray) -> np.ndarray:
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / den, np.nan)


def economics_ratios(sums: pd.DataFrame, *, rework_cost_per_error: float = 0.0,
                     hours_per_fte: float = HOURS_PER_FTE,
                     confidence: float = 0.95) -> pd.DataFrame:
    """Efficiency, cost and cost-of-quality ratios from summed columns (pure).

    Parameters
    ----------
    sums : DataFrame
        Group columns plus ``items_handled, productive_hours, headcount, cost, n_audits,
        n_errors, n_critical, n_handle_time, handle_time_total_s`` (and optionally
        ``audit_cost``); additive, so any grouping of them can be summed first.
    rework_cost_per_error : float
        Extra cost of one wrong decision (appeal handling, re-review, remediation).
    hours_per_fte : float
        Paid hours of one FTE in a month.
    confidence : float
        Level of the Wilson interval of the error rate.

    Returns
    -------
    DataFrame
        ``sums`` plus the ratio columns listed in the module docstring:
        ``cost_per_item, cost_per_correct_decision, cost_per_correct_decision_low/high,
        accuracy, accuracy_ci_low/high, error_rate, estimated_errors, cost_of_errors,
        cost_of_errors_low/high, cost_of_errors_share, throughput_per_hour,
        audits_per_1000_items, utilisation, handle_time_mean_s, cost_per_audit`` (NaN
        without ``audit_cost``). Ratios with a zero denominator are NaN.

    Examples
    --------
    >>> s = pd.DataFrame({"site": ["a"], "items_handled": [10_000], "productive_hours": [100.0],
    ...     "headcount": [1.0], "cost": [5_000.0], "n_audits": [200], "n_errors": [10],
    ...     "n_critical": [1], "n_handle_time": [200], "handle_time_total_s": [8_000.0]})
    >>> r = economics_ratios(s, rework_cost_per_error=2.0)
    >>> r[["cost_per_item", "cost_per_correct_decision", "cost_of_errors"]].round(4).values.tolist()
    [[0.5, 0.5263, 1250.0]]
    """
    out = sums.copy()
    items, cost = out["items_handled"].to_numpy(dtype=float), out["cost"].to_numpy(dtype=float)
    n, e = out["n_audits"].to_numpy(dtype=float), out["n_errors"].to_numpy(dtype=float)
    err_lo, err_hi = wilson_interval(e, n, confidence) if len(out) else ([], [])
    err = _ratio(e, n)
    cpi = _ratio(cost, items)
    out["cost_per_item"] = cpi
    out["accuracy"] = 1.0 - err
    out["accuracy_ci_low"], out["accuracy_ci_high"] = 1.0 - np.asarray(err_hi), \
        1.0 - np.asarray(err_lo)
    out["cost_per_correct_decision"] = _ratio(cost, items * (1.0 - err))
    out["cost_per_correct_decision_low"] = _ratio(cost, items * (1.0 - np.asarray(err_lo)))
    out["cost_per_correct_decision_high"] = _ratio(cost, items * (1.0 - np.asarray(err_hi)))
    out["error_rate"] = err
    out["estimated_errors"] = items * err
    per_error = cpi + rework_cost_per_error
    out["cost_of_errors"] = items * err * per_error
    out["cost_of_errors_low"] = items * np.asarray(err_lo) * per_error
    out["cost_of_errors_high"] = items * np.asarray(err_hi) * per_error
    out["cost_of_errors_share"] = _ratio(out["cost_of_errors"], cost)
    out["throughput_per_hour"] = _ratio(items, out["productive_hours"])
    out["audits_per_1000_items"] = 1000.0 * _ratio(n, items)
    out["utilisation"] = _ratio(out["productive_hours"], out["headcount"] * hours_per_fte)
    out["handle_time_mean_s"] = _ratio(out["handle_time_total_s"], out["n_handle_time"])
    out["cost_per_audit"] = (_ratio(out["audit_cost"], n) if "audit_cost" in out.columns
                             else np.nan)
    return out


def unit_economics(store: Store, by: Sequence[str] | str = ("site", "month"),
                   months: str | Sequence[str] | None = None, *,
                   vendors: Mapping[str, str] | None = None,
                   audit_cost: pd.DataFrame | None = None,
                   rework_cost_per_error: float = 0.0, hours_per_fte: float = HOURS_PER_FTE,
                   percentiles: Sequence[float] = (0.5, 0.9),
                   confidence: float = 0.95) -> pd.DataFrame:
    """Efficiency, cost and cost of poor quality per group, from the store.

    Parameters
    ----------
    store : Store
        Open store (tables ``volumes`` and ``audits``).
    by : sequence of str or str
        Groups: ``month``, ``site``, ``queue`` and, with ``vendors``, ``vendor``.
    months : str or sequence of str, optional
        Months to include (all when None).
    vendors : mapping, optional
        Site -> vendor; sites not listed are their own vendor (in-house sites).
    audit_cost : DataFrame, optional
        QA (audit) cost per group: columns of ``by`` (a subset is fine, e.g. ``month``
        and ``site``) and ``audit_cost``; see
        :func:`qa_insights.business.cost_allocation.allocate_shared_costs` to spread an org-level
        QA cost. Gives ``cost_per_audit``.
    rework_cost_per_error, hours_per_fte, confidence
        As :func:`economics_ratios`.
    percentiles : sequence of float
        Handle-time percentiles (columns ``handle_time_p50_s`` ...); not additive, so
        not given by vendor.

    Returns
    -------
    DataFrame
        One row per group present in ``volumes`` or ``audits``: ``by``, the sums and the
        ratios of :func:`economics_ratios`, ``handle_time_sd_s`` and the percentile columns
        (by site / queue / month only), ``currency``.

    Examples
    --------
    >>> unit_economics(store, ["site", "month"], "2026-10")            # doctest: +SKIP
    """
    by = list([by] if isinstance(by, str) else by)
    allowed = {**{d: d for d in VOLUME_DIMENSIONS}, **({"vendor": "site"} if vendors else {})}
    check_dimensions(by, allowed)
    base = [d for d in VOLUME_DIMENSIONS if d in by or (d == "site" and "vendor" in by)]
    vol = volume_totals(store, base, months)
    counts = audit_counts(store, base, filters={"month": months})[[*base, "n_audits", "n_errors",
                                                      "n_critical"]]
    ht = handle_time_stats(store, base, months, percentiles=percentiles)
    ht["handle_time_total_s"] = ht["handle_time_mean_s"] * ht["n_handle_time"]
    merged = vol.merge(counts, on=base, how="outer") if base else pd.concat([vol, counts],
                                                                             axis=1)
    merged = merged.merge(ht, on=base, how="left") if base else pd.concat([merged, ht], axis=1)
    currency = merged["currency"].dropna().unique()
    merged[_SUMS] = merged[_SUMS].fillna(0)
    extra = [c for c in ht.columns if c.startswith("handle_time_p") or c == "handle_time_sd_s"]
    if vendors:
        merged["vendor"] = merged["site"].map(lambda s: vendors.get(s, s))
        extra = []
    sums = merged.groupby(by, sort=True, dropna=False)[_SUMS].sum().reset_index() if by \
        else merged[_SUMS].sum().to_frame().T
    if not vendors and by:
        sums = sums.merge(merged[by + extra], on=by, how="left")
    for c in ("items_handled", "n_audits", "n_errors", "n_critical", "n_handle_time"):
        sums[c] = sums[c].astype("int64")
    if audit_cost is not None:
        keys = [c for c in audit_cost.columns if c != "audit_cost"]
        check_dimensions(keys, {d: d for d in by})
        sums = sums.merge(audit_cost.groupby(keys, as_index=False)["audit_cost"].sum(),
                          on=keys, how="left")
    out = economics_ratios(sums, rework_cost_per_error=rework_cost_per_error,
                           hours_per_fte=hours_per_fte, confidence=confidence)
    out["currency"] = currency[0] if len(currency) else ""
    return out.reset_index(drop=True)


def efficiency(store: Store, by: Sequence[str] | str = ("site", "month"),
               months: str | Sequence[str] | None = None, *,
               hours_per_fte: float = HOURS_PER_FTE,
               percentiles: Sequence[float] = (0.5, 0.9)) -> pd.DataFrame:
    """Efficiency by site / queue / month: handle time, throughput, coverage, utilisation.

    Returns
    -------
    DataFrame
        ``by``, ``items_handled, productive_hours, headcount, n_audits,
        audits_per_1000_items, throughput_per_hour, utilisation, handle_time_mean_s``,
        ``handle_time_sd_s`` and the percentile columns (see :func:`unit_economics`).

    Examples
    --------
    >>> efficiency(store, ["queue", "month"], "2026-10")               # doctest: +SKIP
    """
    by = list([by] if isinstance(by, str) else by)
    e = unit_economics(store, by, months, hours_per_fte=hours_per_fte, percentiles=percentiles)
    pct = [c for c in e.columns if c.startswith("handle_time_p")]
    return e[[*by, *_EFFICIENCY, "handle_time_sd_s", *pct]]


def cost_by_site(store: Store, months: str | Sequence[str] | None = None, *,
                 rework_cost_per_error: float = 0.0, audit_cost: pd.DataFrame | None = None,
                 confidence: float = 0.95) -> pd.DataFrame:
    """The MBR's cost table: cost, cost per item and per correct decision by site and month.

    Returns
    -------
    DataFrame
        ``site, month, items_handled, cost, cost_per_item, cost_per_correct_decision``,
        then ``cost_per_correct_decision_low/high, n_audits, n_errors, accuracy,
        accuracy_ci_low/high, cost_of_errors, cost_of_errors_low/high, cost_per_audit,
        currency`` (see :func:`unit_economics`).

    Examples
    --------
    >>> cost_by_site(store, "2026-10")                                  # doctest: +SKIP
    """
    e = unit_economics(store, ["site", "month"], months, audit_cost=audit_cost,
                       rework_cost_per_error=rework_cost_per_error, confidence=confidence)
    return e[["site", "month", "items_handled", "cost", "cost_per_item",
              "cost_per_correct_decision", "cost_per_correct_decision_low",
              "cost_per_correct_decision_high", "n_audits", "n_errors", "accuracy",
              "accuracy_ci_low", "accuracy_ci_high", "cost_of_errors", "cost_of_errors_low",
              "cost_of_errors_high", "cost_per_audit", "currency"]]


def budget_from_targets(economics: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Budget = the scope's own ``cost_per_item`` target x items handled, per row of
    ``economics``.

    A row with a ``site`` (or ``queue``) column takes that unit's own target for the month
    (the site's when both are given); a row without one takes the org target. A unit
    without a target of its own has no budget (NaN, basis ``"no target of its own"``): the
    org target is an average over sites of very different cost per item, so it is not a
    site's budget.

    Parameters
    ----------
    economics : DataFrame
        Rows with ``month``, ``items_handled`` and optionally ``site`` / ``queue``.
    targets : DataFrame
        Contract ``targets`` rows.

    Returns
    -------
    DataFrame
        The group columns of ``economics``, ``budget``, ``budget_items`` (= items: a
        flexible budget), ``budget_basis`` (``"cost_per_item target (org)"``, ``"... (site)"``,
        ``"... (queue)"`` or ``"no target of its own"``).

    Examples
    --------
    >>> e = pd.DataFrame({"site": ["a", "b"], "month": ["2026-10"] * 2,
    ...                   "items_handled": [1000, 500]})
    >>> t = pd.DataFrame({"metric": ["cost_per_item"] * 2, "scope": ["org", "site"],
    ...                   "scope_value": ["", "a"], "month": ["2026-10"] * 2,
    ...                   "target": [0.3, 0.25], "direction": ["lower_is_better"] * 2})
    >>> budget_from_targets(e, t)[["budget", "budget_basis"]].values.tolist()
    [[250.0, 'cost_per_item target (site)'], [nan, 'no target of its own']]
    >>> org = e.groupby("month", as_index=False)["items_handled"].sum()
    >>> budget_from_targets(org, t)[["budget", "budget_basis"]].values.tolist()
    [[450.0, 'cost_per_item target (org)']]
    """
    keys = [c for c in ("site", "queue", "month") if c in economics.columns]
    if "month" not in keys:
        raise ValueError("economics needs a month column")
    t = targets[targets["metric"] == "cost_per_item"]
    t = t.assign(scope_value=t["scope_value"].fillna("").astype(str))
    out = economics[keys + ["items_handled"]].copy()
    units = [u for u in ("queue", "site") if u in keys]   # the site target wins
    if not units:
        org = t[t["scope"] == "org"].set_index("month")["target"]
        cpi = out["month"].map(org).astype(float)
        basis = pd.Series("cost_per_item target (org)", index=out.index)
    else:
        cpi = pd.Series(np.nan, index=out.index)
        basis = pd.Series("", index=out.index)
        for unit in units:
            u = t[t["scope"] == unit].set_index(["scope_value", "month"])["target"]
            hit = pd.Series(list(zip(out[unit].astype(str), out["month"], strict=True)),
                            index=out.index).map(u.to_dict())
            cpi = hit.where(hit.notna(), cpi).astype(float)
            basis = basis.where(hit.isna(), f"cost_per_item target ({unit})")
    out["budget"] = cpi * out["items_handled"]
    out["budget_items"] = out["items_handled"]
    out["budget_basis"] = basis.where(cpi.notna(),
                                      "no target of its own" if units else "no target")
    return out.drop(columns="items_handled")


def budget_against_targets(economics: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Cost against budget for the whole organisation and for each site, each against its
    own ``cost_per_item`` target (:func:`budget_from_targets`, :func:`budget_variance`).

    Parameters
    ----------
    economics : DataFrame
        One month's rows by site: ``site, month, items_handled, cost``
        (:func:`cost_by_site`).
    targets : DataFrame
        Contract ``targets`` rows.

    Returns
    -------
    DataFrame
        ``scope`` (``org`` first, then ``site``), ``scope_value`` (the site; "" for org),
        then the columns of :func:`budget_variance` after the group columns (``month,
        items_handled, cost, budget, variance, variance_pct, ...``) and ``status``:
        ``over budget``, ``within budget`` or ``no budget``.

    Examples
    --------
    >>> e = pd.DataFrame({"site": ["a", "b"], "month": ["2026-10"] * 2,
    ...                   "items_handled": [1000, 500], "cost": [240.0, 300.0]})
    >>> t = pd.DataFrame({"metric": ["cost_per_item"] * 2, "scope": ["org", "site"],
    ...                   "scope_value": ["", "a"], "month": ["2026-10"] * 2,
    ...                   "target": [0.3, 0.25], "direction": ["lower_is_better"] * 2})
    >>> budget_against_targets(e, t)[["scope_value", "budget", "variance", "status"]
    ...                              ].values.tolist()
    [['', 450.0, 90.0, 'over budget'], ['a', 250.0, -10.0, 'within budget'], ['b', nan, nan, 'no budget']]
    """
    org = economics.groupby("month", as_index=False)[["items_handled", "cost"]].sum()
    parts = [budget_variance(org, budget_from_targets(org, targets))
             .assign(scope="org", scope_value=""),
             budget_variance(economics, budget_from_targets(economics, targets))
             .rename(columns={"site": "scope_value"}).assign(scope="site")]
    out = pd.concat(parts, ignore_index=True)
    out["status"] = np.where(out["budget"].isna(), "no budget",
                             np.where(out["variance"] > 0, "over budget", "within budget"))
    rest = [c for c in out.columns if c not in ("scope", "scope_value")]
    return out[["scope", "scope_value", *rest]]


def budget_variance(economics: pd.DataFrame, budget: pd.DataFrame) -> pd.DataFrame:
    """Actual cost vs budget, with the variance split into volume and rate parts (pure).

    ``variance = cost - budget = volume_variance + rate_variance``, with
    ``volume_variance = (items - budget_items) x budget cost per item`` and
    ``rate_variance = (cost per item - budget cost per item) x items``.

    Parameters
    ----------
    economics : DataFrame
        Group columns, ``items_handled`` and ``cost``.
    budget : DataFrame
        Group columns (a subset of the economics ones), ``budget`` and optionally
        ``budget_items`` (default: actual items, a flexible budget: no volume variance)
        and ``budget_basis``.

    Returns
    -------
    DataFrame
        Group columns, ``items_handled, cost, budget, variance, variance_pct`` (of
        budget; positive = over budget), ``budget_items, budget_cost_per_item,
        volume_variance, rate_variance, budget_basis``.

    Examples
    --------
    >>> e = pd.DataFrame({"month": ["2026-10"], "items_handled": [1100], "cost": [660.0]})
    >>> b = pd.DataFrame({"month": ["2026-10"], "budget": [500.0], "budget_items": [1000]})
    >>> v = budget_variance(e, b)
    >>> v[["variance", "volume_variance", "rate_variance"]].round(6).values.tolist()
    [[160.0, 50.0, 110.0]]
    """
    keys = [c for c in budget.columns if c not in ("budget", "budget_items", "budget_basis")]
    b = budget.copy()
    if "budget_basis" not in b.columns:
        b["budget_basis"] = "budget"
    out = economics[keys + ["items_handled", "cost"]].merge(b, on=keys, how="left",
                                                            validate="one_to_one")
    if "budget_items" not in budget.columns:
        out["budget_items"] = out["items_handled"]
    items = out["items_handled"].to_numpy(dtype=float)
    bcpi = _ratio(out["budget"], out["budget_items"])
    out["variance"] = out["cost"] - out["budget"]
    out["variance_pct"] = 100.0 * _ratio(out["variance"], out["budget"])
    out["budget_cost_per_item"] = bcpi
    out["volume_variance"] = (items - out["budget_items"].to_numpy(dtype=float)) * bcpi
    out["rate_variance"] = (_ratio(out["cost"], items) - bcpi) * items
    return out[[*keys, "items_handled", "cost", "budget", "variance", "variance_pct",
                "budget_items", "budget_cost_per_item", "volume_variance", "rate_variance",
                "budget_basis"]]


def decompose_cost_change(before: pd.DataFrame, after: pd.DataFrame,
                          by: str | Sequence[str] = "site") -> pd.DataFrame:
    """Split a cost change into volume, mix and unit-cost effects (additive LMDI-I).

    ``cost = Q x sum_i s_i u_i`` with ``Q`` the total items, ``s_i`` segment ``i``'s share
    of items and ``u_i`` its cost per item. The three effects add up exactly to
    ``cost_after - cost_before`` (:func:`qa_insights.stats.lmdi.lmdi_additive`, exact zero
    limits: a new segment's whole cost is mix, a vanished one's likewise).

    Parameters
    ----------
    before, after : DataFrame
        One row per segment: ``by`` columns, ``items_handled``, ``cost``.
    by : str or sequence of str
        Segment columns.

    Returns
    -------
    DataFrame
        One row per segment (largest absolute total first): ``by``, ``volume_effect,
        mix_effect, unit_cost_effect, total_effect`` (currency), the same as ``*_pts``
        (percentage points of the total cost before), ``items_before, items_after,
        cost_before, cost_after, share_before, share_after, unit_cost_before,
        unit_cost_after``. ``attrs["overall"]``: ``cost_before, cost_after, change,
        change_pct, volume_effect, mix_effect, unit_cost_effect``, their ``*_pts`` and
        ``total_pts``, and the multiplicative indices ``d_volume, d_mix, d_unit_cost``
        (product = cost_after / cost_before).

    Raises
    ------
    ValueError
        A segment with cost but no items, or no items at all in a period.

    Examples
    --------
    See the module docstring.
    """
    by = [by] if isinstance(by, str) else list(by)
    seg = align_periods(before, after, by, ["items_handled", "cost"])
    factors = {}
    totals = {}
    for p in ("before", "after"):
        q, c = seg[f"items_handled_{p}"].to_numpy(float), seg[f"cost_{p}"].to_numpy(float)
        if np.any((q == 0) & (c > 0)):
            bad = seg.loc[(q == 0) & (c > 0), by].iloc[0].tolist()
            raise ValueError(f"{p}: segment {bad} has cost but no items; cost per item is "
                             "undefined")
        if q.sum() <= 0:
            raise ValueError(f"{p}: no items handled in any segment")
        totals[p] = (q.sum(), c.sum())
        share, unit = q / q.sum(), _ratio(c, q)
        factors[p] = np.column_stack([np.full(len(q), q.sum()), share, unit])
        seg[f"share_{p}"], seg[f"unit_cost_{p}"] = share, unit
    z = lmdi_additive(factors["before"], factors["after"])
    base = totals["before"][1]
    out = seg[by].copy()
    for k, name in enumerate(COST_FACTORS):
        out[f"{name}_effect"] = z[:, k]
    out["total_effect"] = z.sum(axis=1)
    for name in (*COST_FACTORS, "total"):
        out[f"{name}_pts"] = 100.0 * out[f"{name}_effect"] / base if base > 0 else np.nan
    out = out.assign(items_before=seg["items_handled_before"],
                     items_after=seg["items_handled_after"],
                     cost_before=seg["cost_before"], cost_after=seg["cost_after"],
                     share_before=seg["share_before"], share_after=seg["share_after"],
                     unit_cost_before=seg["unit_cost_before"],
                     unit_cost_after=seg["unit_cost_after"])
    out = out.iloc[np.argsort(-np.abs(out["total_effect"].to_numpy()), kind="stable")]
    out = out.reset_index(drop=True)
    d = lmdi_multiplicative(factors["before"], factors["after"])
    change = totals["after"][1] - base
    overall = {"cost_before": float(base), "cost_after": float(totals["after"][1]),
               "change": float(change),
               "change_pct": float(100.0 * change / base) if base > 0 else np.nan}
    for k, name in enumerate(COST_FACTORS):
        overall[f"{name}_effect"] = float(z[:, k].sum())
    for name in COST_FACTORS:
        overall[f"{name}_pts"] = float(100.0 * overall[f"{name}_effect"] / base) \
            if base > 0 else np.nan
    overall["total_pts"] = overall["change_pct"]
    overall.update({f"d_{name}": float(d[k]) for k, name in enumerate(COST_FACTORS)})
    out.attrs["overall"] = overall
    return out


def cost_change(store: Store, month: str, compare_to: str = "previous_month", *,
                by: str | Sequence[str] = "site") -> pd.DataFrame:
    """Cost change between two months, decomposed (see :func:`decompose_cost_change`).

    Parameters
    ----------
    store : Store
        Open store (table ``volumes``).
    month : str
        The month to explain.
    compare_to : str
        ``"previous_month"``, ``"same_month_last_year"`` or a month ``'YYYY-MM'``.
    by : str or sequence of str
        Segments: ``site`` and / or ``queue``.

    Returns
    -------
    DataFrame
        As :func:`decompose_cost_change`; ``attrs["overall"]`` also holds ``month`` and
        ``compare_month``.

    Examples
    --------
    >>> cost_change(store, "2026-10").attrs["overall"]["mix_pts"]       # doctest: +SKIP
    """
    by = check_dimensions(by, {"site": "site", "queue": "queue"})
    base = comparison_month(month, compare_to)
    frames = [volume_totals(store, by, m) for m in (base, month)]
    out = decompose_cost_change(frames[0], frames[1], by)
    out.attrs["overall"].update(month=month, compare_month=base)
    return out


def cost_change_table(decomposition: pd.DataFrame) -> pd.DataFrame:
    """Waterfall rows of a cost decomposition: before, volume, mix, unit cost, after.

    Returns
    -------
    DataFrame
        ``component`` (``"cost before"``, ``"volume"``, ``"mix"``, ``"unit cost"``,
        ``"cost after"``), ``amount`` (currency), ``pts`` (percentage points of the cost
        before; 100 for "cost before").

    Examples
    --------
    >>> b = pd.DataFrame({"site": ["a"], "items_handled": [100], "cost": [50.0]})
    >>> a = pd.DataFrame({"site": ["a"], "items_handled": [110], "cost": [55.0]})
    >>> cost_change_table(decompose_cost_change(b, a)).round(2).values.tolist()
    [['cost before', 50.0, 100.0], ['volume', 5.0, 10.0], ['mix', 0.0, 0.0], ['unit cost', 0.0, 0.0], ['cost after', 55.0, 110.0]]
    """
    o = decomposition.attrs["overall"]
    base = o["cost_before"]
    rows = [("cost before", base), ("volume", o["volume_effect"]), ("mix", o["mix_effect"]),
            ("unit cost", o["unit_cost_effect"]), ("cost after", o["cost_after"])]
    return pd.DataFrame({"component": [r[0] for r in rows],
                         "amount": [float(r[1]) for r in rows],
                         "pts": [100.0 * r[1] / base if base > 0 else np.nan for r in rows]})


def cost_quality_tradeoff(economics: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """Cost per correct decision beside raw unit cost, per site and month (pure).

    A site is ``cheaper_but_worse`` when its cost per item is below the month's overall
    cost per item and its error rate is significantly higher than the rest of the
    organisation's (:func:`qa_insights.stats.proportions.compare_proportions`, z or Fisher),
    Holm-adjusted across the month's sites (one test per site: ``n_tests`` comparisons).

    Parameters
    ----------
    economics : DataFrame
        :func:`unit_economics` by ``site`` and ``month`` (needs ``site, month,
        items_handled, cost, n_audits, n_errors`` and the ratio columns).
    alpha : float
        Significance level of the comparison with the rest of the organisation.

    Returns
    -------
    DataFrame
        ``site, month, cost_per_item, cost_per_correct_decision, accuracy,
        accuracy_ci_low, accuracy_ci_high, error_premium`` (cost per correct decision
        minus cost per item: what errors add to each good decision), ``cost_rank,
        cost_per_correct_decision_rank`` (1 = cheapest), ``org_cost_per_item,
        rest_error_rate, p_value, p_adjusted`` (Holm), ``n_tests, cheaper_but_worse``.

    Examples
    --------
    >>> e = pd.DataFrame({"site": ["in", "bpo"], "month": "2026-10",
    ...     "items_handled": [1000, 1000], "cost": [900.0, 250.0], "n_audits": [400, 400],
    ...     "n_errors": [8, 40]})
    >>> t = cost_quality_tradeoff(economics_ratios(e.assign(productive_hours=1.0,
    ...     headcount=1.0, n_critical=0, n_handle_time=0, handle_time_total_s=0.0)))
    >>> t[["site", "cheaper_but_worse"]].values.tolist()
    [['bpo', True], ['in', False]]
    """
    frames = []
    for _, g in economics.groupby("month", sort=True):
        g = g.copy()
        org_cpi = g["cost"].sum() / g["items_handled"].sum()
        n_tot, e_tot = as_int(g["n_audits"].sum()), as_int(g["n_errors"].sum())
        rest: list[float] = []
        pvals: list[float] = []
        higher: list[bool] = []
        for r in g.itertuples(index=False):
            n_audits, n_errors = as_int(r.n_audits), as_int(r.n_errors)
            n_rest, e_rest = n_tot - n_audits, e_tot - n_errors
            cmp = compare_proportions(n_errors, n_audits, e_rest, n_rest, alpha=alpha)
            rest.append(e_rest / n_rest if n_rest > 0 else np.nan)
            pvals.append(cmp.p_value)
            higher.append(bool(cmp.difference > 0))
        adjusted = adjust_p_values(pvals, "holm")
        worse = (adjusted < alpha) & np.array(higher, dtype=bool)
        g["error_premium"] = g["cost_per_correct_decision"] - g["cost_per_item"]
        g["cost_rank"] = g["cost_per_item"].rank(method="min").astype("Int64")
        g["cost_per_correct_decision_rank"] = (g["cost_per_correct_decision"]
                                               .rank(method="min").astype("Int64"))
        g["org_cost_per_item"] = org_cpi
        g["rest_error_rate"] = rest
        g["p_value"] = pvals
        g["p_adjusted"] = adjusted
        g["n_tests"] = int(np.isfinite(np.asarray(pvals, dtype=float)).sum())
        g["cheaper_but_worse"] = (g["cost_per_item"] < org_cpi).to_numpy() & worse
        frames.append(g.sort_values("cost_per_item"))
    cols = ["site", "month", "cost_per_item", "cost_per_correct_decision", "accuracy",
            "accuracy_ci_low", "accuracy_ci_high", "error_premium", "cost_rank",
            "cost_per_correct_decision_rank", "org_cost_per_item", "rest_error_rate",
            "p_value", "p_adjusted", "n_tests", "cheaper_but_worse"]
    if not frames:
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True)[cols]


def cost_tradeoff(store: Store, months: str | Sequence[str] | None = None, *,
                  alpha: float = 0.05) -> pd.DataFrame:
    """:func:`cost_quality_tradeoff` on the store's sites for ``months``.

    Examples
    --------
    >>> cost_tradeoff(store, "2026-10")                                 # doctest: +SKIP
    """
    return cost_quality_tradeoff(unit_economics(store, ["site", "month"], months,
                                                percentiles=()), alpha=alpha)
