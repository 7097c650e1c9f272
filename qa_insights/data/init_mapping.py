"""Draft a source mapping from an export folder (``qa-insights init DIR``).

:func:`draft_mapping` looks at every export file in a folder and proposes a
:mod:`~qa_insights.data.mapping` a person then reviews: which contract table each file
feeds, its reader (delimiter, encoding, decimal comma detected), which column is which
contract column (names equal up to case and spacing, common platform names, then the
closest name), the label values found in each label column with a proposed contract value,
and the timestamp format. What it cannot decide (an ambiguous date format, a time zone,
a required column it found nowhere, a label it cannot place) is listed, and marked ``TODO``
in the written file.

Examples
--------
>>> draft = draft_mapping("exports")                               # doctest: +SKIP
>>> print(draft.text)                                              # doctest: +SKIP
>>> draft.undecided                                                # doctest: +SKIP
['audits: audited_at has no UTC offset: timezone assumed UTC; set the export's zone']
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher, get_close_matches
from pathlib import Path

import pandas as pd

from qa_insights.data.contract import NO_VIOLATION, TABLES, Table
from qa_insights.data.errors import DataError
from qa_insights.data.mapping import (
    FORMATS,
    MAPPING_FILE,
    Reader,
    label_columns,
    normalise_label,
)
from qa_insights.data.normalise import read_export

__all__ = ["Draft", "compact", "draft_mapping", "match_header", "propose_label"]

#: Common names of contract columns in QA platforms' and vendors' exports (compact form).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "audit_id": ("reviewid", "evaluationid", "gradeid", "qaid", "auditno"),
    "audited_at": ("gradeddate", "createdat", "reviewdate", "reviewedat", "auditdate",
                   "evaluationdate", "date", "timestamp", "gradedat"),
    "item_id": ("ticketid", "contentid", "caseid", "ticket", "jobid"),
    "queue": ("queuename", "category", "policyarea", "workflow"),
    "market": ("country", "locale", "region", "countrycode"),
    "site": ("vendorsite", "location", "sitename", "office"),
    "site_type": ("sitetype", "sourcing"),
    "moderator_id": ("agent", "agentid", "moderator", "reviewee", "revieweeid", "agentname"),
    "moderator_tenure_days": ("tenure", "tenuredays", "agenttenure"),
    "auditor_id": ("grader", "graderid", "reviewer", "reviewerid", "auditor", "qaanalyst"),
    "moderator_decision": ("agentdecision", "agentanswer", "moderatoraction", "agentaction",
                           "agentlabel"),
    "auditor_decision": ("graderdecision", "revieweranswer", "correctdecision", "qadecision",
                         "expectedanswer", "graderlabel"),
    "error_reason": ("errorreason", "rootcause", "errortype", "reason"),
    "severity": ("sev", "severitylevel", "errorseverity"),
    "handle_time_s": ("aht", "ahts", "handletime", "handletimeseconds", "aht(s)"),
    "dispute_status": ("dispute", "disputed", "appeal", "appealstatus", "calibrationdispute"),
    "comment": ("gradercomment", "comments", "notes", "feedback"),
}

#: Label words that mean the content breaks no policy (compact form).
_NO_VIOLATION_WORDS = {"approve", "approved", "noviolation", "noaction", "ok", "keep",
                       "allow", "allowed", "compliant", "nonviolating", "pass", "clean"}

#: Other label synonyms -> contract value, by column.
_VALUE_SYNONYMS: dict[str, dict[str, str]] = {
    "site_type": {"outsourced": "bpo", "vendor": "bpo", "external": "bpo",
                  "internal": "in_house", "inhouse": "in_house", "fte": "in_house"},
    "dispute_status": {"nodispute": "none", "notdisputed": "none", "no": "none",
                       "accepted": "overturned", "rejected": "upheld", "denied": "upheld"},
    "severity": {"crit": "critical", "high": "major", "medium": "major", "low": "minor"},
}

#: "Remove", or "Remove - Hate Speech" / "Removed: spam" (the action, then the policy).
_ACTION = re.compile(r"^\s*(?:remove|removed|delete|deleted|take\s*down|action|actioned|"
                     r"reject|rejected)\s*(?:[-:/|]\s*(.*))?$", re.IGNORECASE)

_TIME_FORMATS = ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M",
                 "%d/%m/%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S",
                 "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%m/%d/%Y %I:%M %p",
                 "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y")


def compact(name: str) -> str:
    """A name with case and every non-alphanumeric character removed.

    >>> compact("AHT (s)"), compact("agent.siteType")
    ('ahts', 'agentsitetype')
    """
    return re.sub(r"[^0-9a-z]", "", str(name).casefold())


def _score(header: str, contract: str) -> tuple[float, str]:
    """How well a header names a contract column, and why."""
    h, c = compact(header), compact(contract)
    last = compact(re.split(r"[.\s/]", str(header).strip())[-1])
    if h == c:
        return 1.0, "same name"
    if h in SYNONYMS.get(contract, ()) or last in SYNONYMS.get(contract, ()):
        return 0.95, "common platform name"
    if last == c:
        return 0.9, "nested field of the same name"
    if len(c) >= 4 and h.endswith(c):
        return 0.85, "name ends with the contract name"
    return SequenceMatcher(None, h, c).ratio(), "similar name"


#: Contract column -> (header name, score, reason), as :func:`match_header` gives them.
_Matches = dict[str, tuple[str, float, str]]


def match_header(table: Table, header: list[str],
                 cutoff: float = 0.78) -> _Matches:
    """Contract column -> (header name, score, reason), assigned best score first, each
    header used once.

    Examples
    --------
    >>> m = match_header(TABLES["audits"], ["Audit ID", "Sev", "agent.siteType"])
    >>> {k: v[0] for k, v in m.items()}
    {'audit_id': 'Audit ID', 'site_type': 'agent.siteType', 'severity': 'Sev'}
    """
    scored = sorted(((*_score(h, c.name), h, c.name) for h in header for c in table.columns),
                    key=lambda t: -t[0])
    out: dict[str, tuple[str, float, str]] = {}
    used: set[str] = set()
    for score, why, h, c in scored:
        if score >= cutoff and h not in used and c not in out:
            out[c] = (h, score, why)
            used.add(h)
    return dict(sorted(out.items(), key=lambda kv: table.names.index(kv[0])))


def propose_label(column: str, value: str) -> str | None:
    """The contract value a label most likely means, or None when it cannot tell.

    Examples
    --------
    >>> propose_label("moderator_decision", "Approve"), propose_label("severity", "Crit")
    ('no_violation', 'critical')
    >>> propose_label("auditor_decision", "Remove - Hate Speech")
    'hate_speech'
    >>> propose_label("auditor_decision", "Remove") is None
    True
    """
    norm = normalise_label(value)
    key = compact(value)
    allowed = TABLES["audits"].column(column).allowed if column in TABLES["audits"].names \
        else None
    if column in ("moderator_decision", "auditor_decision", "label"):
        if key in _NO_VIOLATION_WORDS:
            return NO_VIOLATION
        match = _ACTION.match(str(value))
        if match:
            return normalise_label(match.group(1)) if match.group(1) else None
        return norm
    if key in _VALUE_SYNONYMS.get(column, {}):
        return _VALUE_SYNONYMS[column][key]
    if allowed:
        if norm in allowed:
            return norm
        near = get_close_matches(norm, list(allowed), n=1, cutoff=0.6)
        return near[0] if near else None
    return norm


@dataclass
class Draft:
    """A drafted mapping: ``text`` (YAML with comments), what it could not decide, and per
    table the files it assigned."""

    text: str
    undecided: list[str] = field(default_factory=list)
    tables: dict[str, list[str]] = field(default_factory=dict)


def _detect_encoding(path: Path) -> str:
    data = path.read_bytes()[: 1 << 22]
    for encoding in ("utf-8", "cp1252"):
        try:
            data.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    return "latin-1"


def _header_row(rows: Sequence[Sequence[object]]) -> int:
    """Index of the header among the first rows: the first as full as the fullest row
    (a title row or a blank line above the header has fewer cells).

    >>> _header_row([["QA export, October"], [], ["id", "when", "site"], ["1", "x", "y"]])
    2
    """
    filled = [sum(c is not None and str(c).strip() not in ("", "nan") for c in row)
              for row in rows]
    fullest = max(filled, default=0)
    return next((i for i, n in enumerate(filled) if n >= max(2, 0.8 * fullest)), 0)


def _delimiter(lines: list[str]) -> str:
    """The candidate that splits the later lines most (title lines are ignored)."""
    body = lines[len(lines) // 2:] or lines
    return max(",;\t|", key=lambda d: sorted(line.count(d) for line in body)[len(body) // 2])


def _detect_reader(path: Path) -> Reader:
    fmt = next((f for f, endings in FORMATS.items() if path.name.lower().endswith(endings)),
               None)
    if fmt == "xlsx":
        try:
            top = pd.read_excel(path, header=None, nrows=10, dtype=object)
        except ImportError:
            return Reader(format="xlsx")   # reading it then says openpyxl is needed
        return Reader(format="xlsx", skip_rows=_header_row(top.values.tolist()))
    if fmt != "csv":
        return Reader(format=fmt)
    encoding = _detect_encoding(path)
    with open(path, encoding=encoding, newline="") as fh:
        lines = fh.read(1 << 16).splitlines()[:40]
    delimiter = _delimiter(lines)
    rows = list(csv.reader(lines[:10], delimiter=delimiter))
    return Reader(format="csv", delimiter=delimiter, encoding=encoding,
                  skip_rows=_header_row(rows))


def _time_format(values: pd.Series) -> tuple[str | None, bool, list[str]]:
    """(format or None for ISO 8601, whether values carry an offset, candidate formats)."""
    given = values.dropna().astype(str).head(5000)
    if given.empty:
        return None, False, []
    has_zone = bool(given.str.contains(r"(?:Z|[+-]\d\d:?\d\d)\s*$").all())
    iso = pd.to_datetime(given, format="ISO8601", errors="coerce", utc=True)
    if iso.notna().all():
        return None, has_zone, []
    fits = [f for f in _TIME_FORMATS
            if pd.to_datetime(given, format=f, errors="coerce").notna().all()]
    return (fits[0] if len(fits) == 1 else None), has_zone, fits


def _q(value: object) -> str:
    """A YAML scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _table_for(header: list[str]) -> tuple[str | None, _Matches]:
    """The table a header feeds: of the tables with at least half their required columns
    found, the one with the most found less half the missing (so a one-column table such
    as sites does not take an audits export that lacks one required column)."""
    best: str | None = None
    best_matches: _Matches = {}
    best_score = float("-inf")
    for name, table in TABLES.items():
        matches = match_header(table, header)
        required = [c.name for c in table.required_columns]
        found = sum(c in matches for c in required)
        score = found - 0.5 * (len(required) - found)
        if found / len(required) >= 0.5 and score > best_score:
            best, best_matches, best_score = name, matches, score
    return (best, best_matches) if best is not None else (None, {})


