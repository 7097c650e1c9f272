"""Findings: sentences built from the numbers, never calling a change real when its test
says it is not; null data gives no significant finding in at least 95% of seeded draws.

Expected numbers: qa-domain.md section 5 (worked example), statsmodels / SciPy tests run
here on the same counts, and the planted effects documented in qa_insights.data.sample_data.
"""

from __future__ import annotations

import math
import re
import tempfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from qa_insights.data.sample_data import PLANTED
from qa_insights.present.findings import (
    ab_test_finding,
    association_finding,
    change_findings,
    did_finding,
    findings_table,
    format_p,
    format_p_value,
    pairwise_findings,
    reason_mix_finding,
)
from qa_insights.rca.change import reason_mix
from qa_insights.stats.differences import independence_test, pairwise_proportions
from qa_insights.stats.experiments import ab_test, difference_in_differences
from qa_insights.stats.lmdi import lmdi
from tests.fixtures_data import planted_month

JAN = pd.DataFrame({"site": ["in_house", "bpo_a", "bpo_b"],
                    "n_audits": [50_000, 30_000, 20_000], "n_errors": [1_000, 1_200, 1_200]})
FEB = pd.DataFrame({"site": ["in_house", "bpo_a", "bpo_b"],
                    "n_audits": [40_000, 30_000, 50_000], "n_errors": [720, 1_050, 2_750]})


def test_worked_example_headline():
    f = change_findings(lmdi(JAN, FEB, "site"))
    head = f[0]
    assert head.kind == "rate_change" and head.significant
    # qa-domain.md: 3.400% -> 3.767%, mix +0.7334, rate -0.3667, every site improved.
    assert head.sentence.startswith("Org error rate rose 0.4 pts to 3.8% (p < 0.001).")
    assert "+0.7 pts come from volume moving to bpo_b (mix)" in head.sentence
    assert "every site's own rate fell" in head.sentence
    assert head.numbers["mix_pts"] == pytest.approx(0.7334, abs=5e-5)
    _, p = proportions_ztest([4520, 3400], [120_000, 100_000])
    assert head.numbers["p_value_raw"] == pytest.approx(p, rel=1e-9)


