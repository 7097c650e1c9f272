"""The deep dives a month's findings point to, so that every "see the deep dive" resolves.

The MQR's summary names a site as the driver of the month's change when
:func:`qa_insights.present.findings.change_findings` backs it (a mix or a rate claim), and
the MBR sends the reader to "its RCA deep dive" for every site or queue that missed a
quality target. :func:`named_scopes` computes both with the same library calls the reports
use (:func:`qa_insights.rca.change.explain_change` by site with ``change_findings``, and
:func:`qa_insights.business.targets.target_attainment`), so ``qa-insights build --reports
rca`` builds a deep dive for each, beside the busiest queues'.

Examples
--------
>>> named_scopes(store, "2026-10")                                  # doctest: +SKIP
[('site', 'bpo_beta_cebu')]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = ["DEEP_DIVE_METRICS_EXCLUDED", "change_named_sites", "missed_target_scopes",
           "named_scopes"]

#: Missed targets of these metrics get a different action than a root-cause review
#: (staffing and rates for cost, workflow for handle time), so no deep dive.
DEEP_DIVE_METRICS_EXCLUDED = ("cost_per_item", "handle_time_s")


def change_named_sites(decomposition: pd.DataFrame | None) -> list[str]:
    """Sites the month's change findings name as a cause: the segments of
    ``numbers["named"]`` of the headline finding (mix or rate claims) and every segment
    whose own rate changed significantly, in that order, without repeats.

    Parameters
    ----------
    decomposition : DataFrame or None
        :func:`qa_insights.rca.change.explain_change` by ``site`` (``scale=100``); None
        (no previous month) names nothing.

    Examples
    --------
    >>> from qa_insights.stats.lmdi import lmdi
    >>> before = pd.DataFrame({"site": ["a", "b", "c"], "n_audits": [2000, 2000, 2000],
    ...                        "n_errors": [40, 40, 40]})
    >>> change_named_sites(lmdi(before, before.assign(n_errors=[90, 45, 38]), "site"))
    ['a']
    >>> change_named_sites(lmdi(before, before, "site"))
    []
    """
    from qa_insights.present.findings import change_findings

    if decomposition is None or not len(decomposition):
        return []
    findings = change_findings(decomposition)
    named = [str(n["segment"]) for n in findings[0].numbers.get("named", [])]
    named += [f.scope for f in findings[1:] if f.significant]
    return list(dict.fromkeys(named))


def missed_target_scopes(attainment: pd.DataFrame, month: str,
                         scopes: Sequence[str] = ("site", "queue")) -> list[tuple[str, str]]:
    """(scope, value) of every site or queue that missed a target in ``month`` whose action
    is a root-cause review (metrics outside :data:`DEEP_DIVE_METRICS_EXCLUDED`).

    Parameters
    ----------
    attainment : DataFrame
        :func:`qa_insights.business.targets.target_attainment`.
    month : str
        The month.
    scopes : sequence of str
        The scopes that get a deep dive.

    Examples
    --------
    >>> a = pd.DataFrame({"metric": ["accuracy", "cost_per_item", "accuracy"],
    ...     "scope": ["site", "site", "org"], "scope_value": ["hyd", "cebu", None],
    ...     "month": ["2026-10"] * 3, "status": ["missed"] * 3})
    >>> missed_target_scopes(a, "2026-10")
    [('site', 'hyd')]
    """
    rows = attainment[(attainment["month"] == month) & (attainment["status"] == "missed")
                      & attainment["scope"].isin(list(scopes))
                      & ~attainment["metric"].isin(DEEP_DIVE_METRICS_EXCLUDED)]
    pairs = [(str(s), str(v)) for s, v in zip(rows["scope"], rows["scope_value"], strict=True)]
    return list(dict.fromkeys(pairs))


def named_scopes(store: Store, month: str) -> list[tuple[str, str]]:
    """(scope, value) of the deep dives the month's MQR and MBR point to: the sites the
    organisation's change findings name (:func:`change_named_sites`), then the sites and
    queues that missed a quality target (:func:`missed_target_scopes`).

    Parameters
    ----------
    store : Store
        Open store.
    month : str
        The month ``YYYY-MM``.

    Returns
    -------
    list of (str, str)
        Without repeats; empty when nothing is named (no previous month, no targets).
    """
    from qa_insights.business.targets import target_attainment
    from qa_insights.rca.change import explain_change

    try:
        decomposition: pd.DataFrame | None = explain_change(store, month, ["site"])
    except ValueError:  # no audits in the previous month
        decomposition = None
    out = [("site", s) for s in change_named_sites(decomposition)]
    if store.table_present("targets"):
        out += missed_target_scopes(target_attainment(store, month), month)
    return list(dict.fromkeys(out))
