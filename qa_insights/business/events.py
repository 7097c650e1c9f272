"""Before/after readouts of the optional ``events`` table (a retraining, a new guideline,
a tool or vendor change, on the organisation, a site, a queue or a market).

Each event is read out on the monthly error rate of its scope:

* **Periods.** The *after* period starts in the event's month when the event falls on or
  before the 15th, else in the next month (:func:`first_after_month`), and runs to the
  report's month; the *before* period is the ``pre_months`` months before it (months
  without audits left out).
* **Change.** The scope's error rate after against before, with the interval that agrees
  with the test (:func:`qa_insights.stats.experiments.ab_test`).
* **Difference-in-differences** against the untouched scopes of the same kind (the other
  sites of a site event, and so on; none for an org event), with
  :func:`qa_insights.stats.experiments.difference_in_differences`. The control's rate in
  each period is **standardised** to its before-period mix: each untouched scope's own rate,
  weighted by its share of the control's before-period audits, so that volume moving
  between control scopes (a mix shift) is not read as a change of rate. The standardised
  rate ``r`` and its variance ``v = sum w_u**2 r_u (1 - r_u) / n_u`` enter the DiD as a
  cell of ``r (1 - r) / v`` effective audits (which gives it exactly that variance).
* **Control chart.** Centre and 3-sigma p-chart limits frozen on the before period
  (Laney's ``sigma_z`` when it is above 1), the after months checked against them with the
  run rules of :func:`qa_insights.stats.control_charts.run_rules`.

Whether an event changed the error rate is decided by one test per event: the DiD when
there is a control, else the before/after test (which then cannot tell the event from
whatever else moved that month). :func:`readout_table` adjusts the events' p-values together
(Holm), so the chance of any false "significant" among the events read together stays at
``alpha``.

Examples
--------
>>> counts = pd.DataFrame({"month": ["2026-0%d" % m for m in range(1, 7)] * 2,
...                        "site": ["a"] * 6 + ["b"] * 6, "n_audits": 1000,
...                        "n_errors": [50, 52, 48, 20, 22, 19] + [50, 49, 51, 50, 48, 52]})
>>> event = {"date": "2026-04-02", "scope": "site", "scope_value": "a", "kind": "training",
...          "description": "Retraining"}
>>> r = read_event(counts, event, "2026-06")
>>> r.before, r.after, round(r.did.estimate * 100, 2), r.did.significant
(['2026-01', '2026-02', '2026-03'], ['2026-04', '2026-05', '2026-06'], -2.97, True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from qa_insights.data.months import check_month, month_range, shift_month
from qa_insights.data.queries import audit_counts
from qa_insights.stats.control_charts import laney_sigma_z, run_rules
from qa_insights.stats.differences import adjust_p_values
from qa_insights.stats.experiment_design import did_minimum_detectable_effect
from qa_insights.stats.experiments import ABTest, DiD, ab_test, difference_in_differences

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = ["EVENT_COLUMNS", "READOUT_COLUMNS", "EventReadout", "event_design",
           "event_readouts", "events_touching", "first_after_month", "pick_event",
           "read_event", "readout_table", "standardised_control", "store_events"]

#: Columns of the ``events`` table as :func:`store_events` returns them.
EVENT_COLUMNS: list[str] = ["date", "scope", "scope_value", "kind", "description"]

#: Columns of :func:`readout_table` (``tables/mqr_event_readouts.csv``).
READOUT_COLUMNS: list[str] = [
    *EVENT_COLUMNS, "before", "after", "n_before", "n_after", "rate_before", "rate_after",
    "change", "change_ci_low", "change_ci_high", "change_p_value", "n_control",
    "did", "did_ci_low", "did_ci_high", "did_p_value", "did_mde", "test", "p_value",
    "p_adjusted", "significant", "chart_signals", "chart_direction", "note"]

#: The last day of a month on which an event still makes its own month "after".
LAST_DAY_IN_MONTH = 15


def store_events(store: Store) -> pd.DataFrame:
    """The ``events`` rows (of the store's month window), oldest first; an empty frame
    with :data:`EVENT_COLUMNS` when the data has no ``events`` table.

    ``date`` is ``YYYY-MM-DD`` text and ``scope_value`` is ``""`` for org events.

    Examples
    --------
    >>> store_events(store).columns.tolist()                          # doctest: +SKIP
    ['date', 'scope', 'scope_value', 'kind', 'description']
    """
    if not store.table_present("events"):
        return pd.DataFrame(columns=EVENT_COLUMNS)
    out = store.query("SELECT strftime(date, '%Y-%m-%d') AS date, scope, "
                      "coalesce(scope_value, '') AS scope_value, kind, description "
                      "FROM events ORDER BY date, scope, scope_value, kind")
    return out[EVENT_COLUMNS].astype(str).reset_index(drop=True)


def events_touching(events: pd.DataFrame, scope: str = "org",
                    scope_value: str = "") -> pd.DataFrame:
    """The events to mark on a chart of ``scope``: every event on an org chart; org events
    and the scope's own on a site, queue or market chart.

    Examples
    --------
    >>> e = pd.DataFrame({"date": ["2026-01-05", "2026-02-01", "2026-03-01"],
    ...                   "scope": ["org", "site", "site"], "scope_value": ["", "a", "b"],
    ...                   "kind": "training", "description": "x"})
    >>> events_touching(e, "site", "a").date.tolist(), len(events_touching(e))
    (['2026-01-05', '2026-02-01'], 3)
    """
    if scope == "org":
        return events.reset_index(drop=True)
    own = (events["scope"] == scope) & (events["scope_value"] == scope_value)
    return events[(events["scope"] == "org") | own].reset_index(drop=True)


def first_after_month(date: str) -> str:
    """The first month of an event's *after* period: its own month when it falls on or
    before the 15th (most of the month's audits come after it), else the next month.

    Examples
    --------
    >>> first_after_month("2026-08-03"), first_after_month("2026-08-20")
    ('2026-08', '2026-09')
    """
    month = check_month(str(date)[:7], "date")
    day = int(str(date)[8:10])
    return month if day <= LAST_DAY_IN_MONTH else shift_month(month, 1)


def standardised_control(counts: pd.DataFrame, dimension: str, control: Sequence[str],
                         before: Sequence[str], after: Sequence[str]) -> pd.DataFrame:
    """The control's two DiD cells with its rate standardised to the before-period mix.

    Each control value ``u`` with audits in both periods gets the weight ``w_u = n_u,before
    / sum n_before``; the period's rate is ``r = sum w_u r_u`` and its variance ``v = sum
    w_u**2 r_u (1 - r_u) / n_u``. The cell carries ``n_audits = r (1 - r) / v`` effective
    audits and ``n_errors = r n_audits`` (not whole numbers), which gives
    :func:`~qa_insights.stats.experiments.difference_in_differences` exactly that rate and
    variance. Before the event the standardised rate is the pooled rate.

    Parameters
    ----------
    counts : DataFrame
        ``month``, ``dimension``, ``n_audits``, ``n_errors``.
    dimension : str
        Column of the scope values.
    control : sequence of str
        The untouched values.
    before, after : sequence of str
        Months of the two periods.

    Returns
    -------
    DataFrame
        ``group`` ("control"), ``period``, ``n_audits``, ``n_errors``; the control values
        used (those with audits in both periods) in ``attrs["units"]``. Empty when there
        are none.

    Examples
    --------
    >>> c = pd.DataFrame({"month": ["m1", "m2"] * 2, "site": ["a", "a", "b", "b"],
    ...                   "n_audits": [100, 100, 100, 900], "n_errors": [10, 10, 20, 180]})
    >>> cells = standardised_control(c, "site", ["a", "b"], ["m1"], ["m2"])
    >>> (cells.n_errors / cells.n_audits).round(3).tolist()  # pooled m2 would be 0.19
    [0.15, 0.15]
    """
    sub = counts[counts[dimension].isin(set(control))]
    per = {period: sub[sub["month"].isin(set(months))].groupby(dimension)[
        ["n_audits", "n_errors"]].sum() for period, months in (("before", before),
                                                                ("after", after))}
    units = per["before"].index[per["before"]["n_audits"] > 0].intersection(
        per["after"].index[per["after"]["n_audits"] > 0])
    if not len(units):
        empty = pd.DataFrame(columns=["group", "period", "n_audits", "n_errors"])
        empty.attrs["units"] = []
        return empty
    weight = per["before"].loc[units, "n_audits"].astype(float)
    weight = weight / weight.sum()
    rows = []
    for period in ("before", "after"):
        n = per[period].loc[units, "n_audits"].astype(float)
        rate_u = per[period].loc[units, "n_errors"].astype(float) / n
        rate = float((weight * rate_u).sum())
        var = float((weight ** 2 * rate_u * (1 - rate_u) / n).sum())
        n_eff = rate * (1 - rate) / var if var > 0 else float(n.sum())
        rows.append({"group": "control", "period": period, "n_audits": n_eff,
                     "n_errors": rate * n_eff})
    out = pd.DataFrame(rows)
    out.attrs["units"] = [str(u) for u in units]
    return out


@dataclass(frozen=True)
class EventReadout:
    """One event's before/after readout (:func:`read_event`).

    Attributes
    ----------
    event : dict
        The event's row (:data:`EVENT_COLUMNS`).
    before, after : list of str
        Months of the two periods (``after`` empty: no month after the event yet).
    change : ABTest or None
        The scope's error rate after against before (``treatment`` is after).
    did : DiD or None
        Against the untouched scopes of the same kind (None for an org event, or when no
        other scope has audits in both periods).
    did_mde : float
        The smallest DiD the design detects with 80% power (NaN without a DiD).
    control : list of str
        The untouched scopes used.
    chart : DataFrame
        The scope's monthly chart over both periods: ``month, n_audits, n_errors, p,
        centre, lcl, ucl, period`` and the run-rule flags, limits from the before period.
    note : str
        Why a part is missing ("" when complete).
    """

    event: dict[str, str]
    before: list[str]
    after: list[str]
    change: ABTest | None
    did: DiD | None
    did_mde: float
    control: list[str]
    chart: pd.DataFrame = field(repr=False)
    note: str = ""

    @property
    def chart_signals(self) -> list[str]:
        """After months the control chart flags."""
        flagged = self.chart[(self.chart["period"] == "after") & self.chart["out_of_control"]]
        return flagged["month"].astype(str).tolist()

    @property
    def chart_direction(self) -> str:
        """``"down"``, ``"up"``, ``"mixed"`` or ``""``: where the flagged after months lie
        against the before period's centre line."""
        flagged = self.chart[(self.chart["period"] == "after") & self.chart["out_of_control"]]
        sides = set(np.where(flagged["p"] < flagged["centre"], "down", "up"))
        return "" if not sides else (sides.pop() if len(sides) == 1 else "mixed")


def _frozen_chart(series: pd.DataFrame, before: Sequence[str]) -> pd.DataFrame:
    """p-chart limits from the before months, applied to every month (Laney's sigma_z when
    above 1, so overdispersion widens but never narrows the limits)."""
    data = series[series["n_audits"] > 0].sort_values("month").reset_index(drop=True)
    pre = data[data["month"].isin(set(before))]
    x, n = data["n_errors"].to_numpy(float), data["n_audits"].to_numpy(float)
    p_bar = float(pre["n_errors"].sum() / pre["n_audits"].sum()) if len(pre) else math.nan
    s_z = laney_sigma_z(pre["n_errors"].to_numpy(float), pre["n_audits"].to_numpy(float))
    s_z = max(1.0, s_z) if math.isfinite(s_z) else 1.0
    sd = np.sqrt(p_bar * (1 - p_bar) / n)
    data = data.assign(p=x / n, centre=p_bar, lcl=np.clip(p_bar - 3 * sd * s_z, 0, 1),
                       ucl=np.clip(p_bar + 3 * sd * s_z, 0, 1),
                       period=np.where(data["month"].isin(set(before)), "before", "after"))
    rules = run_rules(data["p"].to_numpy(), data["centre"].to_numpy(), data["lcl"].to_numpy(),
                      data["ucl"].to_numpy())
    return pd.concat([data, rules], axis=1)


def read_event(counts: pd.DataFrame, event: Mapping[str, Any], end: str, *,
               pre_months: int = 6, alpha: float = 0.05) -> EventReadout:
    """Before/after readout of one event on monthly audit counts (pure).

    Parameters
    ----------
    counts : DataFrame
        ``month``, ``n_audits``, ``n_errors`` and, unless the event is an org event, a
        column named after its scope (``site``, ``queue``, ``market``) with every value of
        that kind (the untouched ones are the control).
    event : mapping
        ``date`` (YYYY-MM-DD), ``scope``, ``scope_value``, ``kind``, ``description``.
    end : str
        Last month of the after period ('YYYY-MM', usually the report's month).
    pre_months : int
        Months in the before period.
    alpha : float
        Level of the tests (unadjusted; :func:`readout_table` adjusts across events).

    Returns
    -------
    EventReadout
    """
    ev = {c: "" if event.get(c) is None else str(event.get(c)) for c in EVENT_COLUMNS}
    scope, value = ev["scope"], ev["scope_value"]
    start = first_after_month(ev["date"])
    known = set(counts.loc[counts["n_audits"] > 0, "month"].astype(str))
    before = [m for m in month_range(shift_month(start, -pre_months), shift_month(start, -1))
              if m in known]
    after = ([m for m in month_range(start, check_month(end, "end")) if m in known]
             if start <= end else [])
    if scope == "org":
        own = counts
    elif scope in counts.columns:
        own = counts[counts[scope].astype(str) == value]
    else:
        raise ValueError(f"counts: no column {scope!r} for the event's scope")
    series = own.groupby("month", as_index=False)[["n_audits", "n_errors"]].sum()
    series = series[series["month"].isin(set(before + after))]
    chart = _frozen_chart(series, before)
    n_b, x_b = (int(series.loc[series["month"].isin(set(before)), c].sum())
                for c in ("n_audits", "n_errors"))
    n_a, x_a = (int(series.loc[series["month"].isin(set(after)), c].sum())
                for c in ("n_audits", "n_errors"))
    if not after:
        return EventReadout(ev, before, [], None, None, math.nan, [], chart,
                            f"no month after the event yet (the after period starts {start})")
    if not n_b or not n_a:
        return EventReadout(ev, before, after, None, None, math.nan, [], chart,
                            "no audits of the scope " + ("before" if not n_b else "after")
                            + " the event")
    change = ab_test(x_b, n_b, x_a, n_a, alpha=alpha)
    if scope == "org":
        return EventReadout(ev, before, after, change, None, math.nan, [], chart,
                            "an org-wide event leaves no untouched scope to compare with")
    others = sorted(set(counts[scope].dropna().astype(str)) - {value})
    ctrl = standardised_control(counts, scope, others, before, after)
    if ctrl.empty:
        return EventReadout(ev, before, after, change, None, math.nan, [], chart,
                            f"no other {scope} has audits before and after the event")
    cells = pd.concat([pd.DataFrame({"group": "treated", "period": ["before", "after"],
                                     "n_audits": [n_b, n_a], "n_errors": [x_b, x_a]}),
                       ctrl[["group", "period", "n_audits", "n_errors"]]], ignore_index=True)
    used = list(ctrl.attrs["units"])
    try:
        did = difference_in_differences(cells, alpha=alpha)
    except ValueError as exc:  # every rate 0 or 1
        return EventReadout(ev, before, after, change, None, math.nan, used, chart, str(exc))
    return EventReadout(ev, before, after, change, did,
                        did_minimum_detectable_effect(cells, alpha=alpha), used, chart)


def _span(months: Sequence[str]) -> str:
    """``first to last`` month, the month alone when there is one, "" when none."""
    if not months:
        return ""
    return months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}"


def readout_table(readouts: Sequence[EventReadout], *, alpha: float = 0.05) -> pd.DataFrame:
    """One row per event (:data:`READOUT_COLUMNS`), the deciding p-values Holm-adjusted
    across the events given.

    The deciding test (``test``) is the DiD when there is one, else the before/after
    test; ``significant`` is ``p_adjusted < alpha``.

    Examples
    --------
    >>> c = pd.DataFrame({"month": ["2026-01", "2026-02"], "n_audits": 1000,
    ...                   "n_errors": [50, 20]})
    >>> e = {"date": "2026-02-01", "scope": "org", "scope_value": "", "kind": "tooling",
    ...      "description": "New tool"}
    >>> t = readout_table([read_event(c, e, "2026-02", pre_months=1)])
    >>> t[["test", "significant"]].values.tolist()
    [['before/after', True]]
    """
    rows = []
    nan = math.nan
    for r in readouts:
        ch, did = r.change, r.did
        test = "difference-in-differences" if did else ("before/after" if ch else "")
        p = did.p_value if did else (ch.p_value if ch else nan)
        rows.append({
            **r.event, "before": _span(r.before), "after": _span(r.after),
            "n_before": ch.n_control if ch else nan, "n_after": ch.n_treatment if ch else nan,
            "rate_before": ch.rate_control if ch else nan,
            "rate_after": ch.rate_treatment if ch else nan,
            "change": ch.difference if ch else nan, "change_ci_low": ch.ci_low if ch else nan,
            "change_ci_high": ch.ci_high if ch else nan,
            "change_p_value": ch.p_value if ch else nan, "n_control": len(r.control),
            "did": did.estimate if did else nan, "did_ci_low": did.ci_low if did else nan,
            "did_ci_high": did.ci_high if did else nan,
            "did_p_value": did.p_value if did else nan, "did_mde": r.did_mde, "test": test,
            "p_value": p, "chart_signals": ", ".join(r.chart_signals),
            "chart_direction": r.chart_direction, "note": r.note})
    out = pd.DataFrame(rows, columns=[c for c in READOUT_COLUMNS
                                      if c not in ("p_adjusted", "significant")])
    out["p_adjusted"] = adjust_p_values(out["p_value"].to_numpy(float)) if len(out) else []
    out["significant"] = (out["p_adjusted"] < alpha).astype(bool)
    return out[READOUT_COLUMNS]


def event_readouts(store: Store, events: pd.DataFrame, end: str, *, pre_months: int = 6,
                   alpha: float = 0.05) -> tuple[pd.DataFrame, list[EventReadout]]:
    """Read out ``events`` (rows of :func:`store_events`) on the store's audits up to
    ``end``: the table of :func:`readout_table` and the readouts (with their charts).

    Examples
    --------
    >>> table, readouts = event_readouts(store, store_events(store), "2026-10")  # doctest: +SKIP
    """
    counts: dict[str, pd.DataFrame] = {}
    readouts = []
    for row in events.to_dict("records"):
        event = {str(k): v for k, v in row.items()}
        scope = str(event["scope"])
        if scope not in counts:
            counts[scope] = audit_counts(store, ["month"] if scope == "org" else
                                         ["month", scope])
        readouts.append(read_event(counts[scope], event, end, pre_months=pre_months,
                                   alpha=alpha))
    return readout_table(readouts, alpha=alpha), readouts


def pick_event(events: pd.DataFrame, key: str) -> dict[str, str] | None:
    """The event an experiment readout is asked for: ``"latest"`` is the latest event of a
    site, queue or market (None when there is none); a date ``YYYY-MM-DD`` is the event of
    that day (the first by scope when there are several).

    Raises
    ------
    ValueError
        No event on that date (the message lists the dates there are).

    Examples
    --------
    >>> e = pd.DataFrame({"date": ["2026-08-03", "2026-10-01"], "scope": ["site", "org"],
    ...                   "scope_value": ["a", ""], "kind": "training", "description": ""})
    >>> pick_event(e, "latest")["date"], pick_event(e, "2026-10-01")["scope"]
    ('2026-08-03', 'org')
    """
    if key == "latest":
        scoped = events[events["scope"] != "org"]
        if scoped.empty:
            return None
        row = scoped.sort_values("date", kind="stable").iloc[-1]
    else:
        on_day = events[events["date"] == key]
        if on_day.empty:
            known = ", ".join(sorted(events["date"].unique())) or "none"
            raise ValueError(f"no event on {key!r}; events on: {known}")
        row = on_day.iloc[0]
    return {c: str(row[c]) for c in EVENT_COLUMNS}


def event_design(event: Mapping[str, str]) -> tuple[str, list[str], str]:
    """``(dimension, treated, start month)`` of an experiment readout of ``event``.

    Raises
    ------
    ValueError
        An org-wide event: it leaves no untouched scope to compare with.

    Examples
    --------
    >>> event_design({"date": "2026-09-21", "scope": "site", "scope_value": "a"})
    ('site', ['a'], '2026-10')
    """
    if event["scope"] == "org":
        raise ValueError(f"the event of {event['date']} is org-wide: no untouched scope to "
                         "compare with")
    return str(event["scope"]), [str(event["scope_value"])], first_after_month(
        str(event["date"]))
