"""One cell of a pandas frame as a plain Python number, for the type checker and the reader.

pandas-stubs type a value read from a frame (``df.loc[i, "n"]``, ``row["rate"]``,
``series.iloc[0]``) as the union of every scalar a column can hold (str, Timestamp,
Interval, ...), so arithmetic on it fails ``mypy --strict``. These helpers convert such a
value once, where it is read, with the same result as ``float(x)`` / ``int(x)`` at run
time.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"n": [120], "rate": [0.05]})
>>> as_int(df.loc[0, "n"]) * as_float(df.loc[0, "rate"])
6.0
"""

from __future__ import annotations

from typing import SupportsFloat, SupportsInt, cast

__all__ = ["as_float", "as_int"]


def as_float(value: object) -> float:
    """``float(value)`` for a value read from a frame or array (numpy and pandas scalars).

    Examples
    --------
    >>> import numpy as np
    >>> as_float(np.float64(0.25)), as_float(np.int64(3))
    (0.25, 3.0)
    """
    return float(cast(SupportsFloat, value))


def as_int(value: object) -> int:
    """``int(value)`` for a value read from a frame or array (numpy and pandas scalars).

    Examples
    --------
    >>> import numpy as np
    >>> as_int(np.int64(7)), as_int(np.float64(7.0))
    (7, 7)
    """
    return int(cast(SupportsInt, value))
