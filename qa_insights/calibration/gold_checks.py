"""What calibration needs from the expert, checked before the comparisons with gold.

The expert's label is the golden answer of an item. Two cases leave an item without one:

* **No expert rated it.** A month whose sessions have no expert rating cannot compare
  raters with gold; :func:`missing_gold_note` gives the one line a report shows instead.
* **Experts disagree.** The rule: an item that two experts of the same session labelled
  differently has no golden answer, so it is *excluded from the whole report* (gold
  comparisons and agreement alike, so every table counts the same items), and the report
  says how many items it excluded (:func:`without_expert_conflicts`). Builds from the
  command line apply the same rule; nothing needs to be set.

Examples
--------
>>> calib = pd.DataFrame({
...     "session_id": "S1", "item_id": ["i1", "i1", "i1", "i2", "i2"],
...     "rater_id": ["E1", "E2", "M1", "E1", "M1"],
...     "rater_role": ["expert", "expert", "moderator", "expert", "moderator"],
...     "label": ["spam", "no_violation", "spam", "spam", "spam"]})
>>> kept, note = without_expert_conflicts(calib)
>>> sorted(kept["item_id"].unique()), note
(['i2'], '1 calibration item left out: its experts gave different labels, so it has no golden answer (session S1 item i1).')
"""

from __future__ import annotations

import pandas as pd

__all__ = ["expert_conflicts", "missing_gold_note", "without_expert_conflicts"]

_ITEM = ["session_id", "item_id"]


def expert_conflicts(calibration: pd.DataFrame) -> pd.DataFrame:
    """The items (``session_id``, ``item_id``) whose experts gave different labels.

    Examples
    --------
    >>> calib = pd.DataFrame({"session_id": "S1", "item_id": ["i1", "i1"],
    ...                       "rater_role": "expert", "label": ["spam", "hate"]})
    >>> expert_conflicts(calib).to_dict("records")
    [{'session_id': 'S1', 'item_id': 'i1'}]
    """
    experts = calibration.loc[calibration["rater_role"] == "expert", [*_ITEM, "label"]]
    n_labels = experts.drop_duplicates().groupby(_ITEM, sort=True).size()
    return n_labels[n_labels > 1].index.to_frame(index=False)


def without_expert_conflicts(calibration: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """``calibration`` without the items whose experts disagree, and the sentence saying
    how many were left out (empty when none was).

    Examples
    --------
    >>> calib = pd.DataFrame({"session_id": "S1", "item_id": ["i1"], "rater_role": "expert",
    ...                       "label": ["spam"]})
    >>> without_expert_conflicts(calib)[1]
    ''
    """
    conflicts = expert_conflicts(calibration)
    if conflicts.empty:
        return calibration, ""
    keys = pd.MultiIndex.from_frame(conflicts)
    dropped = pd.MultiIndex.from_frame(calibration[_ITEM]).isin(keys)
    examples = ", ".join(f"session {s} item {i}" for s, i in conflicts.head(3).itertuples(
        index=False)) + (", ..." if len(conflicts) > 3 else "")
    n = len(conflicts)
    note = (f"{n} calibration item{'s' if n != 1 else ''} left out: {'its' if n == 1 else 'their'}"
            f" experts gave different labels, so {'it has' if n == 1 else 'they have'} no "
            f"golden answer ({examples}).")
    return calibration.loc[~dropped].reset_index(drop=True), note


def missing_gold_note(calibration: pd.DataFrame, month: str, scope_label: str) -> str:
    """One line when calibration ratings exist but no expert rated any of their items (so
    nothing can be compared with gold); empty otherwise.

    Examples
    --------
    >>> calib = pd.DataFrame({"session_id": "S1", "item_id": ["i1"], "rater_role": "moderator",
    ...                       "label": ["spam"]})
    >>> print(missing_gold_note(calib, "2026-10", "whole organisation"))
    No expert rated the calibration items of 2026-10 for the whole organisation, so raters cannot be compared with the golden answer: add the expert's ratings (rater_role expert) to the calibration table.
    """
    if calibration.empty or (calibration["rater_role"] == "expert").any():
        return ""
    return (f"No expert rated the calibration items of {month} for the {scope_label}, so "
            "raters cannot be compared with the golden answer: add the expert's ratings "
            "(rater_role expert) to the calibration table.")
