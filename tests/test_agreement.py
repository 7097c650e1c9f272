"""Tests of the agreement coefficients (qa_insights.agreement.table and the modules behind it).

Three kinds of evidence:

1. Published values, copied with their citation into tests/refdata/*.json (see each
   file's ``source``), matched to the precision they were published with:
   Fleiss (1971) diagnoses via R irr; the Wikipedia Fleiss and Krippendorff examples;
   Krippendorff (2011) example C at all four levels; Gwet's R irrCAC vignettes
   (coefficients, SEs, CIs, p-values) and the Python irrCAC tests for all eight weight
   types of Gwet's Handbook; the SAS PROC FREQ kappa printout; R irr kappa2 on the anxiety
   data; the scikit-learn kappa examples.
2. Peers on random data, many seeds, missing ratings and string labels, to 1e-9:
   statsmodels (fleiss_kappa, cohens_kappa), scikit-learn cohen_kappa_score, krippendorff
   (all four levels), irrCAC (AC1, Fleiss, Brennan-Prediger, Krippendorff with SEs).
3. Invariants (Hypothesis): perfect agreement gives 1; permuting raters or items and
   renaming labels change nothing; the kappa paradox of qa-domain.md section 3.4.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from types import SimpleNamespace

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, cohens_kappa
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from qa_insights.agreement.fleiss import (
    fleiss_category_kappas,
    fleiss_kappa,
    fleiss_kappa_ci,
    fleiss_kappa_test,
)
from qa_insights.agreement.gwet import (
    brennan_prediger,
    brennan_prediger_ci,
    gwet_ac1,
    gwet_ac1_ci,
    percent_agreement,
    percent_agreement_ci,
)
from qa_insights.agreement.kappa import (
    UndefinedAgreementError,
    cohen_kappa,
    cohen_kappa_ci,
    cohen_kappa_from_table,
    contingency_table,
    kappa_from_tables,
)
from qa_insights.agreement.krippendorff_alpha import krippendorff_alpha, krippendorff_alpha_ci
from qa_insights.agreement.ratings_matrix import (
    WEIGHT_TYPES,
    counts_to_ratings,
    ratings_to_counts,
    weight_matrix,
)
from qa_insights.agreement.table import agreement_table, bootstrap_ci

REFDATA = Path(__file__).parent / "refdata"
SEEDS = range(30)
TOL = 1e-9


def ref(name: str) -> dict:
    return json.loads((REFDATA / f"{name}.json").read_text())


def decimals(published: float) -> int:
    """Decimal places of a published number as stored (0.14295 -> 5, 4.345373e-05 -> 11)."""
    text = repr(float(published))
    if "e" in text:
        mantissa, exponent = text.split("e")
        return (len(mantissa.split(".")[1]) if "." in mantissa else 0) - int(exponent)
    return len(text.split(".")[1])


def assert_published(actual: float, published: float, digits: int | None = None) -> None:
    """``actual`` rounds to ``published`` at the published precision (half a unit of the
    last printed digit)."""
    places = decimals(published) if digits is None else digits
    assert abs(actual - published) <= 0.5 * 10.0**-places + 1e-12, (actual, published, places)


def table_to_pairs(table, categories=None) -> tuple[np.ndarray, np.ndarray]:
    """Two label vectors with the cell counts of a contingency table."""
    t = np.asarray(table)
    q = t.shape[0]
    labels = np.arange(1, q + 1) if categories is None else np.asarray(categories)
    rows = np.repeat(np.repeat(np.arange(q), q), t.ravel())
    cols = np.repeat(np.tile(np.arange(q), q), t.ravel())
    return labels[rows], labels[cols]


def simulated(seed: int, n_items: int = 40, n_raters: int = 4, n_cats: int = 4,
              missing: float = 0.0, strings: bool = False) -> pd.DataFrame:
    """Ratings with real agreement: a true class per item, raters right with prob. 0.7."""
    rng = np.random.default_rng(seed)
    prior = rng.dirichlet(np.ones(n_cats))
    truth = rng.choice(n_cats, size=n_items, p=prior)
    right = rng.random((n_items, n_raters)) < 0.7
    noise = rng.integers(0, n_cats, size=(n_items, n_raters))
    codes = np.where(right, truth[:, None], noise)
    codes[:, 0] = np.arange(n_items) % n_cats  # every category occurs
    labels = (np.array([f"policy_{k}" for k in range(n_cats)], dtype=object) if strings
              else np.arange(1, n_cats + 1, dtype=float))
    values = labels[codes].astype(object if strings else float)
    drop = rng.random(values.shape) < missing
    drop[:, 0] = False  # ... and stays observed
    values[drop] = None if strings else np.nan
    return pd.DataFrame(values, columns=[f"r{j}" for j in range(n_raters)])


def observed(frame: pd.DataFrame) -> list:
    return sorted(pd.unique(frame.to_numpy().ravel()[frame.notna().to_numpy().ravel()]))


# --------------------------------------------------------------- published: Fleiss


def test_fleiss_1971_diagnoses_overall_z_and_category_kappas():
    data = ref("fleiss1971_diagnoses")
    raw, exp = data["data"]["raw"], data["expected"]
    assert_published(fleiss_kappa(raw), exp["fleiss_kappa"]["value"])
    assert_published(fleiss_kappa(counts_to_ratings(data["data"]["counts"])),
                     exp["fleiss_kappa"]["value"])
    test = fleiss_kappa_test(raw)
    assert_published(test.kappa, exp["fleiss_kappa"]["value"])
    assert_published(test.z, exp["fleiss_kappa_z"]["value"])
    assert test.p_value < 1e-50  # R irr prints p-value = 0
    names = dict(enumerate(data["categories"], start=1))
    category = fleiss_category_kappas(raw)
    for code, value in category.items():
        assert_published(value, exp["category_kappa"]["values"][names[code]], digits=3)
    by_test = test.by_category.set_index("category")["kappa"]
    assert np.allclose(by_test.to_numpy(), category.to_numpy(), atol=1e-15)


def test_fleiss_1971_cohen_kappa_raters_2_and_3():
    data = ref("fleiss1971_diagnoses")
    raw = np.asarray(data["data"]["raw"])
    est = cohen_kappa_ci(raw[:, 1], raw[:, 2])
    expected = data["expected"]["cohen_kappa_rater2_vs_rater3_unweighted"]
    assert_published(est.value, expected["value"], digits=3)
    assert_published(est.statistic, expected["z"], digits=3)


def test_fleiss_wikipedia_14_raters():
    data = ref("fleiss_wikipedia_14raters")
    ratings = counts_to_ratings(data["data"]["counts"])
    assert ratings.shape == (10, 14) and ratings.notna().all().all()
    exp = data["expected"]
    assert_published(fleiss_kappa(ratings), exp["fleiss_kappa"]["value"], digits=3)
    assert_published(fleiss_kappa(ratings), exp["fleiss_kappa_4dp"]["value"], digits=4)
    test = fleiss_kappa_test(ratings)
    assert_published(test.se_null, exp["se0_overall"]["value"], digits=4)
    assert_published(test.z, exp["z"]["value"], digits=4)
    for got, want in zip(test.by_category["kappa"], exp["category_kappa"]["values"]):
        assert_published(got, want, digits=4)
    for got in test.by_category["se_null"]:
        assert_published(got, exp["category_se"]["value"], digits=4)


# --------------------------------------------------------------- published: Krippendorff


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_krippendorff_2011_example_c_all_levels(level):
    data = ref("krippendorff2011_example_C")
    ratings = np.array(data["data"]["reliability_data"], dtype=float).T  # items x observers
    published = data["expected"][f"alpha_{level}"]["value"]
    assert_published(krippendorff_alpha(ratings, level), published, digits=3)
    peer = krippendorff.alpha(reliability_data=ratings.T, level_of_measurement=level)
    assert krippendorff_alpha(ratings, level) == pytest.approx(peer, abs=TOL)


def test_krippendorff_wikipedia_three_coders():
    data = ref("krippendorff_wikipedia_3coders")
    ratings = np.array(data["data"]["reliability_data"], dtype=float).T
    exp = data["expected"]
    assert_published(krippendorff_alpha(ratings), exp["alpha_nominal"]["value"], digits=3)
    assert_published(krippendorff_alpha(ratings),
                     exp["alpha_nominal"]["value_6dp_krippendorff_docstring"], digits=6)
    assert_published(krippendorff_alpha(ratings, "interval"), exp["alpha_interval"]["value"],
                     digits=3)
    assert_published(krippendorff_alpha(ratings, "interval"),
                     exp["alpha_interval"]["value_6dp_krippendorff_docstring"], digits=6)


# --------------------------------------------------------------- published: Gwet irrCAC

_RAW4_UNWEIGHTED = {"percent_agreement": percent_agreement_ci, "gwet_ac1": gwet_ac1_ci,
                    "fleiss_kappa": fleiss_kappa_ci, "brennan_prediger": brennan_prediger_ci,
                    "krippendorff_alpha": krippendorff_alpha_ci}
_RAW4_QUADRATIC = {"percent_agreement": percent_agreement_ci, "gwet_ac2": gwet_ac1_ci,
                   "fleiss_kappa": fleiss_kappa_ci, "brennan_prediger": brennan_prediger_ci}


def _assert_vignette(est, expected: dict) -> None:
    """Coefficient, SE, 95% CI, p-value, pa and pe as printed in the irrCAC vignette."""
    assert_published(est.value, expected["coeff"])
    assert_published(est.se, expected["se"])
    assert_published(est.ci_low, expected["ci_95"][0])
    assert_published(est.ci_high, expected["ci_95"][1])
    assert_published(est.p_value, expected["p_value"])
    if "pe" in expected:
        assert_published(est.pa, expected["pa"])
        assert_published(est.pe, expected["pe"])


@pytest.mark.parametrize("coefficient", sorted(_RAW4_UNWEIGHTED))
def test_irrcac_raw4raters_unweighted(coefficient):
    data = ref("gwet_irrcac_raw4raters")
    ratings = pd.DataFrame(data["data"]["raw"], columns=data["data"]["raters"], dtype=float)
    est = _RAW4_UNWEIGHTED[coefficient](ratings)
    _assert_vignette(est, data["expected"]["unweighted_R_irrCAC_vignette"][coefficient])
    # 12 subjects, including the one with a single rating; alpha uses the 11 pairable ones
    assert est.distribution == ("t(10)" if coefficient == "krippendorff_alpha" else "t(11)")


@pytest.mark.parametrize("coefficient", sorted(_RAW4_QUADRATIC))
def test_irrcac_raw4raters_quadratic(coefficient):
    data = ref("gwet_irrcac_raw4raters")
    ratings = pd.DataFrame(data["data"]["raw"], dtype=float)
    est = _RAW4_QUADRATIC[coefficient](ratings, weights="quadratic")
    _assert_vignette(est, data["expected"]["quadratic_R_irrCAC_vignette"][coefficient])


def test_irrcac_raw4raters_quadratic_krippendorff_is_interval_alpha():
    data = ref("gwet_irrcac_raw4raters")
    est = krippendorff_alpha_ci(pd.DataFrame(data["data"]["raw"], dtype=float), "interval")
    expected = data["expected"]["quadratic_R_irrCAC_vignette"]["krippendorff_alpha"]
    _assert_vignette(est, expected)
    assert est.distribution == "t(10)"  # alpha: the 11 pairable subjects


_GWET_FAMILY = {"gwet_ac1": gwet_ac1_ci, "fleiss_kappa": fleiss_kappa_ci,
                "brennan_prediger": brennan_prediger_ci}
#: Krippendorff's alpha at the level whose metric equals Gwet's weights (README note 3)
_ALPHA_LEVEL_OF_WEIGHTS = {"identity": "nominal", "quadratic": "interval", "ratio": "ratio"}
#: irrCAC's Python tests store 3.0 where they assert nothing (e.g. table Krippendorff)
_NOT_ASSERTED = 3.0


def _assert_python_test(est, want: dict, p_value: float | None = None) -> None:
    """Every field an irrCAC Python test asserts, at its 3 d.p. (p-value: its own d.p.)."""
    for field, got in (("coefficient_value", est.value), ("pa", est.pa), ("pe", est.pe),
                       ("se", est.se), ("ci_lower", est.ci_low), ("ci_upper", est.ci_high)):
        if field in want and want[field] != _NOT_ASSERTED:
            assert_published(got, want[field], digits=3)
    if "p_value" in want:
        got = est.p_value if p_value is None else p_value
        assert_published(got, want["p_value"], digits=want["p_value_rounding_dp"])


@pytest.mark.parametrize("weights", WEIGHT_TYPES)
@pytest.mark.parametrize("coefficient", sorted(_GWET_FAMILY))
def test_irrcac_raw4raters_every_weight_type(coefficient, weights):
    """Python irrCAC tests, all eight weight types (Gwet 2014, ch. 3) on labels 1..5, where
    ranks and values coincide. Brennan-Prediger: Python irrCAC prints a one-sided p-value,
    half of R irrCAC's two-sided one (README note 1); we follow R, so its half is compared."""
    data = ref("gwet_irrcac_raw4raters")
    ratings = pd.DataFrame(data["data"]["raw"], dtype=float)
    want = data["expected"]["other_weights_irrCAC_python_tests_3dp"][weights][coefficient]
    est = _GWET_FAMILY[coefficient](ratings, weights=weights)
    one_sided = est.p_value / 2 if coefficient == "brennan_prediger" else None
    _assert_python_test(est, want, p_value=one_sided)
    assert est.distribution == "t(11)"


