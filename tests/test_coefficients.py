"""The agreement coefficient registry: names match the estimates, and the agreement table
and the calibration report read it."""

from __future__ import annotations

import numpy as np

from qa_insights.agreement.coefficients import COEFFICIENTS, coefficient_name
from qa_insights.agreement.table import agreement_table

RATINGS = [["ok", "ok", "ok"]] * 15 + [["ok", "bad", "ok"], ["bad", "bad", "bad"],
                                        ["bad", "ok", "bad"], ["ok", "ok", "bad"]]


def test_registry_names_are_the_estimates_names() -> None:
    for key, coefficient in COEFFICIENTS.items():
        estimate = coefficient.estimate(RATINGS, categories=None, confidence=0.9)
        assert estimate.coefficient == coefficient.name == coefficient_name(key)
        assert np.isfinite(estimate.value) and estimate.confidence == 0.9


def test_agreement_table_has_one_row_per_registered_coefficient_in_order() -> None:
    table = agreement_table(RATINGS)
    assert table["coefficient"].tolist() == [c.name for c in COEFFICIENTS.values()]
    for coefficient, row in zip(COEFFICIENTS.values(), table.itertuples(), strict=True):
        assert row.value == coefficient.estimate(RATINGS, categories=None,
                                                 confidence=0.95).value


def test_only_percent_agreement_is_a_share() -> None:
    assert [k for k, c in COEFFICIENTS.items() if c.percent] == ["percent_agreement"]
    assert all(c.meaning for c in COEFFICIENTS.values())
