"""Spark gives the same numbers as DuckDB for every aggregate the reports use.

One local-mode SparkSession (``local[2]``, 4 shuffle partitions) serves the module; both
engines read the bundled sample data (DuckDB validates it, Spark reads its clean export).
Counts must match exactly and rates to 1e-12. Marked ``spark``: ``make test`` runs them,
``pytest -m "not spark"`` skips them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyspark")

from qa_insights.business import actuals, cost_allocation, costs, targets, whatif
from qa_insights.calibration import load as calibration_data
from qa_insights.data.engine import open_engine
from qa_insights.data.opening import open_store
from qa_insights.data.spark_store import open_spark_store, to_spark_sql
from qa_insights.quality import metrics, trends
from qa_insights.rca import change as rca
from qa_insights.rca import clustering, comparisons, drivers
from qa_insights.reports.engine import context as report_context
from qa_insights.reports.sections import calibration_overview, scope_overview
from qa_insights.stats import experiments, sampling

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

DATA = Path(__file__).resolve().parents[1] / "data_samples"
MONTH = "2026-10"
WINDOW = ["2026-08", "2026-09", "2026-10"]


@pytest.fixture(scope="module", autouse=True)
def _quiet_pyspark():
    # PySpark 4 warns on import paths it uses with pandas 3; our frames come from Arrow.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support",
                                category=FutureWarning)
        yield


@pytest.fixture(scope="module")
def duck():
    with open_store(DATA) as store:
        yield store


@pytest.fixture(scope="module")
def clean_dir(duck, tmp_path_factory):
    return duck.export_clean(tmp_path_factory.mktemp("clean"))


@pytest.fixture(scope="module")
def spark(clean_dir):
    with open_spark_store(clean_dir, master="local[2]") as store:
        yield store


def _column_values(s: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in s.astype(object)]


def assert_same(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    """Same columns and rows; integer columns equal, float columns within 1e-12, other
    columns equal with every kind of missing value taken as one."""
    a, b = ours.reset_index(drop=True), theirs.reset_index(drop=True)
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b), (len(a), len(b))
    for col in a.columns:
        x, y = a[col], b[col]
        if pd.api.types.is_bool_dtype(x) or pd.api.types.is_bool_dtype(y):
            assert _column_values(x) == _column_values(y), col
        elif pd.api.types.is_integer_dtype(x) and pd.api.types.is_integer_dtype(y):
            assert np.array_equal(x.to_numpy(), y.to_numpy()), col
        elif pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
            np.testing.assert_allclose(x.to_numpy(float), y.to_numpy(float), rtol=1e-12,
                                       atol=0, equal_nan=True, err_msg=col)
            whole = np.isfinite(y.to_numpy(float))
            if col.startswith("n_") or col in ("n", "items_handled"):
                assert np.array_equal(x.to_numpy(float)[whole], y.to_numpy(float)[whole]), col
        else:
            assert _column_values(x) == _column_values(y), col
    _assert_same_attrs(a.attrs, b.attrs)


def _assert_same_attrs(a: object, b: object) -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b)
        for key in a:
            _assert_same_attrs(a[key], b[key])
    elif isinstance(a, pd.DataFrame):
        assert_same(a, b)
    elif isinstance(a, (float, np.floating)) and not isinstance(a, bool):
        np.testing.assert_allclose(float(a), float(b), rtol=1e-12, equal_nan=True)
    else:
        assert a == b


AGGREGATES: dict[str, Callable] = {
    # Quality metrics and trends (MQR, MBR, RCA)
    "quality_summary org": lambda s: metrics.quality_summary(s),
    "quality_summary month x site": lambda s: metrics.quality_summary(s, ["month", "site"]),
    "quality_summary site x queue x market in a month":
        lambda s: metrics.quality_summary(s, ["site", "queue", "market"], filters={"month": MONTH}),
    "quality_summary tenure band x error type, two sites":
        lambda s: metrics.quality_summary(s, ["tenure_band", "error_type"],
                                          filters={"site": ["bpo_beta_cebu", "inhouse_dublin"]}),
    "quality_summary moderators": lambda s: metrics.quality_summary(s, ["moderator_id"],
                                                                    filters={"month": MONTH}),
    "rate_series monthly by site": lambda s: trends.rate_series(s, ["site"], "month"),
    "rate_series weekly by queue": lambda s: trends.rate_series(s, ["queue"], "week"),
    "rate_series weekly org, one market": lambda s: trends.rate_series(s, [], "week",
                                                                       filters={"market": "US"}),
    # Site attributes from the sites table (vendor, region, country) as dimensions
    "quality_summary by vendor": lambda s: metrics.quality_summary(s, ["vendor"]),
    "quality_summary site within a vendor": lambda s: metrics.quality_summary(
        s, ["site"], filters={"vendor": "alpha", "month": MONTH}),
    "quality_summary region x country, two vendors": lambda s: metrics.quality_summary(
        s, ["region", "country"], filters={"vendor": ["beta", "in-house"]}),
    "rate_series monthly by region": lambda s: trends.rate_series(s, ["region"], "month"),
    "driver_cells vendor x tenure band": lambda s: drivers.driver_cells(
        s, ["vendor", "tenure_band"], filters={"month": MONTH, "region": "APAC"}),
    "scope_values vendor by volume": lambda s: pd.DataFrame(
        {"v": report_context.scope_values(s, "vendor", MONTH, by_volume=True)}),
    "scope_overview of a vendor": lambda s: scope_overview(
        s, report_context.resolve_context(s, month=MONTH, scope="vendor", scope_value="beta")),
    # Root cause
    "explain_change site x queue": lambda s: rca.explain_change(s, MONTH, ["site", "queue"]),
    "reason_pareto month": lambda s: rca.reason_pareto(s, filters={"month": MONTH}),
    "reason_pareto by site": lambda s: rca.reason_pareto(s, ["site"]),
    "reason_mix_change": lambda s: rca.reason_mix_change(s, MONTH),
    "crosstab site x error type": lambda s: comparisons.crosstab(s, "site", "error_type",
                                                                 filters={"month": MONTH}),
    "pairwise_rates sites": lambda s: comparisons.pairwise_rates(s, "site", filters={"month": MONTH}),
    "group_stats handle time by site": lambda s: comparisons.group_stats(
        s, "handle_time_s", "site", filters={"month": MONTH}),
    "driver_cells": lambda s: drivers.driver_cells(s, ["tenure_band", "queue",
                                                       "handle_time_band"], filters={"month": MONTH}),
    "error_profiles": lambda s: clustering.error_profiles(s, "moderator_id", filters={"month": MONTH}),
    "arm_counts": lambda s: experiments.arm_counts(s, "site", ["bpo_beta_cebu"],
                                                   ["bpo_alpha_manila"], filters={"month": MONTH}),
    # Sampling, targets, costs (MBR)
    "stratum_counts": lambda s: sampling.stratum_counts(s, MONTH),
    "metric_actuals window": lambda s: actuals.metric_actuals(s, WINDOW),
    "metric_actuals month to date": lambda s: actuals.metric_actuals(
        s, MONTH, scopes=["org", "site"], before="2026-10-15"),
    "handle_time_stats percentiles": lambda s: actuals.handle_time_stats(
        s, ["site", "month"], WINDOW),
    "volume_totals": lambda s: actuals.volume_totals(s, ["site", "queue"], MONTH),
    "calibration_counts": lambda s: actuals.calibration_counts(s, ["month", "site"]),
    "store_targets": lambda s: targets.store_targets(s),
    "target_attainment": lambda s: targets.target_attainment(s, WINDOW),
    "month_end_projection": lambda s: targets.month_end_projection(s, "2026-10-20"),
    "unit_economics": lambda s: costs.unit_economics(s, ["site", "month"], WINDOW),
    "cost_change": lambda s: costs.cost_change(s, MONTH),
    "cost_allocation": lambda s: cost_allocation.cost_allocation(
        s, MONTH, shared=pd.DataFrame({"month": [MONTH], "pool": ["qa"], "cost": [1e4]})),
    "whatif_cells": lambda s: whatif.whatif_cells(s, MONTH, rate_months=WINDOW),
    # Calibration
    "load_calibration": lambda s: calibration_data.load_calibration(s).sort_values(
        ["session_id", "item_id", "rater_id"]),
    # Report parameters and overviews
    "known_months": lambda s: pd.DataFrame({"m": report_context.known_months(s)}),
    "scope_values by volume": lambda s: pd.DataFrame(
        {"v": report_context.scope_values(s, "queue", MONTH, by_volume=True)}),
    "scope_overview": lambda s: scope_overview(
        s, report_context.resolve_context(s, month=MONTH, scope="site",
                                          scope_value="bpo_beta_cebu")),
    "calibration_overview": lambda s: calibration_overview(
        s, report_context.resolve_context(s, month=MONTH)),
}


@pytest.mark.parametrize("name", list(AGGREGATES))
def test_spark_equals_duckdb(name, duck, spark):
    assert_same(AGGREGATES[name](spark), AGGREGATES[name](duck))


def test_both_engines_join_the_same_sites(duck, spark):
    """The sites table's attributes are the same dimensions on both engines, and the audits
    view has the same columns in the same order."""
    assert spark.dimensions == duck.dimensions
    assert {"vendor", "region", "country"} <= set(spark.dimensions)
    sql = "SELECT * FROM audits WHERE month = ? ORDER BY audit_id LIMIT 200"
    assert_same(spark.query(sql, [MONTH]), duck.query(sql, [MONTH]))


def test_vendor_counts_equal_pandas_on_the_raw_rows(spark):
    """An independent reference: every loaded audit joined to sites.csv in pandas."""
    loaded = spark.query("SELECT audit_id FROM audits")["audit_id"]
    raw = pd.read_csv(DATA / "audits.csv", dtype=str, usecols=["audit_id", "site"])
    sites = pd.read_csv(DATA / "sites.csv", dtype=str)
    joined = raw[raw["audit_id"].isin(set(loaded))].merge(sites, on="site", how="left")
    expected = joined.groupby("vendor").size().to_dict()
    got = metrics.quality_summary(spark, ["vendor"])
    assert dict(zip(got["vendor"], got["n_audits"].astype(int), strict=True)) == expected


def test_personal_dimensions_stay_personal_on_spark(tmp_path, monkeypatch):
    """A mapping's personal flag (``team_lead``) and a personal-looking site attribute
    (``manager_email``) are pseudonymised on Spark as on DuckDB; a site the sites table
    lacks has no vendor on either."""
    from tests.test_dimensions import _mapped_folder_with_sites

    monkeypatch.setenv("QA_INSIGHTS_PSEUDONYM_KEY", "test-key")
    folder = _mapped_folder_with_sites(tmp_path / "exports")
    with open_store(folder) as mapped:
        mapped.export_clean(tmp_path / "clean")
        with open_spark_store(tmp_path / "clean") as on_spark:
            assert on_spark.dimensions == mapped.dimensions
            for by in (["team_lead"], ["vendor", "manager_email"]):
                assert_same(metrics.quality_summary(on_spark, by),
                            metrics.quality_summary(mapped, by))
            ctx = report_context.resolve_context(on_spark)
            assert set(ctx.personal) == {"team_lead", "manager_email"}
            raw = on_spark.query("SELECT DISTINCT manager_email FROM audits "
                                 "WHERE manager_email IS NOT NULL")
            assert sorted(raw["manager_email"]) == ["a@x.com", "b@x.com"]
            assert not set(ctx.people(raw)["manager_email"]) & {"a@x.com", "b@x.com"}
            assert on_spark.query("SELECT count(*) AS n FROM audits WHERE vendor IS NULL"
                                  )["n"].tolist() == [1]


def test_month_window_prunes_to_the_months_asked(clean_dir):
    with open_store(DATA, months=WINDOW) as duck_window, \
            open_spark_store(clean_dir, months=WINDOW) as spark_window:
        ours = metrics.quality_summary(spark_window, ["month", "queue"])
        assert sorted(set(ours["month"])) == WINDOW
        assert_same(ours, metrics.quality_summary(duck_window, ["month", "queue"]))
        plan = spark_window.spark.sql("SELECT * FROM audits")._jdf.queryExecution() \
            .executedPlan().toString()
        assert "PartitionFilters" in plan and "2026-09" in plan


def test_open_engine_validates_a_raw_folder_for_spark(duck):
    with open_engine(DATA, engine="spark", months=[MONTH]) as store:
        assert store.fingerprint == duck.fingerprint
        assert store.data_dir == str(DATA)
        assert_same(metrics.quality_summary(store, ["site"]),
                    metrics.quality_summary(duck, ["site"], filters={"month": MONTH}))


def test_values_are_bound_not_formatted(spark):
    hostile = "x' OR '1'='1"
    out = spark.query("SELECT count(*) AS n FROM audits WHERE site = ?", [hostile])
    assert int(out["n"].iloc[0]) == 0
    assert "?" in to_spark_sql("SELECT 1 FROM audits WHERE site = ?")


def test_docstring_examples():
    import doctest

    from qa_insights.data import engine
    from qa_insights.data import spark_store as spark_engine

    for module in (engine, spark_engine):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module.__name__


def test_cli_export_writes_a_clean_folder_both_engines_read(tmp_path, duck):
    from qa_insights.cli import main

    assert main(["export", str(DATA), "--out", str(tmp_path / "clean"),
                 "--months", *WINDOW]) == 0
    assert sorted(p.name for p in (tmp_path / "clean" / "audits").iterdir()) == \
        [f"month={m}" for m in WINDOW]
    with open_store(tmp_path / "clean") as reread, \
            open_engine(tmp_path / "clean", engine="spark") as on_spark:
        expected = metrics.quality_summary(duck, ["month", "site"], filters={"month": WINDOW})
        assert_same(metrics.quality_summary(reread, ["month", "site"]), expected)
        assert_same(metrics.quality_summary(on_spark, ["month", "site"]), expected)


@pytest.mark.slow
def test_build_on_spark_writes_the_same_tables_as_duckdb(clean_dir, tmp_path):
    from qa_insights.reports.engine.build import build

    outs = {}
    for engine, data in (("duckdb", DATA), ("spark", clean_dir)):
        summary = build(month=MONTH, reports="mqr", data_dir=data, out_dir=tmp_path / engine,
                        jobs=1, progress=False, engine=engine)
        assert summary.exit_code == 0, summary.failed
        outs[engine] = tmp_path / engine / MONTH / "tables"
    names = sorted(p.name for p in outs["duckdb"].glob("*.csv"))
    assert names and names == sorted(p.name for p in outs["spark"].glob("*.csv"))
    for name in names:
        assert (outs["spark"] / name).read_bytes() == (outs["duckdb"] / name).read_bytes(), name


def test_both_engines_satisfy_the_store_protocol(duck, spark) -> None:
    from qa_insights.data.protocol import Store

    for store in (duck, spark):
        assert isinstance(store, Store)
        assert store.fingerprint == duck.fingerprint
