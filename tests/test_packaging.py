"""Set-up files stay in step: environment.yml vs pyproject.toml, Makefile targets, layout."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"python-duckdb": "duckdb"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_lists_the_runtime_packages() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pyproject = {_name(d) for d in deps}
    conda = set()
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        m = re.match(r"\s+- ([A-Za-z][\w.-]*)", line)
        if m and m.group(1) not in ("python", "pip"):
            conda.add(CONDA_NAMES.get(m.group(1).lower(), m.group(1).lower()))
    assert conda == pyproject


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
