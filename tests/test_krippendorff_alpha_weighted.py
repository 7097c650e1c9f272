"""Gwet's weighted Krippendorff alpha (``krippendorff_alpha(..., weights=...)``).

Evidence:

1. Published: irrCAC (Python) unit tests on ``cac.raw4raters`` (Krippendorff 2011 example C
   as transcribed by Gwet, tests/refdata/gwet_irrcac_raw4raters.json, 3 d.p.), all eight
   weight types of Gwet (2014), *Handbook of Inter-Rater Reliability*, 4th ed., ch. 3:
   coefficient, SE, pa, pe, CI and p-value. These values are single-source (a port of
   Gwet's R code); the identity, quadratic and ratio ones are also Krippendorff's nominal,
   interval and ratio alpha (refdata README note 3), which the krippendorff package checks.
2. Peer on random data: irrCAC ``CAC(weights=...).krippendorff()`` with missing ratings and
   string labels, to 1e-9.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest

from qa_insights.agreement.krippendorff_alpha import krippendorff_alpha, krippendorff_alpha_ci
from qa_insights.agreement.ratings_matrix import WEIGHT_TYPES

REFDATA = Path(__file__).parent / "refdata"
TOL = 1e-9
#: irrCAC's Python tests store 3.0 where they assert nothing
_NOT_ASSERTED = 3.0
#: Gwet's weights whose alpha is one of Krippendorff's metrics (README note 3)
_LEVEL_OF_WEIGHTS = {"identity": "nominal", "quadratic": "interval", "ratio": "ratio"}


def _raw4raters() -> tuple[pd.DataFrame, dict]:
    data = json.loads((REFDATA / "gwet_irrcac_raw4raters.json").read_text())
    ratings = pd.DataFrame(data["data"]["raw"], dtype=float)
    return ratings, data["expected"]["other_weights_irrCAC_python_tests_3dp"]


def _simulated(seed: int, n_items: int = 30, n_raters: int = 4, n_cats: int = 4,
               missing: float = 0.25, strings: bool = False) -> pd.DataFrame:
    """Ratings with real agreement; every category occurs in the first, complete column."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_cats, size=n_items)
    right = rng.random((n_items, n_raters)) < 0.7
    codes = np.where(right, truth[:, None], rng.integers(0, n_cats, size=(n_items, n_raters)))
    codes[:, 0] = np.arange(n_items) % n_cats
    labels = (np.array([f"level_{k}" for k in range(n_cats)], dtype=object) if strings
              else np.arange(1.0, n_cats + 1.0))
    values = labels[codes].astype(object if strings else float)
    drop = rng.random(values.shape) < missing
    drop[:, 0] = False
    values[drop] = None if strings else np.nan
    return pd.DataFrame(values, columns=[f"r{j}" for j in range(n_raters)])


@pytest.mark.parametrize("weights", WEIGHT_TYPES)
def test_raw4raters_weighted_alpha_matches_irrcac_python_tests(weights):
    ratings, expected = _raw4raters()
    want = expected[weights]["krippendorff_alpha"]
    est = krippendorff_alpha_ci(ratings, weights=weights)
    for field, got in (("coefficient_value", est.value), ("se", est.se), ("pa", est.pa),
                       ("pe", est.pe), ("ci_lower", est.ci_low), ("ci_upper", est.ci_high)):
        if want[field] != _NOT_ASSERTED:
            assert abs(got - want[field]) <= 0.5e-3 + 1e-12, (field, got, want[field])
    # irrCAC's alpha p-values are two-sided, like ours (only Brennan-Prediger's is not)
    places = want["p_value_rounding_dp"]
    assert abs(est.p_value - want["p_value"]) <= 0.5 * 10.0**-places + 1e-12
    assert est.distribution == "t(10)"  # the 11 pairable units
    assert est.coefficient == f"Krippendorff's alpha ({weights} weights)"
    assert krippendorff_alpha(ratings, weights=weights) == est.value


@pytest.mark.parametrize("weights", sorted(_LEVEL_OF_WEIGHTS))
def test_weights_that_are_krippendorff_metrics_match_the_package(weights):
    ratings, _ = _raw4raters()
    level = _LEVEL_OF_WEIGHTS[weights]
    peer = krippendorff.alpha(reliability_data=ratings.to_numpy().T, level_of_measurement=level)
    assert krippendorff_alpha(ratings, weights=weights) == pytest.approx(peer, abs=TOL)


@pytest.mark.parametrize("seed", range(24))
def test_weighted_alpha_matches_irrcac_on_random_data(seed):
    raw = pytest.importorskip("irrCAC.raw")
    weights = WEIGHT_TYPES[seed % len(WEIGHT_TYPES)]
    strings = seed % 3 == 1
    ratings = _simulated(seed, n_raters=3 + seed % 3, n_cats=3 + seed % 4, strings=strings)
    labels = sorted(pd.unique(ratings.stack().dropna()))  # irrCAC: strings at ranks in this order
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = raw.CAC(ratings, weights=weights, categories=labels,
                       digits=15).krippendorff()["est"]
    est = krippendorff_alpha_ci(ratings, weights=weights)
    assert est.value == pytest.approx(want["coefficient_value"], abs=TOL)
    assert est.se == pytest.approx(want["se"], abs=TOL)
    assert est.pa == pytest.approx(want["pa"], abs=TOL)
    assert est.pe == pytest.approx(want["pe"], abs=TOL)


def test_level_and_weights_together_are_refused():
    with pytest.raises(ValueError, match="either a level of measurement or weights"):
        krippendorff_alpha([[1, 2], [2, 2]], "interval", weights="linear")
