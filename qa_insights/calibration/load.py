"""The long-form calibration table: gold labels, ratings against gold, ratings matrices.

Input is the ``calibration`` table of the data contract, one row per rater per item:
``session_id, session_date, item_id, queue, rater_id, rater_role, site, label``. The
expert's label is the golden answer for that item of that session (items are keyed by
``(session_id, item_id)``). Import these from :mod:`qa_insights.calibration.raters`.

Examples
--------
>>> calibration = pd.DataFrame({
...     "session_id": "S1", "item_id": ["i1", "i1", "i2", "i2"],
...     "rater_id": ["E", "M1", "E", "M1"],
...     "rater_role": ["expert", "moderator", "expert", "moderator"],
...     "label": ["spam", "spam", "no_violation", "spam"]})
>>> gold_labels(calibration)
  session_id item_id    gold_label
0         S1      i1          spam
1         S1      i2  no_violation
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import pandas as pd

from qa_insights.data.contract import CALIBRATION, NO_VIOLATION

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = [
    "DEFAULT_ROLES",
    "gold_comparison",
    "gold_labels",
    "in_roles",
    "load_calibration",
    "ratings_matrix",
]

#: Roles whose labels are compared with gold and with each other by default.
DEFAULT_ROLES: tuple[str, ...] = ("moderator", "auditor")
_ITEM = ["session_id", "item_id"]


def check_columns(calibration: pd.DataFrame, needed: Sequence[str] = ()) -> None:
    """Raise ValueError naming the ``needed`` columns (default: all contract columns) the
    frame lacks."""
    needed = list(needed) or CALIBRATION.names
    missing = [c for c in needed if c not in calibration.columns]
    if missing:
        raise ValueError(f"the calibration frame lacks columns {missing}; expected the "
                         f"contract columns {CALIBRATION.names}")


def in_roles(calibration: pd.DataFrame, roles: Sequence[str] | None) -> pd.DataFrame:
    """The rows of raters in ``roles`` (all rows when None)."""
    return calibration if roles is None else calibration[calibration["rater_role"].isin(roles)]


def load_calibration(store: Store) -> pd.DataFrame:
    """The validated ``calibration`` table of a store as a pandas frame.

    Parameters
    ----------
    store : qa_insights.data.protocol.Store
        An open store (:func:`qa_insights.data.opening.open_store`).

    Returns
    -------
    DataFrame
        The contract columns, ``session_date`` as datetime.

    Raises
    ------
    ValueError
        The data folder had no calibration table.

    Examples
    --------
    >>> from qa_insights.data.opening import open_store
    >>> with open_store("data_samples") as store:            # doctest: +SKIP
    ...     calibration = load_calibration(store)
    """
    if not store.table_present("calibration"):
        raise ValueError("the data folder has no calibration table")
    return store.query("SELECT * FROM calibration")


def gold_labels(calibration: pd.DataFrame,
                on_conflict: Literal["raise", "drop"] = "raise") -> pd.DataFrame:
    """The expert's label of each item: the golden answer.

    Parameters
    ----------
    calibration : DataFrame
        Long-form calibration table.
    on_conflict : {"raise", "drop"}
        What to do when two experts gave one item different labels: raise, or leave the
        item without gold.

    Returns
    -------
    DataFrame
        Columns ``session_id``, ``item_id``, ``gold_label``; items with no expert rating
        are absent.

    Raises
    ------
    ValueError
        Missing columns, or experts disagree and ``on_conflict="raise"``.

    Examples
    --------
    >>> calib = pd.DataFrame({
    ...     "session_id": "S1", "session_date": "2026-10-08", "queue": "spam", "site": "dub",
    ...     "item_id": ["i1", "i1", "i2", "i2"], "rater_id": ["E", "M1"] * 2,
    ...     "rater_role": ["expert", "moderator"] * 2,
    ...     "label": ["spam", "spam", "spam", "no_violation"]})
    >>> gold_labels(calib)["gold_label"].tolist()
    ['spam', 'spam']
    """
    check_columns(calibration, [*_ITEM, "rater_role", "label"])
    experts = calibration.loc[calibration["rater_role"] == "expert", [*_ITEM, "label"]]
    experts = experts.drop_duplicates()
    conflicted = experts.duplicated(_ITEM, keep=False)
    if conflicted.any() and on_conflict == "raise":
        examples = experts.loc[conflicted, _ITEM].drop_duplicates().head(3)
        n_items = experts.loc[conflicted, _ITEM].drop_duplicates().shape[0]
        raise ValueError(f"experts disagree on {n_items} items (e.g. "
                         f"{examples.to_records(index=False).tolist()}); pass "
                         "on_conflict='drop' to leave them without gold")
    return (experts[~conflicted].rename(columns={"label": "gold_label"})
            .reset_index(drop=True))


def gold_comparison(calibration: pd.DataFrame, roles: Sequence[str] | None = DEFAULT_ROLES,
                    no_violation: str = NO_VIOLATION,
                    on_conflict: Literal["raise", "drop"] = "raise") -> pd.DataFrame:
    """Each rating next to the golden answer, with its error type.

    Parameters
    ----------
    calibration : DataFrame
        Long-form calibration table.
    roles : sequence of str or None
        Roles to compare with gold (None: all roles; an expert then matches gold).
    no_violation : str
        The label that means "breaks no policy".
    on_conflict : {"raise", "drop"}
        See :func:`gold_labels`.

    Returns
    -------
    DataFrame
        The rating rows that have gold, plus ``gold_label``, ``correct``,
        ``over_enforcement`` (actioned, gold is no violation), ``under_enforcement`` (no
        violation, gold is a violation), ``wrong_policy`` (both actioned, other policy)
        and ``gold_is_violation``.

    Examples
    --------
    >>> calib = pd.DataFrame({
    ...     "session_id": "S1", "session_date": "2026-10-08", "queue": "spam", "site": "dub",
    ...     "item_id": ["i1", "i1", "i2", "i2"], "rater_id": ["E", "M1"] * 2,
    ...     "rater_role": ["expert", "moderator"] * 2,
    ...     "label": ["spam", "spam", "spam", "no_violation"]})
    >>> gold_comparison(calib)[["item_id", "label", "correct", "under_enforcement"]]
      item_id         label  correct  under_enforcement
    0      i1          spam     True              False
    1      i2  no_violation    False               True
    """
    check_columns(calibration)
    rows = in_roles(calibration, roles).merge(gold_labels(calibration, on_conflict), on=_ITEM)
    rater_acts = rows["label"] != no_violation
    gold_acts = rows["gold_label"] != no_violation
    correct = rows["label"] == rows["gold_label"]
    return rows.assign(correct=correct, over_enforcement=rater_acts & ~gold_acts,
                       under_enforcement=~rater_acts & gold_acts,
                       wrong_policy=rater_acts & gold_acts & ~correct,
                       gold_is_violation=gold_acts)


def ratings_matrix(calibration: pd.DataFrame, roles: Sequence[str] | None = DEFAULT_ROLES,
                   session_id: str | None = None) -> pd.DataFrame:
    """Items x raters matrix of labels, the input of every agreement coefficient.

    Parameters
    ----------
    calibration : DataFrame
        Long-form calibration table.
    roles : sequence of str or None
        Roles to include (None: all, experts too).
    session_id : str, optional
        Keep only this session.

    Returns
    -------
    DataFrame
        Index ``(session_id, item_id)``, one column per ``rater_id``, missing where a rater
        did not rate an item.

    Raises
    ------
    ValueError
        Missing columns, or a rater labelled the same item twice in a session.

    Examples
    --------
    >>> calib = pd.DataFrame({
    ...     "session_id": "S1", "session_date": "2026-10-08", "queue": "spam", "site": "dub",
    ...     "item_id": ["i1", "i1", "i2", "i2"], "rater_id": ["E", "M1"] * 2,
    ...     "rater_role": ["expert", "moderator"] * 2,
    ...     "label": ["spam", "spam", "spam", "no_violation"]})
    >>> ratings_matrix(calib, roles=None)["E"].tolist()
    ['spam', 'spam']
    """
    check_columns(calibration, [*_ITEM, "rater_id", "rater_role", "label"])
    rows = in_roles(calibration, roles)
    if session_id is not None:
        rows = rows[rows["session_id"] == session_id]
    twice = rows.duplicated([*_ITEM, "rater_id"])
    if twice.any():
        first = rows.loc[twice, [*_ITEM, "rater_id"]].iloc[0].tolist()
        raise ValueError(f"{int(twice.sum())} repeated ratings (same session, item and rater), "
                         f"e.g. {first}; keep one label per rater and item")
    return rows.pivot(index=_ITEM, columns="rater_id", values="label")
