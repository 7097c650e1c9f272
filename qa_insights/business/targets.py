"""Target attainment: actual vs target per scope and month, streaks, month-end projection.

Status is decided with the interval of the actual value, not the point estimate alone:

* ``met``: the whole interval is on the good side of the target (or on it); a target of
  0 on a lower-is-better metric (no critical errors), which no interval of a zero count
  can clear, is met by an actual of exactly 0;
* ``missed``: the whole interval is on the bad side;
* ``at risk``: the interval straddles the target, whichever side the point is on;
* ``no data``: no actual value for that scope and month.

A metric without an interval (cost per item, an accounting total; see
:mod:`qa_insights.business.actuals`) is ``met`` or ``missed`` on its value. ``point_meets`` tells
which side the point estimate is on, so a report can say "above target, not yet
significantly". ``streak`` counts the consecutive calendar months, up to and including the
row's month, with the same status.

The month-end projection assumes the rest of the month runs like the month to date:
the projected value is the month-to-date value; the expected number of remaining audits
is ``m = n (D - d) / d`` (``d`` days elapsed of ``D``, rounded); ``ci_low``/``ci_high``
are a prediction interval of the month-end value, covering both the uncertain rate of the
rest of the month and its sampling noise. For a proportion, the rest of the month's count
is beta-binomial (Jeffreys posterior ``Beta(x + 1/2, n - x + 1/2)`` of the rate, then
``m`` audits), exact for zero counts; for a mean, the t prediction with variance
``sd**2 m / (n (n + m))``. Both collapse to the month-to-date value once the month is
complete. ``status`` is the status the month would end with at that rate and that many
audits (the Wilson or t interval at ``n + m``).

Examples
--------
>>> attainment_status([0.97, 0.97, 0.93], [0.955, 0.945, 0.91], [0.98, 0.985, 0.945],
...                   [0.95, 0.95, 0.95], "higher_is_better").tolist()
['met', 'at risk', 'missed']
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from qa_insights.business.actuals import METRICS, SCOPES, metric_actuals
from qa_insights.data.months import MONTH_PATTERN
from qa_insights.stats.proportions import wilson_interval

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = [
    "ATTAINMENT_COLUMNS",
    "DIRECTIONS",
    "GIVEN_METHOD",
    "STATUSES",
    "attainment",
    "attainment_status",
    "month_end_projection",
    "month_index",
    "open_month_day",
    "project_month_end",
    "store_targets",
    "streaks",
    "target_attainment",
]

#: Possible statuses, best first.
STATUSES: tuple[str, ...] = ("met", "at risk", "missed", "no data")

#: Allowed target directions.
DIRECTIONS: tuple[str, ...] = ("higher_is_better", "lower_is_better")

#: Leading columns of :func:`target_attainment` (the MBR table), in order.
ATTAINMENT_COLUMNS: list[str] = ["metric", "scope", "scope_value", "month", "actual", "ci_low",
                                 "ci_high", "target", "status", "direction", "n", "gap",
                                 "point_meets", "streak", "interval", "method"]

#: ``method`` of a target that does not say how it was set (the input table's own).
GIVEN_METHOD = "given"

_TARGET_COLUMNS = ["metric", "scope", "scope_value", "month", "target", "direction"]
_KEY = ["metric", "scope", "scope_value", "month"]


def month_index(months: ArrayLike) -> np.ndarray:
    """Months 'YYYY-MM' as consecutive integers (``12 * year + month - 1``).

    Examples
    --------
    >>> month_index(["2025-12", "2026-01"]).tolist()
    [24311, 24312]
    """
    s = pd.Series(np.asarray(months, dtype=str))
    bad = ~s.str.fullmatch(MONTH_PATTERN)
    if bad.any():
        raise ValueError(f"months must be 'YYYY-MM'; got {s[bad].iloc[0]!r}")
    return (s.str[:4].astype(int) * 12 + s.str[5:7].astype(int) - 1).to_numpy()


def _direction_sign(direction: ArrayLike) -> np.ndarray:
    d = np.asarray(direction, dtype=object)
    bad = ~np.isin(d, DIRECTIONS)
    if bad.any():
        raise ValueError(f"direction must be one of {DIRECTIONS}; got {d[bad][0]!r}")
    return np.where(d == "higher_is_better", 1.0, -1.0)


def attainment_status(actual: ArrayLike, ci_low: ArrayLike, ci_high: ArrayLike,
                      target: ArrayLike, direction: ArrayLike | str) -> np.ndarray:
    """Status of actual values against targets, decided with their intervals.

    Parameters
    ----------
    actual, ci_low, ci_high : array_like
        Actual values and their interval; NaN bounds mean "no interval" (the value
        itself decides), a NaN actual gives ``"no data"``.
    target : array_like
        Targets (broadcast).
    direction : array_like or str
        ``"higher_is_better"`` or ``"lower_is_better"`` (broadcast).

    Returns
    -------
    ndarray of str
        One of :data:`STATUSES` per value (see the module docstring).

    Examples
    --------
    >>> attainment_status([0.004, 0.31], [0.001, float("nan")], [0.006, float("nan")],
    ...                   [0.004, 0.30], "lower_is_better").tolist()
    ['at risk', 'missed']
    >>> attainment_status([0.0, 0.001], [0.0, 0.0002], [0.004, 0.0056], 0.0,
    ...                   "lower_is_better").tolist()
    ['met', 'missed']
    """
    a, lo, hi, t = np.broadcast_arrays(*(np.asarray(v, dtype=float)
                                          for v in (actual, ci_low, ci_high, target)))
    sign = np.broadcast_to(_direction_sign(np.broadcast_to(np.asarray(direction, dtype=object),
                                                           a.shape)), a.shape)
    lo, hi = np.where(np.isnan(lo), a, lo), np.where(np.isnan(hi), a, hi)
    worst = np.where(sign > 0, lo, hi)
    best = np.where(sign > 0, hi, lo)
    # A zero target on a lower-is-better metric (no critical errors) cannot be beaten, and
    # the interval of a zero count still reaches above 0: an actual of exactly 0 meets it.
    unbeatable = (sign < 0) & (t == 0) & (a == 0)
    status = np.where((sign * (worst - t) >= 0) | unbeatable, "met",
                      np.where(sign * (best - t) < 0, "missed", "at risk"))
    return np.where(np.isnan(a) | np.isnan(t), "no data", status).astype(object)


def streaks(frame: pd.DataFrame, key: Sequence[str] = ("metric", "scope", "scope_value"),
            *, month: str = "month", status: str = "status") -> np.ndarray:
    """Length of the run of equal status, in consecutive months, ending at each row.

    Parameters
    ----------
    frame : DataFrame
        One row per ``key`` x ``month`` with a ``status`` column.
    key : sequence of str
        Columns identifying a series.
    month, status : str
        Column names.

    Returns
    -------
    ndarray of int
        In the order of ``frame``'s rows; a missing month breaks a run.

    Examples
    --------
    >>> f = pd.DataFrame({"metric": "accuracy", "month": ["2026-01", "2026-02", "2026-04"],
    ...                   "status": ["missed", "missed", "missed"]})
    >>> streaks(f, ["metric"]).tolist()
    [1, 2, 1]
    """
    key = list(key)
    if frame.empty:
        return np.zeros(0, dtype=int)
    f = frame[key + [status]].copy()
    f["_m"] = month_index(frame[month])
    f["_pos"] = np.arange(len(f))
    f = f.sort_values(key + ["_m"], kind="stable")
    same_series = (f[key].shift() == f[key]).all(axis=1).to_numpy()
    new_run = ~(same_series & (f["_m"].diff() == 1).to_numpy()
                & (f[status].shift() == f[status]).to_numpy())
    run = np.cumsum(new_run)
    f["_streak"] = pd.Series(1, index=f.index).groupby(run).cumsum().to_numpy()
    return f.sort_values("_pos")["_streak"].to_numpy()


def _normalise_targets(targets: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in _TARGET_COLUMNS if c not in targets.columns]
    if missing:
        raise ValueError(f"targets: missing column(s) {missing}; expected {_TARGET_COLUMNS}")
    t = targets.copy()
    t["scope_value"] = t["scope_value"].fillna("").astype(str)
    t["target"] = pd.to_numeric(t["target"], errors="raise").astype(float)
    t["method"] = _methods(t)
    _direction_sign(t["direction"])
    if t.duplicated(_KEY).any():
        raise ValueError(f"targets: {t.loc[t.duplicated(_KEY), _KEY].iloc[0].tolist()} "
                         "has more than one target")
    return t


def _methods(targets: pd.DataFrame) -> pd.Series:
    """The ``method`` column, :data:`GIVEN_METHOD` where absent or blank."""
    if "method" not in targets.columns:
        return pd.Series(GIVEN_METHOD, index=targets.index, dtype=object)
    text = targets["method"].astype(object).where(targets["method"].notna(), "")
    text = text.astype(str).str.strip()
    return text.where(text != "", GIVEN_METHOD)


def attainment(actuals: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Join targets with actual values and decide the status of each (pure).

    Parameters
    ----------
    actuals : DataFrame
        As :func:`qa_insights.business.actuals.metric_actuals`: ``metric, scope, scope_value,
        month, actual, ci_low, ci_high, n`` (``interval`` optional).
    targets : DataFrame
        Contract ``targets`` rows: ``metric, scope, scope_value, month, target,
        direction``, optionally ``method`` (how the target was set; absent or blank:
        :data:`GIVEN_METHOD`); other extra columns are kept at the end.

    Returns
    -------
    DataFrame
        One row per target, columns :data:`ATTAINMENT_COLUMNS` then the targets' other
        extra columns: ``gap = actual - target``, ``point_meets`` (the point estimate is on the
        good side), ``streak`` (months in a row with this status). Sorted by metric, scope
        (org, site, queue, market), scope value and month.

    Examples
    --------
    >>> a = pd.DataFrame({"metric": "accuracy", "scope": "org", "scope_value": "",
    ...                   "month": ["2026-09", "2026-10"], "actual": [0.96, 0.97],
    ...                   "ci_low": [0.955, 0.965], "ci_high": [0.965, 0.975], "n": 3000})
    >>> t = a[["metric", "scope", "scope_value", "month"]].assign(
    ...     target=0.96, direction="higher_is_better")
    >>> attainment(a, t)[["month", "status", "streak"]].values.tolist()
    [['2026-09', 'at risk', 1], ['2026-10', 'met', 1]]
    """
    t = _normalise_targets(targets)
    extra = [c for c in t.columns if c not in _TARGET_COLUMNS and c not in ATTAINMENT_COLUMNS]
    a = actuals.copy()
    a["scope_value"] = a["scope_value"].fillna("").astype(str)
    if "interval" not in a.columns:
        a["interval"] = np.where(a["ci_low"].isna(), "none", "given")
    out = t.merge(a[_KEY + ["actual", "ci_low", "ci_high", "n", "interval"]], on=_KEY,
                  how="left", validate="one_to_one")
    sign = _direction_sign(out["direction"])
    out["status"] = attainment_status(out["actual"], out["ci_low"], out["ci_high"],
                                      out["target"], out["direction"])
    out["gap"] = out["actual"] - out["target"]
    out["point_meets"] = (sign * out["gap"] >= 0) & out["actual"].notna()
    out["streak"] = streaks(out) if len(out) else []
    order = {s: i for i, s in enumerate(SCOPES)}
    out = out.assign(_s=out["scope"].map(order).fillna(len(order)))
    out = out.sort_values(["metric", "_s", "scope_value", "month"], kind="stable")
    return out[ATTAINMENT_COLUMNS + extra].reset_index(drop=True)


