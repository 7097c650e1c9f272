"""Fair per-moderator error rates: empirical-Bayes shrinkage and a coaching list.

A moderator with 1 error in 3 audits has a raw error rate of 33%, which says little. The
beta-binomial model treats each moderator's true rate as drawn from a Beta(alpha0, beta0)
prior fitted to all moderators (empirical Bayes); the posterior mean
``(errors + alpha0) / (audits + alpha0 + beta0)`` pulls small samples toward the pooled
rate and leaves large ones nearly alone, and the posterior
``Beta(errors + alpha0, audits - errors + beta0)`` gives a credible interval.

Prior fitting (:func:`fit_beta_prior`):

* ``"moments"``: the audit-weighted method of moments for the beta-binomial (the
  weighting of Kleinman 1973, "Proportions with extraneous variance: single and
  independent samples", JASA 68:46-54; see also Tamura & Young 1987, Biometrics
  43:813-824): ``p_bar = sum(e) / sum(n)``, ``var_between = sum(n_j (p_j - p_bar)^2) /
  sum(n) - J p_bar (1 - p_bar) / sum(n)``, strength ``alpha0 + beta0 = p_bar (1 -
  p_bar) / var_between - 1``. (D. Robinson's "Introduction to Empirical Bayes", often
  cited for this model, fits the prior by maximum likelihood; the moment formula here is
  not his.)
* ``"mle"``: maximum beta-binomial likelihood, by profiling: for each strength the mean
  is maximised exactly (1-D), and the profile over log-strength is searched on a grid and
  refined by Brent's method, so the fit reaches the maximum (a generic optimiser with
  default tolerances stopped at the moments start on realistic data, issue 22); a point
  mass when no finite strength beats the binomial (infinite-strength) likelihood.

When the rates vary no more than binomial noise (``var_between <= 0``, or the likelihood
is maximal at infinite strength) the strength is infinite: every estimate is the pooled
rate and nobody is ranked.

Examples
--------
>>> prior = BetaPrior(alpha=2.5925, beta=27.9075)
>>> est = shrink_rates(pd.DataFrame({"n_errors": [0, 16], "n_audits": [5, 80]}), prior=prior)
>>> est.shrunk_rate.round(3).tolist()
[0.073, 0.168]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize, special, stats

from qa_insights.data.queries import Filters, audit_counts

if TYPE_CHECKING:
    from qa_insights.data.protocol import Store

__all__ = [
    "BetaPrior",
    "coaching_list",
    "fit_beta_prior",
    "moderator_error_rates",
    "shrink_rates",
]

#: Prior strengths beyond this are treated as infinite (no between-moderator variation).
MAX_STRENGTH = 1e7


@dataclass(frozen=True)
class BetaPrior:
    """Beta(alpha, beta) prior of the per-moderator error rate.

    ``alpha = beta = inf`` with a finite ``pooled`` rate means "no variation beyond
    noise": the prior is a point mass at ``pooled``.
    """

    alpha: float
    beta: float
    method: str = "given"
    pooled: float | None = None

    @property
    def strength(self) -> float:
        """``alpha + beta``: the prior's weight in audits."""
        return self.alpha + self.beta

    @property
    def mean(self) -> float:
        """Prior mean error rate."""
        if math.isinf(self.strength):
            return float("nan") if self.pooled is None else self.pooled
        return self.alpha / self.strength

    @property
    def degenerate(self) -> bool:
        """True when the prior is a point mass (infinite strength)."""
        return math.isinf(self.strength)


def _point_mass(p_bar: float, method: str) -> BetaPrior:
    return BetaPrior(math.inf, math.inf, method, p_bar)


def _moments(e: np.ndarray, n: np.ndarray) -> BetaPrior:
    p_bar = e.sum() / n.sum()
    p = e / n
    var_w = np.sum(n * (p - p_bar) ** 2) / n.sum()
    var_between = var_w - len(n) * p_bar * (1 - p_bar) / n.sum()
    if p_bar in (0.0, 1.0) or var_between <= 0:
        return _point_mass(float(p_bar), "moments")
    strength = p_bar * (1 - p_bar) / var_between - 1
    if strength > MAX_STRENGTH:
        return _point_mass(float(p_bar), "moments")
    return BetaPrior(float(p_bar * strength), float((1 - p_bar) * strength), "moments")


def _loglik(mu: float, s: float, e: np.ndarray, n: np.ndarray) -> float:
    """Beta-binomial log-likelihood without the binomial coefficients (mean, strength)."""
    a, b = mu * s, (1 - mu) * s
    return float(np.sum(special.betaln(e + a, n - e + b) - special.betaln(a, b)))


