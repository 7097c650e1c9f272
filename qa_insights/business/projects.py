"""Annotation projects and rate cards: cost per label, billing check, burn and quality.

From the optional ``projects`` and ``rate_cards`` tables and the optional ``project_id``
and ``task_type`` columns of ``volumes`` (and ``project_id`` of ``audits``):

* :func:`cost_per_label`: cost / items handled by project and task type;
* :func:`billing_check`: each vendor's invoiced cost against its rate card (units x unit
  price of the card valid on the month's first day). Cost is an accounting total, so
  there is no sampling interval: a row is ``above card`` or ``below card`` when it differs
  from the card by more than ``tolerance`` (relative), else ``matches card``;
* :func:`project_burn`: cost spent since the project's start against its budget, and the
  total projected to the end date at the recent run rate. The interval comes from the
  month-to-month variation of the last ``run_months`` months: with mean ``m``, standard
  deviation ``s`` over ``k`` months and ``R`` months left, the projection is
  ``spent + R m`` with standard error ``s sqrt(R^2 / k + R)`` (the error of the mean rate
  and the months' own variation) and Student's t with ``k - 1`` degrees of freedom. The
  interval is Bonferroni-adjusted across the projects (level ``1 - alpha / G``), so the
  chance of calling any project "projected over budget" when none is stays near
  ``alpha / 2``;
* :func:`project_quality`: accuracy of the audits that carry the project, with its Wilson
  interval.

Money keeps its currency; inputs in more than one currency are an error.

Examples
--------
>>> monthly = pd.DataFrame({"project_id": "p", "month": ["2026-01", "2026-02", "2026-03"],
...                         "cost": [100.0, 110.0, 90.0], "currency": "USD"})
>>> projects = pd.DataFrame({"project_id": ["p"], "start_date": ["2026-01-01"],
...     "end_date": ["2026-06-30"], "budget": [500.0], "currency": ["USD"]})
>>> row = project_burn(monthly, projects, "2026-03").iloc[0]
>>> float(row.spent), int(row.months_left), float(row.projected), row.status
(300.0, 3, 600.0, 'at risk')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from qa_insights.business.vendors import site_vendor, site_vendors
from qa_insights.stats.proportions import wilson_interval

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = ["BILLING_COLUMNS", "BURN_COLUMNS", "billing_check", "cost_per_label", "one_currency",
           "records",
           "project_burn", "project_quality", "store_billing_check", "store_cost_per_label",
           "store_project_burn", "store_project_quality"]

#: Columns of :func:`billing_check`.
BILLING_COLUMNS: list[str] = ["month", "vendor", "task_type", "unit", "units", "unit_price",
                              "expected", "invoiced", "difference", "difference_pct",
                              "status", "currency"]

#: Columns of :func:`project_burn`.
BURN_COLUMNS: list[str] = ["project_id", "start_date", "end_date", "budget", "spent",
                           "spent_pct", "elapsed_pct", "run_rate", "months_left", "projected",
                           "projected_low", "projected_high", "projected_vs_budget_pct",
                           "status", "currency"]


def one_currency(*frames: pd.DataFrame, where: str = "inputs") -> str:
    """The one currency of the ``currency`` columns of ``frames`` ("" when all are empty).

    Raises
    ------
    ValueError
        More than one currency.

    Examples
    --------
    >>> one_currency(pd.DataFrame({"currency": ["EUR", "EUR"]}))
    'EUR'
    """
    found = sorted({str(c) for f in frames for c in f["currency"].dropna()})
    if len(found) > 1:
        raise ValueError(f"{where}: money in {', '.join(found)}; expected one currency "
                         "(convert to one first)")
    return found[0] if found else ""


def cost_per_label(volumes: pd.DataFrame) -> pd.DataFrame:
    """Items, cost and cost per label by project and task type (pure).

    Parameters
    ----------
    volumes : DataFrame
        ``project_id, task_type, items_handled, cost, currency`` rows (one month or more);
        rows without a project are left out.

    Returns
    -------
    DataFrame
        ``project_id, task_type, items_handled, cost, cost_per_label, currency``.

    Examples
    --------
    >>> v = pd.DataFrame({"project_id": ["a", "a", "b"], "task_type": ["t", "t", "t"],
    ...                   "items_handled": [100, 300, 50], "cost": [10.0, 20.0, 10.0],
    ...                   "currency": "USD"})
    >>> cost_per_label(v)["cost_per_label"].tolist()
    [0.075, 0.2]
    """
    cur = one_currency(volumes, where="volumes")
    v = volumes[volumes["project_id"].notna()].assign(
        task_type=volumes["task_type"].fillna("(not recorded)"))
    out = v.groupby(["project_id", "task_type"], as_index=False)[["items_handled", "cost"]].sum()
    items = out["items_handled"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["cost_per_label"] = np.where(items > 0, out["cost"] / items, np.nan)
    return out.assign(currency=cur)


def _card_on(cards: pd.DataFrame, vendor: str, task_type: str, day: pd.Timestamp
             ) -> pd.Series | None:
    """The rate card row of ``vendor`` and ``task_type`` valid on ``day`` (latest start)."""
    frm = pd.to_datetime(cards["valid_from"])
    to = pd.to_datetime(cards["valid_to"])
    ok = ((cards["vendor"] == vendor) & (cards["task_type"] == task_type) & (frm <= day)
          & (to.isna() | (to >= day)))
    hits = cards[ok.to_numpy()]
    if hits.empty:
        return None
    return hits.iloc[int(np.argmax(pd.to_datetime(hits["valid_from"]).to_numpy()))]


def billing_check(volumes: pd.DataFrame, cards: pd.DataFrame, *,
                  tolerance: float = 0.01) -> pd.DataFrame:
    """Invoiced cost of each vendor, task type and month against its rate card (pure).

    Parameters
    ----------
    volumes : DataFrame
        ``month, vendor, task_type, items_handled, productive_hours, cost, currency`` (one
        row per group; in-house rows are left out by the caller).
    cards : DataFrame
        ``rate_cards`` rows.
    tolerance : float
        Relative difference within which the invoice matches the card.

    Returns
    -------
    DataFrame
        :data:`BILLING_COLUMNS`; ``no rate card`` rows have no expected amount.

    Examples
    --------
    >>> v = pd.DataFrame({"month": ["2026-10"], "vendor": ["a"], "task_type": ["t"],
    ...     "items_handled": [1000], "productive_hours": [10.0], "cost": [105.0],
    ...     "currency": ["USD"]})
    >>> c = pd.DataFrame({"vendor": ["a"], "task_type": ["t"], "unit": ["hour"],
    ...     "unit_price": [10.0], "currency": ["USD"], "valid_from": ["2026-01-01"],
    ...     "valid_to": [None]})
    >>> billing_check(v, c)[["expected", "difference", "status"]].values.tolist()
    [[100.0, 5.0, 'above card']]
    """
    cur = one_currency(volumes, cards, where="volumes and rate_cards")
    rows = []
    for r in records(volumes):
        card = _card_on(cards, str(r["vendor"]), str(r["task_type"]),
                        pd.Timestamp(f"{r['month']}-01"))
        unit = None if card is None else str(card["unit"])
        units = (np.nan if unit is None else float(r["items_handled"]) if unit == "item"
                 else float(r["productive_hours"]))
        price = np.nan if card is None else float(card["unit_price"])
        expected = units * price
        diff = float(r["cost"]) - expected
        pct = 100.0 * diff / expected if expected > 0 else np.nan
        status = ("no rate card" if card is None else
                  "above card" if diff > tolerance * expected else
                  "below card" if diff < -tolerance * expected else "matches card")
        rows.append([r["month"], r["vendor"], r["task_type"], unit, units, price, expected,
                     float(r["cost"]), diff, pct, status, cur])
    return pd.DataFrame(rows, columns=BILLING_COLUMNS)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``frame`` as dicts (column name -> value).

    Examples
    --------
    >>> records(pd.DataFrame({"a": [1]}))
    [{'a': 1}]
    """
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _months_between(first: str, last: str) -> int:
    """Whole months from ``first`` to ``last`` (YYYY-MM), ``last - first``."""
    return int((np.datetime64(last, "M") - np.datetime64(first, "M")).astype(int))


