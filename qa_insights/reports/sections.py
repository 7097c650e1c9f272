"""Sections shared by several reports: the scope overview, the calibration overview and the
error drivers (odds ratios in the natural order of their bands), and the below-min-n flag."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qa_insights.data.months import shift_month
from qa_insights.reports.engine.context import ParameterError

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store
    from qa_insights.reports.engine.context import ReportContext

__all__ = [
    "BAND_DRIVERS",
    "calibration_overview",
    "flag_below_min_n",
    "in_natural_order",
    "scope_overview",
]


def scope_overview(store: Store, ctx: ReportContext) -> pd.DataFrame:
    """How many audits, sites, queues, markets, moderators and auditors the report covers.

    Returns
    -------
    DataFrame
        One row per measure: ``measure``, ``value``.

    Examples
    --------
    >>> scope_overview(store, ctx).set_index("measure").loc["audits", "value"]  # doctest: +SKIP
    2140
    """
    where = " AND ".join(f"{col} = ?" for col in ctx.filters)
    row = store.query(
        "SELECT count(*), count(DISTINCT site), count(DISTINCT queue), count(DISTINCT market), "
        f"count(DISTINCT moderator_id), count(DISTINCT auditor_id) FROM audits WHERE {where}",
        list(ctx.filters.values())).iloc[0]
    names = ["audits", "sites", "queues", "markets", "moderators", "auditors"]
    return pd.DataFrame({"measure": names, "value": [int(v) for v in row]})


def calibration_overview(store: Store, ctx: ReportContext) -> pd.DataFrame:
    """How many calibration sessions, items, raters (scored against the expert: experts
    not counted), experts and ratings fall in the report's month and scope (site or
    queue; calibration has no market).

    Returns
    -------
    DataFrame
        One row per measure: ``measure``, ``value`` (all zero without calibration data).

    Raises
    ------
    ParameterError
        For scope ``market``.

    Examples
    --------
    >>> calibration_overview(store, ctx)                                 # doctest: +SKIP
    """
    if ctx.scope == "market":
        raise ParameterError("parameter scope: calibration data has no market; use org, "
                             "site or queue")
    # Raters are the people scored (every role but the expert); experts are counted apart,
    # as the calibration report counts them.
    sql = ("SELECT count(DISTINCT session_id), count(DISTINCT item_id), "
           "count(DISTINCT CASE WHEN rater_role <> 'expert' THEN rater_id END), "
           "count(DISTINCT CASE WHEN rater_role = 'expert' THEN rater_id END), count(*) "
           "FROM calibration "
           "WHERE session_date >= CAST(? AS DATE) AND session_date < CAST(? AS DATE)")
    params = [f"{ctx.month}-01", f"{shift_month(ctx.month, 1)}-01"]
    for column, value in ctx.scope_filter.items():
        sql += f" AND {column} = ?"
        params.append(value)
    row = store.query(sql, params).iloc[0]
    names = ["sessions", "items", "raters", "experts", "ratings"]
    return pd.DataFrame({"measure": names, "value": [int(v or 0) for v in row]})

#: Columns of :func:`error_drivers` (those of :func:`qa_insights.rca.drivers.logistic_drivers`).
DRIVER_COLUMNS = ("driver", "level", "reference", "odds_ratio", "ci_low", "ci_high", "p_value",
                  "coef", "std_err", "n_audits", "n_errors", "error_rate")

#: Drivers whose levels are ordered bands: listed in their natural order, not alphabetically.
BAND_DRIVERS = ("tenure_band", "handle_time_band")

_BAND_START = re.compile(r"^(<)?(\d+(?:\.\d+)?)")


def _band_rank(driver: str, level: str) -> float:
    """Position of a band in its natural order: tenure by :data:`~qa_insights.quality.metrics.
    TENURE_BANDS`, handle time by its lower edge (``<30s`` first); ``unknown`` last."""
    from qa_insights.data.queries import TENURE_BANDS

    if driver == "tenure_band":
        labels = [label for label, _ in TENURE_BANDS]
        return float(labels.index(level)) if level in labels else np.inf
    match = _BAND_START.match(level)
    if match is None:
        return np.inf
    return -np.inf if match.group(1) else float(match.group(2))


def in_natural_order(drivers: pd.DataFrame) -> pd.DataFrame:
    """Rows of a drivers table with the levels of :data:`BAND_DRIVERS` in their natural
    order (``0-3m`` before ``3-6m`` before ``1-2y``; ``<30s`` before ``30-60s`` before
    ``120s+``; ``unknown`` last); drivers keep their order, other drivers' levels too.

    Examples
    --------
    >>> d = pd.DataFrame({"driver": ["tenure_band"] * 4 + ["handle_time_band"] * 3,
    ...     "level": ["1-2y", "0-3m", "unknown", "3-6m", "120s+", "<30s", "30-60s"]})
    >>> in_natural_order(d).level.tolist()
    ['0-3m', '3-6m', '1-2y', 'unknown', '<30s', '30-60s', '120s+']
    """
    block = drivers["driver"].map({d: i for i, d in enumerate(pd.unique(drivers["driver"]))})
    within = np.array([_band_rank(d, str(level)) if d in BAND_DRIVERS else float(i)
              for i, (d, level) in enumerate(zip(drivers["driver"], drivers["level"], strict=True))])
    order = np.lexsort((np.arange(len(drivers)), within, block.to_numpy()))
    out = drivers.iloc[order].reset_index(drop=True)
    out.attrs = dict(drivers.attrs)
    return out


def error_drivers(store: Store, ctx: ReportContext, drivers: list[str]) -> pd.DataFrame:
    """Odds ratios of an error per driver level in the report's month and scope
    (:func:`qa_insights.rca.drivers.logistic_drivers` on :func:`~qa_insights.rca.drivers.driver_cells`,
    levels below ``ctx.min_n`` audits left out), band levels in their natural order
    (:func:`in_natural_order`).

    When no level has enough audits (a small scope), returns an empty frame with the same
    columns instead of failing, so the report can say so; ``attrs["dropped"]`` lists what
    was left out either way.

    Examples
    --------
    >>> error_drivers(store, ctx, ["tenure_band", "site_type"])          # doctest: +SKIP
    """
    from qa_insights.rca.drivers import driver_cells, logistic_drivers

    cells = driver_cells(store, drivers, filters=ctx.filters)
    try:
        return in_natural_order(logistic_drivers(cells, drivers, min_audits=ctx.min_n))
    except ValueError as exc:
        if "no cells left" not in str(exc):
            raise
        empty = pd.DataFrame(columns=list(DRIVER_COLUMNS))
        empty.attrs["dropped"] = str(exc)
        return empty


def flag_below_min_n(frame: pd.DataFrame, min_n: int, n_column: str = "n_audits") -> pd.DataFrame:
    """``frame`` with a ``below_min_n`` column: True where ``n_column`` (a missing count is
    0) is below ``min_n``, the rows a report greys out and never ranks.

    Examples
    --------
    >>> flag_below_min_n(pd.DataFrame({"n_audits": [12, 40, None]}), 30).below_min_n.tolist()
    [True, False, True]
    """
    if n_column not in frame.columns:
        raise KeyError(f"flag_below_min_n: no column {n_column!r} "
                       f"(columns: {', '.join(map(str, frame.columns))})")
    return frame.assign(below_min_n=(frame[n_column].fillna(0) < min_n).to_numpy())
