"""Generated benchmark datasets, cached under benchmarks/_data/ (git-ignored)."""

from __future__ import annotations

from pathlib import Path

from qa_insights.sample_data import generate

CACHE = Path(__file__).resolve().parent / "_data"


def audits_parquet(n_audits: int, months: int = 10, partition_by_month: bool = False) -> Path:
    """A folder with about ``n_audits`` generated audits as Parquet (generated once)."""
    per_month = max(1, n_audits // months)
    folder = CACHE / f"audits_{per_month}x{months}{'_hive' if partition_by_month else ''}"
    if not (folder / ".complete").exists():
        generate(folder, months=months, audits_per_month=per_month, fmt="parquet",
                 partition_by_month=partition_by_month)
        (folder / ".complete").touch()
    return folder