def _files(folder: Path) -> list[Path]:
    endings = tuple(e for es in FORMATS.values() for e in es)
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.name != MAPPING_FILE
                  and p.name.lower().endswith(endings))


def _decimal(values: pd.Series) -> bool:
    given = values.dropna().astype(str)
    return bool(len(given)) and bool(given.str.fullmatch(r"-?\d+(,\d+)?").all()) and bool(
        given.str.contains(",").any())


def _draft_table(name: str, files: list[Path], reader: Reader, frame: pd.DataFrame,
                 matches: _Matches, undecided: list[str]) -> list[str]:
    table = TABLES[name]
    lines = [f"  {name}:", f"    files: [{', '.join(_q(p.name) for p in files)}]"]
    decimal = any(_decimal(frame[h]) for c, (h, _, _) in matches.items()
                  if table.column(c).type in ("number", "integer"))
    reader_items: dict[str, object] = {"format": reader.format}
    if reader.format == "csv":
        reader_items.update(delimiter=reader.delimiter, encoding=reader.encoding)
        if decimal:
            reader_items["decimal"] = ","
    if reader.skip_rows:
        reader_items["skip_rows"] = reader.skip_rows   # title rows above the header
    lines.append("    reader: {" + ", ".join(f"{k}: {_q(v)}" for k, v in reader_items.items())
                 + "}")
    lines.append("    columns:                 # contract column: your column")
    for contract, (header, score, why) in matches.items():
        note = "" if score >= 1.0 else f"   # guessed ({why}): check"
        lines.append(f"      {contract}: {_q(header)}{note}")
    constants = []
    for col in table.required_columns:
        if col.name in matches:
            continue
        if col.allowed:
            constants.append(f"    #  {col.name}: {_q(col.allowed[0])}   # TODO: one of "
                             f"{', '.join(col.allowed)}, or map a column")
        else:
            lines.append(f"      # {col.name}: \"?\"   # TODO: required, no column found")
        undecided.append(f"{name}: no column found for required {col.name!r}: map one under "
                         "columns: or give a constant")
    missing_optional = [c.name for c in table.columns if not c.required and c.name not in matches]
    if missing_optional:
        lines.append(f"      # not found (optional): {', '.join(missing_optional)}")
    unused = [h for h in frame.columns if h not in {m[0] for m in matches.values()}]
    if unused:
        lines.append(f"      # your columns not mapped (kept as extra columns): "
                     f"{', '.join(map(str, unused))}")
    lines += _draft_values(name, frame, matches, undecided)
    lines += _draft_times(name, frame, matches, undecided)
    if constants:
        lines.append("    # constants:             # a value for every row, for a column "
                     "the export lacks")
        lines += constants
    if unused and name in ("audits", "sites"):
        lines += _draft_dimensions(unused)
    return lines


