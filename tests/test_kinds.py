"""Report kinds (reports/engine/kinds.py): ``--reports`` parsing, including deep dives
scoped to a vendor, a region or another attribute of the sites table (issue 16), and the
build's check of those scopes against the data before anything runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from qa_insights.data.opening import open_store
from qa_insights.reports.engine.build import BuildError, plan
from qa_insights.reports.engine.kinds import (
    REPORTS,
    UnknownReport,
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
