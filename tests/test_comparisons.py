"""Store-backed tests of difference against SciPy / statsmodels run on the same rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from qa_insights.rca import comparisons
from tests.fixtures_rca import cell, write_store


@pytest.fixture(scope="module")
def site_store(tmp_path_factory):
    rng = np.random.default_rng(7)
    cells = []
    for site, n, errors, mean in (("inhouse_a", 400, 12, 40.0), ("bpo_b", 300, 30, 55.0),
                                  ("bpo_c", 200, 9, 48.0)):
        for etype, k in (("false_positive", errors // 3), ("false_negative", errors - errors // 3)):
            times = list(np.round(rng.gamma(4.0, mean / 4.0, n // 2), 0))
            cells.append(cell("2026-03", site, "spam", n // 2, k, error_type=etype,
                              handle_times=times))
    store = write_store(tmp_path_factory.mktemp("sites"), *cells)
    yield store
    store.close()


def _rows(store):
    return store.con.execute("SELECT site, error_type, is_error, handle_time_s "
                             "FROM audits").df()


def test_association_against_scipy(site_store):
    r = comparisons.association(site_store, "site", "error_type")
    rows = _rows(site_store).dropna(subset=["error_type"])
    table = pd.crosstab(rows["site"], rows["error_type"]).to_numpy()
    chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
    assert r.statistic == pytest.approx(chi2, rel=1e-12)
    assert r.p_value == pytest.approx(p, rel=1e-9)
    assert r.effect_size == pytest.approx(
        stats.contingency.association(table, method="cramer"), rel=1e-12)


def test_pairwise_rates_against_statsmodels(site_store):
    from statsmodels.stats.multitest import multipletests
    from statsmodels.stats.proportion import proportions_ztest
    out = comparisons.pairwise_rates(site_store, "site")
    rows = _rows(site_store)
    g = rows.groupby("site")["is_error"].agg(["sum", "count"])
    raw = {}
    for a, b in [("bpo_b", "bpo_c"), ("bpo_b", "inhouse_a"), ("bpo_c", "inhouse_a")]:
        _, raw[(a, b)] = proportions_ztest(g.loc[[a, b], "sum"], g.loc[[a, b], "count"])
    adj = dict(zip(raw, multipletests(list(raw.values()), method="holm")[1]))
    for _, r in out.iterrows():
        assert r["test"] == "two-proportion z"
        assert r["p_value"] == pytest.approx(raw[(r.group_a, r.group_b)], rel=1e-9)
        assert r["p_adjusted"] == pytest.approx(adj[(r.group_a, r.group_b)], rel=1e-9)


def test_compare_values_against_scipy(site_store):
    res = comparisons.compare_values(site_store, "handle_time_s", "site").set_index("test")
    rows = _rows(site_store)
    groups = [g["handle_time_s"].to_numpy() for _, g in rows.groupby("site")]
    f = stats.f_oneway(*groups)
    anova = res.loc[res.index.str.startswith("one-way ANOVA")].iloc[0]
    assert anova["statistic"] == pytest.approx(f.statistic, rel=1e-9)
    assert anova["p_value"] == pytest.approx(f.pvalue, rel=1e-9)
    h = stats.kruskal(*groups)   # with ties (handle times are rounded to seconds)
    assert res.loc["Kruskal-Wallis", "statistic"] == pytest.approx(h.statistic, rel=1e-9)
    assert res.loc["Kruskal-Wallis", "p_value"] == pytest.approx(h.pvalue, rel=1e-9)


def test_compare_values_two_groups_adds_welch(site_store):
    res = comparisons.compare_values(site_store, "handle_time_s", "site",
                             filters={"site": ["bpo_b", "inhouse_a"]}).set_index("test")
    rows = _rows(site_store)
    a = rows.loc[rows.site == "bpo_b", "handle_time_s"]
    b = rows.loc[rows.site == "inhouse_a", "handle_time_s"]
    t = stats.ttest_ind(a, b, equal_var=False)
    assert res.loc["Welch t", "statistic"] == pytest.approx(t.statistic, rel=1e-9)
    assert res.loc["Welch t", "p_value"] == pytest.approx(t.pvalue, rel=1e-9)
    ci = t.confidence_interval()
    assert res.loc["Welch t", "ci_low"] == pytest.approx(ci.low, rel=1e-9)


def test_group_stats_refuses_unknown_columns(site_store):
    with pytest.raises(ValueError, match="allowed: handle_time_s"):
        comparisons.group_stats(site_store, "comment", "site")
    with pytest.raises(ValueError, match="allowed"):
        comparisons.group_stats(site_store, "handle_time_s", "1; DROP TABLE audits")


def test_docstring_examples_run():
    import doctest

    from qa_insights.rca import comparisons as module
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