def project_burn(monthly: pd.DataFrame, projects: pd.DataFrame, month: str, *,
                 run_months: int = 6, alpha: float = 0.05) -> pd.DataFrame:
    """Budget burn of every project up to ``month`` and its projection to the end date (pure).

    Parameters
    ----------
    monthly : DataFrame
        ``project_id, month, cost, currency``: the project's cost per month.
    projects : DataFrame
        ``projects`` rows.
    month : str
        Reporting month (YYYY-MM); cost of later months is not counted.
    run_months : int
        Months of the run rate (the last ones up to ``month`` within the project).
    alpha : float
        Family-wise error rate of the projection intervals (Bonferroni across projects).

    Returns
    -------
    DataFrame
        :data:`BURN_COLUMNS`. ``status``: ``over budget`` (spent exceeds it), ``projected
        over budget`` (the whole interval above it), ``at risk`` (the interval straddles
        it), ``on track``, or ``not started``.
    """
    cur = one_currency(monthly, projects, where="volumes and projects")
    level = 1 - alpha / max(len(projects), 1)
    rows = []
    for p in records(projects):
        start_m = str(pd.Timestamp(p["start_date"]).to_period("M"))
        end_m = str(pd.Timestamp(p["end_date"]).to_period("M"))
        own = monthly[(monthly["project_id"] == p["project_id"]) & (monthly["month"] >= start_m)
                      & (monthly["month"] <= min(month, end_m))]
        costs = own.groupby("month")["cost"].sum().sort_index()
        spent = float(costs.sum())
        budget = float(p["budget"])
        total = _months_between(start_m, end_m) + 1
        elapsed = min(max(_months_between(start_m, month) + 1, 0), total)
        left = max(_months_between(month, end_m), 0) if month >= start_m else total
        recent = costs.iloc[-run_months:].to_numpy(dtype=float)
        k = recent.size
        rate = float(recent.mean()) if k else np.nan
        projected = spent + left * rate if k else np.nan
        if k >= 2 and left:
            se = float(recent.std(ddof=1)) * np.sqrt(left ** 2 / k + left)
            t = float(stats.t.ppf(1 - (1 - level) / 2, k - 1))
            low, high = projected - t * se, projected + t * se
        else:
            low = high = projected
        status = ("not started" if not k else "over budget" if spent > budget else
                  "projected over budget" if low > budget else
                  "at risk" if high > budget else "on track")
        rows.append([p["project_id"], str(p["start_date"])[:10], str(p["end_date"])[:10],
                     budget, spent,
                     100 * spent / budget if budget > 0 else np.nan, 100 * elapsed / total,
                     rate, left, projected, low, high,
                     100 * (projected - budget) / budget if budget > 0 else np.nan,
                     status, cur])
    return pd.DataFrame(rows, columns=BURN_COLUMNS)