def store_targets(store: Store) -> pd.DataFrame:
    """The store's ``targets`` table (empty with the contract columns when absent).

    ``method`` says how each target was set, as the input file gives it (e.g. the
    ``method`` written by :mod:`qa_insights.business.target_setting`); :data:`GIVEN_METHOD` where
    the file has no ``method`` column or leaves it blank.

    Examples
    --------
    >>> store_targets(store).columns.tolist()                       # doctest: +SKIP
    ['metric', 'scope', 'scope_value', 'month', 'target', 'direction', 'method']
    """
    out = store.query(f"SELECT {', '.join(_TARGET_COLUMNS)}, method FROM targets "
                      "ORDER BY metric, scope, scope_value, month")
    out["scope_value"] = out["scope_value"].fillna("").astype(str)
    out["method"] = _methods(out)
    return out


def target_attainment(store: Store, months: str | Sequence[str] | None = None, *,
                      targets: pd.DataFrame | None = None,
                      confidence: float = 0.95) -> pd.DataFrame:
    """The MBR's target attainment table: actual vs target per metric, scope and month.

    Parameters
    ----------
    store : Store
        Open store.
    months : str or sequence of str, optional
        Months to report (all target months when None). Streaks look back over every
        earlier target month.
    targets : DataFrame, optional
        Targets to check (default: the store's ``targets`` table), e.g. the output of
        :func:`qa_insights.business.cascade.cascade_target`.
    confidence : float
        Level of the intervals deciding the status.

    Returns
    -------
    DataFrame
        Columns ``metric, scope, scope_value, month, actual, ci_low, ci_high, target,
        status``, then ``direction, n, gap, point_meets, streak, interval, method`` (see
        :func:`attainment`). Metrics without a computable actual (an unknown name, cost
        by market) have ``status = "no data"``.

    Examples
    --------
    >>> ta = target_attainment(store, "2026-08")                      # doctest: +SKIP
    >>> ta.query("scope == 'site' and status == 'missed'")            # doctest: +SKIP
    """
    t = store_targets(store) if targets is None else _normalise_targets(targets)
    if months is not None:
        wanted = [months] if isinstance(months, str) else list(months)
        last = month_index(wanted).max()
        t = t[month_index(t["month"]) <= last] if len(t) else t
    metrics = [m for m in METRICS if m in set(t["metric"])]
    scopes = [s for s in SCOPES if s in set(t["scope"])]
    if metrics and scopes:
        actuals = metric_actuals(store, sorted(set(t["month"])), metrics=metrics,
                                 scopes=scopes, confidence=confidence)
    else:
        actuals = pd.DataFrame(columns=_KEY + ["actual", "ci_low", "ci_high", "n"])
    out = attainment(actuals, t)
    if months is not None:
        out = out[out["month"].isin(wanted)].reset_index(drop=True)
    return out


