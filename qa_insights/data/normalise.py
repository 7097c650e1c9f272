"""Apply a source mapping: read a team's exports and write them in the contract's shape.

:func:`normalise_folder` reads every file a :class:`~qa_insights.data.mapping.SourceMapping`
names (CSV with any delimiter and encoding, JSON lines, Parquet, Excel), renames columns to
the contract's names (a header that differs only by case or whitespace matches without
being named), maps and normalises labels, converts timestamps to UTC ISO 8601, adds
constant columns, and writes one all-text Parquet file per input file into a folder the
ordinary store opens. Every input row becomes exactly one output row, in order, so a
quarantined row's number is its data-row number in the user's file (``origins``).

Values are kept as text; type and allowed-value checks are validation's job, so a value the
mapping cannot convert is passed on and quarantined there with the user's file and row.

Examples
--------
>>> from qa_insights.data.mapping import load_mapping
>>> result = normalise_folder(load_mapping("exports/qa_insights.yaml"), "exports", "/tmp/n")
...                                                                  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from qa_insights.data.contract import TABLES, Table
from qa_insights.data.errors import DataError
from qa_insights.data.mapping import (
    FORMATS,
    MAPPING_FILE,
    Reader,
    SourceMapping,
    TableMapping,
    TimeFormat,
    label_columns,
    normalise_label,
    normalise_name,
)
from qa_insights.data.sources import find_table_files

__all__ = ["Normalised", "match_columns", "normalise_folder", "read_export"]


@dataclass
class Normalised:
    """Result of :func:`normalise_folder`.

    ``mapping_file`` is the mapping applied; ``origins`` maps each written (or linked) file to the user's file it came from;
    ``renamed[table]`` maps a contract column to the user's column name where they differ;
    ``formats[table]`` a timestamp column to its format; ``unmapped[table][column]`` the
    distinct label values that no value map named (kept, normalised), with their counts.
    """

    mapping_file: str = ""
    origins: dict[str, str] = field(default_factory=dict)
    renamed: dict[str, dict[str, str]] = field(default_factory=dict)
    formats: dict[str, dict[str, str]] = field(default_factory=dict)
    unmapped: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    dimensions: dict[str, dict[str, bool]] = field(default_factory=dict)


#: Column names the store's readers add (an export column so named is kept as export_<name>).
_RESERVED = frozenset({"filename", "file_row_number", "_file", "_row"})


def _kind(path: Path, reader: Reader) -> str:
    if reader.format:
        return reader.format
    name = path.name.lower()
    for fmt, endings in FORMATS.items():
        if name.endswith(endings):
            return fmt
    raise DataError(f"{path}: cannot tell the file format from its name; set reader.format "
                    f"to one of {', '.join(FORMATS)}")


def _text(value: object) -> str | None:
    """A cell as contract text: None for missing; whole floats without ``.0``; timestamps
    in ISO 8601 (aware ones in UTC with ``Z``)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        number = float(value)
        return str(int(number)) if number.is_integer() and abs(number) < 2**53 else repr(number)
    if isinstance(value, pd.Timestamp):
        if value.tzinfo is not None:
            return value.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({str(c): [_text(v) for v in frame[c].tolist()] for c in frame.columns},
                        dtype=object)


def _read_jsonl(path: Path, encoding: str) -> pd.DataFrame:
    records = []
    with open(path, encoding=encoding) as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}: line {line_no}: not a JSON object ({exc.msg})") from None
            if not isinstance(record, dict):
                raise DataError(f"{path}: line {line_no}: expected a JSON object per line, "
                                f"got {type(record).__name__}")
            records.append(record)
    # nested objects become dotted columns ({"rating": {"severity": x}} -> rating.severity)
    return pd.json_normalize(records, sep=".") if records else pd.DataFrame()


