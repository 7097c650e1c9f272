"""Whatever validation accepts builds right, or is refused clearly (issue 21).

Every case is generated here from the seeded sample generator: the same audits in the
plain layout (one ``audits.csv``) and in the layout under test must give the same counts,
or validation must refuse the layout with a message naming the path.
"""

from __future__ import annotations

import functools
import statistics
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


@functools.cache
def _audits(plain: Path) -> pd.DataFrame:
    """The plain audits as text, with the month validation gives each row (``_month``);
    computed once (callers do not modify it)."""
    frame = pd.read_csv(plain / "audits.csv", dtype=str, keep_default_na=False)
    with open_store(plain) as store:
        months = store.query("SELECT audit_id, month AS _month FROM audits")
    return frame.merge(months, on="audit_id", how="left", validate="one_to_one")


def _counts(folder: Path, months: list[str] | None = None) -> pd.DataFrame:
    """Audit counts by month of ``folder`` (opened with the month window ``months``)."""
    with open_store(folder, months=months) as store:
        return audit_counts(store, ["month"])


@functools.cache
def _plain_counts(folder: Path, months: tuple[str, ...] | None = None) -> pd.DataFrame:
    """:func:`_counts` of the plain layout, computed once per window."""
    return _counts(folder, None if months is None else list(months))


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
    pd.testing.assert_frame_equal(split, _plain_counts(plain))


def _partition_path(layout: str, month: str) -> str:
    year, number = month.split("-")
    return {"flat": f"part-{month}",
            "month": f"month={month}/part-0",
            "year_month": f"year={year}/month={int(number)}/part-0",
            "year_month_padded": f"year={year}/month={number}/part-0",
            "nested_other": f"region=all/day={month}-01/part-0"}[layout]


def _write_layout(audits: pd.DataFrame, folder: Path, layout: str, fmt: str) -> None:
    for month, part in audits.groupby("_month"):
        path = folder / "audits" / f"{_partition_path(layout, month)}.{fmt}"
        path.parent.mkdir(parents=True, exist_ok=True)
        part = part.drop(columns="_month")
        if fmt == "csv":
            part.to_csv(path, index=False)
        else:
            part.to_parquet(path, index=False)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("layout", ["flat", "month", "year_month", "year_month_padded",
                                    "nested_other"])
def test_partition_layouts_give_the_plain_counts(plain: Path, tmp_path: Path, layout: str,
                                                 fmt: str) -> None:
    """Splitting the audits into parts by month, in any layout the readers accept, changes
    no count: neither of every month, nor of a report's month window (which opens only the
    window's partitions)."""
    audits = _audits(plain)
    months = sorted(audits["_month"].unique())
    _write_layout(audits, tmp_path, layout, fmt)
    pd.testing.assert_frame_equal(_counts(tmp_path), _plain_counts(plain))
    for window in (months[-1:], months[:2]):
        counts = _counts(tmp_path, months=window)
        pd.testing.assert_frame_equal(counts, _plain_counts(plain, tuple(window)))
        assert counts["month"].tolist() == window


@pytest.mark.parametrize("hidden", [".trash", ".ipynb_checkpoints", "_temporary/0"])
def test_hidden_folders_are_ignored_and_named(plain: Path, tmp_path: Path, hidden: str) -> None:
    audits = _audits(plain)
    _write_layout(audits, tmp_path, "flat", "csv")
    stale = tmp_path / "audits" / hidden
    stale.mkdir(parents=True)
    # A stale, non-identical copy: read as data it would double the audits and conflict.
    copy = audits.drop(columns="_month").assign(comment="stale copy")
    copy.to_csv(stale / "part-checkpoint.csv", index=False)
    with open_store(tmp_path) as store:
        counts = audit_counts(store, ["month"])
        notes = store.validation.notes()
        assert store.validation.clean
    pd.testing.assert_frame_equal(counts, _plain_counts(plain))
    top = tmp_path / "audits" / hidden.split("/")[0]
    assert notes == [f"audits: {top}: hidden, ignored (not read as data)"]


def test_boolean_parquet_handle_time_is_quarantined(plain: Path, tmp_path: Path) -> None:
    audits = _audits(plain).drop(columns="_month").head(50).copy()
    audits["handle_time_s"] = [i % 2 == 0 for i in range(len(audits))]
    (tmp_path / "audits").mkdir()
    audits.to_parquet(tmp_path / "audits" / "part-0.parquet", index=False)
    with open_store(tmp_path) as store:
        report = store.validation.tables["audits"]
    assert report.quarantined == {
        "handle_time_s: expected a number (the column's type is BOOLEAN)": 50}


def test_absurd_numbers_are_quarantined_and_the_rest_builds(plain: Path,
                                                             tmp_path: Path) -> None:
    """1e19 tenure (beyond BIGINT) and 1e308 handle times would crash or poison later
    queries; they are quarantined with their reason and every other row counts as before."""
    audits = _audits(plain).drop(columns="_month")
    bad = audits.index[:3]
    audits.loc[bad[0], "moderator_tenure_days"] = "1e19"
    audits.loc[bad[1:], "handle_time_s"] = "1e308"
    audits.to_csv(tmp_path / "audits.csv", index=False)
    with open_store(tmp_path) as store:
        report = store.validation.tables["audits"]
        by_band = audit_counts(store, ["tenure_band"])
        worst = store.query("SELECT max(handle_time_s) AS m, max(moderator_tenure_days) AS t "
                            "FROM audits")
    assert report.quarantined == {
        "moderator_tenure_days: expected a value <= 36500 (larger is implausible)": 1,
        "handle_time_s: expected a value <= 86400 (larger is implausible)": 2}
    assert by_band["n_audits"].sum() == len(audits) - 3
    assert worst["m"].iloc[0] <= 86400 and worst["t"].iloc[0] <= 36500


def test_a_typo_month_is_named_and_never_the_default(plain: Path, tmp_path: Path) -> None:
    from qa_insights.reports.engine.context import default_report_month, resolve_context

    audits = _audits(plain).drop(columns="_month")
    months = sorted(_audits(plain)["_month"].unique())
    typo = audits.iloc[[0]].assign(audit_id="TYPO1", audited_at="2099-10-14T09:00:00Z")
    pd.concat([audits, typo]).to_csv(tmp_path / "audits.csv", index=False)
    with open_store(tmp_path) as store:
        notes = store.validation.notes()
        chosen = default_report_month(store)
        ctx = resolve_context(store, month="")
    # The median month of the data as loaded: the three real months and the typo's.
    median = f"{statistics.median([*_plain_counts(plain)['n_audits'], 1]):,.0f}"
    assert chosen == (months[-1], ("latest month with a plausible number of audits; skipped "
                      f"2099-10 (1 audit), under 10% of the median month, {median} audits: "
                      "a date typo?"))
    assert ctx.month == months[-1]
    assert notes == [(f"audits: audited_at: sparse months 2099-10 (1 audit), under 10% of the "
                     f"median month, {median} audits: a date typo? A build without --month "
                     "never picks them")]
