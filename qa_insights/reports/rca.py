"""Presentation glue of the root-cause deep dive (``notebooks/rca_deep_dive.ipynb``).

Small pure functions on the results of :mod:`qa_insights.rca.change`, :mod:`qa_insights.present.findings`,
:mod:`qa_insights.rca.comparisons` and :mod:`qa_insights.rca.clustering`: table names with the
``rca_<queue>_`` prefix the build engine requires, readable change and test tables, and the
moderator clustering that is skipped with a reason when there are too few errors.

Examples
--------
>>> table_name("hate_speech", "change_by_site")
'rca_hate_speech_change_by_site'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from qa_insights.data.scalars import as_float

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store
    from qa_insights.data.queries import Filters
    from qa_insights.present.findings import Finding
    from qa_insights.rca.clustering import Clustering

__all__ = [
    "ClusterResult",
    "association_test",
    "change_or_reason",
    "change_shown",
    "cluster_members",
    "cluster_moderators",
    "cluster_summary",
    "hypothesis_shown",
    "pairwise_shown",
    "reason_mix_test",
    "scope_drivers",
    "segment_dimension",
    "sentences",
    "table_name",
]

_MISSING = "–"


#: Scopes whose deep dive compares sites (the organisation's, a queue's, a market's).
_BY_SITE = ("org", "queue", "market")


def segment_dimension(scope: str, n_sites: int) -> str:
    """The segments a deep dive compares: the sites of a queue (market, organisation), the
    queues of a site, and the sites of a vendor, region or other site attribute, or its
    queues when it has a single site (one segment compares nothing).

    Parameters
    ----------
    scope : str
        The report's scope (:attr:`qa_insights.reports.engine.context.ReportContext.scope`).
    n_sites : int
        Sites with audits in the scope and month.

    Examples
    --------
    >>> segment_dimension("queue", 1), segment_dimension("site", 1)
    ('site', 'queue')
    >>> segment_dimension("vendor", 3), segment_dimension("vendor", 1)
    ('site', 'queue')
    """
    if scope in _BY_SITE:
        return "site"
    if scope == "site":
        return "queue"
    return "site" if n_sites > 1 else "queue"


def scope_drivers(scope: str, by: str, drivers: Sequence[str]) -> list[str]:
    """The error drivers of a deep dive: ``drivers`` as given, but for a vendor, region or
    other site attribute the segments (``by``: its sites, or its one site's queues) in
    place of ``site_type`` (which a site fixes, and a vendor's sites mostly share).

    Examples
    --------
    >>> scope_drivers("queue", "site", ["tenure_band", "site_type"])
    ['tenure_band', 'site_type']
    >>> scope_drivers("vendor", "site", ["tenure_band", "site_type"])
    ['tenure_band', 'site']
    """
    if scope in (*_BY_SITE, "site"):
        return list(drivers)
    return [by if d == "site_type" else d for d in drivers]


def table_name(scope_value: str, name: str) -> str:
    """Name of an RCA table: ``rca_<scope value>_<name>`` (unique per queue and month;
    :func:`qa_insights.reports.engine.tables.write_table` makes it file-name safe)."""
    return f"rca_{scope_value}_{name}"


def sentences(findings: Sequence[Finding]) -> list[str]:
    """The sentences of :class:`qa_insights.present.findings.Finding` objects, in order."""
    return [f.sentence for f in findings]


def _pts(value: float) -> str:
    """Points with a true minus sign, rounded before signing (never "+0.00" or "-0.00")."""
    from qa_insights.present.display import number

    return _MISSING if value is None or np.isnan(value) else f"{number(value, 2, sign=True)} pts"


def _pct(value: float) -> str:
    return _MISSING if value is None or np.isnan(value) else f"{100 * value:.1f}%"


def _p(value: float) -> str:
    """A p-value printed so it never contradicts the 5% verdict beside it."""
    from qa_insights.present.findings import format_p_value

    if value is None or np.isnan(value):
        return _MISSING
    return format_p_value(float(value))


def change_shown(decomposition: pd.DataFrame, by: str) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.rca.change.explain_change` (``scale=100``): segment,
    audits and error rate in both months, and the mix, rate and total effects in points.

    Examples
    --------
    >>> d = pd.DataFrame({"site": ["a"], "mix_effect": [0.6], "rate_effect": [6.7],
    ...     "total_effect": [7.3], "n_audits_before": [60], "n_audits_after": [72],
    ...     "rate_before": [0.018], "rate_after": [0.347]})
    >>> change_shown(d, "site").iloc[0].astype(str).tolist()
    ['a', '60', '1.8%', '72', '34.7%', '+0.60 pts', '+6.70 pts', '+7.30 pts']
    >>> change_shown(d.assign(mix_effect=[-0.001], rate_effect=[-2.06]), "site").iloc[0, 5:].tolist()
    ['0.00 pts', '−2.06 pts', '+7.30 pts']
    """
    return pd.DataFrame({
        by: decomposition[by].astype(str),
        "n_before": decomposition["n_audits_before"],
        "rate_before": [_pct(v) for v in decomposition["rate_before"]],
        "n_after": decomposition["n_audits_after"],
        "rate_after": [_pct(v) for v in decomposition["rate_after"]],
        "mix": [_pts(v) for v in decomposition["mix_effect"]],
        "rate": [_pts(v) for v in decomposition["rate_effect"]],
        "total": [_pts(v) for v in decomposition["total_effect"]],
    })


def hypothesis_shown(tests: pd.DataFrame) -> pd.DataFrame:
    """Readable rows of hypothesis tests (:func:`qa_insights.rca.comparisons.compare_values`,
    or one :class:`~qa_insights.stats.differences.HypothesisTest` as a one-row frame): test,
    statistic, p-value, effect size, verdict.

    Examples
    --------
    >>> t = pd.DataFrame({"test": ["Kruskal-Wallis"], "statistic": [9.94], "p_value": [0.127],
    ...     "effect_size": [0.03], "effect_size_name": ["epsilon squared"], "n": [330],
    ...     "significant": [False]})
    >>> hypothesis_shown(t).iloc[0].astype(str).tolist()
    ['Kruskal-Wallis', '330', '9.94', '0.13', 'epsilon squared 0.030', 'no significant difference']
    """
    return pd.DataFrame({
        "test": tests["test"].astype(str),
        "n": tests["n"],
        "statistic": [f"{v:.2f}" for v in tests["statistic"]],
        "p_value": [_p(v) for v in tests["p_value"]],
        "effect": [f"{name} {v:.3f}" if not np.isnan(v) else _MISSING
                   for name, v in zip(tests["effect_size_name"], tests["effect_size"])],
        "verdict": ["significant difference" if s else "no significant difference"
                    for s in tests["significant"]],
    })


def _bound(value: float) -> str:
    """An interval bound in points, signed, with as many decimals (one to four) as it takes
    not to round a non-zero bound to 0: "+0.04", never "0.0" for a bound that excludes 0;
    a bound closer to 0 than that (an exact interval ending at 0) reads "−<0.0001".

    Examples
    --------
    >>> _bound(2.14), _bound(0.04), _bound(-0.004), _bound(0.0), _bound(-5e-324)
    ('+2.1', '+0.04', '−0.004', '0.0', '−<0.0001')
    """
    from qa_insights.present.display import number

    for digits in range(1, 5):
        text = number(value, digits, sign=True)
        if value == 0 or text.lstrip("+−").strip("0.") != "":
            return text
    return ("−" if value < 0 else "+") + "<0.0001"


def _level(level: float) -> str:
    """A confidence level as a percentage: 0.95 -> '95%', 0.98333 -> '98.3%'."""
    text = f"{100 * level:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def pairwise_shown(pairs: pd.DataFrame, only_significant: bool = False) -> pd.DataFrame:
    """Readable rows of :func:`qa_insights.rca.comparisons.pairwise_rates`: the two groups with
    their error rates, the difference with its interval in points at the level the
    multiplicity adjustment implies (``ci_level``, so the interval excludes zero exactly when
    the pair is significant; 95% when absent) and the Holm-adjusted p-value; most
    significant first.

    Examples
    --------
    >>> p = pd.DataFrame({"group_a": ["x"], "group_b": ["y"], "n_a": [72], "rate_a": [0.347],
    ...     "n_b": [40], "rate_b": [0.0], "difference": [0.347], "ci_low": [0.2145],
    ...     "ci_high": [0.4624], "p_adjusted": [0.0005], "significant": [True]})
    >>> pairwise_shown(p).iloc[0].tolist()
    ['x', '34.7%', 'y', '0.0%', '+34.7 pts (95% interval +21.4 to +46.2)', '< 0.001', 'yes']
    """
    from qa_insights.present.display import number

    rows = pairs[pairs["significant"]] if only_significant else pairs
    rows = rows.sort_values("p_adjusted", kind="stable")
    levels = rows["ci_level"] if "ci_level" in rows else [0.95] * len(rows)
    return pd.DataFrame({
        "group_a": rows["group_a"].astype(str),
        "rate_a": [_pct(v) for v in rows["rate_a"]],
        "group_b": rows["group_b"].astype(str),
        "rate_b": [_pct(v) for v in rows["rate_b"]],
        "difference": [f"{number(100 * d, sign=True)} pts ({_level(level)} interval "
                       f"{_bound(100 * lo)} to {_bound(100 * hi)})"
                       for d, lo, hi, level in zip(rows["difference"], rows["ci_low"],
                                                   rows["ci_high"], levels, strict=True)],
        "p_adjusted": [_p(v) for v in rows["p_adjusted"]],
        "significant": ["yes" if s else "no" for s in rows["significant"]],
    }).reset_index(drop=True)


@dataclass(frozen=True)
class ClusterResult:
    """Moderator clustering for the report, or why it was skipped.

    Attributes
    ----------
    clustering : Clustering or None
        :func:`qa_insights.rca.clustering.cluster_profiles`, None when skipped.
    profiles : DataFrame
        The error profiles that were (or would have been) clustered.
    message : str
        What the reader is told: the choice of k, or why there is no clustering.
    """

    clustering: Clustering | None
    profiles: pd.DataFrame
    message: str


def cluster_moderators(profiles: pd.DataFrame, *, min_entities: int = 8,
                       min_errors: int = 3, seed: int = 0) -> ClusterResult:
    """Cluster moderators by error profile (k by silhouette), or explain why not.

    Parameters
    ----------
    profiles : DataFrame
        :func:`qa_insights.rca.clustering.error_profiles` by ``moderator_id`` with
        ``min_errors``; ``attrs["excluded"]`` counts the moderators left out.
    min_entities : int
        Fewer moderators with enough errors: skipped.
    min_errors : int
        The ``min_errors`` the profiles were computed with (for the message).
    seed : int
        Seed of k-means.

    Returns
    -------
    ClusterResult

    Examples
    --------
    >>> p = pd.DataFrame({"false_negative": [1.0, 0.0], "false_positive": [0.0, 1.0],
    ...                   "n_errors": [3, 4], "n_audits": [40, 50], "error_rate": [0.07, 0.08]})
    >>> print(cluster_moderators(p).message)
    Too few errors to group moderators by error profile: 2 moderators had at least 3 errors (8 needed).
    """
    from qa_insights.rca.clustering import cluster_profiles

    if len(profiles) < min_entities:
        return ClusterResult(None, profiles,
                             f"Too few errors to group moderators by error profile: "
                             f"{len(profiles)} moderators had at least {min_errors} errors "
                             f"({min_entities} needed).")
    try:
        result = cluster_profiles(profiles, seed=seed)
    except ValueError as exc:
        return ClusterResult(None, profiles, f"Moderators could not be grouped: {exc}.")
    best = result.silhouette.set_index("k").loc[result.k, "silhouette"]
    return ClusterResult(result, profiles,
                         f"{len(profiles)} moderators with at least {min_errors} errors fall "
                         f"into {result.k} groups (k chosen by the best mean silhouette, "
                         f"{as_float(best):.2f}).")


def cluster_summary(result: ClusterResult) -> pd.DataFrame:
    """One row per cluster: size, mean error rate, mean share of each error category and
    the dominant category.

    Returns
    -------
    DataFrame
        ``cluster, group`` (its name, :func:`qa_insights.rca.clustering.cluster_names`),
        ``size, mean_error_rate``, the share columns, ``dominant``; empty when the
        clustering was skipped.
    """
    if result.clustering is None:
        return pd.DataFrame(columns=["cluster", "group", "size", "mean_error_rate",
                                     "dominant"])
    centers = result.clustering.centers
    shares = [c for c in centers.columns if c != "size"]
    rates = result.profiles["error_rate"].groupby(result.clustering.assignments).mean()
    out = centers.reset_index().rename(columns={centers.index.name or "index": "cluster"})
    out.insert(2, "mean_error_rate", out["cluster"].map(rates).to_numpy())
    out.insert(1, "group", out["cluster"].map(result.clustering.names).to_numpy())
    out["dominant"] = centers[shares].idxmax(axis=1).to_numpy()
    return out


def cluster_members(result: ClusterResult) -> pd.DataFrame:
    """The clustered moderators: ``moderator_id`` (raw: pass through ``ctx.people`` before
    showing), ``cluster``, ``group`` (the cluster's name), ``n_errors``, ``n_audits``,
    ``error_rate`` and the shares; empty when skipped. Sorted by cluster, then most errors
    first."""
    if result.clustering is None:
        return pd.DataFrame(columns=["moderator_id", "cluster", "group", "n_errors",
                                     "n_audits", "error_rate"])
    frame = result.profiles.copy()
    frame.insert(0, "cluster", result.clustering.assignments.reindex(frame.index).to_numpy())
    frame.insert(1, "group", frame["cluster"].map(result.clustering.names).to_numpy())
    frame = frame.rename_axis("moderator_id").reset_index()
    return frame.sort_values(["cluster", "n_errors"], ascending=[True, False],
                             kind="stable").reset_index(drop=True)


def association_test(table: pd.DataFrame, *, rows: str = "site", columns: str = "error_type",
                     scope: str = "Org", min_errors: int = 20,
                     alpha: float = 0.05) -> tuple[object | None, str]:
    """Independence test of a crosstab (:func:`qa_insights.rca.comparisons.crosstab`), or why
    it was not run.

    Small tables are not tested: fewer than ``min_errors`` errors, or fewer than two rows
    or columns with errors. (Works around
    :func:`qa_insights.stats.differences.independence_test` failing on some sparse tables
    with its Monte Carlo exact test.)

    Returns
    -------
    (HypothesisTest or None, str)
        The test (as :func:`qa_insights.rca.comparisons.association` gives it) and the
        finding's sentence, or None and the reason it was skipped.

    Examples
    --------
    >>> t = pd.DataFrame({"false_positive": [1, 1], "wrong_policy": [1, 0]}, index=["a", "b"])
    >>> association_test(t)
    (None, 'Too few errors (3) to test whether error type differs by site; at least 20 are needed.')
    """
    from qa_insights.present.findings import association_finding
    from qa_insights.stats.differences import independence_test

    counts = table.loc[table.sum(axis=1) > 0, table.sum(axis=0) > 0]
    n = int(counts.to_numpy().sum())
    what = f"whether {columns.replace('_', ' ')} differs by {rows.replace('_', ' ')}"
    if n < min_errors:
        return None, (f"Too few errors ({n}) to test {what}; at least {min_errors} are "
                      "needed.")
    if counts.shape[0] < 2 or counts.shape[1] < 2:
        return None, f"Only one {rows if counts.shape[0] < 2 else columns} with errors: " \
                     f"nothing to test ({what})."
    try:
        test = independence_test(counts, alpha=alpha)
    except (TypeError, ValueError) as exc:
        return None, f"The test of {what} could not be computed ({exc})."
    return test, association_finding(test, rows, columns, scope=scope).sentence


def reason_mix_test(before: pd.DataFrame, after: pd.DataFrame, *, scope: str = "Org",
                    min_errors: int = 20, alpha: float = 0.05
                    ) -> tuple[pd.DataFrame | None, str]:
    """:func:`qa_insights.rca.change.reason_mix` of two months' reason counts and its finding's
    sentence, or None and why it was not run (fewer than ``min_errors`` errors in either
    month, or the test failing on a sparse table: works around
    :func:`qa_insights.stats.differences.independence_test`).

    Parameters
    ----------
    before, after : DataFrame
        :func:`qa_insights.rca.change.reason_counts` of the comparison month and the month.

    Examples
    --------
    >>> b = pd.DataFrame({"error_reason": ["fatigue"], "n_errors": [3]})
    >>> reason_mix_test(b, b)
    (None, 'Too few errors (3 before, 3 now) to test whether the mix of error reasons changed; at least 20 in each month are needed.')
    """
    from qa_insights.present.findings import reason_mix_finding
    from qa_insights.rca.change import reason_mix

    n_before, n_after = int(before["n_errors"].sum()), int(after["n_errors"].sum())
    if min(n_before, n_after) < min_errors:
        return None, (f"Too few errors ({n_before} before, {n_after} now) to test whether the "
                      f"mix of error reasons changed; at least {min_errors} in each month "
                      "are needed.")
    try:
        mix = reason_mix(before, after, alpha=alpha)
    except (TypeError, ValueError) as exc:
        return None, f"The test of the error-reason mix could not be computed ({exc})."
    return mix, reason_mix_finding(mix, scope=scope).sentence


def change_or_reason(store: Store, month: str, by: str, *, filters: Filters | None = None
                     ) -> tuple[pd.DataFrame | None, str]:
    """:func:`qa_insights.rca.change.explain_change` against the previous month, or None and a
    sentence for the reader when that month has no audits in scope (a gap in the data, the
    first month).

    Examples
    --------
    >>> change_or_reason(store, "2026-10", "site", filters={"queue": "spam"})        # doctest: +SKIP
    """
    from qa_insights.data.months import previous_month
    from qa_insights.rca.change import explain_change

    try:
        return explain_change(store, month, by, filters=filters), ""
    except ValueError as exc:
        if "no audits in" not in str(exc):
            raise
        return None, (f"No comparison with {previous_month(month)}: it has no audits in "
                      "this scope, so what changed cannot be decomposed.")