def _profile(log_s: float, e: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """Maximum over the mean of the log-likelihood at strength ``exp(log_s)``: (value,
    mean). The mean is searched on the logit scale to 1e-10 (Brent, from the pooled rate)."""
    s = math.exp(log_s)
    centre = float(special.logit(e.sum() / n.sum()))
    res = optimize.minimize_scalar(lambda t: -_loglik(special.expit(t), s, e, n),
                                   bracket=(centre - 0.5, centre + 0.5), method="brent",
                                   options={"xtol": 1e-10, "maxiter": 500})
    return -float(res.fun), float(special.expit(res.x))


def _mle(e: np.ndarray, n: np.ndarray) -> BetaPrior:
    """Maximum likelihood by profiling: for each strength the best mean (1-D), and the
    profile maximised over log-strength, first on a grid from 1e-3 to
    :data:`MAX_STRENGTH` (so a distant maximum is not missed), then by bounded Brent
    search to 1e-9 between the grid neighbours of the best point."""
    p_bar = float(e.sum() / n.sum())
    if p_bar in (0.0, 1.0):
        return _point_mass(p_bar, "mle")
    lower, upper = math.log(1e-3), math.log(MAX_STRENGTH)
    grid = np.linspace(lower, upper, 41)
    values = [_profile(t, e, n)[0] for t in grid]
    i = int(np.argmax(values))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    res = optimize.minimize_scalar(lambda t: -_profile(t, e, n)[0], bounds=(lo, hi),
                                   method="bounded", options={"xatol": 1e-9, "maxiter": 500})
    log_s = float(res.x) if -res.fun >= values[i] else float(grid[i])
    best, mu = _profile(log_s, e, n)
    # Same constant as _loglik: the limit of infinite strength is binomial at p_bar.
    binomial = float(np.sum(special.xlogy(e, p_bar) + special.xlogy(n - e, 1 - p_bar)))
    if log_s >= upper - 1e-3 or best <= binomial + 1e-6:
        return _point_mass(p_bar, "mle")
    s = math.exp(log_s)
    return BetaPrior(float(mu * s), float((1 - mu) * s), "mle")


def fit_beta_prior(errors: ArrayLike, n: ArrayLike, method: str = "moments") -> BetaPrior:
    """Fit the Beta prior of per-unit error rates from their counts.

    Parameters
    ----------
    errors, n : array_like
        Errors and audits per moderator (units with ``n = 0`` are ignored).
    method : {"moments", "mle"}
        Method of moments (weighted by audits) or maximum beta-binomial likelihood
        (profile likelihood, see the module notes; checked against an independent
        Nelder-Mead fit in tests/test_shrinkage.py).

    Returns
    -------
    BetaPrior
        Infinite strength (point mass at the pooled rate) when the rates show no
        variation beyond binomial noise.

    Raises
    ------
    ValueError
        Unknown method, negative counts, errors above audits, or fewer than two units
        with audits.

    Examples
    --------
    >>> prior = fit_beta_prior([0, 0, 16, 1, 4, 11, 21, 3, 20, 9, 5, 5],
    ...                        [5, 12, 80, 90, 79, 127, 180, 132, 122, 69, 112, 106])
    >>> round(prior.mean, 3), round(prior.strength, 1)
    (0.085, 30.5)
    """
    if method not in ("moments", "mle"):
        raise ValueError(f"method must be 'moments' or 'mle'; got {method!r}")
    e, m = np.asarray(errors, float), np.asarray(n, float)
    if np.any(e < 0) or np.any(e > m):
        raise ValueError("errors must lie between 0 and n")
    keep = m > 0
    e, m = e[keep], m[keep]
    if len(m) < 2:
        raise ValueError("need at least two units with audits to fit a prior")
    return _moments(e, m) if method == "moments" else _mle(e, m)


def shrink_rates(frame: pd.DataFrame, *, count: str = "n_errors", total: str = "n_audits",
                 prior: BetaPrior | None = None, method: str = "moments",
                 credible: float = 0.95) -> pd.DataFrame:
    """Shrunk error rates and equal-tailed credible intervals, one per row (pure).

    Parameters
    ----------
    frame : DataFrame
        One row per moderator (or other unit) with ``count`` and ``total`` columns.
    count, total : str
        Error and audit columns.
    prior : BetaPrior, optional
        Prior to use; fitted on ``frame`` with ``method`` when omitted.
    method : {"moments", "mle"}
        Fitting method when ``prior`` is None.
    credible : float
        Credible level of the interval.

    Returns
    -------
    DataFrame
        A copy of ``frame`` with ``raw_rate``, ``shrunk_rate``, ``cri_low``, ``cri_high``,
        ``prior_mean`` and ``prior_strength``. With a point-mass prior every estimate and
        both bounds equal the pooled rate.
    """
    if not 0 < credible < 1:
        raise ValueError(f"credible must be between 0 and 1; got {credible!r}")
    e = frame[count].to_numpy(float)
    m = frame[total].to_numpy(float)
    if prior is None:
        prior = fit_beta_prior(e, m, method)
    out = frame.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["raw_rate"] = np.where(m > 0, e / m, np.nan)
    if prior.degenerate:
        out["shrunk_rate"] = out["cri_low"] = out["cri_high"] = prior.mean
    else:
        a, b = e + prior.alpha, m - e + prior.beta
        out["shrunk_rate"] = a / (a + b)
        tail = (1 - credible) / 2
        out["cri_low"] = stats.beta.ppf(tail, a, b)
        out["cri_high"] = stats.beta.ppf(1 - tail, a, b)
    out["prior_mean"] = prior.mean
    out["prior_strength"] = prior.strength
    return out


def coaching_list(frame: pd.DataFrame, id_col: str = "moderator_id", *, min_n: int = 30,
                  count: str = "n_errors", total: str = "n_audits",
                  prior: BetaPrior | None = None, method: str = "moments",
                  credible: float = 0.95, top: int | None = None) -> pd.DataFrame:
    """Moderators ranked for coaching on the shrunk error rate, with a minimum-n rule.

    The prior is fitted on every row (small samples inform it too), but only rows with at
    least ``min_n`` audits are ranked, so one unlucky audit never tops the list. Ties on
    the shrunk rate go to the higher lower credible bound, then to more audits.

    What guarantees that a lucky small sample (0 errors in 5) never outranks a steady
    large one (30 in 300) is the minimum-n rule, not the shrinkage alone. With prior mean
    ``m`` and strength ``s`` the shrunk rates are ``m s / (s + 5)`` and
    ``(30 + m s) / (300 + s)``; the first is larger exactly when ``s (295 m - 30) > 150``.
    At realistic error rates (``m <= 30 / 295``, about 10.2%) that never happens, whatever
    the strength; with a higher base rate and a strong prior (``m = 0.2``, ``s = 100``:
    19.0% against 12.5%) it does, and only ``min_n`` keeps 0 of 5 off the list.

    Parameters
    ----------
    frame : DataFrame
        One row per moderator with ``id_col``, ``count`` and ``total``.
    id_col : str
        Identifier column (pseudonymise it for managers: :mod:`qa_insights.present.privacy`).
    min_n : int
        Fewest audits to be ranked.
    count, total, prior, method, credible
        As in :func:`shrink_rates`.
    top : int, optional
        Keep only the first ``top`` rows.

    Returns
    -------
    DataFrame
        Ranked rows (worst first): ``rank`` (1 = highest shrunk error rate), ``id_col``,
        counts, ``raw_rate``, ``shrunk_rate``, ``cri_low``, ``cri_high``, ``prior_mean``,
        ``prior_strength`` and ``credibly_above_average`` (``cri_low > prior_mean``).
        Empty when the prior is a point mass: the differences are noise, nobody is ranked.

    Examples
    --------
    >>> f = pd.DataFrame({"moderator_id": ["a", "b", "c", "d"], "n_errors": [1, 30, 5, 22],
    ...                   "n_audits": [1, 300, 40, 200]})
    >>> ranked = coaching_list(f, prior=BetaPrior(2, 30))   # "a" (1 of 1) is not ranked
    >>> ranked.moderator_id.tolist(), ranked.shrunk_rate.round(4).tolist()
    (['d', 'c', 'b'], [0.1034, 0.0972, 0.0964])
    """
    est = shrink_rates(frame, count=count, total=total, prior=prior, method=method,
                       credible=credible)
    cols = [id_col, count, total, "raw_rate", "shrunk_rate", "cri_low", "cri_high",
            "prior_mean", "prior_strength"]
    est = est.loc[est[total] >= min_n, cols]
    if est.empty or math.isinf(float(est.prior_strength.iloc[0])):
        est = est.iloc[0:0]
    est = est.sort_values(["shrunk_rate", "cri_low", total, id_col],
                          ascending=[False, False, False, True], kind="mergesort")
    est["credibly_above_average"] = est.cri_low > est.prior_mean
    est.insert(0, "rank", np.arange(1, len(est) + 1))
    est = est.reset_index(drop=True)
    return est if top is None else est.head(top)


def moderator_error_rates(store: Store, *, method: str = "moments", credible: float = 0.95,
                          min_n: int = 30, filters: Filters | None = None) -> pd.DataFrame:
    """Per-moderator counts from the store (SQL), then :func:`shrink_rates`.

    Parameters
    ----------
    store : Store
        Open store.
    method, credible
        As in :func:`shrink_rates` (the prior is fitted on the moderators in scope).
    min_n : int
        Rows below it get ``below_min_n = True``.
    filters : mapping, optional
        Scope: dimension -> value or list of values, bound as SQL parameters
        (e.g. ``{"month": "2026-10"}``); names are checked against the data's dimensions.

    Returns
    -------
    DataFrame
        ``moderator_id, n_audits, n_errors`` and the columns of :func:`shrink_rates`, plus
        ``below_min_n``.

    Examples
    --------
    >>> rates = moderator_error_rates(store, filters={"month": "2026-10"})          # doctest: +SKIP
    >>> coaching_list(rates, min_n=30, prior=None)                      # doctest: +SKIP
    """
    counts = audit_counts(store, ["moderator_id"], filters=filters)[
        ["moderator_id", "n_audits", "n_errors"]]
    out = shrink_rates(counts, method=method, credible=credible)
    out["below_min_n"] = out.n_audits < min_n
    return out
