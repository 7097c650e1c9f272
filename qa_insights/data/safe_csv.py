"""Writing report tables as CSV that is safe to open in a spreadsheet.

Values that come from data (comments, names) may start with ``=``, ``+``, ``-``, ``@`` or a
tab/carriage return; Excel and Google Sheets would run them as formulas (CSV injection).
Such text cells get a leading apostrophe; numbers are left alone.

Examples
--------
>>> import pandas as pd
>>> neutralise_formulas(pd.DataFrame({"c": ["=HYPERLINK(1)", "ok", "-3"], "n": [-1, 2, 3]}))
                c  n
0  '=HYPERLINK(1) -1
1              ok  2
2              -3  3
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

__all__ = ["neutralise_formulas", "write_csv"]

_FORMULA_START = re.compile(r"^[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _neutralise(value: object) -> object:
    if isinstance(value, str) and _FORMULA_START.match(value) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy in which text cells that a spreadsheet would run as a formula start
    with an apostrophe (plain numbers such as ``-3`` are kept)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(_neutralise)
    return out


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` as UTF-8 CSV with formulas neutralised, floats at full precision,
    LF line ends and no index; returns the path."""
    path = Path(path)
    neutralise_formulas(frame).to_csv(path, index=False, lineterminator="\n",
                                      float_format="%.12g")
    return path
