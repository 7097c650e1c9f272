"""Experiments on audit outcomes: A/B tests, power, sample size, difference-in-differences.

A training or policy intervention is judged by the error rates of a treatment and a
control arm: :func:`ab_test` gives the test of
:func:`qa_insights.stats.proportions.compare_proportions` with the interval that inverts it
(score interval, Mee 1984), plus the power the sample had.
:func:`qa_insights.stats.sampling.sample_size_per_arm` says how many audits each arm
needs before starting (qa-domain.md section 4: 5% -> 4% at alpha .05 and power .8 needs
6,745 per arm, which is why per-moderator A/B tests on QA samples are hopeless). :func:`difference_in_differences`
compares a treated site's change with control sites' change over the same months.

The power formulas are those of the pooled two-proportion z test (variance under the null
from the pooled rate, under the alternative from the two rates), as in R's
``power.prop.test`` and statsmodels' ``power_proportions_2indep``.

Examples
--------
>>> sample_size_per_arm(0.05, 0.04)
6745
>>> r = ab_test(errors_control=300, n_control=6000, errors_treatment=228, n_treatment=6000)
>>> round(r.difference * 100, 2), r.significant
(-1.2, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from qa_insights.data.queries import Filters, audit_counts, check_dimensions, store_dimensions
from qa_insights.data.scalars import as_float, as_int
from qa_insights.stats.proportions import (
    agreeing_interval,
    check_rate,
    compare_proportions,
    z_value,
)
from qa_insights.stats.sampling import sample_size_per_arm

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = [
    "ABTest",
    "DiD",
    "ab_test",
    "arm_counts",
    "did_cells",
    "difference_in_differences",
    "power_two_proportions",
]


def power_two_proportions(p_control: float, p_treatment: float, n_control: float,
                          n_treatment: float | None = None, *, alpha: float = 0.05) -> float:
    """Power of the two-sided pooled z test to detect ``p_control`` vs ``p_treatment``.

    Parameters
    ----------
    p_control, p_treatment : float
        True error rates of the two arms.
    n_control : float
        Audits in the control arm.
    n_treatment : float, optional
        Audits in the treatment arm (default: as many as control).
    alpha : float
        Two-sided significance level.

    Returns
    -------
    float
        Probability that the test rejects (both tails counted); ``alpha`` when the rates
        are equal.

    Examples
    --------
    >>> round(power_two_proportions(0.05, 0.04, 6745), 4)
    0.8
    """
    p1, p2 = check_rate("p_control", p_control), check_rate("p_treatment", p_treatment)
    n1 = float(n_control)
    n2 = n1 if n_treatment is None else float(n_treatment)
    if n1 <= 0 or n2 <= 0:
        raise ValueError("arm sizes must be positive")
    pbar = (n1 * p1 + n2 * p2) / (n1 + n2)
    sd0 = math.sqrt(pbar * (1 - pbar) * (1 / n1 + 1 / n2))
    sd1 = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    za, d = z_value(1 - alpha), abs(p1 - p2)
    return float(stats.norm.cdf((d - za * sd0) / sd1) + stats.norm.cdf((-d - za * sd0) / sd1))


@dataclass(frozen=True)
class ABTest:
    """Result of :func:`ab_test`; ``difference`` is treatment minus control.

    Attributes
    ----------
    n_control, errors_control, rate_control : int, int, float
    n_treatment, errors_treatment, rate_treatment : int, int, float
    difference, ci_low, ci_high : float
        ``rate_treatment - rate_control`` and the interval that inverts the test
        (:func:`qa_insights.stats.proportions.agreeing_interval`): at ``ci_level = 1 -
        alpha`` it excludes 0 exactly when the test is significant.
    relative_change : float
        ``difference / rate_control`` (NaN when the control rate is 0).
    p_value : float
    test : str
        ``"two-proportion z"`` or ``"Fisher exact"``.
    significant : bool
    power_observed : float
        Power at the observed rates (post hoc: a restatement of the p-value, kept because
        reports ask for it; prefer ``power_minimum_effect``).
    power_minimum_effect : float
        Power to detect ``minimum_effect`` from the control rate with these arm sizes (NaN
        when no minimum effect was given).
    n_per_arm_needed : int or None
        Audits per arm for power 0.8 at ``minimum_effect`` (None without one).
    ci_level : float
        Confidence level of the interval.
    """

    n_control: int
    errors_control: int
    rate_control: float
    n_treatment: int
    errors_treatment: int
    rate_treatment: float
    difference: float
    ci_low: float
    ci_high: float
    relative_change: float
    p_value: float
    test: str
    significant: bool
    power_observed: float
    power_minimum_effect: float
    n_per_arm_needed: int | None
    ci_level: float = 0.95

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict."""
        return asdict(self)


