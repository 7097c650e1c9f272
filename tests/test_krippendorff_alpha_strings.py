"""String labels with missing ratings: our Krippendorff's alpha against the krippendorff package.

The ``krippendorff`` package only takes numbers, so each string label is replaced by a
numeric code before it sees the data, the same code for the same label everywhere:

- nominal: any one-to-one code gives the same alpha, so a random one is used;
- ordinal: the code is the label's position in our documented category order: the sorted
  labels by default, or the order given as ``categories``.

Data are seeded random moderation labels with real agreement and 0-45% missing ratings,
the missing ones written as None, NaN and pd.NA alike.
"""

from __future__ import annotations

import krippendorff
import numpy as np
import pandas as pd
import pytest

from qa_insights.agreement.krippendorff_alpha import krippendorff_alpha

SEEDS = range(30)
TOL = 1e-9
#: Severity order of the labels; their sorted (alphabetical) order is a different one.
SEVERITY = ["no_violation", "spam", "nudity", "hate_speech", "violence"]
MISSING = (None, np.nan, pd.NA)


def string_ratings(seed: int) -> pd.DataFrame:
    """Items x raters of labels from SEVERITY: a true label per item, each rater right
    with probability 0.6, else a neighbour on the scale; then ratings dropped at random."""
    rng = np.random.default_rng(seed)
    n_items, n_raters = 20 + seed, 2 + seed % 5
    truth = rng.integers(0, len(SEVERITY), size=n_items)
    step = rng.choice([-1, 1], size=(n_items, n_raters))
    right = rng.random((n_items, n_raters)) < 0.6
    codes = np.clip(np.where(right, truth[:, None], truth[:, None] + step), 0, len(SEVERITY) - 1)
    codes[: len(SEVERITY), :2] = np.arange(len(SEVERITY))[:, None]  # every label pairable
    values = np.asarray(SEVERITY, dtype=object)[codes]
    drop = rng.random(values.shape) < 0.45 * (seed % 4) / 3
    drop[: len(SEVERITY), :2] = False
    values[drop] = [MISSING[k % 3] for k in range(int(drop.sum()))]
    return pd.DataFrame(values, columns=[f"rater_{j}" for j in range(n_raters)], dtype=object)


def as_codes(ratings: pd.DataFrame, order: list[str]) -> np.ndarray:
    """Raters x items of float codes (label -> its index in ``order``; missing -> NaN),
    the layout the krippendorff package reads."""
    code = {label: float(k) for k, label in enumerate(order)}
    return np.array([[code[v] if not pd.isna(v) else np.nan for v in row]
                     for row in ratings.to_numpy().T])


@pytest.mark.parametrize("seed", SEEDS)
def test_nominal_string_labels_match_package(seed):
    ratings = string_ratings(seed)
    shuffled = list(np.random.default_rng(1000 + seed).permutation(SEVERITY))
    peer = krippendorff.alpha(reliability_data=as_codes(ratings, shuffled),
                              level_of_measurement="nominal")
    assert krippendorff_alpha(ratings) == pytest.approx(peer, abs=TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_ordinal_string_labels_use_sorted_order_by_default(seed):
    ratings = string_ratings(seed)
    peer = krippendorff.alpha(reliability_data=as_codes(ratings, sorted(SEVERITY)),
                              level_of_measurement="ordinal")
    assert krippendorff_alpha(ratings, "ordinal") == pytest.approx(peer, abs=TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_ordinal_string_labels_follow_given_categories(seed):
    ratings = string_ratings(seed)
    peer = krippendorff.alpha(reliability_data=as_codes(ratings, SEVERITY),
                              level_of_measurement="ordinal")
    ours = krippendorff_alpha(ratings, "ordinal", categories=SEVERITY)
    assert ours == pytest.approx(peer, abs=TOL)


def test_category_order_matters_for_ordinal_alpha():
    """The two orders above are different scales, so the tests above are not one test."""
    ratings = string_ratings(3)
    by_severity = krippendorff_alpha(ratings, "ordinal", categories=SEVERITY)
    assert abs(by_severity - krippendorff_alpha(ratings, "ordinal")) > 0.05
