"""Findings: every number inside a generated sentence equals the number it came from.

The sentences are read back: the numbers in them are parsed and compared, in order and at
the printed precision, with numbers computed here from the counts (or taken from the
result the finding is about). Found by mutation testing (tests/MUTATION.md): before these
tests an interval multiplied by 100 could be divided by 100 in a sentence and no test
failed.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from qa_insights.present.findings import (
    ab_test_finding,
    association_finding,
    change_findings,
    did_finding,
    pairwise_findings,
    reason_mix_finding,
)
from qa_insights.rca.change import reason_mix
from qa_insights.stats.differences import independence_test, pairwise_proportions
from qa_insights.stats.experiments import ab_test, difference_in_differences
from qa_insights.stats.lmdi import lmdi

_NUMBER = re.compile(r"(?<![\w.])[+-]?\d+(?:\.\d+)?")


def _numbers(sentence: str) -> list[tuple[float, float]]:
    """(value, half of the last printed digit) of every number in ``sentence``."""
    out = []
    for text in _NUMBER.findall(sentence):
        decimals = len(text.split(".")[1]) if "." in text else 0
        out.append((float(text), 0.5 * 10.0 ** -decimals + 1e-9))
    return out


def assert_numbers_in_order(sentence: str, expected: list[float]) -> None:
    """Each expected value is printed in ``sentence`` (rounded as printed), in this order."""
    found, i = _numbers(sentence), 0
    for value in expected:
        while i < len(found) and abs(found[i][0] - value) > found[i][1]:
            i += 1
        assert i < len(found), f"{value!r} not found (in order) in {sentence!r}"
        i += 1


def test_number_reader_checks_order_and_precision():
    assert_numbers_in_order("rose 2.3 pts to 4.56% (+1.2 to -0.4)", [2.3, 4.56, 1.2, -0.4])
    with pytest.raises(AssertionError):
        assert_numbers_in_order("rose 2.3 pts to 4.5%", [4.5, 2.3])
    with pytest.raises(AssertionError):
        assert_numbers_in_order("rose 0.02 pts", [2.0])
    with pytest.raises(AssertionError):
        assert_numbers_in_order("CI -1.6 to +6.6 pts", [1.6, 6.6])


# ------------------------------------------------------------------ pairwise, A/B, DiD


def test_pairwise_sentence_numbers():
    counts = pd.DataFrame({"site": ["a", "b", "c"], "n_audits": [800, 900, 700],
                           "n_errors": [16, 63, 35]})
    pairs = pairwise_proportions(counts, "site")
    found = pairwise_findings(pairs, scope="Queue spam")
    assert found and all(f.scope == "Queue spam" for f in found)
    rates = dict(zip(counts["site"], counts["n_errors"] / counts["n_audits"]))
    for f, r in zip(found, pairs[pairs["significant"]].itertuples()):
        high, low = sorted([r.group_a, r.group_b], key=lambda g: -rates[g])
        gap = (rates[high] - rates[low]) * 100
        # The interval of the high minus low difference, in pts.
        sign = 1 if high == r.group_a else -1
        ci = sorted([sign * r.ci_low * 100, sign * r.ci_high * 100])
        assert f.sentence.startswith(f"{high}'s error rate")
        assert f" higher than {low}'s" in f.sentence
        assert_numbers_in_order(f.sentence, [rates[high] * 100, gap, rates[low] * 100,
                                             ci[0], ci[1]])
        assert ci[0] < gap < ci[1]


@pytest.mark.parametrize("treated_errors", [80, 25])
def test_ab_sentence_numbers_when_significant(treated_errors):
    r = ab_test(50, 1000, treated_errors, 1000)
    assert r.significant
    f = ab_test_finding(r, name="Coaching")
    diff = (treated_errors - 50) / 1000 * 100
    word = "raised" if diff > 0 else "lowered"
    assert f.sentence.startswith(f"Coaching {word} the error rate by")
    assert_numbers_in_order(f.sentence, [abs(diff), 5.0, treated_errors / 10,
                                         r.ci_low * 100, r.ci_high * 100])
    assert r.ci_low * 100 < diff < r.ci_high * 100


def test_ab_sentence_numbers_when_not_significant_with_power():
    r = ab_test(50, 1000, 45, 1000, minimum_effect=-0.02)
    f = ab_test_finding(r, name="Coaching", minimum_effect=-0.02)
    assert not f.significant and "no significant change" in f.sentence
    assert_numbers_in_order(f.sentence, [5.0, 4.5, 2.0, r.power_minimum_effect * 100,
                                         r.n_per_arm_needed, 80])
    without = ab_test_finding(r, name="Coaching")
    assert "power" not in without.sentence and without.sentence.endswith(".")


def _did_cells(treated_after):
    return pd.DataFrame({"group": ["treated"] * 2 + ["control"] * 2,
                         "period": ["before", "after"] * 2,
                         "n_audits": [2000, 2000, 6000, 6000],
                         "n_errors": [120, treated_after, 300, 290]})


@pytest.mark.parametrize("treated_after", [60, 200])
def test_did_sentence_numbers_when_significant(treated_after):
    r = difference_in_differences(_did_cells(treated_after))
    assert r.significant
    f = did_finding(r, treated="Site x", control="the others")
    estimate = ((treated_after - 120) / 2000 - (290 - 300) / 6000) * 100
    assert r.estimate * 100 == pytest.approx(estimate)
    word = "fell" if estimate < 0 else "rose"
    assert f.sentence.startswith(f"Site x's error rate {word} ")
    assert "more than the others'" in f.sentence
    assert_numbers_in_order(f.sentence, [abs(estimate), r.ci_low * 100, r.ci_high * 100])


def test_did_sentence_numbers_when_not_significant():
    r = difference_in_differences(_did_cells(118))
    assert not r.significant
    f = did_finding(r)
    estimate = ((118 - 120) / 2000 - (290 - 300) / 6000) * 100
    assert "no significant difference from the control sites" in f.sentence
    assert_numbers_in_order(f.sentence, [estimate])


# ------------------------------------------------------------------ reason mix, association


def test_reason_mix_sentence_numbers_and_scope():
    b = pd.DataFrame({"error_reason": ["fatigue", "policy_misread", "other"],
                      "n_errors": [50, 50, 100]})
    a = pd.DataFrame({"error_reason": ["fatigue", "policy_misread", "other"],
                      "n_errors": [110, 30, 60]})
    mix = reason_mix(b, a)
    f = reason_mix_finding(mix, scope="Queue spam")
    assert f.scope == "Queue spam" and f.sentence.startswith("Queue spam error-reason mix")
    named = mix[mix["significant_reason"]].iloc[0]
    before = dict(zip(b.error_reason, b.n_errors / 200))
    after = dict(zip(a.error_reason, a.n_errors / 200))
    reason = named["error_reason"]
    change = (after[reason] - before[reason]) * 100
    word = "rose" if change > 0 else "fell"
    assert f" {reason} {word} " in f.sentence
    assert_numbers_in_order(f.sentence, [abs(change), after[reason] * 100])
    same = reason_mix_finding(reason_mix(b, b), scope="Queue spam")
    assert same.sentence.startswith("Queue spam error-reason mix: no significant change")


def test_association_sentence_numbers_and_scope():
    test = independence_test([[30, 10], [20, 40]])
    f = association_finding(test, "site", "error_type", scope="Queue spam")
    assert f.scope == "Queue spam"
    assert f.sentence.startswith("Queue spam: error type differs by site")
    assert_numbers_in_order(f.sentence, [test.effect_size])
    assert f"V = {test.effect_size:.2f}" in f.sentence


# ------------------------------------------------------------------ change findings


def _counts(audits, errors, sites=("a", "b", "c")):
    return pd.DataFrame({"site": list(sites[:len(audits)]), "n_audits": audits,
                         "n_errors": errors})


def test_change_headline_and_segment_numbers():
    before = _counts([6000, 4000, 3000], [120, 800, 90])
    after = _counts([5600, 4400, 3000], [140, 1100, 60])
    d = lmdi(before, after, "site")
    found = change_findings(d)
    head, segments = found[0], found[1:]
    rate_before, rate_after = 1010 / 13000, 1300 / 13000
    assert head.kind == "rate_change" and head.significant
    assert head.sentence.startswith("Org error rate rose ")
    assert_numbers_in_order(head.sentence, [(rate_after - rate_before) * 100,
                                            rate_after * 100])
    assert {s.scope for s in segments} == {"b", "c"}
    for s in segments:
        assert s.kind == "segment_change"
        assert s.sentence.startswith(f"{s.scope} error rate ")
        assert head.sentence not in s.sentence
        i = list(before["site"]).index(s.scope)
        rb = before["n_errors"][i] / before["n_audits"][i]
        ra = after["n_errors"][i] / after["n_audits"][i]
        effect = d.set_index("site").loc[s.scope, "rate_effect"]
        word, verb = ("rose", "adding") if ra > rb else ("fell", "taking")
        assert f" {word} " in s.sentence and f"{verb} " in s.sentence
        assert s.sentence.endswith(" the org rate.")
        assert_numbers_in_order(s.sentence, [abs(ra - rb) * 100, ra * 100, abs(effect)])
        assert s.numbers["change_pts"] == pytest.approx((ra - rb) * 100)


def test_change_scope_is_used_in_every_sentence():
    before = _counts([6000, 4000, 3000], [120, 800, 90])
    after = _counts([5600, 4400, 3000], [140, 1100, 60])
    d = lmdi(before, after, "site")
    found = change_findings(d, scope="Queue spam")
    assert all(f.scope == "Queue spam" for f in found[:1])
    assert found[0].sentence.startswith("Queue spam error rate rose")
    assert all(f.sentence.endswith(" the Queue spam rate.") for f in found[1:])
    d.attrs["overall"] = {**d.attrs["overall"], "filters": {"queue": "spam", "market": "US"}}
    assert change_findings(d)[0].scope == "spam / US"


def test_mix_without_a_significant_share_change_says_so():
    # Volume moves 4 pts of share towards the 50% site: not significant on its own
    # (Holm-adjusted share p about 0.14), yet +2.1 of the +5.5 pts are mix.
    before = _counts([600, 400], [6, 200])
    after = _counts([560, 440], [6, 255])
    d = lmdi(before, after, "site")
    o = d.attrs["overall"]
    head = change_findings(d)[0]
    assert head.significant
    assert all(p >= 0.05 for p in head.numbers["share_p_adjusted"].values())
    clause = "pts are mix (no site's share of audits changed significantly)"
    assert clause in head.sentence
    assert_numbers_in_order(head.sentence.split(clause)[0], [o["change"], 26.1,
                                                            o["mix_effect"]])
    assert_numbers_in_order(head.sentence.split(clause)[1], [o["rate_effect"]])


def test_not_significant_change_gives_both_rates_and_months():
    before = _counts([1000, 1000], [50, 60])
    after = _counts([1000, 1000], [52, 61])
    d = lmdi(before, after, "site")
    head = change_findings(d)[0]
    assert not head.significant and len(change_findings(d)) == 1
    assert "no significant change" in head.sentence and " before, " in head.sentence
    assert_numbers_in_order(head.sentence, [5.5, 5.65])
    d.attrs["overall"] = {**d.attrs["overall"], "month": "2026-10",
                          "compare_month": "2026-09"}
    head = change_findings(d)[0]
    assert " in 2026-09, " in head.sentence and " in 2026-10;" in head.sentence


def test_change_findings_rejects_effects_not_in_points():
    d = lmdi(_counts([100, 100], [5, 6]), _counts([100, 100], [6, 7]), "site")
    d.attrs["overall"] = {**d.attrs["overall"], "scale": 1.0}
    with pytest.raises(ValueError, match="scale=100"):
        change_findings(d)
    d.attrs.clear()
    with pytest.raises(ValueError, match="overall"):
        change_findings(d)


def test_segments_named_are_the_largest_rate_effects_first():
    # Volume moves to a: a has the largest total effect (mostly mix), c the largest
    # rate effect; the segment findings follow the rate effect.
    before = _counts([2000, 6000, 4000], [400, 120, 160])
    after = _counts([6000, 2000, 4000], [1500, 80, 400])
    d = lmdi(before, after, "site")
    by_rate = d.set_index("site")["rate_effect"].abs().sort_values(ascending=False)
    assert by_rate.index.tolist() != d["site"].tolist()
    every = change_findings(d, max_segments=10)
    assert [f.scope for f in every[1:]] == by_rate.index.tolist() == ["c", "a", "b"]
    assert [f.scope for f in change_findings(d, max_segments=2)[1:]] == ["c", "a"]


def test_segments_missing_from_a_period_are_not_tested_for_their_own_rate():
    before = _counts([5000, 5000, 2000], [100, 300, 50])
    after = _counts([5000, 5000], [200, 600])
    d = lmdi(before, after, "site")
    head = change_findings(d)[0]
    assert set(head.numbers["segment_p_adjusted"]) == {"a", "b"}
    appear = lmdi(after, before, "site")
    assert set(change_findings(appear)[0].numbers["segment_p_adjusted"]) == {"a", "b"}


def test_a_missing_p_value_is_said_in_words():
    from qa_insights.present.findings import format_p
    text = format_p(float("nan"))
    assert isinstance(text, str) and text and not any(ch.isdigit() for ch in text)


@pytest.mark.parametrize("c_errors", [300, 400])
def test_a_rate_effect_of_a_quarter_to_half_the_mix_is_still_told(c_errors):
    # Volume moves to the 20% site a (mix +4.5 pts); c's own rate rises: +1.2 or +2.0 pts,
    # between a quarter and a half of the mix effect.
    before = _counts([2000, 6000, 4000], [400, 120, 160])
    after = _counts([5000, 3000, 4000], [1000, 60, c_errors])
    d = lmdi(before, after, "site")
    o = d.attrs["overall"]
    assert 0.25 <= o["rate_effect"] / o["mix_effect"] < 0.5
    head = change_findings(d)[0]
    mix_clause = "pts come from volume moving to a (mix); "
    assert mix_clause in head.sentence
    rest = head.sentence.split(mix_clause)[1]
    assert "pts from sites' own rates, led by c" in rest
    c_effect = d.set_index("site").loc["c", "rate_effect"]
    assert_numbers_in_order(head.sentence, [o["change"], o["rate_after"] * 100,
                                            o["mix_effect"], o["rate_effect"], c_effect])


def test_pairwise_sentence_when_the_first_group_is_higher():
    counts = pd.DataFrame({"site": ["a", "b"], "n_audits": [800, 900], "n_errors": [56, 18]})
    pairs = pairwise_proportions(counts, "site")
    (f,) = pairwise_findings(pairs)
    r = pairs.iloc[0]
    assert r["difference"] > 0
    assert f.sentence.startswith("a's error rate") and " higher than b's" in f.sentence
    assert_numbers_in_order(f.sentence, [7.0, 5.0, 2.0, r["ci_low"] * 100, r["ci_high"] * 100])


def test_did_sentence_keeps_the_sign_when_not_significant():
    r = difference_in_differences(_did_cells(110))
    assert not r.significant and r.estimate < 0
    f = did_finding(r)
    estimate = ((110 - 120) / 2000 - (290 - 300) / 6000) * 100
    assert_numbers_in_order(f.sentence, [estimate])


@pytest.mark.parametrize(("p", "text"), [
    (0.001, "0.001"),     # the first value not printed "< 0.001": three decimals below 0.01
    (0.0099, "0.010"),    # still below 0.01: three decimals (rounds up, stays below alpha)
    (0.01, "0.0100"),     # from 0.01: three significant figures
    (0.0999, "0.0999"),
    (0.1, "0.10"),        # from 0.1: two decimals
    (0.99, "0.99"),       # the last value not printed "> 0.99"
])
def test_p_value_digits_switch_exactly_at_the_documented_boundaries(p, text):
    from qa_insights.present.findings import format_p_value
    assert format_p_value(p) == text
