"""Report kinds (reports/engine/kinds.py): ``--reports`` parsing, including deep dives
scoped to a vendor, a region or another attribute of the sites table (issue 16), and the
build's check of those scopes against the data before anything runs."""

from __future__ import annotations

import dataclasses
import doctest
from pathlib import Path

import pandas as pd
import pytest

from qa_insights.data.opening import open_store
from qa_insights.reports.engine import kinds
from qa_insights.reports.engine.build import BuildError, plan
from qa_insights.reports.engine.kinds import (
    REPORTS,
    UnknownReport,
    index_rank,
    report_stem,
    select_reports,
)
from qa_insights.reports.engine.paths import NOTEBOOKS_DIR
from qa_insights.reports.engine.tables import slugify
from tests.fixtures_data import SAMPLE, audit_row, write_audits


@pytest.fixture(scope="module")
def sample_store():
    with open_store(SAMPLE) as store:
        yield store


def _plan(store, selection: str, data: Path = SAMPLE) -> list:
    return plan(store, ["2026-10"], select_reports(selection), data_dir=data,
                out_dir=Path("/nonexistent"), notebooks_dir=NOTEBOOKS_DIR)


@pytest.mark.parametrize(("asked", "target"), [
    ("rca:vendor=alpha", ("vendor", "alpha")),
    ("RCA:Vendor= in-house ", ("vendor", "in-house")),
    ("rca:region=APAC", ("region", "APAC")),
    ("rca:country=PH", ("country", "PH")),  # any other attribute of a sites table
    ("rca:queue=spam", ("queue", "spam")),
])
def test_a_deep_dive_is_asked_for_by_any_site_attribute(asked, target):
    (spec,) = select_reports(asked)
    assert spec.key == "rca" and spec.targets == (target,)


@pytest.mark.parametrize("asked", ["rca:vendor", "rca:vendor=", "rca:Vendor Name=x",
                                   "rca:month=2026-10", "mqr:vendor=alpha"])
def test_a_scope_no_data_can_have_is_refused_when_parsing(asked):
    with pytest.raises(UnknownReport, match="report '"):
        select_reports(asked)


def test_only_kinds_that_say_so_take_site_attributes():
    assert [k for k, s in REPORTS.items() if s.site_attributes] == ["rca"]
    assert {"vendor", "region"} <= set(REPORTS["rca"].target_scopes)


def test_a_vendor_deep_dive_is_planned_with_its_own_stem_and_title(sample_store):
    sites = pd.read_csv(SAMPLE / "sites.csv", dtype=str)
    vendor = sites["vendor"].iloc[-1]
    (task,) = _plan(sample_store, f"rca:vendor={vendor}")
    assert task.stem == report_stem("rca", "vendor", vendor) == f"rca_vendor_{vendor}"
    assert task.parameters["scope"] == "vendor" and task.parameters["scope_value"] == vendor
    assert task.title == f"Root-Cause Deep Dive: vendor {vendor}"
    (region,) = _plan(sample_store, "rca:region=EMEA")
    assert region.stem == f"rca_region_{slugify('EMEA')}"  # made file-safe


def test_an_unknown_vendor_is_refused_before_anything_runs_listing_the_valid_ones(
        sample_store):
    sites = pd.read_csv(SAMPLE / "sites.csv", dtype=str)
    with pytest.raises(BuildError) as raised:
        _plan(sample_store, "rca:vendor=acme")
    message = str(raised.value)
    assert message.startswith("report 'rca:vendor=acme': 'acme' is not a vendor of the data")
    assert message.endswith(", ".join(sorted(set(sites["vendor"]))))
    with pytest.raises(BuildError, match="valid region values: AMER, APAC, EMEA"):
        _plan(sample_store, "rca:region=Mars")
    with pytest.raises(BuildError, match="no 'shift'.*valid: site, queue, market, vendor, "
                                         "region, country$"):
        _plan(sample_store, "rca:shift=day")


