"""The executive summary that leads a report: four moves, numbers in, sentences out.

1. **What happened**: the measure, month, value with its 95% interval and audits, and the
   change against the previous month with the test that backs it (the MQR's headline test,
   :func:`qa_insights.quality.trends.month_over_month`: one test for the month's change,
   quoted wherever that change is).
2. **Why**, only as far as tests back it: a segment is named as a driver only when
   :func:`qa_insights.present.findings.change_findings` names it (its share-of-audits test for
   mix, its own rate test for rate, both adjusted for the comparisons made); otherwise the
   cause is said not to be established, and the largest movement is given as description.
3. **So what**: the target status as a word, with the target value.
4. **What to do**: an owner (a function: vendor management, training and coaching, the
   quality lead), a verb and a date, or "No action needed this month".

Each move is a :class:`Claim`; :func:`findings_frame` gives one row per claim for
``tables/findings.csv``, :func:`markdown` the e-mail body (``summary.md``). Nothing here reads
data: the notebook passes the numbers it shows.

Examples
--------
>>> s = executive_summary({"accuracy": .953, "ci_low": .945, "ci_high": .960,
...     "n_audits": 3112, "target": .955, "target_status": "at risk",
...     "previous_month": None}, month="2026-10", scope_label="whole organisation")
>>> import textwrap
>>> print(textwrap.fill(s[0].sentence, 88))
Decision accuracy for the whole organisation was 95.3% in October 2026 (95% interval
94.5–96.0%; 3,112 audits); there are no audits in September 2026 to compare with.
>>> [c.kind for c in s]
['month_change', 'target_status', 'action']
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from qa_insights.data.months import shift_month
from qa_insights.present.display import count, number, pct, pp
from qa_insights.present.findings import Finding, format_p

__all__ = [
    "FINDINGS_COLUMNS",
    "Claim",
    "adjustment_note",
    "due_date",
    "executive_summary",
    "findings_frame",
    "markdown",
    "month_name",
    "small_segments_claim",
    "with_agreeing_interval",
    "with_small_segments",
]

#: Columns of ``tables/findings.csv``, in order.
FINDINGS_COLUMNS = ("report", "kind", "scope", "sentence", "significant", "p_value",
                    "p_adjusted", "adjusted_for", "numbers")

_OWNERS = {"mix": "vendor management", "rate": "training and coaching"}


@dataclass(frozen=True)
class Claim:
    """One sentence of the summary and the test behind it.

    Attributes
    ----------
    kind : str
        ``month_change``, ``driver_mix``, ``driver_rate``, ``no_cause``, ``target_status``
        or ``action``.
    scope : str
        What the claim is about (the report's scope or a named segment).
    sentence : str
        The sentence as printed.
    significant : bool or None
        The test's verdict; None for claims that are not tests (target status, action).
    p_value, p_adjusted : float or None
        The unadjusted and the adjusted p-value the verdict used (None when not a test or
        not adjusted).
    adjusted_for : int or None
        Number of comparisons the adjustment allowed for.
    numbers : dict
        The numbers the sentence prints, unrounded.
    """

    kind: str
    scope: str
    sentence: str
    significant: bool | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    adjusted_for: int | None = None
    numbers: dict[str, Any] = field(default_factory=dict)


def month_name(month: str) -> str:
    """``"2026-10"`` -> ``"October 2026"``.

    Examples
    --------
    >>> month_name("2026-01")
    'January 2026'
    """
    return pd.Period(month, "M").strftime("%B %Y")


def due_date(month: str) -> str:
    """The action date: the 15th of the month after the report's month.

    Examples
    --------
    >>> due_date("2026-12")
    '15 January 2027'
    """
    return pd.Period(shift_month(month, 1), "M").to_timestamp().replace(day=15).strftime(
        "%-d %B %Y")


def _what(h: Mapping[str, Any], month: str, scope_label: str) -> Claim:
    text = (f"Decision accuracy for the {scope_label} was {pct(h['accuracy'])} in "
            f"{month_name(month)} (95% interval {number(100 * h['ci_low'])}–"
            f"{number(100 * h['ci_high'])}%; {count(h['n_audits'])} audits)")
    numbers = {k: h.get(k) for k in ("accuracy", "ci_low", "ci_high", "n_audits")}
    if not h.get("previous_month"):
        return Claim("month_change", scope_label, f"{text}; there are no audits in "
                     f"{month_name(shift_month(month, -1))} to compare with.", numbers=numbers)
    diff = 100 * h["mom_difference"]
    low, high = 100 * h["mom_ci_low"], 100 * h["mom_ci_high"]
    numbers.update(previous_month=h["previous_month"], previous_accuracy=h["previous_accuracy"],
                   change_pp=diff, change_ci_low_pp=low, change_ci_high_pp=high,
                   test=h["mom_test"])
    before = f"{pct(h['previous_accuracy'])} in {month_name(h['previous_month'])}"
    span = f"interval {number(low, sign=True)} to {pp(high)}"
    test = format_p(h["mom_p_value"])
    if h["mom_significant"]:
        way = "up" if diff > 0 else "down"
        text += (f", {way} {number(abs(diff))} percentage points from {before} ({span}), "
                 f"more than normal month-to-month variation ({test}).")
    else:
        text += (f", against {before}: the change of {pp(diff)} ({span}) is within normal "
                 f"month-to-month variation ({test}).")
    return Claim("month_change", scope_label, text, bool(h["mom_significant"]),
                 float(h["mom_p_value"]), None, 1, numbers)


def _segment(d: pd.DataFrame, dim: str, name: str) -> pd.Series:
    return d.loc[d[dim].astype(str) == name].iloc[0]


def _why(change: Finding, d: pd.DataFrame, dim: str, segments: Sequence[Finding],
         changed: bool, min_n: int | None) -> Claim:
    """The driver claim: named segments (mix / rate) when tests back them, else none.
    ``changed``: whether the month's change itself is beyond normal variation."""
    n = change.numbers
    family = int(n["tests_in_family"])
    named = list(n.get("named", []))
    mix = [x for x in named if x["claim"] == "mix"]
    rate = [f for f in segments if f.significant]
    noun = dim.replace("_", " ")
    if mix:
        seg = _segment(d, dim, mix[0]["segment"])
        p_adj = float(mix[0]["p_adjusted"])
        moved = "to" if seg["share_after"] > seg["share_before"] else "away from"
        size = len(n.get("share_p_adjusted", {})) or len(d)
        fall = "fall" if float(n["change_pts"]) > 0 else "rise"  # error rate up: accuracy down
        text = (f"The {fall} in accuracy came from volume moving {moved} {mix[0]['segment']}, "
                f"whose share of audits went from {pct(seg['share_before'])} to "
                f"{pct(seg['share_after'])} ({format_p(p_adj)}, adjusted for {size} "
                f"comparisons): at its {pct(seg['rate_after'])} error rate, that shift alone "
                f"moved the error rate {pp(seg['mix_effect'])}.")
        if rate:
            r = rate[0]
            text += (f" {r.scope}'s own error rate also changed, {pct(r.numbers['rate_before'])}"
                     f" to {pct(r.numbers['rate_after'])} ({format_p(r.p_value)}, adjusted for "
                     f"{family} comparisons)")
        else:
            rest = float(n["change_pts"]) - float(seg["mix_effect"])
            text += (f" The other {noun}s moved it {pp(rest)}, and no {noun}'s own error rate "
                     "changed beyond normal variation")
        return Claim("driver_mix", str(mix[0]["segment"]), text + ".", True, None, p_adj,
                     size, {"segment": mix[0]["segment"],
                            "mix_effect_pp": float(seg["mix_effect"]),
                            "share_before": float(seg["share_before"]),
                            "share_after": float(seg["share_after"]),
                            "rate_after": float(seg["rate_after"])})
    if rate:
        r = rate[0]
        lead = "The change came from" if changed else f"Still, one {noun} did change:"
        text = (f"{lead} {r.scope}'s own error rate, "
                f"{pct(r.numbers['rate_before'])} to {pct(r.numbers['rate_after'])}, which "
                f"moved the overall error rate {pp(r.numbers['rate_effect_pts'])} "
                f"({format_p(r.p_value)}, adjusted for {family} comparisons).")
        return Claim("driver_rate", r.scope, text, True, float(r.numbers["p_value_raw"]),
                     float(r.p_value), family,
                     {"segment": r.scope, "rate_before": float(r.numbers["rate_before"]),
                      "rate_after": float(r.numbers["rate_after"]),
                      "rate_effect_pp": float(r.numbers["rate_effect_pts"])})
    large = d[d["n_audits_after"] >= min_n] if min_n is not None else d
    candidates = large if len(large) else d
    top = candidates.iloc[int(np.nanargmax(candidates["total_effect"].abs().to_numpy(float)))]
    part = "mix" if abs(top["mix_effect"]) >= abs(top["rate_effect"]) else "rate"
    what = (f"share of audits, {pct(top['share_before'])} to {pct(top['share_after'])}"
            if part == "mix" else
            f"own error rate, {pct(top['rate_before'])} to {pct(top['rate_after'])}")
    among = f" among {noun}s with {min_n} or more audits" if min_n is not None and \
        len(large) else ""
    tested = "share of audits or own error rate" if n.get("share_p_adjusted") else \
        "own error rate"  # share tests run only when the month's change is significant
    text = (f"No cause is established: no {noun}'s {tested} changed "
            f"beyond normal variation (tests adjusted for {family} comparisons); as "
            f"description only, the largest movement{among} was {top[dim]}'s {what} "
            f"({pp(top[f'{part}_effect'])} on the error rate).")
    return Claim("no_cause", str(top[dim]), text, False, None,
                 float(n["p_adjusted"]), family,
                 {"segment": str(top[dim]), "effect": part,
                  "effect_pp": float(top[f"{part}_effect"])})


def _target(h: Mapping[str, Any], scope_label: str) -> Claim:
    target, status = h.get("target"), h.get("target_status")
    numbers = {"target": target, "status": status, "accuracy": h["accuracy"]}
    if target is None:
        return Claim("target_status", scope_label, "No accuracy target is set for this scope "
                     "and month.", numbers=numbers)
    side = "above" if h["accuracy"] >= target else "below"
    text = {"met": f"Accuracy met the {pct(target)} target: the whole interval is above it.",
            "missed": f"Accuracy missed the {pct(target)} target: the whole interval is "
                      "below it.",
            "at risk": f"Against the {pct(target)} target the month is at risk: the estimate "
                       f"is {side} the target, but the interval reaches across it."}.get(
        str(status), f"Against the {pct(target)} target the status is {status}.")
    return Claim("target_status", scope_label, text, numbers=numbers)


def _largest_contributor(d: pd.DataFrame | None, dim: str, min_n: int | None
                         ) -> dict[str, Any] | None:
    """The segment with the most errors this month among those with ``min_n`` or more
    audits (a count, described, not a cause); None without errors or such a segment."""
    if d is None or not len(d) or "n_errors_after" not in d:
        return None
    large = d[d["n_audits_after"] >= min_n] if min_n is not None else d
    if large.empty or large["n_errors_after"].max() <= 0:
        return None
    top = large.iloc[int(np.argmax(large["n_errors_after"].to_numpy(float)))]
    return {"segment": str(top[dim]), "errors": int(top["n_errors_after"]),
            "total_errors": int(d["n_errors_after"].sum())}


def _listed(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _missed_action(scope: str, dimension: str, deep_dives: Sequence[str],
                   contributor: Mapping[str, Any] | None, due: str) -> str:
    """The action of a missed target with no established cause, fitting the report: the
    organisation's sends the reader to the deep dives built for it, a deep dive to its own
    breakdown (naming the segment with the most errors)."""
    unknown = "; no single cause is established yet."
    noun = dimension.replace("_", " ")
    if scope == "org":
        if deep_dives:
            which = (_listed(list(deep_dives)) if len(deep_dives) <= 3 else
                     f"the {len(deep_dives)} sites and queues that missed a target")
            return (f"Action: the quality lead reviews the deep dives of {which} (linked "
                    f"below) by {due}{unknown}")
        return (f"Action: the quality lead starts a root-cause review of the {noun}s with "
                f"the most errors by {due}{unknown}")
    if contributor is not None:
        return (f"Action: the quality lead reviews the errors of {noun} "
                f"{contributor['segment']}, which had the most errors this month "
                f"({count(contributor['errors'])} of {count(contributor['total_errors'])}; "
                f"see the breakdown by {noun} below), by {due}{unknown}")
    return f"Action: the quality lead reviews the breakdown by {noun} below by {due}{unknown}"


def _action(why: Claim | None, target: Claim, month: str, scope_label: str, *,
            missed: str) -> Claim:
    due = due_date(month)
    status = target.numbers.get("status")
    if why is not None and why.kind == "driver_mix":
        seg = why.numbers["segment"]
        text = (f"Action: {_OWNERS['mix']} decides by {due} whether to hold {seg}'s share of "
                f"volume until its error rate ({pct(why.numbers['rate_after'])}) comes down.")
        owner = _OWNERS["mix"]
    elif why is not None and why.kind == "driver_rate":
        seg = why.numbers["segment"]
        worse = why.numbers["rate_after"] > why.numbers["rate_before"]
        verb = "reviews the errors behind the rise at" if worse else "shares what worked at"
        text = f"Action: {_OWNERS['rate']} {verb} {seg} by {due}."
        owner = _OWNERS["rate"]
    elif status == "missed":
        text, owner = missed, "quality lead"
    elif status == "at risk":
        text = ("No corrective action: no cause is established; the quality lead checks the "
                f"target again in the {month_name(shift_month(month, 1))} report.")
        owner = "quality lead"
    else:
        text, owner = "No action needed this month.", ""
    return Claim("action", scope_label, text, numbers={"owner": owner, "due": due})


def executive_summary(headline: Mapping[str, Any], *, month: str, scope_label: str,
                      change: Sequence[Finding] = (), decomposition: pd.DataFrame | None = None,
                      dimension: str = "site", min_n: int | None = None, scope: str = "org",
                      deep_dives: Sequence[str] = ()) -> list[Claim]:
    """The four-move summary of a month (at most five sentences).

    Parameters
    ----------
    headline : mapping
        :func:`qa_insights.reports.mqr.headline_numbers` (accuracy, interval, audits, target
        and status, the month-over-month change and its test).
    month : str
        Report month ``YYYY-MM``.
    scope_label : str
        The scope in words ("whole organisation", "site bpo_alpha_manila").
    change : sequence of Finding
        :func:`qa_insights.present.findings.change_findings` of ``decomposition``: the
        ``rate_change`` finding first, then the significant segments.
    decomposition : DataFrame, optional
        The mix / rate decomposition by ``dimension``
        (:func:`qa_insights.reports.mqr.explain_month`, effects in pts of the error rate);
        None when there is no previous month.
    dimension : str
        The segment column of ``decomposition``.
    min_n : int, optional
        When no driver is established, the largest movement described is taken among the
        segments with at least ``min_n`` audits this month (all, if none has).
    scope : str
        The report's scope (``org``, ``site``, ``queue`` or ``market``): when the target is
        missed with no cause established, the organisation's action sends the reader to
        ``deep_dives``, a deep dive's to its own breakdown by ``dimension``, naming the
        segment with the most errors (among those with ``min_n`` or more audits).
    deep_dives : sequence of str
        The deep dives built for this month that the organisation's report links ("site
        bpo_gamma_hyderabad"), as :func:`qa_insights.reports.deep_dives.deep_dive_links`
        shows them below the summary.

    Returns
    -------
    list of Claim
        ``month_change``, then (with a previous month) one of ``driver_mix``,
        ``driver_rate`` or ``no_cause``, then ``target_status`` and ``action``.

    Examples
    --------
    >>> h = {"accuracy": .97, "ci_low": .96, "ci_high": .98, "n_audits": 1000,
    ...      "target": .95, "target_status": "met", "previous_month": None}
    >>> print(executive_summary(h, month="2026-10", scope_label="whole organisation")[-1]
    ...       .sentence)
    No action needed this month.
    """
    what = _what(headline, month, scope_label)
    claims = [what]
    why = None
    if change and decomposition is not None and len(decomposition):
        why = _why(change[0], decomposition, dimension, list(change[1:]),
                   bool(what.significant), min_n)
        claims.append(why)
    target = _target(headline, scope_label)
    missed = _missed_action(scope, dimension, deep_dives,
                            _largest_contributor(decomposition, dimension, min_n),
                            due_date(month))
    claims += [target, _action(why, target, month, scope_label, missed=missed)]
    return claims


def adjustment_note(change: Finding, dimension: str = "site") -> str:
    """One line saying that the segments' p-values of the change section are adjusted, and
    for how many comparisons.

    Examples
    --------
    >>> f = Finding("rate_change", "Org", "...", True, 0.02, {"tests_in_family": 8})
    >>> adjustment_note(f)[:57]
    "Each site's p-value above is adjusted for 8 comparisons ("
    """
    noun = dimension.replace("_", " ")
    return (f"Each {noun}'s p-value above is adjusted for "
            f"{int(change.numbers['tests_in_family'])} comparisons (the month's change tested "
            f"together with each {noun}'s own change; weighted Holm method).")


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def findings_frame(claims: Sequence[Claim], report: str) -> pd.DataFrame:
    """One row per claim, columns :data:`FINDINGS_COLUMNS` (``numbers`` as JSON).

    Examples
    --------
    >>> findings_frame([Claim("action", "Org", "No action needed this month.")],
    ...                "monthly_quality_report").kind.tolist()
    ['action']
    """
    rows = [{"report": report, "kind": c.kind, "scope": c.scope, "sentence": c.sentence,
             "significant": c.significant, "p_value": c.p_value, "p_adjusted": c.p_adjusted,
             "adjusted_for": c.adjusted_for,
             "numbers": json.dumps({k: _plain(v) for k, v in c.numbers.items()},
                                   sort_keys=True, default=str)}
            for c in claims]
    return pd.DataFrame(rows, columns=list(FINDINGS_COLUMNS))


def markdown(claims: Sequence[Claim], title: str) -> str:
    """The summary as Markdown: a heading and one paragraph (the e-mail body).

    Examples
    --------
    >>> markdown([Claim("action", "Org", "No action needed this month.")], "MQR, 2026-10")
    '# MQR, 2026-10\\n\\nNo action needed this month.\\n'
    """
    return f"# {title}\n\n{' '.join(c.sentence for c in claims)}\n"



def with_agreeing_interval(headline: Mapping[str, Any], trend: pd.DataFrame,
                           alpha: float = 0.05) -> dict[str, Any]:
    """``headline`` with the interval of the month's change replaced by the one that agrees
    with the change's test (:func:`qa_insights.stats.proportions.agreeing_interval` at
    ``1 - alpha``: the score interval the pooled z test inverts, or its Fisher
    counterpart), so "more than normal month-to-month variation" never stands beside an
    interval reaching 0, nor "within normal variation" beside one that excludes it. The
    p-value and the verdict are unchanged (docs/statistics-conventions.md).

    Parameters
    ----------
    headline : mapping
        :func:`qa_insights.reports.mqr.headline_numbers`.
    trend : DataFrame
        The monthly ``n_errors`` / ``n_audits`` the headline was computed from
        (:func:`qa_insights.reports.mqr.quality_trend`), with the month and the previous one
        (the month is the one after ``headline["previous_month"]``).
    alpha : float
        The level of the headline's test.

    Examples
    --------
    >>> trend = pd.DataFrame({"month": ["2026-09", "2026-10"], "n_audits": [820, 786],
    ...                       "n_errors": [10, 22]})
    >>> h = {"n_audits": 786, "previous_month": "2026-09", "mom_p_value": 0.044,
    ...      "mom_test": "two-proportion z", "mom_significant": True,
    ...      "mom_ci_low": -0.032, "mom_ci_high": 0.0001}
    >>> out = with_agreeing_interval(h, trend)
    >>> out["mom_ci_high"] < 0, out["mom_interval"]
    (True, 'test-inverted (score) interval')
    """
    from qa_insights.stats.proportions import agreeing_interval

    out = dict(headline)
    previous = headline.get("previous_month")
    if not previous or headline.get("mom_p_value") is None:
        return out
    counts = {str(m): (int(x), int(n)) for m, x, n in
              zip(trend["month"], trend["n_errors"], trend["n_audits"], strict=True)}
    (x1, n1), (x2, n2) = counts[shift_month(str(previous), 1)], counts[str(previous)]
    low, high = agreeing_interval(x1, n1, x2, n2, float(headline["mom_p_value"]),
                                  str(headline["mom_test"]), 1 - alpha)
    # the interval is of the error rate's change; accuracy moves the other way
    out.update(mom_ci_low=-high, mom_ci_high=-low, mom_interval="test-inverted (score) interval")
    return out


def small_segments_claim(decomposition: pd.DataFrame | None, dimension: str,
                         min_n: int | None, scope_label: str = "") -> Claim | None:
    """The segments with fewer than ``min_n`` audits in either month, said up front: their
    changes rest on few audits, and those small this month are not ranked (the summary's
    largest movement is taken among the others). None when there are none (or no
    ``min_n``).

    Examples
    --------
    >>> d = pd.DataFrame({"site": ["a", "b", "c"], "n_audits_before": [380, 7, 40],
    ...                   "n_audits_after": [400, 59, 12]})
    >>> print(small_segments_claim(d, "site", 30).sentence)
    Small samples: 2 sites had fewer than 30 audits in one of the two months (b 7 then 59, c 40 then 12): their changes rest on few audits, and c is not ranked.
    >>> small_segments_claim(d, "site", 5) is None
    True
    """
    if decomposition is None or min_n is None or not len(decomposition):
        return None
    small = decomposition[(decomposition["n_audits_before"] < min_n)
                          | (decomposition["n_audits_after"] < min_n)]
    if small.empty:
        return None
    noun = dimension.replace("_", " ")
    names = small[dimension].astype(str).tolist()
    before = [int(n) for n in small["n_audits_before"]]
    after = [int(n) for n in small["n_audits_after"]]
    shown = [f"{name} {count(b)} then {count(a)}" for name, b, a in zip(names, before, after,
                                                                         strict=True)]
    listed = ", ".join(shown[:5]) + (f" and {len(shown) - 5} more" if len(shown) > 5 else "")
    unranked = [name for name, a in zip(names, after, strict=True) if a < min_n]
    plural = noun if len(small) == 1 else f"{noun}s"
    rest = "its change rests" if len(small) == 1 else "their changes rest"
    text = (f"Small samples: {len(small)} {plural} had fewer than {min_n} audits in one of "
            f"the two months ({listed}): {rest} on few audits")
    if unranked:
        shown_unranked = ", ".join(unranked[:5]) + (" and others" if len(unranked) > 5 else "")
        text += f", and {shown_unranked} {'is' if len(unranked) == 1 else 'are'} not ranked"
    return Claim("small_sample", scope_label, text + ".",
                 numbers={"segments": {name: [b, a] for name, b, a in
                                       zip(names, before, after, strict=True)},
                          "min_n": min_n})


def with_small_segments(claims: Sequence[Claim], decomposition: pd.DataFrame | None,
                        dimension: str, min_n: int | None) -> list[Claim]:
    """``claims`` with :func:`small_segments_claim` placed right after the "why" claim
    (or after the first claim when there is none); unchanged when no segment is small.

    Examples
    --------
    >>> d = pd.DataFrame({"site": ["a", "b"], "n_audits_before": [380, 40],
    ...                   "n_audits_after": [400, 12]})
    >>> claims = [Claim("month_change", "Org", "x"), Claim("no_cause", "a", "y"),
    ...           Claim("action", "Org", "z")]
    >>> [c.kind for c in with_small_segments(claims, d, "site", 30)]
    ['month_change', 'no_cause', 'small_sample', 'action']
    """
    out = list(claims)
    scope = out[0].scope if out else ""
    extra = small_segments_claim(decomposition, dimension, min_n, scope)
    if extra is None:
        return out
    why = [i for i, c in enumerate(out) if c.kind in ("driver_mix", "driver_rate", "no_cause")]
    at = (why[0] + 1) if why else min(1, len(out))
    return [*out[:at], extra, *out[at:]]
