"""RCA deep dive: report_rca glue (unit), the notebook built for queue harassment in
2026-08 (the planted jump at bpo_gamma_hyderabad), and deep dives scoped to a vendor
(``--reports rca:vendor=NAME``, issue 16)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from qa_insights.data.opening import open_store
from qa_insights.present.display import read_records
from qa_insights.quality.metrics import quality_summary
from qa_insights.rca.change import explain_change, reason_pareto
from qa_insights.rca.comparisons import pairwise_rates
from qa_insights.reports import rca as rr
from tests.report_build_helpers import JUMP_MONTH, RCA_QUEUE, leaked_ids, month_dir, raw_ids

pytest_plugins = ["tests.fixtures_report_builds"]


def test_table_names_carry_the_queue_prefix() -> None:
    assert rr.table_name("spam", "error_drivers") == "rca_spam_error_drivers"


def test_a_vendor_is_split_by_its_sites_or_its_one_sites_queues() -> None:
    assert [rr.segment_dimension(s, 1) for s in ("org", "queue", "market", "site")] == [
        "site", "site", "site", "queue"]
    assert [rr.segment_dimension(s, n) for s in ("vendor", "region", "country")
            for n in (1, 2)] == ["queue", "site"] * 3
    drivers = ["tenure_band", "site_type", "market"]
    assert rr.scope_drivers("queue", "site", drivers) == drivers
    assert rr.scope_drivers("site", "queue", drivers) == drivers
    assert rr.scope_drivers("vendor", "site", drivers) == ["tenure_band", "site", "market"]
    assert rr.scope_drivers("region", "queue", drivers) == ["tenure_band", "queue", "market"]


def test_association_test_skips_sparse_tables_and_runs_large_ones() -> None:
    small = pd.DataFrame({"fp": [1, 0], "fn": [0, 2]}, index=["a", "b"])
    assert rr.association_test(small)[0] is None
    large = pd.DataFrame({"fp": [30, 10], "fn": [10, 40]}, index=["a", "b"])
    test, sentence = rr.association_test(large)
    assert test.significant and "error type differs by site" in sentence


def test_cluster_moderators_skips_with_a_reason_and_clusters_enough() -> None:
    few = pd.DataFrame({"fp": [1.0], "fn": [0.0], "n_errors": [3], "n_audits": [9],
                        "error_rate": [0.3]})
    assert rr.cluster_moderators(few).clustering is None
    shares = [1.0, 0.9, 0.95, 0.0, 0.1, 0.05, 0.5, 0.45, 0.55]
    many = pd.DataFrame({"fp": shares, "fn": [1 - s for s in shares], "n_errors": 5,
                         "n_audits": 50, "error_rate": 0.1},
                        index=pd.Index([f"M{i}" for i in range(9)], name="moderator_id"))
    result = rr.cluster_moderators(many)
    assert result.clustering is not None and result.clustering.k >= 2
    members = rr.cluster_members(result)
    assert len(members) == 9 and members.columns[0] == "moderator_id"
    summary = rr.cluster_summary(result)
    assert summary["size"].sum() == 9
    # each group is named from its profile, uniquely, and its members carry the name
    # (mean fp share 0.5: the 0.95 group is high fp, the 0.05 group high fn, 0.5 the mix)
    assert sorted(summary["group"]) == ["close to the overall mix", "high fn", "high fp"]
    named = dict(zip(summary["cluster"], summary["group"]))
    assert (members["group"] == members["cluster"].map(named)).all()


@pytest.fixture(scope="module")
def rca(august_build: dict) -> dict:
    folder = month_dir(august_build, JUMP_MONTH)
    assert (folder / f"rca_{RCA_QUEUE}.html").exists(), august_build["results"]
    return {"folder": folder, "records": read_records(folder / f"rca_{RCA_QUEUE}.ipynb"),
            "data": Path(august_build["data"])}


@pytest.mark.slow
def test_rca_change_by_site_equals_the_library_and_names_the_jump(rca: dict) -> None:
    with open_store(rca["data"]) as store:
        expected = explain_change(store, JUMP_MONTH, "site", filters={"queue": RCA_QUEUE})
    table = pd.read_csv(rca["folder"] / "tables" / f"rca_{RCA_QUEUE}_change_by_site.csv")
    assert table.site.tolist() == expected.site.tolist()
    assert table.rate_effect.tolist() == pytest.approx(expected.rate_effect.tolist(), rel=1e-9)
    assert table.site[0] == "bpo_gamma_hyderabad"
    assert any(s.startswith("bpo_gamma_hyderabad error rate rose")
               for s in rca["records"]["change_findings"])


@pytest.mark.slow
def test_rca_reasons_and_pairwise_equal_the_library(rca: dict) -> None:
    with open_store(rca["data"]) as store:
        reasons = reason_pareto(store, filters={"month": JUMP_MONTH, "queue": RCA_QUEUE})
        pairs = pairwise_rates(store, "site", filters={"month": JUMP_MONTH, "queue": RCA_QUEUE})
    table = pd.read_csv(rca["folder"] / "tables" / f"rca_{RCA_QUEUE}_error_reasons.csv")
    assert table.n_errors.tolist() == reasons.n_errors.tolist()
    recorded = pd.DataFrame(rca["records"]["pairwise_sites"])
    assert recorded.p_adjusted.tolist() == pytest.approx(pairs.p_adjusted.tolist(), rel=1e-9)
    html = (rca["folder"] / f"rca_{RCA_QUEUE}.html").read_text()
    for heading in ("What changed", "Error reasons", "Tests of difference", "Error drivers",
                    "Moderators grouped by error profile"):
        assert heading in html


@pytest.mark.slow
def test_every_rca_table_is_prefixed_and_holds_no_raw_ids(rca: dict) -> None:
    tables = sorted((rca["folder"] / "tables").glob("rca_*.csv"))
    assert {p.name for p in tables if p.name.startswith(f"rca_{RCA_QUEUE}_")} >= {
        f"rca_{RCA_QUEUE}_{n}.csv" for n in ("change_by_site", "change_by_market",
                                            "error_reasons", "pairwise_sites",
                                            "error_drivers")}
    htmls = sorted(rca["folder"].glob("rca_*.html"))
    assert leaked_ids([*htmls, *tables], raw_ids(rca["data"])) == {}


@pytest.fixture(scope="module")
def vendor_build(tmp_path_factory: pytest.TempPathFactory, sample_data: Path) -> dict:
    """Deep dives of a vendor with several sites and of a vendor with one, asked by name."""
    from qa_insights.reports.engine.build import build

    sites = pd.read_csv(sample_data / "sites.csv", dtype=str)
    per_vendor = sites.groupby("vendor")["site"].apply(sorted)
    several = next(v for v, s in per_vendor.items() if len(s) > 1)
    with open_store(sample_data) as store:  # the busiest one-site vendor: drivers estimable
        volume = quality_summary(store, ["vendor"], filters={"month": VENDOR_MONTH})
    volume = volume.set_index("vendor")["n_audits"]
    single = max((v for v, s in per_vendor.items() if len(s) == 1), key=volume.get)
    out = tmp_path_factory.mktemp("vendor") / "reports"
    summary = build(month=VENDOR_MONTH, reports=f"rca:vendor={several},rca:vendor={single}",
                    data_dir=sample_data, out_dir=out, jobs=2, progress=False)
    assert summary.exit_code == 0, summary.failed
    return {"out": out, "folder": out / VENDOR_MONTH, "data": sample_data,
            "several": several, "single": single, "sites": per_vendor}


VENDOR_MONTH = "2026-10"


@pytest.mark.slow
def test_a_vendor_deep_dive_is_scoped_to_its_sites_and_linked_from_the_index(
        vendor_build: dict) -> None:
    folder, vendor = vendor_build["folder"], vendor_build["several"]
    prefix = f"rca_vendor_{vendor}"
    table = pd.read_csv(folder / "tables" / f"{prefix}_change_by_site.csv")
    with open_store(vendor_build["data"]) as store:
        expected = explain_change(store, VENDOR_MONTH, "site", filters={"vendor": vendor})
        loaded = set(store.query("SELECT audit_id FROM audits WHERE month = ?",
                                 [VENDOR_MONTH])["audit_id"])
    # independent of the store: the raw audits of the vendor's sites (sites.csv) in pandas
    raw = pd.read_csv(vendor_build["data"] / "audits.csv", dtype=str,
                      usecols=["audit_id", "site"])
    mine = raw[raw["audit_id"].isin(loaded) & raw["site"].isin(vendor_build["sites"][vendor])]
    assert sorted(table.site) == vendor_build["sites"][vendor]
    assert table.n_audits_after.sum() == len(mine)
    assert table.site.tolist() == expected.site.tolist()
    assert table.rate_effect.tolist() == pytest.approx(expected.rate_effect.tolist(), rel=1e-9)
    drivers = pd.read_csv(folder / "tables" / f"{prefix}_error_drivers.csv")
    assert "site" in set(drivers.driver) and "site_type" not in set(drivers.driver)
    html = (folder / f"{prefix}.html").read_text()
    assert f"Root-Cause Deep Dive: vendor {vendor}" in html
    assert f'href="{VENDOR_MONTH}/{prefix}.html"' in (vendor_build["out"] / "index.html").read_text()
    htmls = sorted(folder.glob("rca_vendor_*.html"))
    assert len(htmls) == 2
    assert leaked_ids([*htmls, *folder.glob("tables/*.csv")], raw_ids(vendor_build["data"])) == {}


@pytest.mark.slow
def test_a_one_site_vendor_is_split_by_queue(vendor_build: dict) -> None:
    folder, vendor = vendor_build["folder"], vendor_build["single"]
    prefix = f"rca_vendor_{vendor}"
    assert not (folder / "tables" / f"{prefix}_change_by_site.csv").exists()
    table = pd.read_csv(folder / "tables" / f"{prefix}_change_by_queue.csv")
    with open_store(vendor_build["data"]) as store:
        expected = explain_change(store, VENDOR_MONTH, "queue", filters={"vendor": vendor})
    assert table.queue.tolist() == expected.queue.tolist()
    drivers = pd.read_csv(folder / "tables" / f"{prefix}_error_drivers.csv")
    assert "queue" in set(drivers.driver) and "site_type" not in set(drivers.driver)
