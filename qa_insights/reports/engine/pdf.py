"""Print built reports to PDF with headless Chromium (``qa-insights build --pdf``).

Reports are forwarded and archived as PDF, so a build can write ``<stem>.pdf`` beside each
``<stem>.html``. The HTML is printed as it is (its print CSS sets A4, starts the appendix
on a new page and keeps charts and table rows whole; see ``templates/qa_report``), by the
Chromium found by :func:`find_chromium`: ``$QA_INSIGHTS_CHROMIUM``, else ``chromium``,
``chromium-browser``, ``google-chrome`` or ``google-chrome-stable`` on ``PATH``.

Chromium runs headless with a throw-away profile and without its sandbox (containers and
CI often cannot give it one); the page it prints is the report's own, self-contained HTML,
whose Content-Security-Policy allows no script and no network. The PDF is written to a
temporary name and renamed into place, so a reader never opens a half-written file.

Examples
--------
>>> from pathlib import Path
>>> find_chromium({"QA_INSIGHTS_CHROMIUM": "/nowhere/chromium"})
Traceback (most recent call last):
...
qa_insights.reports.engine.pdf.ChromiumMissing: --pdf: $QA_INSIGHTS_CHROMIUM=/nowhere/chromium is not an executable file
>>> print_pdf(Path("reports/2026-10/monthly_quality_report.html"))   # doctest: +SKIP
PosixPath('reports/2026-10/monthly_quality_report.pdf')
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

__all__ = ["CHROMIUM_ENV", "CHROMIUM_NAMES", "ChromiumMissing", "PdfError", "find_chromium",
           "print_pdf"]

#: Environment variable naming the Chromium (or Chrome) executable to print with.
CHROMIUM_ENV = "QA_INSIGHTS_CHROMIUM"
#: Executables looked up on ``PATH`` when :data:`CHROMIUM_ENV` is not set.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class PdfError(RuntimeError):
    """A report could not be printed to PDF."""


class ChromiumMissing(PdfError):
    """No Chromium to print with."""


def find_chromium(environ: Mapping[str, str] | None = None) -> str:
    """The Chromium executable to print with.

    Parameters
    ----------
    environ : mapping, optional
        Environment to read :data:`CHROMIUM_ENV` and ``PATH`` from (default
        ``os.environ``).

    Returns
    -------
    str
        Path of the executable.

    Raises
    ------
    ChromiumMissing
        :data:`CHROMIUM_ENV` names no executable file, or none of :data:`CHROMIUM_NAMES`
        is on ``PATH``; the one-line message says how to fix it.
    """
    env = os.environ if environ is None else environ
    chosen = env.get(CHROMIUM_ENV, "")
    if chosen:
        if Path(chosen).is_file() and os.access(chosen, os.X_OK):
            return chosen
        raise ChromiumMissing(f"--pdf: ${CHROMIUM_ENV}={chosen} is not an executable file")
    for name in CHROMIUM_NAMES:
        found = shutil.which(name, path=env.get("PATH"))
        if found:
            return found
    raise ChromiumMissing(f"--pdf needs Chromium to print the reports and none was found "
                          f"(looked for {', '.join(CHROMIUM_NAMES)} on PATH): install it "
                          f"(e.g. apt-get install chromium) or set ${CHROMIUM_ENV} to its path")


def _magic(path: Path) -> bytes:
    """The first four bytes of ``path`` (empty if it does not exist)."""
    if not path.is_file():
        return b""
    with path.open("rb") as fh:
        return fh.read(4)


def print_pdf(html: Path, pdf: Path | None = None, *, chromium: str | None = None,
              timeout: float = 180) -> Path:
    """Print one report's HTML to PDF with headless Chromium.

    Parameters
    ----------
    html : Path
        The report's HTML file.
    pdf : Path, optional
        Where to write the PDF (default ``html`` with the suffix ``.pdf``).
    chromium : str, optional
        Executable (default :func:`find_chromium`).
    timeout : float
        Seconds Chromium may take.

    Returns
    -------
    Path
        The PDF written.

    Raises
    ------
    PdfError
        Chromium failed, timed out or wrote no PDF (the message names the report and
        Chromium's last line of error output); any earlier PDF is left as it was.
    """
    html = Path(html)
    pdf = html.with_suffix(".pdf") if pdf is None else Path(pdf)
    chromium = chromium or find_chromium()
    tmp = pdf.with_name(f".{pdf.name}.{os.getpid()}.tmp")
    try:
        with tempfile.TemporaryDirectory(prefix="qa-insights-chromium-") as profile:
            command = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
                       "--disable-extensions", "--disable-background-networking",
                       "--no-first-run", "--no-default-browser-check",
                       f"--user-data-dir={profile}", "--no-pdf-header-footer",
                       f"--print-to-pdf={tmp}", html.resolve().as_uri()]
            try:
                done = subprocess.run(command, capture_output=True, text=True,
                                      timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                raise PdfError(f"{html.name}: Chromium did not finish printing within "
                               f"{timeout:.0f} s") from None
            except OSError as exc:
                raise PdfError(f"{html.name}: cannot run {chromium}: {exc}") from None
        if _magic(tmp) != b"%PDF":
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            last = lines[-1].strip() if lines else "no error output"
            raise PdfError(f"{html.name}: Chromium wrote no PDF (exit code "
                           f"{done.returncode}: {last})")
        os.replace(tmp, pdf)
    finally:
        tmp.unlink(missing_ok=True)
    return pdf
