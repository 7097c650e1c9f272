"""LMDI-I decomposition: worked examples, published reference values, exact-sum properties.

Expected values come from
- qa-domain.md section 5 (project research notes; worked examples verified there in Python,
  and the BPO-B hand check),
- tests/refdata/lmdi_lmdir_synthetic.json: the R package LMDIR's test values
  (M.K. Heun, tests/testthat/test_lmdi.R; see the file's ``source``),
- analytic limits and identities of the method (Ang 2005; Ang & Liu 2007).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_insights.stats.lmdi import align_periods, lmdi, lmdi_additive, lmdi_multiplicative, log_mean

REFDATA = Path(__file__).parent / "refdata"


def _frame(sites, audits, errors):
    return pd.DataFrame({"site": sites, "n_audits": audits, "n_errors": errors})


# ------------------------------------------------------------------ worked example 1

JAN = _frame(["in_house", "bpo_a", "bpo_b"], [50_000, 30_000, 20_000], [1_000, 1_200, 1_200])
FEB = _frame(["in_house", "bpo_a", "bpo_b"], [40_000, 30_000, 50_000], [720, 1_050, 2_750])


def test_worked_example_mix_vs_rate():
    d = lmdi(JAN, FEB, "site").set_index("site")
    # qa-domain.md section 5, worked example 1 (pp).
    expected = {"in_house": (-0.3175, -0.0825), "bpo_a": (-0.1876, -0.1374),
                "bpo_b": (1.2385, -0.1468)}
    for site, (mix, rate) in expected.items():
        assert d.loc[site, "mix_effect"] == pytest.approx(mix, abs=5e-5)
        assert d.loc[site, "rate_effect"] == pytest.approx(rate, abs=5e-5)
    o = d.attrs["overall"]
    assert o["mix_effect"] == pytest.approx(0.7334, abs=5e-5)
    assert o["rate_effect"] == pytest.approx(-0.3667, abs=5e-5)
    assert o["rate_before"] == pytest.approx(0.034, abs=1e-12)
    assert o["rate_after"] == pytest.approx(0.03767, abs=5e-6)
    assert o["mix_effect"] + o["rate_effect"] == pytest.approx(o["change"], abs=1e-12)
    assert o["d_mix"] == pytest.approx(1.2273, abs=5e-5)
    assert o["d_rate"] == pytest.approx(0.9026, abs=5e-5)
    assert o["d_mix"] * o["d_rate"] == pytest.approx(o["rate_after"] / o["rate_before"],
                                                    rel=1e-12)


def test_worked_example_sorted_by_absolute_total_effect():
    d = lmdi(JAN, FEB, "site")
    assert list(d["site"]) == ["bpo_b", "in_house", "bpo_a"]
    assert list(d.columns[:4]) == ["site", "mix_effect", "rate_effect", "total_effect"]


def test_worked_example_hand_check_bpo_b():
    # qa-domain.md: L = (0.022917 - 0.012) / ln(0.022917 / 0.012) = 0.016874,
    # mix = 0.016874 * ln(0.41667 / 0.2) = 0.012385.
    vt, v0 = 50_000 / 120_000 * 0.055, 0.2 * 0.06
    assert float(log_mean(vt, v0)) == pytest.approx(0.016874, abs=5e-7)
    z = lmdi_additive([[0.2, 0.06]], [[50_000 / 120_000, 0.055]])
    assert z[0, 0] == pytest.approx(0.012385, abs=5e-7)


def test_worked_example_scale_one_gives_rate_units():
    d = lmdi(JAN, FEB, "site", scale=1.0)
    assert d.attrs["overall"]["mix_effect"] == pytest.approx(0.007334, abs=5e-7)


# ------------------------------------------------------------------ worked example 2 (zeros)

JAN0 = _frame(["in_house", "bpo_a", "escalations"], [50_000, 30_000, 20_000], [1_000, 1_200, 0])
FEB0 = _frame(["in_house", "bpo_a", "escalations", "bpo_c"], [45_000, 30_000, 15_000, 10_000],
              [900, 1_200, 150, 800])


def test_zero_values_example():
    d = lmdi(JAN0, FEB0, "site").set_index("site")
    o = d.attrs["overall"]
    # qa-domain.md section 5, worked example 2.
    assert o["rate_before"] == pytest.approx(0.022, abs=1e-15)
    assert o["rate_after"] == pytest.approx(0.0305, abs=1e-15)
    assert o["mix_effect"] == pytest.approx(0.70, abs=1e-12)
    assert o["rate_effect"] == pytest.approx(0.15, abs=1e-12)
    assert d.loc["bpo_c", "mix_effect"] == pytest.approx(0.80, abs=1e-12)
    assert d.loc["bpo_c", "rate_effect"] == 0.0
    assert d.loc["in_house", "mix_effect"] == pytest.approx(-0.10, abs=1e-12)
    assert d.loc["escalations", "rate_effect"] == pytest.approx(0.15, abs=1e-12)
    assert d.loc["escalations", "mix_effect"] == 0.0
    assert d.loc["bpo_a", "total_effect"] == 0.0
    assert math.isnan(d.loc["bpo_c", "rate_before"])


def test_small_value_strategy_converges_to_the_exact_limit_only_slowly():
    # qa-domain.md: replacing the zeros by 1e-20 still gives mix 0.69895 against the exact
    # 0.70000 (new segment's undefined January rate imputed from February).
    delta = 1e-20
    x0 = [[0.5, 0.02], [0.3, 0.04], [0.2, delta], [delta, 0.08]]
    xt = [[0.45, 0.02], [0.3, 0.04], [0.15, 0.01], [0.1, 0.08]]
    assert lmdi_additive(x0, xt).sum(axis=0)[0] * 100 == pytest.approx(0.69895, abs=5e-6)
    exact = lmdi_additive([[0.5, 0.02], [0.3, 0.04], [0.2, 0.0], [0.0, np.nan]], xt)
    assert exact.sum(axis=0) * 100 == pytest.approx([0.70, 0.15], abs=1e-12)


def test_vanishing_segment_goes_to_mix():
    after = _frame(["in_house", "bpo_a"], [50_000, 30_000], [1_000, 1_200])
    d = lmdi(JAN, after, "site").set_index("site")
    # bpo_b disappears: its whole contribution -V^0 = -0.2 * 0.06 is mix.
    assert d.loc["bpo_b", "mix_effect"] == pytest.approx(-1.2, abs=1e-12)
    assert d.loc["bpo_b", "rate_effect"] == 0.0
    assert d.loc["bpo_b", "n_audits_after"] == 0


def test_segment_losing_all_errors_goes_to_rate():
    after = _frame(["in_house", "bpo_a", "bpo_b"], [50_000, 30_000, 20_000], [1_000, 1_200, 0])
    d = lmdi(JAN, after, "site").set_index("site")
    assert d.loc["bpo_b", "rate_effect"] == pytest.approx(-1.2, abs=1e-12)
    assert d.loc["bpo_b", "mix_effect"] == 0.0


def test_two_factors_appearing_share_the_value_equally():
    # Limit of a common small value delta -> 0: each zero factor gets V^T / 2.
    z = lmdi_additive([[0.0, 0.0, 3.0]], [[2.0, 5.0, 3.0]])
    assert z.tolist() == [[15.0, 15.0, 0.0]]
    z = lmdi_additive([[2.0, 5.0, 3.0]], [[0.0, 0.0, 4.0]])
    assert z.tolist() == [[-15.0, -15.0, 0.0]]


def test_segment_zero_in_both_periods_contributes_nothing():
    z = lmdi_additive([[0.0, 0.3], [0.5, 0.0]], [[0.4, 0.0], [0.7, 0.0]])
    assert z.tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_undefined_factor_in_both_periods_needs_zero_value():
    assert lmdi_additive([[0.0, np.nan]], [[0.0, np.nan]]).tolist() == [[0.0, 0.0]]
    with pytest.raises(ValueError, match="undefined"):
        lmdi_additive([[0.5, np.nan]], [[0.4, np.nan]])


def test_multiplicative_undefined_when_aggregate_is_zero():
    assert np.isnan(lmdi_multiplicative([[0.5, 0.0]], [[0.4, 0.1]])).all()
    d = lmdi(_frame(["a"], [10], [0]), _frame(["a"], [10], [1]), "site")
    assert math.isnan(d.attrs["overall"]["d_mix"])
    assert d.attrs["overall"]["rate_effect"] == pytest.approx(10.0, abs=1e-12)


# ------------------------------------------------------------------ LMDIR reference values

LMDIR = json.loads((REFDATA / "lmdi_lmdir_synthetic.json").read_text())


@pytest.mark.parametrize("step", sorted(LMDIR["expected"]))
def test_lmdir_reference(step):
    y0, yt = step.split("->")
    x0, xt = np.array(LMDIR["data"]["X"][y0]), np.array(LMDIR["data"]["X"][yt])
    exp = LMDIR["expected"][step]
    z = lmdi_additive(x0, xt)
    # LMDIR prints about 10 significant digits.
    np.testing.assert_allclose(z, exp["Z_subcat_x_factor"], rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(z.sum(axis=0), exp["dV_additive"], rtol=1e-8)
    assert z.sum() == pytest.approx(exp["dV_total"], abs=1e-10)
    d = lmdi_multiplicative(x0, xt)
    np.testing.assert_allclose(d, exp["D_multiplicative"], rtol=1e-8)
    assert np.prod(d) == pytest.approx(exp["D_total"], rel=1e-8)
    v0, vt = np.prod(x0, axis=1).sum(), np.prod(xt, axis=1).sum()
    assert np.prod(d) == pytest.approx(vt / v0, rel=1e-12)


# ------------------------------------------------------------------ log mean

def test_log_mean_limits_and_precision():
    assert log_mean(0.0, 3.0) == 0.0 and log_mean(3.0, 0.0) == 0.0
    assert log_mean(0.0, 0.0) == 0.0 and log_mean(2.5, 2.5) == 2.5
    assert log_mean(math.e, 1.0) == pytest.approx(math.e - 1.0, rel=1e-15)
    # L(b(1+u), b) = b u / ln(1+u) = b (1 + u/2 - u^2/12 + ...) for small u.
    u = 1e-9
    assert log_mean(0.03 * (1 + u), 0.03) == pytest.approx(0.03 * (1 + u / 2), rel=1e-15)
    assert log_mean(0.03, 0.03 * (1 + u)) == pytest.approx(0.03 * (1 + u / 2), rel=1e-15)


# ------------------------------------------------------------------ properties

counts = st.integers(min_value=0, max_value=10**7)


@st.composite
def periods(draw):
    """Two periods of segment counts; segments may be absent from either period, have no
    audits, no errors, or only errors."""
    n_seg = draw(st.integers(min_value=1, max_value=8))
    frames = []
    for _ in range(2):
        rows = []
        for i in range(n_seg):
            if draw(st.booleans()) and draw(st.booleans()):
                continue  # absent in this period
            n = draw(counts)
            e = draw(st.sampled_from([0, n, None]))
            e = draw(st.integers(min_value=0, max_value=n)) if e is None else e
            rows.append((f"s{i}", n, e))
        frames.append(pd.DataFrame(rows, columns=["site", "n_audits", "n_errors"]))
    for f in frames:
        if f["n_audits"].sum() == 0:
            f.loc[len(f)] = ["extra", draw(st.integers(1, 10**7)), 0]
    return frames


@settings(max_examples=250, deadline=None)
@given(periods())
def test_effects_sum_exactly_to_the_change(frames):
    before, after = frames
    d = lmdi(before, after, "site", scale=1.0)
    r0 = before["n_errors"].sum() / before["n_audits"].sum()
    rt = after["n_errors"].sum() / after["n_audits"].sum()
    assert abs(d["total_effect"].sum() - (rt - r0)) <= 1e-12
    assert abs(d["mix_effect"].sum() + d["rate_effect"].sum() - (rt - r0)) <= 1e-12
    # Per segment: the effects add up to the change of its contribution s_i r_i.
    contrib = {p: (d[f"n_errors_{p}"] / d.attrs["overall"][f"n_audits_{p}"]) for p in
               ("before", "after")}
    np.testing.assert_allclose(d["total_effect"], contrib["after"] - contrib["before"],
                               rtol=0, atol=1e-12)
    o = d.attrs["overall"]
    if r0 > 0 and rt > 0:
        assert o["d_mix"] * o["d_rate"] == pytest.approx(rt / r0, rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(periods())
def test_reversing_time_negates_every_effect(frames):
    before, after = frames
    fwd = lmdi(before, after, "site", scale=1.0).set_index("site").sort_index()
    bwd = lmdi(after, before, "site", scale=1.0).set_index("site").sort_index()
    for col in ("mix_effect", "rate_effect"):
        np.testing.assert_allclose(fwd[col], -bwd[col], rtol=1e-9, atol=1e-15)


factor = st.one_of(st.just(0.0), st.floats(min_value=1e-6, max_value=1e6))


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 6), st.integers(1, 4), st.data())
def test_generic_factors_sum_to_the_change_of_the_aggregate(n_seg, n_fac, data):
    x0 = np.array(data.draw(st.lists(factor, min_size=n_seg * n_fac,
                                     max_size=n_seg * n_fac))).reshape(n_seg, n_fac)
    xt = np.array(data.draw(st.lists(factor, min_size=n_seg * n_fac,
                                     max_size=n_seg * n_fac))).reshape(n_seg, n_fac)
    z = lmdi_additive(x0, xt)
    dv = np.prod(xt, axis=1) - np.prod(x0, axis=1)
    scale = max(np.abs(np.prod(xt, axis=1)).max(), np.abs(np.prod(x0, axis=1)).max(), 1.0)
    np.testing.assert_allclose(z.sum(axis=1), dv, rtol=0, atol=1e-12 * scale)


# ------------------------------------------------------------------ input checks

def test_align_periods_fills_absent_segments_with_zero():
    out = align_periods(JAN0, FEB0, "site", ["n_audits"])
    assert out.set_index("site").loc["bpo_c", "n_audits_before"] == 0
    assert out["n_audits_before"].dtype == np.int64


def test_multi_column_segments():
    b = pd.DataFrame({"site": ["a", "a", "b"], "queue": ["x", "y", "x"],
                      "n_audits": [100, 100, 100], "n_errors": [1, 2, 3]})
    a = b.assign(n_errors=[2, 2, 3])
    d = lmdi(b, a, ["site", "queue"])
    assert list(d.columns[:5]) == ["site", "queue", "mix_effect", "rate_effect",
                                   "total_effect"]
    assert tuple(d.iloc[0][["site", "queue"]]) == ("a", "x")
    assert d.iloc[0]["rate_effect"] == pytest.approx(100 / 300, rel=1e-12)


@pytest.mark.parametrize("bad, message", [
    (JAN.drop(columns="n_errors"), "missing column"),
    (pd.concat([JAN, JAN.iloc[:1]]), "more than once"),
    (JAN.assign(n_errors=[1, 2, -3]), "non-negative"),
    (JAN.assign(n_errors=[1, 2, 30_000]), "exceeds"),
    (JAN.assign(n_audits=0, n_errors=0), "no audits"),
])
def test_bad_input_is_refused(bad, message):
    with pytest.raises(ValueError, match=message):
        lmdi(bad, FEB, "site")


def test_bad_factor_arrays_are_refused():
    with pytest.raises(ValueError, match="same shape"):
        lmdi_additive([[1.0, 2.0]], [[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="non-negative"):
        lmdi_additive([[1.0, -2.0]], [[1.0, 2.0]])


def test_docstring_examples_run():
    import doctest

    from qa_insights.stats import lmdi as module
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_column_order():
    d = lmdi(JAN, FEB, "site")
    assert list(d.columns) == [
        "site", "mix_effect", "rate_effect", "total_effect", "n_audits_before",
        "n_audits_after", "n_errors_before", "n_errors_after", "share_before", "share_after",
        "rate_before", "rate_after"]
