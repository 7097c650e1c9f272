"""Excel workbooks of report tables, for finance partners who live in Excel.

:func:`write_xlsx` writes one table as a workbook with two sheets: ``data`` (the table,
unrounded, with a number format per column: money with thousands separators, rates as
percentages, counts as integers) and ``README`` (what the table is, where it comes from,
and every column with the format it is shown in). The numbers are the same values as the
table's CSV: formatting changes how Excel shows them, not what is stored.

The file is byte-for-byte reproducible: the same frame gives the same bytes (fixed document
and zip-entry times), so a rebuild of a report gives identical tables.

Text cells that Excel would run as formulas are neutralised as in the CSV
(:func:`qa_insights.data.safe_csv.neutralise_formulas`) and stored as text.

Examples
--------
>>> number_format("cost_per_item"), number_format("accuracy"), number_format("n_audits")
('#,##0.0000', '0.00%', '#,##0')
"""

from __future__ import annotations

import datetime
import io
import os
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.xml.functions import tostring

from qa_insights.data.safe_csv import neutralise_formulas

__all__ = ["README_SHEET", "DATA_SHEET", "number_format", "write_xlsx"]

#: Sheet names.
DATA_SHEET = "data"
README_SHEET = "README"

#: Document and zip-entry time of every workbook (no build time: reproducible bytes).
_FIXED_TIME = datetime.datetime(2000, 1, 1)

_INTERVAL_SUFFIX = re.compile(r"(_ci)?_(low|high)$")
_PERCENT_WORDS = ("accuracy", "rate", "share", "utilisation")
_MONEY_WORDS = ("cost", "budget", "variance", "amount", "saving")


def _format(column: str, integer: bool) -> tuple[str, str]:
    stem = _INTERVAL_SUFFIX.sub("", column.lower())
    rules = (
        ("p_value" in stem or "p_holm" in stem, "0.0000", "p-value"),
        (re.search(r"(^|_)pts$", stem) is not None, "0.00", "percentage points"),
        (re.search(r"(^|_)pct$", stem) is not None, "0.0", "percent"),
        ("cost_per_" in stem or "unit_cost" in stem, "#,##0.0000", "money per unit"),
        (stem.endswith("_per_hour"), "#,##0.0", "items per hour"),
        (stem.endswith("_s"), "#,##0.0", "seconds"),
        (any(w in stem for w in _PERCENT_WORDS), "0.00%", "proportion, shown as %"),
        (any(w in stem for w in _MONEY_WORDS), "#,##0.00", "money"),
        (integer or stem.startswith("n_"), "#,##0", "count"),
    )
    return next(((fmt, text) for hit, fmt, text in rules if hit), ("0.000", "number"))


def number_format(column: str, integer: bool = False) -> str:
    """Excel number format of a column, from its name (and whether it holds integers).

    Examples
    --------
    >>> number_format("accuracy_diff_pts"), number_format("accuracy_p_holm")
    ('0.00', '0.0000')
    >>> number_format("cost"), number_format("items_handled", integer=True)
    ('#,##0.00', '#,##0')
    """
    return _format(column, integer)[0]


def _cell(value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_xlsx(frame: pd.DataFrame, path: str | os.PathLike[str], *, title: str,
               notes: str = "") -> Path:
    """Write ``frame`` as an Excel workbook with a ``data`` and a ``README`` sheet.

    Parameters
    ----------
    frame : DataFrame
        The table, unrounded (the same frame as its CSV).
    path : path or str
        Workbook file (``.xlsx``).
    title : str
        Table name shown on the README sheet.
    notes : str
        Extra lines for the README sheet.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "cost.xlsx"
    >>> write_xlsx(pd.DataFrame({"site": ["a"], "cost": [1234.5]}), p, title="cost").name
    'cost.xlsx'
    """
    path = Path(path)
    safe = neutralise_formulas(frame)
    wb = Workbook()
    data = wb.active
    data.title = DATA_SHEET
    data.append([str(c) for c in safe.columns])
    for cell in data[1]:
        cell.font = Font(bold=True)
    data.freeze_panes = "A2"
    for row in safe.itertuples(index=False):
        data.append([_cell(v) for v in row])
    formats = []
    for k, column in enumerate(safe.columns, start=1):
        numeric = pd.api.types.is_numeric_dtype(safe[column]) and \
            not pd.api.types.is_bool_dtype(safe[column])
        integer = pd.api.types.is_integer_dtype(safe[column])
        fmt, description = _format(str(column), integer) if numeric else ("@", "text")
        formats.append((str(column), fmt, description))
        letter = data.cell(row=1, column=k).column_letter
        data.column_dimensions[letter].width = max(10, min(40, len(str(column)) + 2))
        if numeric:
            for cell in data[letter][1:]:
                cell.number_format = fmt
    readme = wb.create_sheet(README_SHEET)
    lines = [[title], [f"The table '{title}' of a qa-insights report: {len(safe)} rows on the "
                       f"'{DATA_SHEET}' sheet, the same values as {title}.csv."],
             ["Numbers are stored unrounded; the formats below change how Excel shows them."]]
    lines += [[line] for line in notes.splitlines() if line.strip()]
    lines += [[], ["column", "shown as", "number format"]]
    lines += [[c, d, f] for c, f, d in formats]
    for line in lines:
        readme.append(line)
    readme["A1"].font = Font(bold=True, size=14)
    readme.column_dimensions["A"].width = 40
    readme.column_dimensions["B"].width = 28
    _save_reproducibly(wb, path)
    return path


def _save_reproducibly(wb: Workbook, path: Path) -> None:
    """Save with fixed times: openpyxl stamps the document and the zip entries with now."""
    buffer = io.BytesIO()
    wb.save(buffer)
    wb.properties.created = wb.properties.modified = _FIXED_TIME
    core = tostring(wb.properties.to_tree())
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = core if item.filename == "docProps/core.xml" else src.read(item)
            info = zipfile.ZipInfo(item.filename, date_time=_FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
