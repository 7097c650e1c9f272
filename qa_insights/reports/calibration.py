"""Presentation glue of the calibration report (``notebooks/calibration_report.ipynb``).

Small pure functions on the calibration table (:func:`qa_insights.calibration.load.load_calibration`)
and on the results of :mod:`qa_insights.calibration.raters`: select the month's sessions, put the
agreement coefficients side by side, explain the kappa paradox in one sentence, summarise
alignment with gold per site, pseudonymise rater ids and turn drift and leniency into
plain sentences. Every number comes from :mod:`qa_insights.calibration.raters`.

Examples
--------
>>> calib = pd.DataFrame({"session_id": ["S1", "S2"], "site": ["a", "b"],
...                       "session_date": pd.to_datetime(["2026-09-07", "2026-10-07"])})
>>> sessions_in_month(calib, "2026-10").session_id.tolist()
['S2']
>>> sessions_up_to(calib, "2026-10").session_id.tolist()
['S1', 'S2']
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from qa_insights.agreement.coefficients import COEFFICIENTS, coefficient_name
from qa_insights.data.scalars import as_float

__all__ = [
    "AGREEMENT_COLUMNS",
    "RATER_COLUMNS",
    "agreement_summary",
    "agreement_shown",
    "dominant_label",
    "drift_chart_frame",
    "drift_sentences",
    "headline_figures",
    "kappa_paradox_note",
    "pseudonymise_raters",
    "rater_table",
    "raters_shown",
    "sessions_in_month",
    "sessions_up_to",
    "site_alignment",
    "site_alignment_sentences",
    "site_alignment_shown",
]

#: Columns of ``calibration_agreement.csv``.
AGREEMENT_COLUMNS = ("coefficient", "value", "ci_low", "ci_high", "se", "p_value", "pa", "pe",
                     "n_items", "note")

#: Columns of ``calibration_raters.csv`` (rater ids pseudonymised unless analyst mode).
RATER_COLUMNS = ("rater_id", "rater_role", "site", "n_sessions", "n_items", "n_correct",
                 "accuracy", "accuracy_ci_low", "accuracy_ci_high", "kappa_vs_gold",
                 "under_enforcement_rate", "over_enforcement_rate", "wrong_policy_rate",
                 "net_leniency", "outside_band", "flag_reason")

_MISSING = "–"


def _month_of(dates: pd.Series) -> pd.Series:
    return pd.to_datetime(dates).dt.strftime("%Y-%m")


def _scoped(calibration: pd.DataFrame, scope_filter: Mapping[str, str] | None) -> pd.DataFrame:
    out = calibration
    for column, value in (scope_filter or {}).items():
        out = out[out[column] == value]
    return out


def sessions_in_month(calibration: pd.DataFrame, month: str,
                      scope_filter: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The calibration rows of sessions held in ``month`` (``YYYY-MM``), within the scope.

    Parameters
    ----------
    calibration : DataFrame
        Long-form calibration table with ``session_date``.
    month : str
        ``YYYY-MM``.
    scope_filter : mapping, optional
        ``{column: value}``, e.g. ``ctx.scope_filter`` (``site`` or ``queue``).

    Returns
    -------
    DataFrame
        The matching rows, index reset.
    """
    rows = _scoped(calibration, scope_filter)
    return rows[_month_of(rows["session_date"]) == month].reset_index(drop=True)


