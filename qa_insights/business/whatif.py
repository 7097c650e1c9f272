"""What-if for cost-saving decisions: move queue volume between sites, change the audit rate.

Every scenario works on *cells* (one row per site x queue of a month: items handled, cost,
audits, errors; :func:`whatif_cells`) and projects three things:

* **cost**: a cell's cost per item stays as measured (average cost = marginal cost);
  moved items cost the receiving cell's cost per item (the receiving site's overall cost
  per item if it does not handle that queue yet). Audit cost is ``audits x
  cost_per_audit`` when ``cost_per_audit`` is given.
* **org error rate**: the volume-weighted (stratified) rate ``sum_h N_h p_h / sum_h N_h``
  over cells, each cell at its measured error rate ``p_h = e_h / n_h`` (a cell without
  audits takes its site's pooled rate), with the interval of
  :func:`qa_insights.stats.sampling.stratified_error_rate` (Wilson on the Kish effective sample
  size). The *change* row's interval is normal, with variance
  ``sum_h (W'_h - W_h)**2 p_h (1 - p_h) / n_h`` (both scenarios share the measured rates,
  so only the weight changes carry uncertainty; no finite-population correction). As in
  the sampling module, a cell with no errors adds no variance: pool several months
  (``rate_months``) when cells are small.
* **margin of error** of the next month's audit sample for the org error rate: planned
  audits ``a_h`` per cell (proportional to volume unless the audit rate changes), with
  ``z sqrt(sum_h W_h**2 p_h (1 - p_h) / a_h (1 - a_h / N_h))``, the standard error of
  :func:`qa_insights.stats.sampling.stratified_error_rate` (qa-domain section 4; one cell with
  p = 5% and 457 audits gives 2 points).

Examples
--------
>>> import pandas as pd
>>> cells = pd.DataFrame({"site": ["in", "bpo"], "queue": "spam",
...     "items_handled": [10_000, 30_000], "cost": [9_000.0, 6_000.0],
...     "n_audits": [400, 400], "n_errors": [8, 40]})
>>> w = move_volume(cells, "spam", "bpo", "in", 0.5)
>>> w[["scenario", "cost", "error_rate"]].round(4).values.tolist()
[['baseline', 15000.0, 0.08], ['scenario', 25500.0, 0.05], ['change', 10500.0, -0.03]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qa_insights.business.actuals import volume_totals
from qa_insights.data.queries import audit_counts
from qa_insights.stats.proportions import z_value
from qa_insights.stats.sampling import stratified_error_rate

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = [
    "CELL_COLUMNS",
    "WHATIF_COLUMNS",
    "change_audit_rate",
    "from_measured",
    "margin_of_error",
    "move_volume",
    "project_cells",
    "whatif_cells",
]

#: Columns of a cells frame.
CELL_COLUMNS: list[str] = ["site", "queue", "items_handled", "cost", "n_audits", "n_errors"]

#: Columns of every what-if result.
WHATIF_COLUMNS: list[str] = ["scenario", "items_handled", "cost", "cost_per_item",
                             "planned_audits", "audit_cost", "total_cost", "error_rate",
                             "error_ci_low", "error_ci_high", "margin_of_error"]


def whatif_cells(store: Store, month: str, *,
                 rate_months: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Site x queue cells of ``month``: volume and cost, audits and errors.

    Parameters
    ----------
    store : Store
        Open store.
    month : str
        Month of the volumes and costs.
    rate_months : str or sequence of str, optional
        Months whose audits measure the error rates (default ``month``); several months
        pooled give steadier cell rates.

    Returns
    -------
    DataFrame
        :data:`CELL_COLUMNS`, one row per cell with volume or audits.

    Examples
    --------
    >>> whatif_cells(store, "2026-10", rate_months=["2026-08", "2026-09", "2026-10"])  # doctest: +SKIP
    """
    vol = volume_totals(store, ["site", "queue"], month)[["site", "queue", "items_handled",
                                                          "cost"]]
    counts = audit_counts(store, ["site", "queue"], filters={"month": rate_months or month})
    out = vol.merge(counts[["site", "queue", "n_audits", "n_errors"]], on=["site", "queue"],
                    how="outer")
    out[["items_handled", "n_audits", "n_errors"]] = \
        out[["items_handled", "n_audits", "n_errors"]].fillna(0).astype("int64")
    out["cost"] = out["cost"].fillna(0.0)
    return out[CELL_COLUMNS].sort_values(["site", "queue"]).reset_index(drop=True)


