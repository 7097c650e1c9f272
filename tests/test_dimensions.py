"""Dimensions beyond the contract: the sites table (vendor, region, other attributes) and
custom dimensions, in by= and filters= of the library, checked against pandas on the raw
rows (issue 16)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qa_insights.data.errors import DataError
from qa_insights.data.ingest import ingest, open_ingested
from qa_insights.data.opening import open_store
from qa_insights.data.queries import audit_counts
from qa_insights.quality.metrics import quality_summary
from qa_insights.quality.trends import rate_series
from qa_insights.rca.drivers import driver_cells
from qa_insights.reports.engine.context import ParameterError, resolve_context
from tests.fixtures_data import AUDIT_HEADER, SAMPLE, audit_row, write_audits


def _raw_audits(folder: Path) -> pd.DataFrame:
    """The audits as pandas reads them, with month and is_error computed here."""
    raw = pd.read_csv(folder / "audits.csv", dtype=str, keep_default_na=False)
    stamps = pd.to_datetime(raw["audited_at"], utc=True, format="ISO8601")
    raw["month"] = stamps.dt.strftime("%Y-%m")
    raw["is_error"] = ((raw["moderator_decision"] != raw["auditor_decision"])
                       & (raw["dispute_status"] != "overturned"))
    return raw


@pytest.fixture(scope="module")
def sample_store():
    with open_store(SAMPLE) as store:
        yield store


@pytest.fixture(scope="module")
def sample_rows() -> pd.DataFrame:
    sites = pd.read_csv(SAMPLE / "sites.csv", dtype=str)
    return _raw_audits(SAMPLE).merge(sites.drop(columns="site_type"), on="site", how="left")


@pytest.mark.parametrize("dimension", ["vendor", "region", "country"])
def test_site_attribute_rollups_equal_pandas_on_the_raw_rows(sample_store, sample_rows,
                                                             dimension):
    got = quality_summary(sample_store, [dimension, "month"]).set_index([dimension, "month"])
    expected = sample_rows.groupby([dimension, "month"]).agg(
        n_audits=("audit_id", "size"), n_errors=("is_error", "sum"))
    assert got["n_audits"].to_dict() == expected["n_audits"].to_dict()
    assert got["n_errors"].to_dict() == expected["n_errors"].astype(int).to_dict()


def test_vendor_rollup_is_the_sum_of_its_sites(sample_store):
    """A vendor's counts are its sites' counts added up (the site -> vendor map read from
    sites.csv by pandas, not by the store)."""
    vendor_of = pd.read_csv(SAMPLE / "sites.csv").set_index("site")["vendor"]
    by_site = audit_counts(sample_store, ["site"], filters={"month": "2026-10"})
    summed = by_site.assign(vendor=by_site["site"].map(vendor_of)).groupby("vendor")[
        ["n_audits", "n_errors", "n_critical"]].sum()
    by_vendor = audit_counts(sample_store, ["vendor"], filters={"month": "2026-10"})
    pd.testing.assert_frame_equal(by_vendor.set_index("vendor")[summed.columns], summed)
    overall = quality_summary(sample_store, filters={"month": "2026-10"})
    assert by_vendor["n_audits"].sum() == overall["n_audits"].iloc[0]


def test_filters_by_vendor_and_region_equal_pandas(sample_store, sample_rows):
    got = quality_summary(sample_store, ["site"],
                          filters={"vendor": ["beta", "in-house"], "region": "APAC"})
    rows = sample_rows[sample_rows["vendor"].isin(["beta", "in-house"])
                       & (sample_rows["region"] == "APAC")]
    expected = rows.groupby("site").agg(n=("audit_id", "size"), e=("is_error", "sum"))
    assert dict(zip(got["site"], got["n_audits"], strict=True)) == expected["n"].to_dict()
    assert dict(zip(got["site"], got["n_errors"], strict=True)) == \
        expected["e"].astype(int).to_dict()


def test_unknown_filter_names_the_valid_ones_including_site_attributes(sample_store):
    with pytest.raises(ValueError, match=r"unknown filter 'vendr'; allowed: .*region.*vendor"):
        quality_summary(sample_store, filters={"vendr": "alpha"})


def test_without_a_sites_table_vendor_is_not_a_dimension(tmp_path):
    folder = write_audits(tmp_path / "d", [audit_row("A1")])
    with open_store(folder) as store:
        assert store.dimensions == {}
        with pytest.raises(ValueError, match="unknown dimension 'vendor'"):
            quality_summary(store, ["vendor"])


def _sites(folder: Path, text: str) -> Path:
    (folder / "sites.csv").write_text(text)
    return folder


def test_site_missing_from_sites_is_a_validation_note_with_file_and_row(tmp_path):
    folder = write_audits(tmp_path / "d", [audit_row("A1", site="s1"),
                                           audit_row("A2", site="s9"),
                                           audit_row("A3", site="s9")])
    _sites(folder, "site,site_type,vendor,region\ns1,bpo,alpha,APAC\n")
    with open_store(folder) as store:
        notes = store.validation.notes()
        assert any("audits.csv row 2: site 's9' (2 audits) is not in the sites table" in n
                   for n in notes), notes
        assert store.validation.clean  # a note, not a quarantine: every audit is loaded
        got = audit_counts(store, ["vendor"]).set_index("vendor")["n_audits"]
        assert got["alpha"] == 1 and got[pd.isna(got.index)].sum() == 2


def test_site_type_may_come_from_sites_and_must_agree_where_both_give_it(tmp_path):
    header = AUDIT_HEADER.replace("site_type,", "")
    rows = [",".join(v for i, v in enumerate(audit_row(f"A{n}", site=s).split(","))
                     if i != 5) for n, s in enumerate(["s1", "s2", "s3"])]
    folder = write_audits(tmp_path / "no_type", rows, header=header)
    _sites(folder, "site,site_type,vendor\ns1,bpo,alpha\ns2,in_house,in-house\ns3,,x\n")
    with open_store(folder) as store:
        got = store.query("SELECT site, site_type FROM audits ORDER BY site")
        assert got.values.tolist() == [["s1", "bpo"], ["s2", "in_house"]]
        assert store.validation.tables["audits"].quarantined == {
            "site_type: missing required value (in the audits and in the sites table)": 1}
    folder = write_audits(tmp_path / "both", [audit_row("A1", site="s1", site_type="bpo"),
                                              audit_row("A2", site="s2", site_type="bpo")])
    _sites(folder, "site,site_type\ns1,bpo\ns2,in_house\n")
    with open_store(folder) as store:
        assert store.validation.tables["audits"].quarantined == {
            "site_type: differs from the site's site_type in the sites table": 1}
        assert store.quarantine("audits")[["_row", "audit_id"]].values.tolist() == [[2, "A2"]]


def test_an_ingested_store_joins_the_same_sites(tmp_path, sample_store):
    ingest(SAMPLE, tmp_path / "store.duckdb")
    with open_ingested(tmp_path / "store.duckdb", months=["2026-09", "2026-10"]) as ingested:
        assert set(ingested.dimensions) == {"vendor", "region", "country"}
        got = audit_counts(ingested, ["region", "vendor"], filters={"month": "2026-10"})
    expected = audit_counts(sample_store, ["region", "vendor"], filters={"month": "2026-10"})
    pd.testing.assert_frame_equal(got, expected)


@pytest.fixture(scope="module")
def custom_folder(tmp_path_factory) -> Path:
    """Sample audits with two extra columns: a language and a team lead's id (personal)."""
    from qa_insights.data.sample_data import generate

    folder = tmp_path_factory.mktemp("custom")
    generate(folder, months=2, audits_per_month=400, seed=4)
    (folder / "sites.csv").unlink()
    raw = pd.read_csv(folder / "audits.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(7)
    raw["language"] = rng.choice(["pt", "es", "en", "hi"], size=len(raw))
    raw["team_lead_id"] = rng.choice([f"TL{i:02d}" for i in range(6)], size=len(raw))
    raw.to_csv(folder / "audits.csv", index=False)
    return folder


def test_custom_dimension_by_and_filters_equal_pandas(custom_folder):
    rows = _raw_audits(custom_folder)
    with open_store(custom_folder) as store:
        assert {n: (d.source, d.personal) for n, d in store.dimensions.items()} == {
            "language": ("audits", False), "team_lead_id": ("audits", True)}
        by = quality_summary(store, ["language", "month"]).set_index(["language", "month"])
        picked = quality_summary(store, ["site"], filters={"language": ["pt", "es"]})
        assert rate_series(store, "language", filters={"queue": "spam"})[
            "n_audits"].sum() == (rows["queue"] == "spam").sum()
    expected = rows.groupby(["language", "month"]).agg(n=("audit_id", "size"),
                                                       e=("is_error", "sum"))
    assert by["n_audits"].to_dict() == expected["n"].to_dict()
    assert by["n_errors"].to_dict() == expected["e"].astype(int).to_dict()
    sub = rows[rows["language"].isin(["pt", "es"])].groupby("site").agg(
        n=("audit_id", "size"), e=("is_error", "sum"))
    assert dict(zip(picked["site"], picked["n_audits"], strict=True)) == sub["n"].to_dict()
    assert dict(zip(picked["site"], picked["n_errors"], strict=True)) == \
        sub["e"].astype(int).to_dict()


def test_personal_dimension_is_pseudonymised_in_manager_output(custom_folder, monkeypatch):
    monkeypatch.setenv("QA_INSIGHTS_PSEUDONYM_KEY", "test-key")
    with open_store(custom_folder) as store:
        ctx = resolve_context(store)
        table = quality_summary(store, ["team_lead_id"], filters=ctx.filters)
        shown = ctx.people(table)
        analyst = resolve_context(store, analyst_mode=True).people(table)
    assert ctx.personal == ("team_lead_id",)
    raw_ids = set(table["team_lead_id"])
    assert raw_ids and not raw_ids & set(shown["team_lead_id"])
    assert shown["team_lead_id"].str.fullmatch(r"TEA-[0-9a-f]{10}").all()
    assert (shown["n_audits"] >= 30).all()  # the small-cell rule of people applies
    assert set(analyst["team_lead_id"]) == raw_ids


def test_custom_dimension_is_an_rca_driver(custom_folder):
    with open_store(custom_folder) as store:
        cells = driver_cells(store, ["language", "queue"])
        rows = _raw_audits(custom_folder)
    expected = rows.groupby(["language", "queue"]).size()
    assert cells.set_index(["language", "queue"])["n_audits"].to_dict() == expected.to_dict()


def test_vendor_is_a_report_scope_when_the_data_has_sites(sample_store, tmp_path):
    ctx = resolve_context(sample_store, month="2026-10", scope="vendor", scope_value="beta")
    expected = quality_summary(sample_store, filters={"month": "2026-10", "site": "bpo_beta_cebu"})
    assert ctx.n_audits == expected["n_audits"].iloc[0]
    assert ctx.filters == {"month": "2026-10", "vendor": "beta"}
    folder = write_audits(tmp_path / "d", [audit_row("A1")])
    with open_store(folder) as store, pytest.raises(ParameterError, match="needs a sites"):
        resolve_context(store, scope="region", scope_value="APAC")


def test_mapping_declares_dimensions_with_the_users_column_names(tmp_path):
    folder = tmp_path / "exports"
    lines = [AUDIT_HEADER + ",Content Language,Team Lead",
             audit_row("A1") + ",pt,Ana", audit_row("A2", moderator_decision="x") + ",es,Bo"]
    folder.mkdir()
    (folder / "export.csv").write_text("\n".join(lines) + "\n")
    (folder / "qa_insights.yaml").write_text(
        "tables:\n  audits:\n    files: [export.csv]\n    dimensions:\n"
        "      language: Content Language\n"
        "      team_lead: {column: Team Lead, personal: true}\n")
    with open_store(folder) as store:
        assert {n: d.personal for n, d in store.dimensions.items()} == {
            "language": False, "team_lead": True}
        got = audit_counts(store, ["language", "team_lead"])
    assert got[["language", "team_lead", "n_audits", "n_errors"]].values.tolist() == [
        ["es", "Bo", 1, 1], ["pt", "Ana", 1, 0]]
    (folder / "qa_insights.yaml").write_text(
        "tables:\n  audits:\n    files: [export.csv]\n    dimensions: {language: Lang}\n")
    with pytest.raises(DataError, match="column 'Lang' \\(dimension 'language'\\) is not in"):
        open_store(folder)


def test_make_reports_path_ingests_a_mapped_export_with_its_dimensions(tmp_path):
    """`make reports DATA=exports` ingests first: the ingest reads the folder through its
    mapping, keeps the declared (personal) dimensions and names the user's file in the
    quarantine."""
    folder = tmp_path / "exports"
    folder.mkdir()
    lines = [AUDIT_HEADER + ",Content Language,Team Lead",
             audit_row("A1") + ",pt,Ana", audit_row("A2", moderator_decision="x") + ",es,Bo",
             audit_row("A3", severity="catastrophic") + ",es,Bo"]
    (folder / "export.csv").write_text("\n".join(lines) + "\n")
    (folder / "qa_insights.yaml").write_text(
        "tables:\n  audits:\n    files: [export.csv]\n    dimensions:\n"
        "      language: Content Language\n"
        "      team_lead: {column: Team Lead, personal: true}\n")
    ingest(folder, tmp_path / "store.duckdb")
    with open_store(tmp_path / "store.duckdb") as stored, open_store(folder) as direct:
        assert {n: d.personal for n, d in stored.dimensions.items()} == {
            "language": False, "team_lead": True}
        pd.testing.assert_frame_equal(audit_counts(stored, ["language", "team_lead"]),
                                      audit_counts(direct, ["language", "team_lead"]))
        assert stored.quarantine("audits")["_file"].tolist() == [str(folder / "export.csv")]


def _mapped_folder_with_sites(folder: Path) -> Path:
    """Audits read through a mapping that declares ``team_lead`` personal (a name that does
    not look personal), beside a sites table with a personal-looking extra column."""
    folder.mkdir()
    lines = [AUDIT_HEADER + ",Team Lead",
             audit_row("A1", site="s1") + ",Ana",
             audit_row("A2", site="s2", moderator_decision="x") + ",Bo",
             audit_row("A3", site="s3") + ",Bo"]
    (folder / "export.csv").write_text("\n".join(lines) + "\n")
    (folder / "sites.csv").write_text("site,site_type,vendor,region,manager_email\n"
                                      "s1,bpo,alpha,APAC,a@x.com\ns2,bpo,beta,EMEA,b@x.com\n")
    (folder / "qa_insights.yaml").write_text(
        "tables:\n  audits:\n    files: [export.csv]\n    dimensions:\n"
        "      team_lead: {column: Team Lead, personal: true}\n"
        "  sites:\n    files: [sites.csv]\n")
    return folder


def test_a_clean_export_keeps_the_dimensions_and_their_personal_flags(tmp_path):
    """Reopening ``export_clean``'s folder gives the same dimensions: a mapping's personal
    flag is not in the column names, so the export records it."""
    folder = _mapped_folder_with_sites(tmp_path / "exports")
    with open_store(folder) as mapped:
        expected = {n: (d.source, d.personal) for n, d in mapped.dimensions.items()}
        counts = audit_counts(mapped, ["vendor", "team_lead"])
        mapped.export_clean(tmp_path / "clean")
    assert expected == {"team_lead": ("audits", True), "vendor": ("sites", False),
                        "region": ("sites", False), "manager_email": ("sites", True)}
    with open_store(tmp_path / "clean") as reread:
        assert {n: (d.source, d.personal) for n, d in reread.dimensions.items()} == expected
        pd.testing.assert_frame_equal(audit_counts(reread, ["vendor", "team_lead"]), counts)