def sessions_up_to(calibration: pd.DataFrame, month: str,
                   scope_filter: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The calibration rows of every session up to and including ``month``: the history
    a drift test needs (one month holds only one or two sessions)."""
    rows = _scoped(calibration, scope_filter)
    return rows[_month_of(rows["session_date"]) <= month].reset_index(drop=True)


def agreement_summary(agreement: pd.DataFrame) -> pd.DataFrame:
    """The columns of :func:`qa_insights.agreement.table.agreement_table` a reader needs, in
    the order of :data:`AGREEMENT_COLUMNS` (the numbers unchanged).

    Examples
    --------
    >>> from qa_insights.agreement.table import agreement_table
    >>> t = agreement_summary(agreement_table([["ok", "ok"]] * 18 + [["ok", "bad"]] * 2))
    >>> t.columns.tolist()[:4]
    ['coefficient', 'value', 'ci_low', 'ci_high']
    """
    return agreement.loc[:, list(AGREEMENT_COLUMNS)].reset_index(drop=True)


def _coef(value: float, low: float, high: float, percent: bool) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return _MISSING
    if percent:
        return f"{100 * value:.1f}% ({100 * low:.1f}–{100 * high:.1f}%)"
    return f"{value:.2f} ({low:.2f}–{high:.2f})"


_MEANING = {c.name: c.meaning for c in COEFFICIENTS.values()}
_PA, _KAPPA, _AC1 = (coefficient_name(k) for k in ("percent_agreement", "fleiss_kappa",
                                                    "gwet_ac1"))


def agreement_shown(summary: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of :func:`agreement_summary`: coefficient, value with its 95%
    interval (percent agreement in %), what it measures.

    Examples
    --------
    >>> s = pd.DataFrame({"coefficient": ["percent agreement", "Fleiss' kappa"],
    ...                   "value": [0.88, 0.35], "ci_low": [0.85, 0.04],
    ...                   "ci_high": [0.91, 0.66], "n_items": [43, 43], "note": ["", ""]})
    >>> agreement_shown(s)["estimate"].tolist()
    ['88.0% (85.0–91.0%)', '0.35 (0.04–0.66)']
    """
    return pd.DataFrame({
        "coefficient": summary["coefficient"].astype(str),
        "estimate": [_coef(v, lo, hi, c == _PA) for c, v, lo, hi in
                     zip(summary["coefficient"], summary["value"], summary["ci_low"],
                         summary["ci_high"])],
        "meaning": [_MEANING.get(c, "") if not n else str(n)
                    for c, n in zip(summary["coefficient"], summary["note"].fillna(""))],
    })


def kappa_paradox_note(summary: pd.DataFrame, dominant_label: str, dominant_share: float
                       ) -> str:
    """One sentence on why kappa can be low while raw agreement is high, with the month's
    numbers.

    Parameters
    ----------
    summary : DataFrame
        :func:`agreement_summary` (needs percent agreement, Fleiss' kappa, Gwet's AC1 and
        the chance agreement ``pe`` of kappa).
    dominant_label : str
        The most frequent gold label.
    dominant_share : float
        Its share of the items.

    Examples
    --------
    >>> s = pd.DataFrame({"coefficient": ["percent agreement", "Fleiss' kappa", "Gwet's AC1"],
    ...                   "value": [0.88, 0.35, 0.877], "pe": [0.0, 0.816, 0.03]})
    >>> print(kappa_paradox_note(s, "no_violation", 0.95))
    Raters agree on 88.0% of labels, yet Fleiss' kappa is only 0.35: 95% of items are no_violation by the expert, so two raters would already agree 81.6% of the time by chance, and kappa only credits agreement beyond that. Gwet's AC1 (0.88), which is not distorted by one dominant label, is the better guide here.
    """
    rows = summary.set_index("coefficient")
    pa = as_float(rows.loc[_PA, "value"])
    kappa = as_float(rows.loc[_KAPPA, "value"])
    pe = as_float(rows.loc[_KAPPA, "pe"])
    ac1 = as_float(rows.loc[_AC1, "value"])
    return (f"Raters agree on {100 * pa:.1f}% of labels, yet Fleiss' kappa is only {kappa:.2f}: "
            f"{100 * dominant_share:.0f}% of items are {dominant_label} by the expert, so two "
            f"raters would already agree {100 * pe:.1f}% of the time by chance, and kappa only "
            f"credits agreement beyond that. Gwet's AC1 ({ac1:.2f}), which is not distorted "
            "by one dominant label, is the better guide here.")


def pseudonymise_raters(frame: pd.DataFrame, analyst_mode: bool = False,
                        column: str = "rater_id") -> pd.DataFrame:
    """``frame`` with rater ids replaced by keyed pseudonyms (``RATER-...``,
    :func:`qa_insights.present.privacy.pseudonymise_columns`) unless ``analyst_mode``.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     out = pseudonymise_raters(pd.DataFrame({"rater_id": ["M1"]}))
    >>> out.rater_id[0].startswith("RATER-")
    True
    """
    if analyst_mode or column not in frame.columns:
        return frame.copy()
    from qa_insights.present.privacy import pseudonymise_columns

    return pseudonymise_columns(frame, [column], prefix="RATER-")


def rater_table(raters: pd.DataFrame, analyst_mode: bool = False) -> pd.DataFrame:
    """The :data:`RATER_COLUMNS` of :func:`qa_insights.calibration.raters.rater_accuracy`,
    pseudonymised, without raters scored on fewer than
    :data:`qa_insights.present.privacy.MIN_CALIBRATION_ITEMS` items (kept in analyst mode): the
    content of ``calibration_raters.csv``."""
    from qa_insights.present.privacy import MIN_CALIBRATION_ITEMS, suppress_small

    shown = suppress_small(raters.loc[:, list(RATER_COLUMNS)], "n_items",
                           MIN_CALIBRATION_ITEMS, analyst_mode)
    return pseudonymise_raters(shown.reset_index(drop=True), analyst_mode)


def _pct(value: float) -> str:
    return _MISSING if value is None or np.isnan(value) else f"{100 * value:.1f}%"


def _lean(net: float, tolerance: float) -> str:
    if np.isnan(net):
        return _MISSING
    if net > tolerance:
        return f"lenient ({100 * net:+.1f} pts)"
    if net < -tolerance:
        return f"strict ({100 * net:+.1f} pts)"
    return f"balanced ({100 * net:+.1f} pts)"


def raters_shown(table: pd.DataFrame, max_leniency: float = 0.05) -> pd.DataFrame:
    """Readable rows of :func:`rater_table`: rater, role, site, items, accuracy with Wilson
    interval, kappa vs gold, under-/over-enforcement, leaning and flag."""
    return pd.DataFrame({
        "rater_id": table["rater_id"].astype(str),
        "rater_role": table["rater_role"].astype(str),
        "site": table["site"].astype(str),
        "n_items": table["n_items"],
        "accuracy": [_coef(v, lo, hi, True) for v, lo, hi in
                     zip(table["accuracy"], table["accuracy_ci_low"], table["accuracy_ci_high"])],
        "kappa": [_MISSING if np.isnan(v) else f"{v:.2f}" for v in table["kappa_vs_gold"]],
        "under": [_pct(v) for v in table["under_enforcement_rate"]],
        "over": [_pct(v) for v in table["over_enforcement_rate"]],
        "leaning": [_lean(v, max_leniency) for v in table["net_leniency"]],
        "flag": table["flag_reason"].fillna("").astype(str),
    })


def site_alignment(comparison: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Alignment with gold per site, all the month's ratings of its raters pooled.

    Parameters
    ----------
    comparison : DataFrame
        :func:`qa_insights.calibration.load.gold_comparison` of the month's sessions.
    confidence : float
        Level of the Wilson interval.

    Returns
    -------
    DataFrame
        ``site, n_raters, n_ratings, n_correct, accuracy, accuracy_ci_low,
        accuracy_ci_high, n_violation`` (ratings of items gold calls a violation),
        ``under_enforcement_rate`` (said no violation / ``n_violation``) with Wilson
        ``under_ci_low``/``under_ci_high``, ``over_enforcement_rate`` (actioned / ratings of gold no-violation
        items), ``net_leniency`` ((under - over) / ratings, positive = lenient); sorted by
        accuracy.

    Examples
    --------
    >>> comp = pd.DataFrame({"site": ["a", "a", "b"], "rater_id": ["r1", "r2", "r3"],
    ...     "correct": [True, False, True], "under_enforcement": [False, True, False],
    ...     "over_enforcement": False, "gold_is_violation": [True, True, False]})
    >>> site_alignment(comp)[["site", "accuracy", "under_enforcement_rate",
    ...                       "net_leniency"]]
      site  accuracy  under_enforcement_rate  net_leniency
    0    a       0.5                     0.5           0.5
    1    b       1.0                     NaN           0.0
    """
    from qa_insights.stats.proportions import wilson_interval

    comp = comparison.assign(
        _viol=comparison["gold_is_violation"].astype(bool),
        _under=comparison["under_enforcement"].astype(bool),
        _over=comparison["over_enforcement"].astype(bool),
        _correct=comparison["correct"].astype(bool))
    g = comp.groupby("site", sort=True)
    out = pd.DataFrame({
        "n_raters": g["rater_id"].nunique(),
        "n_ratings": g.size(),
        "n_correct": g["_correct"].sum(),
        "n_violation": g["_viol"].sum(),
        "n_under": g["_under"].sum(),
        "n_over": g["_over"].sum(),
    }).reset_index()
    out["accuracy"] = out["n_correct"] / out["n_ratings"]
    low, high = wilson_interval(out["n_correct"].to_numpy(), out["n_ratings"].to_numpy(),
                                confidence)
    out["accuracy_ci_low"], out["accuracy_ci_high"] = low, high
    n_ok = out["n_ratings"] - out["n_violation"]
    out["under_enforcement_rate"] = out["n_under"] / out["n_violation"].where(
        out["n_violation"] > 0)
    low, high = wilson_interval(out["n_under"].to_numpy(), out["n_violation"].to_numpy(),
                                confidence)
    out["under_ci_low"], out["under_ci_high"] = low, high
    out["over_enforcement_rate"] = out["n_over"] / n_ok.where(n_ok > 0)
    out["net_leniency"] = (out["n_under"] - out["n_over"]) / out["n_ratings"]
    out = out.sort_values(["accuracy", "site"], kind="stable").reset_index(drop=True)
    return out[["site", "n_raters", "n_ratings", "n_correct", "accuracy", "accuracy_ci_low",
                "accuracy_ci_high", "n_violation", "under_enforcement_rate", "under_ci_low",
                "under_ci_high", "over_enforcement_rate", "net_leniency"]]


def site_alignment_shown(sites: pd.DataFrame, max_leniency: float = 0.05) -> pd.DataFrame:
    """Readable rows of :func:`site_alignment`."""
    return pd.DataFrame({
        "site": sites["site"].astype(str),
        "n_raters": sites["n_raters"],
        "n_ratings": sites["n_ratings"],
        "accuracy": [_coef(v, lo, hi, True) for v, lo, hi in
                     zip(sites["accuracy"], sites["accuracy_ci_low"], sites["accuracy_ci_high"])],
        "under": [_coef(v, lo, hi, True) for v, lo, hi in
                  zip(sites["under_enforcement_rate"], sites["under_ci_low"],
                      sites["under_ci_high"])],
        "over": [_pct(v) for v in sites["over_enforcement_rate"]],
        "leaning": [_lean(v, max_leniency) for v in sites["net_leniency"]],
    })


def site_alignment_sentences(sites: pd.DataFrame, *, min_under: float = 0.25,
                             min_violations: int = 20) -> list[str]:
    """Sentences on sites whose raters miss many violations: under-enforcement rate at
    least ``min_under``, on sites with ``min_violations`` or more ratings of violating
    items (fewer say too little).

    Examples
    --------
    >>> s = pd.DataFrame({"site": ["cebu", "dub"], "n_violation": [113, 158],
    ...                   "under_enforcement_rate": [0.434, 0.076],
    ...                   "under_ci_low": [0.346, 0.04], "under_ci_high": [0.526, 0.13]})
    >>> site_alignment_sentences(s)
    ['cebu: raters labelled 43.4% (34.6–52.6%) of 113 ratings of violating items no_violation: lenient against the expert.']
    """
    out = []
    for row in sites.itertuples(index=False):
        rate = as_float(row.under_enforcement_rate)
        if as_float(row.n_violation) >= min_violations and not np.isnan(rate) and rate >= min_under:
            out.append(f"{row.site}: raters labelled "
                       f"{_coef(rate, as_float(row.under_ci_low), as_float(row.under_ci_high), True)} of "
                       f"{row.n_violation} ratings of violating items no_violation: lenient "
                       "against the expert.")
    return out


def drift_sentences(trend: pd.DataFrame, by: str = "site") -> list[str]:
    """One sentence per group with a significant trend in
    :func:`qa_insights.calibration.raters.drift_trend` (declining first).

    Examples
    --------
    >>> t = pd.DataFrame({"site": ["bog", "dub"], "n_sessions": [18, 20],
    ...     "first_accuracy": [0.95, 0.95], "last_accuracy": [0.81, 0.98],
    ...     "slope_per_30_days": [-0.0171, 0.0], "p_value": [4.7e-11, 0.85],
    ...     "trend": ["declining", "no significant trend"]})
    >>> drift_sentences(t)
    ['bog: accuracy against the expert is declining, -1.7 pts per 30 days over 18 sessions (95.0% in the first session, 81.0% in the last; p < 0.001).']
    """
    from qa_insights.present.findings import format_p

    rows = trend[trend["trend"].isin(["declining", "improving"])]
    rows = rows.assign(_order=(rows["trend"] != "declining").astype(int)).sort_values(
        ["_order", "p_value"], kind="stable")
    return [f"{getattr(r, by)}: accuracy against the expert is {r.trend}, "
            f"{100 * as_float(r.slope_per_30_days):+.1f} pts per 30 days over {r.n_sessions} sessions "
            f"({100 * as_float(r.first_accuracy):.1f}% in the first session, {100 * as_float(r.last_accuracy):.1f}% "
            f"in the last; {format_p(as_float(r.p_value))})."
            for r in rows.itertuples(index=False)]


def headline_figures(summary: pd.DataFrame, sites: pd.DataFrame, raters: pd.DataFrame
                     ) -> dict[str, str]:
    """Headline tiles of the calibration report: raw agreement and Gwet's AC1 with their
    intervals, accuracy against the expert (all ratings pooled, Wilson interval) and the
    number of raters flagged.

    Parameters
    ----------
    summary : DataFrame
        :func:`agreement_summary`.
    sites : DataFrame
        :func:`site_alignment` (its counts are pooled).
    raters : DataFrame
        :func:`qa_insights.calibration.raters.rater_accuracy` (``outside_band``).

    Examples
    --------
    >>> s = pd.DataFrame({"coefficient": ["percent agreement", "Gwet's AC1", "Fleiss' kappa"],
    ...     "value": [0.88, 0.877, 0.35], "ci_low": [0.85, 0.85, 0.04],
    ...     "ci_high": [0.91, 0.91, 0.66]})
    >>> sites = pd.DataFrame({"n_ratings": [100, 100], "n_correct": [90, 80]})
    >>> headline_figures(s, sites, pd.DataFrame({"outside_band": [True, False]}))
    {'Raw agreement (95% interval)': '88.0% (85.0–91.0%)', "Gwet's AC1": '0.88 (0.85–0.91)', "Fleiss' kappa": '0.35 (0.04–0.66)', 'Accuracy against the expert': '85.0% (79.4–89.3%)', 'Raters flagged': '1 of 2'}
    """
    from qa_insights.stats.proportions import wilson_interval

    rows = summary.set_index("coefficient")

    def coef(name: str, percent: bool) -> str:
        r = rows.loc[name]
        return _coef(as_float(r["value"]), as_float(r["ci_low"]), as_float(r["ci_high"]), percent)

    n, x = int(sites["n_ratings"].sum()), int(sites["n_correct"].sum())
    low, high = wilson_interval(x, n) if n else (np.nan, np.nan)
    return {
        "Raw agreement (95% interval)": coef(_PA, True),
        _AC1: coef(_AC1, False),
        _KAPPA: coef(_KAPPA, False),
        "Accuracy against the expert": _coef(x / n if n else np.nan, low, high, True),
        "Raters flagged": f"{int(raters['outside_band'].sum())} of {len(raters)}",
    }


def dominant_label(comparison: pd.DataFrame) -> tuple[str, float]:
    """The most frequent gold label of the items and its share of the items.

    Examples
    --------
    >>> comp = pd.DataFrame({"session_id": "S", "item_id": ["a", "a", "b", "c"],
    ...                      "gold_label": ["ok", "ok", "ok", "bad"]})
    >>> dominant_label(comp)
    ('ok', 0.6666666666666666)
    """
    items = comparison.drop_duplicates(["session_id", "item_id"])["gold_label"]
    shares = items.value_counts(normalize=True)
    return str(shares.index[0]), float(shares.iloc[0])


def drift_chart_frame(alignment: pd.DataFrame) -> pd.DataFrame:
    """:func:`qa_insights.calibration.raters.alignment_by_session` with ``session_date`` as
    ``YYYY-MM-DD`` text, ready for :func:`qa_insights.present.plots.trend`."""
    return alignment.assign(
        session_date=pd.to_datetime(alignment["session_date"]).dt.strftime("%Y-%m-%d"))
