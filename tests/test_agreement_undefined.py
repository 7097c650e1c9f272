"""Clear errors where agreement is undefined, for every coefficient and its companion.

Issue 4 asks for an error that says what is undefined, never a silent NaN or a division by
zero, in three cases: fewer than 2 raters, no item with 2 or more ratings, and a single
category everywhere. Each case runs through every function that takes a ratings matrix
(the coefficient, its ``*_ci`` companion, the per-category and test functions and the
agreement table) and, where the case exists for two raters, through Cohen's kappa.
Cohen's kappa takes exactly two raters by its signature, so "fewer than 2 raters" has no
Cohen counterpart. Percent agreement is defined on a single category (it is 1), which the
last test checks.
"""

from __future__ import annotations

import pytest

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
)
from qa_insights.agreement.krippendorff_alpha import krippendorff_alpha, krippendorff_alpha_ci
from qa_insights.agreement.table import agreement_table

#: Every function of a ratings matrix, and the coefficient its undefined message names.
MATRIX_FUNCTIONS = {
    percent_agreement: "percent agreement",
    percent_agreement_ci: "percent agreement",
    fleiss_kappa: "Fleiss' kappa",
    fleiss_kappa_ci: "Fleiss' kappa",
    gwet_ac1: "Gwet's AC1",
    gwet_ac1_ci: "Gwet's AC1",
    brennan_prediger: "Brennan-Prediger",
    brennan_prediger_ci: "Brennan-Prediger",
    krippendorff_alpha: "Krippendorff's alpha",
    krippendorff_alpha_ci: "Krippendorff's alpha",
    fleiss_category_kappas: "category kappa",
    fleiss_kappa_test: "Fleiss' kappa",
    agreement_table: "agreement table",
}
CHANCE_CORRECTED = [fn for fn in MATRIX_FUNCTIONS
                    if fn not in (percent_agreement, percent_agreement_ci, agreement_table)]
COHEN = [cohen_kappa, cohen_kappa_ci]


def _ids(fn) -> str:
    return fn.__name__


@pytest.mark.parametrize("fn", MATRIX_FUNCTIONS, ids=_ids)
def test_one_rater_is_refused_with_what_is_undefined(fn):
    one_rater = [["spam"], ["hate"], ["spam"]]
    with pytest.raises(ValueError, match=r"agreement between raters is undefined.*at least 2 "
                                         r"raters.*got 1"):
        fn(one_rater)


@pytest.mark.parametrize("fn", MATRIX_FUNCTIONS, ids=_ids)
def test_no_item_with_two_ratings_is_refused_with_what_is_undefined(fn):
    scattered = [["spam", None, None], [None, "hate", None], [None, None, "spam"]]
    with pytest.raises(ValueError, match=r"no item has 2 or more ratings, so (agreement "
                                         r"between raters|Krippendorff's alpha) is undefined"):
        fn(scattered)


@pytest.mark.parametrize("fn", COHEN, ids=_ids)
def test_cohen_without_a_commonly_rated_item_is_refused(fn):
    with pytest.raises(ValueError, match="no item was rated by both raters, so their "
                                         "agreement is undefined"):
        fn(["spam", None, "hate"], [None, "hate", None])


@pytest.mark.parametrize("weights", [None, "quadratic"])
@pytest.mark.parametrize("fn", CHANCE_CORRECTED, ids=_ids)
def test_single_category_names_the_undefined_coefficient(fn, weights):
    # complete data, so that the Fleiss-Nee-Landis test reaches its own check
    single = [["spam", "spam"], ["spam", "spam"], ["spam", "spam"]]
    kwargs = {} if fn in (fleiss_category_kappas, fleiss_kappa_test) else {"weights": weights}
    if fn in (krippendorff_alpha, krippendorff_alpha_ci):
        kwargs = {"level": "nominal" if weights is None else "ordinal"}
    with pytest.raises(UndefinedAgreementError) as err:
        fn(single, **kwargs)
    message = str(err.value)
    assert message.startswith(f"{MATRIX_FUNCTIONS[fn]} is undefined: ")
    assert "single" in message and "'spam'" in message and "is 0/0" in message


@pytest.mark.parametrize("weights", [None, "linear"])
def test_cohen_single_category_names_kappa(weights):
    for call in (lambda: cohen_kappa(["spam"] * 3, ["spam"] * 3, weights=weights),
                 lambda: cohen_kappa_ci(["spam"] * 3, ["spam"] * 3, weights=weights),
                 lambda: cohen_kappa_from_table([[3, 0], [0, 0]], weights=weights)):
        with pytest.raises(UndefinedAgreementError,
                           match=r"^Cohen's kappa is undefined: chance agreement pe is 1 "
                                 r"\(both raters use a single category\).*0/0"):
            call()


def test_single_category_leaves_percent_agreement_defined_and_the_table_says_why():
    single = [["spam", "spam"], ["spam", "spam"], ["spam", "spam"]]
    assert percent_agreement(single) == 1.0
    assert percent_agreement_ci(single).value == 1.0
    table = agreement_table(single).set_index("coefficient")
    assert table.loc["percent agreement", "value"] == 1.0
    for name in ("Fleiss' kappa", "Gwet's AC1", "Brennan-Prediger"):
        assert table.loc[name, "note"].startswith(f"{name} is undefined: ")
    assert table.loc["Krippendorff's alpha (nominal)", "note"].startswith(
        "Krippendorff's alpha is undefined: ")