@pytest.mark.parametrize("weights", sorted(_ALPHA_LEVEL_OF_WEIGHTS))
def test_irrcac_raw4raters_weighted_krippendorff_is_alpha_of_that_metric(weights):
    """irrCAC's identity, quadratic and ratio weights give nominal, interval and ratio alpha
    (README note 3), SE, interval and p-value included. The ``weights=`` form of alpha is
    tested on every weight type in test_krippendorff_alpha_weighted.py."""
    data = ref("gwet_irrcac_raw4raters")
    ratings = pd.DataFrame(data["data"]["raw"], dtype=float)
    want = data["expected"]["other_weights_irrCAC_python_tests_3dp"][weights]
    _assert_python_test(krippendorff_alpha_ci(ratings, _ALPHA_LEVEL_OF_WEIGHTS[weights]),
                        want["krippendorff_alpha"])


def test_irrcac_ordinal_weights_are_not_krippendorff_ordinal_alpha():
    """README note 3: with Gwet's ordinal weights irrCAC gives 0.834 on example C; we
    implement Krippendorff's ordinal metric and match his published 0.815 instead."""
    data = ref("gwet_irrcac_raw4raters")
    ratings = pd.DataFrame(data["data"]["raw"], dtype=float)
    gwet_ordinal = data["expected"]["other_weights_irrCAC_python_tests_3dp"]["ordinal"]
    ours = krippendorff_alpha(ratings, "ordinal")
    assert_published(ours, ref("krippendorff2011_example_C")["expected"]["alpha_ordinal"]
                     ["value"])
    assert abs(ours - gwet_ordinal["krippendorff_alpha"]["coefficient_value"]) > 0.01


