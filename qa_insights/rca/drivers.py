"""Drivers of errors: logistic regression on audit outcomes, correlations of segment metrics.

:func:`logistic_drivers` fits ``logit P(error) = b0 + sum of driver effects`` by binomial
GLM (statsmodels) on *cells*: audits and errors per combination of the categorical
drivers, counted in the engine by :func:`driver_cells`. With categorical drivers this
gives exactly the estimates and standard errors of a row-level logistic regression, at the
cost of a few hundred rows instead of millions. Continuous drivers enter as bands
(``tenure_band``, ``handle_time_band``). The result is a tidy table of odds ratios with
intervals.

:func:`segment_metrics` and :func:`correlation_matrix` relate segment-level metrics
(e.g. per moderator: error rate, handle time, tenure).

Examples
--------
>>> import pandas as pd
>>> cells = pd.DataFrame({"site_type": ["bpo", "in_house"], "n_audits": [1000, 1000],
...                       "n_errors": [60, 30]})
>>> t = logistic_drivers(cells, ["site_type"])
>>> t[["driver", "level", "odds_ratio"]].round(3)
      driver     level  odds_ratio
0  site_type       bpo       1.000
1  site_type  in_house       0.485
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from itertools import combinations, pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from qa_insights.data.queries import (
    DIMENSIONS,
    Filters,
    check_dimensions,
    store_dimensions,
    where_clause,
)
from qa_insights.data.sql import quote_ident
from qa_insights.quality.metrics import quality_summary
from qa_insights.rca.comparisons import group_stats
from qa_insights.stats.proportions import z_value

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = [
    "DRIVERS",
    "correlation_matrix",
    "driver_cells",
    "logistic_drivers",
    "segment_metrics",
]

#: Dimensions that describe the outcome itself, so cannot drive it.
_OUTCOMES = {"error_type", "error_reason", "severity", "auditor_decision", "dispute_status"}

#: Allowed drivers: the store's dimensions (outcomes excluded) plus ``handle_time_band``.
DRIVERS: tuple[str, ...] = (*sorted(set(DIMENSIONS) - _OUTCOMES), "handle_time_band")


def _band_labels(edges: Sequence[float]) -> list[str]:
    e = [f"{x:g}" for x in edges]
    return [f"<{e[0]}s", *(f"{a}-{b}s" for a, b in pairwise(e)), f"{e[-1]}s+"]


def driver_cells(store: Store, drivers: Sequence[str], *,
                 handle_time_edges: Sequence[float] = (30.0, 60.0, 120.0),
                 filters: Filters | None = None) -> pd.DataFrame:
    """Audits and errors per combination of drivers, counted in the engine.

    Parameters
    ----------
    store : Store
        Open store.
    drivers : sequence of str
        Names from :data:`DRIVERS` (e.g. ``["tenure_band", "queue", "market",
        "site_type", "handle_time_band"]``).
    handle_time_edges : sequence of float
        Increasing band edges in seconds for ``handle_time_band``; a missing handle time
        is band ``unknown``.
    filters : mapping, optional
        Scope: dimension -> value or list of values, bound as SQL parameters
        (e.g. ``{"month": "2026-10"}``); names are checked against the data's dimensions.

    Returns
    -------
    DataFrame
        ``drivers`` + ``n_audits``, ``n_errors``; one row per non-empty cell.

    Examples
    --------
    >>> driver_cells(store, ["tenure_band", "queue"], filters={"month": "2026-10"})  # doctest: +SKIP
    """
    dimensions = store_dimensions(store)
    custom = [d for d in dimensions if d not in DIMENSIONS]
    drivers = check_dimensions(drivers, dict.fromkeys([*DRIVERS, *custom], ""))
    if not drivers:
        raise ValueError("give at least one driver")
    edges = [float(x) for x in handle_time_edges]
    if not edges or any(b <= a for a, b in pairwise(edges)):
        raise ValueError("handle_time_edges must be a non-empty increasing sequence")
    select, params = [], []
    for d in drivers:
        if d == "handle_time_band":
            labels = _band_labels(edges)
            whens = " ".join("WHEN handle_time_s < ? THEN ?" for _ in edges)
            select.append(f"CASE WHEN handle_time_s IS NULL THEN ? {whens} ELSE ? END "
                          "AS handle_time_band")
            params += ["unknown", *[v for pair in zip(edges, labels) for v in pair],
                       labels[-1]]
        else:
            select.append(f"{dimensions[d]} AS {quote_ident(d)}")
    where, where_params = where_clause(filters, dimensions)
    cols = ", ".join(quote_ident(d) for d in drivers)
    sql = (f"SELECT {cols}, COUNT(*) AS n_audits, "
           f"SUM(CASE WHEN is_error THEN 1 ELSE 0 END) AS n_errors FROM "
           f"(SELECT {', '.join(select)}, is_error FROM audits{where}) AS t "
           f"GROUP BY {cols} ORDER BY {cols}")
    out = store.query(sql, params + where_params)
    out[["n_audits", "n_errors"]] = out[["n_audits", "n_errors"]].fillna(0).astype("int64")
    return out


def _drop_unestimable(cells: pd.DataFrame, drivers: list[str],
                      min_audits: int) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Drop levels with too few audits, no errors or only errors (no finite odds ratio),
    repeating until every remaining level is estimable."""
    dropped: list[dict[str, Any]] = []
    while True:
        bad = []
        for d in drivers:
            t = cells.groupby(d)[["n_audits", "n_errors"]].sum()
            for level, r in t.iterrows():
                reason = ("fewer than min_audits audits" if r.n_audits < min_audits else
                          "no errors" if r.n_errors == 0 else
                          "only errors" if r.n_errors == r.n_audits else None)
                if reason:
                    bad.append((d, level, reason, int(r.n_audits), int(r.n_errors)))
        if not bad:
            return cells, dropped
        for d, level, reason, n, e in bad:
            dropped.append({"driver": d, "level": level, "reason": reason,
                            "n_audits": n, "n_errors": e})
            cells = cells[cells[d] != level]


