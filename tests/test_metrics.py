"""Tests of qa_insights.quality.metrics: SQL counts vs a row-by-row pandas reference, rates vs
independent formulas and statsmodels, parameter binding, allow-list, minimum-n rule."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from qa_insights.data.queries import COUNT_COLUMNS, audit_counts, audit_counts_query
from qa_insights.quality import metrics
from qa_insights.quality.metrics import quality_summary, summarise_counts
from qa_insights.stats.proportions import wilson_interval
from qa_insights.stats.proportions import wilson_interval as wilson_from_proportions
from tests.fixtures_metrics import random_audits, reference_counts, store_from

SEEDS = range(8)


def _tenure_band(days: object) -> str:
    if days == "" or pd.isna(days):
        return "unknown"
    d = int(days)
    return ("0-3m" if d < 90 else "3-6m" if d < 180 else "6-12m" if d < 365
            else "1-2y" if d < 730 else "2y+")


def _with_derived(audits: pd.DataFrame) -> pd.DataFrame:
    ref = reference_counts(audits)
    ref["tenure_band"] = ref["moderator_tenure_days"].map(_tenure_band)
    ts = pd.to_datetime(ref["audited_at"], utc=True).dt.tz_localize(None)
    ref["week"] = (ts.dt.normalize() - pd.to_timedelta(ts.dt.day_of_week, unit="D")
                   ).dt.strftime("%Y-%m-%d")
    return ref


def _reference(ref: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    cols = list(COUNT_COLUMNS)
    if not by:
        return ref[cols].sum().to_frame().T
    return ref.groupby(by)[cols].sum().reset_index()


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    out = []
    for seed in SEEDS:
        audits = random_audits(seed, n=400 + 50 * seed)
        store = store_from(tmp_path_factory.mktemp(f"s{seed}"), audits)
        out.append((_with_derived(audits), store))
    yield out
    for _, store in out:
        store.close()


BYS = [[], ["month"], ["month", "site"], ["site", "queue", "market"], ["moderator_id"],
       ["tenure_band"], ["week"], ["site_type", "month"]]


@pytest.mark.parametrize("by", BYS, ids=lambda b: "+".join(b) or "overall")
def test_counts_match_pandas_reference(stores, by):
    for audits, store in stores:
        got = audit_counts(store, by)
        ref = _reference(audits, by)
        assert list(got.columns) == by + list(COUNT_COLUMNS)
        pd.testing.assert_frame_equal(
            got.sort_values(by).reset_index(drop=True) if by else got,
            ref.sort_values(by).reset_index(drop=True).astype(got.dtypes.to_dict()),
            check_dtype=False)


def test_counts_add_up(stores):
    for _, store in stores:
        c = audit_counts(store, ["month", "site"])
        assert (c.n_false_positive + c.n_false_negative + c.n_wrong_policy == c.n_errors).all()
        assert (c.n_critical + c.n_major + c.n_minor <= c.n_errors).all()
        assert (c.n_overturned <= c.n_disputed).all() and (c.n_disputed <= c.n_findings).all()
        assert (c.n_errors + c.n_overturned == c.n_findings).all()
        total = audit_counts(store)
        assert int(total.n_audits[0]) == int(c.n_audits.sum())


def test_summary_rates_match_independent_formulas(stores):
    for audits, store in stores:
        s = quality_summary(store, ["month", "site"], confidence=0.9)
        ref = _reference(audits, ["month", "site"])
        assert len(s) == len(ref)
        np.testing.assert_allclose(s.accuracy, 1 - ref.n_errors / ref.n_audits)
        np.testing.assert_allclose(s.error_rate, ref.n_errors / ref.n_audits)
        low, high = proportion_confint(ref.n_audits - ref.n_errors, ref.n_audits, alpha=0.1,
                                       method="wilson")
        np.testing.assert_allclose(s.ci_low, low, rtol=1e-9)
        np.testing.assert_allclose(s.ci_high, high, rtol=1e-9)
        low, high = proportion_confint(ref.n_critical, ref.n_audits, alpha=0.1,
                                       method="wilson")
        np.testing.assert_allclose(s.critical_ci_low, low, rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(s.critical_ci_high, high, rtol=1e-9)
        np.testing.assert_allclose(s.over_enforcement_share,
                                   ref.n_false_positive / ref.n_actioned)
        np.testing.assert_allclose(s.under_enforcement_rate,
                                   ref.n_false_negative / ref.n_violating)
        np.testing.assert_allclose(s.wrong_policy_rate,
                                   ref.n_wrong_policy / ref.n_actioned_violating)
        np.testing.assert_allclose(s.critical_error_rate, ref.n_critical / ref.n_audits)
        np.testing.assert_allclose(s.dispute_rate, ref.n_disputed / ref.n_findings)
        np.testing.assert_allclose(s.overturn_rate, ref.n_overturned / ref.n_disputed)


def test_severity_weighted_score_row_by_row(stores):
    weights = {"critical": 10.0, "major": 3.0, "minor": 0.5}
    for audits, store in stores:
        ref = audits  # already the row-level reference (fixture)
        err = ref[ref.n_errors == 1]
        # Errors without severity take the weight of "minor" here.
        w = err.severity.map(lambda sev: weights.get(sev, weights["minor"]))
        expected_wer = w.sum() / len(ref)
        s = quality_summary(store, weights=weights, unrated_severity="minor")
        assert s.weighted_error_rate[0] == pytest.approx(expected_wer)
        assert s.quality_score[0] == pytest.approx(1 - expected_wer / 10.0)
        default = quality_summary(store)
        w_default = err.severity.map({"critical": 5.0, "major": 2.0, "minor": 1.0}).fillna(2.0)
        assert default.weighted_error_rate[0] == pytest.approx(w_default.sum() / len(ref))


def test_filters_are_bound_and_scope_the_rows(stores):
    audits, store = stores[0]
    ref = audits
    got = quality_summary(store, ["site"], filters={"month": "2026-10"})
    expected = ref[ref.month == "2026-10"].groupby("site").n_audits.sum()
    assert got.set_index("site").n_audits.to_dict() == expected.to_dict()
    got = audit_counts(store, ["month"], filters={"site": ["bpo_beta_cebu", "inhouse_dublin"], "queue": "spam"})
    sub = ref[ref.site.isin(["bpo_beta_cebu", "inhouse_dublin"]) & (ref.queue == "spam")]
    assert got.set_index("month").n_errors.to_dict() == sub.groupby("month").n_errors.sum().to_dict()
    assert audit_counts(store, ["month"], filters={"site": None}).n_audits.sum() == len(audits)


def test_hostile_filter_value_is_data_not_sql(stores):
    _, store = stores[0]
    hostile = "x'; DROP TABLE audits; --"
    got = quality_summary(store, ["site"], filters={"site": hostile})
    assert got.empty and "accuracy" in got.columns
    overall = quality_summary(store, filters={"site": hostile})
    assert overall.n_audits[0] == 0 and np.isnan(overall.accuracy[0])
    assert store.con.execute("SELECT count(*) FROM audits").fetchone()[0] > 0
    sql, params = audit_counts_query(["site"], {"site": hostile})
    assert hostile not in sql and params == [hostile]


@pytest.mark.parametrize("bad", ["site; DROP TABLE audits", "comment", "Month", "n_audits"])
def test_unknown_dimension_is_refused_with_allowed_names(stores, bad):
    _, store = stores[0]
    with pytest.raises(ValueError, match=r"unknown dimension .*allowed: .*tenure_band"):
        quality_summary(store, [bad])
    with pytest.raises(ValueError, match=r"unknown filter .*allowed: .*tenure_band"):
        quality_summary(store, ["site"], filters={bad: "x"})


def test_filters_are_one_mapping_not_keywords(stores):
    """Issue 17: a filter is never mixed with options; a stray keyword is a TypeError and
    a filters value that is not a mapping is named."""
    _, store = stores[0]
    with pytest.raises(TypeError):
        quality_summary(store, ["site"], month="2026-10")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="filters: expected a mapping"):
        quality_summary(store, ["site"], filters=["month", "2026-10"])  # type: ignore[arg-type]


def test_repeated_dimension_and_empty_list_filter_are_refused(stores):
    _, store = stores[0]
    with pytest.raises(ValueError, match="repeated"):
        audit_counts(store, ["site", "site"])
    with pytest.raises(ValueError, match="empty list"):
        audit_counts(store, ["site"], filters={"month": []})


def test_min_n_marks_rows_and_keeps_them(stores):
    _, store = stores[0]
    s = quality_summary(store, ["moderator_id", "month"], min_n=25)
    assert (s.below_min_n == (s.n_audits < 25)).all()
    assert s.below_min_n.any() and (~s.below_min_n).any()
    assert s.n_audits.sum() == quality_summary(store).n_audits[0]


def test_metrics_reexports_wilson():
    assert wilson_interval is wilson_from_proportions


def test_bad_weights_are_refused():
    counts = pd.DataFrame({c: [10] for c in COUNT_COLUMNS})
    with pytest.raises(ValueError, match="weights"):
        summarise_counts(counts, weights={"critical": 1.0})


@st.composite
def consistent_counts(draw):
    n = draw(st.integers(0, 5000))
    fp, fn, wp, ok = draw(st.lists(st.integers(0, 10**6), min_size=4, max_size=4))
    total = fp + fn + wp + ok or 1
    fp, fn, wp = (n * fp // total, n * fn // total, n * wp // total)
    errors = fp + fn + wp
    crit = draw(st.integers(0, errors))
    major = draw(st.integers(0, errors - crit))
    minor = draw(st.integers(0, errors - crit - major))
    overturned = draw(st.integers(0, n - errors))
    disputed = overturned + draw(st.integers(0, errors))
    actioned_ok = draw(st.integers(0, n - errors))
    return {"n_audits": n, "n_errors": errors, "n_false_positive": fp,
            "n_false_negative": fn, "n_wrong_policy": wp, "n_actioned": fp + wp + actioned_ok,
            "n_violating": fn + wp + actioned_ok, "n_actioned_violating": wp + actioned_ok,
            "n_critical": crit, "n_major": major, "n_minor": minor,
            "n_findings": errors + overturned, "n_disputed": disputed,
            "n_overturned": overturned}


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(consistent_counts(), min_size=1, max_size=6))
def test_summary_invariants(rows):
    s = summarise_counts(pd.DataFrame(rows))
    for col in ("accuracy", "error_rate", "ci_low", "ci_high", "over_enforcement_share",
                "under_enforcement_rate", "wrong_policy_rate", "critical_error_rate",
                "quality_score", "dispute_rate", "overturn_rate"):
        values = s[col].dropna()
        assert ((values >= 0) & (values <= 1)).all(), col
    ok = s.n_audits > 0
    assert (s.ci_low[ok] <= s.accuracy[ok] + 1e-12).all()
    assert (s.accuracy[ok] <= s.ci_high[ok] + 1e-12).all()
    assert np.allclose(s.accuracy[ok] + s.error_rate[ok], 1)
    assert s.accuracy[~ok].isna().all()
    assert (s.n_unrated_severity >= 0).all()


@settings(max_examples=100, deadline=None)
@given(row=consistent_counts())
def test_quality_score_falls_when_a_critical_error_is_added(row):
    if row["n_audits"] == 0:
        return
    worse = dict(row, n_audits=row["n_audits"] + 1, n_errors=row["n_errors"] + 1,
                 n_critical=row["n_critical"] + 1, n_false_positive=row["n_false_positive"] + 1,
                 n_actioned=row["n_actioned"] + 1, n_findings=row["n_findings"] + 1)
    before, after = summarise_counts(pd.DataFrame([row, worse])).quality_score
    assert after < before


def test_docstring_examples_run():
    assert doctest.testmod(metrics).failed == 0


def test_sample_data_planted_new_hire_effect(sample_store):
    # data_samples/README.md: moderators in their first 90 days err 6.9% of the time, against
    # 3.8% for tenured moderators.
    bands = quality_summary(sample_store, ["tenure_band"]).set_index("tenure_band")
    tenured = quality_summary(sample_store, filters={"tenure_band": ["3-6m", "6-12m", "1-2y", "2y+"]})
    assert round(bands.error_rate["0-3m"] * 100, 1) == 6.9
    assert round(tenured.error_rate[0] * 100, 1) == 3.8
    others = bands.drop(index="0-3m")
    assert (bands.error_ci_low["0-3m"] > others.error_ci_high).all()