_DIST6 = {"gwet_ac1": gwet_ac1_ci, "fleiss_kappa": fleiss_kappa_ci,
          "brennan_prediger": brennan_prediger_ci}


@pytest.mark.parametrize("coefficient", sorted(_DIST6))
def test_irrcac_distrib6raters_from_counts(coefficient):
    data = ref("gwet_irrcac_distrib6raters")
    categories = data["data"]["categories"]
    ratings = counts_to_ratings(data["data"]["counts"], categories)
    unweighted = data["expected"]["unweighted_R_irrCAC_vignette"]
    _assert_vignette(_DIST6[coefficient](ratings, categories=categories), unweighted[coefficient])
    # quadratic weights on the category ranks 1..5: the order must be the given one
    quadratic = data["expected"]["quadratic_R_irrCAC_vignette"]
    name = "gwet_ac2" if coefficient == "gwet_ac1" else coefficient
    est = _DIST6[coefficient](ratings, weights="quadratic", categories=categories)
    _assert_vignette(est, quadratic[name])


def test_irrcac_distrib6raters_krippendorff_coefficient():
    # R krippen.alpha.dist has its own variance formula (refdata README note 2); only the
    # coefficients are comparable with the raw-ratings form.
    data = ref("gwet_irrcac_distrib6raters")
    ratings = counts_to_ratings(data["data"]["counts"], categories=[1, 2, 3, 4, 5])
    exp = data["expected"]
    assert_published(krippendorff_alpha(ratings),
                     exp["unweighted_R_irrCAC_vignette"]["krippendorff_alpha"]["coeff"])
    assert_published(krippendorff_alpha(ratings, "interval"),
                     exp["quadratic_R_irrCAC_vignette"]["krippendorff_alpha"]["coeff"])


