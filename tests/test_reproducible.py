"""Reproducibility: the same month built twice from the same inputs gives byte-identical CSV
tables and identical HTML apart from the generated-at time, and the manifest records what
is needed to rebuild it.

Generic over whatever the build produces: every HTML and CSV file of the session build
(tests/fixtures_reports.py) is compared with a second build into another folder. A report
whose notebook or code changed between the two builds (someone editing while the tests
run) is left out of the comparison.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qa_insights.reports.engine.build import build
from qa_insights.reports.engine.publish import VERSIONED_PACKAGES
from tests.report_helpers import manifest

pytest_plugins = ["tests.fixtures_reports"]

_GENERATED = re.compile(r'(<dd data-param="generated_at">)[^<]*(</dd>)')


def _normalised(path: Path) -> str:
    return _GENERATED.sub(r"\1…\2", path.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_same_month_twice_gives_identical_output(built_month: dict, tmp_path: Path) -> None:
    first_out, month = Path(built_month["out"]), built_month["month"]
    second = build(month=month, data_dir=built_month["data"], out_dir=tmp_path / "again",
                   jobs=2, rca_limit=1, progress=False)
    assert second.exit_code == 0
    one, two = manifest(first_out, month)["reports"], manifest(tmp_path / "again", month)[
        "reports"]
    same = [s for s in two if s in one and all(
        one[s][k] == two[s][k] for k in ("notebook_sha256", "code_sha256", "input_fingerprint",
                                         "parameters", "versions"))]
    assert same, "every notebook changed between the two builds"
    compared = 0
    for stem in same:
        assert one[stem]["build_key"] == two[stem]["build_key"], stem
        for table in two[stem]["tables"]:
            a, b = first_out / month / table, tmp_path / "again" / month / table
            assert a.read_bytes() == b.read_bytes(), table
            compared += 1
        html_a = _normalised(first_out / month / f"{stem}.html")
        html_b = _normalised(tmp_path / "again" / month / f"{stem}.html")
        assert html_a == html_b, stem  # charts included: PNG bytes are deterministic
        compared += 1
    assert compared >= len(same) + 1


@pytest.mark.slow
def test_manifest_records_what_a_rebuild_needs(built_month: dict) -> None:
    entries = manifest(built_month["out"], built_month["month"])["reports"]
    for stem, entry in entries.items():
        assert re.fullmatch(r"[0-9a-f]{64}", entry["input_fingerprint"]), stem
        assert re.fullmatch(r"[0-9a-f]{64}", entry["notebook_sha256"]), stem
        assert re.fullmatch(r"[0-9a-f]{64}", entry["code_sha256"]), stem
        assert set(entry["parameters"]) >= {"month", "data_dir", "scope", "scope_value",
                                            "analyst_mode"}
        assert entry["versions"]["python"] and {"qa-insights", "pandas", "duckdb",
                                                "matplotlib"} <= set(entry["versions"])
        assert set(entry["versions"]) <= {"python", *VERSIONED_PACKAGES}
        assert entry["git_commit"] is None or re.fullmatch(r"[0-9a-f]{12}(-dirty)?",
                                                           entry["git_commit"]), stem
        assert entry["engine"] == "duckdb", stem