def read_export(path: str | os.PathLike[str], reader: Reader | None = None) -> pd.DataFrame:
    """Read one export file as text cells (None for missing), with its own header.

    Raises
    ------
    DataError
        Unreadable file, wrong encoding, malformed line, or a missing optional reader
        (Excel needs openpyxl), naming the file.

    Examples
    --------
    >>> read_export("export.csv", Reader(delimiter=";", encoding="latin-1"))  # doctest: +SKIP
    """
    path, reader = Path(path), reader or Reader()
    kind = _kind(path, reader)
    try:
        if kind == "csv":
            frame = pd.read_csv(path, sep=reader.delimiter, encoding=reader.encoding,
                                dtype=str, keep_default_na=False, na_values=[""],
                                skiprows=reader.skip_rows, skipinitialspace=False)
        elif kind == "jsonl":
            frame = _read_jsonl(path, reader.encoding)
        elif kind == "parquet":
            frame = pd.read_parquet(path)
        else:
            frame = _read_excel(path, reader)
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not {reader.encoding} text ({exc.reason} at byte "
                        f"{exc.start}); set reader.encoding (e.g. latin-1, cp1252)") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty: expected a header row") from None
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: cannot read as {kind}: {first}") from None
    if kind == "csv":   # already text: only missing cells become None
        return frame.astype(object).where(frame.notna(), None)
    return _as_text(frame)


def _read_excel(path: Path, reader: Reader) -> pd.DataFrame:
    try:
        import openpyxl  # noqa: F401  (pandas' .xlsx reader)
    except ImportError:
        raise DataError(f"{path}: reading .xlsx needs the openpyxl package (pip install "
                        "openpyxl); or save the sheet as CSV and set reader.format: csv"
                        ) from None
    import zipfile

    try:
        return pd.read_excel(path, sheet_name=reader.sheet or 0, header=reader.skip_rows,
                             dtype=object)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DataError(f"{path}: not a readable .xlsx workbook ({exc}); save it again "
                        "from Excel, or as CSV and set reader.format: csv") from None


def match_columns(table: Table, header: Sequence[str], columns: dict[str, str],
                  where: str) -> dict[str, str]:
    """Source column -> contract column: the mapping's ``columns`` (matched ignoring case
    and whitespace), then headers equal to a contract name up to case and whitespace.

    Raises
    ------
    DataError
        A mapped column that is not in the header (with the nearest header names), or two
        source columns for one contract column.

    Examples
    --------
    >>> match_columns(TABLES["audits"], ["Audit_ID", "Sev"], {"severity": "sev"}, "f.csv")
    {'Sev': 'severity', 'Audit_ID': 'audit_id'}
    """
    by_norm: dict[str, str] = {}
    for name in header:
        by_norm.setdefault(normalise_name(name), name)
    renames: dict[str, str] = {}
    for contract, theirs in columns.items():
        source = theirs if theirs in header else by_norm.get(normalise_name(theirs))
        if source is None:
            near = get_close_matches(theirs, list(header), n=3, cutoff=0.5)
            hint = f"; nearest: {', '.join(repr(n) for n in near)}" if near else ""
            raise DataError(f"{where}: column {theirs!r} (mapped to {contract!r}) is not in "
                            f"the header{hint}")
        renames[source] = contract
    taken = set(renames.values())
    contract_names = {normalise_name(c): c for c in table.names}
    for name in header:
        same = contract_names.get(normalise_name(name))
        if name in renames or same is None:
            continue
        if same in taken:
            mapped = next(s for s, c in renames.items() if c == same)
            raise DataError(f"{where}: both {mapped!r} and {name!r} would be column "
                            f"{same!r}; map one of them in columns:")
        renames[name] = same
        taken.add(same)
    return renames


