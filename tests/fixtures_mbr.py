"""Small data folders for the targets, costs and what-if tests (the business review).

``audits(month, site, queue, n, errors=..., critical=..., day=..., handle_times=...)``
gives audit rows; ``write_folder(tmp_path, audits=..., volumes=..., targets=...,
calibration=...)`` writes the contract CSV files and opens the store. Every expected
value in the tests is computed from these small inputs by hand, not by the library.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from qa_insights.data.opening import open_store
from qa_insights.data.protocol import Store
from tests.fixtures_data import SAMPLE
from tests.fixtures_rca import COLUMNS, cell

VOLUME_COLUMNS = ["month", "site", "queue", "items_handled", "productive_hours", "headcount",
                  "cost", "currency"]
TARGET_COLUMNS = ["metric", "scope", "scope_value", "month", "target", "direction"]
CALIBRATION_COLUMNS = ["session_id", "session_date", "item_id", "queue", "rater_id",
                       "rater_role", "site", "label"]


def audits(month: str, site: str, queue: str, n: int, errors: int = 0, *, critical: int = 0,
           day: int = 15, handle_times: list[float] | None = None,
           market: str = "US") -> list[dict]:
    """``n`` audits on day ``day`` of ``month``; the first ``errors`` are errors, the
    first ``critical`` of those critical."""
    rows = cell(month, site, queue, n, errors, handle_times=handle_times, market=market)
    for i, row in enumerate(rows):
        row["audited_at"] = f"{month}-{day:02d}T10:00:00Z"
        if i < critical:
            row["severity"] = "critical"
    return rows


def volume(month: str, site: str, queue: str, items: int, cost: float, *,
           hours: float = 100.0, headcount: float = 1.0) -> dict:
    """One ``volumes`` row (USD)."""
    return {"month": month, "site": site, "queue": queue, "items_handled": items,
            "productive_hours": hours, "headcount": headcount, "cost": cost,
            "currency": "USD"}


def target(metric: str, scope: str, scope_value: str, month: str, value: float,
           direction: str) -> dict:
    """One ``targets`` row."""
    return {"metric": metric, "scope": scope, "scope_value": scope_value, "month": month,
            "target": value, "direction": direction}


def calibration_item(session: str, date: str, item: str, gold: str,
                     labels: dict[str, tuple[str, str]], queue: str = "spam") -> list[dict]:
    """One calibration item: the expert's ``gold`` label and ``rater -> (site, label)``."""
    rows = [{"session_id": session, "session_date": date, "item_id": item, "queue": queue,
             "rater_id": "E1", "rater_role": "expert", "site": "policy", "label": gold}]
    rows += [{"session_id": session, "session_date": date, "item_id": item, "queue": queue,
              "rater_id": rater, "rater_role": "moderator", "site": site, "label": label}
             for rater, (site, label) in labels.items()]
    return rows


def _write(path: Path, columns: list[str], rows: Iterable[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        w.writerows(rows)


def write_folder(tmp_path: Path, *, audits: Iterable[list[dict]] = (),
                 volumes: Iterable[dict] = (), targets: Iterable[dict] = (),
                 calibration: Iterable[list[dict]] = ()) -> Store:
    """Write the given tables (audits always; the others when given) and open the store.

    ``targets`` rows may carry a ``method``; the file then has that column (blank for rows
    without one)."""
    rows = [r for group in audits for r in group]
    _write(tmp_path / "audits.csv", COLUMNS,
           ({"audit_id": f"A{k:07d}", **r} for k, r in enumerate(rows, 1)))
    volumes, targets = list(volumes), list(targets)
    calibration = [r for group in calibration for r in group]
    if volumes:
        _write(tmp_path / "volumes.csv", VOLUME_COLUMNS, volumes)
    if targets:
        method = ["method"] if any("method" in t for t in targets) else []
        _write(tmp_path / "targets.csv", TARGET_COLUMNS + method, targets)
    if calibration:
        _write(tmp_path / "calibration.csv", CALIBRATION_COLUMNS, calibration)
    return open_store(tmp_path)


def sample_csv(name: str) -> pd.DataFrame:
    """A table of the bundled sample data read with pandas (independent of the store)."""
    return pd.read_csv(SAMPLE / f"{name}.csv", keep_default_na=False, na_values=[""])
