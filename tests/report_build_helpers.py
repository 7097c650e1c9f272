"""Helpers of the MBR, RCA and calibration report tests: the months and queue built, the
built month's folder, and raw people ids of the sample data found in report files."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

JUMP_MONTH = "2026-08"
CALIBRATION_MONTH = "2026-09"
RCA_QUEUE = "harassment"


def month_dir(info: dict, month: str) -> Path:
    """The built month's folder."""
    return Path(info["out"]) / month


def raw_ids(data: Path) -> set[str]:
    """Moderator, auditor and rater ids of the data folder."""
    audits = pd.read_csv(data / "audits.csv", dtype=str, usecols=["moderator_id", "auditor_id"])
    calibration = pd.read_csv(data / "calibration.csv", dtype=str, usecols=["rater_id"])
    ids = set(audits.moderator_id.dropna()) | set(audits.auditor_id.dropna())
    return ids | set(calibration.rater_id.dropna())


def leaked_ids(files: list[Path], ids: set[str]) -> dict[str, list[str]]:
    """File name -> raw ids found in it as whole tokens."""
    pattern = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, sorted(ids))) +
                         r")(?![A-Za-z0-9])")
    found = {}
    for path in files:
        hits = sorted(set(pattern.findall(path.read_text(errors="replace"))))
        if hits:
            found[path.name] = hits[:5]
    return found
