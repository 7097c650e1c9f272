"""Calibration sessions: agreement between raters and alignment with the golden answer.

Input is the long-form ``calibration`` table of the data contract, one row per rater per
item: ``session_id, session_date, item_id, queue, rater_id, rater_role, site, label``.
The expert's label is the golden answer for that item of that session (items are keyed
by ``(session_id, item_id)``). Raters compared with gold are, by default, the moderators
and auditors (``roles``).

Views for a calibration meeting, all tidy DataFrames:

- :func:`ratings_matrix`: the items x raters matrix every agreement coefficient takes;
- :func:`session_agreement`: percent agreement, Fleiss' kappa, Gwet's AC1, Krippendorff's
  alpha and Brennan-Prediger side by side per session (kappa alone misleads on skewed
  moderation labels);
- :func:`rater_accuracy`: per rater, accuracy against gold, Cohen's kappa against gold,
  under- and over-enforcement with exact intervals, leaning and a band flag (the rule of
  :mod:`qa_insights.calibration.flags`: flagged only when an interval clears the band);
- :func:`confusion_counts`; per session :func:`hardest_items` and :func:`label_agreement`
  (from :mod:`qa_insights.calibration.sessions`), the ratings helpers from
  :mod:`qa_insights.calibration.load`;
- drift across sessions: :func:`alignment_by_session`, :func:`drift_trend`
  (from :mod:`qa_insights.calibration.drift`).

The agreement coefficients themselves (:mod:`qa_insights.agreement.table`) are re-exported here.

Examples
--------
>>> from qa_insights.calibration.load import ratings_matrix
>>> calibration = pd.DataFrame({
...     "session_id": "S1", "session_date": "2026-10-08",
...     "item_id": ["i1"] * 3 + ["i2"] * 3 + ["i3"] * 3, "queue": "spam",
...     "rater_id": ["E", "M1", "M2"] * 3,
...     "rater_role": ["expert", "moderator", "moderator"] * 3, "site": "dublin",
...     "label": ["spam", "spam", "spam", "no_violation", "spam", "no_violation",
...               "spam", "spam", "no_violation"]})
>>> ratings_matrix(calibration)  # doctest: +NORMALIZE_WHITESPACE
rater_id              M1            M2
session_id item_id
S1         i1       spam          spam
           i2       spam  no_violation
           i3       spam  no_violation
>>> rater_accuracy(calibration, min_items=1)[["rater_id", "n_items", "accuracy"]]
  rater_id  n_items  accuracy
0       M1        3  0.666667
1       M2        3  0.666667
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from qa_insights.agreement.kappa import (
    kappa_from_tables,
)
from qa_insights.agreement.ratings_matrix import encode_ratings
from qa_insights.calibration.drift import alignment_table, trend_test
from qa_insights.calibration.flags import band_flags
from qa_insights.calibration.load import (
    DEFAULT_ROLES,
    gold_comparison,
)
from qa_insights.data.contract import NO_VIOLATION

# Also re-exports every agreement statistic of qa_insights.agreement.table.
__all__ = [
    "alignment_by_session",
    "confusion_counts",
    "drift_trend",
    "rater_accuracy",
]


def _rater_kappas(comparison: pd.DataFrame, groups: np.ndarray, n_groups: int) -> np.ndarray:
    enc = encode_ratings(comparison[["label", "gold_label"]])
    q = enc.n_categories
    cells = (groups * q + enc.codes[:, 0]) * q + enc.codes[:, 1]
    tables = np.bincount(cells, minlength=n_groups * q * q).reshape(n_groups, q, q)
    return kappa_from_tables(tables)["kappa"]


def _ratio(numerator: pd.Series, denominator: pd.Series) -> np.ndarray:
    num, den = numerator.to_numpy(float), denominator.to_numpy(float)
    ratio: np.ndarray = np.divide(num, den, out=np.full(len(num), np.nan), where=den > 0)
    return ratio


def rater_accuracy(calibration: pd.DataFrame, roles: Sequence[str] | None = DEFAULT_ROLES,
                   min_accuracy: float = 0.8, max_error: float = 0.10, min_items: int = 10,
                   alpha: float = 0.05, no_violation: str = NO_VIOLATION,
                   on_conflict: Literal["raise", "drop"] = "raise") -> pd.DataFrame:
    """Per rater: accuracy against gold, kappa against gold, leaning and a band flag.

    A rater is flagged only when an interval clears the band
    (:func:`qa_insights.calibration.flags.band_flags`: exact intervals at the Bonferroni
    level for three checks of the raters with ``min_items`` or more items).

    Parameters
    ----------
    calibration : DataFrame
        Long-form calibration table.
    roles : sequence of str or None
        Roles to score (default moderators and auditors).
    min_accuracy : float
        Lower edge of the accuracy band (Scale gates production at 80%).
    max_error : float
        Upper edge of the under- and over-enforcement band.
    min_items : int
        Raters with fewer scored items are not flagged ("too few items").
    alpha : float
        Family-wise error rate of the flags over all raters scored.
    no_violation : str
        The label that means "breaks no policy".
    on_conflict : {"raise", "drop"}
        See :func:`gold_labels`.

    Returns
    -------
    DataFrame
        One row per ``rater_id`` (and ``rater_role``, ``site``), sorted by accuracy:
        ``n_sessions``; ``n_items`` scored against gold; ``n_correct``; ``accuracy``;
        ``kappa_vs_gold`` (Cohen, NaN where undefined: the rater and gold used one label
        only); ``n_violation`` and ``under_enforcement_rate`` (said no violation / gold
        violations); ``over_enforcement_rate`` (actioned / gold no-violation items);
        ``wrong_policy_rate`` (other policy / items both actioned), each NaN when its
        denominator is 0; ``ci_level`` and the exact intervals ``accuracy_ci_low``/
        ``_high``, ``under_ci_low``/``_high``, ``over_ci_low``/``_high`` at that level;
        ``leaning``, ``outside_band`` and ``flag_reason``.

    Examples
    --------
    >>> calib = pd.DataFrame({
    ...     "session_id": "S1", "session_date": "2026-10-08", "queue": "spam", "site": "dub",
    ...     "item_id": ["i1", "i1", "i2", "i2"], "rater_id": ["E", "M1"] * 2,
    ...     "rater_role": ["expert", "moderator"] * 2,
    ...     "label": ["spam", "spam", "spam", "no_violation"]})
    >>> rater_accuracy(calib, min_items=2)[["rater_id", "accuracy", "leaning",
    ...                                     "outside_band"]]
      rater_id  accuracy        leaning  outside_band
    0       M1       0.5  no clear lean         False
    """
    comp = gold_comparison(calibration, roles, no_violation, on_conflict)
    keys = ["rater_id", "rater_role", "site"]
    columns = [*keys, "n_sessions", "n_items", "n_correct", "accuracy", "accuracy_ci_low",
               "accuracy_ci_high", "kappa_vs_gold", "n_violation", "under_enforcement_rate",
               "under_ci_low", "under_ci_high", "over_enforcement_rate", "over_ci_low",
               "over_ci_high", "wrong_policy_rate", "ci_level", "leaning", "outside_band",
               "flag_reason"]
    if comp.empty:  # no item has gold (no expert): no rater can be scored
        return pd.DataFrame({c: pd.Series(dtype=bool if c == "outside_band" else object)
                             for c in columns})
    grouped = comp.assign(both_actioned=comp["gold_is_violation"]
                          & (comp["label"] != no_violation)).groupby(keys, sort=True)
    out = grouped.agg(n_sessions=("session_id", "nunique"), n_items=("correct", "size"),
                      n_correct=("correct", "sum"), n_under=("under_enforcement", "sum"),
                      n_over=("over_enforcement", "sum"), n_wrong=("wrong_policy", "sum"),
                      n_violation=("gold_is_violation", "sum"),
                      n_both_actioned=("both_actioned", "sum")).reset_index()
    out = band_flags(out, min_accuracy=min_accuracy, max_error=max_error, alpha=alpha,
                     min_items=min_items)
    out = out.assign(
        kappa_vs_gold=_rater_kappas(comp, grouped.ngroup().to_numpy(), len(out)),
        wrong_policy_rate=_ratio(out["n_wrong"], out["n_both_actioned"]))
    return out[columns].sort_values(["accuracy", "rater_id"], kind="stable").reset_index(drop=True)


def confusion_counts(calibration: pd.DataFrame, roles: Sequence[str] | None = DEFAULT_ROLES,
                     on_conflict: Literal["raise", "drop"] = "raise") -> pd.DataFrame:
    """Confusion matrix of each rater against gold, in long form.

    Parameters
    ----------
    calibration : DataFrame
        Long-form calibration table.
    roles : sequence of str or None
        Raters to include (default moderators and auditors).
    on_conflict : {"raise", "drop"}
        See :func:`gold_labels`.

    Returns
    -------
    DataFrame
        Columns ``rater_id``, ``gold_label``, ``label``, ``n_items`` (non-zero cells only;
        pivot ``gold_label`` x ``label`` for the matrix of one rater).

    Examples
    --------
    >>> calib = pd.DataFrame({
    ...     "session_id": "S1", "session_date": "2026-10-08", "queue": "spam", "site": "dub",
    ...     "item_id": ["i1", "i1", "i2", "i2"], "rater_id": ["E", "M1"] * 2,
    ...     "rater_role": ["expert", "moderator"] * 2,
    ...     "label": ["spam", "spam", "spam", "no_violation"]})
    >>> confusion_counts(calib)
      rater_id gold_label         label  n_items
    0       M1       spam  no_violation        1
    1       M1       spam          spam        1
    """
    comp = gold_comparison(calibration, roles, on_conflict=on_conflict)
    return (comp.groupby(["rater_id", "gold_label", "label"]).size().rename("n_items")
            .reset_index())


def alignment_by_session(calibration: pd.DataFrame, by: Literal["rater_id", "site"] = "rater_id",
                         roles: Sequence[str] | None = DEFAULT_ROLES, confidence: float = 0.95,
                         on_conflict: Literal["raise", "drop"] = "raise") -> pd.DataFrame:
    """Each rater's (``by="rater_id"``) or site's (``by="site"``) accuracy against gold in
    each session, with Wilson interval and net leniency: the drift chart's data.

    See :func:`qa_insights.calibration.drift.alignment_table` for the columns.

    Examples
    --------
    >>> alignment_by_session(calibration, by="site")                    # doctest: +SKIP
    """
    return alignment_table(gold_comparison(calibration, roles, on_conflict=on_conflict), by,
                           confidence)


def drift_trend(calibration: pd.DataFrame, by: Literal["rater_id", "site"] = "rater_id",
                roles: Sequence[str] | None = DEFAULT_ROLES, alpha: float = 0.05,
                on_conflict: Literal["raise", "drop"] = "raise") -> pd.DataFrame:
    """Cochran-Armitage test of a trend in each rater's or site's accuracy against gold
    across sessions (slope per 30 days, z, p-value, verdict).

    See :func:`qa_insights.calibration.drift.trend_test` for the test and the columns.

    Examples
    --------
    >>> drift_trend(calibration, by="site").query("trend == 'declining'")  # doctest: +SKIP
    """
    return trend_test(gold_comparison(calibration, roles, on_conflict=on_conflict), by, alpha)
