"""Which month a report is about when none is given, and which months look like typos.

A single audit dated 2099 (a typing error) must not become "the latest month". A month is
*plausible* when it holds at least :data:`PLAUSIBLE_SHARE` of the median month's audits;
the default month is the latest plausible one, and the choice says so when it skipped a
later month.

Examples
--------
>>> default_month({"2026-09": 2900, "2026-10": 3100, "2099-10": 1})
('2026-10', 'latest month with a plausible number of audits; skipped 2099-10 (1 audit), under 10% of the median month, 2,900 audits: a date typo?')
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping

__all__ = ["PLAUSIBLE_SHARE", "default_month", "sparse_month_notes", "sparse_months"]

#: A month with fewer audits than this share of the median month is implausibly sparse.
PLAUSIBLE_SHARE = 0.1


def sparse_months(counts: Mapping[str, int]) -> list[str]:
    """Months whose count is under :data:`PLAUSIBLE_SHARE` of the median month's, oldest
    first (months with no rows are ignored).

    Examples
    --------
    >>> sparse_months({"2026-09": 2900, "2026-10": 3100, "2099-10": 1})
    ['2099-10']
    >>> sparse_months({"2026-10": 5})
    []
    """
    present = {m: n for m, n in counts.items() if n > 0}
    if not present:
        return []
    median = statistics.median(present.values())
    return sorted(m for m, n in present.items() if n < PLAUSIBLE_SHARE * median)


def _describe(counts: Mapping[str, int], months: list[str]) -> str:
    median = statistics.median(n for n in counts.values() if n > 0)
    listed = ", ".join(f"{m} ({counts[m]:,} audit{'s' if counts[m] != 1 else ''})"
                       for m in months[:5]) + (", ..." if len(months) > 5 else "")
    return (f"{listed}, under {PLAUSIBLE_SHARE:.0%} of the median month, {median:,.0f} audits: "
            "a date typo?")


def default_month(counts: Mapping[str, int]) -> tuple[str, str]:
    """The latest month with a plausible number of audits, and a sentence saying how it was
    chosen (naming the later sparse months it skipped).

    Parameters
    ----------
    counts : mapping
        Month (YYYY-MM) -> audits.

    Raises
    ------
    ValueError
        When no month has audits.

    Examples
    --------
    >>> default_month({"2026-09": 2900, "2026-10": 3100})
    ('2026-10', 'latest month with audits')
    """
    present = sorted(m for m, n in counts.items() if n > 0)
    if not present:
        raise ValueError("no month has audits")
    sparse = set(sparse_months(counts))
    month = max(m for m in present if m not in sparse)
    skipped = [m for m in present if m > month]
    if not skipped:
        return month, "latest month with audits"
    return month, ("latest month with a plausible number of audits; skipped "
                   + _describe(counts, skipped))


def sparse_month_notes(counts: Mapping[str, int], column: str) -> list[str]:
    """A validation note naming the implausibly sparse months, if any.

    Examples
    --------
    >>> sparse_month_notes({"2026-10": 3000, "2026-11": 3000, "2099-10": 1}, "audited_at")
    ['audited_at: sparse months 2099-10 (1 audit), under 10% of the median month, 3,000 audits: a date typo? A build without --month never picks them']
    """
    sparse = sparse_months(counts)
    if not sparse:
        return []
    note = (f"{column}: sparse months {_describe(counts, sparse)} A build without --month "
            "never picks them")
    return [note]