def test_irrcac_dist4cat_ac1():
    data = ref("gwet_irrcac_dist4cat")
    ratings = counts_to_ratings(data["data"]["counts"], data["data"]["categories"])
    assert_published(gwet_ac1(ratings), data["expected"]["gwet_ac1"]["value"])


def test_irrcac_cont3x3abstractors():
    """Two raters given as a 3x3 table. irrCAC's table functions divide the variance by n**2
    where its raw-ratings functions (ours) divide by n (n - 1); the SEs differ by
    sqrt(n / (n - 1)) exactly, so the published table SEs are checked after that factor."""
    data = ref("gwet_irrcac_cont3x3abstractors")
    categories = data["data"]["categories"]
    a, b = table_to_pairs(data["data"]["table"], categories)
    ratings = np.column_stack([a, b])
    n = len(a)
    table_factor = np.sqrt((n - 1) / n)
    for weights, key in ((None, "unweighted_R_irrCAC_vignette"),
                         ("quadratic", "quadratic_R_irrCAC_vignette")):
        exp = data["expected"][key]
        cohen = cohen_kappa_ci(a, b, weights=weights, categories=categories)
        assert_published(cohen.value, exp["cohen_kappa"]["coeff"])
        assert_published(cohen.se, exp["cohen_kappa"]["se"])  # FCE SE: same in every peer
        for name, fn in (("percent_agreement", percent_agreement_ci),
                         ("gwet_ac2" if weights else "gwet_ac1", gwet_ac1_ci),
                         ("brennan_prediger", brennan_prediger_ci),
                         ("scott_pi", fleiss_kappa_ci)):  # Fleiss' kappa of 2 raters
            est = fn(ratings, weights=weights, categories=categories)
            assert_published(est.value, exp[name]["coeff"])
            assert_published(est.se * table_factor, exp[name]["se"])
    alpha = krippendorff_alpha_ci(ratings)
    assert_published(alpha.value, data["expected"]["unweighted_R_irrCAC_vignette"]
                     ["krippendorff_alpha"]["coeff"])
    # quadratic-weighted alpha is interval alpha on the ranks 1..3 (README note 3)
    ranks = np.column_stack(table_to_pairs(data["data"]["table"])).astype(float)
    assert_published(krippendorff_alpha(ranks, "interval"), data["expected"]
                     ["quadratic_R_irrCAC_vignette"]["krippendorff_alpha"]["coeff"])


_TABLE_COEFFICIENTS = {"percent_agreement": percent_agreement_ci, "gwet_ac1": gwet_ac1_ci,
                       "brennan_prediger": brennan_prediger_ci,
                       "scott_pi": fleiss_kappa_ci}  # Fleiss' kappa of 2 raters


def _as_irrcac_table_estimate(est, n: int, scale: float = 1.0) -> SimpleNamespace:
    """Our estimate restated in irrCAC's table-function conventions: SE times ``scale``
    and interval ``value -/+ t(n - 1) SE``, upper bound truncated at 1 (README note 6).
    We keep our conventions (raw-ratings SE; normal CI for Cohen) and test these."""
    se = est.se * scale
    half = stats.t.ppf(0.975, n - 1) * se
    return SimpleNamespace(value=est.value, pa=est.pa, pe=est.pe, se=se,
                           ci_low=est.value - half, ci_high=min(1.0, est.value + half))


@pytest.mark.parametrize("weights", WEIGHT_TYPES)
@pytest.mark.parametrize("dataset, key", [
    ("gwet_irrcac_cont3x3abstractors", "other_weights_irrCAC_python_tests_3dp"),
    ("gwet_irrcac_cont4x4diagnosis", "irrCAC_python_tests_3dp")])
def test_irrcac_tables_every_weight_type(dataset, key, weights):
    """Python irrCAC table tests (3 d.p.): Cohen's kappa, percent agreement, AC1/AC2,
    Brennan-Prediger and Scott's pi with all eight weight types, categories at ranks 1..q.
    irrCAC's table SE divides by n**2 where the raw form (ours) divides by n (n - 1), so the
    Gwet-family SEs are compared after sqrt((n - 1) / n) (see
    test_irrcac_cont3x3abstractors); Cohen's SE is the FCE one everywhere. Our intervals
    follow our conventions, so the published ones are rebuilt from our value and SE."""
    data = ref(dataset)
    a, b = table_to_pairs(data["data"]["table"])
    n = len(a)
    cases = data["expected"][key][weights]
    cohen = _as_irrcac_table_estimate(cohen_kappa_ci(a, b, weights=weights), n)
    _assert_python_test(cohen, cases["cohen_kappa"])
    for name, fn in _TABLE_COEFFICIENTS.items():
        est = fn(np.column_stack([a, b]), weights=weights)
        _assert_python_test(_as_irrcac_table_estimate(est, n, np.sqrt((n - 1) / n)),
                            cases[name])


