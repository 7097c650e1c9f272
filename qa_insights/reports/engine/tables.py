"""CSV tables behind a report, written where the build engine collects them.

A report notebook calls :func:`write_table` for every table it shows; the build engine passes
the notebook a private ``tables_dir`` and publishes the files under ``<out>/<month>/tables/``
together with the HTML, only if the whole report succeeded. Run interactively with
``tables_dir = ""`` nothing is written. Text cells that a spreadsheet would run as formulas
are neutralised (:func:`qa_insights.data.safe_csv.write_csv`). With ``xlsx=True`` (the money
tables) the same frame is also written as ``<name>.xlsx`` with formatted numbers and a README
sheet (:func:`qa_insights.present.xlsx.write_xlsx`); the build publishes it beside the CSV.
The CSV is what the privacy check reads, and the workbook holds the same values.

Examples
--------
>>> import pandas as pd, tempfile
>>> d = tempfile.mkdtemp()
>>> write_table(pd.DataFrame({"site": ["a"]}), "quality_by_site", d).name
'quality_by_site.csv'
>>> write_table(pd.DataFrame({"site": ["a"]}), "quality_by_site", "") is None
True
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pandas as pd

from qa_insights.data.safe_csv import write_csv
from qa_insights.present.xlsx import write_xlsx

__all__ = ["FINDINGS_FILE", "QUALITY_COLUMNS", "SUMMARY_FILE", "merge_findings", "slugify",
           "write_findings", "write_summary", "write_table"]

#: The month's claims of every report, one row each (``tables/findings.csv``): each notebook
#: writes its own rows next to ``tables_dir`` and the build engine merges them in.
FINDINGS_FILE = "findings.csv"

#: File the notebook writes its executive summary to, next to ``tables_dir``; the build
#: engine publishes it as ``<report>.summary.md`` beside the report's HTML.
SUMMARY_FILE = "summary.md"

#: Columns of the quality tables (``quality_by_site.csv`` ...) after the segment column;
#: ``ci_low``/``ci_high`` bound the accuracy (95% Wilson interval).
QUALITY_COLUMNS: tuple[str, ...] = ("n_audits", "n_errors", "accuracy", "ci_low", "ci_high")

_UNSAFE = re.compile(r"[^a-z0-9_-]+")


def slugify(name: str, max_length: int = 60) -> str:
    """A file-name-safe version of ``name``: lower case ``[a-z0-9_-]``; names that had to be
    changed get a short hash suffix so two different names never collide.

    Examples
    --------
    >>> slugify("hate_speech")
    'hate_speech'
    >>> slugify("Hate Speech/<x>")
    'hate_speech_x-d15fad'
    """
    text = str(name)
    slug = _UNSAFE.sub("_", text.lower()).strip("_-")[:max_length] or "x"
    if slug != text:
        slug += "-" + hashlib.sha256(text.encode()).hexdigest()[:6]
    return slug


def write_table(frame: pd.DataFrame, name: str, tables_dir: str | os.PathLike[str], *,
                xlsx: bool = False, notes: str = "") -> Path | None:
    """Write ``frame`` as ``<tables_dir>/<slug of name>.csv`` (and ``.xlsx`` with ``xlsx``);
    nothing when ``tables_dir`` is empty. Returns the CSV path written (or None).

    Parameters
    ----------
    frame : DataFrame
        The table exactly as its numbers appear in the report (unrounded).
    name : str
        Table name, e.g. ``"quality_by_site"``.
    tables_dir : path or str
        The notebook's ``tables_dir`` parameter.
    xlsx : bool
        Also write an Excel workbook of the same frame (money tables, for finance).
    notes : str
        Extra lines for the workbook's README sheet.
    """
    if not str(tables_dir):
        return None
    folder = Path(tables_dir)
    folder.mkdir(parents=True, exist_ok=True)
    slug = slugify(name)
    if xlsx:
        write_xlsx(frame, folder / f"{slug}.xlsx", title=slug, notes=notes)
    return write_csv(frame, folder / f"{slug}.csv")


def write_summary(text: str, tables_dir: str | os.PathLike[str]) -> Path | None:
    """Write the report's executive summary (Markdown) as :data:`SUMMARY_FILE` beside
    ``tables_dir``, where the build engine collects it; nothing when ``tables_dir`` is empty.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()) / "tables"
    >>> write_summary("# MQR\\n\\nNo action needed.\\n", d).name
    'summary.md'
    """
    if not str(tables_dir):
        return None
    path = Path(tables_dir).parent / SUMMARY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_findings(frame: pd.DataFrame, tables_dir: str | os.PathLike[str]) -> Path | None:
    """Write this report's claims (one row each, column ``report`` first) as
    :data:`FINDINGS_FILE` beside ``tables_dir``; the build engine merges them into the
    month's ``tables/findings.csv`` (:func:`merge_findings`). Nothing when ``tables_dir``
    is empty.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()) / "tables"
    >>> write_findings(pd.DataFrame({"report": ["mqr"], "sentence": ["x"]}), d).name
    'findings.csv'
    """
    if not str(tables_dir):
        return None
    folder = Path(tables_dir).parent
    folder.mkdir(parents=True, exist_ok=True)
    return write_csv(frame, folder / FINDINGS_FILE)


def merge_findings(source: str | os.PathLike[str], target: str | os.PathLike[str], report: str) -> Path:
    """Replace ``report``'s rows of the month's findings table ``target`` by the rows of
    ``source`` (their ``report`` column set to ``report``; none when ``source`` does not
    exist); other reports' rows stay, in their order, before the new ones. Written to a
    temporary file and renamed into place.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = pd.DataFrame({"report": ["a", "b"], "sentence": ["old a", "b"]}).to_csv(
    ...     d / "all.csv", index=False)
    >>> _ = pd.DataFrame({"report": ["a"], "sentence": ["new a"]}).to_csv(d / "a.csv",
    ...                                                                  index=False)
    >>> pd.read_csv(merge_findings(d / "a.csv", d / "all.csv", "a")).sentence.tolist()
    ['b', 'new a']
    """
    rows = (pd.read_csv(source, dtype=str, keep_default_na=False).assign(report=report)
            if Path(source).is_file() else pd.DataFrame({"report": []}, dtype=str))
    target = Path(target)
    if target.is_file():
        old = pd.read_csv(target, dtype=str, keep_default_na=False)
        rows = pd.concat([old[old["report"] != report], rows], ignore_index=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        write_csv(rows, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