def ab_test(errors_control: int, n_control: int, errors_treatment: int, n_treatment: int, *,
            minimum_effect: float | None = None, alpha: float = 0.05,
            confidence: float | None = None) -> ABTest:
    """A/B test of an intervention on audit error rates.

    Parameters
    ----------
    errors_control, n_control : int
        Errors and audits of the control arm.
    errors_treatment, n_treatment : int
        Errors and audits of the treatment arm.
    minimum_effect : float, optional
        Smallest change of the error rate worth detecting, in rate units (e.g. -0.01 for
        one point down); gives ``power_minimum_effect`` and ``n_per_arm_needed``.
    alpha : float
        Significance level.
    confidence : float, optional
        Level of the interval; default ``1 - alpha``, the level at which the interval
        agrees with the test (another level may disagree with the verdict).

    Returns
    -------
    ABTest

    Examples
    --------
    >>> r = ab_test(50, 1000, 40, 1000, minimum_effect=-0.01)
    >>> r.significant, round(r.power_minimum_effect, 2), r.n_per_arm_needed
    (False, 0.19, 6745)
    """
    level = 1 - alpha if confidence is None else confidence
    c = compare_proportions(errors_treatment, n_treatment, errors_control, n_control,
                            alpha=alpha)
    rc, rt = c.p2, c.p1
    low, high = agreeing_interval(errors_treatment, n_treatment, errors_control, n_control,
                                  c.p_value, c.test, level)
    rates_ok = 0 < rc < 1 and 0 < rt < 1 and rc != rt
    power_obs = (power_two_proportions(rc, rt, n_control, n_treatment, alpha=alpha)
                 if rates_ok else float("nan"))
    power_min, needed = float("nan"), None
    if minimum_effect is not None:
        target = check_rate("rate_control + minimum_effect", rc + minimum_effect)
        power_min = power_two_proportions(rc, target, n_control, n_treatment, alpha=alpha)
        needed = sample_size_per_arm(rc, target, alpha=alpha)
    return ABTest(int(n_control), int(errors_control), rc, int(n_treatment),
                  int(errors_treatment), rt, c.difference, low, high,
                  c.difference / rc if rc > 0 else float("nan"), c.p_value, c.test,
                  c.significant, power_obs, power_min, needed, level)


def arm_counts(store: Store, dimension: str, treated: Sequence[str],
               control: Sequence[str] | None = None, *,
               filters: Filters | None = None) -> pd.DataFrame:
    """Audits and errors of a treatment and a control arm, from the store.

    Parameters
    ----------
    store : Store
        Open store.
    dimension : str
        What defines the arms (e.g. ``"moderator_id"``, ``"site"``).
    treated : sequence of str
        Values of ``dimension`` in the treatment arm.
    control : sequence of str, optional
        Values in the control arm (default: every other value).
    filters : mapping, optional
        Scope: dimension -> value or list of values, bound as SQL parameters
        (e.g. ``{"month": "2026-10"}``); names are checked against the data's dimensions.

    Returns
    -------
    DataFrame
        Rows ``control`` and ``treatment`` (column ``arm``) with ``n_audits`` and
        ``n_errors``.

    Examples
    --------
    >>> arm_counts(store, "site", ["bpo_beta_cebu"], filters={"month": "2026-10"})  # doctest: +SKIP
    """
    (dimension,) = check_dimensions([dimension], store_dimensions(store))
    counts = audit_counts(store, [dimension], filters=filters).dropna(subset=[dimension])
    treated_set = set(treated)
    if not treated_set:
        raise ValueError("treated: give at least one value")
    in_control = (~counts[dimension].isin(treated_set) if control is None
                  else counts[dimension].isin(set(control)))
    if control is not None and treated_set & set(control):
        raise ValueError("a value is in both arms")
    arms = np.where(counts[dimension].isin(treated), "treatment",
                    np.where(in_control, "control", ""))
    out = (counts.assign(arm=arms).query("arm != ''")
           .groupby("arm")[["n_audits", "n_errors"]].sum()
           .reindex(["control", "treatment"], fill_value=0).reset_index())
    return out