def test_irrcac_cont3x3_circular_weights_are_identity():
    """With 3 categories on a circle every pair is one step apart: circular = identity,
    which is why irrCAC's cont3x3abstractors circular values equal the unweighted ones."""
    assert weight_matrix("circular", 3) == pytest.approx(np.eye(3), abs=1e-15)


@pytest.mark.parametrize("q", [2, 3, 4, 5, 7])
@pytest.mark.parametrize("weights", WEIGHT_TYPES)
def test_weight_matrices_match_irrcac(weights, q):
    peer = pytest.importorskip("irrCAC.weights").Weights(list(range(1, q + 1)))[weights]
    assert weight_matrix(weights, q) == pytest.approx(peer, abs=1e-15)


@pytest.mark.parametrize("dataset", ["raw_5observers", "raw_ben_gerry", "raw_g1g2",
                                     "raw_gender"])
def test_irrcac_missing_data_regressions(dataset):
    """Single source (Python irrCAC tests, README table): value, pa, pe, SE, interval and
    p-value; Brennan-Prediger's p-value there is one-sided (note 1), ours two-sided."""
    data = ref("gwet_irrcac_raw_missing_extra")["datasets"][dataset]
    ratings = pd.DataFrame(data["raw"], columns=data["raters"])
    want = data["expected_irrCAC_python_tests_3dp"]
    for name, fn in (*_GWET_FAMILY.items(), ("krippendorff_alpha", krippendorff_alpha_ci)):
        est = fn(ratings)
        one_sided = est.p_value / 2 if name == "brennan_prediger" else None
        _assert_python_test(est, want[name], p_value=one_sided)


# --------------------------------------------------------------- published: Cohen


def test_sas_proc_freq_kappa_printout():
    data = ref("cohen_kappa_sas_3x3_statsmodels")
    table = data["data"]["table"]
    for weights, key in ((None, "simple_kappa"),
                         ("linear", "weighted_kappa_linear_cicchetti_allison")):
        est, want = cohen_kappa_from_table(table, weights=weights), data["expected"][key]
        assert_published(est.value, want["kappa"], digits=4)
        assert_published(est.se, want["ase"], digits=4)
        assert_published(est.ci_low, want["ci95_lower"], digits=4)
        assert_published(est.ci_high, want["ci95_upper"], digits=4)
        assert_published(est.se_null, want["ase_under_H0"], digits=4)
        assert_published(est.statistic, want["z"], digits=4)
        assert_published(est.p_value, want["p_two_sided"], digits=4)
        # SAS also prints the one-sided p; ours is two-sided, so z > 0 gives half of it
        assert est.statistic > 0
        assert_published(est.p_value / 2, want["p_one_sided"], digits=4)
        # the same through label vectors (category 1 is never used by rater 2)
        a, b = table_to_pairs(table)
        assert cohen_kappa(a, b, weights=weights) == pytest.approx(est.value, abs=1e-15)


def test_r_irr_kappa2_anxiety_weights():
    data = ref("irr_anxiety_weighted_kappa")
    raw = np.asarray(data["data"]["raw"])
    exp = data["expected"]

    def r_irr_weights(vector: list[float]) -> np.ndarray:
        # R irr: a numeric weight vector gives disagreement by index distance, scaled to [0, 1]
        v = np.asarray(vector, dtype=float)
        q = len(v)
        return 1.0 - v[np.abs(np.subtract.outer(np.arange(q), np.arange(q)))] / v.max()

    squared = cohen_kappa_ci(raw[:, 0], raw[:, 1], weights="quadratic")
    assert_published(squared.value, exp["raters_1_2"]["squared"]["kappa"], digits=3)
    assert_published(squared.statistic, exp["raters_1_2"]["squared"]["z"], digits=2)
    assert_published(squared.p_value, exp["raters_1_2"]["squared"]["p"], digits=2)
    for key, vector in (("weights_0,0,0,1,1,1", [0, 0, 0, 1, 1, 1]),
                        ("weights_0,0,1,1,2,2", [0, 0, 1, 1, 2, 2])):
        est = cohen_kappa_ci(raw[:, 0], raw[:, 1], weights=r_irr_weights(vector))
        assert_published(est.value, exp["raters_1_2"][key]["kappa"])
        assert_published(est.statistic, exp["raters_1_2"][key]["z"])
        assert_published(est.p_value, exp["raters_1_2"][key]["p"])
    pair = exp["raters_2_3"]  # levels {1,2,3,4,6}: 4 -> 6 is one step (note 4)
    for weights, key in ((None, "unweighted"), ("linear", "equal (linear)"),
                         ("quadratic", "squared (quadratic)"),
                         (r_irr_weights([0, 0, 1, 1, 2]), "weights_0,0,1,1,2")):
        est = cohen_kappa_ci(raw[:, 1], raw[:, 2], weights=weights)
        assert_published(est.value, pair[key]["kappa"])
        assert_published(est.statistic, pair[key]["z"])
        assert_published(est.p_value, pair[key]["p"])
    # a fixed 1..6 scale changes the weighted value (sklearn labels=1..6, note 4)
    full = cohen_kappa(raw[:, 1], raw[:, 2], weights="linear", categories=[1, 2, 3, 4, 5, 6])
    assert full == pytest.approx(data["peer_check"]["sklearn.cohen_kappa_score (labels = observed "
                                                    "union, index weights)"]
                                 ["raters_2_3_labels_1to6"]["linear"], abs=TOL)