def _convert_times(values: pd.Series, spec: TimeFormat, kind: str) -> pd.Series:
    """Parse with the format and zone; write UTC ISO 8601 (dates ``YYYY-MM-DD``, months
    ``YYYY-MM``). Unparseable values are kept as given, for validation to quarantine."""
    text = values.astype(object)
    given = text.where(text.notna())
    fmt = spec.format or "ISO8601"
    if kind != "timestamp":
        parsed = pd.to_datetime(given, format=fmt, errors="coerce")
        out = parsed.dt.strftime("%Y-%m-%d" if kind == "date" else "%Y-%m")
    else:
        has_zone = given.fillna("").astype(str).str.contains(r"(?:Z|[+-]\d\d:?\d\d)\s*$")
        aware = pd.to_datetime(given.where(has_zone), format=fmt, errors="coerce", utc=True)
        naive = pd.to_datetime(given.where(~has_zone), format=fmt, errors="coerce")
        local = naive.dt.tz_localize(spec.timezone, ambiguous="NaT",
                                     nonexistent="NaT").dt.tz_convert("UTC")
        parsed = aware.where(has_zone, local)
        out = parsed.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        # A local time that a daylight-saving change repeats or skips is quarantined, and
        # the kept value says why (picking one of two instants could move an audit's month).
        unclear = naive.notna() & local.isna() & ~has_zone
        text = text.where(~unclear, text.astype(str) + f" (ambiguous or skipped local time "
                          f"in {spec.timezone}: daylight saving change)")
    return out.astype(object).where(parsed.notna(), text).where(values.notna(), None)


def _numbers(values: pd.Series, reader: Reader) -> pd.Series:
    text = values.astype(object)
    ok = text.notna()
    cleaned = text[ok].astype(str)
    if reader.thousands:
        cleaned = cleaned.str.replace(reader.thousands, "", regex=False)
    if reader.decimal != ".":
        cleaned = cleaned.str.replace(reader.decimal, ".", regex=False)
    text.loc[ok] = cleaned
    return text


def _labels(values: pd.Series, value_map: dict[str, str], normalise: bool,
            unmapped: dict[str, int], allowed: tuple[str, ...] | None = None) -> pd.Series:
    """Map labels (keys compared after normalisation), normalise the rest; count the
    distinct values no map named (for a fixed-set column, only those whose normalised form
    is not an allowed value). Each distinct value is looked up once."""
    keyed = {normalise_label(k): v for k, v in value_map.items()}
    counts = values.value_counts(dropna=True)
    lookup: dict[str, str] = {}
    for cell, n in counts.items():
        value = cast(str, cell)  # label cells are text
        key = normalise_label(value)
        if key in keyed:
            lookup[value] = keyed[key]
            continue
        if value_map and not (allowed and key in allowed):
            unmapped[value] = unmapped.get(value, 0) + int(n)
        lookup[value] = key if normalise else value
    return values.map(lookup).astype(object).where(values.notna(), None)


def _normalise_frame(frame: pd.DataFrame, spec: TableMapping, where: str,
                     unmapped: dict[str, dict[str, int]]) -> tuple[pd.DataFrame, dict[str, str]]:
    table = TABLES[spec.table]
    renames = match_columns(table, list(frame.columns), spec.columns, where)
    for name, (theirs, _) in (spec.dimensions or {}).items():  # custom dimensions
        by_norm = {normalise_name(c): c for c in frame.columns if c not in renames}
        source = theirs if theirs in frame.columns else by_norm.get(normalise_name(theirs))
        if source is None:
            near = get_close_matches(theirs, [str(c) for c in frame.columns], n=3, cutoff=0.5)
            hint = f"; nearest: {', '.join(repr(n) for n in near)}" if near else ""
            raise DataError(f"{where}: column {theirs!r} (dimension {name!r}) is not in the "
                            f"header{hint}")
        renames[source] = name
    clash = [c for c in spec.constants if c in renames.values()]
    if clash:
        raise DataError(f"{where}: {', '.join(clash)}: the file has this column and the "
                        "mapping gives a constant; keep one")
    reserved = {n: f"export_{n}" for n in frame.columns
                if n in _RESERVED and n not in renames}   # names the readers add
    frame = frame.rename(columns={**renames, **reserved})
    extra_clash = [c for c in frame.columns if c in spec.constants]
    if extra_clash:
        raise DataError(f"{where}: column {extra_clash[0]!r} clashes with a constant")
    for column, value in spec.constants.items():
        frame[column] = value
    missing = [c.name for c in table.required_columns if c.name not in frame.columns]
    if missing:
        raise DataError(f"{where}: no column for required contract column(s) "
                        f"{', '.join(missing)}: name the file's column under columns: or "
                        f"give a value under constants: (found: "
                        f"{', '.join(repr(c) for c in renames or frame.columns)})")
    labels = set(label_columns(spec.table))
    for col in table.columns:
        if col.name not in frame.columns:
            continue
        values = frame[col.name]
        if col.name in spec.timestamps:
            values = _convert_times(values, spec.timestamps[col.name], col.type)
        if col.type in ("integer", "number"):
            values = _numbers(values, spec.reader)
        if col.name in labels or col.name in spec.values:
            counts = unmapped.setdefault(col.name, {})
            values = _labels(values, spec.values.get(col.name, {}),
                             spec.normalise_labels and col.name in labels, counts,
                             col.allowed)
        frame[col.name] = values
    return frame, {contract: source for source, contract in renames.items()
                   if source != contract}


