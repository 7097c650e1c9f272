"""Open a data folder through its source mapping, with messages in the user's own terms.

:func:`open_mapped_store` normalises the exports (:mod:`qa_insights.data.normalise`) into a
temporary contract-shaped folder, opens that with the ordinary
:func:`~qa_insights.data.opening.open_store` (validation unchanged), then puts the user's
names back: quarantined rows name the user's file and data row, a reason about a renamed
column reads "column `Sev` mapped to `severity`: ...", and the fingerprint covers the
user's files and the mapping file.

Examples
--------
>>> with open_mapped_store("exports", "exports/qa_insights.yaml") as store:  # doctest: +SKIP
...     print(store.validation.summary())
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from qa_insights.data.errors import DataError
from qa_insights.data.mapping import load_mapping
from qa_insights.data.normalise import Normalised, normalise_folder

if TYPE_CHECKING:
    from qa_insights.data.store import DuckDBStore as Store

__all__ = ["open_mapped_store", "user_reason"]


def user_reason(reason: str, renamed: dict[str, str], formats: dict[str, str]) -> str:
    """A validation reason about a contract column, told with the user's column name and
    timestamp format.

    Examples
    --------
    >>> user_reason("severity: expected one of critical, major, minor", {"severity": "Sev"}, {})
    'column `Sev` mapped to `severity`: expected one of critical, major, minor'
    >>> user_reason("audited_at: expected an ISO 8601 timestamp", {}, {"audited_at": "%d/%m/%Y"})
    'audited_at: expected a time in the format %d/%m/%Y'
    """
    column, sep, rest = reason.partition(": ")
    if not sep:
        return reason
    if column in formats and rest.startswith("expected an ISO 8601 timestamp"):
        rest = f"expected a time in the format {formats[column]}"
    if column in renamed:
        return f"column `{renamed[column]}` mapped to `{column}`: {rest}"
    return f"{column}: {rest}"


def _fingerprint(data_dir: Path, files: Sequence[str], mapping_file: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted({Path(f) for f in files} | {mapping_file}):
        try:
            digest.update(str(path.relative_to(data_dir)).encode())
        except ValueError:
            digest.update(path.name.encode())
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _relabel(store: Store, result: Normalised, tmp: Path, data_dir: Path) -> None:
    """Put the user's files, rows and column names back into the store's validation."""
    origins = {**result.origins, **{os.path.realpath(k): v for k, v in result.origins.items()}}
    for name, report in store.validation.tables.items():
        renamed, formats = result.renamed.get(name, {}), result.formats.get(name, {})
        files = []
        for rel in report.files:
            original = Path(origins.get(str(tmp / rel), str(tmp / rel)))
            try:
                files.append(str(original.relative_to(data_dir)))
            except ValueError:
                files.append(str(original))
        report.files = list(dict.fromkeys(files))
        report.quarantined = {user_reason(r, renamed, formats): n
                              for r, n in report.quarantined.items()}
        quarantine = f"quarantine_{name}"
        for written, user_file in origins.items():
            store.con.execute(f"UPDATE {quarantine} SET _file = ? WHERE _file = ?",
                              [user_file, written])
        reasons = [r for (r,) in store.con.execute(
            f"SELECT DISTINCT reason FROM {quarantine} WHERE reason IS NOT NULL").fetchall()]
        for reason in reasons:
            told = user_reason(reason, renamed, formats)
            if told != reason:
                store.con.execute(f"UPDATE {quarantine} SET reason = ? WHERE reason = ?",
                                  [told, reason])


class _Opener(Protocol):
    def __call__(self, data_dir: Path, *, months: Sequence[str] | None,
                 memory_limit: str | None, threads: int | None,
                 dimensions: dict[str, dict[str, bool]] | None) -> Store: ...


def open_mapped_store(data_dir: str | os.PathLike[str], mapping_file: str | os.PathLike[str],
                      open_folder: _Opener, *, months: Sequence[str] | None = None,
                      memory_limit: str | None = None, threads: int | None = None) -> Store:
    """Open ``data_dir`` through the mapping in ``mapping_file`` (see the module docstring).

    ``open_folder`` validates the normalised, contract-shaped folder (the store module
    passes its own reader, so this module does not import it back). The other parameters
    are those of :func:`~qa_insights.data.opening.open_store`. The store's ``mapping``
    attribute holds the normalisation result (renames, unmapped labels).

    Raises
    ------
    DataError
        As :func:`open_store`, and for mapping problems; messages name the user's files.
    """
    data_dir, mapping_file = Path(data_dir), Path(mapping_file)
    mapping = load_mapping(mapping_file)
    with tempfile.TemporaryDirectory(prefix="qa-insights-mapped-") as tmp_name:
        tmp = Path(tmp_name)
        result = normalise_folder(mapping, data_dir, tmp)
        try:
            store = open_folder(tmp, months=months, memory_limit=memory_limit,
                                threads=threads, dimensions=result.dimensions)
        except DataError as exc:
            message = str(exc)
            for written, original in sorted(result.origins.items(), key=lambda kv: -len(kv[0])):
                message = message.replace(written, original)
            raise DataError(message.replace(str(tmp), str(data_dir))) from None
        try:
            _relabel(store, result, tmp, data_dir)
        except BaseException:
            store.close()
            raise
    store.data_dir = data_dir
    store.fingerprint = _fingerprint(data_dir, list(result.origins.values()), mapping_file)
    store.mapping = result
    return store