def logistic_drivers(cells: pd.DataFrame, drivers: Sequence[str], *,
                     reference: dict[str, str] | None = None, min_audits: int = 1,
                     confidence: float = 0.95) -> pd.DataFrame:
    """Logistic regression of error on categorical drivers, as a tidy odds-ratio table.

    Parameters
    ----------
    cells : DataFrame
        ``drivers`` + ``n_audits`` and ``n_errors`` (e.g. from :func:`driver_cells`).
    drivers : sequence of str
        Categorical driver columns.
    reference : dict, optional
        Driver -> reference level; by default the level with the most audits.
    min_audits : int
        Levels with fewer audits are left out of the fit (listed in ``attrs["dropped"]``),
        as are levels without errors or with only errors, whose odds ratio is infinite.
    confidence : float
        Level of the Wald intervals.

    Returns
    -------
    DataFrame
        One row per driver level: ``driver``, ``level``, ``reference`` (True for the
        reference level, odds ratio 1), ``odds_ratio``, ``ci_low``, ``ci_high``,
        ``p_value``, ``coef``, ``std_err`` (log-odds), ``n_audits``, ``n_errors``,
        ``error_rate``. ``attrs`` holds ``intercept_odds`` (odds of error with every driver
        at its reference), ``n_audits``, ``converged``, ``dropped`` and ``warnings``
        (messages of the fit, e.g. quasi-separation).

    Raises
    ------
    ValueError
        Missing columns, or no cells left to fit.
    """
    drivers = list(drivers)
    missing = [c for c in [*drivers, "n_audits", "n_errors"] if c not in cells.columns]
    if missing:
        raise ValueError(f"cells: missing column(s) {missing}")
    data = cells[cells["n_audits"] > 0].copy()
    for d in drivers:
        data[d] = data[d].astype(str)
    data, dropped = _drop_unestimable(data, drivers, min_audits)
    if data.empty:
        raise ValueError("no cells left to fit after dropping unestimable levels: "
                         f"{dropped}")
    reference = dict(reference or {})
    columns, blocks, levels_of = [], [], {}
    for d in drivers:
        totals = data.groupby(d)[["n_audits", "n_errors"]].sum()
        ref = reference.get(d) or min(
            totals.index, key=lambda v: (-totals.loc[v, "n_audits"], v))
        if ref not in totals.index:
            raise ValueError(f"reference {d}={ref!r} is not a level in the data")
        reference[d] = ref
        levels_of[d] = totals
        for level in sorted(totals.index):
            if level != ref:
                columns.append((d, level))
                blocks.append((data[d] == level).astype(float).to_numpy())
    exog = np.column_stack([np.ones(len(data)), *blocks])
    endog = np.column_stack([data["n_errors"], data["n_audits"] - data["n_errors"]])
    with warnings.catch_warnings(record=True) as caught, \
            np.errstate(divide="ignore", invalid="ignore"):  # saturated fit: 0 residual df
        warnings.simplefilter("always")
        fit = sm.GLM(endog, exog, family=sm.families.Binomial()).fit()
    # A saturated model reproduces every cell, which statsmodels mistakes for separation.
    notes = sorted({str(w.message) for w in caught
                    if not (fit.df_resid == 0 and issubclass(w.category,
                                                             PerfectSeparationWarning))})
    z = z_value(confidence)
    coef_of = dict(zip(columns, range(1, len(columns) + 1)))
    rows = []
    for d in drivers:
        for level, r in levels_of[d].iterrows():
            base = {"driver": d, "level": level, "reference": level == reference[d],
                    "n_audits": int(r.n_audits), "n_errors": int(r.n_errors),
                    "error_rate": r.n_errors / r.n_audits}
            if level == reference[d]:
                rows.append({**base, "odds_ratio": 1.0, "ci_low": np.nan, "ci_high": np.nan,
                             "p_value": np.nan, "coef": 0.0, "std_err": np.nan})
                continue
            i = coef_of[(d, level)]
            b, se = float(fit.params[i]), float(fit.bse[i])
            rows.append({**base, "odds_ratio": np.exp(b), "ci_low": np.exp(b - z * se),
                         "ci_high": np.exp(b + z * se), "p_value": float(fit.pvalues[i]),
                         "coef": b, "std_err": se})
    order = ["driver", "level", "reference", "odds_ratio", "ci_low", "ci_high", "p_value",
             "coef", "std_err", "n_audits", "n_errors", "error_rate"]
    out = pd.DataFrame(rows, columns=order)
    out = out.sort_values(["driver", "reference", "level"], ascending=[True, False, True],
                          key=lambda s: s.map(drivers.index) if s.name == "driver" else s)
    out = out.reset_index(drop=True)
    out.attrs.update(intercept_odds=float(np.exp(fit.params[0])),
                     n_audits=int(data["n_audits"].sum()),
                     converged=bool(fit.converged), dropped=dropped, warnings=notes)
    return out


