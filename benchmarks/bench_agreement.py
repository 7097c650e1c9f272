"""Agreement coefficients on large ratings matrices vs the reference packages.

Krippendorff's alpha (nominal and interval) on 100,000 items x 10 raters with 30% of the
ratings missing, against ``krippendorff.alpha``; Fleiss' kappa on 1,000,000 items x 5
raters (complete), against statsmodels. Both sides start from the same raw ratings
matrix (items x raters, 5 numeric labels) and include every conversion they need: ours
encodes the labels and counts them per item; ``krippendorff.alpha`` gets the transposed
matrix (a view) and builds its own value counts; statsmodels needs
``aggregate_raters`` (raw ratings -> item x category counts) before ``fleiss_kappa``,
and that conversion is timed with it. Each case also checks that the two values agree.
"""

from __future__ import annotations

import krippendorff
import numpy as np
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from qa_insights.agreement.fleiss import fleiss_kappa
from qa_insights.agreement.krippendorff_alpha import krippendorff_alpha

from ._util import Result, median_time, verdict


def _ratings(n_items: int, n_raters: int, missing: float, seed: int) -> np.ndarray:
    """Labels 1..5 with real agreement (a true class per item, raters right 70% of the
    time), a share ``missing`` of NaN."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, size=n_items)
    right = rng.random((n_items, n_raters)) < 0.7
    values = np.where(right, truth[:, None], rng.integers(1, 6, size=(n_items, n_raters)))
    values = values.astype(float)
    values[rng.random(values.shape) < missing] = np.nan
    return values


def run(full: bool) -> list[Result]:
    results = []
    n_items = 100_000 if full else 10_000
    sparse = _ratings(n_items, 10, 0.3, seed=1)
    for level in ("nominal", "interval"):
        ours = krippendorff_alpha(sparse, level)
        peer = krippendorff.alpha(reliability_data=sparse.T, level_of_measurement=level)
        ours_s = median_time(lambda level=level: krippendorff_alpha(sparse, level), repeat=5)
        peer_s = median_time(lambda level=level: krippendorff.alpha(
            reliability_data=sparse.T, level_of_measurement=level), repeat=5)
        results.append(Result(
            case=f"Krippendorff alpha {level}, {n_items:,} items x 10 raters, 30% missing",
            ours_s=ours_s, baseline="krippendorff.alpha 0.9 (same raw matrix)",
            baseline_s=peer_s, target="ratio <= 1.0", **verdict(ours_s / peer_s, 1.0, "x"),
            note=f"alpha {ours:.6f}, |diff| {abs(ours - peer):.1e}"))
    n_items = 1_000_000 if full else 50_000
    dense = _ratings(n_items, 5, 0.0, seed=2).astype(np.int64)
    ours = fleiss_kappa(dense)
    peer = sm_fleiss_kappa(aggregate_raters(dense)[0])
    ours_s = median_time(lambda: fleiss_kappa(dense), repeat=3)
    peer_s = median_time(lambda: sm_fleiss_kappa(aggregate_raters(dense)[0]), repeat=3)
    results.append(Result(
        case=f"Fleiss kappa, {n_items:,} items x 5 raters",
        ours_s=ours_s, baseline="statsmodels aggregate_raters + fleiss_kappa",
        baseline_s=peer_s, target="ratio <= 1.0", **verdict(ours_s / peer_s, 1.0, "x"),
        note=f"kappa {ours:.6f}, |diff| {abs(ours - peer):.1e}; both from raw ratings"))
    return results
