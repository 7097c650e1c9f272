"""PDF beside the HTML (``qa-insights build --pdf``): headless Chromium prints each report;
a missing Chromium stops the build with one clear line before anything runs; the built
sample MQR prints to at most 8 A4 pages, with the print rules that keep table rows and
charts whole and start the appendix on a new page."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from qa_insights import cli
from qa_insights.reports.engine.build import BuildError, build
from qa_insights.reports.engine.kinds import ReportSpec
from qa_insights.reports.engine.pdf import (
    CHROMIUM_ENV,
    ChromiumMissing,
    PdfError,
    find_chromium,
    print_pdf,
)
from tests.report_helpers import pdf_pages, tiny_notebook

pytest_plugins = ["tests.fixtures_reports"]

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason="chromium is not installed (CI installs it)")
#: A4 in PostScript points, as Chromium writes it (210 x 297 mm).
A4 = (595, 842)


def _script(path: Path, body: str) -> str:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_find_chromium_names_the_fix_when_there_is_none(tmp_path: Path) -> None:
    with pytest.raises(ChromiumMissing, match=r"--pdf needs Chromium .* apt-get install "
                                              r"chromium\) or set \$QA_INSIGHTS_CHROMIUM"):
        find_chromium({"PATH": str(tmp_path)})
    with pytest.raises(ChromiumMissing, match="is not an executable file"):
        find_chromium({CHROMIUM_ENV: str(tmp_path / "nope")})
    chosen = _script(tmp_path / "my-chromium", "exit 0")
    assert find_chromium({CHROMIUM_ENV: chosen, "PATH": ""}) == chosen
    _script(tmp_path / "chromium-browser", "exit 0")
    assert find_chromium({"PATH": str(tmp_path)}) == str(tmp_path / "chromium-browser")


def test_print_pdf_errors_name_the_report_and_keep_the_old_pdf(tmp_path: Path) -> None:
    html = tmp_path / "monthly_quality_report.html"
    html.write_text("<p>report</p>")
    old = html.with_suffix(".pdf")
    old.write_bytes(b"%PDF-old")
    silent = _script(tmp_path / "fails", "echo 'first line' >&2; echo 'GPU gone' >&2; exit 3")
    with pytest.raises(PdfError, match=r"monthly_quality_report.html: Chromium wrote no PDF "
                                       r"\(exit code 3: GPU gone\)"):
        print_pdf(html, chromium=silent)
    assert old.read_bytes() == b"%PDF-old"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    slow = _script(tmp_path / "slow", "sleep 5")
    with pytest.raises(PdfError, match="did not finish printing within 1 s"):
        print_pdf(html, chromium=slow, timeout=1)
    # a stand-in that writes what --print-to-pdf=<file> asks for
    fake = _script(tmp_path / "fake", 'for a in "$@"; do case "$a" in --print-to-pdf=*) '
                                      'printf "%%PDF-1.4 fake" > "${a#--print-to-pdf=}";; '
                                      "esac; done")
    assert print_pdf(html, chromium=fake) == old
    assert old.read_bytes() == b"%PDF-1.4 fake"


def test_build_pdf_without_chromium_stops_before_running(tmp_path: Path, monkeypatch,
                                                          capsys) -> None:
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "missing-chromium"))
    with pytest.raises(BuildError, match="QA_INSIGHTS_CHROMIUM"):
        build(data_dir=tmp_path / "no-data", out_dir=tmp_path / "out", pdf=True,
              progress=False)
    code = cli.main(["build", "--pdf", "--data", str(tmp_path), "--out",
                     str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: --pdf: $QA_INSIGHTS")
    assert not (tmp_path / "out").exists()  # nothing ran, nothing written


@pytest.mark.slow
@needs_chromium
def test_build_pdf_writes_a_pdf_beside_each_html(sample_data: Path, tmp_path: Path,
                                                 monkeypatch) -> None:
    monkeypatch.delenv(CHROMIUM_ENV, raising=False)
    notebooks, out = tmp_path / "notebooks", tmp_path / "out"
    tiny_notebook(notebooks / "tiny.ipynb", "print('hello')", heading="Hello")
    registry = {"tiny": ReportSpec("tiny", "tiny.ipynb", "Tiny report")}
    first = build(data_dir=sample_data, out_dir=out, registry=registry, jobs=1,
                  progress=False, notebooks_dir=notebooks, pdf=True)
    month = first.months[0]
    pdf = out / month / "tiny.pdf"
    assert first.exit_code == 0 and first.pdfs == [pdf] and first.pdf_errors == []
    data = pdf.read_bytes()
    assert data[:4] == b"%PDF" and pdf_pages(data) == 1
    # unchanged and already printed: nothing to do
    again = build(data_dir=sample_data, out_dir=out, registry=registry, jobs=1,
                  progress=False, notebooks_dir=notebooks, pdf=True)
    assert again.skipped and again.pdfs == []
    # rebuilt without --pdf: the PDF of the old HTML is removed, not left stale
    os.utime(pdf, ns=(0, 0))
    plain = build(data_dir=sample_data, out_dir=out, registry=registry, jobs=1,
                  progress=False, notebooks_dir=notebooks, force=True)
    assert plain.exit_code == 0 and not pdf.exists()
    assert (out / month / "tiny.html").is_file()


@pytest.mark.slow
@needs_chromium
def test_built_mqr_prints_to_at_most_8_a4_pages(built_month: dict, tmp_path: Path) -> None:
    html = Path(built_month["out"]) / built_month["month"] / "monthly_quality_report.html"
    text = html.read_text(encoding="utf-8")
    # the print rules: A4, appendix on a new page, no row or chart split, headings kept
    for rule in ("@page { size: A4;", "body .jp-Cell:has(.celltag_appendix) { break-before: "
                 "page; }", "body table.qa-table tr { break-inside: avoid; }",
                 "body .jp-RenderedImage, body .qa-headline, body .qa-summary { break-inside: "
                 "avoid; }", "body table.qa-table thead { display: table-header-group; }"):
        assert rule in text, rule
    assert text.count("celltag_appendix") == 2  # the rule and the appendix's cell
    pdf = print_pdf(html, tmp_path / "mqr.pdf", chromium=str(CHROMIUM))
    data = pdf.read_bytes()
    assert 1 < pdf_pages(data) <= 8
    boxes = {tuple(round(float(v)) for v in box.split()[2:])
             for box in re.findall(rb"/MediaBox \[([^\]]*)\]", data)}
    assert boxes == {A4}