def test_sklearn_cohen_kappa_examples():
    for case in ref("sklearn_cohen_kappa_examples")["cases"]:
        a, b = case["rater1_labels"], case["rater2_labels"]
        for weights, want in case["expected"].items():
            got = cohen_kappa(a, b, weights=None if weights == "unweighted" else weights)
            assert_published(got, want, digits=case["digits"])
        assert cohen_kappa_from_table(case["table"]).value == pytest.approx(
            cohen_kappa(a, b), abs=1e-15)


# --------------------------------------------------------------- kappa paradox


def test_kappa_paradox_skewed_vs_balanced_labels():
    """qa-domain.md 3.4: 92% agreement on a skewed label (94% benign) gives kappa 0.29 but
    AC1 0.91; on a balanced label, kappa 0.84 and AC1 0.84."""
    skewed = np.array([["benign", "benign"]] * 90 + [["violating", "violating"]] * 2
                      + [["benign", "violating"]] * 4 + [["violating", "benign"]] * 4)
    balanced = np.array([["benign", "benign"]] * 46 + [["violating", "violating"]] * 46
                        + [["benign", "violating"]] * 4 + [["violating", "benign"]] * 4)
    assert round(percent_agreement(skewed), 2) == 0.92 == round(percent_agreement(balanced), 2)
    assert round(cohen_kappa(skewed[:, 0], skewed[:, 1]), 2) == 0.29
    assert round(gwet_ac1(skewed), 2) == 0.91
    assert round(cohen_kappa(balanced[:, 0], balanced[:, 1]), 2) == 0.84
    assert round(gwet_ac1(balanced), 2) == 0.84
    table = agreement_table(skewed).set_index("coefficient")["value"]
    assert table["Krippendorff's alpha (nominal)"] < 0.35
    assert table["Gwet's AC1"] > 0.9


# --------------------------------------------------------------- peers, random data


