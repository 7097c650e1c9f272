"""Vendor scorecard: quality, speed and cost of each BPO vendor beside the in-house sites.

One row per vendor and one for in-house (the baseline), side by side:

* quality: accuracy and critical-error rate with their Wilson intervals;
* speed: mean handle time of the audited decisions and items per productive hour;
* cost: cost per item, cost per correct decision (with the interval implied by the
  accuracy's) and the cost of errors (see :func:`qa_insights.business.costs.economics_ratios`);
* each against the month's org target (:func:`qa_insights.business.targets.attainment_status`:
  met / at risk / missed, decided with the interval where the value has one);
* each against the in-house baseline: percentage differences for speed and cost, and for
  accuracy and critical-error rate the difference in points with its Newcombe interval and
  the test of :func:`qa_insights.stats.proportions.compare_proportions` (pooled
  two-proportion z, Fisher's exact test at small expected counts). The p-values are
  Holm-adjusted across the vendors (:func:`qa_insights.stats.differences.adjust_p_values`),
  so the chance of calling any vendor different when none is stays below ``alpha``;
* the trade-off in one sentence per vendor, e.g. "alpha is 40% cheaper per item and
  2.1 pts less accurate than in-house (significant: two-proportion z test, Holm-adjusted
  p < 0.001); its extra errors cost about USD 1,234 (95% interval USD 800 to 1,700)".

The extra errors of a vendor are ``items x (error rate - in-house error rate)``; each costs
the vendor's cost per item plus ``rework_cost_per_error`` (as ``cost_of_errors``), and
the interval comes from the Newcombe interval of the error-rate difference.

Which vendor a site belongs to: until the data has a ``sites`` reference table,
:func:`site_vendor` derives it from the audits' ``site_type`` and the site's name (the
naming rule ``bpo_<vendor>_<city>``); :func:`vendor_scorecard` takes any other
site -> vendor mapping through ``vendors=``, so a sites table can replace the rule.

Examples
--------
>>> site_vendor("bpo_alpha_manila", "bpo"), site_vendor("inhouse_dublin", "in_house")
('alpha', 'in-house')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from qa_insights.business.costs import economics_ratios, unit_economics
from qa_insights.business.targets import attainment_status, store_targets
from qa_insights.data.scalars import as_float, as_int
from qa_insights.stats.differences import adjust_p_values
from qa_insights.stats.proportions import compare_proportions, wilson_interval

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = [
    "IN_HOUSE",
    "SCORECARD_COLUMNS",
    "TARGET_METRICS",
    "org_targets",
    "scorecard_from_sums",
    "site_vendor",
    "site_vendors",
    "tradeoff_sentence",
    "vendor_scorecard",
]

#: Vendor name of the in-house sites (the baseline row).
IN_HOUSE = "in-house"

#: Scorecard metric -> (target metric in the ``targets`` table, column of the scorecard,
#: interval columns or None).
TARGET_METRICS: dict[str, tuple[str, tuple[str, str] | None]] = {
    "accuracy": ("accuracy", ("accuracy_ci_low", "accuracy_ci_high")),
    "critical_error_rate": ("critical_error_rate",
                            ("critical_error_rate_ci_low", "critical_error_rate_ci_high")),
    "handle_time_s": ("handle_time_mean_s", None),
    "cost_per_item": ("cost_per_item", None),
}

#: Columns of :func:`vendor_scorecard` (``tables/vendor_scorecard.csv``), in order.
SCORECARD_COLUMNS: list[str] = [
    "vendor", "sites", "items_handled", "cost", "currency", "n_audits", "n_errors",
    "accuracy", "accuracy_ci_low", "accuracy_ci_high", "n_critical", "critical_error_rate",
    "critical_error_rate_ci_low", "critical_error_rate_ci_high", "handle_time_mean_s",
    "throughput_per_hour", "cost_per_item", "cost_per_correct_decision",
    "cost_per_correct_decision_low", "cost_per_correct_decision_high", "cost_of_errors",
    "cost_of_errors_low", "cost_of_errors_high",
    *[f"{m}_{k}" for m in TARGET_METRICS for k in ("target", "status")],
    "accuracy_diff_pts", "accuracy_diff_ci_low_pts", "accuracy_diff_ci_high_pts",
    "accuracy_test", "accuracy_p_value", "accuracy_p_holm", "accuracy_significant",
    "critical_diff_pts", "critical_test", "critical_p_value", "critical_p_holm",
    "critical_significant", "cost_per_item_vs_in_house_pct",
    "cost_per_correct_decision_vs_in_house_pct", "handle_time_vs_in_house_pct",
    "throughput_vs_in_house_pct", "extra_errors", "extra_errors_cost",
    "extra_errors_cost_low", "extra_errors_cost_high", "tradeoff",
]

_BPO_NAME = re.compile(r"bpo_([A-Za-z0-9]+)_.+")


def site_vendor(site: str, site_type: str | None = None) -> str:
    """The vendor of a site, from its type and name (the rule for a site the ``sites``
    table does not list, or data without one).

    * ``site_type == "in_house"``: :data:`IN_HOUSE`;
    * a site named ``bpo_<vendor>_<city>``: ``<vendor>``;
    * any other ``bpo`` site: the site itself (a vendor of one site);
    * unknown type (a site only in ``volumes``) not named ``bpo_...``: :data:`IN_HOUSE`.

    Examples
    --------
    >>> site_vendor("bpo_beta_cebu", "bpo"), site_vendor("acme_lagos", "bpo")
    ('beta', 'acme_lagos')
    >>> site_vendor("bpo_gamma_hyderabad"), site_vendor("inhouse_austin")
    ('gamma', 'in-house')
    """
    if site_type == "in_house":
        return IN_HOUSE
    match = _BPO_NAME.fullmatch(site)
    if match:
        return match.group(1)
    return site if site_type == "bpo" else IN_HOUSE


def site_vendors(store: Store) -> dict[str, str]:
    """Site -> vendor for every site of the store's ``audits`` and ``volumes``: the
    ``vendor`` of the ``sites`` reference table where it names one, else by
    :func:`site_vendor`.

    Raises
    ------
    ValueError
        A site recorded with both site types in ``audits``.

    Examples
    --------
    >>> site_vendors(store)["bpo_alpha_manila"]                         # doctest: +SKIP
    'alpha'
    """
    types = store.query("SELECT DISTINCT site, site_type FROM audits ORDER BY site, site_type")
    twice = types["site"][types["site"].duplicated()]
    if len(twice):
        raise ValueError(f"audits: site {twice.iloc[0]!r} has more than one site_type; "
                         "expected one of in_house / bpo per site")
    known = dict(zip(types["site"], types["site_type"], strict=True))
    sites = store.query("SELECT DISTINCT site FROM volumes ORDER BY site")["site"]
    listed = _listed_vendors(store)
    return {s: listed.get(s) or site_vendor(s, known.get(s)) for s in sorted({*known, *sites})}


def _listed_vendors(store: Store) -> dict[str, str]:
    """Site -> vendor from the ``sites`` reference table, where it has one (empty without
    a sites table or its ``vendor`` column)."""
    if not store.table_present("sites"):
        return {}
    if "vendor" not in store.query("SELECT * FROM sites LIMIT 0").columns:
        return {}
    rows = store.query("SELECT site, vendor FROM sites WHERE vendor IS NOT NULL")
    return dict(zip(rows["site"].astype(str), rows["vendor"].astype(str), strict=True))


def org_targets(targets: pd.DataFrame, month: str) -> dict[str, tuple[float, str]]:
    """The month's org-level targets: metric -> (target, direction).

    Examples
    --------
    >>> t = pd.DataFrame({"metric": ["accuracy"], "scope": ["org"], "scope_value": [""],
    ...                   "month": ["2026-10"], "target": [0.95],
    ...                   "direction": ["higher_is_better"]})
    >>> org_targets(t, "2026-10")
    {'accuracy': (0.95, 'higher_is_better')}
    """
    rows = targets[(targets["scope"] == "org") & (targets["month"] == month)]
    return {str(r.metric): (as_float(r.target), str(r.direction)) for r in rows.itertuples()}


def _pct(value: float, base: float) -> float:
    return 100.0 * (value / base - 1.0) if base > 0 and np.isfinite(value) else np.nan


def _money(currency: str, value: float) -> str:
    return f"{currency} {value:,.0f}".strip()


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def tradeoff_sentence(row: Mapping[str, Any], alpha: float = 0.05) -> str:
    """The vendor's trade-off against in-house in one sentence (a scorecard row).

    Examples
    --------
    >>> tradeoff_sentence({"vendor": "alpha", "cost_per_item_vs_in_house_pct": -40.0,
    ...     "accuracy_diff_pts": -2.1, "accuracy_test": "two-proportion z",
    ...     "accuracy_p_holm": 0.0004, "extra_errors": 120.0, "extra_errors_cost": 1234.0,
    ...     "extra_errors_cost_low": 800.0, "extra_errors_cost_high": 1700.0,
    ...     "currency": "USD"})
    'alpha is 40% cheaper per item and 2.1 pts less accurate than in-house (significant: two-proportion z test, Holm-adjusted p < 0.001); its extra errors cost about USD 1,234 (95% interval USD 800 to USD 1,700).'
    """
    vendor = str(row["vendor"])
    if vendor == IN_HOUSE:
        return "in-house: the baseline."
    cost_pct, diff = float(row["cost_per_item_vs_in_house_pct"]), float(row["accuracy_diff_pts"])
    if not np.isfinite(diff):
        return f"{vendor}: no in-house baseline or no audits to compare with."
    cost = ("costs the same per item" if not np.isfinite(cost_pct) or round(cost_pct) == 0
            else f"is {abs(cost_pct):.0f}% {'cheaper' if cost_pct < 0 else 'dearer'} per item")
    quality = ("as accurate" if round(diff, 1) == 0
               else f"{abs(diff):.1f} pts {'less' if diff < 0 else 'more'} accurate")
    p = float(row["accuracy_p_holm"])
    verdict = "significant" if p < alpha else "not significant"
    text = (f"{vendor} {cost} and {quality} than in-house ({verdict}: {row['accuracy_test']} "
            f"test, Holm-adjusted {_p_text(p)})")
    if float(row["extra_errors"]) > 0:
        cur = str(row["currency"])
        text += (f"; its extra errors cost about {_money(cur, float(row['extra_errors_cost']))}"
                 f" (95% interval {_money(cur, float(row['extra_errors_cost_low']))} to "
                 f"{_money(cur, float(row['extra_errors_cost_high']))})")
    return text + "."


def _compare(frame: pd.DataFrame, count: str, base: pd.Series | None,
             alpha: float) -> pd.DataFrame:
    """Each vendor's rate of ``count`` against the in-house row; Holm across vendors."""
    rows = []
    for r in frame.itertuples(index=False):
        if base is None or r.vendor == IN_HOUSE:
            rows.append({"diff": np.nan, "low": np.nan, "high": np.nan, "test": "",
                         "p": np.nan})
            continue
        c = compare_proportions(as_int(getattr(r, count)), as_int(r.n_audits),
                                as_int(base[count]), as_int(base["n_audits"]), alpha=alpha)
        rows.append({"diff": c.difference, "low": c.ci_low, "high": c.ci_high,
                     "test": c.test if np.isfinite(c.p_value) else "", "p": c.p_value})
    out = pd.DataFrame(rows, index=frame.index, columns=["diff", "low", "high", "test", "p"])
    out["p_holm"] = adjust_p_values(out["p"].to_numpy(dtype=float), "holm")
    out["significant"] = out["p_holm"] < alpha
    return out