def _expand(data_dir: Path, patterns: Sequence[str], where: str) -> list[Path]:
    files: list[Path] = []
    for pattern in patterns:
        matched = sorted(p for p in data_dir.glob(pattern)
                         if p.is_file() and not p.name.startswith(".")
                         and p.name != MAPPING_FILE)
        if not matched:
            raise DataError(f"{where}: files: {pattern!r} matches no file in {data_dir}")
        files += [p for p in matched if p not in files]
    return files


def normalise_folder(mapping: SourceMapping, data_dir: str | os.PathLike[str],
                     out_dir: str | os.PathLike[str]) -> Normalised:
    """Write ``data_dir``'s exports, mapped, into ``out_dir`` as a contract-shaped folder.

    Mapped tables become ``out_dir/<table>/part-NNNN.parquet`` (one per input file, every
    cell text); contract tables the mapping does not name are linked from ``data_dir``
    unchanged.

    Returns
    -------
    Normalised
        File origins, column renames, timestamp formats and unmapped label values.

    Raises
    ------
    DataError
        A pattern matching no file, an unreadable file, a mapped column not in a file's
        header, a required contract column with neither a column nor a constant.
    """
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    result = Normalised(mapping_file=str(mapping.path))
    for name in TABLES:
        spec = mapping.tables.get(name)
        if spec is None:
            _link_unmapped(data_dir, out_dir, name, result)
            continue
        folder = out_dir / name
        folder.mkdir(parents=True, exist_ok=True)
        unmapped: dict[str, dict[str, int]] = {}
        renamed: dict[str, str] = {}
        for i, path in enumerate(_expand(data_dir, spec.files, f"{mapping.path}: tables.{name}")):
            frame = read_export(path, spec.reader)
            if len(frame.columns) == 0:
                raise DataError(f"{path}: the file is empty: expected a header row")
            frame, file_renames = _normalise_frame(frame, spec, str(path), unmapped)
            for contract, source in file_renames.items():
                renamed.setdefault(contract, source)
            target = folder / f"part-{i:04d}.parquet"
            frame.astype(object).where(frame.notna(), None).to_parquet(target, index=False)
            result.origins[str(target)] = str(path)
        result.renamed[name] = renamed
        result.formats[name] = {c: t.format for c, t in spec.timestamps.items() if t.format}
        result.unmapped[name] = {c: v for c, v in unmapped.items() if v}
        if spec.dimensions is not None:
            result.dimensions[name] = {d: personal for d, (_, personal)
                                       in spec.dimensions.items()}
    return result


def _link_unmapped(data_dir: Path, out_dir: Path, name: str, result: Normalised) -> None:
    """Link an unmapped table's files (already in the contract's shape) into ``out_dir``."""
    _, files = find_table_files(data_dir, name)
    for path in files:
        target = out_dir / path.relative_to(data_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(path.resolve())
        result.origins[str(target)] = str(path)
