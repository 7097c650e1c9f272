"""The Monthly Business Review's summary: what cost and the budget add to the quality claims.

:func:`cost_claim` says what cost did and why (the volume, mix and unit-cost split, an
accounting identity, so no test), :func:`budget_claims` the organisation against its
budget and finance's action, and :func:`business_summary` puts them after the quality
claims of :func:`qa_insights.reports.summary.executive_summary`, which stay word for word
the Monthly Quality Report's, with one action at the end. :func:`budget_detail` (what the
budget is made of, how the sites did) and :func:`budget_consistency` (the sites' own
budgets do not add up to the organisation's) are said under the budget table.

Examples
--------
>>> from qa_insights.reports.summary import Claim
>>> q = [Claim("month_change", "Org", "A."), Claim("action", "Org", "No action needed this month.")]
>>> [c.kind for c in business_summary(q, Claim("cost_change", "Org", "C."))]
['month_change', 'cost_change', 'action']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from qa_insights.present.display import count, money, number
from qa_insights.reports.summary import Claim, due_date, month_name

__all__ = ["budget_claims", "budget_consistency", "budget_detail", "business_summary",
           "cost_claim"]


def _signed_verb(amount: float, up: str, down: str) -> str:
    return up if amount >= 0 else down


def _org_budget(budget: pd.DataFrame | None, currency: str) -> tuple[str, dict[str, Any]] | None:
    """The organisation's variance against its budget as a phrase ("USD 40 (+10.0%) over
    its budget of USD 400") and its numbers; None when it has no budget."""
    org = None if budget is None else budget[budget["scope"] == "org"]
    if org is None or org.empty or pd.isna(org["budget"].iloc[0]):
        return None
    r = org.iloc[0]
    phrase = (f"{money(abs(r['variance']), currency)} "
              f"({number(r['variance_pct'], sign=True)}%) "
              f"{'over' if r['variance'] > 0 else 'under'} its budget of "
              f"{money(r['budget'], currency)}")
    return phrase, {"currency": currency, "cost": float(r["cost"]),
                    "budget": float(r["budget"]), "variance": float(r["variance"]),
                    "variance_pct": float(r["variance_pct"]), "status": str(r["status"])}


def cost_claim(decomposition: pd.DataFrame, currency: str, scope_label: str,
               dimension: str = "site", budget: pd.DataFrame | None = None) -> Claim:
    """What happened to cost and why, in ``currency`` (kind ``cost_change``), with the
    organisation's variance against its budget when ``budget`` has one (then
    :func:`business_summary` leaves out the budget's own sentence).

    The split into the number of items (volume), volume moving between segments of
    different cost per item (mix) and the segments' own cost per item (unit cost) is an
    exact accounting identity (:func:`qa_insights.business.costs.decompose_cost_change`),
    not an estimate: there is no test and no interval.

    Parameters
    ----------
    decomposition : DataFrame
        :func:`qa_insights.business.costs.cost_change` by ``dimension`` (its
        ``attrs["overall"]`` holds the totals, ``month`` and ``compare_month``).
    currency : str
        The costs' currency.
    scope_label : str
        What the claim is about ("whole organisation").
    dimension : str
        The segment column of ``decomposition``.
    budget : DataFrame, optional
        :func:`qa_insights.business.costs.budget_against_targets` (its ``org`` row).

    Examples
    --------
    >>> d = pd.DataFrame({"site": ["a", "b"], "mix_effect": [-30.0, 5.0],
    ...                   "share_before": [0.2, 0.8], "share_after": [0.5, 0.5]})
    >>> d.attrs["overall"] = {"month": "2026-10", "compare_month": "2026-09",
    ...     "cost_before": 1000.0, "cost_after": 1100.0, "change": 100.0, "change_pct": 10.0,
    ...     "volume_effect": 125.0, "mix_effect": -25.0, "unit_cost_effect": 0.0}
    >>> print(cost_claim(d, "USD", "whole organisation").sentence)
    Cost was USD 1.1k in October 2026, up USD 100 (+10.0%) from USD 1.0k in September 2026: the number of items added USD 125, volume moving between sites saved USD 25 (mostly to a), and sites' own cost per item added USD 0.
    >>> b = pd.DataFrame({"scope": ["org"], "cost": [1100.0], "budget": [1000.0],
    ...     "variance": [100.0], "variance_pct": [10.0], "status": ["over budget"]})
    >>> print(cost_claim(d, "USD", "whole organisation", budget=b).sentence.split(":")[0])
    Cost was USD 1.1k in October 2026, USD 100 (+10.0%) over its budget of USD 1.0k, and up USD 100 (+10.0%) from USD 1.0k in September 2026
    """
    o = decomposition.attrs["overall"]
    top = decomposition.iloc[int(decomposition["mix_effect"].abs().to_numpy().argmax())]
    towards = "to" if top["share_after"] >= top["share_before"] else "away from"
    noun = dimension.replace("_", " ")
    vol, mix, unit = (float(o[f"{k}_effect"]) for k in ("volume", "mix", "unit_cost"))
    against = _org_budget(budget, currency)
    text = (f"Cost was {money(o['cost_after'], currency)} in {month_name(o['month'])}, "
            f"{'' if against is None else against[0] + ', and '}"
            f"{_signed_verb(o['change'], 'up', 'down')} {money(abs(o['change']), currency)} "
            f"({number(o['change_pct'], sign=True)}%) from {money(o['cost_before'], currency)} "
            f"in {month_name(o['compare_month'])}: the number of items "
            f"{_signed_verb(vol, 'added', 'saved')} {money(abs(vol), currency)}, volume moving "
            f"between {noun}s {_signed_verb(mix, 'added', 'saved')} {money(abs(mix), currency)}"
            f" (mostly {towards} {top[dimension]}), and {noun}s' own cost per item "
            f"{_signed_verb(unit, 'added', 'saved')} {money(abs(unit), currency)}.")
    return Claim("cost_change", scope_label, text, numbers={
        "currency": currency, "cost_before": float(o["cost_before"]),
        "cost_after": float(o["cost_after"]), "change_pct": float(o["change_pct"]),
        "volume_effect": vol, "mix_effect": mix, "unit_cost_effect": unit,
        "mix_segment": str(top[dimension]),
        **({} if against is None else {
            "budget": against[1]["budget"], "budget_variance": against[1]["variance"],
            "budget_variance_pct": against[1]["variance_pct"],
            "budget_status": against[1]["status"]})})


