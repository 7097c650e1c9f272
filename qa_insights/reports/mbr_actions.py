"""The Monthly Business Review's "actions the numbers suggest": each a sentence built from
the month's targets, the cost-quality trade-off and the cost decomposition, addressed to the
function that owns it; a missed site's or queue's action links its deep dive.

Examples
--------
>>> a = pd.DataFrame({"metric": ["accuracy"], "scope": ["org"], "scope_value": [None],
...     "month": ["2026-08"], "actual": [0.96], "ci_low": [0.95], "ci_high": [0.97],
...     "target": [0.95], "status": ["met"]})
>>> actions(a)
[]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from qa_insights.present.display import escape, money, number
from qa_insights.reports.deep_dives import deep_dive_href
from qa_insights.reports.engine.named import DEEP_DIVE_METRICS_EXCLUDED
from qa_insights.reports.mbr import METRIC_NAMES, format_metric, with_interval

__all__ = ["DEEP_DIVE_PHRASE", "Action", "actions"]


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def _top(frame: pd.DataFrame, column: str, by: str) -> str:
    row = frame.iloc[int(np.argmax(np.abs(frame[column].to_numpy())))]
    return str(row[by])


#: The words of a missed target's action that link to the scope's deep dive.
DEEP_DIVE_PHRASE = "its RCA deep dive"


@dataclass(frozen=True)
class Action:
    """One action the numbers suggest, shown as a warning notice; when it sends the reader
    to a site's or queue's deep dive (``deep_dive``: scope and value), the words
    :data:`DEEP_DIVE_PHRASE` link to it (:func:`qa_insights.reports.deep_dives.
    deep_dive_href`), the rest escaped.

    Examples
    --------
    >>> Action("Review a<b (see its RCA deep dive).", ("site", "a<b"))._repr_html_()
    '<div class="qa-notice qa-notice-warning" role="note">Review a&lt;b (see <a href="rca_site_a_b-4a826a.html">its RCA deep dive</a>).</div>'
    """

    sentence: str
    deep_dive: tuple[str, str] | None = None

    def _repr_html_(self) -> str:
        text = escape(self.sentence)
        if self.deep_dive is not None and DEEP_DIVE_PHRASE in self.sentence:
            before, after = self.sentence.split(DEEP_DIVE_PHRASE, 1)
            href = escape(deep_dive_href(*self.deep_dive))
            text = f'{escape(before)}<a href="{href}">{DEEP_DIVE_PHRASE}</a>{escape(after)}'
        return f'<div class="qa-notice qa-notice-warning" role="note">{text}</div>'


def actions(attainment: pd.DataFrame, tradeoff: pd.DataFrame | None = None,
            cost: pd.DataFrame | None = None, currency: str = "",
            max_actions: int = 8) -> list[Action]:
    """The actions the numbers suggest, most urgent first, each sentence built from the
    numbers and addressed to the function that owns it.

    Rules, in order:

    1. every ``missed`` target (org first, then sites and queues, largest gap first):
       name it with the actual, its interval and the target;
    2. every site that is ``cheaper_but_worse``: weigh its saving against its quality gap;
    3. a cost change driven by mix: volume moved between sites of different unit cost;
    4. ``at risk`` targets whose point estimate is on the wrong side: watch them.

    Why the error rate moved is the executive summary's (with its tests), not repeated here.

    Parameters
    ----------
    attainment : DataFrame
        :func:`qa_insights.business.targets.target_attainment` of the month.
    tradeoff : DataFrame, optional
        :func:`qa_insights.business.costs.cost_tradeoff` of the month.
    cost : DataFrame, optional
        :func:`qa_insights.business.costs.cost_change` by site.
    currency : str
        Currency of the money figures (needed when a cost sentence is made).
    max_actions : int
        At most this many sentences.

    Returns
    -------
    list of Action
        A missed site or queue target reviewed by root cause carries the scope whose deep
        dive its sentence links (the ones the build makes a deep dive for:
        :func:`qa_insights.reports.engine.named.missed_target_scopes`).

    Examples
    --------
    >>> a = pd.DataFrame({"metric": ["accuracy"], "scope": ["site"], "scope_value": ["hyd"],
    ...     "month": ["2026-08"], "actual": [0.894], "ci_low": [0.859], "ci_high": [0.920],
    ...     "target": [0.95], "status": ["missed"], "point_meets": [False]})
    >>> actions(a)
    [Action(sentence='Accuracy at site hyd missed its target: 89.4% (85.9–92.0%) against 95.0%. Training and coaching: start a root-cause review there (see its RCA deep dive).', deep_dive=('site', 'hyd'))]
    """
    out: list[Action] = []
    order = {"org": 0, "site": 1, "queue": 2, "market": 3}
    missed = attainment[attainment["status"] == "missed"].copy()
    missed["_order"] = missed["scope"].map(order).fillna(9)
    missed["_gap"] = -(missed["actual"] - missed["target"]).abs() / missed["target"].abs()
    for r in missed.sort_values(["_order", "_gap"], kind="stable").to_dict("records"):
        metric, scope = str(r["metric"]), str(r["scope"])
        where = "the organisation" if scope == "org" else f"{scope} {r['scope_value']}"
        todo = {"cost_per_item": "Finance and vendor management: review staffing and vendor "
                                 "rates against volume.",
                "handle_time_s": "Operations: check workflow and tooling for slow steps."}.get(
            metric, f"Training and coaching: start a root-cause review there (see "
            f"{DEEP_DIVE_PHRASE})." if scope in ("site", "queue") else
            "Quality lead: focus on the sites and queues that missed.")
        linked = scope in ("site", "queue") and metric not in DEEP_DIVE_METRICS_EXCLUDED
        out.append(Action(
            f"{METRIC_NAMES.get(metric, metric)} at {where} missed its target: "
            f"{with_interval(metric, r['actual'], r['ci_low'], r['ci_high'], currency)}"
            f" against {format_metric(metric, r['target'], currency=currency)}. {todo}",
            (scope, str(r["scope_value"])) if linked else None))
    if tradeoff is not None:
        for t in tradeoff[tradeoff["cheaper_but_worse"]].to_dict("records"):
            acc = with_interval("accuracy", t["accuracy"], t["accuracy_ci_low"],
                                 t["accuracy_ci_high"])
            out.append(Action(f"{t['site']} is cheaper per item "
                       f"({money(t['cost_per_item'], currency, per_unit=True)} against "
                       f"{money(t['org_cost_per_item'], currency, per_unit=True)} overall) but "
                       f"its accuracy {acc} is significantly below the rest "
                       f"({_p_text(t['p_adjusted'])}, Holm-adjusted for {t['n_tests']} "
                       f"comparisons); cost per correct decision "
                       f"{money(t['cost_per_correct_decision'], currency, per_unit=True)}. "
                       "Vendor management: weigh the saving against the quality gap before "
                       "moving more volume there."))
    if cost is not None and len(cost):
        c = cost.attrs["overall"]
        if abs(c["mix_pts"]) >= 5:
            site = _top(cost, "mix_effect", "site")
            mix_verb = "saved" if c["mix_effect"] < 0 else "added"
            vol_verb = "saved" if c["volume_effect"] < 0 else "added"
            out.append(Action(f"Volume moving between sites {mix_verb} "
                       f"{money(abs(c['mix_effect']), currency)} "
                       f"({number(c['mix_pts'], sign=True)}% of last month's cost, mostly "
                       f"{site}); the number of items {vol_verb} "
                       f"{money(abs(c['volume_effect']), currency)} "
                       f"({number(c['volume_pts'], sign=True)}%). Finance: confirm the shift "
                       "is intended."))
    risky = attainment[(attainment["status"] == "at risk")
                       & ~attainment.get("point_meets", pd.Series(True, attainment.index))
                       .fillna(True).astype(bool)]
    for r in risky.to_dict("records"):
        metric, scope = str(r["metric"]), str(r["scope"])
        where = "the organisation" if scope == "org" else f"{scope} {r['scope_value']}"
        out.append(Action(f"Watch {METRIC_NAMES.get(metric, metric).lower()} at {where}: "
                   f"{format_metric(metric, r['actual'], currency=currency)} is on the wrong "
                   f"side of {format_metric(metric, r['target'], currency=currency)}, not yet "
                   "significantly."))
    return out[:max_actions]