def test_no_significant_change_is_said_plainly():
    before = JAN.assign(n_audits=JAN.n_audits // 100, n_errors=JAN.n_errors // 100)
    after = FEB.assign(n_audits=FEB.n_audits // 100, n_errors=FEB.n_errors // 100)
    f = change_findings(lmdi(before, after, "site"))
    assert len(f) == 1 and not f[0].significant
    assert "no significant change" in f[0].sentence
    assert not re.search(r"\b(rose|fell|mix)\b", f[0].sentence)
    rate_after = after.n_errors.sum() / after.n_audits.sum()
    assert f"(3.4% before, {rate_after:.1%} after;" in f[0].sentence


@st.composite
def two_months(draw):
    n_seg = draw(st.integers(1, 6))
    frames = []
    for _ in range(2):
        n = draw(st.lists(st.integers(1, 3000), min_size=n_seg, max_size=n_seg))
        e = [draw(st.integers(0, k)) for k in n]
        frames.append(pd.DataFrame({"site": [f"s{i}" for i in range(n_seg)],
                                    "n_audits": n, "n_errors": e}))
    return frames


@settings(max_examples=40, deadline=None)
@given(two_months())
def test_significance_follows_the_test(frames):
    before, after = frames
    found = change_findings(lmdi(before, after, "site"))
    head = found[0]
    e0, n0 = before.n_errors.sum(), before.n_audits.sum()
    e1, n1 = after.n_errors.sum(), after.n_audits.sum()
    pooled = (e0 + e1) / (n0 + n1)
    if (np.outer([n0, n1], [pooled, 1 - pooled]) >= 5).all():
        raw = proportions_ztest([e1, e0], [n1, n0])[1] if 0 < pooled < 1 else math.nan
    else:
        raw = stats.fisher_exact([[e1, n1 - e1], [e0, n0 - e0]]).pvalue
    if math.isfinite(raw):
        assert head.numbers["p_value_raw"] == pytest.approx(raw, rel=1e-9)
        assert head.p_value >= raw - 1e-15
    assert head.significant == (head.p_value < 0.05)
    assert ("no significant change" in head.sentence) == (not head.significant)
    for seg in found[1:]:
        assert seg.kind == "segment_change" and seg.significant and seg.p_value < 0.05


NULL_SHARES = np.array([0.16, 0.14, 0.10, 0.20, 0.10, 0.18, 0.12])
NULL_RATES = np.array([0.020, 0.025, 0.030, 0.045, 0.090, 0.050, 0.055])
NULL_REASONS = np.array([0.35, 0.25, 0.20, 0.12, 0.08])
NULL_TYPES = np.array([0.45, 0.35, 0.20])


def _null_month(rng, n=5000):
    counts = rng.multinomial(n, NULL_SHARES)
    return pd.DataFrame({"site": [f"site_{i}" for i in range(len(NULL_SHARES))],
                         "n_audits": counts, "n_errors": rng.binomial(counts, NULL_RATES)})


def _reasons(rng, n_errors):
    return pd.DataFrame({"error_reason": [f"r{i}" for i in range(len(NULL_REASONS))],
                         "n_errors": rng.multinomial(n_errors, NULL_REASONS)})


def _null_flags(rng):
    """One null draw (nothing planted): whether change, reason-mix and association
    findings call anything significant."""
    before, after = _null_month(rng), _null_month(rng)
    change = any(f.significant for f in change_findings(lmdi(before, after, "site")))
    mix = reason_mix_finding(reason_mix(_reasons(rng, before.n_errors.sum()),
                                        _reasons(rng, after.n_errors.sum())))
    by_site = before.n_errors.to_numpy() + after.n_errors.to_numpy()
    table = np.array([rng.multinomial(e, NULL_TYPES) for e in by_site])
    assoc = association_finding(independence_test(table), "site", "error_type")
    return change, mix.significant, assoc.significant


def _false_positive_bound(draws, alpha=0.05):
    """Most flagged draws of ``draws`` a procedure at exactly ``alpha`` gives with
    probability 0.999 (one-sided binomial bound)."""
    return int(stats.binom.ppf(0.999, draws, alpha))


@pytest.mark.parametrize("draws", [
    200, pytest.param(3000, marks=pytest.mark.slow)])
def test_null_counts_give_no_significant_finding_in_95_percent_of_draws(draws):
    rng = np.random.default_rng(20261)
    flags = np.array([_null_flags(rng) for _ in range(draws)])
    bound = _false_positive_bound(draws)
    for kind, flagged in zip(["change", "reason mix", "association"], flags.sum(axis=0)):
        assert flagged <= bound, f"{kind}: {flagged} of {draws} null draws flagged"


def test_false_positive_bound_is_the_binomial_quantile():
    # 1000 draws at 5%: mean 50, sd 6.9; the 99.9% one-sided bound is 73 (>= 0.999 mass).
    assert _false_positive_bound(1000) == 73
    assert stats.binom.cdf(73, 1000, 0.05) >= 0.999 > stats.binom.cdf(72, 1000, 0.05)


@pytest.mark.slow
def test_null_sample_data_gives_no_significant_finding_in_95_percent_of_draws():
    from qa_insights.data.opening import open_store
    from qa_insights.data.sample_data import generate
    from qa_insights.rca.change import explain_change
    draws, flagged = 40, 0
    for seed in range(draws):
        with tempfile.TemporaryDirectory() as d:
            generate(d, months=2, audits_per_month=2000, seed=seed, planted=False)
            with open_store(d) as store:
                found = change_findings(explain_change(store, "2026-10", ["site", "queue"]))
        flagged += any(f.significant for f in found)
    assert flagged / draws <= 0.05


def test_reason_mix_and_association_findings():
    b = pd.DataFrame({"error_reason": ["fatigue", "policy_misread", "language_gap"],
                      "n_errors": [40, 40, 20]})
    same = reason_mix_finding(reason_mix(b, b.assign(n_errors=[41, 39, 20])))
    assert not same.significant and "no significant change" in same.sentence
    moved = reason_mix_finding(reason_mix(b, b.assign(n_errors=[90, 20, 10])))
    assert moved.significant and "fatigue rose 35.0 pts to 75.0% of errors" in moved.sentence
    weak = association_finding(independence_test([[20, 21], [19, 20]]), "site", "error_type")
    assert "no significant association" in weak.sentence and not weak.significant


def test_pairwise_ab_and_did_findings():
    c = pd.DataFrame({"site": ["a", "b", "c"], "n_audits": [500, 500, 500],
                      "n_errors": [10, 30, 11]})
    pairs = pairwise_findings(pairwise_proportions(c, "site"))
    assert len(pairs) == 2 and all("b's error rate (6.0%)" in f.sentence for f in pairs)
    r = ab_test(300, 6000, 228, 6000)
    f = ab_test_finding(r, name="Refresher training")
    assert f.sentence.startswith("Refresher training lowered the error rate by 1.2 pts")
    flat = ab_test_finding(ab_test(50, 1000, 48, 1000))
    assert "no significant change" in flat.sentence and not flat.significant
    cells = pd.DataFrame({"group": ["treated"] * 2 + ["control"] * 2,
                          "period": ["before", "after"] * 2,
                          "n_audits": [500, 500, 1500, 1500], "n_errors": [30, 27, 90, 88]})
    d = did_finding(difference_in_differences(cells), treated="bpo_x")
    assert "no significant difference" in d.sentence
    table = findings_table([f, flat, d])
    assert list(table.columns) == ["kind", "scope", "significant", "p_value", "sentence"]
    assert table.significant.tolist() == [True, False, False]


def test_change_findings_needs_an_lmdi_result_in_points():
    with pytest.raises(ValueError, match="scale=100"):
        change_findings(lmdi(JAN, FEB, "site", scale=1.0))
    with pytest.raises(ValueError, match="attrs"):
        change_findings(pd.DataFrame())


def test_sample_data_findings_name_the_planted_effects(sample_store):
    from qa_insights.rca.change import explain_change
    jump = PLANTED["jump"]
    found = change_findings(explain_change(sample_store,
                                           planted_month(sample_store, jump["month_offset"]),
                                           ["site", "queue"]))
    segs = [f for f in found if f.kind == "segment_change"]
    assert segs and segs[0].scope == f"{jump['site']} / {jump['queue']}"
    assert " rose " in segs[0].sentence
    shift = PLANTED["mix_shift"]
    head = change_findings(explain_change(
        sample_store, planted_month(sample_store, shift["month_offset"]), "site"))[0]
    assert head.significant and head.numbers["mix_pts"] > 0 > head.numbers["rate_pts"]
    assert f"volume moving to {shift['site']} (mix)" in head.sentence


def test_docstring_examples_run():
    import doctest

    from qa_insights.present import findings as module
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


@settings(max_examples=80, deadline=None)
@given(two_months())
def test_every_named_segment_is_backed_by_its_own_significant_test(frames):
    before, after = frames
    head = change_findings(lmdi(before, after, "site"))[0]
    named = head.numbers["named"]
    mentioned = set(re.findall(r"\bs\d\b", head.sentence))
    assert mentioned <= {n["segment"] for n in named}
    for n in named:
        assert head.significant and n["p_adjusted"] < 0.05
        family = "share_p_adjusted" if n["claim"] == "mix" else "segment_p_adjusted"
        assert head.numbers[family][n["segment"]] == n["p_adjusted"]
    for claim in ("mix", "rate"):
        # the raw test of a named segment, by statsmodels: adjustment only raises p
        for n in (n for n in named if n["claim"] == claim):
            i = int(n["segment"][1:])
            if claim == "mix":
                counts = [after.n_audits[i], before.n_audits[i]]
                totals = [after.n_audits.sum(), before.n_audits.sum()]
            else:
                counts = [after.n_errors[i], before.n_errors[i]]
                totals = [after.n_audits[i], before.n_audits[i]]
            pooled = sum(counts) / sum(totals)
            if min(min(totals) * pooled, min(totals) * (1 - pooled)) >= 5:
                assert proportions_ztest(counts, totals)[1] <= n["p_adjusted"] + 1e-12
    if "every site" in head.sentence:
        segments = set(head.numbers["segment_p_adjusted"])
        assert {n["segment"] for n in named if n["claim"] == "rate"} == segments
        assert all(p < 0.05 for p in head.numbers["segment_p_adjusted"].values())


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 200), st.integers(0, 200)), min_size=2,
                max_size=6))
