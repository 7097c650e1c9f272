"""Notebooks are stored clean: no outputs or execution counts, the right kernelspec,
exactly one ``parameters`` cell whose every line papermill can parse (typed, commented),
and no business logic outside library calls in the parameters cell."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill as pm
import pytest

from qa_insights.reports.engine.paths import NOTEBOOKS_DIR

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
EXPECTED = {"monthly_quality_report", "monthly_business_review", "calibration_report",
            "rca_deep_dive", "explore_audits", "target_planning",
            "experiment_readout"}


def test_every_expected_notebook_exists() -> None:
    assert {p.stem for p in NOTEBOOKS} >= EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has outputs"
            assert cell.execution_count is None, f"{path.name}: a cell has an execution count"
    assert "papermill" not in nb.metadata
    assert "widgets" not in nb.metadata


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_kernelspec(path: Path) -> None:
    """The analyst's explore notebook opens on the project's kernel (registered by
    ``make setup`` as ``qa-insights``); the report notebooks keep ``python3``, which the
    build engine names explicitly when it runs them."""
    expected = "qa-insights" if path.stem == "explore_audits" else "python3"
    assert nbformat.read(path, as_version=4).metadata.kernelspec.name == expected


def test_the_project_kernel_is_registered_by_make() -> None:
    make = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    assert "ipykernel install --sys-prefix --name qa-insights" in make


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_exactly_one_typed_parameters_cell(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    assignments = [line for line in cells[0].source.splitlines()
                   if line.strip() and not line.lstrip().startswith("#")]
    declared = pm.inspect_notebook(str(path))
    assert len(declared) == len(assignments), "papermill could not parse every parameter"
    for name, info in declared.items():
        assert info["inferred_type_name"] in ("str", "int", "float", "bool"), name
        assert info["help"], f"{path.name}: parameter {name} has no comment"
    assert {"month", "data_dir", "scope", "scope_value", "analyst_mode",
            "tables_dir"} <= set(declared)