@dataclass(frozen=True)
class DiD:
    """Result of :func:`difference_in_differences` (rates as fractions).

    ``estimate = (treated_after - treated_before) - (control_after - control_before)``;
    its standard error is ``sqrt(sum p (1 - p) / n)`` over the four cells (binomial cells
    are independent), the test a two-sided Wald z test and the interval the Wald
    interval with the same standard error at ``ci_level``: at ``1 - alpha`` it excludes 0
    exactly when ``p_value < alpha``.
    """

    treated_before: float
    treated_after: float
    control_before: float
    control_after: float
    estimate: float
    std_err: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float
    significant: bool
    ci_level: float = 0.95

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict."""
        return asdict(self)


def difference_in_differences(cells: pd.DataFrame, *, alpha: float = 0.05,
                              confidence: float | None = None) -> DiD:
    """Difference-in-differences of error rates: treated vs control, before vs after.

    Parameters
    ----------
    cells : DataFrame
        Four rows with columns ``group`` (``treated`` / ``control``), ``period``
        (``before`` / ``after``), ``n_audits`` and ``n_errors``.
    alpha : float
        Significance level.
    confidence : float, optional
        Level of the interval; default ``1 - alpha`` (where it agrees with the test).

    Returns
    -------
    DiD

    Examples
    --------
    >>> cells = pd.DataFrame({"group": ["treated"] * 2 + ["control"] * 2,
    ...                       "period": ["before", "after"] * 2,
    ...                       "n_audits": [2000, 2000, 6000, 6000],
    ...                       "n_errors": [120, 70, 300, 290]})
    >>> r = difference_in_differences(cells)
    >>> round(r.estimate * 100, 2), r.significant
    (-2.33, True)
    """
    need = {"group", "period", "n_audits", "n_errors"}
    if not need <= set(cells.columns):
        raise ValueError(f"cells: expected columns {sorted(need)}")
    c = cells.groupby(["group", "period"])[["n_audits", "n_errors"]].sum()
    keys = [(g, p) for g in ("treated", "control") for p in ("before", "after")]
    missing = [k for k in keys if k not in c.index or c.loc[k, "n_audits"] == 0]
    if missing:
        raise ValueError(f"cells: no audits for {missing}")
    n = {k: as_float(c.loc[k, "n_audits"]) for k in keys}
    p = {k: as_float(c.loc[k, "n_errors"]) / n[k] for k in keys}
    est = ((p[("treated", "after")] - p[("treated", "before")])
           - (p[("control", "after")] - p[("control", "before")]))
    se = math.sqrt(sum(p[k] * (1 - p[k]) / n[k] for k in keys))
    if se == 0:
        raise ValueError("cells: every rate is 0 or 1; the difference has no variance")
    z = est / se
    pv = float(2 * stats.norm.sf(abs(z)))
    level = 1 - alpha if confidence is None else confidence
    half = z_value(level) * se
    return DiD(p[("treated", "before")], p[("treated", "after")], p[("control", "before")],
               p[("control", "after")], float(est), se, float(est - half),
               float(est + half), float(z), pv, bool(pv < alpha), level)


def did_cells(store: Store, dimension: str, treated: Sequence[str], control: Sequence[str],
              before: Sequence[str], after: Sequence[str], *,
              filters: Filters | None = None) -> pd.DataFrame:
    """The four cells of :func:`difference_in_differences` from the store.

    Parameters
    ----------
    store : Store
        Open store.
    dimension : str
        What defines treated and control (e.g. ``"site"``).
    treated, control : sequence of str
        Values of ``dimension`` in each group.
    before, after : sequence of str
        Months ('YYYY-MM') of each period.
    filters : mapping, optional
        Scope: dimension -> value or list of values, bound as SQL parameters
        (e.g. ``{"month": "2026-10"}``); names are checked against the data's dimensions.

    Returns
    -------
    DataFrame
        ``group``, ``period``, ``n_audits``, ``n_errors`` (four rows).

    Examples
    --------
    >>> did_cells(store, "site", ["bpo_beta_cebu"], ["bpo_alpha_manila"],
    ...           ["2026-08"], ["2026-10"])                          # doctest: +SKIP
    """
    filters = dict(filters or {})
    if "month" in filters:
        raise ValueError("give the months as before and after, not as a filter")
    if set(before) & set(after):
        raise ValueError("a month is in both periods")
    (dimension,) = check_dimensions([dimension], store_dimensions(store))
    rows = []
    for period, months in (("before", list(before)), ("after", list(after))):
        arms = arm_counts(store, dimension, treated, control,
                          filters={"month": months, **filters})
        for arm, group in (("treatment", "treated"), ("control", "control")):
            r = arms.set_index("arm").loc[arm]
            rows.append({"group": group, "period": period, "n_audits": as_int(r["n_audits"]),
                         "n_errors": as_int(r["n_errors"])})
    return pd.DataFrame(rows)
