"""Which columns a data folder holds, and what a missing or unknown one costs.

A missing optional column must not turn a metric into a silent zero (no ``severity``: no
critical errors, so a critical-error rate of 0%). :func:`check_columns` compares a table's
header with the contract: columns the contract does not know (with a "did you mean" for a
near miss of a contract name) and optional contract columns that are absent, each with the
metrics it disables (:data:`DISABLES`). :func:`missing_columns` tells an analysis which
columns a store lacks, so it shows such a metric as not available instead of 0.

Examples
--------
>>> c = check_columns("audits", ["audit_id", "sev", "language"])
>>> c.unknown
[('sev', 'severity'), ('language', None)]
>>> check_columns("audits", ["audit_id", "severty"]).unknown
[('severty', 'severity')]
>>> dict(c.missing_optional)["severity"][:1]
('critical_error_rate',)
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from qa_insights.data.contract import TABLES

__all__ = ["DERIVED", "DISABLES", "ColumnCheck", "check_columns", "missing_columns",
           "nearest_contract_column", "read_header", "repeated_names", "unavailable_reason"]

#: Optional contract column -> the metrics and analyses that need it (the reports use every
#: one listed; a column not listed here is informational).
DISABLES: dict[str, dict[str, tuple[str, ...]]] = {
    "audits": {
        "severity": ("critical_error_rate", "weighted_error_rate", "quality_score",
                     "severity mix"),
        "dispute_status": ("dispute_rate", "overturn_rate",
                           "overturned audits counted as errors"),
        "error_reason": ("error reasons (RCA Pareto, reason change)",),
        "handle_time_s": ("handle time and its bands (RCA drivers, MBR cost and speed)",),
        "moderator_tenure_days": ("tenure_band (RCA drivers, coaching)",),
        "auditor_id": ("auditor breakdowns",),
    },
}


#: Columns the store derives for a table (a clean export, ``qa-insights export``, holds
#: them; validation recomputes them): not unknown columns.
DERIVED: dict[str, tuple[str, ...]] = {"audits": ("month", "is_error", "error_type")}


@dataclass
class ColumnCheck:
    """Header findings of one table: ``unknown`` (name, nearest contract name or None),
    ``missing_optional`` (contract column, what it disables; empty tuple when nothing)."""

    table: str
    unknown: list[tuple[str, str | None]] = field(default_factory=list)
    missing_optional: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    @property
    def disabling(self) -> list[str]:
        """Missing optional columns that a report uses."""
        return [name for name, uses in self.missing_optional if uses]

    def lines(self) -> list[str]:
        """One readable line per finding.

        >>> check_columns("audits", ["audit_id", "severty"]).lines()[0]
        "audits: column 'severty' is not in the contract and is ignored (did you mean 'severity'?)"
        """
        out = []
        for name, near in self.unknown:
            hint = f" (did you mean {near!r}?)" if near else ""
            out.append(f"{self.table}: column {name!r} is not in the contract and is "
                       f"ignored{hint}")
        for name, uses in self.missing_optional:
            cost = f": not available: {', '.join(uses)}" if uses else ""
            out.append(f"{self.table}: optional column {name!r} missing{cost}")
        return out


def check_columns(table: str, header: Sequence[str],
                  dimensions: Sequence[str] = ()) -> ColumnCheck:
    """Compare ``header`` with the contract table ``table`` (see the module docstring).

    The "did you mean" suggestion is the closest contract column that the header lacks.
    Columns in ``dimensions`` (the store's custom dimensions) are not unknown.
    """
    contract = TABLES[table].names
    present = set(header)
    absent = [c for c in contract if c not in present]
    check = ColumnCheck(table)
    for name in header:
        if (name in contract or name.startswith("_") or name in DERIVED.get(table, ())
                or name in dimensions):
            continue
        check.unknown.append((name, nearest_contract_column(name, absent)))
    uses = DISABLES.get(table, {})
    for col in TABLES[table].columns:
        if not col.required and col.name not in present:
            check.missing_optional.append((col.name, uses.get(col.name, ())))
    return check


def nearest_contract_column(name: str, absent: Sequence[str]) -> str | None:
    """The absent contract name ``name`` most likely meant: equal up to case and spacing,
    an abbreviation (``sev``), or a close spelling (``severty``); None when none is close.

    Examples
    --------
    >>> nearest_contract_column("severty", ["severity", "comment"])
    'severity'
    >>> nearest_contract_column("language", ["severity", "comment"]) is None
    True
    """
    norm = re.sub(r"[\s\-.]+", "_", name.strip().lower())
    for contract in absent:
        if norm == contract or (len(norm) >= 3 and contract.startswith(norm)):
            return contract
    near = get_close_matches(norm, list(absent), n=1, cutoff=0.75)
    return near[0] if near else None


def read_header(kind: str | None, files: Sequence[Path]) -> list[str]:
    """The union of the files' column names, in first-seen order (CSV: the header row;
    Parquet: the schema). Unreadable files give no names: reading them reports the error.

    Examples
    --------
    >>> read_header(None, [])
    []
    """
    names: dict[str, None] = {}
    for path in files:
        try:
            if kind == "csv":
                opener = gzip.open if path.name.lower().endswith(".gz") else open
                with opener(path, "rb") as fh:
                    line = fh.readline(1 << 20).decode("utf-8-sig")
                header = next(csv.reader(io.StringIO(line)), [])
            else:
                import pyarrow.parquet as pq

                header = pq.read_schema(path).names
        except (OSError, EOFError, UnicodeDecodeError, csv.Error, ValueError):
            continue
        names.update(dict.fromkeys(header))
    return list(names)


def repeated_names(kind: str | None, files: Sequence[Path]) -> set[str]:
    """Names that appear more than once in one CSV file's header (ignored, never a
    dimension; a Parquet schema cannot repeat a name).

    Examples
    --------
    >>> repeated_names("parquet", [])
    set()
    """
    if kind != "csv":
        return set()
    out: set[str] = set()
    for path in files:
        try:
            opener = gzip.open if path.name.lower().endswith(".gz") else open
            with opener(path, "rb") as fh:
                line = fh.readline(1 << 20).decode("utf-8-sig")
        except (OSError, EOFError, UnicodeDecodeError):
            continue
        header = next(csv.reader(io.StringIO(line)), [])
        out |= {h for h in header if header.count(h) > 1}
    return out


def missing_columns(store: Any, table: str = "audits") -> set[str]:
    """Optional contract columns of ``table`` that the store's data lacked (empty when the
    store does not record its headers, e.g. a Spark store over a clean export)."""
    header = getattr(store, "columns", {}).get(table)
    if header is None:
        return set()
    return {c.name for c in TABLES[table].columns if not c.required and c.name not in header}


def unavailable_reason(column: str) -> str:
    """The text a report shows instead of a number computed from a missing column.

    >>> unavailable_reason("severity")
    'not available: column severity missing'
    """
    return f"not available: column {column} missing"
