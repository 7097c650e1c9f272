"""Tests of difference against SciPy / statsmodels on the same data."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from qa_insights.stats.differences import (
    MONTE_CARLO_TABLES,
    anova_oneway,
    independence_test,
    kruskal_wallis,
    pairwise_proportions,
    welch_t_test,
)


def test_chi_square_and_cramers_v_against_scipy():
    table = np.array([[120, 40, 15], [90, 70, 20], [60, 30, 45]])
    r = independence_test(table)
    chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
    assert (r.test, r.dof) == ("chi-square", dof)
    assert r.statistic == pytest.approx(chi2, rel=1e-12)
    assert r.p_value == pytest.approx(p, rel=1e-12)
    assert r.effect_size == pytest.approx(stats.contingency.association(table), rel=1e-12)
    assert r.n == table.sum() and r.significant


def test_sparse_two_by_two_uses_fisher_exact():
    table = [[7, 27], [1, 33]]
    r = independence_test(table)
    assert r.test == "Fisher exact"
    assert r.p_value == pytest.approx(stats.fisher_exact(table).pvalue, rel=1e-12)


def _exact_rxc_p_value(table):
    """Freeman-Halton exact p-value by enumerating every 2 x c table with these margins."""
    table = np.asarray(table)
    rows, cols, n = table.sum(axis=1), table.sum(axis=0), table.sum()

    def log_p(t):
        return (sum(math.lgamma(r + 1) for r in rows) + sum(math.lgamma(c + 1) for c in cols)
                - math.lgamma(n + 1) - sum(math.lgamma(x + 1) for x in np.ravel(t)))

    observed = log_p(table)
    total = 0.0
    for first in itertools.product(*(range(c + 1) for c in cols[:-1])):
        last = rows[0] - sum(first)
        if not 0 <= last <= cols[-1]:
            continue
        top = np.array([*first, last])
        t = np.vstack([top, cols - top])
        if log_p(t) <= observed + 1e-7:
            total += math.exp(log_p(t))
    return total


def test_sparse_larger_table_uses_monte_carlo_fisher():
    table = [[8, 2, 3, 0], [1, 5, 4, 2]]
    r = independence_test(table, seed=3)
    assert r.test == "Fisher exact (Monte Carlo)"
    exact = _exact_rxc_p_value(table)
    se = math.sqrt(exact * (1 - exact) / MONTE_CARLO_TABLES)
    assert abs(r.p_value - exact) < 4 * se + 1 / MONTE_CARLO_TABLES
    assert independence_test(table, seed=3).p_value == r.p_value  # reproducible


def test_degenerate_tables():
    r = independence_test([[5, 0], [3, 0]])        # one non-empty column
    assert math.isnan(r.p_value) and not r.significant
    with pytest.raises(ValueError):
        independence_test([[1, -1], [2, 3]])


COUNTS = pd.DataFrame({"site": ["a", "b", "c", "d"], "n_audits": [800, 600, 700, 90],
                       "n_errors": [24, 42, 30, 2]})


@pytest.mark.parametrize("method, sm_method", [("holm", "holm"), ("bh", "fdr_bh")])
def test_pairwise_proportions_against_statsmodels(method, sm_method):
    out = pairwise_proportions(COUNTS, "site", method=method)
    assert len(out) == 6
    c = COUNTS.set_index("site")
    raw = {}
    for a, b in itertools.combinations(c.index, 2):
        x = c.loc[[a, b], "n_errors"].to_numpy()
        n = c.loc[[a, b], "n_audits"].to_numpy()
        pooled = x.sum() / n.sum()
        if (np.outer(n, [pooled, 1 - pooled]) < 5).any():
            raw[(a, b)] = stats.fisher_exact([[x[0], n[0] - x[0]],
                                              [x[1], n[1] - x[1]]]).pvalue
        else:
            raw[(a, b)] = proportions_ztest(x, n)[1]
    adjusted = dict(zip(raw, multipletests(list(raw.values()), method=sm_method)[1]))
    for _, r in out.iterrows():
        key = (r.group_a, r.group_b)
        assert r.p_value == pytest.approx(raw[key], rel=1e-9)
        assert r.p_adjusted == pytest.approx(adjusted[key], rel=1e-9)
        assert r.significant == (adjusted[key] < 0.05)
    assert (np.diff(out["p_adjusted"]) >= 0).all()


def test_pairwise_issue_example_interval_excludes_zero():
    """Issue 22: 33 audits with 2 errors against 317 with 64 were called significant
    (z test, p 0.048) beside a Newcombe interval of -0.01 to +20.6 pts."""
    c = pd.DataFrame({"site": ["a", "b"], "n_audits": [33, 317], "n_errors": [2, 64]})
    r = pairwise_proportions(c, "site").iloc[0]
    assert r.significant and r.p_adjusted == pytest.approx(
        proportions_ztest([2, 64], [33, 317])[1], rel=1e-12)
    assert r.ci_high < 0 and r.ci_level == 0.95


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(5, 2000), st.floats(0.0, 0.3)), min_size=2,
                max_size=6),
       st.sampled_from(["holm", "bh"]), st.sampled_from([0.01, 0.05, 0.1]))
def test_pairwise_intervals_agree_with_the_adjusted_verdict(groups, method, alpha):
    """Every pair's interval excludes 0 exactly when its adjusted p is below alpha, at
    the level ``1 - alpha p / p_adjusted`` it reports (Bonferroni's 1 - alpha / m when
    the adjustment is Bonferroni's)."""
    counts = pd.DataFrame({"site": [f"s{i}" for i in range(len(groups))],
                           "n_audits": [n for n, _ in groups],
                           "n_errors": [round(n * f) for n, f in groups]})
    out = pairwise_proportions(counts, "site", method=method, alpha=alpha)
    for r in out.itertuples():
        if r.p_adjusted > 0:
            assert r.ci_level == pytest.approx(1 - alpha * r.p_value / r.p_adjusted)
        if abs(r.p_adjusted - alpha) > 1e-9 and abs(r.p_value - (1 - r.ci_level)) > 1e-12:
            assert (r.ci_low > 0 or r.ci_high < 0) == r.significant
    assert out.attrs["alpha"] == alpha


def test_pairwise_refuses_duplicates_and_unknown_method():
    with pytest.raises(ValueError, match="more than once"):
        pairwise_proportions(pd.concat([COUNTS, COUNTS]), "site")
    with pytest.raises(ValueError, match="holm"):
        pairwise_proportions(COUNTS, "site", method="bonferroni")


def _groups():
    rng = np.random.default_rng(11)
    return [rng.gamma(4, s / 4, n) for s, n in ((40, 30), (50, 25), (44, 40), (38, 8))]


def test_anova_from_summaries_against_scipy():
    groups = _groups()
    r = anova_oneway([len(g) for g in groups], [g.mean() for g in groups],
                     [g.var(ddof=1) for g in groups])
    f = stats.f_oneway(*groups)
    assert r.statistic == pytest.approx(f.statistic, rel=1e-10)
    assert r.p_value == pytest.approx(f.pvalue, rel=1e-9)
    pooled = np.concatenate(groups)
    ssb = sum(len(g) * (g.mean() - pooled.mean()) ** 2 for g in groups)
    assert r.effect_size == pytest.approx(ssb / ((pooled - pooled.mean()) ** 2).sum())


def test_kruskal_from_rank_sums_against_scipy():
    groups = [np.round(g) for g in _groups()]     # rounding creates ties
    pooled = np.concatenate(groups)
    ranks = stats.rankdata(pooled)
    edges = np.cumsum([0] + [len(g) for g in groups])
    rank_sums = [ranks[a:b].sum() for a, b in itertools.pairwise(edges)]
    _, t = np.unique(pooled, return_counts=True)
    r = kruskal_wallis([len(g) for g in groups], rank_sums, float((t**3 - t).sum()))
    h = stats.kruskal(*groups)
    assert r.statistic == pytest.approx(h.statistic, rel=1e-10)
    assert r.p_value == pytest.approx(h.pvalue, rel=1e-9)


def test_welch_from_summaries_against_scipy():
    a, b = _groups()[:2]
    r = welch_t_test(len(a), a.mean(), a.var(ddof=1), len(b), b.mean(), b.var(ddof=1))
    t = stats.ttest_ind(a, b, equal_var=False)
    assert r.statistic == pytest.approx(t.statistic, rel=1e-10)
    assert r.p_value == pytest.approx(t.pvalue, rel=1e-9)
    assert r.dof == pytest.approx(t.df, rel=1e-10)
    ci = t.confidence_interval(0.95)
    assert (r.ci_low, r.ci_high) == (pytest.approx(ci.low), pytest.approx(ci.high))
    with pytest.raises(ValueError):
        welch_t_test(1, 1.0, 0.0, 5, 2.0, 1.0)


def test_single_group_has_no_test():
    assert math.isnan(anova_oneway([10], [1.0], [2.0]).p_value)
    assert math.isnan(kruskal_wallis([10], [55.0]).p_value)


@pytest.mark.parametrize("method, sm_method", [("holm", "holm"), ("bh", "fdr_bh")])
def test_adjust_p_values_against_statsmodels(method, sm_method):
    from qa_insights.stats.differences import adjust_p_values
    rng = np.random.default_rng(4)
    for size in (1, 2, 7, 40):
        p = rng.uniform(0, 0.2, size) ** 2
        p[rng.integers(0, size)] = p[0]                     # a tie
        expected = multipletests(p, method=sm_method)[1]
        np.testing.assert_allclose(adjust_p_values(p, method), expected, rtol=1e-12)
    with_nan = adjust_p_values([0.01, np.nan, 0.02], method)
    np.testing.assert_allclose(with_nan[[0, 2]],
                               multipletests([0.01, 0.02], method=sm_method)[1], rtol=1e-12)
    assert np.isnan(with_nan[1])


def test_weighted_holm():
    from qa_insights.stats.differences import adjust_p_values
    # Worked by hand from Holm (1979): q = p / w = (0.04, 0.004, 0.12); step 1 (idx 1)
    # 0.004 * 1; step 2 (idx 0) 0.04 * 0.75 = 0.03; step 3 (idx 2) 0.12 * 0.25 = 0.03.
    got = adjust_p_values([0.02, 0.001, 0.03], "holm", [0.5, 0.25, 0.25])
    np.testing.assert_allclose(got, [0.03, 0.004, 0.03], rtol=1e-12)
    equal = adjust_p_values([0.02, 0.001, 0.03], "holm", [2, 2, 2])
    np.testing.assert_allclose(equal, multipletests([0.02, 0.001, 0.03], method="holm")[1])
    with pytest.raises(ValueError):
        adjust_p_values([0.1, 0.2], "bh", [1, 1])


def test_docstring_examples_run():
    import doctest

    from qa_insights.stats import differences as module
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_sparse_tables_of_any_shape_get_a_monte_carlo_p_value() -> None:
    # SciPy 1.17 returns 1-element arrays for these shapes (a crash under NumPy 2 once);
    # the p-value must still be a number in [0, 1], equal to SciPy's own.
    for table in ([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[2, 1], [0, 1], [1, 0]]):
        result = independence_test(table, seed=3)
        method = stats.MonteCarloMethod(n_resamples=MONTE_CARLO_TABLES,
                                        rng=np.random.default_rng(3))
        expected = np.ravel(stats.fisher_exact(np.array(table), method=method).pvalue)[0]
        assert result.test == "Fisher exact (Monte Carlo)"
        assert result.p_value == pytest.approx(float(expected))
        assert 0 <= result.p_value <= 1


REFDATA = Path(__file__).parent / "refdata"


def _refdata(name):
    data = json.loads((REFDATA / name).read_text())
    assert data["source"]
    return data


@pytest.mark.parametrize("name, rel", [("SiRstv", 1e-10), ("AtmWtAg", 1e-8)])
def test_anova_reproduces_nist_strd_certified_values(name, rel):
    d = _refdata("nist_strd_anova.json")["datasets"][name]
    c = d["certified"]
    values = pd.Series([float(v) for v in d["value"]])
    groups = values.groupby(pd.Series(d["group"]))
    r = anova_oneway(groups.size(), groups.mean(), groups.var(ddof=1))
    # NIST certifies 15 digits; a double-precision two-pass computation keeps about 10
    # (SiRstv, 3 constant leading digits) or 8-9 (AtmWtAg, 7 constant leading digits).
    assert r.statistic == pytest.approx(c["f_statistic"], rel=rel)
    assert r.effect_size == pytest.approx(c["r_squared"], rel=rel)
    assert r.dof == c["df_between"]
    assert r.test == f"one-way ANOVA (F, {c['df_between']} and {c['df_within']} df)"
    assert r.p_value == pytest.approx(
        stats.f.sf(c["f_statistic"], c["df_between"], c["df_within"]), rel=1e-6)


def test_chi_square_reproduces_agrestis_party_identification_table():
    ref = _refdata("agresti2007_party_gender.json")
    table = np.array(ref["table"])
    r = independence_test(table)
    assert r.test == "chi-square" and r.dof == ref["dof"]
    assert round(r.statistic, ref["decimals"]) == ref["chi_square"]
    assert r.p_value < 0.001 and r.significant
    # Cramer's V is not printed in the book: from the published X^2 and by SciPy.
    n = table.sum()
    assert r.effect_size == pytest.approx(math.sqrt(ref["chi_square"] / n), abs=5e-5)
    assert r.effect_size == pytest.approx(stats.contingency.association(table), rel=1e-12)
    g2 = stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")[0]
    assert round(g2, ref["decimals"]) == ref["g_square"]      # the table was read right


def test_bh_and_holm_reproduce_benjamini_hochbergs_example():
    from qa_insights.stats.differences import adjust_p_values
    ref = _refdata("benjamini_hochberg1995.json")
    p, alpha = np.array(ref["p_values"]), ref["alpha"]
    bh = adjust_p_values(p, "bh")
    assert (bh < alpha).sum() == ref["bh_rejected"]
    assert (bh < alpha)[: ref["bh_rejected"]].all()
    np.testing.assert_allclose(bh, stats.false_discovery_control(p), rtol=1e-12)
    holm = adjust_p_values(p, "holm")
    # Holm is at least as powerful as the Bonferroni correction the paper compares with,
    # and here rejects the same three.
    assert (holm < alpha).sum() == ref["fwer_rejected"]
    assert ((p * len(p)) < alpha).sum() == ref["fwer_rejected"]
    np.testing.assert_allclose(holm, multipletests(p, method="holm")[1], rtol=1e-12)
