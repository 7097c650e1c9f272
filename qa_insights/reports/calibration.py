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
    "AUDITOR_COLUMNS",
    "RATER_COLUMNS",
    "agreement_summary",
    "agreement_shown",
    "auditor_table",
    "auditors_shown",
    "consensus_rater_rates",
    "dominant_label",
    "drift_chart_frame",
    "drift_sentences",
    "headline_figures",
    "kappa_paradox_note",
    "leaning_alt_text",
    "leaning_chart_frame",
    "pseudonymise_raters",
    "rater_table",
    "raters_shown",
    "sessions_in_month",
    "summary_headline",
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
                 "n_violation", "under_enforcement_rate", "under_ci_low", "under_ci_high",
                 "over_enforcement_rate", "over_ci_low", "over_ci_high", "wrong_policy_rate",
                 "ci_level", "leaning", "outside_band", "flag_reason")

_MISSING = "–"


def _month_of(dates: pd.Series) -> pd.Series:
    return pd.to_datetime(dates).dt.strftime("%Y-%m")


def _scoped(calibration: pd.DataFrame, scope_filter: Mapping[str, str] | None) -> pd.DataFrame:
    """Rows in the scope; for a site, its raters plus the experts of the sessions (the
    experts sit at their own site, and their labels are the golden answer)."""
    out = calibration
    for column, value in (scope_filter or {}).items():
        keep = out[column] == value
        if column == "site" and "rater_role" in out.columns:
            keep |= out["rater_role"] == "expert"
        out = out[keep]
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


def _rate(value: float, low: float, high: float, n: int) -> str:
    """``45.0% (20.1–71.2%) of 20``; ``–`` without a denominator."""
    if not n or np.isnan(value):
        return _MISSING
    from qa_insights.present.display import count

    return f"{_coef(value, low, high, True)} of {count(int(n))}"


def _alignment_columns(frame: pd.DataFrame, n_clean: pd.Series) -> dict[str, list[str]]:
    """The ``accuracy``, ``under`` and ``over`` cells of a rater or site row: each rate with
    its interval, under-enforcement over ``n_violation`` (violating items) and
    over-enforcement over ``n_clean`` (clean items).

    Examples
    --------
    >>> row = pd.DataFrame({"accuracy": [0.9], "accuracy_ci_low": [0.8],
    ...     "accuracy_ci_high": [0.95], "under_enforcement_rate": [0.25],
    ...     "under_ci_low": [0.05], "under_ci_high": [0.6], "n_violation": [4],
    ...     "over_enforcement_rate": [np.nan], "over_ci_low": [np.nan],
    ...     "over_ci_high": [np.nan]})
    >>> _alignment_columns(row, pd.Series([0]))
    {'accuracy': ['90.0% (80.0–95.0%)'], 'under': ['25.0% (5.0–60.0%) of 4'], 'over': ['–']}
    """
    return {
        "accuracy": [_coef(v, lo, hi, True) for v, lo, hi in
                     zip(frame["accuracy"], frame["accuracy_ci_low"], frame["accuracy_ci_high"])],
        "under": [_rate(v, lo, hi, n) for v, lo, hi, n in
                  zip(frame["under_enforcement_rate"], frame["under_ci_low"],
                      frame["under_ci_high"], frame["n_violation"])],
        "over": [_rate(v, lo, hi, n) for v, lo, hi, n in
                 zip(frame["over_enforcement_rate"], frame["over_ci_low"],
                     frame["over_ci_high"], n_clean)],
    }