def test_every_named_reason_is_backed_by_its_holm_adjusted_residual(rows):
    before = pd.DataFrame({"error_reason": [f"r{i}" for i in range(len(rows))],
                           "n_errors": [b for b, _ in rows]})
    after = before.assign(n_errors=[a for _, a in rows])
    if before.n_errors.sum() == 0 or after.n_errors.sum() == 0:
        return
    mix = reason_mix(before, after)
    found = reason_mix_finding(mix)
    mentioned = set(re.findall(r"\br\d\b", found.sentence))
    assert mentioned == {n["reason"] for n in found.numbers["named"]}
    for n in found.numbers["named"]:
        assert found.significant and n["p_adjusted"] < 0.05
        assert n["p_adjusted"] == found.numbers["reasons_p_adjusted"][n["reason"]]
    assert found.numbers["reasons_p_adjusted"] == dict(zip(mix.error_reason, mix.p_adjusted))


def test_a_changed_mix_without_a_significant_reason_names_none():
    # Eight reasons each move a little: the table's chi-square rejects, but no single
    # reason's share survives Holm over eight.
    before = pd.DataFrame({"error_reason": [f"r{i}" for i in range(8)],
                           "n_errors": [100] * 8})
    after = before.assign(n_errors=[125, 125, 125, 125, 75, 75, 75, 75])
    found = reason_mix_finding(reason_mix(before, after))
    assert found.significant, found.sentence
    assert "no single reason's share moved significantly" in found.sentence
    assert not re.search(r"\br\d\b", found.sentence) and found.numbers["named"] == []