def budget_consistency(budget: pd.DataFrame, currency: str, tolerance: float = 0.01
                       ) -> str | None:
    """One sentence when every site has a budget of its own and those budgets do not add up
    to the organisation's (within ``tolerance``, relative): the targets of the organisation
    and of its sites disagree, which finance should know before reading either variance.

    Examples
    --------
    >>> b = pd.DataFrame({"scope": ["org", "site", "site"], "scope_value": ["", "a", "b"],
    ...                   "budget": [1000.0, 700.0, 500.0]})
    >>> budget_consistency(b, "USD")
    "The sites' own budgets add up to USD 1.2k, USD 200 (+20.0%) more than the organisation's budget of USD 1.0k: the cost-per-item targets of the organisation and of its sites disagree."
    >>> budget_consistency(b.assign(budget=[1200.0, 700.0, 500.0]), "USD") is None
    True
    """
    org = budget.loc[budget["scope"] == "org", "budget"]
    sites = budget.loc[budget["scope"] == "site", "budget"]
    if org.empty or sites.empty or org.isna().any() or sites.isna().any():
        return None
    total, base = float(sites.sum()), float(org.iloc[0])
    gap = total - base
    if base <= 0 or abs(gap) <= tolerance * base:
        return None
    return (f"The sites' own budgets add up to {money(total, currency)}, "
            f"{money(abs(gap), currency)} ({number(100 * gap / base, sign=True)}%) "
            f"{'more' if gap > 0 else 'less'} than the organisation's budget of "
            f"{money(base, currency)}: the cost-per-item targets of the organisation and of "
            "its sites disagree.")


def budget_detail(budget: pd.DataFrame, currency: str) -> str | None:
    """What the organisation's budget is made of and how the sites with a budget of their
    own did, said under the budget table (the summary gives only the organisation's
    variance); None when the organisation has no budget.

    Examples
    --------
    >>> b = pd.DataFrame({"scope": ["org", "site"], "scope_value": ["", "a"],
    ...     "items_handled": [1000, 1000], "budget": [400.0, None],
    ...     "budget_cost_per_item": [0.4, None], "status": ["over budget", "no budget"]})
    >>> budget_detail(b, "USD")
    "The organisation's budget of USD 400 is the USD 0.400 cost-per-item target for 1,000 items. No site has a cost-per-item target of its own, so no site is compared with a budget."
    """
    org = budget[budget["scope"] == "org"]
    if org.empty or pd.isna(org["budget"].iloc[0]):
        return None
    r = org.iloc[0]
    text = (f"The organisation's budget of {money(r['budget'], currency)} is the "
            f"{money(r['budget_cost_per_item'], currency, per_unit=True)} cost-per-item target"
            f" for {count(r['items_handled'])} items.")
    own = budget[(budget["scope"] == "site") & (budget["status"] != "no budget")]
    if own.empty:
        return text + (" No site has a cost-per-item target of its own, so no site is "
                       "compared with a budget.")
    n_over = int((own["status"] == "over budget").sum())
    return text + (f" Of the {len(own)} sites with a target of their own, {n_over} "
                   f"{'was' if n_over == 1 else 'were'} over budget.")


