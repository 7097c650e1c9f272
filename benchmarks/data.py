"""Generated benchmark datasets, cached under benchmarks/_data/ (git-ignored)."""

from __future__ import annotations

from pathlib import Path

from qa_insights.data.sample_data import generate

CACHE = Path(__file__).resolve().parent / "_data"


#: (months, audits per month) of the 10M-audit datasets: ten months of 1M (the Foundation
#: issue's command) and one month of 10M (the Scale issue's "10M audits per month").
FULL_DATASETS = ((10, 1_000_000), (1, 10_000_000))
#: Small stand-ins of both shapes for the smoke run.
SMOKE_DATASETS = ((2, 100_000), (1, 150_000))


def datasets(full: bool) -> tuple[tuple[int, int], ...]:
    """(months, audits per month) of the datasets a case runs on."""
    return FULL_DATASETS if full else SMOKE_DATASETS


def describe(months: int) -> str:
    """``"in one month"`` / ``"over 10 months"`` (the generator's planted volume shift
    adds audits to its last month, so a month of 10M audits holds about 15M)."""
    return "in one month" if months == 1 else f"over {months} months"


def audits_parquet(n_audits: int, months: int = 10, partition_by_month: bool = False) -> Path:
    """A folder with about ``n_audits`` generated audits as Parquet (generated once)."""
    per_month = max(1, n_audits // months)
    folder = CACHE / f"audits_{per_month}x{months}{'_hive' if partition_by_month else ''}"
    if not (folder / ".complete").exists():
        generate(folder, months=months, audits_per_month=per_month, fmt="parquet",
                 partition_by_month=partition_by_month)
        (folder / ".complete").touch()
    return folder
