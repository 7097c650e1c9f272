"""Cascade an org target to units (sites, queues, markets) so that the units add up to it.

Each unit ``i`` has a volume weight ``w_i`` (items handled, or audits) and a current level
``c_i``; the org value is the volume-weighted mean ``sum_i w_i x_i / sum_i w_i``. The
cascade gives every unit a target ``t_i`` with

    ``sum_i w_i t_i / sum_i w_i = T`` (the org target, exactly up to rounding),

so the org meets ``T`` exactly when every unit meets its own target (and exceeds it when
every unit exceeds its own). Targets move from the current levels along an improvement
profile ``d_i`` by a common amount ``theta``, clipped to each unit's floor and ceiling:

    ``t_i = clip(c_i + theta * s * d_i, floor_i, ceiling_i)``,   ``s = +1`` (higher is
    better) or ``-1`` (lower is better),

* ``method="equal"``: ``d_i = 1``, every unit improves by the same amount;
* ``method="gap"``: ``d_i = |benchmark - c_i|`` on the bad side of the benchmark (0 for
  units at or beyond it), units further from the benchmark improve more (each closes the
  same share ``theta`` of its gap). The benchmark defaults to the best current level.

The weighted mean of the clipped targets is non-decreasing and piecewise linear in
``theta``; :func:`cascade_target` finds ``theta`` exactly between the breakpoints where
units hit a floor or ceiling, so units held at a bound pass their share to the others.

Examples
--------
>>> units = pd.DataFrame({"scope_value": ["a", "b"], "weight": [300.0, 100.0],
...                       "current": [0.96, 0.92]})
>>> c = cascade_target(units, 0.96, metric="accuracy", scope="site", month="2026-11")
>>> c[["scope_value", "target"]].round(4).values.tolist()
[['a', 0.97], ['b', 0.93]]
>>> g = cascade_target(units, 0.96, method="gap", metric="accuracy", scope="site",
...                    month="2026-11")
>>> g[["scope_value", "target"]].round(4).values.tolist()
[['a', 0.96], ['b', 0.96]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qa_insights.business.actuals import METRICS
from qa_insights.business.targets import DIRECTIONS

__all__ = ["CASCADE_METHODS", "cascade_target", "solve_cascade"]

#: Cascade methods.
CASCADE_METHODS: tuple[str, ...] = ("equal", "gap")


def _weighted(theta: float, c: np.ndarray, d: np.ndarray, lo: np.ndarray, hi: np.ndarray,
              w: np.ndarray) -> float:
    return float(np.sum(w * np.clip(c + theta * d, lo, hi)))


def solve_cascade(current: np.ndarray, profile: np.ndarray, floor: np.ndarray,
                  ceiling: np.ndarray, weight: np.ndarray, total: float) -> np.ndarray:
    """Targets ``clip(current + theta * profile, floor, ceiling)`` whose weighted sum is
    ``total`` (the "higher is better" form; negate everything for lower is better).

    Parameters
    ----------
    current, profile, floor, ceiling, weight : ndarray
        Per unit; ``profile >= 0``, ``weight > 0``, ``floor <= ceiling`` (infinite bounds
        allowed).
    total : float
        Required ``sum(weight * target)``.

    Returns
    -------
    ndarray
        The targets.

    Raises
    ------
    ValueError
        ``total`` is out of reach within the bounds (the message gives the reachable
        range as a weighted mean).

    Examples
    --------
    >>> solve_cascade(np.array([1.0, 2.0]), np.ones(2), np.full(2, -np.inf),
    ...               np.array([np.inf, 2.5]), np.ones(2), 5.0).tolist()
    [2.5, 2.5]
    """
    c, d, lo, hi, w = (np.asarray(a, dtype=float) for a in (current, profile, floor,
                                                             ceiling, weight))
    # Breakpoints of the piecewise-linear weighted sum: where a moving unit hits a bound.
    moving = d > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        bps = np.concatenate([(lo[moving] - c[moving]) / d[moving],
                              (hi[moving] - c[moving]) / d[moving]])
    bps = np.unique(bps[np.isfinite(bps)])
    fixed_low = float(np.sum(w * np.where(moving, lo, np.clip(c, lo, hi))))
    fixed_high = float(np.sum(w * np.where(moving, hi, np.clip(c, lo, hi))))
    if not fixed_low - 1e-12 * abs(total) <= total <= fixed_high + 1e-12 * abs(total):
        sw = w.sum()
        raise ValueError(f"target {total / sw:.6g} is out of reach within the floors and "
                         f"ceilings: reachable {fixed_low / sw:.6g} .. {fixed_high / sw:.6g}")
    # Bracket theta between consecutive breakpoints (or beyond the outermost ones).
    grid = np.concatenate([[bps[0] - 1.0] if len(bps) else [-1.0], bps,
                           [bps[-1] + 1.0] if len(bps) else [1.0]])
    values = np.array([_weighted(t, c, d, lo, hi, w) for t in grid])
    k = int(np.searchsorted(values, total, side="left"))
    k = min(max(k, 1), len(grid) - 1)
    a, b = grid[k - 1], grid[k]
    # On [a, b] the free units (strictly inside their bounds at the midpoint) move linearly;
    # solve for theta from the free units alone (no cancellation against large a, b).
    mid = c + 0.5 * (a + b) * d
    free = moving & (mid > lo) & (mid < hi)
    slope = float(np.sum(w[free] * d[free]))
    held = float(np.sum(w[~free] * np.clip(mid[~free], lo[~free], hi[~free])))
    theta = a if slope == 0 else (total - held - float(np.sum(w[free] * c[free]))) / slope
    target = np.clip(c + theta * d, lo, hi)
    # Put the rounding residual on the free units, keeping the weighted sum exact.
    residual = total - float(np.sum(w * target))
    if slope > 0 and residual != 0:
        target[free] = np.clip(target[free] + residual / w[free].sum(), lo[free], hi[free])
    return target


def _bound(units: pd.DataFrame, column: str, value: float | None, default: float) -> np.ndarray:
    if column in units.columns:
        return units[column].fillna(default).to_numpy(dtype=float)
    return np.full(len(units), default if value is None else float(value))


def cascade_target(units: pd.DataFrame, org_target: float, *, method: str = "equal",
                   metric: str = "accuracy", scope: str = "site", month: str = "",
                   direction: str | None = None, benchmark: float | None = None,
                   floor: float | None = None, ceiling: float | None = None) -> pd.DataFrame:
    """Cascade an org target to units so the volume-weighted result meets it exactly.

    Parameters
    ----------
    units : DataFrame
        One row per unit: ``scope_value``, ``weight`` (volume, > 0), ``current`` (level
        the targets start from); optional ``floor`` / ``ceiling`` columns give per-unit
        bounds (NaN: the scalar bound, or none).
    org_target : float
        The org target ``T`` (a weighted mean).
    method : {"equal", "gap"}
        Improvement profile (module docstring).
    metric, scope, month : str
        Written into the result (contract ``targets`` columns).
    direction : str, optional
        Default: the metric's direction (:data:`qa_insights.business.actuals.METRICS`).
    benchmark : float, optional
        The ``gap`` method's benchmark (default: the best current level).
    floor, ceiling : float, optional
        Bounds of every unit's target (e.g. ceiling 0.995 on accuracy, floor 0 on rates).

    Returns
    -------
    DataFrame
        Contract columns ``metric, scope, scope_value, month, target, direction``, then
        ``method`` (a sentence), ``current``, ``weight``, ``improvement`` (target -
        current), ``at_bound`` (``"floor"``, ``"ceiling"`` or ``""``). ``attrs`` hold
        ``org_target``, ``org_current`` and ``theta``-free check ``org_of_targets``.

    Raises
    ------
    ValueError
        Bad inputs, or an org target out of reach within the bounds.

    Examples
    --------
    Lower is better, with a floor: unit ``a`` cannot go below 40 s, ``b`` takes the rest.

    >>> u = pd.DataFrame({"scope_value": ["a", "b"], "weight": [1.0, 1.0],
    ...                   "current": [45.0, 60.0]})
    >>> c = cascade_target(u, 45.0, metric="handle_time_s", floor=40.0)
    >>> c[["scope_value", "target", "at_bound"]].values.tolist()
    [['a', 40.0, 'floor'], ['b', 50.0, '']]
    """
    if method not in CASCADE_METHODS:
        raise ValueError(f"method must be one of {CASCADE_METHODS}; got {method!r}")
    if direction is None:
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}: give direction")
        direction = METRICS[metric].direction
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}; got {direction!r}")
    missing = [c for c in ("scope_value", "weight", "current") if c not in units.columns]
    if missing:
        raise ValueError(f"units: missing column(s) {missing}")
    w = units["weight"].to_numpy(dtype=float)
    c = units["current"].to_numpy(dtype=float)
    if len(units) == 0 or not np.all(w > 0) or not np.all(np.isfinite(c)):
        raise ValueError("units need at least one row, weights > 0 and finite current levels")
    lo = _bound(units, "floor", floor, -np.inf)
    hi = _bound(units, "ceiling", ceiling, np.inf)
    if np.any(lo > hi):
        raise ValueError("a floor is above its ceiling")
    s = 1.0 if direction == "higher_is_better" else -1.0
    # Work in "higher is better" space: x -> s * x (bounds swap when s = -1).
    cs, los, his = s * c, np.where(s > 0, lo, -hi), np.where(s > 0, hi, -lo)
    if method == "equal":
        profile = np.ones_like(cs)
        label = "equal improvement"
    else:
        b = float(np.max(cs)) if benchmark is None else s * float(benchmark)
        profile = np.maximum(b - cs, 0.0)
        label = f"gap-proportional to benchmark {s * b:.4g}"
    targets = s * solve_cascade(cs, profile, los, his, w, s * float(org_target) * w.sum())
    at_bound = np.where(np.isclose(targets, lo, rtol=0, atol=1e-12) & np.isfinite(lo), "floor",
                        np.where(np.isclose(targets, hi, rtol=0, atol=1e-12) & np.isfinite(hi),
                                 "ceiling", ""))
    out = pd.DataFrame({
        "metric": metric, "scope": scope, "scope_value": units["scope_value"].astype(str),
        "month": month, "target": targets, "direction": direction,
        "method": f"cascade of org target {org_target:.4g} ({label}, weighted by volume)",
        "current": c, "weight": w, "improvement": targets - c, "at_bound": at_bound})
    out.attrs.update(org_target=float(org_target),
                     org_current=float(np.sum(w * c) / w.sum()),
                     org_of_targets=float(np.sum(w * targets) / w.sum()))
    return out.reset_index(drop=True)
