"""CSV tables behind a report, written where the build engine collects them.

A report notebook calls :func:`write_table` for every table it shows; the build engine passes
the notebook a private ``tables_dir`` and publishes the files under ``<out>/<month>/tables/``
together with the HTML, only if the whole report succeeded. Run interactively with
``tables_dir = ""`` nothing is written. Text cells that a spreadsheet would run as formulas
are neutralised (:func:`qa_insights.data.safe_csv.write_csv`).

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

__all__ = ["QUALITY_COLUMNS", "SUMMARY_FILE", "slugify", "write_summary", "write_table"]

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


def write_table(frame: pd.DataFrame, name: str, tables_dir: str | os.PathLike) -> Path | None:
    """Write ``frame`` as ``<tables_dir>/<slug of name>.csv``; nothing when ``tables_dir``
    is empty. Returns the path written (or None).

    Parameters
    ----------
    frame : DataFrame
        The table exactly as its numbers appear in the report (unrounded).
    name : str
        Table name, e.g. ``"quality_by_site"``.
    tables_dir : path or str
        The notebook's ``tables_dir`` parameter.
    """
    if not str(tables_dir):
        return None
    folder = Path(tables_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return write_csv(frame, folder / f"{slugify(name)}.csv")


def write_summary(text: str, tables_dir: str | os.PathLike) -> Path | None:
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
