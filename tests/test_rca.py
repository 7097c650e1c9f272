"""explain_change, Pareto, reason mix and the store-backed tests of difference.

Expected values: qa-domain.md section 5 (worked example, scaled to a tenth of the audits:
the same shares and rates), SciPy and statsmodels called here on the same rows, and
counts written into the fixtures.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from qa_insights.data.sample_data import PLANTED
from qa_insights.rca import change as rca
from qa_insights.stats.differences import MONTE_CARLO_TABLES
from tests.fixtures_data import planted_month
from tests.fixtures_rca import cell, write_store


@pytest.fixture(scope="module")
def example_store(tmp_path_factory):
    """qa-domain.md worked example 1 at a tenth of the audits, split over two queues, with
    a third month a year earlier and error reasons."""
    cells = []
    for month, spec in {"2026-01": [("inhouse_x", 5000, 100), ("bpo_a", 3000, 120),
                                    ("bpo_b", 2000, 120)],
                        "2026-02": [("inhouse_x", 4000, 72), ("bpo_a", 3000, 105),
                                    ("bpo_b", 5000, 275)],
                        "2025-02": [("inhouse_x", 1000, 10), ("bpo_a", 1000, 30)]}.items():
        for site, n, e in spec:
            reasons = (["fatigue", "fatigue", "policy_misread"] if month == "2026-02"
                       else ["policy_misread", "missed_context"])
            half_n, half_e = n // 2, e // 2
            cells.append(cell(month, site, "spam", half_n, half_e, reasons=reasons))
            cells.append(cell(month, site, "hate_speech", n - half_n, e - half_e,
                              reasons=reasons))
    store = write_store(tmp_path_factory.mktemp("example"), *cells)
    yield store
    store.close()


def test_explain_change_reproduces_the_worked_example(example_store):
    d = rca.explain_change(example_store, "2026-02", "site")
    o = d.attrs["overall"]
    assert o["mix_effect"] == pytest.approx(0.7334, abs=5e-5)
    assert o["rate_effect"] == pytest.approx(-0.3667, abs=5e-5)
    assert (o["month"], o["compare_month"]) == ("2026-02", "2026-01")
    assert list(d["site"]) == ["bpo_b", "inhouse_x", "bpo_a"]
    row = d.set_index("site").loc["bpo_b"]
    assert (row["mix_effect"], row["rate_effect"]) == (
        pytest.approx(1.2385, abs=5e-5), pytest.approx(-0.1468, abs=5e-5))


def test_error_rate_drivers_shape(example_store):
    d = rca.explain_change(example_store, "2026-02", ["site", "queue"])
    assert list(d.columns[:5]) == ["site", "queue", "mix_effect", "rate_effect",
                                   "total_effect"]
    assert len(d) == 6
    totals = d["total_effect"].abs().to_numpy()
    assert (np.diff(totals) <= 0).all()
    o = d.attrs["overall"]
    assert d["total_effect"].sum() == pytest.approx(o["change"], abs=1e-12)
    assert o["change"] == pytest.approx((452 / 12000 - 340 / 10000) * 100, abs=1e-12)


def test_explain_change_compare_to_and_filters(example_store):
    yoy = rca.explain_change(example_store, "2026-02", "site",
                             compare_to="same_month_last_year")
    assert yoy.attrs["overall"]["compare_month"] == "2025-02"
    assert yoy.attrs["overall"]["rate_before"] == pytest.approx(40 / 2000)
    # bpo_b is new against last year: all of its contribution is mix.
    b = yoy.set_index("site").loc["bpo_b"]
    assert b["rate_effect"] == 0 and b["mix_effect"] == pytest.approx(275 / 12000 * 100)
    spam = rca.explain_change(example_store, "2026-02", "site", "2026-01", filters={"queue": "spam"})
    assert spam.attrs["overall"]["n_audits_after"] == 6000
    assert spam.attrs["overall"]["filters"] == {"queue": "spam"}


@pytest.mark.parametrize("kwargs, message", [
    ({"month": "2026-13"}, "YYYY-MM"),
    ({"month": "2026-02", "compare_to": "last_week"}, "compare_to"),
    ({"month": "2026-02", "by": ["site; DROP TABLE audits"]}, "allowed"),
    ({"month": "2026-05"}, "no audits in 2026-04"),
    ({"month": "2026-02", "filters": {"queue": "nope"}}, "no audits"),
])
def test_explain_change_refuses_bad_requests(example_store, kwargs, message):
    with pytest.raises(ValueError, match=message):
        rca.explain_change(example_store, **kwargs)


def test_filter_values_are_bound_not_formatted(example_store):
    with pytest.raises(ValueError, match="no audits"):
        rca.explain_change(example_store, "2026-02", "site", filters={"queue": "spam' OR '1'='1"})


def test_comparison_months():
    assert rca.previous_month("2026-01") == "2025-12"
    assert rca.comparison_month("2026-03", "same_month_last_year") == "2025-03"
    with pytest.raises(ValueError, match="itself"):
        rca.comparison_month("2026-03", "2026-03")


# ------------------------------------------------------------------ reasons

def test_reason_pareto(example_store):
    p = rca.reason_pareto(example_store, filters={"month": "2026-02"})
    # 452 errors; reasons cycle fatigue, fatigue, policy_misread within each of 6 cells.
    counts = {}
    for n_err in (36, 36, 52, 53, 137, 138):
        for i in range(n_err):
            r = ["fatigue", "fatigue", "policy_misread"][i % 3]
            counts[r] = counts.get(r, 0) + 1
    assert dict(zip(p["error_reason"], p["n_errors"])) == counts
    assert list(p["error_reason"]) == ["fatigue", "policy_misread"]
    assert p["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    assert list(p["vital_few"]) == [True, True]


def test_pareto_per_segment_and_vital_few():
    c = pd.DataFrame({"site": ["a"] * 4 + ["b"] * 2,
                      "error_reason": ["w", "x", "y", "z", "x", "y"],
                      "n_errors": [50, 30, 15, 5, 1, 3]})
    p = rca.pareto(c, "error_reason", "site")
    a = p[p.site == "a"]
    assert list(a["error_reason"]) == ["w", "x", "y", "z"]
    assert list(a["vital_few"]) == [True, True, False, False]  # 50%, 80% reached at x
    assert list(a["cumulative_share"]) == pytest.approx([0.5, 0.8, 0.95, 1.0])
    b = p[p.site == "b"]
    assert list(b["error_reason"]) == ["y", "x"] and list(b["rank"]) == [1, 2]


def test_missing_reason_is_counted(tmp_path):
    store = write_store(tmp_path, cell("2026-01", "s", "q", 10, 4, reasons=[""]))
    p = rca.reason_pareto(store)
    assert p.to_dict("records")[0]["error_reason"] == rca.MISSING_REASON
    assert p["n_errors"].sum() == 4
    store.close()


def test_reason_mix_change_against_scipy(example_store):
    m = rca.reason_mix_change(example_store, "2026-02")
    table = m[["n_before", "n_after"]].to_numpy()
    chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
    t = m.attrs["test"]
    assert t["test"] == "chi-square"
    assert t["statistic"] == pytest.approx(chi2, rel=1e-12)
    assert t["p_value"] == pytest.approx(p, rel=1e-9)
    assert t["dof"] == dof
    assert m.set_index("error_reason").loc["fatigue", "n_before"] == 0
    # Adjusted residuals (Haberman) against statsmodels' Table.
    from statsmodels.stats.contingency_tables import Table
    resid = Table(table, shift_zeros=False).standardized_resids[:, 1]
    np.testing.assert_allclose(m["adjusted_residual"], resid, rtol=1e-10)


# ------------------------------------------------------------------ the sample data



def test_sample_data_jump_is_ranked_first(sample_store):
    jump = PLANTED["jump"]
    month = planted_month(sample_store, jump["month_offset"])
    d = rca.explain_change(sample_store, month, ["site", "queue"])
    top = d.iloc[0]
    assert (top["site"], top["queue"]) == (jump["site"], jump["queue"])
    assert top["rate_effect"] > 0 and abs(top["rate_effect"]) > abs(top["mix_effect"])


def test_sample_data_mix_shift_is_ranked_first(sample_store):
    shift = PLANTED["mix_shift"]
    month = planted_month(sample_store, shift["month_offset"])
    d = rca.explain_change(sample_store, month, "site")
    top = d.iloc[0]
    assert top["site"] == shift["site"]
    assert top["mix_effect"] > 0 and top["mix_effect"] > abs(top["rate_effect"])
    o = d.attrs["overall"]
    assert o["change"] > 0 and o["mix_effect"] > 0 and o["rate_effect"] < 0


def test_docstring_examples_run():
    import doctest

    from qa_insights.rca import change as module
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def _reasons(counts):
    return pd.DataFrame({"error_reason": [f"r{i}" for i in range(len(counts))],
                         "n_errors": counts})


def test_reason_p_values_are_holm_adjusted_residuals():
    from statsmodels.stats.multitest import multipletests
    m = rca.reason_mix(_reasons([40, 60, 30, 70]), _reasons([70, 50, 35, 45]))
    p = 2 * stats.norm.sf(np.abs(m["adjusted_residual"]))
    np.testing.assert_allclose(m["p_value"], p, rtol=1e-9)
    np.testing.assert_allclose(m["p_adjusted"], multipletests(p, method="holm")[1],
                               rtol=1e-9)
    assert (m["significant_reason"] == (m["p_adjusted"] < 0.05)).all()


def test_sparse_two_reason_mix_uses_fishers_exact_test():
    m = rca.reason_mix(_reasons([1, 9]), _reasons([7, 3]))
    t = m.attrs["test"]
    assert t["test"] == "Fisher exact"
    table = m.sort_values("error_reason")[["n_before", "n_after"]].to_numpy()
    assert t["p_value"] == pytest.approx(stats.fisher_exact(table).pvalue, rel=1e-12)


def _exact_homogeneity_p(before, after):
    """Fisher-Freeman-Halton p of a reasons x 2 table by full enumeration: every split of
    the reasons' totals with the later period's total, weighted by its hypergeometric
    probability."""
    rows = np.array(before) + np.array(after)
    dist = stats.multivariate_hypergeom(m=rows, n=sum(after))
    observed = dist.pmf(after)
    total = 0.0
    for split in np.ndindex(*(rows + 1)):
        if sum(split) == sum(after):
            pr = dist.pmf(split)
            total += pr if pr <= observed * (1 + 1e-7) else 0.0
    return total


def test_sparse_reason_mix_gets_a_monte_carlo_exact_p_value():
    before, after = [6, 2, 1, 0], [1, 3, 4, 3]
    m = rca.reason_mix(_reasons(before), _reasons(after))
    t = m.attrs["test"]
    assert t["test"] == "Fisher exact (Monte Carlo)"
    exact = _exact_homogeneity_p(before, after)
    se = math.sqrt(exact * (1 - exact) / MONTE_CARLO_TABLES)
    assert abs(t["p_value"] - exact) < 4 * se + 1e-4
