"""Whatever validation accepts builds right, or is refused clearly (issue 21).

Every case is generated here from the seeded sample generator: the same audits in the
plain layout (one ``audits.csv``) and in the layout under test must give the same counts,
or validation must refuse the layout with a message naming the path.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from qa_insights.data.queries import audit_counts
from qa_insights.data.sample_data import generate
from qa_insights.data.store import open_store
from qa_insights.quality.metrics import quality_summary

OPTIONAL = ["error_reason", "severity", "handle_time_s", "dispute_status", "comment"]


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three months of seeded sample data in the plain layout."""
    folder = tmp_path_factory.mktemp("plain")
    generate(folder, months=3, audits_per_month=1500, seed=21)
    return folder


def _audits(plain: Path) -> pd.DataFrame:
    """The plain audits as text, with the month validation gives each row (``_month``)."""
    frame = pd.read_csv(plain / "audits.csv", dtype=str, keep_default_na=False)
    with open_store(plain) as store:
        months = store.query("SELECT audit_id, month AS _month FROM audits")
    return frame.merge(months, on="audit_id", how="left", validate="one_to_one")


def _counts(folder: Path, **kwargs: object) -> pd.DataFrame:
    with open_store(folder, **kwargs) as store:
        return audit_counts(store, ["month"])


def test_parts_lacking_optional_columns_are_unioned(plain: Path, tmp_path: Path) -> None:
    audits = _audits(plain)
    months = sorted(audits["_month"].unique())
    folder = tmp_path / "audits"
    folder.mkdir()
    for month, part in audits.groupby("_month"):
        part = part.drop(columns="_month")
        if month == months[0]:  # the oldest export predates the optional columns
            part = part.drop(columns=OPTIONAL)
        part.to_csv(folder / f"part-{month}.csv", index=False)

    with open_store(tmp_path) as store:
        split = audit_counts(store, ["month"]).set_index("month")
        notes = store.validation.notes()
        split_summary = quality_summary(store, ["month"]).set_index("month")
    with open_store(plain) as store:
        whole = audit_counts(store, ["month"]).set_index("month")
        whole_summary = quality_summary(store, ["month"]).set_index("month")

    newer = months[1:]
    pd.testing.assert_frame_equal(split.loc[newer], whole.loc[newer])
    for column in ("critical_error_rate", "accuracy"):
        assert split_summary.loc[newer, column].tolist() == whole_summary.loc[newer,
                                                                              column].tolist()
    assert whole.loc[newer, "n_critical"].sum() > 0  # the case would catch a dropped column
    # The old part's rows have no severity or dispute: no critical error, and an overturned
    # audit is an error there, for that file only.
    old = audits[audits["_month"] == months[0]]
    overturned = int(((old["dispute_status"] == "overturned")
                      & (old["moderator_decision"] != old["auditor_decision"])).sum())
    assert split.loc[months[0], "n_critical"] == 0
    assert split.loc[months[0], "n_errors"] == whole.loc[months[0], "n_errors"] + overturned
    assert split.loc[months[0], "n_audits"] == whole.loc[months[0], "n_audits"]
    assert notes == [(f"audits: {folder / f'part-{months[0]}.csv'} lacks columns "
                      "'error_reason', 'severity', 'handle_time_s', 'dispute_status', "
                      "'comment' (given in other files): empty for that file's rows")]


def test_parquet_parts_lacking_optional_columns_are_named(plain: Path, tmp_path: Path) -> None:
    audits = _audits(plain)
    months = sorted(audits["_month"].unique())
    folder = tmp_path / "audits"
    folder.mkdir()
    for month, part in audits.groupby("_month"):
        part = part.drop(columns="_month")
        if month == months[0]:
            part = part.drop(columns=["comment"])
        part.to_parquet(folder / f"part-{month}.parquet", index=False)
    with open_store(tmp_path) as store:
        notes = store.validation.notes()
        split = audit_counts(store, ["month"])
    assert notes == [(f"audits: {folder / f'part-{months[0]}.parquet'} lacks column "
                      "'comment' (given in other files): empty for that file's rows")]
    pd.testing.assert_frame_equal(split, _counts(plain))
