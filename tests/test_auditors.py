"""Grading the grader: auditors' finding ratios against peers on the same queues, by hand,
the shrinkage by hand, silent on null auditors across seeds, and one planted lenient
auditor flagged."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from qa_insights.calibration.auditors import (
    auditor_finding_ratios,
    auditor_quality,
    gamma_strength,
)
from qa_insights.data.opening import open_store
from qa_insights.data.queries import audit_counts

ROOT = Path(__file__).resolve().parents[1]


def test_expected_findings_from_peers_on_the_same_queues_by_hand() -> None:
    c = pd.DataFrame({"auditor_id": ["x", "y", "z", "x", "y"],
                      "queue": ["a", "a", "a", "b", "b"],
                      "n_audits": [100, 100, 200, 100, 300],
                      "n_findings": [10, 20, 20, 5, 15]})
    r = auditor_finding_ratios(c, min_n=1).set_index("auditor_id")
    # x on a: peers y, z find 40 / 300; on b: peer y finds 15 / 300.
    assert r.loc["x", "expected"] == pytest.approx(100 * 40 / 300 + 100 * 15 / 300)
    assert r.loc["y", "expected"] == pytest.approx(100 * 30 / 300 + 300 * 5 / 100)
    assert r.loc["z", "expected"] == pytest.approx(200 * 30 / 200)
    assert r.loc["x", "ratio"] == pytest.approx(15 / r.loc["x", "expected"])


def test_gamma_strength_and_posterior_by_hand() -> None:
    o, e = np.array([5.0, 40.0, 20.0]), np.array([20.0, 20.0, 20.0])
    r, rbar = o / e, 65 / 60
    between = np.sum(e * (r - rbar) ** 2) / 60 - 3 * rbar / 60
    assert gamma_strength(o, e) == pytest.approx(1 / between)
    assert math.isinf(gamma_strength(np.array([20.0, 21.0]), np.array([20.0, 20.0])))
    c = pd.DataFrame({"auditor_id": ["p", "q", "s"], "queue": "a",
                      "n_audits": [1000, 1000, 1000], "n_findings": [5, 40, 20]})
    out = auditor_finding_ratios(c, min_n=1).set_index("auditor_id")
    k = out.attrs["strength"]
    exp_p = 1000 * 60 / 2000
    assert out.loc["p", "shrunk_ratio"] == pytest.approx((k + 5) / (k + exp_p))
    assert out.loc["p", "ci_high"] == pytest.approx(
        stats.gamma.ppf(0.975, k + 5, scale=1 / (k + exp_p)))


def _simulate(rng: np.random.Generator, lenient: float = 1.0, n_auditors: int = 20
              ) -> pd.DataFrame:
    queues = {"a": 0.03, "b": 0.08, "c": 0.15}
    rows = []
    for i in range(n_auditors):
        for q, p in queues.items():
            n = int(rng.integers(300, 600))  # about 1,350 audits each, as in the sample
            rate = p * (lenient if i == 0 else 1.0)
            rows.append({"auditor_id": f"Q{i:02d}", "queue": q, "n_audits": n,
                         "n_findings": int(rng.binomial(n, rate))})
    return pd.DataFrame(rows)


def test_silent_on_null_auditors_and_flags_a_planted_lenient_one() -> None:
    seeds = 200
    flagged = sum(bool((auditor_finding_ratios(_simulate(np.random.default_rng(s)))["flag"]
                        != "").any()) for s in range(seeds))
    assert flagged <= stats.binom.ppf(0.999, seeds, 0.05)
    found = 0
    for s in range(50):
        r = auditor_finding_ratios(_simulate(np.random.default_rng(s), lenient=0.4))
        flags = dict(zip(r["auditor_id"], r["flag"]))
        found += flags["Q00"] == "lenient"
        assert set(v for a, v in flags.items() if a != "Q00") <= {""}
    assert found >= 40  # at least 80% power for a ratio of 0.4 at ~1,350 audits


def test_auditor_quality_on_the_sample_data() -> None:
    with open_store(ROOT / "data_samples") as store:
        q = auditor_quality(store, filters={"month": "2026-10"})
        counts = audit_counts(store, ["auditor_id"], filters={"month": "2026-10"})
    assert q["n_audits"].sum() == counts["n_audits"].sum()
    assert q["share_of_sample"].sum() == pytest.approx(1.0)
    assert q["overturn_rate"].between(0, 1).all()
    # The sample's auditors are simulated alike: nobody is flagged.
    assert (q["flag"] == "").all()


def test_bad_inputs_are_named() -> None:
    with pytest.raises(ValueError, match="expected columns"):
        auditor_finding_ratios(pd.DataFrame({"auditor_id": ["x"]}))
    c = pd.DataFrame({"auditor_id": ["x"], "queue": ["a"], "n_audits": [1], "n_findings": [0]})
    with pytest.raises(ValueError, match="band"):
        auditor_finding_ratios(c, band=(1.1, 1.3))