def project_month_end(to_date: pd.DataFrame, days_elapsed: int, days_in_month: int, *,
                      confidence: float = 0.95) -> pd.DataFrame:
    """Project month-to-date actual values to the end of the month (pure).

    Parameters
    ----------
    to_date : DataFrame
        Month-to-date actual values as :func:`qa_insights.business.actuals.metric_actuals` gives
        them: ``metric, actual, n, successes, sd, interval`` (``"wilson"`` rows need
        ``successes``, ``"t"`` rows ``sd``; rows with ``"none"`` are not projected) plus
        any key columns.
    days_elapsed, days_in_month : int
        Days of data so far and days in the month (``1 <= days_elapsed <= days_in_month``).
    confidence : float
        Level of the intervals.

    Returns
    -------
    DataFrame
        The key columns, then ``n_to_date, actual_to_date, projected_n, projected,
        ci_low, ci_high`` (prediction interval of the month-end value) and
        ``month_end_ci_low, month_end_ci_high`` (the interval the month would end with:
        Wilson or t at ``projected_n``), see the module docstring.

    Examples
    --------
    >>> mtd = pd.DataFrame({"metric": ["accuracy"], "actual": [0.95], "n": [1000.0],
    ...                     "successes": [950.0], "sd": [0.95 ** 0.5 * 0.05 ** 0.5],
    ...                     "interval": ["wilson"]})
    >>> p = project_month_end(mtd, 10, 30)
    >>> int(p.projected_n[0]), round(float(p.ci_low[0]), 3), round(float(p.ci_high[0]), 3)
    (3000, 0.938, 0.96)
    """
    if not 1 <= days_elapsed <= days_in_month:
        raise ValueError(f"need 1 <= days_elapsed <= days_in_month; got {days_elapsed}, "
                         f"{days_in_month}")
    f = to_date[to_date["interval"].isin(["wilson", "t"])].reset_index(drop=True)
    n = f["n"].to_numpy(dtype=float)
    p = f["actual"].to_numpy(dtype=float)
    sd = f["sd"].to_numpy(dtype=float)
    m = np.round(n * (days_in_month - days_elapsed) / days_elapsed)
    total = n + m
    is_prop = (f["interval"] == "wilson").to_numpy()
    tail = (1 - confidence) / 2
    # Proportions: Jeffreys posterior of the rate, beta-binomial count of the rest of the
    # month (exact for zero counts); means: t prediction of the rest of the month's mean.
    x = np.where(is_prop, f["successes"].to_numpy(dtype=float) if "successes" in f else np.nan,
                 0.0)
    a, b = x + 0.5, n - x + 0.5
    with np.errstate(invalid="ignore", divide="ignore"):
        y_low = stats.betabinom.ppf(tail, m, a, b)
        y_high = stats.betabinom.ppf(1 - tail, m, a, b)
        df = np.where(n >= 2, n - 1, np.nan)
        t_q = stats.t.ppf(1 - tail, df)
        half = t_q * sd * np.sqrt(m / (n * total))
        t_half = t_q * sd / np.sqrt(total)
    low = np.where(is_prop, (x + np.where(m > 0, y_low, 0)) / total, p - half)
    high = np.where(is_prop, (x + np.where(m > 0, y_high, 0)) / total, p + half)
    w_low, w_high = wilson_interval(np.where(is_prop, p * total, 0.0), total, confidence)
    keep = [c for c in f.columns if c not in ("actual", "ci_low", "ci_high", "n", "successes",
                                              "sd", "interval")]
    out = f[keep].copy()
    out["n_to_date"] = n
    out["actual_to_date"] = p
    out["projected_n"] = np.round(total)
    out["projected"] = p
    out["ci_low"], out["ci_high"] = low, high
    out["month_end_ci_low"] = np.where(is_prop, w_low, p - t_half)
    out["month_end_ci_high"] = np.where(is_prop, w_high, p + t_half)
    out["interval"] = f["interval"].to_numpy()
    return out


