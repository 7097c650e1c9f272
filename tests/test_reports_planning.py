"""The planning notebooks build with ``qa-insights build`` on the sample data, and their
tables agree with the library."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import papermill as pm
import pytest

from qa_insights.business.target_planning import next_quarter, period_months
from qa_insights.data.opening import open_store
from qa_insights.data.sample_data import PLANTED
from qa_insights.present.display import read_records
from qa_insights.quality.metrics import quality_summary
from qa_insights.reports.engine.run import execute_notebook
from tests.report_helpers import NOTEBOOKS, ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def planning_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("planning") / "reports"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "qa_insights.cli", "build", "--data", str(ROOT / "data_samples"),
         "--out", str(out), "--reports", "target_planning,experiment_readout", "--jobs", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    (month_dir,) = [p for p in out.iterdir() if p.is_dir()]
    assert (out / "index.html").is_file()
    return month_dir


def test_target_planning_builds_with_a_draft_and_an_exact_cascade(planning_build: Path) -> None:
    records = read_records(planning_build / "target_planning.ipynb")
    assert (planning_build / "target_planning.html").is_file()
    draft = pd.read_csv(planning_build / "tables" / "target_planning_draft.csv",
                        keep_default_na=False, dtype={"scope_value": str})
    assert list(draft.columns) == ["metric", "scope", "scope_value", "month", "target",
                                   "direction", "method"]
    assert len(draft) == records["draft_rows"]
    assert records["period"] == next_quarter(records["month"])
    assert set(draft["month"]) == set(period_months(records["period"]))
    review = pd.DataFrame(records["attainment_review"])
    assert set(review["status"]) <= {"met", "missed", "at risk", "no data"}
    assert review["chance_at_setting"].between(0, 1).all()
    cascade = pd.read_csv(planning_build / "tables" / "target_planning_cascade.csv")
    for metric, rows in cascade.groupby("metric"):
        w, t = rows["weight"].to_numpy(), rows["target"].to_numpy()
        assert np.sum(w * t) / w.sum() == pytest.approx(rows["org_target"].iloc[0],
                                                        rel=1e-12), metric


def test_experiment_readout_builds_with_its_tables(planning_build: Path) -> None:
    records = read_records(planning_build / "experiment_readout.ipynb")
    design = records["design"]
    assert design["treated"] == [PLANTED["jump"]["site"]]
    assert design["after"][-1] == records["month"]
    tables = planning_build / "tables"
    for name in ("cells", "monthly", "estimates", "trends", "guardrails", "verdict"):
        assert (tables / f"experiment_{name}.csv").is_file(), name
    cells = pd.read_csv(tables / "experiment_cells.csv").set_index(["group", "period"])
    with open_store(ROOT / "data_samples") as store:
        n = quality_summary(store, filters={"month": design["after"], "site": design["treated"]}).n_audits.iloc[0]
    assert cells.loc[("treated", "after"), "n_audits"] == n
    verdict = pd.read_csv(tables / "experiment_verdict.csv")["sentence"].tolist()
    estimates = pd.read_csv(tables / "experiment_estimates.csv")
    significant = bool(estimates.loc[0, "significant"])
    assert verdict[0].startswith("Verdict: no detectable effect") != significant


@pytest.mark.parametrize("name, parameters, message", [
    ("experiment_readout", {"dimension": "moderator_id"}, "parameter dimension: 'moderator_id'"),
    ("target_planning", {"period": "2027-Q5"}, "parameter period: expected 'YYYY-Qn'"),
])
def test_bad_parameters_stop_with_the_valid_values(name: str, parameters: dict, message: str,
                                                    tmp_path: Path) -> None:
    with pytest.raises(pm.PapermillExecutionError) as info:
        execute_notebook(NOTEBOOKS / f"{name}.ipynb", tmp_path / f"{name}.ipynb", parameters,
                         execution_timeout=300)
    assert info.value.ename == "ParameterError"
    assert message in info.value.evalue
