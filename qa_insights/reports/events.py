"""The reports' event content: the events to mark on a report's charts, and the MQR section
"What changed after this month's events" (the events of the report's month and the two
before it, read out up to the report's month with
:func:`qa_insights.business.events.event_readouts`).

Examples
--------
>>> section = event_section(store, ctx)                               # doctest: +SKIP
>>> section.table.columns[:3].tolist()                                # doctest: +SKIP
['date', 'scope', 'scope_value']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from qa_insights.business.events import (
    READOUT_COLUMNS,
    EventReadout,
    event_readouts,
    events_touching,
    store_events,
)
from qa_insights.data.months import shift_month
from qa_insights.present.display import number, pct, pp
from qa_insights.present.events import event_sentence
from qa_insights.present.findings import format_p_value
from qa_insights.present.labels import label
from qa_insights.present.plots import control_chart

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from qa_insights.data.protocol import Store
    from qa_insights.reports.engine.context import ReportContext

__all__ = ["EVENT_LABELS", "EVENT_MONTHS", "EventSection", "chart_events", "event_chart",
           "event_display", "event_section", "recent_events"]

#: Months of events the MQR reads out: the report's month and the ones before it (an
#: event is read again each month while its after period grows).
EVENT_MONTHS = 3


def chart_events(store: Store, ctx: ReportContext) -> pd.DataFrame:
    """The events to mark on the charts of the report's scope
    (:func:`qa_insights.business.events.events_touching`); empty without an events table.

    Examples
    --------
    >>> chart_events(store, ctx).kind.tolist()                        # doctest: +SKIP
    ['training', 'guideline', 'vendor_change']
    """
    return events_touching(store_events(store), ctx.scope, ctx.scope_value)


def recent_events(events: pd.DataFrame, month: str, back: int = EVENT_MONTHS) -> pd.DataFrame:
    """Events dated in ``month`` or the ``back - 1`` months before it.

    Examples
    --------
    >>> e = pd.DataFrame({"date": ["2026-07-30", "2026-08-03", "2026-10-31", "2026-11-01"]})
    >>> recent_events(e, "2026-10").date.tolist()
    ['2026-08-03', '2026-10-31']
    """
    months = events["date"].astype(str).str[:7]
    keep = (months >= shift_month(month, 1 - back)) & (months <= month)
    return events[keep].reset_index(drop=True)


@dataclass(frozen=True)
class EventSection:
    """What the MQR's events section shows.

    Attributes
    ----------
    table : DataFrame
        :data:`qa_insights.business.events.READOUT_COLUMNS`, one row per recent event.
    sentences : list of str
        One readout per event (:func:`qa_insights.present.events.event_sentence`).
    readouts : list of EventReadout
        With each event's frozen-limit chart.
    events : DataFrame
        The events marked on the section's charts (every event touching the scope).
    """

    table: pd.DataFrame
    sentences: list[str]
    readouts: list[EventReadout] = field(repr=False)
    events: pd.DataFrame = field(repr=False)


def event_section(store: Store, ctx: ReportContext, *, back: int = EVENT_MONTHS,
                  pre_months: int = 6) -> EventSection:
    """Readouts of the events touching the report's scope dated in its month or the
    ``back - 1`` months before, up to the report's month; the p-values are adjusted over
    these events together.

    Examples
    --------
    >>> event_section(store, ctx).sentences[0][:8]                    # doctest: +SKIP
    'Training'
    """
    touching = chart_events(store, ctx)
    recent = recent_events(touching, ctx.month, back)
    if recent.empty:
        return EventSection(pd.DataFrame(columns=READOUT_COLUMNS), [], [], touching)
    table, readouts = event_readouts(store, recent, ctx.month, pre_months=pre_months)
    sentences = [event_sentence({str(k): v for k, v in row.items()}, n_events=len(table))
                 for row in table.to_dict("records")]
    return EventSection(table, sentences, readouts, touching)


#: Column headers of :func:`event_display`.
EVENT_LABELS: dict[str, str] = {
    "event": "Event", "description": "Description", "rates": "Error rate before / after",
    "change": "Change (95% CI)", "did": "Against untouched scopes (95% CI)",
    "p_adjusted": "p (adjusted)", "verdict": "Verdict", "chart": "Control chart"}


def _interval(x: float, low: float, high: float) -> str:
    if pd.isna(x):
        return "–"
    return f"{pp(100 * x)} ({number(100 * low, 1, sign=True)} to {number(100 * high, 1, sign=True)})"


def event_display(table: pd.DataFrame) -> pd.DataFrame:
    """The readout table as the report shows it (headers in :data:`EVENT_LABELS`).

    Examples
    --------
    >>> t = pd.DataFrame([{"date": "2026-08-03", "kind": "training", "scope": "site",
    ...     "scope_value": "a", "description": "x", "rate_before": 0.03, "rate_after": 0.01,
    ...     "change": -0.02, "change_ci_low": -0.03, "change_ci_high": -0.01, "did": -0.02,
    ...     "did_ci_low": -0.03, "did_ci_high": -0.01, "p_adjusted": 0.004,
    ...     "significant": True, "chart_signals": "", "chart_direction": "", "note": ""}])
    >>> event_display(t).iloc[0].tolist()
    ['2026-08-03 training, a', 'x', '3.00% / 1.00%', '−2.0 pp (−3.0 to −1.0)', '−2.0 pp (−3.0 to −1.0)', '0.004', 'changed', 'no signal']
    """
    rows = []
    for r in table.to_dict("records"):
        where = "org-wide" if r["scope"] == "org" else str(r["scope_value"])
        signals = str(r["chart_signals"] or "")
        side = {"down": "below", "up": "above"}.get(str(r["chart_direction"]), "outside")
        rows.append({
            "event": f"{r['date']} {label(str(r['kind'])).lower()}, {where}",
            "description": r["description"],
            "rates": f"{pct(r['rate_before'], 2)} / {pct(r['rate_after'], 2)}",
            "change": _interval(r["change"], r["change_ci_low"], r["change_ci_high"]),
            "did": _interval(r["did"], r["did_ci_low"], r["did_ci_high"]),
            "p_adjusted": format_p_value(float(r["p_adjusted"])),
            "verdict": "changed" if r["significant"] else (
                "too early" if pd.isna(r["change"]) else "no change shown"),
            "chart": f"{signals} {side} the limits" if signals else "no signal"})
    return pd.DataFrame(rows, columns=list(EVENT_LABELS))


def event_chart(readout: EventReadout) -> Figure:
    """The scope's p-chart around one event, limits from the months before it, the event
    marked.

    Examples
    --------
    >>> from qa_insights.business.events import read_event
    >>> c = pd.DataFrame({"month": ["2026-01", "2026-02", "2026-03"], "n_audits": 1000,
    ...                   "n_errors": [50, 52, 20]})
    >>> e = {"date": "2026-03-02", "scope": "org", "scope_value": "", "kind": "tooling",
    ...      "description": "New tool"}
    >>> event_chart(read_event(c, e, "2026-03")).axes[0].get_title()
    'Error rate, org-wide: tooling on 2026-03-02'
    """
    ev = readout.event
    where = "org-wide" if ev["scope"] == "org" else ev["scope_value"]
    return control_chart(readout.chart, title=(
        f"Error rate, {where}: {label(ev['kind']).lower()} on {ev['date']}"),
        events=pd.DataFrame([ev]))