def _draft_dimensions(unused: Sequence[object]) -> list[str]:
    """Commented ``dimensions:`` entries for the export's unmapped columns: uncomment one
    to slice the reports by it (and mark it personal if it names a person)."""
    from qa_insights.data.dimensions import is_dimension_name, looks_personal
    from qa_insights.data.mapping import normalise_name

    lines = ["    # dimensions:            # your other columns to slice by (uncomment to "
             "use); personal: true pseudonymises one in reports"]
    for header in unused:
        name = normalise_name(str(header))
        if not is_dimension_name(name):
            continue
        personal = ", personal: true" if looks_personal(name) else ""
        lines.append(f"    #   {name}: {{column: {_q(str(header))}{personal}}}")
    return lines if len(lines) > 1 else []


def _draft_values(name: str, frame: pd.DataFrame, matches: _Matches,
                  undecided: list[str]) -> list[str]:
    lines = [("    values:                  # your value: contract value (case and spaces "
             "are ignored)")]
    decisions = [c for c in ("moderator_decision", "auditor_decision") if c in matches]
    for column in label_columns(name):
        if column not in matches:
            continue
        sources = decisions if column in decisions else [column]
        counts = pd.concat([frame[matches[c][0]] for c in sources]).value_counts()
        own = frame[matches[column][0]].value_counts()
        entries = []
        for value in counts.index:   # both decision columns share one vocabulary
            n = int(own.get(value, 0))
            proposed = propose_label(column, str(value))
            if proposed is None:
                entries.append(f"        # {_q(value)}: \"?\"   # TODO: {n} rows; which "
                               "contract value?")
                undecided.append(f"{name}: {column} value {value!r} ({n} rows): no contract "
                                 "value proposed")
            else:
                entries.append(f"        {_q(value)}: {_q(proposed)}   # {n} rows")
        if entries:
            lines.append(f"      {column}:")
            lines += entries
    return lines if len(lines) > 1 else []


