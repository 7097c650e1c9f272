"""Set-up files stay in step: environment.yml vs pyproject.toml, Makefile targets, layout."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"python-duckdb": "duckdb"}


def _name_and_bound(requirement: str) -> tuple[str, str | None]:
    """``"pandas>=2.2"`` -> ``("pandas", "2.2")``; the bound is None without ``>=``."""
    name = re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower()
    bound = re.search(r">=\s*([\w.]+)", requirement)
    return CONDA_NAMES.get(name, name), bound.group(1) if bound else None


def _conda_requirements() -> dict[str, str | None]:
    text = (ROOT / "environment.yml").read_text()
    found = {}
    for line in text.split("dependencies:", 1)[1].splitlines():
        m = re.match(r"\s+- ([A-Za-z][\w.-]*.*)$", line)
        if m and not m.group(1).startswith(("python=", "pip")):
            name, bound = _name_and_bound(m.group(1))
            found[name] = bound
    return found


def test_environment_yml_lists_the_runtime_packages_with_the_same_lower_bounds() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pyproject = dict(_name_and_bound(d) for d in deps)
    assert _conda_requirements() == pyproject


def test_name_and_bound_parses_both_spellings() -> None:
    assert _name_and_bound("python-duckdb>=1.1") == ("duckdb", "1.1")
    assert _name_and_bound("statsmodels>=0.14.2") == ("statsmodels", "0.14.2")
    assert _name_and_bound("tqdm") == ("tqdm", None)


def test_lower_bounds_and_console_script() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert all(">=" in d for d in project["dependencies"])
    assert project["scripts"]["qa-insights"] == "qa_insights.cli:main"
    assert "test" in project["optional-dependencies"]


def test_make_help_lists_every_required_target() -> None:
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    listed = {line.split()[0] for line in out.splitlines() if line.strip()}
    assert {"setup", "sample-data", "validate", "reports", "test", "lab", "bench",
            "clean", "backfill"} <= listed


def test_repository_layout() -> None:
    for name in ("notebooks", "qa_insights", "data_samples", "templates", "tests", "docs",
                 "benchmarks", ".ci", "environment.yml", "Makefile", "README.md",
                 "pyproject.toml"):
        assert (ROOT / name).exists(), name
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "chromium" in ci
    readme = (ROOT / "README.md").read_text()
    assert "make reports" in readme and "make test" in readme
