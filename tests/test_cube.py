"""The counts cube of an ingested store gives exactly the counts of the audits themselves
(the reference: the same query over the audits, the cube switched off), for any grouping
and filters it answers, in any month window, and after an incremental re-ingest."""

from __future__ import annotations

import copy
import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_insights.data.cube import CUBE_DIMENSIONS, CountsCube
from qa_insights.data.ingest import ingest
from qa_insights.data.opening import open_store
from qa_insights.data.queries import audit_counts
from qa_insights.data.sample_data import generate
from qa_insights.data.store import DuckDBStore


def _without_cube(store: DuckDBStore) -> DuckDBStore:
    plain = copy.copy(store)
    plain.counts_cube = None
    return plain


def _data(folder: Path) -> Path:
    """Four months with a site the sites table lacks and audits that leave site_type to
    the sites table, so the cube's site join meets both cases."""
    generate(folder, months=4, audits_per_month=400, seed=11, partition_by_month=True)
    sites = folder / "sites.csv"
    header, *rows = list(csv.reader(sites.open()))
    with sites.open("w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([header, *rows[1:]])
    part = folder / "audits" / "month=2026-10" / "part-0.csv"
    head, *lines = list(csv.reader(part.open()))
    for line in lines[::3]:
        line[head.index("site_type")] = ""
    with part.open("w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([head, *lines])
    return folder


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cube")
    ingest(_data(root / "data"), root / "store.duckdb")
    return root / "store.duckdb"


@pytest.fixture(scope="module")
def store(store_path: Path) -> Iterator[DuckDBStore]:
    with open_store(store_path) as opened:
        assert isinstance(opened, DuckDBStore)
        yield opened


def _values(store: DuckDBStore, dim: str) -> list[object]:
    rows = audit_counts(_without_cube(store), [dim])[dim].tolist()
    return [*rows, "no such value"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_cube_counts_equal_the_audits_counts(store: DuckDBStore, data: st.DataObject) -> None:
    cube = store.counts_cube
    assert cube is not None
    dims = sorted(cube.dimensions)
    by = data.draw(st.lists(st.sampled_from(dims), max_size=3, unique=True), label="by")
    filters = {}
    for dim in data.draw(st.lists(st.sampled_from(dims), max_size=2, unique=True)):
        values = [v for v in _values(store, dim) if v is not None and v == v]
        chosen = data.draw(st.lists(st.sampled_from(values), min_size=1, max_size=3,
                                    unique=True), label=dim)
        filters[dim] = chosen[0] if len(chosen) == 1 else chosen
    assert cube.answers(by, filters)
    pd.testing.assert_frame_equal(audit_counts(store, by, filters=filters),
                                  audit_counts(_without_cube(store), by, filters=filters))


def test_site_attributes_and_missing_site_types_sum_like_the_audits(store: DuckDBStore) -> None:
    cube = store.counts_cube
    assert cube is not None and {"vendor", "region"} <= cube.dimensions
    for by in (["vendor", "site_type"], ["site", "site_type"], ["month", "region"]):
        got = audit_counts(store, by)
        assert got[by[1]].isna().any() == (by[1] == "region")  # the site sites.csv lacks
        pd.testing.assert_frame_equal(got, audit_counts(_without_cube(store), by))
    nothing = audit_counts(store, filters={"month": "2031-01"})
    assert nothing.iloc[0].sum() == 0 and len(nothing) == 1


def test_what_the_cube_lacks_is_counted_from_the_audits(store: DuckDBStore) -> None:
    cube = store.counts_cube
    assert cube is not None and not set(CUBE_DIMENSIONS) - cube.dimensions
    seen: list[str] = []
    spy = copy.copy(store)

    def query(sql: str, params: Sequence[object] | None = None) -> pd.DataFrame:
        seen.append(sql)
        return store.query(sql, params)

    spy.query = query  # type: ignore[method-assign]
    for by, filters in ((["moderator_id"], None), (["site"], {"week": "2026-10-05"}),
                        (["month"], {"site": "x"})):
        audit_counts(spy, by, filters=filters)
    assert ["audit_cube" in sql for sql in seen] == [False, False, True]
    assert not cube.answers(["month"], "site")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="mapping"):
        audit_counts(store, ["month"], filters="site")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty list"):
        audit_counts(store, ["month"], filters={"site": []})


@pytest.mark.parametrize("window", [["2026-10"], ["2026-08", "2026-09"]])
def test_a_month_window_reads_only_its_months_of_the_cube(store_path: Path,
                                                         window: list[str]) -> None:
    with open_store(store_path, months=window) as opened:
        assert isinstance(opened, DuckDBStore)
        got = audit_counts(opened, ["month", "queue"])
        assert sorted(set(got["month"])) == window
        pd.testing.assert_frame_equal(got, audit_counts(_without_cube(opened), ["month", "queue"]))


def test_a_changed_month_replaces_its_cube_rows(tmp_path: Path) -> None:
    data = _data(tmp_path / "data")
    ingest(data, tmp_path / "s.duckdb")
    part = data / "audits" / "month=2026-09" / "part-0.csv"
    head, *lines = list(csv.reader(part.open()))
    with part.open("w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([head, *lines[: len(lines) // 2]])
    result = ingest(data, tmp_path / "s.duckdb")
    assert result.changed == ["audits month=2026-09"]
    with open_store(tmp_path / "s.duckdb") as opened:
        assert isinstance(opened, DuckDBStore)
        got = audit_counts(opened, ["month"])
        pd.testing.assert_frame_equal(got, audit_counts(_without_cube(opened), ["month"]))
        assert got.set_index("month")["n_audits"].to_dict()["2026-09"] == len(lines) // 2


def test_a_validated_folder_has_no_cube(tmp_path: Path) -> None:
    with open_store(_data(tmp_path / "data")) as opened:
        assert isinstance(opened, DuckDBStore) and opened.counts_cube is None
    assert CountsCube("v", frozenset({"month"})).answers([], {"month": None, "site": None})
