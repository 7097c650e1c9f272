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

__all__ = ["QUALITY_COLUMNS", "slugify", "write_table"]

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


def write_table(frame: pd.DataFrame, name: str, tables_dir: str | os.PathLike, *,
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
