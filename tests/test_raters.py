"""Tests of qa_insights.calibration.raters (gold views, per-session tables, drift).

Expected values come from a small hand-worked session (counts written out below), from
peers (scikit-learn cohen_kappa_score, statsmodels proportion_confint / fleiss_kappa /
GLM score test / WLS, krippendorff), and from the effects planted in data_samples by
qa_insights.data.sample_data (a lenient site, a drifting site, skewed labels).
"""

from __future__ import annotations

from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa
from statsmodels.stats.proportion import proportion_confint

from qa_insights.calibration import raters as cal
from qa_insights.calibration.drift import trend_test
from qa_insights.calibration.load import gold_labels, load_calibration, ratings_matrix
from qa_insights.calibration.sessions import hardest_items, label_agreement, session_agreement
from qa_insights.data.opening import open_store

SAMPLES = Path(__file__).parent.parent / "data_samples"
NV = "no_violation"

# Hand-worked session. Gold: i1 spam, i2 nv, i3 nv, i4 hate, i5 nv, i6 spam.
# M1: correct on i1, i2, i5; over-enforces i3; misses i4; wrong policy on i6 (hate).
# M2: all correct. M3: misses i1 and i4, right on the rest.
_GOLD = ["spam", NV, NV, "hate", NV, "spam"]
_LABELS = {
    "M1": ["spam", NV, "spam", NV, NV, "hate"],
    "M2": ["spam", NV, NV, "hate", NV, "spam"],
    "M3": [NV, NV, NV, NV, NV, "spam"],
}
_SITES = {"E1": "hq", "M1": "site_a", "M2": "site_b", "M3": "site_a"}
_ROLES = {"E1": "expert", "M1": "moderator", "M2": "auditor", "M3": "moderator"}


def hand_session(session_id: str = "S1", date: str = "2026-01-07") -> pd.DataFrame:
    rows = []
    for rater, labels in {"E1": _GOLD, **_LABELS}.items():
        for k, label in enumerate(labels):
            rows.append({"session_id": session_id, "session_date": date,
                         "item_id": f"i{k + 1}", "queue": "q", "rater_id": rater,
                         "rater_role": _ROLES[rater], "site": _SITES[rater], "label": label})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def samples() -> pd.DataFrame:
    return pd.read_csv(SAMPLES / "calibration.csv")


# --------------------------------------------------------------- gold and matrices


def test_ratings_matrix_and_gold():
    frame = hand_session()
    matrix = ratings_matrix(frame)
    assert matrix.shape == (6, 3) and list(matrix.columns) == ["M1", "M2", "M3"]
    assert matrix.loc[("S1", "i4")].tolist() == [NV, "hate", NV]
    assert ratings_matrix(frame, roles=None).shape == (6, 4)
    gold = gold_labels(frame)
    assert gold["gold_label"].tolist() == _GOLD
    partial = frame.drop(index=frame.index[(frame["rater_id"] == "M3")
                                           & (frame["item_id"] == "i2")])
    assert ratings_matrix(partial)["M3"].isna().sum() == 1


def test_repeated_rating_and_expert_conflict_are_clear_errors():
    frame = hand_session()
    with pytest.raises(ValueError, match="repeated ratings"):
        ratings_matrix(pd.concat([frame, frame.iloc[[7]]]))
    second_expert = frame[frame["rater_id"] == "E1"].assign(rater_id="E2", label="spam")
    conflicted = pd.concat([frame, second_expert])
    with pytest.raises(ValueError, match="experts disagree on 4 items"):
        gold_labels(conflicted)
    kept = gold_labels(conflicted, on_conflict="drop")
    assert kept["item_id"].tolist() == ["i1", "i6"]  # where both experts said spam
    with pytest.raises(ValueError, match="lacks columns"):
        cal.rater_accuracy(frame.drop(columns="site"))


def test_gold_comparison_error_types():
    comp = cal.gold_comparison(hand_session())
    m1 = comp[comp["rater_id"] == "M1"].set_index("item_id")
    assert m1["over_enforcement"].tolist() == [False, False, True, False, False, False]
    assert m1["under_enforcement"].tolist() == [False, False, False, True, False, False]
    assert m1["wrong_policy"].tolist() == [False, False, False, False, False, True]
    assert (comp["rater_role"] != "expert").all() and len(comp) == 18