def test_segment_changes_within_chance_are_not_named():
    before = pd.DataFrame({"site": ["a", "b", "c"], "n_audits": [2000] * 3,
                           "n_errors": [40, 40, 40]})
    found = change_findings(lmdi(before, before.assign(n_errors=[90, 45, 38]), "site"))
    head = found[0]
    assert head.significant and "led by a" in head.sentence
    assert not re.search(r"\b[bc]\b", head.sentence) and "every site" not in head.sentence
    assert [f.scope for f in found[1:]] == ["a"]
    # b (+0.25 pts) and c (-0.1 pts) by statsmodels: far from significant even unadjusted
    assert proportions_ztest([45, 40], [2000, 2000])[1] > 0.5


def test_printed_p_values_of_the_issue_keep_their_verdict():
    """Issue 22: an adjusted p of 0.0473 printed "p = 0.05" beside "rose", 0.0546 printed
    "p = 0.05" beside "no significant change", identical months "p = 1.00"."""
    assert format_p(0.0473) == "p = 0.0473" and format_p(0.0546) == "p = 0.0546"
    assert format_p(1.0) == "p > 0.99" and format_p(0.9951) == "p > 0.99"
    assert format_p(0.0004) == "p < 0.001" and format_p(float("nan")) == "no test"
    same = JAN.assign(n_audits=JAN.n_audits // 100, n_errors=JAN.n_errors // 100)
    assert "p > 0.99" in change_findings(lmdi(same, same, "site"))[0].sentence


def _shown(text: str) -> float:
    """The number a p-value text shows (the bound for "< x" / "> x")."""
    return float(text.lstrip("<> "))


@settings(max_examples=300, deadline=None)
@given(st.floats(1e-6, 1.0), st.sampled_from([0.01, 0.05, 0.1]))
def test_printed_p_never_contradicts_the_verdict(p, alpha):
    text = format_p_value(p, alpha)
    shown = _shown(text)
    if text.startswith("<"):
        assert p < shown <= alpha
    elif text.startswith(">"):
        assert p > shown >= alpha
    else:
        assert (shown < alpha) == (p < alpha) and (shown != alpha or p == alpha)
        assert abs(shown - p) <= 0.005 + 1e-12          # two decimals at most off
        if 0.01 <= p < 0.1:                             # three significant figures
            assert abs(shown - p) <= 0.5e-3 * 10 ** math.floor(math.log10(p)) * 10 + 1e-15


@settings(max_examples=60, deadline=None)
@given(two_months())
def test_headline_p_agrees_with_its_verdict(frames):
    head = change_findings(lmdi(frames[0], frames[1], "site"))[0]
    for text in re.findall(r"p ([<>=] [0-9.]+)", head.sentence):
        shown = _shown(text.lstrip("="))
        if text.startswith("="):
            assert (shown < 0.05) == head.significant
        elif text.startswith("<"):
            assert head.significant
        else:
            assert not head.significant


def test_pairwise_finding_of_the_issue_prints_an_interval_without_zero():
    """Issue 22: "significant" (adjusted p 0.048) beside "95% CI -0.01 to +20.6 pts"."""
    c = pd.DataFrame({"site": ["a", "b"], "n_audits": [33, 317], "n_errors": [2, 64]})
    (f,) = pairwise_findings(pairwise_proportions(c, "site"))
    low, high = map(float, re.search(r"95% CI ([-+][0-9.]+) to ([-+][0-9.]+) pts",
                                     f.sentence).groups())
    assert 0 <= low < high and f.significant
    assert "adjusted p = 0.0483" in f.sentence


def test_findings_print_the_confidence_level_used():
    c = pd.DataFrame({"site": ["a", "b", "c"], "n_audits": [500, 500, 500],
                      "n_errors": [10, 30, 12]})
    pairs = pairwise_proportions(c, "site")
    for f, level in zip(pairwise_findings(pairs), pairs["ci_level"]):
        assert f"{level * 100:.1f}".rstrip("0").rstrip(".") + "% CI" in f.sentence
    assert "98.3% CI" in pairwise_findings(pairs)[0].sentence      # Holm: 1 - .05 / 3
    ab = ab_test_finding(ab_test(300, 6000, 228, 6000, alpha=0.1), alpha=0.1)
    assert "; 90% CI " in ab.sentence and "95%" not in ab.sentence
    cells = pd.DataFrame({"group": ["treated"] * 2 + ["control"] * 2,
                          "period": ["before", "after"] * 2,
                          "n_audits": [2000, 2000, 6000, 6000],
                          "n_errors": [120, 70, 300, 290]})
    d = did_finding(difference_in_differences(cells, alpha=0.01), alpha=0.01)
    assert "(99% CI " in d.sentence