def test_a_vendor_deep_dive_without_a_sites_table_says_what_is_missing(tmp_path):
    folder = write_audits(tmp_path / "d", [audit_row("A1")])
    with open_store(folder) as store, pytest.raises(BuildError, match="needs a sites table"):
        _plan(store, "rca:vendor=alpha", folder)
    with open_store(folder) as store, pytest.raises(BuildError, match="valid: site, queue, "
                                                                      "market$"):
        _plan(store, "rca:country=PH", folder)


def test_docstring_examples() -> None:
    assert doctest.testmod(kinds).failed == 0


def test_every_kind_has_its_notebook_and_its_stem_is_the_notebook_name() -> None:
    for spec in REPORTS.values():
        assert (NOTEBOOKS_DIR / spec.notebook).is_file(), spec.key
        assert f"{spec.stem}.ipynb" == spec.notebook
        assert report_stem(spec.key) == report_stem(spec.key, "org", "") == spec.stem
    assert [k for k, s in REPORTS.items() if s.per_queue] == ["rca"]  # the others: monthly


def test_the_index_lists_kinds_in_registry_order_and_unknown_kinds_last() -> None:
    shuffled = ["experiment_readout", "old_report", "rca", "mqr", "calibration"]
    assert sorted(shuffled, key=index_rank) == [
        "mqr", "calibration", "rca", "experiment_readout", "old_report"]
    assert [index_rank(k) for k in REPORTS] == list(range(len(REPORTS)))
    assert index_rank("old_report") == len(REPORTS)


@pytest.mark.parametrize("asked", [None, "all", ["all"]])
def test_all_or_nothing_asked_is_every_kind_in_build_order(asked) -> None:
    assert [s.key for s in select_reports(asked)] == list(REPORTS)
    assert all(s.targets == () for s in select_reports(asked))


@pytest.mark.parametrize("asked", ["", " , ", []])
def test_an_empty_selection_is_refused_listing_the_kinds(asked) -> None:
    with pytest.raises(UnknownReport, match=f"^no report given; valid: {', '.join(REPORTS)} "
                                            r"\(or all\)$"):
        select_reports(asked)


@pytest.mark.parametrize(("asked", "named"), [("mqr, Weekly", "Weekly"),
                                               ("weekly:site=x", "weekly")])
def test_an_unknown_kind_is_refused_by_name_listing_the_kinds(asked, named) -> None:
    with pytest.raises(UnknownReport, match=f"^unknown report '{named}'; valid: "
                                            f"{', '.join(REPORTS)} " r"\(or all\)$"):
        select_reports(asked)


def test_single_reports_of_a_kind_are_kept_in_order_once_and_the_default_set_wins() -> None:
    (spec,) = select_reports("rca:site=a, rca:queue=b, RCA:site=a, rca:market=c")
    assert spec.targets == (("site", "a"), ("queue", "b"), ("market", "c"))
    for asked in ("rca:site=a, rca", "rca, rca:site=a", "rca:site=a, rca, rca:queue=b"):
        (spec,) = select_reports(asked)
        assert spec.targets == (), asked  # every busiest-queue deep dive, not just one
    assert REPORTS["rca"].targets == ()  # the registry itself is left as it was


def test_the_registry_cannot_be_changed_in_place() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        REPORTS["mqr"].title = "Something else"  # type: ignore[misc]


def test_a_bad_scope_names_a_form_that_works() -> None:
    with pytest.raises(UnknownReport) as raised:
        select_reports("rca:shift day")
    hint = str(raised.value).split(": use ", 1)[1].split(" ", 1)[0]
    example = hint.replace("NAME", "spam")
    assert example == f"rca:{REPORTS['rca'].target_scopes[0]}=spam"
    assert select_reports(example)[0].targets == ((REPORTS["rca"].target_scopes[0], "spam"),)