def budget_claims(budget: pd.DataFrame, currency: str, month: str, scope_label: str
                  ) -> list[Claim]:
    """The organisation's cost against its budget in one sentence (kind
    ``budget_status``; what the budget is made of and the sites are in
    :func:`budget_detail`, under the budget table) and, when it is over budget, an action
    for finance (kind ``action``, its task without the date in ``numbers["task"]``).

    Parameters
    ----------
    budget : DataFrame
        :func:`qa_insights.business.costs.budget_against_targets`: the ``org`` row first,
        then the sites, each against its own cost-per-item target.
    currency : str
        The costs' currency.
    month : str
        Report month ``YYYY-MM`` (the action's date is the 15th of the next month).
    scope_label : str
        What the claims are about.

    Examples
    --------
    >>> b = pd.DataFrame({"scope": ["org", "site"], "scope_value": ["", "a"],
    ...     "items_handled": [1000, 1000], "cost": [440.0, 440.0], "budget": [400.0, None],
    ...     "variance": [40.0, None], "variance_pct": [10.0, None],
    ...     "budget_cost_per_item": [0.4, None], "status": ["over budget", "no budget"]})
    >>> for c in budget_claims(b, "USD", "2026-10", "whole organisation"):
    ...     print(c.sentence)
    Cost was USD 40 (+10.0%) over its budget of USD 400.
    Action: finance reviews the cost per item (USD 0.440 against the USD 0.400 target) with vendor management by 15 November 2026.
    """
    against = _org_budget(budget, currency)
    if against is None:
        return [Claim("budget_status", scope_label, "No cost-per-item target is set for the "
                      "organisation this month, so there is no budget to compare cost with.",
                      numbers={"currency": currency})]
    r = budget[budget["scope"] == "org"].iloc[0]
    over = r["variance"] > 0
    text, numbers = f"Cost was {against[0]}.", against[1]
    claims = [Claim("budget_status", scope_label, text, numbers=numbers)]
    if over:
        per_item = r["cost"] / r["items_handled"]
        due = due_date(month)
        task = (f"finance reviews the cost per item "
                f"({money(per_item, currency, per_unit=True)} against the "
                f"{money(r['budget_cost_per_item'], currency, per_unit=True)} target) with "
                "vendor management")
        claims.append(Claim("action", scope_label, f"Action: {task} by {due}.",
                            numbers={"owner": "finance", "due": due, "task": task}))
    return claims


def _one_action(quality: Claim, finance: Claim) -> list[Claim]:
    """The quality action and finance's as one sentence when both are actions due the same
    day; finance's alone when quality needs none; else both."""
    if quality.sentence == "No action needed this month.":
        return [finance]
    if not quality.sentence.startswith("Action: ") or \
            quality.numbers.get("due") != finance.numbers.get("due"):
        return [quality, finance]
    text = f"{quality.sentence.rstrip('.')}; {finance.numbers['task']} by the same date."
    owners = f"{quality.numbers['owner']}; {finance.numbers['owner']}"
    return [Claim("action", quality.scope, text,
                  numbers={"owner": owners, "due": quality.numbers["due"]})]


def business_summary(claims: Sequence[Claim], cost: Claim | None = None,
                     budget: Sequence[Claim] = ()) -> list[Claim]:
    """The MBR's summary, the four moves for quality and then for money: the quality claims
    of :func:`qa_insights.reports.summary.executive_summary` word for word as in the
    Monthly Quality Report (what, why, target), then what cost did and the budget (one
    sentence when ``cost`` carries the budget: :func:`cost_claim`), then one action (the
    quality action and finance's in one sentence when both are due).

    Examples
    --------
    >>> q = [Claim("month_change", "Org", "A."), Claim("target_status", "Org", "T."),
    ...      Claim("action", "Org", "Action: x does y by 15 May 2026.",
    ...            numbers={"owner": "x", "due": "15 May 2026"})]
    >>> b = [Claim("budget_status", "Org", "B."),
    ...      Claim("action", "Org", "F.", numbers={"owner": "finance", "due": "15 May 2026",
    ...                                            "task": "finance checks z"})]
    >>> [c.sentence for c in business_summary(q, Claim("cost_change", "Org", "C."), b)]
    ['A.', 'T.', 'C.', 'B.', 'Action: x does y by 15 May 2026; finance checks z by the same date.']
    """
    quality = [c for c in claims if c.kind != "action"]
    todo = [c for c in claims if c.kind == "action"]
    with_budget = cost is not None and "budget" in cost.numbers
    money_claims = [c for c in (cost, *budget) if c is not None and c.kind != "action"
                    and not (with_budget and c.kind == "budget_status")]
    finance = [c for c in budget if c.kind == "action"]
    if todo and finance:
        todo = [*todo[:-1], *_one_action(todo[-1], finance[0])]
    else:
        todo += finance
    return [*quality, *money_claims, *todo]
