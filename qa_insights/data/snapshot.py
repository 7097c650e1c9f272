"""A cheap snapshot of a data folder (each file's size and modification time), to tell
whether the data changed while something was reading it.

A build takes a snapshot before it opens the data and compares each report's finish with
it: a report that finished after a change may have read either version, so it is failed
rather than published under a fingerprint that is not that of the data it read.

Examples
--------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "audits.csv").write_text("audit_id\\n")
>>> before = data_snapshot(folder)
>>> _ = (folder / "audits.csv").write_text("audit_id\\nA1\\n")
>>> changed_files(before, data_snapshot(folder))
['audits.csv']
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["changed_files", "data_snapshot"]


def data_snapshot(data_dir: str | os.PathLike[str]) -> dict[str, tuple[int, int]]:
    """Relative path -> (size, modification time in ns) of every file under ``data_dir``
    (hidden files and folders included: a change anywhere counts)."""
    root = Path(data_dir)
    snapshot = {}
    for path in sorted(root.rglob("*")):
        try:
            stat = path.stat()
        except OSError:  # removed while listing: the next snapshot shows it gone
            continue
        if path.is_file():
            snapshot[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return snapshot


def changed_files(before: Mapping[str, tuple[int, int]],
                  after: Mapping[str, tuple[int, int]]) -> list[str]:
    """Files added, removed or changed between two snapshots, sorted.

    Examples
    --------
    >>> changed_files({"a.csv": (1, 1), "b.csv": (2, 2)}, {"a.csv": (1, 1), "c.csv": (3, 3)})
    ['b.csv', 'c.csv']
    """
    return sorted(name for name in set(before) | set(after)
                  if before.get(name) != after.get(name))
