"""LMDI: the documented 1-d input form, ``attrs["overall"]`` totals and the guards
(found by mutation testing, tests/MUTATION.md). Expected values are computed here from
the counts with plain arithmetic and the logarithmic mean written out."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from qa_insights.stats.lmdi import lmdi, lmdi_additive, lmdi_multiplicative


def _L(a, b):
    return a if a == b else (a - b) / (math.log(a) - math.log(b))


def test_one_dimensional_input_is_one_factor_per_segment():
    before, after = [2.0, 5.0, 3.0], [4.0, 5.0, 1.0]
    z = lmdi_additive(before, after)
    assert z.shape == (3, 1)
    # One factor: each segment's effect is its whole change.
    np.testing.assert_allclose(z[:, 0], np.subtract(after, before), atol=1e-12)
    np.testing.assert_allclose(lmdi_multiplicative(before, after), [10 / 10])
    np.testing.assert_allclose(lmdi_multiplicative([2.0, 5.0], [4.0, 6.0]), [10 / 7])


def test_two_factor_effects_by_the_formula():
    x0, xt = np.array([[0.5, 0.02], [0.5, 0.1]]), np.array([[0.3, 0.03], [0.7, 0.08]])
    z = lmdi_additive(x0, xt)
    for i in range(2):
        w = _L(xt[i].prod(), x0[i].prod())
        np.testing.assert_allclose(z[i], w * np.log(xt[i] / x0[i]), rtol=1e-12)
    total0, totalt = x0.prod(axis=1).sum(), xt.prod(axis=1).sum()
    d = lmdi_multiplicative(x0, xt)
    np.testing.assert_allclose(d, np.exp(z.sum(axis=0) / _L(totalt, total0)), rtol=1e-12)
    assert d.prod() == pytest.approx(totalt / total0)


def test_multiplicative_is_nan_when_an_aggregate_is_zero():
    assert np.isnan(lmdi_multiplicative([[1.0, 0.0]], [[1.0, 0.5]])).all()
    assert np.isnan(lmdi_multiplicative([[1.0, 0.5]], [[1.0, 0.0]])).all()


@pytest.mark.parametrize("bad", [[[1.0, -0.1]], [[1.0, np.inf]]])
def test_negative_or_infinite_factor_is_an_error(bad):
    with pytest.raises(ValueError, match="finite and non-negative"):
        lmdi_additive(bad, [[1.0, 0.5]])
    with pytest.raises(ValueError, match="finite and non-negative"):
        lmdi_additive([[1.0, 0.5]], bad)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="same shape"):
        lmdi_additive([[1.0, 2.0]], [[1.0, 2.0, 3.0]])


def test_overall_attrs_hold_the_totals():
    before = pd.DataFrame({"site": ["a", "b"], "n_audits": [600, 400], "n_errors": [6, 200]})
    after = pd.DataFrame({"site": ["a", "b", "c"], "n_audits": [560, 440, 100],
                          "n_errors": [6, 255, 11]})
    for scale in (100.0, 1.0):
        d = lmdi(before, after, ["site"], scale=scale)
        o = d.attrs["overall"]
        r0, rt = 206 / 1000, 272 / 1100
        assert (o["rate_before"], o["rate_after"]) == pytest.approx((r0, rt), rel=1e-12)
        assert o["change"] == pytest.approx((rt - r0) * scale, rel=1e-12)
        assert (o["n_audits_before"], o["n_errors_before"]) == (1000, 206)
        assert (o["n_audits_after"], o["n_errors_after"]) == (1100, 272)
        assert o["mix_effect"] == pytest.approx(d["mix_effect"].sum(), rel=1e-12)
        assert o["rate_effect"] == pytest.approx(d["rate_effect"].sum(), rel=1e-12)
        assert o["mix_effect"] + o["rate_effect"] == pytest.approx(o["change"], rel=1e-9)
        assert o["d_mix"] * o["d_rate"] == pytest.approx(rt / r0, rel=1e-9)
        assert o["scale"] == scale and o["by"] == ["site"]
        np.testing.assert_allclose(d["total_effect"], d["mix_effect"] + d["rate_effect"])
    effects = d["total_effect"].abs().to_numpy()
    assert (np.diff(effects) <= 0).all()   # the largest absolute total effect first


def test_errors_above_audits_and_no_audits_are_errors():
    ok = pd.DataFrame({"site": ["a"], "n_audits": [10], "n_errors": [1]})
    with pytest.raises(ValueError, match="after: n_errors exceeds n_audits.*'a'"):
        lmdi(ok, ok.assign(n_errors=11), "site")
    with pytest.raises(ValueError, match="before: no audits"):
        lmdi(ok.assign(n_audits=0, n_errors=0), ok, "site")


def test_no_segment_column_is_an_error():
    from qa_insights.stats.lmdi import align_periods
    b = pd.DataFrame({"site": ["a"], "n": [3]})
    with pytest.raises(ValueError, match="by must name at least one segment column"):
        align_periods(b, b, [], ["n"])
