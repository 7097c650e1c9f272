"""The command line: exit codes 0 / 1 / 2 and what it prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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
        "audits.csv", "calibration.csv", "events.csv", "projects.csv", "rate_cards.csv",
        "sites.csv", "targets.csv", "volumes.csv"]  # two months: no saving started yet


def test_data_urls_reach_the_engine_intact(monkeypatch) -> None:
    from qa_insights.reports.engine import build as reports

    seen = {}

    def fake_build(**kwargs):
        seen.update(kwargs)
        raise reports.BuildError("stop here")

    monkeypatch.setattr(reports, "build", fake_build)
    assert main(["build", "--engine", "spark", "--data", "s3a://bucket/qa/clean"]) == 2
    assert seen["data_dir"] == "s3a://bucket/qa/clean"
    assert seen["engine"] == "spark"
    main(["build", "--data", "some/folder"])
    assert seen["data_dir"] == Path("some/folder")


def test_validate_url_is_refused_with_a_message(capsys) -> None:
    assert main(["validate", "s3a://bucket/qa/raw"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: s3a://bucket/qa/raw: DuckDB reads a local data folder; a URL is read by the "
        "Spark engine (--engine spark) from a clean export (qa-insights export)")


def test_validate_unexpected_error_exits_2_in_one_line(tmp_path: Path, monkeypatch,
                                                       capsys) -> None:
    from qa_insights.data import opening as store

    def broken(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "audits.csv"))

    monkeypatch.setattr(store, "open_store", broken)
    assert main(["validate", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"error: PermissionError ({tmp_path / 'audits.csv'}): [Errno 13] Permission denied: "
        f"'{tmp_path / 'audits.csv'}'\n")


def test_validate_unexpected_error_without_a_file(tmp_path: Path, monkeypatch,
                                                  capsys) -> None:
    from qa_insights.data import opening as store

    def broken(*args, **kwargs):
        raise RuntimeError("engine fell over\nsecond line")

    monkeypatch.setattr(store, "open_store", broken)
    assert main(["validate", str(tmp_path)]) == 2
    assert capsys.readouterr().err == "error: RuntimeError: engine fell over\n"


def _help(*argv: str) -> str:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main([*argv, "--help"])
    return out.getvalue()


def test_help_is_plain_text_with_an_example_for_every_command() -> None:
    from qa_insights.cli import EXAMPLES, _parser

    top = _help()
    commands = set(_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert commands == set(EXAMPLES)
    for command in commands:
        text = _help(command)
        assert "``" not in text and ":func:" not in text and ":class:" not in text, command
        assert f"example:\n  qa-insights {command}" in text, command
        assert EXAMPLES[command] in top
        description = text.split("\n\n")[1]
        assert not description.startswith(("options", "positional")), command


def test_help_shows_option_defaults() -> None:
    text = _help("build")
    assert "(default: reports)" in text and "(default: data_samples)" in text
    assert "(default: csv)" in _help("sample-data")  # --format
