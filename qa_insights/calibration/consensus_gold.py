"""Calibration without an expert: the Dawid-Skene consensus as the golden answer.

A session that no expert rated has no golden answer. Rather than leave it out, its items
get the Dawid-Skene consensus of the raters (:func:`qa_insights.agreement.consensus.dawid_skene`,
fitted on all such sessions together, so each rater's confusion matrix is estimated from
every item they rated there): the consensus label is added as the rating of a pseudo-expert
``CONSENSUS`` (role ``expert``), and every comparison with gold then works unchanged.
The report says so: a rater scored against a consensus they are part of is scored against
the group, not against policy, and the consensus itself can be wrong when most raters err
the same way. Sessions with an expert keep the expert's label.

Examples
--------
>>> calib = pd.DataFrame({
...     "session_id": "S1", "session_date": "2026-10-08", "queue": "q", "site": "a",
...     "item_id": ["i1"] * 3 + ["i2"] * 3, "rater_id": ["M1", "M2", "M3"] * 2,
...     "rater_role": "moderator",
...     "label": ["spam", "spam", "no_violation", "no_violation", "no_violation",
...               "no_violation"]})
>>> scored, fit = with_consensus_gold(calib)
>>> scored[scored.rater_id == CONSENSUS_ID].label.tolist(), fit.sessions
(['spam', 'no_violation'], ['S1'])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from qa_insights.agreement.consensus import dawid_skene
from qa_insights.calibration.load import DEFAULT_ROLES, ratings_matrix

__all__ = ["CONSENSUS_ID", "ConsensusGold", "consensus_note", "with_consensus_gold"]

#: ``rater_id`` of the pseudo-expert whose labels are the consensus.
CONSENSUS_ID = "CONSENSUS"

_ITEM = ["session_id", "item_id"]


@dataclass(frozen=True)
class ConsensusGold:
    """What :func:`with_consensus_gold` did.

    Attributes
    ----------
    sessions : list of str
        Sessions scored against the consensus (none had an expert).
    confusion : DataFrame
        Each rater's estimated confusion matrix in long form: ``rater_id``, ``true_label``,
        ``label``, ``probability`` (P(rater says label | true label)); empty when no
        session needed the consensus.
    converged : bool
        Whether the EM converged (True when nothing was fitted).
    """

    sessions: list[str] = field(default_factory=list)
    confusion: pd.DataFrame = field(default_factory=pd.DataFrame)
    converged: bool = True


def with_consensus_gold(calibration: pd.DataFrame,
                        roles: Sequence[str] | None = DEFAULT_ROLES
                        ) -> tuple[pd.DataFrame, ConsensusGold]:
    """``calibration`` plus consensus labels (as pseudo-expert ratings) for the sessions
    without an expert.

    Parameters
    ----------
    calibration : DataFrame
        Long-form calibration table.
    roles : sequence of str or None
        Roles whose ratings form the consensus (default moderators and auditors).

    Returns
    -------
    (DataFrame, ConsensusGold)
        The table with one ``CONSENSUS`` row per item of those sessions (site ``consensus``),
        and what was fitted.
    """
    if calibration.empty:
        return calibration, ConsensusGold()
    has_expert = calibration.groupby("session_id")["rater_role"].apply(
        lambda r: bool((r == "expert").any()))
    missing = sorted(has_expert.index[~has_expert].astype(str))
    if not missing:
        return calibration, ConsensusGold()
    part = calibration[calibration["session_id"].astype(str).isin(missing)]
    matrix = ratings_matrix(part, roles)
    matrix = matrix[matrix.notna().any(axis=1)]
    if matrix.empty or matrix.stack().nunique() < 2:  # one label only: it is the consensus
        labels = matrix.bfill(axis=1).iloc[:, 0] if not matrix.empty else pd.Series(
            dtype=object)
        fit = ConsensusGold(missing, pd.DataFrame(columns=["rater_id", "true_label", "label",
                                                           "probability"]), True)
    else:
        result = dawid_skene(matrix)
        labels = result.labels
        fit = ConsensusGold(missing, result.confusion.rename(columns={"rater": "rater_id"}),
                            result.converged)
    items = part.drop_duplicates(_ITEM).set_index(_ITEM)
    keys = pd.MultiIndex.from_tuples(list(labels.index), names=_ITEM)
    rows = items.loc[keys].reset_index().assign(
        rater_id=CONSENSUS_ID, rater_role="expert", site="consensus",
        label=labels.to_numpy())
    return (pd.concat([calibration, rows[calibration.columns]], ignore_index=True), fit)


def consensus_note(fit: ConsensusGold) -> str:
    """The sentence a report shows when some sessions were scored against the consensus
    (empty otherwise).

    Examples
    --------
    >>> print(consensus_note(ConsensusGold(["S1"])))
    Session S1 had no expert: its raters are scored against the Dawid-Skene consensus of all raters (each rater weighted by their estimated reliability), not against policy; where most raters err the same way the consensus errs too.
    """
    if not fit.sessions:
        return ""
    n = len(fit.sessions)
    names = ", ".join(fit.sessions[:4]) + (", ..." if n > 4 else "")
    text = (f"{'Session' if n == 1 else 'Sessions'} {names} had no expert: "
            f"{'its' if n == 1 else 'their'} raters are scored against the Dawid-Skene "
            "consensus of all raters (each rater weighted by their estimated reliability), "
            "not against policy; where most raters err the same way the consensus errs too.")
    if not fit.converged:
        text += " The consensus did not converge: read it with care."
    return text