def raters_shown(table: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of :func:`rater_table`: rater, role, site, items, accuracy,
    under- and over-enforcement with their exact intervals at the flag level
    (``ci_level``), kappa vs gold, leaning and flag."""
    alignment = _alignment_columns(table, table["n_items"] - table["n_violation"])
    return pd.DataFrame({
        "rater_id": table["rater_id"].astype(str),
        "rater_role": table["rater_role"].astype(str),
        "site": table["site"].astype(str),
        "n_items": table["n_items"],
        "accuracy": alignment["accuracy"],
        "kappa": [_MISSING if np.isnan(v) else f"{v:.2f}" for v in table["kappa_vs_gold"]],
        "under": alignment["under"],
        "over": alignment["over"],
        "leaning": table["leaning"].astype(str),
        "flag": table["flag_reason"].fillna("").astype(str),
    })


def site_alignment(comparison: pd.DataFrame, *, min_accuracy: float = 0.8,
                   max_error: float = 0.10, alpha: float = 0.05, min_items: int = 10
                   ) -> pd.DataFrame:
    """Alignment with gold per site, all its raters' ratings pooled, with the rater rule
    of :func:`qa_insights.calibration.flags.band_flags` applied to the sites (Bonferroni
    over the sites).

    Parameters
    ----------
    comparison : DataFrame
        :func:`qa_insights.calibration.load.gold_comparison` of the sessions.
    min_accuracy, max_error, alpha, min_items : float, float, float, int
        The band and the flags' family-wise error rate, as for raters.

    Returns
    -------
    DataFrame
        ``site, n_raters, n_ratings, n_correct, accuracy, n_violation`` (ratings of items
        gold calls a violation), ``n_under``, ``n_over``, ``under_enforcement_rate``,
        ``over_enforcement_rate``, ``ci_level`` and the exact intervals at it
        (``accuracy_ci_low``/``_high``, ``under_ci_low``/``_high``,
        ``over_ci_low``/``_high``), ``leaning``, ``outside_band``, ``flag_reason``; sorted
        by accuracy.

    Examples
    --------
    >>> comp = pd.DataFrame({"site": ["a", "a", "b"], "rater_id": ["r1", "r2", "r3"],
    ...     "correct": [True, False, True], "under_enforcement": [False, True, False],
    ...     "over_enforcement": False, "gold_is_violation": [True, True, False]})
    >>> site_alignment(comp, min_items=1)[["site", "accuracy", "under_enforcement_rate",
    ...                                    "leaning"]]
      site  accuracy  under_enforcement_rate        leaning
    0    a       0.5                     0.5  no clear lean
    1    b       1.0                     NaN    within band
    """
    from qa_insights.calibration.flags import band_flags

    comp = comparison.assign(
        _viol=comparison["gold_is_violation"].astype(bool),
        _under=comparison["under_enforcement"].astype(bool),
        _over=comparison["over_enforcement"].astype(bool),
        _correct=comparison["correct"].astype(bool))
    g = comp.groupby("site", sort=True)
    counts = pd.DataFrame({
        "n_raters": g["rater_id"].nunique(),
        "n_items": g.size(),
        "n_correct": g["_correct"].sum(),
        "n_violation": g["_viol"].sum(),
        "n_under": g["_under"].sum(),
        "n_over": g["_over"].sum(),
    }).reset_index()
    out = band_flags(counts, min_accuracy=min_accuracy, max_error=max_error, alpha=alpha,
                     min_items=min_items).rename(columns={"n_items": "n_ratings"})
    out = out.sort_values(["accuracy", "site"], kind="stable").reset_index(drop=True)
    return out[["site", "n_raters", "n_ratings", "n_correct", "accuracy", "n_violation",
                "n_under", "n_over", "under_enforcement_rate", "over_enforcement_rate",
                "ci_level", "accuracy_ci_low", "accuracy_ci_high", "under_ci_low",
                "under_ci_high", "over_ci_low", "over_ci_high", "leaning", "outside_band",
                "flag_reason"]]


def site_alignment_shown(sites: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of :func:`site_alignment` (intervals at its ``ci_level``)."""
    alignment = _alignment_columns(sites, sites["n_ratings"] - sites["n_violation"])
    return pd.DataFrame({
        "site": sites["site"].astype(str),
        "n_raters": sites["n_raters"],
        "n_ratings": sites["n_ratings"],
        **alignment,
        "leaning": sites["leaning"].astype(str),
    })


def site_alignment_sentences(sites: pd.DataFrame, max_error: float = 0.10,
                             min_accuracy: float = 0.8) -> list[str]:
    """One sentence per flagged site of :func:`site_alignment` (its interval clears the
    band), with the leaning word of the table and the interval at the flag level.

    Examples
    --------
    >>> s = pd.DataFrame({"site": ["cebu", "dub"], "n_violation": [113, 158],
    ...     "under_enforcement_rate": [0.434, 0.076], "under_ci_low": [0.31, 0.03],
    ...     "under_ci_high": [0.56, 0.15], "n_ratings": [900, 1600],
    ...     "over_enforcement_rate": [0.02, 0.03], "over_ci_low": [0.01, 0.02],
    ...     "over_ci_high": [0.04, 0.05], "accuracy": [0.92, 0.96],
    ...     "accuracy_ci_low": [0.89, 0.94], "accuracy_ci_high": [0.94, 0.97],
    ...     "ci_level": 0.99524, "leaning": ["lenient", "within band"],
    ...     "outside_band": [True, False]})
    >>> site_alignment_sentences(s)
    ['cebu is lenient: its raters labelled 43.4% of 113 ratings of violating items no violation (99.5% interval 31.0–56.0%), above the 10% band.']
    """
    from qa_insights.calibration.flags import level_text

    def span(low: float, high: float) -> str:
        return f"{100 * low:.1f}–{100 * high:.1f}%"

    out = []
    for row in sites[sites["outside_band"].astype(bool)].to_dict("records"):
        level, lean = level_text(row["ci_level"]), str(row["leaning"])
        parts = []
        if lean in ("lenient", "lenient and strict"):
            parts.append(f"its raters labelled {100 * row['under_enforcement_rate']:.1f}% of "
                         f"{row['n_violation']} ratings of violating items no violation "
                         f"({level} interval {span(row['under_ci_low'], row['under_ci_high'])})"
                         f", above the {max_error:.0%} band")
        if lean in ("strict", "lenient and strict"):
            n_clean = row["n_ratings"] - row["n_violation"]
            parts.append(f"its raters actioned {100 * row['over_enforcement_rate']:.1f}% of "
                         f"{n_clean} ratings of clean items ({level} interval "
                         f"{span(row['over_ci_low'], row['over_ci_high'])}), above the "
                         f"{max_error:.0%} band")
        if row["accuracy_ci_high"] < min_accuracy:
            parts.append(f"its accuracy against the expert is {100 * row['accuracy']:.1f}% "
                         f"({level} interval "
                         f"{span(row['accuracy_ci_low'], row['accuracy_ci_high'])}), below "
                         f"{min_accuracy:.0%}")
        word = lean if lean in ("lenient", "strict", "lenient and strict") else "out of band"
        out.append(f"{row['site']} is {word}: " + "; ".join(parts) + ".")
    return out


def leaning_chart_frame(sites: pd.DataFrame) -> pd.DataFrame:
    """:func:`site_alignment` with ``label`` = ``site (leaning)``: the chart's row names
    carry the same word as the table and the callouts.

    Examples
    --------
    >>> leaning_chart_frame(pd.DataFrame({"site": ["cebu"], "leaning": ["lenient"]})).label[0]
    'cebu (lenient)'
    """
    return sites.assign(label=[f"{s} ({lean})" for s, lean in
                               zip(sites["site"].astype(str), sites["leaning"].astype(str))])


def leaning_alt_text(sites: pd.DataFrame, max_error: float = 0.10) -> str:
    """Alt text of the leaning chart: each site's under-enforcement and leaning.

    Examples
    --------
    >>> leaning_alt_text(pd.DataFrame({"site": ["cebu"], "leaning": ["lenient"],
    ...                                "under_enforcement_rate": [0.434]}))
    'Under-enforcement by site against the 10% band: cebu 43.4% (lenient).'
    """
    parts = [f"{s} {_pct(u)} ({lean})" for s, u, lean in
             zip(sites["site"], sites["under_enforcement_rate"], sites["leaning"])]
    return (f"Under-enforcement by site against the {max_error:.0%} band: "
            f"{'; '.join(parts)}.")


def drift_sentences(trend: pd.DataFrame, by: str = "site") -> list[str]:
    """One sentence per group with a significant trend in
    :func:`qa_insights.calibration.raters.drift_trend` (declining first), quoting the
    Holm-adjusted p-value its verdict used.

    Examples
    --------
    >>> t = pd.DataFrame({"site": ["bog", "dub"], "n_sessions": [18, 20],
    ...     "first_accuracy": [0.95, 0.95], "last_accuracy": [0.81, 0.98],
    ...     "slope_per_30_days": [-0.0171, 0.0], "p_value": [4.7e-11, 0.85],
    ...     "p_adjusted": [9.4e-11, 0.85],
    ...     "trend": ["declining", "no significant trend"]})
    >>> drift_sentences(t)
    ['bog: accuracy against the expert is declining, −1.7 pts per 30 days over 18 sessions (95.0% in the first session, 81.0% in the last; p < 0.001, Holm-adjusted for 2 sites).']
    """
    from qa_insights.present.display import number
    from qa_insights.present.findings import format_p

    tested = int(trend["p_adjusted"].notna().sum())
    rows = trend[trend["trend"].isin(["declining", "improving"])]
    rows = rows.assign(_order=(rows["trend"] != "declining").astype(int)).sort_values(
        ["_order", "p_value"], kind="stable")
    return [f"{r[by]}: accuracy against the expert is {r['trend']}, "
            f"{number(100 * r['slope_per_30_days'], sign=True)} pts per 30 days over "
            f"{r['n_sessions']} sessions ({100 * r['first_accuracy']:.1f}% in the first "
            f"session, {100 * r['last_accuracy']:.1f}% in the last; "
            f"{format_p(r['p_adjusted'])}, Holm-adjusted for {tested} {by}s)."
            for r in rows.to_dict("records")]


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
    {'Raw agreement (95% interval)': '88.0% (85.0–91.0%)', "Gwet's AC1": '0.88 (0.85–0.91)', "Fleiss' kappa": '0.35 (0.04–0.66)', 'Accuracy against the expert': '85.0% (79.4–89.3%)', 'Raters flagged (interval outside the band)': '1 of 2 raters'}
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
        "Raters flagged (interval outside the band)":
            f"{int(raters['outside_band'].sum())} of {len(raters)} raters",
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


def consensus_rater_rates(confusion: pd.DataFrame, no_violation: str = "no_violation"
                          ) -> pd.DataFrame:
    """Each rater's estimated confusion matrix against the Dawid-Skene consensus
    (:class:`qa_insights.calibration.consensus_gold.ConsensusGold`), summed up:
    ``est_under`` (mean over the violation labels of P(says no violation | that label)),
    ``est_over`` (P(actions | truly no violation)) and ``est_agreement`` (mean of the
    diagonal).

    Examples
    --------
    >>> c = pd.DataFrame({"rater_id": "M1", "true_label": ["no_violation"] * 2 + ["spam"] * 2,
    ...                   "label": ["no_violation", "spam"] * 2,
    ...                   "probability": [0.9, 0.1, 0.3, 0.7]})
    >>> consensus_rater_rates(c).round(2).values.tolist()
    [['M1', 0.3, 0.1, 0.8]]
    """
    columns = ["rater_id", "est_under", "est_over", "est_agreement"]
    if confusion.empty:
        return pd.DataFrame(columns=columns)
    c = confusion
    says_nv = c["label"] == no_violation
    truly_nv = c["true_label"] == no_violation
    under = c[~truly_nv & says_nv].groupby("rater_id")["probability"].mean()
    over = 1 - c[truly_nv & says_nv].groupby("rater_id")["probability"].sum()
    agree = c[c["true_label"] == c["label"]].groupby("rater_id")["probability"].mean()
    out = pd.DataFrame({"est_under": under, "est_over": over, "est_agreement": agree})
    return out.reset_index().rename(columns={"index": "rater_id"})[columns]


#: Columns of ``calibration_auditors.csv``.
AUDITOR_COLUMNS = ("auditor_id", "n_audits", "share_of_sample", "findings", "expected",
                   "ratio", "shrunk_ratio", "ci_low", "ci_high", "flag", "overturn_rate",
                   "calibration_items", "calibration_accuracy", "calibration_ci_low",
                   "calibration_ci_high", "calibration_leaning")


def auditor_table(quality: pd.DataFrame, raters: pd.DataFrame) -> pd.DataFrame:
    """Grading the grader: :func:`qa_insights.calibration.auditors.auditor_quality` of the
    month (workload, share of the sample, finding ratio against peers on the same queues,
    shrunk, with its interval and flag, dispute overturn rate) next to each auditor's
    calibration against the expert (:func:`qa_insights.calibration.raters.rater_accuracy`
    rows of role ``auditor``, matched on the id; empty where the auditor rated no
    calibration item), sorted with flagged auditors first.

    Examples
    --------
    >>> q = pd.DataFrame({"auditor_id": ["Q1", "Q2"], "n_audits": [100, 300],
    ...     "share_of_sample": [0.25, 0.75], "findings": [5, 30], "expected": [8.0, 27.0],
    ...     "ratio": [0.62, 1.11], "shrunk_ratio": [0.9, 1.02], "ci_low": [0.6, 0.8],
    ...     "ci_high": [1.2, 1.3], "flag": ["", ""], "overturn_rate": [0.01, 0.0]})
    >>> r = pd.DataFrame({"rater_id": ["Q2"], "rater_role": ["auditor"], "n_items": [21],
    ...     "accuracy": [0.95], "accuracy_ci_low": [0.7], "accuracy_ci_high": [1.0],
    ...     "leaning": ["within band"]})
    >>> auditor_table(q, r)[["auditor_id", "calibration_items", "calibration_leaning"]]
      auditor_id  calibration_items calibration_leaning
    0         Q1                  0                   –
    1         Q2                 21         within band
    """
    aud = raters[raters["rater_role"] == "auditor"] if "rater_role" in raters else raters
    cal_rows = aud.rename(columns={
        "rater_id": "auditor_id", "n_items": "calibration_items",
        "accuracy": "calibration_accuracy", "accuracy_ci_low": "calibration_ci_low",
        "accuracy_ci_high": "calibration_ci_high", "leaning": "calibration_leaning"})[
        ["auditor_id", "calibration_items", "calibration_accuracy", "calibration_ci_low",
         "calibration_ci_high", "calibration_leaning"]]
    out = quality.merge(cal_rows, on="auditor_id", how="left")
    out["calibration_items"] = out["calibration_items"].fillna(0).astype(int)
    out["calibration_leaning"] = out["calibration_leaning"].fillna(_MISSING)
    out = out.assign(_o=(out["flag"] == "").astype(int)).sort_values(
        ["_o", "shrunk_ratio", "auditor_id"], kind="stable")
    return out[list(AUDITOR_COLUMNS)].reset_index(drop=True)


def auditors_shown(table: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of :func:`auditor_table`."""
    def ratio(v: float, lo: float, hi: float) -> str:
        return _MISSING if np.isnan(v) else f"{v:.2f} ({lo:.2f}–{hi:.2f})"

    return pd.DataFrame({
        "auditor_id": table["auditor_id"].astype(str),
        "n_audits": table["n_audits"],
        "share_of_sample": [_pct(v) for v in table["share_of_sample"]],
        "finding_ratio": [ratio(v, lo, hi) for v, lo, hi in
                          zip(table["shrunk_ratio"], table["ci_low"], table["ci_high"])],
        "flag": table["flag"].replace("", "–").astype(str),
        "overturn_rate": [_pct(v) for v in table["overturn_rate"]],
        "calibration": [_MISSING if not n else f"{_coef(v, lo, hi, True)} of {n}"
                        for v, lo, hi, n in zip(table["calibration_accuracy"],
                                                table["calibration_ci_low"],
                                                table["calibration_ci_high"],
                                                table["calibration_items"])],
        "calibration_leaning": table["calibration_leaning"].astype(str),
    })


def summary_headline(overview: pd.DataFrame, agreement: pd.DataFrame, sites: pd.DataFrame,
                     raters: pd.DataFrame) -> dict[str, float | int]:
    """The numbers the summary's first sentence quotes, each the one the report shows:
    counts from :func:`qa_insights.reports.sections.calibration_overview` (raters = people
    scored, experts apart, as the MQR counts them), pooled accuracy against the expert with
    its 95% Wilson interval (the headline tile), Gwet's AC1 and the raters flagged.

    Examples
    --------
    >>> o = pd.DataFrame({"measure": ["sessions", "items", "raters", "experts", "ratings"],
    ...                   "value": [2, 43, 34, 2, 839]})
    >>> a = pd.DataFrame({"coefficient": ["Gwet's AC1"], "value": [0.88], "ci_low": [0.85],
    ...                   "ci_high": [0.91]})
    >>> h = summary_headline(o, a, pd.DataFrame({"n_ratings": [100], "n_correct": [90]}),
    ...                      pd.DataFrame({"outside_band": [True, False]}))
    >>> h["n_raters"], round(h["accuracy"], 2), h["n_flagged"]
    (34, 0.9, 1)
    """
    from qa_insights.stats.proportions import wilson_interval

    counts = overview.set_index("measure")["value"]
    ac1 = agreement.loc[agreement["coefficient"] == _AC1].iloc[0]
    n, x = int(sites["n_ratings"].sum()), int(sites["n_correct"].sum())
    low, high = wilson_interval(x, n) if n else (np.nan, np.nan)
    return {"n_sessions": int(counts["sessions"]), "n_items": int(counts["items"]),
            "n_raters": int(counts["raters"]), "n_experts": int(counts.get("experts", 0)),
            "n_ratings": n, "accuracy": x / n if n else np.nan, "ci_low": float(low),
            "ci_high": float(high), "ac1": float(ac1["value"]),
            "ac1_ci_low": float(ac1["ci_low"]), "ac1_ci_high": float(ac1["ci_high"]),
            "n_flagged": int(raters["outside_band"].sum())}
