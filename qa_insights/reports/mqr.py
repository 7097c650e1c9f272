"""The Monthly Quality Report's sections, one function each: library calls on the report's
month and scope, returned as small frames the notebook displays and writes as CSV."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from qa_insights.data.months import shift_month
from qa_insights.reports.sections import flag_below_min_n

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store
    from qa_insights.present.findings import Finding
    from qa_insights.reports.engine.context import ReportContext
    from qa_insights.reports.summary import Claim

__all__ = [
    "CONTROL_FLAG_COLUMNS",
    "ERROR_RATE_DRIVER_COLUMNS",
    "calibration_agreement",
    "change_dimension",
    "change_sentences",
    "coaching",
    "control_chart",
    "coverage_tiles",
    "disputes",
    "error_rate_drivers",
    "error_types",
    "explain_month",
    "flagged_raters",
    "headline_numbers",
    "headline_tiles",
    "month_calibration",
    "month_findings",
    "quality_trend",
    "reason_change",
    "sample_plan",
    "severity_mix",
    "site_control_flags",
]


def quality_trend(store: Store, ctx: ReportContext, back: int = 13) -> pd.DataFrame:
    """Monthly quality of the scope over the last ``back`` known months up to ``ctx.month``
    (:func:`qa_insights.quality.trends.rate_series`).

    Examples
    --------
    >>> quality_trend(store, ctx).month.iloc[-1] == ctx.month           # doctest: +SKIP
    True
    """
    from qa_insights.quality.trends import rate_series

    return rate_series(store, min_n=ctx.min_n,
                       filters={"month": ctx.window(back), **ctx.scope_filter})


def _target(attainment: pd.DataFrame, ctx: ReportContext, metric: str) -> dict[str, Any]:
    scope = "org" if ctx.scope == "org" else ctx.scope
    rows = attainment[(attainment["metric"] == metric) & (attainment["scope"] == scope)
                      & (attainment["month"] == ctx.month)]
    if scope != "org":
        rows = rows[rows["scope_value"].astype(str) == ctx.scope_value]
    if rows.empty:
        return {"target": None, "status": None}
    row = rows.iloc[0]
    return {"target": float(row["target"]), "status": str(row["status"])}


def headline_numbers(store: Store, ctx: ReportContext, trend: pd.DataFrame) -> dict[str, Any]:
    """The MQR headline: accuracy with its Wilson interval, against the accuracy target
    (:func:`qa_insights.business.targets.target_attainment`) and against the previous month
    (:func:`qa_insights.quality.trends.month_over_month` on the error rate, turned into accuracy:
    difference, Newcombe interval, p-value, test), and the critical-error rate.

    Returns
    -------
    dict
        ``accuracy, ci_low, ci_high, n_audits, n_errors, critical_error_rate,
        critical_ci_low, critical_ci_high, target, target_status, critical_target,
        critical_target_status, previous_month, previous_accuracy, mom_difference,
        mom_ci_low, mom_ci_high, mom_p_value, mom_test, mom_significant`` (None where there
        is no target or no previous month).

    Examples
    --------
    >>> headline_numbers(store, ctx, quality_trend(store, ctx))["accuracy"]  # doctest: +SKIP
    0.9530848329048843
    """
    from qa_insights.business.targets import store_targets, target_attainment
    from qa_insights.quality.trends import month_over_month

    row = trend[trend["month"] == ctx.month].iloc[0]
    out: dict[str, Any] = {k: float(row[k]) for k in (
        "accuracy", "ci_low", "ci_high", "critical_error_rate", "critical_ci_low",
        "critical_ci_high")}
    out["n_audits"], out["n_errors"] = int(row["n_audits"]), int(row["n_errors"])
    targets = {"target": None, "status": None}
    critical = {"target": None, "status": None}
    if store.table_present("targets"):
        # Only the two metrics at the report's scope: the others (handle time, cost,
        # calibration) cost queries the headline does not use.
        t = store_targets(store)
        t = t[t["metric"].isin(["accuracy", "critical_error_rate"])
              & (t["scope"] == ("org" if ctx.scope == "org" else ctx.scope))]
        attainment = target_attainment(store, ctx.month, targets=t)
        targets = _target(attainment, ctx, "accuracy")
        critical = _target(attainment, ctx, "critical_error_rate")
    out.update(target=targets["target"], target_status=targets["status"],
               critical_target=critical["target"], critical_target_status=critical["status"])
    mom = month_over_month(trend)
    change = mom[mom["month"] == ctx.month].iloc[0]
    has_previous = change["previous"] == shift_month(ctx.month, -1) and not pd.isna(
        change["p_value"])
    if has_previous:
        out.update(previous_month=str(change["previous"]),
                   previous_accuracy=1 - float(change["rate_previous"]),
                   mom_difference=-float(change["difference"]),
                   mom_ci_low=-float(change["ci_high"]), mom_ci_high=-float(change["ci_low"]),
                   mom_p_value=float(change["p_value"]), mom_test=str(change["test"]),
                   mom_significant=bool(change["significant"]))
    else:
        out.update(previous_month=None, previous_accuracy=None, mom_difference=None,
                   mom_ci_low=None, mom_ci_high=None, mom_p_value=None, mom_test=None,
                   mom_significant=None)
    return out


def headline_tiles(numbers: dict[str, Any]) -> dict[str, str]:
    """Tile label -> text for :func:`qa_insights.present.display.headline`.

    Examples
    --------
    >>> t = headline_tiles({"accuracy": .95, "ci_low": .94, "ci_high": .96, "n_audits": 100,
    ...     "n_errors": 5, "critical_error_rate": .01, "critical_ci_low": .002,
    ...     "critical_ci_high": .05, "target": None, "target_status": None,
    ...     "previous_month": None})
    >>> t["Accuracy (95% interval)"]
    '95.0% (94.0–96.0%)'
    """
    from qa_insights.present.display import count, interval, number, pct, pp

    tiles = {"Accuracy (95% interval)": interval(numbers["accuracy"], numbers["ci_low"],
                                                 numbers["ci_high"])}
    if numbers.get("target") is not None:
        tiles["Accuracy target"] = f"{pct(numbers['target'])}: {numbers['target_status']}"
    if numbers.get("previous_month"):
        low, high = 100 * numbers["mom_ci_low"], 100 * numbers["mom_ci_high"]
        tiles[f"Change vs {numbers['previous_month']} (95% interval "
              f"{number(low, sign=True)} to {pp(high)})"] = pp(100 * numbers["mom_difference"])
    tiles["Critical-error rate (95% interval)"] = interval(
        numbers["critical_error_rate"], numbers["critical_ci_low"],
        numbers["critical_ci_high"], digits=2)
    tiles["Audits"] = count(numbers["n_audits"])
    tiles["Errors"] = count(numbers["n_errors"])
    return tiles


def control_chart(trend: pd.DataFrame) -> pd.DataFrame:
    """Laney p' chart of the scope's monthly error rate
    (:func:`qa_insights.stats.control_charts.laney_p_chart` on :func:`quality_trend`).

    Examples
    --------
    >>> control_chart(quality_trend(store, ctx)).out_of_control.any()   # doctest: +SKIP
    False
    """
    from qa_insights.stats.control_charts import laney_p_chart

    return laney_p_chart(trend)

#: Columns of :func:`site_control_flags`.
CONTROL_FLAG_COLUMNS = ("site", "month", "n_audits", "n_errors", "p", "centre", "lcl", "ucl",
                        "beyond_limits", "run_one_side", "trend", "out_of_control", "signal")


def _signal(row: pd.Series) -> str:
    parts = []
    if row["beyond_limits"]:
        parts.append("above the upper limit" if row["p"] > row["ucl"] else
                     "below the lower limit")
    if row["run_one_side"]:
        parts.append("8 or more months on one side of the centre line")
    if row["trend"]:
        parts.append("6 or more months rising or falling in a row")
    return "; ".join(parts) or "in control"


def site_control_flags(store: Store, ctx: ReportContext, back: int = 13) -> pd.DataFrame:
    """Each site's Laney p' chart over the last ``back`` months (its own centre line and
    limits), read at ``ctx.month``: out-of-control sites first, then by error rate.

    Examples
    --------
    >>> site_control_flags(store, ctx).query("out_of_control").site.tolist()  # doctest: +SKIP
    ['bpo_gamma_hyderabad']
    """
    from qa_insights.quality.trends import rate_series
    from qa_insights.stats.control_charts import laney_p_chart

    series = rate_series(store, "site", min_n=ctx.min_n,
                         filters={"month": ctx.window(back), **ctx.scope_filter})
    if series.empty:
        return pd.DataFrame(columns=list(CONTROL_FLAG_COLUMNS))
    chart = laney_p_chart(series, "site")
    now = chart[chart["month"] == ctx.month]
    now = now.sort_values(["out_of_control", "p"], ascending=[False, False]).copy()
    now["signal"] = [_signal(r) for _, r in now.iterrows()] if len(now) else []
    return now[list(CONTROL_FLAG_COLUMNS)].reset_index(drop=True)


def error_types(summary: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """Error types with their proper denominators and Wilson intervals, from one row of
    :func:`qa_insights.quality.metrics.quality_summary`.

    Returns
    -------
    DataFrame
        ``error_type, meaning, n_errors, denominator, n_denominator, rate, ci_low, ci_high``:
        false positives over audits the moderator actioned, false negatives over audits that
        truly violate, wrong policy over audits both actioned and violating, all errors and
        critical errors over all audits.

    Examples
    --------
    >>> row = pd.Series({"n_false_positive": 4, "n_actioned": 80, "n_false_negative": 5,
    ...     "n_violating": 90, "n_wrong_policy": 1, "n_actioned_violating": 70,
    ...     "n_errors": 10, "n_critical": 2, "n_audits": 200})
    >>> error_types(row).rate.round(4).tolist()
    [0.05, 0.0556, 0.0143, 0.05, 0.01]
    """
    from qa_insights.stats.proportions import wilson_interval

    row = summary.iloc[0] if isinstance(summary, pd.DataFrame) else summary
    spec = [
        ("false positive", "over-enforcement: actioned, but breaks no policy",
         "n_false_positive", "audits actioned by the moderator", "n_actioned"),
        ("false negative", "under-enforcement: left up, but violates a policy",
         "n_false_negative", "audits that truly violate", "n_violating"),
        ("wrong policy", "actioned under the wrong policy", "n_wrong_policy",
         "audits actioned and truly violating", "n_actioned_violating"),
        ("any error", "all errors", "n_errors", "all audits", "n_audits"),
        ("critical error", "errors of critical severity", "n_critical", "all audits",
         "n_audits"),
    ]
    rows = []
    for name, meaning, x, denominator, n in spec:
        xi, ni = int(row[x]), int(row[n])
        low, high = wilson_interval(xi, ni) if ni else (float("nan"), float("nan"))
        rows.append({"error_type": name, "meaning": meaning, "n_errors": xi,
                     "denominator": denominator, "n_denominator": ni,
                     "rate": xi / ni if ni else float("nan"), "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)


def severity_mix(summary: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """Errors by severity: count, share of errors and rate per audit, each with a Wilson
    interval (errors without a severity are shown as ``unrated``).

    Examples
    --------
    >>> row = pd.Series({"n_critical": 2, "n_major": 5, "n_minor": 3, "n_unrated_severity": 0,
    ...                  "n_errors": 10, "n_audits": 200})
    >>> severity_mix(row).share.tolist()
    [0.2, 0.5, 0.3]
    """
    from qa_insights.stats.proportions import wilson_interval

    row = summary.iloc[0] if isinstance(summary, pd.DataFrame) else summary
    n_errors, n_audits = int(row["n_errors"]), int(row["n_audits"])
    rows = []
    for severity, column in (("critical", "n_critical"), ("major", "n_major"),
                             ("minor", "n_minor"), ("unrated", "n_unrated_severity")):
        x = int(row.get(column, 0) or 0)
        if severity == "unrated" and x == 0:
            continue
        share_low, share_high = (wilson_interval(x, n_errors) if n_errors
                                 else (float("nan"), float("nan")))
        rate_low, rate_high = wilson_interval(x, n_audits) if n_audits else (float("nan"),) * 2
        rows.append({"severity": severity, "n_errors": x,
                     "share": x / n_errors if n_errors else float("nan"),
                     "share_ci_low": share_low, "share_ci_high": share_high,
                     "rate": x / n_audits if n_audits else float("nan"),
                     "rate_ci_low": rate_low, "rate_ci_high": rate_high})
    return pd.DataFrame(rows)


def reason_change(store: Store, ctx: ReportContext) -> pd.DataFrame | None:
    """The error-reason mix of ``ctx.month`` against the previous month with its test
    (:func:`qa_insights.rca.change.reason_mix_change`); None when either month has no errors
    with a reason in scope.

    Examples
    --------
    >>> reason_change(store, ctx).attrs["test"]["significant"]           # doctest: +SKIP
    False
    """
    from qa_insights.rca.change import reason_mix_change

    try:
        mix = reason_mix_change(store, ctx.month, filters=ctx.scope_filter)
    except ValueError:
        return None
    if mix.empty or mix["n_before"].sum() == 0 or mix["n_after"].sum() == 0:
        return None
    return mix


def change_dimension(ctx: ReportContext) -> str:
    """The segments the month's change is explained by: sites, or queues within a site.

    Examples
    --------
    >>> from qa_insights.reports.engine.context import ReportContext
    >>> change_dimension(ReportContext("2026-10", "site", "x", 30, False, (), 1))
    'queue'
    """
    return "queue" if ctx.scope == "site" else "site"


def explain_month(store: Store, ctx: ReportContext,
                  by: Sequence[str] | None = None) -> pd.DataFrame | None:
    """Mix and rate effects of the error-rate change against the previous month
    (:func:`qa_insights.rca.change.explain_change` by ``by``, default :func:`change_dimension`;
    effects in pts); None when the previous month has no audits in scope.

    Examples
    --------
    >>> explain_month(store, ctx).site.iloc[0]                          # doctest: +SKIP
    'bpo_beta_cebu'
    """
    from qa_insights.rca.change import explain_change

    previous = shift_month(ctx.month, -1)
    if previous not in ctx.months:
        return None
    try:
        return explain_change(store, ctx.month, by=list(by or [change_dimension(ctx)]),
                              filters=ctx.scope_filter)
    except ValueError:
        return None

#: First columns of the MQR's ``error_rate_drivers`` table, in this order.
ERROR_RATE_DRIVER_COLUMNS = ("site", "queue", "mix_effect", "rate_effect", "total_effect")


def error_rate_drivers(store: Store, ctx: ReportContext) -> pd.DataFrame | None:
    """The ``error_rate_drivers`` table: :func:`explain_month` by site x queue (sorted by
    absolute total effect), columns :data:`ERROR_RATE_DRIVER_COLUMNS` first, then the
    counts, shares and rates of both months and ``below_min_n`` (this month's audits of
    the cell below ``ctx.min_n``); None when the previous month has no audits in scope.

    Examples
    --------
    >>> error_rate_drivers(store, ctx).columns[:5].tolist()            # doctest: +SKIP
    ['site', 'queue', 'mix_effect', 'rate_effect', 'total_effect']
    """
    cells = explain_month(store, ctx, by=["site", "queue"])
    if cells is None:
        return None
    cells = flag_below_min_n(cells, ctx.min_n, "n_audits_after")
    lead = list(ERROR_RATE_DRIVER_COLUMNS)
    return cells[[*lead, *(c for c in cells.columns if c not in lead)]]


def month_findings(decomposition: pd.DataFrame | None, ctx: ReportContext) -> list[Finding]:
    """The findings of :func:`explain_month`
    (:func:`qa_insights.present.findings.change_findings`): the month's change first, then
    the segments whose own rate changed significantly; empty without a previous month.

    Examples
    --------
    >>> from qa_insights.reports.engine.context import ReportContext
    >>> month_findings(None, ReportContext("2026-10", "org", "", 30, False, (), 1))
    []
    """
    from qa_insights.present.findings import change_findings

    if decomposition is None:
        return []
    return change_findings(decomposition, scope="Org" if ctx.scope == "org"
                           else ctx.scope_value)


def change_sentences(findings: Sequence[Finding], claims: Sequence[Claim]) -> list[str]:
    """The sentences of the change section: the summary's driver claim (the same sentence as
    in the summary, with the figures of the change table), then the segments whose own rate
    changed significantly (:func:`month_findings` after the first); or that there is
    nothing to compare with.

    Examples
    --------
    >>> change_sentences([], [])
    ['There are no audits in the previous month to compare with.']
    """
    if not findings:
        return ["There are no audits in the previous month to compare with."]
    why = [c.sentence for c in claims if c.kind in ("driver_mix", "driver_rate", "no_cause")]
    return why + [f.sentence for f in findings[1:]]


def month_calibration(store: Store, ctx: ReportContext) -> pd.DataFrame:
    """The calibration ratings of the report's month and scope (site or queue; empty for a
    market scope or without calibration data), long form as
    :func:`qa_insights.calibration.load.load_calibration` gives them.

    Examples
    --------
    >>> month_calibration(store, ctx).session_id.nunique()              # doctest: +SKIP
    4
    """
    from qa_insights.calibration.load import load_calibration

    if ctx.scope == "market" or not store.table_present("calibration"):
        return pd.DataFrame()
    frame = load_calibration(store)
    if frame.empty:
        return frame
    months = pd.to_datetime(frame["session_date"]).dt.strftime("%Y-%m")
    keep = months == ctx.month
    for column, value in ctx.scope_filter.items():
        keep &= frame[column].astype(str) == value
    return frame[keep].reset_index(drop=True)


def calibration_agreement(calibration: pd.DataFrame) -> pd.DataFrame:
    """Percent agreement, Fleiss' kappa, Gwet's AC1, Krippendorff's alpha and
    Brennan-Prediger side by side (:func:`qa_insights.agreement.table.agreement_table` on the
    items x raters matrix of every role); empty when too few ratings.

    Examples
    --------
    >>> calibration_agreement(month_calibration(store, ctx)).coefficient.tolist()  # doctest: +SKIP
    """
    from qa_insights.agreement.table import agreement_table
    from qa_insights.calibration.load import ratings_matrix

    if calibration.empty:
        return pd.DataFrame()
    try:
        return agreement_table(ratings_matrix(calibration))
    except ValueError:
        return pd.DataFrame()


def flagged_raters(calibration: pd.DataFrame, ctx: ReportContext) -> pd.DataFrame:
    """Raters flagged against the expert: an exact interval at the Bonferroni level clears
    the accuracy or under-/over-enforcement band (:mod:`qa_insights.calibration.flags`)
    (:func:`qa_insights.calibration.raters.rater_accuracy`), ids pseudonymised (``RATER-``) and
    raters with fewer than :data:`qa_insights.present.privacy.MIN_CALIBRATION_ITEMS` items left out,
    unless analyst mode.

    Examples
    --------
    >>> flagged_raters(month_calibration(store, ctx), ctx).rater_id.str[:6].unique()  # doctest: +SKIP
    array(['RATER-'], dtype=object)
    """
    from qa_insights.calibration.raters import rater_accuracy
    from qa_insights.present.privacy import (
        MIN_CALIBRATION_ITEMS,
        pseudonymise_columns,
        suppress_small,
    )

    if calibration.empty:
        return pd.DataFrame()
    try:
        raters = rater_accuracy(calibration, on_conflict="drop")
    except ValueError:
        return pd.DataFrame()
    flagged = suppress_small(raters[raters["outside_band"]], "n_items", MIN_CALIBRATION_ITEMS,
                             ctx.analyst_mode)
    if not ctx.analyst_mode:
        flagged = pseudonymise_columns(flagged, ["rater_id"], prefix="RATER-")
    return flagged


def coaching(store: Store, ctx: ReportContext, n_months: int = 3) -> pd.DataFrame:
    """Moderators ranked for coaching on their shrunk error rate over the last ``n_months``
    months (so each has enough audits), only those with at least ``ctx.min_n`` audits
    (:func:`qa_insights.stats.shrinkage.coaching_list` on
    :func:`~qa_insights.stats.shrinkage.moderator_error_rates`); ids through ``ctx.people``.

    ``attrs["months"]`` holds the months used.

    Examples
    --------
    >>> coaching(store, ctx).query("credibly_above_average").shape[0]   # doctest: +SKIP
    3
    """
    from qa_insights.stats.shrinkage import coaching_list, moderator_error_rates

    months = ctx.window(n_months)
    rates = moderator_error_rates(store, min_n=ctx.min_n,
                                  filters={"month": months, **ctx.scope_filter})
    ranked = coaching_list(rates, min_n=ctx.min_n) if len(rates) else rates
    shown = ctx.people(ranked.reset_index(drop=True))
    shown.attrs["months"] = months
    return shown


def disputes(summary: pd.DataFrame) -> pd.DataFrame:
    """Dispute and overturn rates with Wilson intervals from
    :func:`qa_insights.quality.metrics.quality_summary` rows (any ``by`` columns kept first).

    The dispute rate is disputed findings over findings (audits where the auditor
    disagreed with the moderator); the overturn rate is overturned over disputed. An
    overturned audit counts as correct (the moderator's label stands).

    Examples
    --------
    >>> s = pd.DataFrame({"n_findings": [20], "n_disputed": [5], "n_overturned": [2],
    ...                   "n_audits": [200]})
    >>> disputes(s)[["dispute_rate", "overturn_rate"]].values.tolist()
    [[0.25, 0.4]]
    """
    from qa_insights.stats.proportions import wilson_interval

    by = [c for c in summary.columns if not pd.api.types.is_numeric_dtype(summary[c])
          and not pd.api.types.is_bool_dtype(summary[c])]
    out = summary[[*by, "n_audits", "n_findings", "n_disputed", "n_overturned"]].copy()
    for name, x, n in (("dispute_rate", "n_disputed", "n_findings"),
                       ("overturn_rate", "n_overturned", "n_disputed")):
        xs, ns = out[x].to_numpy(int), out[n].to_numpy(int)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[name] = np.where(ns > 0, xs / np.maximum(ns, 1), np.nan)
        low, high = wilson_interval(xs, ns)
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = low, high
    return out.reset_index(drop=True)


def sample_plan(store: Store, ctx: ReportContext, *, history: int = 3, budget: int | None = None,
                floor: int = 20) -> tuple[pd.DataFrame, dict[str, float]] | None:
    """Audit coverage of the month and next month's suggested allocation.

    The month's site x queue strata (:func:`qa_insights.stats.sampling.stratum_counts`) give the
    volume-weighted org error rate with its interval against the audit-weighted rate
    (:func:`~qa_insights.stats.sampling.stratified_error_rate`); next month's audits (``budget``,
    default this month's) are allocated by :func:`~qa_insights.stats.sampling.neyman_allocation`
    on each stratum's error rate over the last ``history`` months, at least ``floor`` per
    stratum (capped so the floors use at most half the budget).

    Returns
    -------
    (DataFrame, dict) or None
        The strata with ``items_handled, n_audits, n_errors, coverage, expected_error_rate,
        audits`` (suggested) and ``below_min_n`` (this month's audits of the stratum below
        ``ctx.min_n``: too few to judge its rate), and the stratified estimate; None without volumes or for a
        market scope (volumes have no market), or when a stratum with volume has no audits
        (``attrs`` of nothing: the reason is in the report).

    Examples
    --------
    >>> strata, estimate = sample_plan(store, ctx)                     # doctest: +SKIP
    """
    from qa_insights.stats.sampling import neyman_allocation, stratified_error_rate, stratum_counts

    if ctx.scope == "market" or not store.table_present("volumes"):
        return None
    strata = stratum_counts(store, ctx.month, filters=ctx.scope_filter)
    strata = strata[strata["items_handled"] > 0].reset_index(drop=True)
    if strata.empty or (strata["n_audits"] == 0).any():
        return None
    estimate = stratified_error_rate(strata)
    past = pd.concat([stratum_counts(store, m, filters=ctx.scope_filter)
                      for m in ctx.window(history)])
    past = past.groupby(["site", "queue"], as_index=False)[["n_audits", "n_errors"]].sum()
    past["expected_error_rate"] = past["n_errors"] / past["n_audits"].where(
        past["n_audits"] > 0)
    plan = strata.merge(past[["site", "queue", "expected_error_rate"]], on=["site", "queue"],
                        how="left")
    plan["expected_error_rate"] = plan["expected_error_rate"].fillna(
        plan["n_errors"].sum() / plan["n_audits"].sum())
    plan["coverage"] = plan["n_audits"] / plan["items_handled"]
    total = int(plan["n_audits"].sum()) if budget is None else int(budget)
    floor = max(0, min(floor, total // (2 * len(plan))))
    plan = neyman_allocation(plan, total, min_per_stratum=floor)
    plan = flag_below_min_n(plan[["site", "queue", "items_handled", "n_audits", "n_errors",
                                  "coverage", "expected_error_rate", "audits"]], ctx.min_n)
    return plan.sort_values(["site", "queue"]).reset_index(drop=True), estimate


def coverage_tiles(estimate: dict[str, float], strata: pd.DataFrame) -> dict[str, str]:
    """Headline tiles of :func:`sample_plan`: the volume-weighted error rate with its
    interval, the audit-weighted rate, audits and coverage of the volume.

    Examples
    --------
    >>> t = coverage_tiles({"estimate": .05, "ci_low": .04, "ci_high": .06,
    ...     "audit_weighted_rate": .045, "n_audits": 300, "volume": 100000},
    ...     pd.DataFrame({"site": ["a"]}))
    >>> t["Error rate weighted by volume (95% interval)"]
    '5.0% (4.0–6.0%)'
    """
    from qa_insights.present.display import count, interval, pct

    return {
        "Error rate weighted by volume (95% interval)": interval(
            estimate["estimate"], estimate["ci_low"], estimate["ci_high"]),
        "Error rate of the audits as sampled": pct(estimate["audit_weighted_rate"]),
        "Audits": count(estimate["n_audits"]),
        "Items handled": count(estimate["volume"]),
        "Share of items audited": pct(estimate["n_audits"] / estimate["volume"], 2),
        "Strata (site x queue)": count(len(strata)),
    }
