"""Set-up files stay in step: environment.yml vs pyproject.toml, Makefile targets, layout."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

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


def test_environment_yml_lists_the_runtime_and_dev_packages_with_the_same_lower_bounds() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + project["optional-dependencies"]["dev"]
    pyproject = dict(_name_and_bound(d) for d in deps)
    assert _conda_requirements() == pyproject
    assert "pandas-stubs" in pyproject  # mypy --strict in `make lint` is clean with them


def test_name_and_bound_parses_both_spellings() -> None:
    assert _name_and_bound("python-duckdb>=1.1") == ("duckdb", "1.1")
    assert _name_and_bound("statsmodels>=0.14.2") == ("statsmodels", "0.14.2")
    assert _name_and_bound("tqdm") == ("tqdm", None)


def test_lower_bounds_and_console_script() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert all(">=" in d for d in project["dependencies"])
    assert project["scripts"]["qa-insights"] == "qa_insights.cli:main"
    assert "test" in project["optional-dependencies"]


def test_make_reports_installs_the_runtime_only_and_make_test_the_extras() -> None:
    make = (ROOT / "Makefile").read_text()
    assert "ingest: $(RUNTIME)" in make and "reports: ingest" in make
    assert "test: preflight $(FULL) lint" in make
    runtime_rule = make.split("$(RUNTIME): pyproject.toml", 1)[1].split("\n\n", 1)[0]
    assert "pip install -q -e ." in runtime_rule and "[" not in runtime_rule.split("-e .")[1]


@pytest.mark.slow
def test_wheel_installs_and_builds_a_report_outside_the_checkout(tmp_path: Path) -> None:
    """A wheel (not an editable install) carries the notebooks, template and py.typed, and
    ``qa-insights build`` run from another folder finds them with importlib.resources. The
    fresh venv gets this environment's third-party packages through a .pth line and
    nbconvert's base templates through JUPYTER_PATH (no network), but ``qa_insights`` only
    from the wheel."""
    import site
    import sys
    import sysconfig
    import zipfile

    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(dist), str(ROOT)], check=True, capture_output=True)
    wheel = next(dist.glob("qa_insights-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "qa_insights/py.typed" in names
    assert "qa_insights/reports/notebooks/monthly_quality_report.ipynb" in names
    assert "qa_insights/reports/templates/qa_report/index.html.j2" in names
    assert "qa_insights/reports/templates/qa_report/static/qa_report.css" in names
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    fresh_python = venv / "bin" / "python"
    purelib = subprocess.run([str(fresh_python), "-c",
                              "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(purelib)  # what pip install does for a pure-Python wheel
    ours = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(purelib) / "zz_host_packages.pth").write_text("\n".join(ours) + "\n")
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run([str(fresh_python), "-c",
                            "import qa_insights; print(qa_insights.__file__)"],
                           cwd=work, check=True, capture_output=True, text=True).stdout
    assert where.startswith(purelib), where
    # nbconvert's base templates are data files of its own install (share/jupyter).
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path),
           "JUPYTER_PATH": str(Path(sys.prefix) / "share" / "jupyter"),
           "QA_INSIGHTS_PSEUDONYM_KEY": "wheel-test-key"}
    run = subprocess.run([str(fresh_python), "-m", "qa_insights.cli", "build", "--data",
                          str(ROOT / "data_samples"), "--out", str(work / "reports"),
                          "--reports", "mqr", "--jobs", "1"],
                         cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert (work / "reports" / "2026-10" / "monthly_quality_report.html").is_file()
    assert sysconfig.get_paths()["purelib"] != purelib


def test_make_help_lists_every_required_target() -> None:
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    listed = {line.split()[0] for line in out.splitlines() if line.strip()}
    assert {"setup", "sample-data", "validate", "reports", "test", "lab", "bench",
            "clean", "backfill"} <= listed


def test_repository_layout() -> None:
    for name in ("qa_insights/reports/notebooks", "qa_insights/reports/templates/qa_report",
                 "qa_insights/py.typed", "qa_insights", "data_samples", "tests", "docs",
                 "benchmarks", ".ci", "environment.yml", "Makefile", "README.md",
                 "pyproject.toml"):
        assert (ROOT / name).exists(), name
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "chromium" in ci
    readme = (ROOT / "README.md").read_text()
    assert "make reports" in readme and "make test" in readme
