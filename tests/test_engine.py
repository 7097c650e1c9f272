"""Engine choice and store settings that need no Spark: names, environment, clean exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_insights.data.engine import ENGINE_ENV, engine_environment, engine_name, is_clean_export
from qa_insights.data.opening import open_store
from qa_insights.data.sql import scalar
from qa_insights.data.store import CLEAN_MANIFEST, MEMORY_LIMIT_ENV
from qa_insights.quality.metrics import quality_summary

DATA = Path(__file__).resolve().parents[1] / "data_samples"


def test_engine_name_from_argument_environment_or_default(monkeypatch):
    monkeypatch.delenv(ENGINE_ENV, raising=False)
    assert engine_name() == "duckdb"
    monkeypatch.setenv(ENGINE_ENV, "Spark")
    assert engine_name() == "spark"
    assert engine_name("duckdb") == "duckdb"
    with pytest.raises(ValueError, match="unknown engine 'polars'; valid: duckdb, spark"):
        engine_name("polars")


def test_engine_environment_is_restored(monkeypatch):
    monkeypatch.setenv(ENGINE_ENV, "duckdb")
    with engine_environment("spark"):
        assert engine_name() == "spark"
    assert engine_name() == "duckdb"


def test_memory_limit_from_environment(monkeypatch):
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "512MB")
    with open_store(DATA, months=["2026-10"]) as store:
        limit = scalar(store.con, "SELECT current_setting('memory_limit')")
    assert limit.replace(" ", "") in ("488.2MiB", "512.0MB", "512MB")


def test_export_clean_is_a_data_folder_with_the_same_numbers(tmp_path):
    with open_store(DATA) as store:
        out = store.export_clean(tmp_path / "clean")
        expected = quality_summary(store, ["month", "queue"])
    assert is_clean_export(out) and (out / CLEAN_MANIFEST).is_file()
    assert not is_clean_export(DATA)
    assert (out / "audits" / "month=2026-10").is_dir()
    with open_store(out) as reread:
        got = quality_summary(reread, ["month", "queue"])
    assert got.equals(expected)


def test_a_url_reaches_the_spark_store_intact(monkeypatch):
    """``qa-insights build --data s3a://...`` -> ``open_engine``: the URL is not turned into
    a path (``s3a:/x``) and is not validated locally."""
    from qa_insights.cli import _parser
    from qa_insights.data import spark_store as spark_engine
    from qa_insights.data.engine import open_engine

    seen = {}
    monkeypatch.setattr(spark_engine, "open_spark_store",
                        lambda data_dir, **kwargs: seen.setdefault("data_dir", data_dir))
    args = _parser().parse_args(["build", "--engine", "spark", "--data",
                                 "s3a://bucket/qa/clean"])
    assert args.data == "s3a://bucket/qa/clean"
    open_engine(args.data, engine=args.engine)
    assert seen == {"data_dir": "s3a://bucket/qa/clean"}


def test_export_with_a_month_window_keeps_its_partitions(tmp_path):
    with open_store(DATA, months=["2026-09", "2026-10"]) as store:
        out = store.export_clean(tmp_path / "clean")
        loaded = store.validation.tables["audits"].loaded
    assert sorted(p.name for p in (out / "audits").iterdir()) == [
        "month=2026-09", "month=2026-10"]
    with open_store(out, months=["2026-10"]) as reread:
        report = reread.validation.tables["audits"]
        assert report.files == [str(p.relative_to(out)) for p in
                                sorted((out / "audits" / "month=2026-10").glob("*.parquet"))]
        n_oct = scalar(reread.con, "SELECT count(*) FROM audits")
    with open_store(out) as full:
        assert scalar(full.con, "SELECT count(*) FROM audits") == loaded
        assert scalar(full.con, "SELECT count(*) FROM audits WHERE month = '2026-10'") == n_oct
