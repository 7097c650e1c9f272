"""Experiment readout: the DiD of means by hand and against pooled samples, the readout
on the sample data (finds the planted Hyderabad jump, counts equal the quality summary),
and the verdict: silent on null experiments across seeds, finds a planted effect, never
claims a non-significant one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from qa_insights.business.experiment import experiment_readout, mean_did
from qa_insights.data.opening import open_store
from qa_insights.present.experiment import experiment_verdict, preregistration
from qa_insights.quality.metrics import quality_summary
from qa_insights.stats.experiment_design import parallel_trends
from qa_insights.stats.experiments import difference_in_differences

ROOT = Path(__file__).resolve().parents[1]
SITE = "bpo_gamma_hyderabad"


def test_mean_did_pools_cells_like_the_concatenated_samples() -> None:
    rng = np.random.default_rng(5)
    samples = {(g, p): [rng.normal(40 + 5 * (g == "treated" and p == "after"), 8, size=n)
                        for n in (50, 70)]
               for g in ("treated", "control") for p in ("before", "after")}
    rows = [{"group": g, "period": p, "n": len(x), "mean": x.mean(), "sd": x.std(ddof=1)}
            for (g, p), parts in samples.items() for x in parts]
    r = mean_did(pd.DataFrame(rows))
    whole = {k: np.concatenate(v) for k, v in samples.items()}
    est = (whole[("treated", "after")].mean() - whole[("treated", "before")].mean()
           - whole[("control", "after")].mean() + whole[("control", "before")].mean())
    se = np.sqrt(sum(x.var(ddof=1) / len(x) for x in whole.values()))
    assert r["estimate"] == pytest.approx(est, rel=1e-12)
    assert r["std_err"] == pytest.approx(se, rel=1e-12)
    assert r["p_value"] == pytest.approx(2 * stats.norm.sf(abs(est / se)), rel=1e-9)


@pytest.fixture(scope="module")
def readout():
    with open_store(ROOT / "data_samples") as store:
        r = experiment_readout(store, "site", [SITE], None, "2026-08", end="2026-08")
        n_treated = quality_summary(store, filters={"month": "2026-08", "site": SITE}).n_audits.iloc[0]
    return r, n_treated


def test_readout_finds_the_planted_jump(readout) -> None:
    r, n_treated = readout
    assert r.before == ["2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07"]
    assert r.after == ["2026-08"] and SITE not in r.control and len(r.control) == 6
    cells = r.cells.set_index(["group", "period"])
    assert cells.loc[("treated", "after"), "n_audits"] == n_treated
    assert r.did.significant and r.did.estimate > 0
    assert r.trends is not None and r.trends.parallel
    verdict = experiment_verdict(r.did, r.trends, r.mde_did, r.guardrails)
    assert verdict[0].startswith("Verdict: the change raised the error rate")
    assert len(verdict) == 5


def test_readout_rejects_unknown_scope_values() -> None:
    with open_store(ROOT / "data_samples") as store, pytest.raises(ValueError,
                                                                    match="not in the data"):
        experiment_readout(store, "site", ["atlantis"], None, "2026-08")


def _simulate(rng, effect: float, n: int = 1500, months: int = 6):
    rows, monthly = [], []
    for group, base in (("treated", 0.05), ("control", 0.04)):
        for period in ("before", "after"):
            p = base + (effect if group == "treated" and period == "after" else 0.0)
            k = rng.binomial(n, p, size=months)
            rows.append({"group": group, "period": period, "n_audits": n * months,
                         "n_errors": int(k.sum())})
            if period == "before":
                monthly += [{"group": group, "month": f"2026-{i + 1:02d}", "n_audits": n,
                             "n_errors": int(x)} for i, x in enumerate(k)]
    cells = pd.DataFrame(rows)
    return difference_in_differences(cells), parallel_trends(pd.DataFrame(monthly))


def test_verdict_is_silent_on_null_experiments_and_finds_a_planted_effect() -> None:
    seeds, claimed = 400, 0
    for seed in range(seeds):
        did, trends = _simulate(np.random.default_rng(seed), 0.0)
        v = experiment_verdict(did, trends, 0.01)[0]
        claimed += "lowered" in v or "raised" in v
        if not did.significant:
            assert v.startswith("Verdict: no detectable effect") and "not ruled out" in v
    assert claimed <= stats.binom.ppf(0.999, seeds, 0.05)
    found = sum("lowered the error rate" in experiment_verdict(
        *_simulate(np.random.default_rng(s), -0.015), 0.01)[0] for s in range(50))
    assert found >= 45


def test_preregistration_sentence() -> None:
    assert "1.2 pts" in preregistration(0.0123)
    assert "too few audits" in preregistration(float("nan"))
