"""Every notebook executes on the sample data with its default parameters (the report
notebooks through the session build, tests/fixtures_reports.py) and with another scope;
bad parameters stop the notebook with a message naming the parameter and valid values."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill as pm
import pytest

from qa_insights.data.opening import open_store
from qa_insights.present.display import read_records
from qa_insights.quality.metrics import quality_summary
from qa_insights.reports.engine.context import months_with_data, scope_values
from qa_insights.reports.engine.run import execute_notebook
from tests.report_helpers import NOTEBOOKS, ROOT

pytest_plugins = ["tests.fixtures_reports"]

pytestmark = pytest.mark.slow


def _run(name: str, parameters: dict, tmp_path: Path, sample_data: Path) -> dict:
    if sample_data != ROOT / "data_samples" or "data_dir" in parameters:
        parameters = {"data_dir": str(sample_data), **parameters}
    out = tmp_path / f"{name}.ipynb"
    execute_notebook(NOTEBOOKS / f"{name}.ipynb", out, parameters, execution_timeout=300)
    nb = nbformat.read(out, as_version=4)
    assert not nb.metadata.papermill.get("exception")
    return read_records(nb)


def test_explore_audits_runs_with_default_parameters(tmp_path: Path, sample_data: Path) -> None:
    records = _run("explore_audits", {}, tmp_path, sample_data)
    with open_store(sample_data) as store:
        assert records["month"] == months_with_data(store)[-1]
        assert records["overall"][0]["n_audits"] == quality_summary(
            store, filters={"month": records["month"]}).n_audits.iloc[0]


def test_report_notebooks_ran_with_defaults_in_the_build(built_month: dict) -> None:
    month_dir = Path(built_month["out"]) / built_month["month"]
    for name in ("monthly_quality_report", "monthly_business_review", "calibration_report"):
        assert read_records(month_dir / f"{name}.ipynb")["month"] == built_month["month"]
    assert list(month_dir.glob("rca_*.ipynb"))


@pytest.mark.parametrize("name, scope", [
    ("monthly_quality_report", "site"),
    ("monthly_business_review", "market"),
    ("calibration_report", "queue"),
    ("rca_deep_dive", "site"),
    ("explore_audits", "market"),
])
def test_notebook_runs_with_another_scope(name: str, scope: str, tmp_path: Path,
                                          sample_data: Path) -> None:
    with open_store(sample_data) as store:
        month = months_with_data(store)[-2]
        value = scope_values(store, scope, month, by_volume=True)[-1]
        expected = quality_summary(store, filters={"month": month, **{scope: value}})
    records = _run(name, {"month": month, "scope": scope, "scope_value": value}, tmp_path,
                   sample_data)
    assert records["month"] == month
    if "overall" in records:
        assert records["overall"][0]["n_audits"] == expected.n_audits.iloc[0]
        assert records["overall"][0]["accuracy"] == pytest.approx(expected.accuracy.iloc[0])
    else:
        assert records["calibration_overview"][0]["measure"] == "sessions"


def test_bad_scope_value_stops_with_the_valid_values(tmp_path: Path, sample_data: Path) -> None:
    with pytest.raises(pm.PapermillExecutionError) as info:
        _run("monthly_quality_report", {"scope": "site", "scope_value": "atlantis"}, tmp_path,
             sample_data)
    assert info.value.ename == "ParameterError"
    assert "parameter scope_value: 'atlantis' is not in the data" in info.value.evalue
    with open_store(sample_data) as store:
        assert scope_values(store, "site")[0] in info.value.evalue