def segment_metrics(store: Store, by: str = "moderator_id", *, min_n: int = 30,
                    filters: Filters | None = None) -> pd.DataFrame:
    """Per-segment metrics to correlate: error rates, mean handle time and tenure.

    Returns
    -------
    DataFrame
        ``by``, ``n_audits``, ``error_rate``, ``over_enforcement_share``,
        ``under_enforcement_rate``, ``critical_error_rate``, ``dispute_rate``,
        ``mean_handle_time_s``, ``mean_tenure_days``, ``below_min_n``.

    Examples
    --------
    >>> segment_metrics(store, "moderator_id", filters={"month": "2026-10"})      # doctest: +SKIP
    """
    (by,) = check_dimensions([by], store_dimensions(store))
    q = quality_summary(store, [by], min_n=min_n, filters=filters)
    q = q[[by, "n_audits", "error_rate", "over_enforcement_share", "under_enforcement_rate",
           "critical_error_rate", "dispute_rate", "below_min_n"]]
    for value, name in (("handle_time_s", "mean_handle_time_s"),
                        ("moderator_tenure_days", "mean_tenure_days")):
        means = group_stats(store, value, by, filters=filters)[[by, "mean"]]
        q = q.merge(means.rename(columns={"mean": name}), on=by, how="left")
    cols = [c for c in q.columns if c != "below_min_n"] + ["below_min_n"]
    return q[cols]


def correlation_matrix(frame: pd.DataFrame, columns: Sequence[str] | None = None, *,
                       method: str = "spearman") -> pd.DataFrame:
    """Pairwise correlations of segment metrics with p-values (pairwise complete rows).

    Parameters
    ----------
    frame : DataFrame
        One row per segment (e.g. :func:`segment_metrics` without the small segments).
    columns : sequence of str, optional
        Numeric columns (default: every numeric column except booleans).
    method : {"spearman", "pearson"}
        Rank or linear correlation.

    Returns
    -------
    DataFrame
        One row per pair: ``metric_a``, ``metric_b``, ``r``, ``p_value``, ``n``. For the
        square matrix: ``out.pivot(index="metric_a", columns="metric_b", values="r")``.

    Examples
    --------
    >>> f = pd.DataFrame({"x": [1, 2, 3, 4], "y": [2, 4, 5, 9], "z": [4, 3, 2, 1]})
    >>> correlation_matrix(f)[["metric_a", "metric_b", "r"]]
      metric_a metric_b    r
    0        x        y  1.0
    1        x        z -1.0
    2        y        z -1.0
    """
    tests = {"spearman": stats.spearmanr, "pearson": stats.pearsonr}
    if method not in tests:
        raise ValueError(f"method: expected 'spearman' or 'pearson', got {method!r}")
    if columns is None:
        columns = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
                   and not pd.api.types.is_bool_dtype(frame[c])]
    rows = []
    for a, b in combinations(list(columns), 2):
        pair = frame[[a, b]].astype(float).dropna()
        n = len(pair)
        if n >= 3 and pair[a].nunique() > 1 and pair[b].nunique() > 1:
            res = tests[method](pair[a], pair[b])
            r, p = float(res.statistic), float(res.pvalue)
        else:
            r, p = np.nan, np.nan
        rows.append({"metric_a": a, "metric_b": b, "r": r, "p_value": p, "n": n})
    return pd.DataFrame(rows, columns=["metric_a", "metric_b", "r", "p_value", "n"])
