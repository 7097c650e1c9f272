"""The command line: exit codes 0 / 1 / 2 and what it prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from qa_insights.cli import main

from .fixtures_data import audit_row, write_audits

ROOT = Path(__file__).resolve().parents[1]


def test_validate_clean_sample_exits_0(capsys) -> None:
    assert main(["validate", str(ROOT / "data_samples")]) == 0
    out = capsys.readouterr().out
    assert "All rows loaded." in out and "audits" in out and "calibration" in out


def test_validate_with_quarantine_exits_1(tmp_path: Path, capsys) -> None:
    write_audits(tmp_path / "d", [audit_row("A1"), audit_row("A2", site_type="x")])
    code = main(["validate", str(tmp_path / "d"), "--quarantine-dir", str(tmp_path / "q")])
    assert code == 1
    out = capsys.readouterr().out
    assert "site_type: expected one of in_house, bpo" in out
    assert "1 row(s) quarantined" in out
    assert (tmp_path / "q" / "audits.quarantine.csv").exists()


def test_validate_fatal_exits_2(tmp_path: Path, capsys) -> None:
    assert main(["validate", str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'missing'}: data folder not found"


def test_console_script_and_sample_data(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("qa-insights")
    result = subprocess.run([str(exe), "sample-data", "--out", str(tmp_path), "--months", "2",
                             "--audits-per-month", "50"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "audits.csv", "calibration.csv", "targets.csv", "volumes.csv"]