# --------------------------------------------------------------- per rater


def test_rater_accuracy_hand_worked():
    table = cal.rater_accuracy(hand_session(), min_items=5).set_index("rater_id")
    assert table.index.tolist() == ["M1", "M3", "M2"]  # worst first
    assert table["n_items"].tolist() == [6, 6, 6]
    assert table["accuracy"].tolist() == pytest.approx([3 / 6, 4 / 6, 1.0])
    assert table["under_enforcement_rate"].tolist() == pytest.approx([1 / 3, 2 / 3, 0.0])
    assert table["over_enforcement_rate"].tolist() == pytest.approx([1 / 3, 0.0, 0.0])
    assert table["wrong_policy_rate"].tolist() == pytest.approx([1 / 2, 0.0, 0.0])
    # Flags need an interval clearing the band: 6 items say too little to flag anyone.
    assert not table["outside_band"].any()
    assert table["leaning"].tolist() == ["no clear lean", "no clear lean", "within band"]
    assert table.loc["M3", "site"] == "site_a" and table.loc["M2", "rater_role"] == "auditor"
    for rater, labels in _LABELS.items():
        assert table.loc[rater, "kappa_vs_gold"] == pytest.approx(
            cohen_kappa_score(labels, _GOLD), abs=1e-12)
        low, high = proportion_confint(table.loc[rater, "n_correct"], 6, method="beta",
                                       alpha=1 - table.loc[rater, "ci_level"])
        assert table.loc[rater, "accuracy_ci_low"] == pytest.approx(low, abs=1e-12)
        assert table.loc[rater, "accuracy_ci_high"] == pytest.approx(high, abs=1e-12)
    few = cal.rater_accuracy(hand_session())  # default min_items=10
    assert not few["outside_band"].any()
    assert (few["flag_reason"] == "too few items (n < 10)").all()


def test_rater_accuracy_on_sample_data_matches_a_plain_recount(samples):
    table = cal.rater_accuracy(samples).set_index("rater_id")
    experts = samples[samples["rater_role"] == "expert"].set_index(["session_id", "item_id"])
    raters = samples[samples["rater_role"] != "expert"]
    gold = experts.loc[pd.MultiIndex.from_frame(raters[["session_id", "item_id"]]), "label"]
    raters = raters.assign(gold=gold.to_numpy())
    for rater, part in list(raters.groupby("rater_id"))[:40]:
        row = table.loc[rater]
        assert row["n_items"] == len(part)
        assert row["accuracy"] == pytest.approx((part["label"] == part["gold"]).mean())
        violation = part["gold"] != NV
        missed = (part["label"] == NV) & violation
        assert row["under_enforcement_rate"] == pytest.approx(
            missed.sum() / violation.sum() if violation.any() else np.nan, nan_ok=True)
        if len(set(part["label"]) | set(part["gold"])) > 1:
            assert row["kappa_vs_gold"] == pytest.approx(
                cohen_kappa_score(part["label"], part["gold"]), abs=1e-12)
        else:
            assert np.isnan(row["kappa_vs_gold"])


def test_planted_lenient_site_and_flags(samples):
    table = cal.rater_accuracy(samples)
    by_site = table.groupby("site")["under_enforcement_rate"].mean()
    assert by_site.idxmax() == "bpo_beta_cebu"  # planted: misses violations
    assert table["outside_band"].any()
    assert (table.loc[table["outside_band"], "n_items"] >= 10).all()
    lenient = table[table["leaning"].isin(["lenient", "lenient and strict"])]
    assert set(lenient["site"]) <= {"bpo_beta_cebu", "bpo_delta_bogota"}  # the planted sites


def test_confusion_counts_sum_to_ratings():
    counts = cal.confusion_counts(hand_session())
    m1 = counts[counts["rater_id"] == "M1"].set_index(["gold_label", "label"])["n_items"]
    assert m1.to_dict() == {("hate", NV): 1, (NV, NV): 2, (NV, "spam"): 1,
                            ("spam", "hate"): 1, ("spam", "spam"): 1}


