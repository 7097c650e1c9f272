"""Calendar months as ``'YYYY-MM'`` text: the one pattern and the one arithmetic the package uses.

Examples
--------
>>> shift_month("2026-11", 3), previous_month("2026-01")
('2027-02', '2025-12')
>>> month_range("2026-11", "2027-01")
['2026-11', '2026-12', '2027-01']
>>> is_month("2026-13")
False
"""

from __future__ import annotations

import re

__all__ = ["MONTH_PATTERN", "MONTH_RE", "check_month", "is_month", "month_range",
           "previous_month", "shift_month"]

#: A month ``YYYY-MM`` (regular expression text, also used inside DuckDB SQL).
MONTH_PATTERN = r"\d{4}-(0[1-9]|1[0-2])"

#: :data:`MONTH_PATTERN` compiled, for ``fullmatch``.
MONTH_RE = re.compile(MONTH_PATTERN)


def is_month(value: object) -> bool:
    """True when ``value`` is a string ``YYYY-MM`` with a month 01-12.

    Examples
    --------
    >>> is_month("2026-10"), is_month("2026-1"), is_month(202610)
    (True, False, False)
    """
    return isinstance(value, str) and MONTH_RE.fullmatch(value) is not None


def check_month(month: object, name: str = "month") -> str:
    """``month`` itself when it is a month ``YYYY-MM``, else a ValueError naming ``name``.

    Examples
    --------
    >>> check_month("2026-10")
    '2026-10'
    >>> check_month("Oct 2026", "compare_to")
    Traceback (most recent call last):
    ...
    ValueError: compare_to: expected a month 'YYYY-MM', got 'Oct 2026'
    """
    if not is_month(month):
        raise ValueError(f"{name}: expected a month 'YYYY-MM', got {month!r}")
    return str(month)


def shift_month(month: str, k: int) -> str:
    """``month`` moved by ``k`` months (negative: back).

    Examples
    --------
    >>> shift_month("2026-11", 3), shift_month("2026-01", -1), shift_month("2026-05", 0)
    ('2027-02', '2025-12', '2026-05')
    """
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + k
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def previous_month(month: str) -> str:
    """The month before ``month``.

    Examples
    --------
    >>> previous_month("2026-10")
    '2026-09'
    """
    return shift_month(check_month(month), -1)


def month_range(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last``, both included (empty when ``first > last``).

    Examples
    --------
    >>> month_range("2026-12", "2027-02")
    ['2026-12', '2027-01', '2027-02']
    >>> month_range("2027-01", "2026-12")
    []
    """
    out = []
    while first <= last:
        out.append(first)
        first = shift_month(first, 1)
    return out