def _draft_times(name: str, frame: pd.DataFrame, matches: _Matches,
                 undecided: list[str]) -> list[str]:
    lines = []
    for col in TABLES[name].columns:
        if col.type not in ("timestamp", "date") or col.name not in matches:
            continue
        header = matches[col.name][0]
        fmt, has_zone, fits = _time_format(frame[header])
        entry = {}
        if fmt:
            entry["format"] = fmt
        elif fits:
            entry["format"] = fits[0]
            undecided.append(f"{name}: {col.name} ({header!r}) fits several formats "
                             f"({', '.join(fits)}); the first was chosen")
        elif frame[header].notna().any() and not has_zone and col.type == "timestamp":
            try:
                pd.to_datetime(frame[header].dropna().head(5000), format="ISO8601")
            except (ValueError, TypeError):
                undecided.append(f"{name}: {col.name} ({header!r}): no known date format; "
                                 "set timestamps.format")
        if col.type == "timestamp" and not has_zone:
            entry["timezone"] = "UTC"
            undecided.append(f"{name}: {col.name} ({header!r}) has no UTC offset: "
                             "timezone assumed UTC; set the export's time zone")
        if entry:
            todo = "   # TODO: the export's time zone" if "timezone" in entry else ""
            lines.append(f"      {col.name}: {{" + ", ".join(
                f"{k}: {_q(v)}" for k, v in entry.items()) + "}" + todo)
    return ["    timestamps:"] + lines if lines else []


def draft_mapping(folder: str | os.PathLike[str]) -> Draft:
    """Inspect the exports in ``folder`` and draft a mapping (see the module docstring).

    Files already in the contract's shape (``audits.csv`` with the contract header) are
    left out: they are read as they are.

    Raises
    ------
    DataError
        No export file in the folder, or one that cannot be read.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: folder not found")
    files = _files(folder)
    if not files:
        raise DataError(f"{folder}: no export file (.csv, .jsonl, .parquet, .xlsx) found")
    undecided: list[str] = []
    groups: dict[str, list[tuple[Path, Reader, pd.DataFrame, _Matches]]] = {}
    for path in files:
        reader = _detect_reader(path)
        frame = read_export(path, reader)
        header = [str(c) for c in frame.columns]
        table, matches = _table_for(header)
        if table is None:
            undecided.append(f"{path.name}: not recognised as any contract table; left out")
            continue
        if path.name.split(".")[0] == table and set(TABLES[table].names) >= set(header):
            continue   # already in the contract's shape
        groups.setdefault(table, []).append((path, reader, frame, matches))
    lines = [f"# Source mapping drafted by `qa-insights init {folder}`.",
             ("# Review every line marked 'guessed' or 'TODO', then run "
             f"`qa-insights validate {folder}`."),
             "# Reference: docs/data-contract.md, section 'Bring your own data'.",
             "tables:"]
    assigned = {}
    for table, items in groups.items():
        paths = [p for p, *_ in items]
        path, reader, _, matches = items[0]
        frame = pd.concat([f for _, _, f, _ in items], ignore_index=True)
        lines += _draft_table(table, paths, reader, frame, matches, undecided)
        assigned[table] = [p.name for p in paths]
    if not groups:
        lines.append("  {}")
    return Draft("\n".join(lines) + "\n", undecided, assigned)
