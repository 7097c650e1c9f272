"""Per-session views of a calibration: agreement between raters, hardest items, labels.

Import these from :mod:`qa_insights.calibration.raters` (see there for the input table).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from qa_insights.agreement.fleiss import fleiss_category_kappas
from qa_insights.agreement.table import agreement_table
from qa_insights.calibration.load import (
    DEFAULT_ROLES,
    check_columns,
    gold_comparison,
    in_roles,
    ratings_matrix,
)
from qa_insights.stats.proportions import wilson_interval

__all__ = ["hardest_items", "label_agreement", "session_agreement"]

_ITEM = ["session_id", "item_id"]


def session_agreement(calibration: pd.DataFrame, roles: Sequence[str] | None = DEFAULT_ROLES,
                      confidence: float = 0.95) -> pd.DataFrame:
    """Agreement between raters in each session, every coefficient side by side.

    Parameters
    ----------
    calibration : DataFrame
        Long-form calibration table.
    roles : sequence of str or None
        Whose labels to compare (default moderators and auditors; the expert is gold and
        is left out).
    confidence : float
        Level of the intervals.

    Returns
    -------
    DataFrame
        Long form, one row per session and coefficient: ``session_id``, ``session_date``,
        ``n_items``, ``n_raters``, ``n_ratings``, then the :func:`agreement_table` columns
        (``coefficient``, ``value``, ``se``, ``ci_low``, ``ci_high``, ...) and ``note``
        (why a value is missing). ``pivot(index="session_id", columns="coefficient",
        values="value")`` gives the side-by-side table.

    Examples
    --------
    >>> table = session_agreement(calibration)                          # doctest: +SKIP
    >>> table.pivot(index="session_id", columns="coefficient", values="value")  # doctest: +SKIP
    """
    check_columns(calibration, [*_ITEM, "session_date", "rater_id", "rater_role", "label"])
    rows = in_roles(calibration, roles)
    frames = []
    for session_id, part in rows.groupby("session_id", sort=True):
        matrix = ratings_matrix(part, roles=None)
        try:
            table = agreement_table(matrix, confidence=confidence)
        except ValueError as err:
            table = pd.DataFrame({"coefficient": ["percent agreement"], "note": [str(err)]})
        frames.append(table.assign(
            session_id=session_id, session_date=part["session_date"].iloc[0],
            n_items=matrix.shape[0], n_raters=matrix.shape[1], n_ratings=len(part)))
    out = pd.concat(frames, ignore_index=True)
    front = ["session_id", "session_date", "n_items", "n_raters", "n_ratings"]
    return out[front + [c for c in out.columns if c not in front]]


def hardest_items(calibration: pd.DataFrame, n: int | None = 10,
                  roles: Sequence[str] | None = DEFAULT_ROLES,
                  on_conflict: Literal["raise", "drop"] = "raise") -> pd.DataFrame:
    """Items with the lowest agreement with gold: the ones to discuss first.

    Parameters
    ----------
    calibration : DataFrame
        Long-form calibration table.
    n : int or None
        How many items to return (None: all).
    roles : sequence of str or None
        Raters to include (default moderators and auditors).
    on_conflict : {"raise", "drop"}
        See :func:`gold_labels`.

    Returns
    -------
    DataFrame
        ``session_id``, ``item_id``, ``queue``, ``gold_label``, ``n_ratings``,
        ``n_correct``, ``agreement_with_gold`` (share of ratings equal to gold),
        ``top_wrong_label`` and ``top_wrong_share`` (the most frequent wrong label and its
        share of the ratings; missing when everyone was right); sorted by agreement, then
        by more ratings first; the first ``n`` (all when None).

    Examples
    --------
    >>> calib = pd.DataFrame({
    ...     "session_id": "S1", "session_date": "2026-10-08", "queue": "spam", "site": "dub",
    ...     "item_id": ["i1", "i1", "i2", "i2"], "rater_id": ["E", "M1"] * 2,
    ...     "rater_role": ["expert", "moderator"] * 2,
    ...     "label": ["spam", "spam", "spam", "no_violation"]})
    >>> hardest_items(calib)[["item_id", "agreement_with_gold", "top_wrong_label"]]
      item_id  agreement_with_gold top_wrong_label
    0      i2                  0.0    no_violation
    1      i1                  1.0             NaN
    """
    comp = gold_comparison(calibration, roles, on_conflict=on_conflict)
    items = comp.groupby(_ITEM, sort=True).agg(
        queue=("queue", "first"), gold_label=("gold_label", "first"),
        n_ratings=("correct", "size"), n_correct=("correct", "sum")).reset_index()
    items["agreement_with_gold"] = items["n_correct"] / items["n_ratings"]
    wrong = (comp[~comp["correct"]].groupby([*_ITEM, "label"]).size().rename("n_wrong")
             .reset_index().sort_values([*_ITEM, "n_wrong", "label"],
                                        ascending=[True, True, False, True], kind="stable")
             .drop_duplicates(_ITEM))
    items = items.merge(wrong.rename(columns={"label": "top_wrong_label"}), on=_ITEM, how="left")
    items["top_wrong_share"] = items["n_wrong"] / items["n_ratings"]
    items = items.drop(columns="n_wrong").sort_values(
        ["agreement_with_gold", "n_ratings", *_ITEM], ascending=[True, False, True, True],
        kind="stable").reset_index(drop=True)
    return items if n is None else items.head(n)


def label_agreement(calibration: pd.DataFrame, roles: Sequence[str] | None = DEFAULT_ROLES,
                    by_session: bool = True, confidence: float = 0.95,
                    on_conflict: Literal["raise", "drop"] = "raise") -> pd.DataFrame:
    """Agreement per label: accuracy on the items gold puts in each label, and each
    label's Fleiss kappa among the raters.

    Parameters
    ----------
    calibration : DataFrame
        Long-form calibration table.
    roles : sequence of str or None
        Raters to include.
    by_session : bool
        One block per session (True) or all sessions pooled (False).
    confidence : float
        Level of the Wilson interval.
    on_conflict : {"raise", "drop"}
        See :func:`gold_labels`.

    Returns
    -------
    DataFrame
        (``session_id``,) ``label``, ``n_items`` (items whose gold is the label),
        ``n_ratings``, ``n_correct``, ``accuracy`` with Wilson ``accuracy_ci_low`` /
        ``accuracy_ci_high``, and ``category_kappa`` (Fleiss' kappa of the label against
        all others among the raters, :func:`fleiss_category_kappas`; NaN when undefined
        in that block: the label unused by the raters, or fewer than 2 labels in use).

    Examples
    --------
    >>> calib = pd.DataFrame({
    ...     "session_id": "S1", "session_date": "2026-10-08", "queue": "spam", "site": "dub",
    ...     "item_id": ["i1", "i1", "i2", "i2"], "rater_id": ["E", "M1"] * 2,
    ...     "rater_role": ["expert", "moderator"] * 2,
    ...     "label": ["spam", "spam", "spam", "no_violation"]})
    >>> label_agreement(calib)[["label", "n_items", "accuracy"]]
      label  n_items  accuracy
    0  spam        2       0.5
    """
    comp = gold_comparison(calibration, roles, on_conflict=on_conflict)
    keys = ["session_id"] if by_session else []
    out = comp.groupby([*keys, "gold_label"], sort=True).agg(
        n_items=("item_id", "nunique"), n_ratings=("correct", "size"),
        n_correct=("correct", "sum")).reset_index().rename(columns={"gold_label": "label"})
    low, high = wilson_interval(out["n_correct"].to_numpy(), out["n_ratings"].to_numpy(),
                                confidence)
    out = out.assign(accuracy=out["n_correct"] / out["n_ratings"], accuracy_ci_low=low,
                     accuracy_ci_high=high)
    blocks = comp.groupby(keys, sort=True) if keys else [((), comp)]
    kappas = []
    for key, part in blocks:
        try:
            series = fleiss_category_kappas(ratings_matrix(part, roles=None))
        except ValueError:
            continue
        key_columns: dict[str, Any] = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        kappas.append(pd.DataFrame({"label": series.index, "category_kappa": series.to_numpy()})
                      .assign(**key_columns))
    if kappas:
        return out.merge(pd.concat(kappas), on=[*keys, "label"], how="left")
    return out.assign(category_kappa=np.nan)