# --------------------------------------------------------------- per session


def test_session_agreement_matches_peers(samples):
    long = session_agreement(samples)
    wide = long.pivot(index="session_id", columns="coefficient", values="value")
    assert len(wide) == samples["session_id"].nunique()
    for session_id in wide.index[:6]:
        part = samples[(samples["session_id"] == session_id)
                       & (samples["rater_role"] != "expert")]
        matrix = part.pivot_table(index="item_id", columns="rater_id", values="label",
                                  aggfunc="first")
        code = {label: k for k, label in enumerate(sorted(part["label"].unique()))}
        codes = matrix.apply(lambda col, code=code: col.map(code)).to_numpy(float)
        alpha = krippendorff.alpha(reliability_data=codes.T, level_of_measurement="nominal")
        assert wide.loc[session_id, "Krippendorff's alpha (nominal)"] == pytest.approx(
            alpha, abs=1e-9)
        if not np.isnan(codes).any():
            counts, _ = aggregate_raters(codes.astype(int))
            assert wide.loc[session_id, "Fleiss' kappa"] == pytest.approx(
                sm_fleiss_kappa(counts), abs=1e-9)
    # the planted skew: raw agreement and AC1 high, kappa far lower (the kappa paradox)
    assert (wide["percent agreement"] > 0.8).all() and (wide["Gwet's AC1"] > 0.8).all()
    assert (wide["Fleiss' kappa"] < wide["Gwet's AC1"] - 0.2).mean() > 0.5


def test_session_agreement_notes_instead_of_failing():
    one_label = hand_session("S2").assign(label="spam")
    lone = hand_session("S3")
    lone = lone[lone["rater_id"].isin(["E1", "M1"])]
    table = session_agreement(pd.concat([hand_session(), one_label, lone]))
    s1 = table[table["session_id"] == "S1"].set_index("coefficient")
    # item by item (M1, M2, M3): i1 1/3, i2 1, i3 1/3, i4 1/3, i5 1, i6 1/3
    assert s1.loc["percent agreement", "value"] == pytest.approx((2 + 4 / 3) / 6)
    assert (s1["note"] == "").all() and s1.loc["Fleiss' kappa", "n_raters"] == 3
    s2 = table[table["session_id"] == "S2"].set_index("coefficient")
    assert s2.loc["percent agreement", "value"] == 1.0
    assert s2.loc["Fleiss' kappa", "note"].startswith("Fleiss' kappa is undefined")
    s3 = table[table["session_id"] == "S3"]
    assert len(s3) == 1 and "at least 2 raters" in s3["note"].iloc[0]


def test_hardest_items_hand_worked():
    items = hardest_items(hand_session(), n=4)
    assert items["item_id"].tolist() == ["i4", "i1", "i3", "i6"]
    assert items["agreement_with_gold"].tolist() == pytest.approx([1 / 3, 2 / 3, 2 / 3, 2 / 3])
    assert items["top_wrong_label"].tolist() == [NV, NV, "spam", "hate"]
    assert items["top_wrong_share"].iloc[0] == pytest.approx(2 / 3)
    everyone = hardest_items(hand_session(), n=None)
    assert len(everyone) == 6 and everyone["top_wrong_label"].isna().sum() == 2


def test_label_agreement_hand_worked_and_category_kappa_peer():
    table = label_agreement(hand_session(), by_session=False).set_index("label")
    assert table.loc["spam", ["n_items", "n_ratings", "n_correct"]].tolist() == [2, 6, 4]
    assert table.loc["hate", "accuracy"] == pytest.approx(1 / 3)
    assert table.loc[NV, "accuracy"] == pytest.approx(8 / 9)
    # category kappa = Fleiss' kappa of "label vs the rest" among the three raters
    matrix = np.array(list(_LABELS.values())).T
    for label in ("spam", NV, "hate"):
        binary = (matrix == label).astype(int)
        counts, _ = aggregate_raters(binary)
        assert table.loc[label, "category_kappa"] == pytest.approx(sm_fleiss_kappa(counts),
                                                                   abs=1e-12)
    per_session = label_agreement(pd.concat([hand_session(), hand_session("S2")]))
    assert per_session.groupby("session_id").size().tolist() == [3, 3]


