"""On null data the executive summaries stay silent: no change of the month, no driver.

The sample generator's null world (``qa-insights sample-data --null``: no planted effect,
segments differ only by noise around their fixed levels) is generated once with many
months. Each disjoint pair of months (``2k``, ``2k + 1``) is an independent null draw: the
second month's summary is computed for the organisation (the MQR: segments are sites), for
one queue (a queue's deep dive: sites) and for one site (a site's deep dive: queues),
rotating the queue and the site over the draws. One counts query reads the store; every
step after it is the library path the notebooks take (``summarise_counts`` as in
``rate_series``, ``lmdi`` as in ``explain_change``, ``change_findings``,
``headline_numbers``, ``with_agreeing_interval``, ``executive_summary``,
``with_small_segments``), without executing notebooks.

Bound: each claim is a test at level ``ALPHA`` (the month's change: one two-proportion
test; a driver: the weighted-Holm family of ``change_findings``, family-wise at most
``ALPHA``), so over ``n`` independent draws the number of false claims is at most
Binomial(n, ALPHA) in distribution. A count above its one-sided 99.9% quantile
(:func:`false_claim_bound`) fails; a correct summary fails so by chance with probability
below 0.001 per count (3 scopes x 2 claims: below 0.6% for the whole test, and the data are
seeded, so a pass is reproducible).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from qa_insights.data.opening import open_store
from qa_insights.data.queries import audit_counts
from qa_insights.data.sample_data import generate
from qa_insights.present.findings import change_findings
from qa_insights.quality.metrics import summarise_counts
from qa_insights.reports.engine.context import ReportContext
from qa_insights.reports.mqr import headline_numbers
from qa_insights.reports.summary import (
    Claim,
    executive_summary,
    with_agreeing_interval,
    with_small_segments,
)
from qa_insights.stats.lmdi import lmdi

ALPHA = 0.05
DRAWS = 70  # disjoint month pairs
AUDITS_PER_MONTH = 1200
MIN_N = 30
SCOPES = {"org": "site", "queue": "site", "site": "queue"}  # scope -> its segments


def false_claim_bound(draws: int, rate: float = ALPHA, quantile: float = 0.999) -> int:
    """Largest number of false claims in ``draws`` null draws still consistent with a
    claim rate of ``rate``: the one-sided ``quantile`` of Binomial(draws, rate)."""
    from scipy import stats

    return int(stats.binom.ppf(quantile, draws, rate))


def test_the_bound_is_the_binomial_quantile() -> None:
    from scipy import stats

    k = false_claim_bound(DRAWS)
    assert stats.binom.cdf(k, DRAWS, ALPHA) >= 0.999 > stats.binom.cdf(k - 1, DRAWS, ALPHA)
    assert k < DRAWS * 0.15  # a bound that can fail: well under the draws


class _NoTargets:
    """What :func:`headline_numbers` asks of a store beyond the trend: no targets table."""

    def table_present(self, name: str) -> bool:
        return False


@pytest.fixture(scope="module")
def null_counts(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("null-data")
    generate(folder, months=2 * DRAWS, audits_per_month=AUDITS_PER_MONTH, seed=2026,
             planted=False)
    with open_store(folder) as store:
        return audit_counts(store, ["month", "queue", "site"])


def _summary(counts: pd.DataFrame, months: tuple[str, str], scope: str, value: str
             ) -> list[Claim]:
    """The summary of ``months[1]`` for one scope, by the notebooks' library calls."""
    before_month, month = months
    rows = counts[counts["month"].isin(months)]  # quality_trend(store, ctx, 2)
    rows = rows if scope == "org" else rows[rows[scope] == value]
    by = SCOPES[scope]
    measures = [c for c in rows.columns if c.startswith("n_")]
    trend = summarise_counts(rows.groupby("month", as_index=False)[measures].sum(), "month",
                             min_n=MIN_N)
    ctx = ReportContext(month, scope, value, MIN_N, False, months, int(
        trend.loc[trend["month"] == month, "n_audits"].iloc[0]))
    headline = with_agreeing_interval(headline_numbers(_NoTargets(), ctx, trend), trend)

    def segments(m: str) -> pd.DataFrame:
        part = rows[rows["month"] == m]
        return part.groupby(by, as_index=False)[["n_audits", "n_errors"]].sum()

    decomposition = lmdi(segments(before_month), segments(month), by)
    decomposition.attrs["overall"].update(month=month, compare_month=before_month,
                                          filters={} if scope == "org" else {scope: value})
    change = change_findings(decomposition, scope=value or "Org")
    claims = executive_summary(headline, month=month, scope_label=f"{scope} {value}".strip(),
                               change=change, decomposition=decomposition, dimension=by,
                               min_n=MIN_N)
    return with_small_segments(claims, decomposition, by, MIN_N)


@pytest.fixture(scope="module")
def null_claims(null_counts: pd.DataFrame) -> dict[str, list[list[Claim]]]:
    months = sorted(null_counts["month"].unique())
    assert len(months) == 2 * DRAWS
    queues = sorted(null_counts["queue"].unique())
    sites = sorted(null_counts["site"].unique())
    out: dict[str, list[list[Claim]]] = {scope: [] for scope in SCOPES}
    for k in range(DRAWS):
        pair = (months[2 * k], months[2 * k + 1])
        out["org"].append(_summary(null_counts, pair, "org", ""))
        out["queue"].append(_summary(null_counts, pair, "queue", queues[k % len(queues)]))
        out["site"].append(_summary(null_counts, pair, "site", sites[k % len(sites)]))
    return out


def _counts(draws: list[list[Claim]]) -> dict[str, Any]:
    return {"change": sum(bool(c[0].significant) for c in draws),
            "driver": sum(any(x.kind in ("driver_mix", "driver_rate") for x in c)
                          for c in draws),
            "why_significant": sum(any(x.kind in ("driver_mix", "driver_rate", "no_cause")
                                       and x.significant for x in c) for c in draws)}


@pytest.mark.slow
@pytest.mark.parametrize("scope", list(SCOPES))
def test_null_summaries_claim_no_change_and_no_driver(
        null_claims: dict[str, list[list[Claim]]], scope: str) -> None:
    draws = null_claims[scope]
    found = _counts(draws)
    bound = false_claim_bound(len(draws))
    assert found["change"] <= bound, (scope, found, bound)
    assert found["driver"] <= bound, (scope, found, bound)
    assert found["why_significant"] == found["driver"]  # no_cause is never "significant"


@pytest.mark.slow
def test_null_summaries_still_describe_the_largest_movement(
        null_claims: dict[str, list[list[Claim]]]) -> None:
    """Silence about causes is not silence about numbers: every summary without a driver
    names its largest movement as description, in the segment the decomposition shows."""
    for scope, draws in null_claims.items():
        for claims in draws:
            kinds = [c.kind for c in claims]
            if "driver_mix" in kinds or "driver_rate" in kinds:
                continue
            why = claims[1]
            assert why.kind == "no_cause", (scope, kinds)
            assert "as description only, the largest movement" in why.sentence
            assert why.scope in why.sentence


@pytest.mark.slow
def test_null_month_change_interval_agrees_with_its_verdict(
        null_claims: dict[str, list[list[Claim]]]) -> None:
    for draws in null_claims.values():
        for claims in draws:
            n = claims[0].numbers
            excludes_zero = n["change_ci_low_pp"] > 0 or n["change_ci_high_pp"] < 0
            assert excludes_zero == bool(claims[0].significant), claims[0].sentence

