"""Budget against actual cost per scope, from the optional ``budgets`` table.

Each ``budgets`` row (month, scope, scope_value, amount, currency) is compared with the
month's actual cost of that scope, summed from ``volumes``: the whole organisation
(``org``), a ``site``, a ``queue`` or a ``vendor`` (sites mapped to vendors as in
:mod:`qa_insights.business.vendors`). ``variance = actual - budget`` (positive: over
budget) and ``variance_pct = 100 x variance / budget``. Cost is an accounting total, so
there is no sampling interval: a scope is ``over budget`` when its actual exceeds the
budget, ``within budget`` otherwise, and ``no actual`` when ``volumes`` has no cost for it.

Examples
--------
>>> b = pd.DataFrame({"month": ["2026-10"], "scope": ["org"], "scope_value": [""],
...                   "amount": [1000.0], "currency": ["USD"]})
>>> a = pd.DataFrame({"scope": ["org"], "scope_value": [""], "actual": [1100.0],
...                   "currency": ["USD"]})
>>> budget_against_actual(b, a)[["variance", "variance_pct", "status"]].values.tolist()
[[100.0, 10.0, 'over budget']]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qa_insights.business.actuals import one_currency, volume_totals
from qa_insights.business.vendors import site_vendor, site_vendors

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = ["BUDGET_COLUMNS", "actual_cost_by_scope", "budget_against_actual",
           "budget_vs_actual", "store_budgets"]

#: Columns of :func:`budget_vs_actual` (``tables/mbr_budget_vs_actual.csv``).
BUDGET_COLUMNS: list[str] = ["month", "scope", "scope_value", "budget", "actual", "variance",
                             "variance_pct", "status", "currency"]


def budget_against_actual(budgets: pd.DataFrame, actuals: pd.DataFrame) -> pd.DataFrame:
    """Budget rows beside the actual cost of their scope (pure).

    Parameters
    ----------
    budgets : DataFrame
        ``budgets`` rows of one month (``month, scope, scope_value, amount, currency``).
    actuals : DataFrame
        ``scope, scope_value, actual, currency`` (see :func:`actual_cost_by_scope`).

    Returns
    -------
    DataFrame
        :data:`BUDGET_COLUMNS`, one row per budget row, in the budgets' order.

    Raises
    ------
    ValueError
        A budget in another currency than the actual cost.
    """
    b = budgets.assign(scope_value=budgets["scope_value"].fillna("").astype(str))
    a = actuals.rename(columns={"currency": "actual_currency"})
    out = b.merge(a, on=["scope", "scope_value"], how="left")
    clash = out[out["actual_currency"].notna() & (out["actual_currency"] != out["currency"])]
    if len(clash):
        r = clash.iloc[0]
        raise ValueError(f"budgets: {r.scope} {r.scope_value!r} of {r.month} is in "
                         f"{r.currency}, the volumes' cost in {r.actual_currency}; "
                         "expected one currency")
    out = out.rename(columns={"amount": "budget"})
    out["variance"] = out["actual"] - out["budget"]
    budget = out["budget"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["variance_pct"] = np.where(budget > 0, 100.0 * out["variance"] / budget, np.nan)
    out["status"] = np.where(out["actual"].isna(), "no actual",
                             np.where(out["variance"] > 0, "over budget", "within budget"))
    return out[BUDGET_COLUMNS].reset_index(drop=True)


def actual_cost_by_scope(store: Store, month: str, *,
                         vendors: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The month's cost from ``volumes`` for every org / site / queue / vendor scope.

    Returns
    -------
    DataFrame
        ``scope, scope_value, actual, currency``.

    Examples
    --------
    >>> actual_cost_by_scope(store, "2026-10").scope.unique().tolist()  # doctest: +SKIP
    ['org', 'site', 'queue', 'vendor']
    """
    mapping = dict(site_vendors(store) if vendors is None else vendors)
    sites, queues = (volume_totals(store, [d], month) for d in ("site", "queue"))
    currency = sites["currency"].dropna()
    cur = str(currency.iloc[0]) if len(currency) else ""
    by_vendor = sites.assign(vendor=[mapping.get(s, site_vendor(s)) for s in sites["site"]])\
        .groupby("vendor", as_index=False)["cost"].sum()
    frames = [pd.DataFrame({"scope": ["org"], "scope_value": [""],
                            "actual": [float(sites["cost"].sum())]}) if len(sites) else None,
              pd.DataFrame({"scope": "site", "scope_value": sites["site"],
                            "actual": sites["cost"]}),
              pd.DataFrame({"scope": "queue", "scope_value": queues["queue"],
                            "actual": queues["cost"]}),
              pd.DataFrame({"scope": "vendor", "scope_value": by_vendor["vendor"],
                            "actual": by_vendor["cost"]})]
    out = pd.concat([f for f in frames if f is not None and len(f)], ignore_index=True) \
        if len(sites) else pd.DataFrame(columns=["scope", "scope_value", "actual"])
    return out.assign(currency=cur, actual=out["actual"].astype(float))


def store_budgets(store: Store, month: str) -> pd.DataFrame | None:
    """The month's ``budgets`` rows, or None when the data has no ``budgets`` table.

    Examples
    --------
    >>> store_budgets(store, "2026-10") is None                         # doctest: +SKIP
    True
    """
    if not store.table_present("budgets"):
        return None
    return store.query("SELECT month, scope, scope_value, amount, currency FROM budgets "
                       "WHERE month = ? ORDER BY scope, scope_value", [month])


def budget_vs_actual(store: Store, month: str, *,
                     vendors: Mapping[str, str] | None = None) -> pd.DataFrame | None:
    """Budget against actual cost for the month's ``budgets`` rows (None without the table).

    Examples
    --------
    >>> budget_vs_actual(store, "2026-10")                              # doctest: +SKIP
    """
    budgets = store_budgets(store, month)
    if budgets is None:
        return None
    one_currency(budgets["currency"], "budgets")
    return budget_against_actual(budgets, actual_cost_by_scope(store, month, vendors=vendors))
