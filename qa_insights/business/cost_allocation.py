"""Allocate shared costs (QA / audit team, tooling) to sites and queues by a driver.

A shared cost pool of a month is spread over the units (sites, or site x queue) in
proportion to a driver: items handled, productive hours or audits. The allocation table
shows every pool, unit, driver value, share and amount, so a reader can follow each
number; the amounts of a pool add up to the pool.

Shared costs come as a parameter (a frame ``month, pool, cost``) or as org-level rows of
the ``volumes`` table: rows whose ``site`` is one of ``shared_sites`` (e.g. ``"qa_team"``)
are pools named after the site, not units.

Examples
--------
>>> import pandas as pd
>>> units = pd.DataFrame({"month": "2026-10", "site": ["a", "b"], "n_audits": [300, 100]})
>>> shared = pd.DataFrame({"month": ["2026-10"], "pool": ["qa_team"], "cost": [8000.0]})
>>> allocate_shared_costs(units, shared, "n_audits")[["site", "allocated_cost"]].values.tolist()
[['a', 6000.0], ['b', 2000.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qa_insights.business.actuals import months_clause
from qa_insights.business.costs import unit_economics

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = [
    "DRIVERS",
    "UNIT_COLUMNS",
    "allocate_shared_costs",
    "cost_allocation",
    "fully_loaded",
    "shared_costs_from_volumes",
]

#: Columns that identify a unit (besides ``month``), in output order.
UNIT_COLUMNS: tuple[str, ...] = ("site", "vendor", "queue")

#: Allocation drivers -> column of :func:`qa_insights.business.costs.unit_economics`.
DRIVERS: dict[str, str] = {"items": "items_handled", "items_handled": "items_handled",
                           "productive_hours": "productive_hours", "audits": "n_audits",
                           "n_audits": "n_audits"}


def allocate_shared_costs(units: pd.DataFrame, shared: pd.DataFrame,
                          driver: str = "items_handled") -> pd.DataFrame:
    """Spread each month's shared cost pools over the units by a driver (pure).

    Parameters
    ----------
    units : DataFrame
        One row per unit and month: ``month``, unit columns (those of
        :data:`UNIT_COLUMNS` present, e.g. ``site`` or ``site, queue``) and the driver
        column; other columns are ignored.
    shared : DataFrame
        ``month``, ``cost`` and optionally ``pool`` (default ``"shared"``); several rows
        of one pool and month are summed.
    driver : str
        A key of :data:`DRIVERS` (``items``, ``productive_hours``, ``audits`` ...).

    Returns
    -------
    DataFrame
        The allocation table: ``month, pool``, the unit columns, ``driver``,
        ``driver_value``, ``driver_share`` (of the month's total), ``allocated_cost``.

    Raises
    ------
    ValueError
        Unknown driver, missing columns, or a month with a pool but no driver volume.

    Examples
    --------
    See the module docstring.
    """
    if driver not in DRIVERS:
        raise ValueError(f"unknown driver {driver!r}; allowed: {', '.join(DRIVERS)}")
    col = DRIVERS[driver]
    for name, frame, need in (("units", units, ["month", col]),
                              ("shared", shared, ["month", "cost"])):
        missing = [c for c in need if c not in frame.columns]
        if missing:
            raise ValueError(f"{name}: missing column(s) {missing}")
    keys = [c for c in UNIT_COLUMNS if c in units.columns]
    pools = shared.assign(pool=shared["pool"] if "pool" in shared.columns else "shared")
    pools = pools.groupby(["month", "pool"], as_index=False, sort=True)[["cost"]].sum()
    u = units[["month", *keys, col]].rename(columns={col: "driver_value"})
    u["driver_value"] = u["driver_value"].astype(float)
    total = u.groupby("month")["driver_value"].transform("sum")
    u["driver_share"] = np.where(total > 0, u["driver_value"] / total.where(total > 0), np.nan)
    empty = sorted(set(pools["month"]) - set(u.loc[total > 0, "month"]))
    if empty:
        raise ValueError(f"shared cost in {empty} but no {col} to allocate it by")
    out = pools.merge(u, on="month", how="inner")
    out["driver"] = col
    out["allocated_cost"] = out["cost"] * out["driver_share"]
    return out[["month", "pool", *keys, "driver", "driver_value", "driver_share",
                "allocated_cost"]].reset_index(drop=True)


def shared_costs_from_volumes(store: Store, shared_sites: Sequence[str],
                              months: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Org-level cost rows of ``volumes`` (sites in ``shared_sites``) as shared pools.

    Returns
    -------
    DataFrame
        ``month, pool`` (the site name), ``cost``.

    Examples
    --------
    >>> shared_costs_from_volumes(store, ["qa_team"])                   # doctest: +SKIP
    """
    sites = list(shared_sites)
    if not sites:
        return pd.DataFrame(columns=["month", "pool", "cost"])
    where, params = months_clause("month", months)
    sql = (f"SELECT month, site AS pool, SUM(cost) AS cost FROM volumes WHERE {where} "
           f"AND site IN ({', '.join('?' * len(sites))}) GROUP BY month, site "
           "ORDER BY month, site")
    return store.query(sql, params + sites)


def cost_allocation(store: Store, months: str | Sequence[str] | None = None, *,
                    by: Sequence[str] | str = ("site",), driver: str = "items_handled",
                    shared: pd.DataFrame | None = None,
                    shared_sites: Sequence[str] = ()) -> pd.DataFrame:
    """Allocation table of shared costs to the store's sites (or site x queue) by a driver.

    Parameters
    ----------
    store : Store
        Open store.
    months : str or sequence of str, optional
        Months to allocate.
    by : sequence of str or str
        Unit columns: ``site``, ``queue`` or both.
    driver : str
        See :data:`DRIVERS`.
    shared : DataFrame, optional
        Shared pools ``month, pool, cost`` given as a parameter.
    shared_sites : sequence of str
        Sites of ``volumes`` that are shared pools (their rows are pools, not units).

    Returns
    -------
    DataFrame
        As :func:`allocate_shared_costs`.

    Examples
    --------
    >>> cost_allocation(store, "2026-10", driver="audits", shared=pools)  # doctest: +SKIP
    """
    by = [by] if isinstance(by, str) else list(by)
    econ = unit_economics(store, ["month", *by], months, percentiles=())
    if "site" in econ.columns:
        econ = econ[~econ["site"].isin(list(shared_sites))]
    pools = [p for p in (shared, shared_costs_from_volumes(store, shared_sites, months))
             if p is not None and len(p)]
    if not pools:
        raise ValueError("no shared costs: give shared=... or shared_sites=...")
    units = econ[["month", *by, DRIVERS.get(driver, driver)]]
    return allocate_shared_costs(units, pd.concat(pools, ignore_index=True), driver)


def fully_loaded(economics: pd.DataFrame, allocation: pd.DataFrame) -> pd.DataFrame:
    """Add allocated shared cost to direct cost: fully loaded cost and cost per item.

    Parameters
    ----------
    economics : DataFrame
        Rows with ``month``, the allocation's unit columns, ``items_handled``, ``cost``.
    allocation : DataFrame
        Output of :func:`allocate_shared_costs`.

    Returns
    -------
    DataFrame
        ``economics`` plus ``allocated_cost`` (all pools), ``fully_loaded_cost`` and
        ``fully_loaded_cost_per_item``.

    Examples
    --------
    >>> e = pd.DataFrame({"month": "2026-10", "site": ["a", "b"], "items_handled": [300, 100],
    ...                   "cost": [100.0, 100.0], "n_audits": [300, 100]})
    >>> s = pd.DataFrame({"month": ["2026-10"], "cost": [40.0]})
    >>> f = fully_loaded(e, allocate_shared_costs(e, s, "items"))
    >>> f.fully_loaded_cost_per_item.round(4).tolist()
    [0.4333, 1.1]
    """
    keys = [c for c in allocation.columns
            if c not in ("pool", "driver", "driver_value", "driver_share", "allocated_cost")]
    alloc = allocation.groupby(keys, as_index=False)["allocated_cost"].sum()
    out = economics.merge(alloc, on=keys, how="left")
    out["allocated_cost"] = out["allocated_cost"].fillna(0.0)
    out["fully_loaded_cost"] = out["cost"] + out["allocated_cost"]
    items = out["items_handled"].astype(float)
    out["fully_loaded_cost_per_item"] = (out["fully_loaded_cost"] / items.where(items > 0))
    return out
