"""Logistic drivers (vs statsmodels Logit on the rows), correlations (vs SciPy)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from qa_insights.rca.drivers import (
    correlation_matrix,
    driver_cells,
    logistic_drivers,
    segment_metrics,
)
from tests.fixtures_rca import cell, write_store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    rng = np.random.default_rng(5)
    cells = []
    for site in ("inhouse_a", "bpo_b", "bpo_c"):
        for queue, base in (("spam", 0.03), ("hate_speech", 0.07), ("nudity", 0.05)):
            for tenure, mult in ((30, 1.8), (200, 1.0), (900, 0.8)):
                n = int(rng.integers(60, 140))
                p = base * mult * (1.6 if site.startswith("bpo") else 1.0)
                times = list(np.round(rng.gamma(3.0, 25.0, n), 1))
                cells.append(cell("2026-05", site, queue, n, int(rng.binomial(n, p)),
                                  tenure=tenure, handle_times=times,
                                  moderator=f"{site}-{queue}-{tenure}"))
    # A market without any error: not estimable, left out of the fit.
    cells.append(cell("2026-05", "inhouse_a", "spam", 40, 0, market="DE", tenure=200))
    s = write_store(tmp_path_factory.mktemp("drivers"), *cells)
    yield s
    s.close()


DRIVERS = ["tenure_band", "queue", "site_type", "handle_time_band"]


def test_logistic_drivers_match_row_level_logit(store):
    cells = driver_cells(store, DRIVERS, filters={"market": "US"})
    table = logistic_drivers(cells, DRIVERS)
    rows = store.con.execute(
        "SELECT is_error, moderator_tenure_days, queue, site_type, handle_time_s "
        "FROM audits WHERE market = 'US'").df()
    rows["tenure_band"] = pd.cut(rows.moderator_tenure_days, [0, 90, 180, 365, 730, 10**6],
                                 right=False, labels=["0-3m", "3-6m", "6-12m", "1-2y", "2y+"])
    rows["handle_time_band"] = pd.cut(rows.handle_time_s, [0, 30, 60, 120, np.inf],
                                      right=False, labels=["<30s", "30-60s", "60-120s",
                                                           "120s+"])
    ref = table[table.reference].set_index("driver")["level"]
    X = pd.concat([pd.get_dummies(rows[d].astype(str), prefix=d, prefix_sep="=")
                   .drop(columns=f"{d}={ref[d]}") for d in DRIVERS], axis=1).astype(float)
    fit = sm.Logit(rows.is_error.astype(float), sm.add_constant(X)).fit(disp=0)
    ci = fit.conf_int()
    est = table[~table.reference]
    assert len(est) == X.shape[1]
    for r in est.itertuples():
        name = f"{r.driver}={r.level}"
        assert r.odds_ratio == pytest.approx(np.exp(fit.params[name]), rel=1e-6)
        assert r.std_err == pytest.approx(fit.bse[name], rel=1e-6)
        assert r.p_value == pytest.approx(fit.pvalues[name], rel=1e-5, abs=1e-12)
        assert r.ci_low == pytest.approx(np.exp(ci.loc[name, 0]), rel=1e-6)
        assert r.ci_high == pytest.approx(np.exp(ci.loc[name, 1]), rel=1e-6)
    assert table.attrs["intercept_odds"] == pytest.approx(np.exp(fit.params["const"]), rel=1e-6)
    # The reference is the level with the most audits.
    sizes = rows.groupby("queue").size()
    assert ref["queue"] == sizes.idxmax()


def test_unestimable_levels_are_dropped_and_listed(store):
    table = logistic_drivers(driver_cells(store, ["market", "queue"]), ["market", "queue"])
    assert "DE" not in set(table.level)
    assert table.attrs["dropped"] == [{"driver": "market", "level": "DE",
                                       "reason": "no errors", "n_audits": 40, "n_errors": 0}]


def test_explicit_reference(store):
    cells = driver_cells(store, ["site_type"])
    t = logistic_drivers(cells, ["site_type"], reference={"site_type": "in_house"})
    bpo = t.set_index("level").loc["bpo"]
    c = cells.set_index("site_type")
    odds = c.n_errors / (c.n_audits - c.n_errors)
    assert bpo.odds_ratio == pytest.approx(odds["bpo"] / odds["in_house"], rel=1e-8)
    with pytest.raises(ValueError, match="not a level"):
        logistic_drivers(cells, ["site_type"], reference={"site_type": "robots"})


def test_driver_names_are_allow_listed(store):
    with pytest.raises(ValueError, match="allowed"):
        driver_cells(store, ["error_type"])         # the outcome is not a driver
    with pytest.raises(ValueError, match="allowed"):
        driver_cells(store, ["queue) FROM audits; --"])


def test_segment_metrics_and_correlations(store):
    m = segment_metrics(store, "moderator_id", min_n=0)
    rows = store.con.execute("SELECT moderator_id, handle_time_s, is_error, "
                             "moderator_tenure_days FROM audits").df()
    g = rows.groupby("moderator_id")
    got = m.set_index("moderator_id")
    np.testing.assert_allclose(got["mean_handle_time_s"], g.handle_time_s.mean()[got.index],
                               rtol=1e-12)
    np.testing.assert_allclose(got["error_rate"], g.is_error.mean()[got.index], rtol=1e-12)
    cols = ["error_rate", "mean_handle_time_s", "mean_tenure_days"]
    for method, fn in (("spearman", stats.spearmanr), ("pearson", stats.pearsonr)):
        corr = correlation_matrix(m, cols, method=method)
        assert len(corr) == 3
        for r in corr.itertuples():
            ref = fn(m[r.metric_a], m[r.metric_b])
            assert r.r == pytest.approx(ref.statistic, rel=1e-10)
            assert r.p_value == pytest.approx(ref.pvalue, rel=1e-8)
            assert r.n == len(m)


def test_correlation_of_a_constant_is_undefined():
    c = correlation_matrix(pd.DataFrame({"a": [1, 2, 3], "b": [5, 5, 5]}))
    assert np.isnan(c.r[0]) and c.n[0] == 3


def test_docstring_examples_run():
    import doctest

    from qa_insights.rca import drivers as module
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
