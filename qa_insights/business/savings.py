"""The savings register: realised saving of each initiative against a counterfactual.

Each row of the optional ``savings`` table (initiative, scope, scope_value, start_month,
planned_monthly_saving, currency) names where a saving should show. Its counterfactual
is what the scope would have cost without it: the scope's cost per item before the start
(mean of up to ``baseline_months`` months) times the items handled after. The realised
saving of a month is ``counterfactual - actual cost``; the register reports the mean
realised saving per month since the start.

Interval: month-to-month variation of the scope's cost per item, ``sigma``, pooled from
the months before (around their mean) and after (around theirs), with ``k`` months before
and ``m`` after, items ``V_t`` after and ``V = sum V_t / m``:
``Var(mean saving) = sigma^2 (V^2 / k + sum V_t^2 / m^2)``, Student's t with ``k + m - 2``
degrees of freedom. An initiative is **behind** when the upper bound of its one-sided
interval (level ``1 - alpha / G``, Bonferroni across the ``G`` initiatives assessed) is
below the planned saving, so the chance of calling any initiative behind when all deliver
their plan stays below ``alpha``; **ahead** likewise when the lower bound is above the
plan; **on track** otherwise; **too early** with fewer than ``min_months`` months on
either side.

Examples
--------
>>> monthly = pd.DataFrame({"month": ["2026-01", "2026-02", "2026-03", "2026-04"],
...                         "items_handled": [100, 100, 100, 100],
...                         "cost": [100.0, 102.0, 90.0, 92.0]})
>>> r = realised_saving(monthly, "2026-03", 5.0, min_months=2)
>>> float(r["counterfactual"]), float(r["actual"]), float(r["realised"])
(202.0, 182.0, 10.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from qa_insights.business.projects import one_currency, records
from qa_insights.business.vendors import site_vendor, site_vendors

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = ["SAVINGS_COLUMNS", "realised_saving", "savings_register", "scope_monthly",
           "store_savings"]

#: Columns of :func:`savings_register`.
SAVINGS_COLUMNS: list[str] = ["initiative", "scope", "scope_value", "start_month",
                              "months_after", "planned", "realised", "realised_low",
                              "realised_high", "realised_pct_of_plan", "counterfactual",
                              "actual", "status", "currency"]


def realised_saving(monthly: pd.DataFrame, start_month: str, planned: float, *,
                    month: str | None = None, baseline_months: int = 6, min_months: int = 3,
                    level: float = 0.95) -> dict[str, Any]:
    """Realised monthly saving of one scope since ``start_month`` (pure).

    Parameters
    ----------
    monthly : DataFrame
        ``month, items_handled, cost`` of the scope, one row per month.
    start_month : str
        First month of the saving.
    planned : float
        Planned saving per month.
    month : str, optional
        Last month counted (default: the last of ``monthly``).
    baseline_months : int
        Months before the start that give the cost per item before.
    min_months : int
        Fewer months before or after: ``too early``.
    level : float
        One-sided level of each bound (the caller Bonferroni-adjusts).

    Returns
    -------
    dict
        ``months_after, counterfactual, actual`` (sums over the months after),
        ``realised, realised_low, realised_high`` (mean per month and its bounds) and
        ``status``.
    """
    months = monthly["month"].to_numpy(dtype=str)
    items = monthly["items_handled"].to_numpy(dtype=float)
    cost = monthly["cost"].to_numpy(dtype=float)
    order = np.argsort(months, kind="stable")
    months, items, cost = months[order], items[order], cost[order]
    keep = (items > 0) & ((months <= month) if month is not None else True)
    months, items, cost = months[keep], items[keep], cost[keep]
    is_before = months < start_month
    before_items = items[is_before][-baseline_months:]
    before_cost = cost[is_before][-baseline_months:]
    v, after_cost = items[~is_before], cost[~is_before]
    k, m = before_items.size, v.size
    out: dict[str, Any] = {"months_after": m, "counterfactual": np.nan, "actual": np.nan,
                           "realised": np.nan, "realised_low": np.nan,
                           "realised_high": np.nan, "status": "too early"}
    if k == 0 or m == 0:
        return out
    cpi_before = before_cost / before_items
    cpi_after = after_cost / v
    base = float(cpi_before.mean())
    counterfactual = base * v
    realised = float((counterfactual - after_cost).mean())
    out.update(counterfactual=float(counterfactual.sum()), actual=float(after_cost.sum()),
               realised=realised)
    if k < min_months or m < min_months:
        return out
    df = k + m - 2
    sigma2 = (((cpi_before - base) ** 2).sum() + ((cpi_after - cpi_after.mean()) ** 2).sum()) / df
    se = float(np.sqrt(sigma2 * (v.mean() ** 2 / k + (v ** 2).sum() / m ** 2)))
    t = float(stats.t.ppf(level, df))
    low, high = realised - t * se, realised + t * se
    out.update(realised_low=low, realised_high=high,
               status="behind" if high < planned else "ahead" if low > planned else "on track")
    return out


def savings_register(register: pd.DataFrame, monthly: Mapping[tuple[str, str], pd.DataFrame],
                     month: str, *, alpha: float = 0.05, baseline_months: int = 6,
                     min_months: int = 3) -> pd.DataFrame:
    """Every initiative of ``register`` with its realised saving up to ``month`` (pure).

    Parameters
    ----------
    register : DataFrame
        ``savings`` rows.
    monthly : mapping
        ``(scope, scope_value)`` -> ``month, items_handled, cost`` of that scope (``""``
        as the value of ``org``).
    month : str
        Reporting month; initiatives starting later are left out.
    alpha : float
        Family-wise error rate of the ``behind``/``ahead`` calls (Bonferroni across the
        initiatives assessed).

    Returns
    -------
    DataFrame
        :data:`SAVINGS_COLUMNS`.
    """
    cur = one_currency(register, where="savings")
    reg = register[register["start_month"] <= month]
    level = 1 - alpha / max(len(reg), 1)
    empty = pd.DataFrame(columns=["month", "items_handled", "cost"])
    rows = []
    for r in records(reg):
        value = "" if pd.isna(r["scope_value"]) else str(r["scope_value"])
        planned = float(r["planned_monthly_saving"])
        res = realised_saving(monthly.get((str(r["scope"]), value), empty),
                              str(r["start_month"]), planned, month=month,
                              baseline_months=baseline_months, min_months=min_months,
                              level=level)
        pct = 100 * res["realised"] / planned if planned > 0 else np.nan
        rows.append([r["initiative"], r["scope"], value, r["start_month"], res["months_after"],
                     planned,
                     res["realised"], res["realised_low"], res["realised_high"], pct,
                     res["counterfactual"], res["actual"], res["status"], cur])
    return pd.DataFrame(rows, columns=SAVINGS_COLUMNS)


def scope_monthly(store: Store, scope: str, value: str, *,
                  vendors: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``month, items_handled, cost`` of one org / site / queue / vendor scope, all months.

    Examples
    --------
    >>> scope_monthly(store, "site", "inhouse_dublin").columns.tolist()  # doctest: +SKIP
    ['month', 'items_handled', 'cost']
    """
    v = store.query("SELECT month, site, queue, items_handled, cost FROM volumes")
    if scope == "site":
        v = v[v["site"] == value]
    elif scope == "queue":
        v = v[v["queue"] == value]
    elif scope == "vendor":
        mapping = dict(site_vendors(store) if vendors is None else vendors)
        v = v[[mapping.get(s, site_vendor(s)) == value for s in v["site"]]]
    return v.groupby("month", as_index=False)[["items_handled", "cost"]].sum()


def store_savings(store: Store, month: str, *, alpha: float = 0.05,
                  vendors: Mapping[str, str] | None = None) -> pd.DataFrame | None:
    """:func:`savings_register` from the store, or None without a ``savings`` table.

    Raises
    ------
    ValueError
        The register and the volumes' cost in different currencies.

    Examples
    --------
    >>> store_savings(store, "2026-10")                                 # doctest: +SKIP
    """
    if not store.table_present("savings"):
        return None
    register = store.query("SELECT * FROM savings ORDER BY start_month, initiative")
    one_currency(register, store.query("SELECT DISTINCT currency FROM volumes"),
                 where="savings and volumes")
    scopes = {(str(s), "" if pd.isna(v) else str(v))
              for s, v in zip(register["scope"], register["scope_value"], strict=True)}
    monthly = {key: scope_monthly(store, *key, vendors=vendors) for key in scopes}
    return savings_register(register, monthly, month, alpha=alpha)