def _against_targets(out: pd.DataFrame, targets: Mapping[str, tuple[float, str]]) -> None:
    for metric, (column, interval) in TARGET_METRICS.items():
        if metric not in targets:
            out[f"{metric}_target"] = np.nan
            out[f"{metric}_status"] = "no target"
            continue
        value, direction = targets[metric]
        low, high = ((out[interval[0]], out[interval[1]]) if interval
                     else (np.full(len(out), np.nan), np.full(len(out), np.nan)))
        out[f"{metric}_target"] = value
        out[f"{metric}_status"] = attainment_status(out[column], low, high, value, direction) \
            if len(out) else []


def scorecard_from_sums(sums: pd.DataFrame, targets: Mapping[str, tuple[float, str]]
                        | None = None, *, rework_cost_per_error: float = 0.0,
                        alpha: float = 0.05, confidence: float = 0.95) -> pd.DataFrame:
    """The vendor scorecard from additive sums per vendor (pure).

    Parameters
    ----------
    sums : DataFrame
        One row per vendor: ``vendor`` (the in-house row named :data:`IN_HOUSE`),
        optionally ``sites``, ``currency``, and the sums of
        :func:`qa_insights.business.costs.economics_ratios` (``items_handled,
        productive_hours, headcount, cost, n_audits, n_errors, n_critical, n_handle_time,
        handle_time_total_s``).
    targets : mapping, optional
        Metric -> (target, direction), e.g. :func:`org_targets`; metrics of
        :data:`TARGET_METRICS` without a target get status ``"no target"``.
    rework_cost_per_error : float
        Extra cost of one wrong decision besides its cost per item.
    alpha : float
        Family-wise significance level of the comparisons with in-house (Holm).
    confidence : float
        Level of the intervals.

    Returns
    -------
    DataFrame
        :data:`SCORECARD_COLUMNS`, in-house first, then vendors by name. Differences
        ``*_diff_pts`` are vendor minus in-house in percentage points; ``*_vs_in_house_pct``
        the relative difference in percent; all NaN without an in-house row.

    Examples
    --------
    >>> s = pd.DataFrame({"vendor": ["in-house", "alpha"], "items_handled": [1000, 1000],
    ...     "productive_hours": [10.0, 10.0], "headcount": [1.0, 1.0], "cost": [1000.0, 600.0],
    ...     "n_audits": [500, 500], "n_errors": [10, 30], "n_critical": [1, 2],
    ...     "n_handle_time": [0, 0], "handle_time_total_s": [0.0, 0.0], "currency": "USD"})
    >>> card = scorecard_from_sums(s)
    >>> cols = ["cost_per_item_vs_in_house_pct", "accuracy_diff_pts", "extra_errors"]
    >>> card[cols].round(2).values.tolist()[1]
    [-40.0, -4.0, 40.0]
    """
    frame = sums.copy()
    if "sites" not in frame.columns:
        frame["sites"] = ""
    if "currency" not in frame.columns:
        frame["currency"] = ""
    frame["_order"] = (frame["vendor"] != IN_HOUSE).astype(int)
    frame = frame.sort_values(["_order", "vendor"]).drop(columns="_order")
    out = economics_ratios(frame.reset_index(drop=True),
                           rework_cost_per_error=rework_cost_per_error, confidence=confidence)
    n, crit = out["n_audits"].to_numpy(dtype=float), out["n_critical"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["critical_error_rate"] = np.where(n > 0, crit / n, np.nan)
    low, high = wilson_interval(crit, n, confidence) if len(out) else ([], [])
    out["critical_error_rate_ci_low"], out["critical_error_rate_ci_high"] = low, high
    _against_targets(out, targets or {})
    base_rows = out[out["vendor"] == IN_HOUSE]
    base = base_rows.iloc[0] if len(base_rows) and base_rows.iloc[0]["n_audits"] > 0 else None
    acc, cri = _compare(out, "n_errors", base, alpha), _compare(out, "n_critical", base, alpha)
    # Accuracy is 1 - error rate: its difference and interval are those of errors, negated.
    out["accuracy_diff_pts"] = -100.0 * acc["diff"]
    out["accuracy_diff_ci_low_pts"] = -100.0 * acc["high"]
    out["accuracy_diff_ci_high_pts"] = -100.0 * acc["low"]
    out["accuracy_test"], out["accuracy_p_value"] = acc["test"], acc["p"]
    out["accuracy_p_holm"], out["accuracy_significant"] = acc["p_holm"], acc["significant"]
    out["critical_diff_pts"] = 100.0 * cri["diff"]
    out["critical_test"], out["critical_p_value"] = cri["test"], cri["p"]
    out["critical_p_holm"], out["critical_significant"] = cri["p_holm"], cri["significant"]
    b = base if base is not None else pd.Series(np.nan, index=out.columns)
    for col, name in (("cost_per_item", "cost_per_item"),
                      ("cost_per_correct_decision", "cost_per_correct_decision"),
                      ("handle_time_mean_s", "handle_time"),
                      ("throughput_per_hour", "throughput")):
        out[f"{name}_vs_in_house_pct"] = [np.nan if v == IN_HOUSE else _pct(x, float(b[col]))
                                          for v, x in zip(out["vendor"], out[col], strict=True)]
    items = out["items_handled"].to_numpy(dtype=float)
    per_error = out["cost_per_item"].to_numpy(dtype=float) + rework_cost_per_error
    out["extra_errors"] = items * acc["diff"].to_numpy(dtype=float)
    out["extra_errors_cost"] = out["extra_errors"] * per_error
    out["extra_errors_cost_low"] = items * acc["low"].to_numpy(dtype=float) * per_error
    out["extra_errors_cost_high"] = items * acc["high"].to_numpy(dtype=float) * per_error
    records = cast("list[dict[str, Any]]", out.to_dict("records"))  # column names are str
    out["tradeoff"] = [tradeoff_sentence(r, alpha) for r in records]
    return out[SCORECARD_COLUMNS]


def vendor_scorecard(store: Store, month: str, *, vendors: Mapping[str, str] | None = None,
                     targets: pd.DataFrame | None = None, rework_cost_per_error: float = 0.0,
                     alpha: float = 0.05, confidence: float = 0.95) -> pd.DataFrame:
    """The MBR's vendor scorecard for one month (``tables/vendor_scorecard.csv``).

    Parameters
    ----------
    store : Store
        Open store (tables ``audits``, ``volumes`` and ``targets``).
    month : str
        The month, ``'YYYY-MM'``.
    vendors : mapping, optional
        Site -> vendor (in-house sites to :data:`IN_HOUSE`); default :func:`site_vendors`.
    targets : DataFrame, optional
        Contract ``targets`` rows; default the store's. Org targets of the month are used.
    rework_cost_per_error, alpha, confidence
        As :func:`scorecard_from_sums`.

    Returns
    -------
    DataFrame
        :data:`SCORECARD_COLUMNS`; ``sites`` lists each vendor's sites.

    Examples
    --------
    >>> vendor_scorecard(store, "2026-10")[["vendor", "tradeoff"]]      # doctest: +SKIP
    """
    mapping = dict(site_vendors(store) if vendors is None else vendors)
    econ = unit_economics(store, ["site"], month, percentiles=())
    mapping.update({s: site_vendor(s) for s in econ["site"] if s not in mapping})
    econ["vendor"] = econ["site"].map(mapping)
    sums_cols = ["items_handled", "productive_hours", "headcount", "cost", "n_audits",
                 "n_errors", "n_critical", "n_handle_time", "handle_time_total_s"]
    sums = econ.groupby("vendor", as_index=False)[sums_cols].sum()
    sites = econ.groupby("vendor")["site"].agg(lambda s: "; ".join(sorted(s)))
    sums["sites"] = sums["vendor"].map(sites)
    sums["currency"] = econ["currency"].iloc[0] if len(econ) else ""
    table = store_targets(store) if targets is None else targets
    return scorecard_from_sums(sums, org_targets(table, month),
                               rework_cost_per_error=rework_cost_per_error, alpha=alpha,
                               confidence=confidence)
