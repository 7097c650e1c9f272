"""RCA deep dive: report_rca glue (unit) and the notebook built for queue harassment in
2026-08 (the planted jump at bpo_gamma_hyderabad)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from qa_insights.data.opening import open_store
from qa_insights.present.display import read_records
from qa_insights.rca.change import explain_change, reason_pareto
from qa_insights.rca.comparisons import pairwise_rates
from qa_insights.reports import rca as rr
from tests.report_build_helpers import JUMP_MONTH, RCA_QUEUE, leaked_ids, month_dir, raw_ids

pytest_plugins = ["tests.fixtures_report_builds"]


def test_table_names_carry_the_queue_prefix() -> None:
    assert rr.table_name("spam", "error_drivers") == "rca_spam_error_drivers"


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
