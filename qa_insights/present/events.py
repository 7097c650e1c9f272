"""Plain-language readout of an event (a row of
:func:`qa_insights.business.events.readout_table`).

The sentence leads with the verdict. An effect is claimed only when the event's deciding
test is significant after the Holm adjustment over the events read together: against the
untouched scopes (difference-in-differences) when there are any, else the before/after
change, which is then said to be unattributable. A non-significant readout is "no change
attributable to the event", with the smallest effect the design could detect. The control
chart's verdict follows as a description, not as a second claim.

Examples
--------
>>> row = {"date": "2026-08-03", "scope": "site", "scope_value": "dublin", "kind": "training",
...        "description": "Retraining", "after": "2026-08 to 2026-10",
...        "rate_before": 0.0345, "rate_after": 0.012, "change": -0.0225,
...        "change_ci_low": -0.035, "change_ci_high": -0.011, "did": -0.025,
...        "did_ci_low": -0.038, "did_ci_high": -0.012, "p_adjusted": 0.003,
...        "significant": True, "did_mde": 0.016, "n_control": 6, "chart_signals": "",
...        "chart_direction": "", "note": ""}
>>> print(event_sentence(row, n_events=3))
Training at dublin on 2026-08-03 (Retraining): the error rate fell after it, from 3.45% to 1.20% (2026-08 to 2026-10), 2.5 percentage points more than at the 6 other sites (95% CI −3.8 to −1.2 pp; p = 0.003, Holm-adjusted over 3 events). Control chart: no month after the event outside the limits of the months before it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from qa_insights.present.display import number, pct
from qa_insights.present.findings import format_p
from qa_insights.present.labels import label

__all__ = ["event_name", "event_sentence"]


def _pct(x: float) -> str:
    return pct(x, 2)


def _pts(x: float) -> str:
    """A rate difference (a fraction) in percentage points, signed, true minus."""
    return number(100 * x, 1, sign=True)


def _ci(low: float, high: float) -> str:
    return f"95% CI {_pts(low)} to {_pts(high)} pp"


def event_name(event: Mapping[str, Any]) -> str:
    """``Training at <scope value> on <date> (<description>)`` (``org-wide`` for org).

    Examples
    --------
    >>> event_name({"kind": "tooling", "scope": "org", "scope_value": "", "date": "2026-10-01",
    ...             "description": "New tool"})
    'Tooling org-wide on 2026-10-01 (New tool)'
    >>> event_name({"kind": "guideline", "scope": "queue", "scope_value": "spam",
    ...             "date": "2026-09-08", "description": ""})
    'Guideline on the spam queue on 2026-09-08'
    """
    scope, value = str(event["scope"]), str(event["scope_value"])
    where = {"org": "org-wide", "site": f"at {value}", "queue": f"on the {value} queue"}.get(
        scope, f"in {scope} {value}")
    text = " ".join(str(event.get("description") or "").split())
    return f"{label(str(event['kind']))} {where} on {event['date']}" + (
        f" ({text})" if text else "")


def _chart(row: Mapping[str, Any]) -> str:
    months = str(row.get("chart_signals") or "")
    if not months:
        return ("Control chart: no month after the event outside the limits of the months "
                "before it.")
    side = {"down": "below", "up": "above"}.get(str(row.get("chart_direction")),
                                                "outside")
    return (f"Control chart: {months} {side} the limits of the months before the event"
            + (" (the chart does not say why)." if not row["significant"] else "."))


def event_sentence(row: Mapping[str, Any], *, n_events: int = 1) -> str:
    """The readout of one event as one or two sentences, the verdict first.

    Parameters
    ----------
    row : mapping
        A row of :func:`qa_insights.business.events.readout_table`.
    n_events : int
        Events read together (the Holm family), named in the sentence.

    Returns
    -------
    str
    """
    name = event_name(row)
    if row.get("note") and not math.isfinite(float(row.get("change", math.nan))):
        return f"{name}: {row['note']}."
    change = (f"from {_pct(row['rate_before'])} to {_pct(row['rate_after'])} "
              f"({row['after']})")
    p = format_p(float(row["p_adjusted"])) + (
        f", Holm-adjusted over {n_events} events" if n_events > 1 else "")
    has_did = math.isfinite(float(row.get("did", math.nan)))
    kind = str(row["scope"])
    others = f"the {int(row['n_control'])} other {kind}s"
    if has_did and row["significant"]:
        word = "fell" if row["did"] < 0 else "rose"
        text = (f"{name}: the error rate {word} after it, {change}, "
                f"{number(100 * abs(row['did']), 1)} percentage points more than at {others} "
                f"({_ci(row['did_ci_low'], row['did_ci_high'])}; {p}).")
    elif has_did:
        mde = float(row.get("did_mde", math.nan))
        detect = (f"; the comparison could detect {number(100 * mde, 1)} pp"
                  if math.isfinite(mde) else "")
        text = (f"{name}: no change attributable to the event. The error rate went {change}, "
                f"{_pts(row['did'])} percentage points against {others} "
                f"({_ci(row['did_ci_low'], row['did_ci_high'])}; {p}){detect}.")
    else:
        verdict = ("the error rate changed after it" if row["significant"] else
                   "no significant change after it")
        text = (f"{name}: {verdict}, {change}, {_pts(row['change'])} percentage points "
                f"({_ci(row['change_ci_low'], row['change_ci_high'])}; {p}). "
                f"Before/after only: {row['note'] or 'no untouched scope to compare with'}, "
                "so the event cannot be told from anything else that changed those months.")
    return f"{text} {_chart(row)}"