def project_quality(counts: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Accuracy per project with its Wilson interval (pure).

    Parameters
    ----------
    counts : DataFrame
        ``project_id, n_audits, n_errors``.

    Returns
    -------
    DataFrame
        ``project_id, n_audits, n_errors, accuracy, accuracy_ci_low, accuracy_ci_high``.

    Examples
    --------
    >>> q = project_quality(pd.DataFrame({"project_id": ["a"], "n_audits": [263],
    ...                                   "n_errors": [81]}))
    >>> [round(float(v), 4) for v in q.iloc[0, 3:]]
    [0.692, 0.6338, 0.7447]
    """
    n = counts["n_audits"].to_numpy(dtype=float)
    x = counts["n_errors"].to_numpy(dtype=float)
    low, high = wilson_interval(x, n, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        acc = np.where(n > 0, 1 - x / n, np.nan)
    return counts[["project_id", "n_audits", "n_errors"]].assign(
        accuracy=acc, accuracy_ci_low=1 - np.asarray(high), accuracy_ci_high=1 - np.asarray(low))


def _has_column(store: Store, table: str, column: str) -> bool:
    """Whether the optional ``column`` of ``table`` has any value."""
    return bool(store.table_present(table)) and int(store.query(
        f"SELECT count({column}) AS n FROM {table}")["n"].iloc[0]) > 0


def store_cost_per_label(store: Store, month: str) -> pd.DataFrame | None:
    """:func:`cost_per_label` of the month, or None when volumes carry no ``project_id``.

    Examples
    --------
    >>> store_cost_per_label(store, "2026-10")                          # doctest: +SKIP
    """
    if not _has_column(store, "volumes", "project_id"):
        return None
    return cost_per_label(store.query(
        "SELECT project_id, task_type, items_handled, cost, currency FROM volumes "
        "WHERE month = ?", [month]))


def store_billing_check(store: Store, month: str, *, tolerance: float = 0.01,
                        vendors: Mapping[str, str] | None = None) -> pd.DataFrame | None:
    """:func:`billing_check` of the month's BPO vendors, or None without ``rate_cards``
    or without ``task_type`` on volumes.

    Examples
    --------
    >>> store_billing_check(store, "2026-10")                           # doctest: +SKIP
    """
    if not store.table_present("rate_cards") or not _has_column(store, "volumes", "task_type"):
        return None
    mapping = dict(site_vendors(store) if vendors is None else vendors)
    v = store.query("SELECT month, site, task_type, items_handled, productive_hours, cost, "
                    "currency FROM volumes WHERE month = ?", [month])
    v["vendor"] = [mapping.get(s, site_vendor(s)) for s in v["site"]]
    v = v[v["vendor"] != "in-house"]
    sums = v.groupby(["month", "vendor", "task_type", "currency"], as_index=False)[
        ["items_handled", "productive_hours", "cost"]].sum()
    cards = store.query("SELECT * FROM rate_cards")
    return billing_check(sums, cards, tolerance=tolerance)


def store_project_burn(store: Store, month: str, *, run_months: int = 6,
                       alpha: float = 0.05) -> pd.DataFrame | None:
    """:func:`project_burn` from the store, or None without ``projects`` or without
    ``project_id`` on volumes.

    Examples
    --------
    >>> store_project_burn(store, "2026-10")                            # doctest: +SKIP
    """
    if not store.table_present("projects") or not _has_column(store, "volumes", "project_id"):
        return None
    monthly = store.query("SELECT project_id, month, sum(cost) AS cost, min(currency) AS "
                          "currency FROM volumes WHERE project_id IS NOT NULL GROUP BY 1, 2 "
                          "ORDER BY 1, 2")
    one_currency(store.query("SELECT DISTINCT currency FROM volumes"), where="volumes")
    projects = store.query("SELECT * FROM projects ORDER BY project_id")
    return project_burn(monthly, projects, month, run_months=run_months, alpha=alpha)


def store_project_quality(store: Store, month: str) -> pd.DataFrame | None:
    """:func:`project_quality` of the month's audits that carry a project, or None when no
    audit does.

    Examples
    --------
    >>> store_project_quality(store, "2026-10")                         # doctest: +SKIP
    """
    if not _has_column(store, "audits", "project_id"):
        return None
    counts = store.query("SELECT project_id, count(*) AS n_audits, sum(is_error::INT) AS "
                         "n_errors FROM audits WHERE month = ? AND project_id IS NOT NULL "
                         "GROUP BY 1 ORDER BY 1", [month])
    return project_quality(counts)