@pytest.mark.parametrize("seed", SEEDS)
def test_fleiss_matches_statsmodels_on_complete_data(seed):
    ratings = simulated(seed, n_items=50, n_raters=3 + seed % 4, strings=seed % 2 == 1)
    counts, _ = aggregate_raters(ratings.to_numpy())
    assert fleiss_kappa(ratings) == pytest.approx(sm_fleiss_kappa(counts), abs=TOL)
    assert brennan_prediger(ratings) == pytest.approx(
        sm_fleiss_kappa(counts, method="randolph"), abs=TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_gwet_family_matches_irrcac_with_missing_data(seed):
    raw = pytest.importorskip("irrCAC.raw")
    strings = seed % 2 == 1
    ratings = simulated(seed, n_items=30, n_raters=4, n_cats=3 + seed % 3, missing=0.25,
                        strings=strings)
    weights = (None, "linear", "quadratic")[seed % 3]
    # irrCAC's default category list picks up NaN under pandas >= 2.2: pass it explicitly
    peer = raw.CAC(ratings, weights=weights or "identity", categories=observed(ratings),
                   digits=15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pairs = [(gwet_ac1_ci, peer.gwet()), (fleiss_kappa_ci, peer.fleiss()),
                 (brennan_prediger_ci, peer.bp())]
    for fn, result in pairs:
        est, want = fn(ratings, weights=weights), result["est"]
        assert est.value == pytest.approx(want["coefficient_value"], abs=TOL)
        assert est.se == pytest.approx(want["se"], abs=TOL)
        assert est.pa == pytest.approx(want["pa"], abs=TOL)
        assert est.pe == pytest.approx(want["pe"], abs=TOL)
        assert est.ci_low == pytest.approx(want["confidence_interval"][0], abs=TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_krippendorff_se_matches_irrcac(seed):
    raw = pytest.importorskip("irrCAC.raw")
    # irrCAC's quadratic weights on numeric labels reproduce interval alpha (README note 3)
    level, weights = ("nominal", "identity") if seed % 2 else ("interval", "quadratic")
    ratings = simulated(seed, n_items=30, n_raters=3 + seed % 3, missing=0.3,
                        strings=level == "nominal" and seed % 4 == 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = raw.CAC(ratings, weights=weights, categories=observed(ratings),
                       digits=15).krippendorff()["est"]
    est = krippendorff_alpha_ci(ratings, level)
    assert est.value == pytest.approx(want["coefficient_value"], abs=TOL)
    assert est.se == pytest.approx(want["se"], abs=TOL)
    assert est.pa == pytest.approx(want["pa"], abs=TOL)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_krippendorff_matches_package(seed, level):
    ratings = simulated(seed, n_items=25 + seed, n_raters=2 + seed % 5, n_cats=2 + seed % 6,
                        missing=0.35)
    values = ratings.to_numpy()
    peer = krippendorff.alpha(reliability_data=values.T, level_of_measurement=level)
    assert krippendorff_alpha(values, level) == pytest.approx(peer, abs=TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_krippendorff_nonuniform_values_match_package(seed):
    rng = np.random.default_rng(seed)
    scale = np.sort(rng.choice(np.arange(1, 40), size=5, replace=False)).astype(float)
    codes = np.asarray(simulated(seed, n_items=30, n_raters=4, n_cats=5, missing=0.2))
    values = np.where(np.isnan(codes), np.nan, scale[np.nan_to_num(codes).astype(int) - 1])
    for level in ("ordinal", "interval", "ratio"):
        peer = krippendorff.alpha(reliability_data=values.T, level_of_measurement=level)
        assert krippendorff_alpha(values, level) == pytest.approx(peer, abs=TOL)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_matches_sklearn_and_statsmodels(seed, weights):
    ratings = simulated(seed, n_items=60, n_raters=2, n_cats=2 + seed % 5, missing=0.1,
                        strings=seed % 2 == 1)
    pairs = ratings.dropna()
    a, b = pairs["r0"].to_numpy(), pairs["r1"].to_numpy()
    est = cohen_kappa_ci(ratings["r0"], ratings["r1"], weights=weights)
    assert est.n_items == len(pairs)
    assert est.value == pytest.approx(cohen_kappa_score(a, b, weights=weights), abs=TOL)
    labels = sorted(set(a) | set(b))
    table = pd.crosstab(a, b).reindex(index=labels, columns=labels, fill_value=0)
    sm = cohens_kappa(table.to_numpy(), wt=weights)
    assert est.value == pytest.approx(sm.kappa, abs=TOL)
    assert est.se == pytest.approx(sm.std_kappa, abs=TOL)
    assert est.se_null == pytest.approx(sm.std_kappa0, abs=TOL)
    assert est.ci_low == pytest.approx(sm.kappa_low, abs=TOL)
    assert est.ci_high == pytest.approx(min(1.0, sm.kappa_upp), abs=TOL)


def test_kappa_from_tables_is_vectorised_cohen():
    rng = np.random.default_rng(7)
    tables = rng.integers(0, 20, size=(6, 4, 4))
    stacked = kappa_from_tables(tables, weights="linear")
    for k, table in enumerate(tables):
        sm = cohens_kappa(table, wt="linear")
        assert stacked["kappa"][k] == pytest.approx(sm.kappa, abs=TOL)
        assert stacked["se"][k] == pytest.approx(sm.std_kappa, abs=TOL)
    assert np.isnan(kappa_from_tables([[5, 0], [0, 0]])["kappa"])


# --------------------------------------------------------------- invariants (Hypothesis)

_LABELS = ["no_violation", "spam", "hate_speech", "nudity"]


@st.composite
def ratings_matrices(draw, min_raters: int = 2, with_missing: bool = True):
    n_items = draw(st.integers(3, 12))
    n_raters = draw(st.integers(min_raters, 5))
    label = st.sampled_from(_LABELS)
    cell = st.one_of(st.none(), label) if with_missing else label
    rows = draw(st.lists(st.lists(cell, min_size=n_raters, max_size=n_raters),
                         min_size=n_items, max_size=n_items))
    frame = pd.DataFrame(rows, dtype=object)
    counts = frame.notna().sum(axis=1)
    if (counts >= 2).sum() < 2 or frame.stack().nunique() < 2:
        frame.iloc[0, :2] = "spam"
        frame.iloc[1, :2] = "no_violation"
    return frame


def _values(frame: pd.DataFrame) -> list[float]:
    out = []
    for fn in (percent_agreement, fleiss_kappa, gwet_ac1, brennan_prediger, krippendorff_alpha):
        try:
            out.append(fn(frame))
        except UndefinedAgreementError:
            out.append(np.nan)
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(_LABELS), min_size=3, max_size=15), st.integers(2, 5),
       st.data())
def test_perfect_agreement_gives_one(labels, n_raters, data):
    labels = ["spam", "no_violation", *labels]
    matrix = np.array([[label] * n_raters for label in labels], dtype=object)
    holes = data.draw(st.lists(st.booleans(), min_size=matrix.size, max_size=matrix.size))
    mask = np.array(holes).reshape(matrix.shape)
    mask[:, :2] = False  # every item keeps 2 ratings
    matrix[mask] = None
    for value in _values(pd.DataFrame(matrix)):
        assert value == pytest.approx(1.0, abs=1e-12)
    assert cohen_kappa(matrix[:, 0], matrix[:, 1]) == pytest.approx(1.0, abs=1e-12)
    assert cohen_kappa(matrix[:, 0], matrix[:, 1], weights="quadratic") == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(ratings_matrices(), st.randoms(use_true_random=False))
def test_permuting_items_and_raters_changes_nothing(frame, rnd):
    rows = list(range(frame.shape[0]))
    cols = list(range(frame.shape[1]))
    rnd.shuffle(rows)
    rnd.shuffle(cols)
    shuffled = frame.iloc[rows, cols]
    np.testing.assert_allclose(_values(shuffled), _values(frame), atol=1e-12)
    before, after = gwet_ac1_ci(frame), gwet_ac1_ci(shuffled)
    assert after.se == pytest.approx(before.se, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(ratings_matrices(), st.permutations(range(len(_LABELS))))
def test_renaming_labels_changes_nothing(frame, order):
    renamed = frame.replace({old: f"L{order[k]}" for k, old in enumerate(_LABELS)})
    np.testing.assert_allclose(_values(renamed), _values(frame), atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(ratings_matrices(min_raters=2, with_missing=False))
def test_cohen_is_symmetric(frame):
    a, b = frame.iloc[:, 0], frame.iloc[:, 1]
    try:
        forward = cohen_kappa_ci(a, b, weights="linear")
    except UndefinedAgreementError:
        return
    backward = cohen_kappa_ci(b, a, weights="linear")
    assert backward.value == pytest.approx(forward.value, abs=1e-12)
    # a variance of exactly 0 can come out as +-1e-17 from rounding: sqrt makes it ~1e-8
    assert backward.se == pytest.approx(forward.se, abs=1e-7)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.1, 50), st.floats(-100, 100))
def test_interval_alpha_is_invariant_to_linear_rescaling(seed, scale, shift):
    ratings = simulated(seed, n_items=15, n_raters=3, missing=0.2).to_numpy()
    assert krippendorff_alpha(ratings * scale + shift, "interval") == pytest.approx(
        krippendorff_alpha(ratings, "interval"), abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(ratings_matrices())
def test_counts_round_trip_keeps_exchangeable_coefficients(frame):
    expanded = counts_to_ratings(ratings_to_counts(frame).loc[frame.notna().any(axis=1)])
    np.testing.assert_allclose(_values(expanded), _values(frame), atol=1e-12)


# --------------------------------------------------------------- errors and helpers


def test_clear_errors_for_undefined_agreement():
    with pytest.raises(ValueError, match="at least 2 raters"):
        fleiss_kappa([["a"], ["b"]])
    with pytest.raises(ValueError, match="no item has 2 or more ratings"):
        gwet_ac1([["a", None], [None, "b"]])
    with pytest.raises(ValueError, match="no item has 2 or more ratings"):
        krippendorff_alpha([["a", None], [None, "b"]])
    for fn in (fleiss_kappa, brennan_prediger, gwet_ac1, krippendorff_alpha):
        with pytest.raises(UndefinedAgreementError, match=r"undefined.*single"):
            fn([["spam", "spam"], ["spam", "spam"], ["spam", None]])
    with pytest.raises(UndefinedAgreementError, match="single category"):
        cohen_kappa(["a", "a"], ["a", "a"])
    with pytest.raises(ValueError, match="rated by both"):
        cohen_kappa(["a", None], [None, "b"])
    with pytest.raises(ValueError, match="same items"):
        cohen_kappa(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="numeric labels"):
        krippendorff_alpha([["a", "b"], ["b", "b"]], "interval")
    with pytest.raises(ValueError, match="same number of ratings"):
        fleiss_kappa_test([["a", "b", "a"], ["b", "b", None]])
    with pytest.raises(ValueError, match="not in categories"):
        fleiss_kappa([["a", "b"], ["b", "c"]], categories=["a", "b"])
    with pytest.raises(ValueError, match="at least 2 items"):
        fleiss_kappa_ci([["a", "b"]])


def test_single_category_is_fine_where_defined():
    same = [["spam", "spam"], ["spam", "spam"]]
    assert percent_agreement(same) == 1.0
    # with a known second category, AC1 and Brennan-Prediger are defined (= 1)
    assert gwet_ac1(same, categories=["spam", "no_violation"]) == 1.0
    assert brennan_prediger(same, categories=["spam", "no_violation"]) == 1.0


def test_agreement_table_reports_undefined_coefficients():
    table = agreement_table([["spam", "spam"], ["spam", "spam"], ["spam", None]])
    assert table["coefficient"].tolist() == ["percent agreement", "Fleiss' kappa",
                                             "Gwet's AC1", "Krippendorff's alpha (nominal)",
                                             "Brennan-Prediger"]
    assert table.loc[0, "value"] == 1.0 and table.loc[0, "note"] == ""
    assert table.loc[1:, "value"].isna().all()
    assert table.loc[1:, "note"].str.contains("undefined").all()


def test_bootstrap_is_seeded_and_close_to_the_analytic_se():
    ratings = simulated(3, n_items=300, n_raters=4, missing=0.1)
    first = bootstrap_ci(fleiss_kappa, ratings, n_boot=300, seed=11)
    assert first == bootstrap_ci(fleiss_kappa, ratings, n_boot=300, seed=11)
    assert first != bootstrap_ci(fleiss_kappa, ratings, n_boot=300, seed=12)
    analytic = fleiss_kappa_ci(ratings)
    assert first.value == analytic.value
    assert first.ci_low < first.value < first.ci_high
    assert first.se == pytest.approx(analytic.se, rel=0.2)
    pair = bootstrap_ci(lambda r: cohen_kappa(r.iloc[:, 0], r.iloc[:, 1]), ratings, n_boot=50)
    assert pair.statistic == "<lambda>" and pair.n_undefined == 0


def test_bootstrap_counts_undefined_resamples():
    ratings = [["spam", "spam"]] * 8 + [["hate", "hate"]] * 2
    est = bootstrap_ci(fleiss_kappa, ratings, n_boot=200, seed=0)
    assert 0 < est.n_undefined < 100  # resamples without a "hate" item are undefined
    assert est.value == 1.0

    def fragile(sample: np.ndarray) -> float:  # undefined unless "hate" comes first
        if sample[0, 0] != "hate":
            raise UndefinedAgreementError("undefined for the test")
        return 0.0

    with pytest.raises(ValueError, match="undefined on"):
        bootstrap_ci(fragile, np.array([["hate", "hate"]] + [["spam", "spam"]] * 9), n_boot=50)


def test_contingency_table_and_weights():
    table = contingency_table(["a", "b", None, "c"], ["a", "c", "b", "c"])
    assert table.to_numpy().tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 1]]
    assert weight_matrix("quadratic", 3)[0].tolist() == [1.0, 0.75, 0.0]
    with pytest.raises(ValueError, match="diagonal"):
        weight_matrix(np.zeros((2, 2)), 2)