def _cell_rates(cells: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Error count, audits and rate per cell; cells without audits take the site's."""
    e = cells["n_errors"].to_numpy(dtype=float)
    n = cells["n_audits"].to_numpy(dtype=float)
    site_e = cells.groupby("site")["n_errors"].transform("sum").to_numpy(dtype=float)
    site_n = cells.groupby("site")["n_audits"].transform("sum").to_numpy(dtype=float)
    e, n = np.where(n > 0, e, site_e), np.where(n > 0, n, site_n)
    if np.any((n == 0) & (cells["items_handled"].to_numpy() > 0)):
        bad = cells.loc[(n == 0) & (cells["items_handled"] > 0), "site"].iloc[0]
        raise ValueError(f"site {bad!r} has volume but no audits: its error rate is unknown")
    with np.errstate(invalid="ignore", divide="ignore"):
        return e, n, np.where(n > 0, e / n, 0.0)


def margin_of_error(items: np.ndarray, rate: np.ndarray, audits: np.ndarray,
                    confidence: float = 0.95) -> float:
    """Margin of error of a stratified, volume-weighted error rate estimate.

    ``z sqrt(sum_h W_h**2 p_h (1 - p_h) / a_h (1 - a_h / N_h))`` with ``W_h = N_h / N``:
    the planning formula, with the cells' rates taken as known (Cochran, Sampling
    Techniques eq. 5.6), not the unbiased estimator of a measured month
    (:func:`qa_insights.stats.sampling.stratified_error_rate`); cells without planned audits
    but with volume make it infinite.

    Examples
    --------
    >>> round(margin_of_error(np.array([1e9]), np.array([0.05]), np.array([457])), 4)
    0.02
    """
    items, rate, audits = (np.asarray(a, dtype=float) for a in (items, rate, audits))
    if np.any((items > 0) & (audits <= 0)):
        return float("inf")
    keep = items > 0
    w = items[keep] / items[keep].sum()
    a, p, big_n = audits[keep], rate[keep], items[keep]
    fpc = np.clip(1 - a / big_n, 0.0, 1.0)
    return float(z_value(confidence) * np.sqrt(np.sum(w**2 * p * (1 - p) / a * fpc)))


def project_cells(cells: pd.DataFrame, scenario: pd.DataFrame, *,
                  cost_per_audit: float | None = None,
                  confidence: float = 0.95) -> pd.DataFrame:
    """Compare a scenario with the baseline cells: cost, org error rate, margin of error.

    Parameters
    ----------
    cells : DataFrame
        Baseline: :data:`CELL_COLUMNS`, optionally ``planned_audits`` (default
        ``n_audits``).
    scenario : DataFrame
        The same cells (same order) with new ``items_handled``, ``cost`` and
        ``planned_audits``; ``n_audits`` / ``n_errors`` (the measured rates) unchanged.
    cost_per_audit : float, optional
        Cost of one audit; gives ``audit_cost``.
    confidence : float
        Level of the intervals and margins.

    Returns
    -------
    DataFrame
        :data:`WHATIF_COLUMNS`; rows ``baseline``, ``scenario`` and ``change``.

    Examples
    --------
    See the module docstring.
    """
    e, n, p = _cell_rates(cells)
    z = z_value(confidence)
    rows, weights = [], []
    for name, f in (("baseline", cells), ("scenario", scenario)):
        items = f["items_handled"].to_numpy(dtype=float)
        planned = (f["planned_audits"] if "planned_audits" in f.columns
                   else f["n_audits"]).to_numpy(dtype=float)
        weights.append(items / items.sum())
        est = stratified_error_rate(pd.DataFrame({"items_handled": items, "n_audits": n,
                                                  "n_errors": e}), confidence=confidence)
        audit_cost = planned.sum() * cost_per_audit if cost_per_audit is not None else np.nan
        cost = float(f["cost"].sum())
        rows.append({"scenario": name, "items_handled": items.sum(), "cost": cost,
                     "cost_per_item": cost / items.sum(), "planned_audits": planned.sum(),
                     "audit_cost": audit_cost,
                     "total_cost": cost + (audit_cost if cost_per_audit is not None else 0.0),
                     "error_rate": est["estimate"], "error_ci_low": est["ci_low"],
                     "error_ci_high": est["ci_high"],
                     "margin_of_error": margin_of_error(items, p, planned, confidence)})
    base, scen = rows
    delta = {k: scen[k] - base[k] for k in ("items_handled", "cost", "cost_per_item",
                                            "planned_audits", "audit_cost", "total_cost",
                                            "error_rate", "margin_of_error")}
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(n > 0, p * (1 - p) / n, 0.0)
    half = z * float(np.sqrt(np.sum((weights[1] - weights[0]) ** 2 * var)))
    rows.append({"scenario": "change", **delta,
                 "error_ci_low": delta["error_rate"] - half,
                 "error_ci_high": delta["error_rate"] + half})
    return pd.DataFrame(rows, columns=WHATIF_COLUMNS)


def _check_cells(cells: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in CELL_COLUMNS if c not in cells.columns]
    if missing:
        raise ValueError(f"cells: missing column(s) {missing}")
    if cells.duplicated(["site", "queue"]).any():
        raise ValueError("cells: a site x queue appears twice")
    return cells.reset_index(drop=True)


def move_volume(cells: pd.DataFrame, queue: str, from_site: str, to_site: str,
                share: float, *, cost_per_audit: float | None = None,
                confidence: float = 0.95) -> pd.DataFrame:
    """Move a share of one queue's volume from one site to another (module docstring).

    Parameters
    ----------
    cells : DataFrame
        :data:`CELL_COLUMNS` (:func:`whatif_cells`).
    queue, from_site, to_site : str
        The queue and the two sites.
    share : float
        Share of ``from_site``'s items of ``queue`` moved, in (0, 1].
    cost_per_audit : float, optional
        Cost of one audit (audits follow the volume at each cell's audit rate).
    confidence : float
        Level of the intervals.

    Returns
    -------
    DataFrame
        As :func:`project_cells`; ``attrs`` hold ``moved_items`` and ``new_cell`` (True
        when ``to_site`` did not handle ``queue``: it gets the site's overall cost per
        item, error rate and audit rate).

    Examples
    --------
    See the module docstring.
    """
    if not 0.0 < share <= 1.0:
        raise ValueError(f"share must lie in (0, 1]; got {share}")
    if from_site == to_site:
        raise ValueError("from_site and to_site are the same")
    base = _check_cells(cells)
    base = base.assign(planned_audits=base["n_audits"].astype(float))
    src = (base["site"] == from_site) & (base["queue"] == queue)
    if not src.any() or base.loc[src, "items_handled"].iloc[0] <= 0:
        raise ValueError(f"{from_site!r} handles no items of queue {queue!r}")
    if not (base["site"] == to_site).any():
        raise ValueError(f"unknown site {to_site!r}")
    dst = (base["site"] == to_site) & (base["queue"] == queue)
    new_cell = not dst.any()
    if new_cell:
        site = base[base["site"] == to_site]
        site_e, site_n = site["n_errors"].sum(), site["n_audits"].sum()
        base = pd.concat([base, pd.DataFrame([{
            "site": to_site, "queue": queue, "items_handled": 0, "cost": 0.0,
            "n_audits": 0, "n_errors": 0, "planned_audits": 0.0}])], ignore_index=True)
        src = pd.concat([src, pd.Series([False])], ignore_index=True)
        dst = (base["site"] == to_site) & (base["queue"] == queue)
        unit_cost = site["cost"].sum() / site["items_handled"].sum()
        audit_rate = site_n / site["items_handled"].sum()
        rate_cells = base.copy()
        rate_cells.loc[dst, ["n_audits", "n_errors"]] = [site_n, site_e]
    else:
        d = base[dst].iloc[0]
        unit_cost = d["cost"] / d["items_handled"] if d["items_handled"] > 0 else \
            base.loc[base["site"] == to_site, "cost"].sum() / \
            base.loc[base["site"] == to_site, "items_handled"].sum()
        audit_rate = d["n_audits"] / d["items_handled"] if d["items_handled"] > 0 else 0.0
        rate_cells = base
    s = base[src].iloc[0]
    moved = share * float(s["items_handled"])
    scen = base.copy()
    scen["items_handled"] = scen["items_handled"].astype(float)
    scen.loc[src, "items_handled"] = s["items_handled"] - moved
    scen.loc[src, "cost"] = s["cost"] * (1.0 - share)
    scen.loc[src, "planned_audits"] = s["n_audits"] * (1.0 - share)
    scen.loc[dst, "items_handled"] += moved
    scen.loc[dst, "cost"] += moved * unit_cost
    scen.loc[dst, "planned_audits"] += moved * audit_rate
    out = project_cells(rate_cells, scen.assign(n_audits=rate_cells["n_audits"],
                                                n_errors=rate_cells["n_errors"]),
                        cost_per_audit=cost_per_audit, confidence=confidence)
    out.attrs.update(moved_items=moved, new_cell=new_cell)
    return out


def change_audit_rate(cells: pd.DataFrame, *, factor: float | None = None,
                      audits_per_1000: float | None = None,
                      sites: Sequence[str] | None = None,
                      cost_per_audit: float | None = None,
                      confidence: float = 0.95) -> pd.DataFrame:
    """Change how many decisions are audited: effect on audit cost and margin of error.

    Parameters
    ----------
    cells : DataFrame
        :data:`CELL_COLUMNS`.
    factor : float, optional
        Multiply the audits of the chosen cells (0.5: half the audits).
    audits_per_1000 : float, optional
        Or set the chosen cells' audit rate per 1,000 items handled.
    sites : sequence of str, optional
        Cells changed (default: all).
    cost_per_audit : float, optional
        Cost of one audit.
    confidence : float
        Level of the intervals and margins.

    Returns
    -------
    DataFrame
        As :func:`project_cells` (volume, cost and the error-rate estimate stay; the
        planned audits, audit cost and margin of error change).

    Examples
    --------
    >>> cells = pd.DataFrame({"site": ["a"], "queue": "q", "items_handled": [1_000_000],
    ...     "cost": [1.0], "n_audits": [1825], "n_errors": [91]})
    >>> w = change_audit_rate(cells, factor=0.25, cost_per_audit=4.0)
    >>> w[["planned_audits", "audit_cost"]].round(2).values.tolist()
    [[1825.0, 7300.0], [456.25, 1825.0], [-1368.75, -5475.0]]
    """
    if (factor is None) == (audits_per_1000 is None):
        raise ValueError("give exactly one of factor and audits_per_1000")
    base = _check_cells(cells)
    chosen = base["site"].isin(list(sites)) if sites is not None else \
        pd.Series(True, index=base.index)
    planned = base["n_audits"].astype(float)
    if factor is not None:
        if factor < 0:
            raise ValueError("factor must be >= 0")
        new = planned * factor
    else:
        assert audits_per_1000 is not None  # exactly one of the two is given (checked above)
        if audits_per_1000 < 0:
            raise ValueError("audits_per_1000 must be >= 0")
        new = base["items_handled"].astype(float) * audits_per_1000 / 1000.0
    scen = base.assign(planned_audits=np.where(chosen, new, planned))
    return project_cells(base, scen, cost_per_audit=cost_per_audit, confidence=confidence)


def from_measured(whatif: pd.DataFrame, error_rate: float, ci_low: float,
                  ci_high: float) -> pd.DataFrame:
    """A what-if with its baseline error rate as the report measured it.

    :func:`project_cells` estimates the org error rate volume-weighted over site x queue
    cells, which differs a little from the month's audit-sample rate the rest of a report
    quotes (:func:`qa_insights.quality.metrics.quality_summary`). So that a reader sees one
    number for this month's error rate, the baseline row takes the measured rate and its
    interval, and the scenario row is that plus the projected change (its interval shifted
    by the change); the ``change`` row, the costs, audits and margins stay as projected.

    Parameters
    ----------
    whatif : DataFrame
        A :func:`move_volume` or :func:`change_audit_rate` result.
    error_rate, ci_low, ci_high : float
        The month's measured error rate and its 95% interval.

    Returns
    -------
    DataFrame
        ``whatif`` with the error-rate columns of ``baseline`` and ``scenario`` replaced.

    Examples
    --------
    >>> w = pd.DataFrame({"scenario": ["baseline", "scenario", "change"],
    ...     "error_rate": [0.0475, 0.0480, 0.0005], "error_ci_low": [0.040, 0.041, 0.0001],
    ...     "error_ci_high": [0.056, 0.057, 0.0009]})
    >>> from_measured(w, 0.0469, 0.0400, 0.0549).round(4).values.tolist()
    [['baseline', 0.0469, 0.04, 0.0549], ['scenario', 0.0474, 0.0405, 0.0554], ['change', 0.0005, 0.0001, 0.0009]]
    """
    out = whatif.copy()
    delta = float(out.loc[out["scenario"] == "change", "error_rate"].iloc[0])
    for name, shift in (("baseline", 0.0), ("scenario", delta)):
        row = out["scenario"] == name
        out.loc[row, ["error_rate", "error_ci_low", "error_ci_high"]] = \
            [error_rate + shift, ci_low + shift, ci_high + shift]
    return out
