"""The source mapping: how a team's own exports map onto the data contract.

A data folder may hold ``qa_insights.yaml`` (or another file given with ``--config`` or
``$QA_INSIGHTS_MAPPING``) describing, per contract table, the files and how to read them,
which of their columns is which contract column, how their labels map to the contract's
values, the format and time zone of their timestamps, and constants for columns the export
lacks. :mod:`qa_insights.data.normalise` applies it; validation then runs unchanged on the
result and names the user's own files and columns.

::

    tables:
      audits:
        files: [maestro_export*.csv]          # glob patterns, relative to the data folder
        reader: {format: csv, delimiter: ";", encoding: latin-1, decimal: ","}
        columns: {audit_id: Audit ID, severity: Sev}   # contract column: your column
        values:                                # your value: contract value
          moderator_decision: {Approve: no_violation, Remove: hate_speech}
        timestamps: {audited_at: {format: "%m/%d/%Y %H:%M", timezone: Europe/Dublin}}
        constants: {site_type: bpo}
        dimensions:                            # your other columns to slice by
          language: Lang                       # dimension name: your column
          team_lead_id: {column: Team Lead, personal: true}   # pseudonymised in reports

Examples
--------
>>> m = parse_mapping({"tables": {"audits": {"files": ["x.csv"],
...     "columns": {"severity": "Sev"}, "constants": {"site_type": "bpo"}}}}, "m.yaml")
>>> m.tables["audits"].columns, m.tables["audits"].reader.format
({'severity': 'Sev'}, None)
>>> normalise_label(" No  Violation ")
'no_violation'
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from qa_insights.data.contract import TABLES
from qa_insights.data.errors import DataError

__all__ = [
    "FORMATS",
    "MAPPING_ENV",
    "MAPPING_FILE",
    "Reader",
    "SourceMapping",
    "TableMapping",
    "TimeFormat",
    "find_mapping",
    "label_columns",
    "load_mapping",
    "normalise_label",
    "normalise_name",
    "parse_mapping",
]

#: Name of the mapping file looked for in a data folder.
MAPPING_FILE = "qa_insights.yaml"

#: Environment variable naming a mapping file (used when no ``config`` is given).
MAPPING_ENV = "QA_INSIGHTS_MAPPING"

#: Readers by format name, and the file endings that imply them.
FORMATS: dict[str, tuple[str, ...]] = {
    "csv": (".csv", ".csv.gz", ".txt", ".tsv"),
    "jsonl": (".jsonl", ".ndjson", ".json"),
    "parquet": (".parquet",),
    "xlsx": (".xlsx",),
}


def normalise_name(name: str) -> str:
    """A header name compared case- and whitespace-insensitively (``" Audit ID"`` ->
    ``"audit_id"``).

    >>> normalise_name("Audit-ID "), normalise_name("auditedAt")
    ('audit_id', 'auditedat')
    """
    return re.sub(r"[\s\-_.]+", "_", str(name).strip().casefold()).strip("_")


def normalise_label(value: str) -> str:
    """A label with case, surrounding and inner whitespace (and hyphens) normalised, the
    form of the contract's values (``"Hate Speech"`` -> ``"hate_speech"``).

    >>> normalise_label("Hate-Speech"), normalise_label("NONE")
    ('hate_speech', 'none')
    """
    return re.sub(r"[\s\-]+", "_", str(value).strip().casefold())


def label_columns(table: str) -> list[str]:
    """Contract columns of ``table`` whose values are labels (normalised by default): the
    fixed-set columns and the decision / label columns.

    >>> label_columns("audits")[:3]
    ['site_type', 'moderator_decision', 'auditor_decision']
    """
    decisions = {"moderator_decision", "auditor_decision", "label", "error_reason"}
    return [c.name for c in TABLES[table].columns if c.allowed or c.name in decisions]


@dataclass(frozen=True)
class Reader:
    """How to read a table's files.

    ``format`` is ``csv``, ``jsonl``, ``parquet`` or ``xlsx`` (None: from each file's
    ending); ``skip_rows`` counts title rows above the header (csv, xlsx); ``decimal`` and
    ``thousands`` apply to the contract's numeric columns.
    """

    format: str | None = None
    delimiter: str = ","
    encoding: str = "utf-8"
    decimal: str = "."
    thousands: str | None = None
    sheet: str | int | None = None
    skip_rows: int = 0


@dataclass(frozen=True)
class TimeFormat:
    """A timestamp (or date, or month) column's ``strptime`` format (None: ISO 8601) and
    the IANA time zone of values without an offset."""

    format: str | None = None
    timezone: str = "UTC"


@dataclass(frozen=True)
class TableMapping:
    """The mapping of one contract table (see the module docstring)."""

    table: str
    files: tuple[str, ...]
    reader: Reader = field(default_factory=Reader)
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    normalise_labels: bool = True
    timestamps: dict[str, TimeFormat] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    dimensions: dict[str, tuple[str, bool]] | None = None


@dataclass(frozen=True)
class SourceMapping:
    """A parsed mapping file: ``path`` and the mapped tables by contract name."""

    path: Path
    tables: dict[str, TableMapping]


def _expect(cond: bool, where: str, message: str) -> None:
    if not cond:
        raise DataError(f"{where}: {message}")


def _str_map(value: Any, where: str, what: str) -> dict[str, str]:
    if value is None:
        return {}
    _expect(isinstance(value, dict), where, f"{what}: expected a mapping of names to values, "
            f"got {type(value).__name__}")
    out = {}
    for key, item in value.items():
        _expect(item is not None and not isinstance(item, (dict, list)), where,
                f"{what}: {key!r} needs a single value")
        out[str(key)] = str(item)
    return out


def _contract_names(names: list[str], table: str, where: str, what: str) -> None:
    known = TABLES[table].names
    for name in names:
        if name not in known:
            from difflib import get_close_matches

            near = get_close_matches(name, known, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise DataError(f"{where}: {what}: {name!r} is not a column of the contract table "
                            f"'{table}'{hint}; contract columns: {', '.join(known)}")


_READER_KEYS = {"format", "delimiter", "encoding", "decimal", "thousands", "sheet",
                "skip_rows"}
_TABLE_KEYS = {"files", "reader", "columns", "values", "normalise_labels", "timestamps",
               "constants", "dimensions"}


def _parse_reader(spec: Any, where: str) -> Reader:
    spec = spec or {}
    _expect(isinstance(spec, dict), where, "reader: expected a mapping")
    unknown = set(spec) - _READER_KEYS
    _expect(not unknown, where, f"reader: unknown key(s) {', '.join(sorted(unknown))}; "
            f"allowed: {', '.join(sorted(_READER_KEYS))}")
    fmt = spec.get("format")
    _expect(fmt is None or fmt in FORMATS, where,
            f"reader.format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    skip = spec.get("skip_rows", 0)
    _expect(isinstance(skip, int) and skip >= 0, where,
            "reader.skip_rows: expected a whole number >= 0")
    delimiter = str(spec.get("delimiter", ","))
    delimiter = "\t" if delimiter in ("\\t", "tab") else delimiter
    _expect(len(delimiter) == 1, where, f"reader.delimiter: expected one character, "
            f"got {delimiter!r}")
    return Reader(format=fmt, delimiter=delimiter, encoding=str(spec.get("encoding", "utf-8")),
                  decimal=str(spec.get("decimal", ".")),
                  thousands=None if spec.get("thousands") is None else str(spec["thousands"]),
                  sheet=spec.get("sheet"), skip_rows=skip)


def _parse_table(name: str, spec: Any, where: str) -> TableMapping:
    where = f"{where}: tables.{name}"
    _expect(name in TABLES, where.rsplit(":", 1)[0],
            f"unknown table {name!r}; contract tables: {', '.join(TABLES)}")
    _expect(isinstance(spec, dict), where, "expected a mapping")
    unknown = set(spec) - _TABLE_KEYS
    _expect(not unknown, where, f"unknown key(s) {', '.join(sorted(unknown))}; allowed: "
            f"{', '.join(sorted(_TABLE_KEYS))}")
    files = spec.get("files")
    files = [files] if isinstance(files, str) else files
    _expect(isinstance(files, list) and bool(files) and all(isinstance(f, str) for f in files),
            where, "files: expected a file name or glob pattern, or a list of them")
    columns = _str_map(spec.get("columns"), where, "columns")
    _contract_names(list(columns), name, where, "columns")
    values_spec = spec.get("values") or {}
    _expect(isinstance(values_spec, dict), where, "values: expected a mapping per column")
    values = {col: _str_map(m, where, f"values.{col}") for col, m in values_spec.items()}
    _contract_names(list(values), name, where, "values")
    constants = _str_map(spec.get("constants"), where, "constants")
    _contract_names(list(constants), name, where, "constants")
    both = sorted(set(columns) & set(constants))
    _expect(not both, where, f"{', '.join(both)}: given both as a column and a constant; "
            "keep one")
    times = {}
    for col, t in (spec.get("timestamps") or {}).items():
        t = {"format": t} if isinstance(t, str) else (t or {})
        _expect(isinstance(t, dict) and set(t) <= {"format", "timezone"}, where,
                f"timestamps.{col}: expected a format string or {{format, timezone}}")
        zone = str(t.get("timezone", "UTC"))
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise DataError(f"{where}: timestamps.{col}.timezone: unknown time zone {zone!r} "
                            "(expected an IANA name such as Europe/Dublin)") from None
        times[str(col)] = TimeFormat(t.get("format"), zone)
    _contract_names(list(times), name, where, "timestamps")
    for col in times:
        _expect(TABLES[name].column(col).type in ("timestamp", "date", "month"), where,
                f"timestamps.{col}: not a timestamp, date or month column")
    normalise = spec.get("normalise_labels", True)
    _expect(isinstance(normalise, bool), where, "normalise_labels: expected true or false")
    return TableMapping(name, tuple(files), _parse_reader(spec.get("reader"), where), columns,
                        values, normalise, times, constants,
                        _parse_dimensions(name, spec.get("dimensions"), where))


def _parse_dimensions(table: str, spec: Any, where: str) -> dict[str, tuple[str, bool]] | None:
    """``dimensions:`` of a table: name -> (your column, personal); None when absent."""
    if spec is None:
        return None
    from qa_insights.data.dimensions import is_dimension_name

    _expect(table in ("audits", "sites"), where,
            "dimensions: only the audits and sites tables take custom dimensions")
    _expect(isinstance(spec, dict), where, "dimensions: expected a mapping of dimension "
            "name -> your column (or {column: ..., personal: true})")
    out: dict[str, tuple[str, bool]] = {}
    for name, item in spec.items():
        name = str(name)
        _expect(is_dimension_name(name) and name not in TABLES[table].names, where,
                f"dimensions: {name!r} cannot be a dimension name: use lower case letters, "
                "digits and _ (starting with a letter), not a contract column or a "
                "derived one (month, week, tenure_band, error_type)")
        item = {"column": item} if isinstance(item, str) else item
        _expect(isinstance(item, dict) and set(item) <= {"column", "personal"}
                and isinstance(item.get("column", name), str)
                and isinstance(item.get("personal", False), bool), where,
                f"dimensions.{name}: expected your column's name or "
                "{column: NAME, personal: true/false}")
        out[name] = (str(item.get("column", name)), bool(item.get("personal", False)))
    return out


def parse_mapping(data: Any, path: str | os.PathLike[str]) -> SourceMapping:
    """Check a mapping read from YAML (``data``) and return it.

    Raises
    ------
    DataError
        Naming the file, the key and what was expected.
    """
    where = str(path)
    _expect(isinstance(data, dict) and isinstance(data.get("tables"), dict), where,
            "expected a top-level key 'tables' with one entry per contract table")
    unknown = set(data) - {"tables"}
    _expect(not unknown, where, f"unknown top-level key(s) {', '.join(sorted(unknown))}")
    tables = {str(n): _parse_table(str(n), spec, where) for n, spec in data["tables"].items()}
    return SourceMapping(Path(path), tables)


def load_mapping(path: str | os.PathLike[str]) -> SourceMapping:
    """Read and check a mapping file (YAML).

    Examples
    --------
    >>> load_mapping("exports/qa_insights.yaml")                  # doctest: +SKIP
    """
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataError(f"{path}: cannot read the mapping file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise DataError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    return parse_mapping(data, path)


def find_mapping(data_dir: str | os.PathLike[str],
                 config: str | os.PathLike[str] | None = None) -> Path | None:
    """The mapping file for ``data_dir``: ``config`` if given, else ``$QA_INSIGHTS_MAPPING``,
    else ``<data_dir>/qa_insights.yaml`` if it exists, else None (the folder is in the
    contract's shape).

    Raises
    ------
    DataError
        When a named mapping file does not exist.
    """
    named = config if config is not None else os.environ.get(MAPPING_ENV) or None
    if named is not None:
        if not Path(named).is_file():
            raise DataError(f"{named}: mapping file not found")
        return Path(named)
    default = Path(data_dir) / MAPPING_FILE
    return default if default.is_file() else None