# --------------------------------------------------------------- drift


def random_comparison(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(4):
        days = np.sort(rng.choice(np.arange(0, 400, 7), size=int(rng.integers(2, 8)),
                                  replace=False))
        for s, day in enumerate(days):
            n = int(rng.integers(3, 30))
            p = np.clip(0.75 + rng.normal(0, 0.1) + (g - 1.5) * 0.0005 * day, 0.1, 0.9)
            for correct in rng.random(n) < p:
                rows.append({"rater_id": f"R{g}", "session_id": f"R{g}-{s}",
                             "session_date": pd.Timestamp("2026-01-05") + pd.Timedelta(
                                 days=int(day)), "correct": bool(correct),
                             "under_enforcement": not correct and rng.random() < 0.5,
                             "over_enforcement": False})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", range(12))
def test_trend_test_is_the_logistic_score_test(seed):
    comp = random_comparison(seed)
    result = trend_test(comp).set_index("rater_id")
    for rater, part in comp.groupby("rater_id"):
        t = (part["session_date"] - part["session_date"].min()).dt.days.to_numpy(float)
        y = part["correct"].to_numpy(float)
        if y.min() == y.max():
            continue  # no variation: the peer's fit is degenerate (see test_trend_edge_cases)
        null = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial()).fit()
        chi2, p_value, _ = null.model.score_test(null.params, exog_extra=t[:, None])
        assert result.loc[rater, "z"] ** 2 == pytest.approx(float(chi2[0]), rel=1e-9)
        assert result.loc[rater, "p_value"] == pytest.approx(float(p_value[0]), rel=1e-9)
        sessions = part.groupby("session_id").agg(day=("session_date", "first"),
                                                  acc=("correct", "mean"), n=("correct", "size"))
        days = (sessions["day"] - part["session_date"].min()).dt.days.to_numpy(float)
        wls = sm.WLS(sessions["acc"].to_numpy(), sm.add_constant(days),
                     weights=sessions["n"].to_numpy()).fit()
        assert result.loc[rater, "slope_per_30_days"] == pytest.approx(wls.params[1] * 30,
                                                                       rel=1e-9, abs=1e-12)
        assert np.sign(result.loc[rater, "z"]) == np.sign(wls.params[1])


def test_trend_edge_cases():
    comp = random_comparison(0)
    single = comp[comp["session_id"] == "R0-0"]
    perfect = comp[comp["rater_id"] == "R1"].assign(correct=True, rater_id="R9")
    result = trend_test(pd.concat([single, perfect])).set_index("rater_id")
    assert result.loc["R0", "trend"] == "fewer than 2 sessions"
    assert np.isnan(result.loc["R0", "slope_per_30_days"])
    assert result.loc["R9", ["z", "p_value", "slope_per_30_days"]].tolist() == [0.0, 1.0, 0.0]
    assert result.loc["R9", "trend"] == "no significant trend"


def test_planted_drifting_site(samples):
    trend = cal.drift_trend(samples, by="site").set_index("site")
    assert trend.loc["bpo_delta_bogota", "trend"] == "declining"
    assert trend["slope_per_30_days"].idxmin() == "bpo_delta_bogota"
    series = cal.alignment_by_session(samples, by="site")
    assert series.groupby("site")["session_date"].is_monotonic_increasing.all()
    assert (series["accuracy_ci_low"] <= series["accuracy"]).all()
    assert series.groupby("site")["n_ratings"].sum().sum() == (samples["rater_role"]
                                                               != "expert").sum()


def test_load_calibration_from_a_validated_store(samples):
    with open_store(SAMPLES) as store:
        frame = load_calibration(store)
    assert len(frame) == len(samples)
    assert cal.rater_accuracy(frame)["n_items"].sum() == cal.rater_accuracy(samples)[
        "n_items"].sum()