def open_month_day(store: Store, month: str) -> str | None:
    """The last day with audits of ``month`` while the month is still open, else None.

    A month is closed once it has audits on its last day or a later month has audits: a
    month-end projection then projects nothing (the month's actual values are known).

    Raises
    ------
    ValueError
        ``month`` has no audits.

    Examples
    --------
    >>> open_month_day(store, "2026-10") is None                        # doctest: +SKIP
    True
    """
    days = store.query("SELECT CAST(MAX(audited_at) AS DATE) AS last_day, "
                       "(SELECT MAX(month) FROM audits) AS latest FROM audits WHERE month = ?",
                       [month])
    if days.empty or pd.isna(days["last_day"].iloc[0]):
        raise ValueError(f"no audits in {month}: nothing to project")
    last = pd.Timestamp(days["last_day"].iloc[0])
    if str(days["latest"].iloc[0]) > month or last.day == last.days_in_month:
        return None
    return last.strftime("%Y-%m-%d")


def month_end_projection(store: Store, as_of: str, *, scopes: Sequence[str] = ("org",),
                         metrics: Sequence[str] = ("accuracy", "critical_error_rate",
                                                   "calibration_accuracy", "handle_time_s"),
                         targets: pd.DataFrame | None = None,
                         confidence: float = 0.95) -> pd.DataFrame:
    """Month-end projection of the month containing ``as_of`` from month-to-date data.

    Parameters
    ----------
    store : Store
        Open store.
    as_of : str
        Last day of data, ``'YYYY-MM-DD'`` (inclusive).
    scopes, metrics : sequence of str
        As :func:`qa_insights.business.actuals.metric_actuals` (cost per item, monthly data, is
        never projected).
    targets : DataFrame, optional
        Targets (default: the store's table) for ``target`` and ``status``.
    confidence : float
        Level of the intervals.

    Returns
    -------
    DataFrame
        ``metric, scope, scope_value, month, as_of, days_elapsed, days_in_month``, the
        columns of :func:`project_month_end`, then ``target, direction, status``
        (projected status: the status of the month-end interval at the month-to-date
        rate; ``"no data"`` without a target).

    Examples
    --------
    >>> month_end_projection(store, "2026-10-10")                      # doctest: +SKIP
    """
    day = pd.Timestamp(as_of)
    month = f"{day.year:04d}-{day.month:02d}"
    days_in_month = calendar.monthrange(day.year, day.month)[1]
    cut = (day + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    mtd = metric_actuals(store, month, metrics=[m for m in metrics if m != "cost_per_item"],
                         scopes=scopes, confidence=confidence, before=cut)
    out = project_month_end(mtd, day.day, days_in_month, confidence=confidence)
    out.insert(4, "as_of", day.strftime("%Y-%m-%d"))
    out.insert(5, "days_elapsed", day.day)
    out.insert(6, "days_in_month", days_in_month)
    t = store_targets(store) if targets is None else _normalise_targets(targets)
    out = out.merge(t[_TARGET_COLUMNS], on=_KEY, how="left")
    has_target = out["target"].notna().to_numpy()
    status = np.full(len(out), "no data", dtype=object)
    if has_target.any():
        sub = out[has_target]
        status[has_target] = attainment_status(sub["projected"], sub["month_end_ci_low"],
                                               sub["month_end_ci_high"], sub["target"],
                                               sub["direction"])
    out["status"] = status
    return out
