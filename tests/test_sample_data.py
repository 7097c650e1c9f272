"""The generator: deterministic, realistic in shape, and the planted effects are really in
the data (measured here through the store, independently of the analysis modules)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from scipy.stats import binomtest, fisher_exact, mannwhitneyu
from statsmodels.stats.proportion import proportions_ztest

from qa_insights.data import sample_data
from qa_insights.data.opening import open_store
from qa_insights.data.sample_data import PLANTED, generate

ROOT = Path(__file__).resolve().parents[1]


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    for fmt in ("csv", "parquet"):
        generate(tmp_path / f"a{fmt}", months=13, audits_per_month=300, seed=5, fmt=fmt)
        generate(tmp_path / f"b{fmt}", months=13, audits_per_month=300, seed=5, fmt=fmt)
        assert _digests(tmp_path / f"a{fmt}") == _digests(tmp_path / f"b{fmt}")
    generate(tmp_path / "c", months=13, audits_per_month=300, seed=6)
    assert _digests(tmp_path / "c") != _digests(tmp_path / "acsv")


def test_committed_sample_is_the_generator_output(tmp_path: Path) -> None:
    generate(tmp_path)
    committed = {k: v for k, v in _digests(ROOT / "data_samples").items() if k.endswith(".csv")}
    assert _digests(tmp_path) == committed
    size = sum(p.stat().st_size for p in (ROOT / "data_samples").iterdir())
    assert size < 6_000_000


def test_parquet_and_hive_layout_validate(tmp_path: Path) -> None:
    generate(tmp_path / "p", months=3, audits_per_month=500, fmt="parquet",
             partition_by_month=True)
    assert len(list((tmp_path / "p" / "audits").glob("month=*/part-0.parquet"))) == 3
    with open_store(tmp_path / "p") as store:
        assert store.validation.clean
        months = store.con.execute("SELECT count(DISTINCT month) FROM audits").fetchall()
        assert months == [(3,)]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_any_number_of_months_gives_a_folder_that_opens(tmp_path: Path, fmt: str) -> None:
    # One month falls before every generated event: no empty events file is written (the
    # benchmarks' one-month dataset once failed on it).
    generate(tmp_path / "one", months=1, audits_per_month=300, fmt=fmt)
    assert not list((tmp_path / "one").glob("events.*"))
    with open_store(tmp_path / "one") as store:
        assert store.validation.clean
        assert store.con.execute("SELECT count(*) FROM events").fetchall() == [(0,)]


def test_a_month_over_part_rows_is_written_in_parts_that_validate(tmp_path: Path,
                                                                    monkeypatch) -> None:
    # 10M audits in one month are generated 1M at a time; here 400 at a time.
    monkeypatch.setattr(sample_data, "PART_ROWS", 400)
    generate(tmp_path / "h", months=2, audits_per_month=1000, fmt="parquet",
             partition_by_month=True)
    generate(tmp_path / "f", months=2, audits_per_month=1000, fmt="parquet")
    generate(tmp_path / "f2", months=2, audits_per_month=1000, fmt="parquet")
    assert _digests(tmp_path / "f") == _digests(tmp_path / "f2")
    for folder in ("h", "f"):
        with open_store(tmp_path / folder) as store:
            assert store.validation.clean
            n, ids, months = store.con.execute(
                "SELECT count(*), count(DISTINCT audit_id), count(DISTINCT month) "
                "FROM audits").fetchone()
            assert n == ids and months == 2 and 2 * 800 < n < 2 * 1500
    with open_store(tmp_path / "h") as store:
        per_month = store.con.execute("SELECT month, count(*) FROM audits GROUP BY month "
                                      "ORDER BY month").fetchall()
    for month, n_month in per_month:
        parts = sorted(p.name for p in (tmp_path / "h" / "audits").glob(f"month={month}/*"))
        assert parts == [f"part-{k}.parquet" for k in range(-(-n_month // 400))]


@pytest.fixture(scope="module")
def sample():
    with open_store(ROOT / "data_samples") as store:
        yield store


def _rate(store, where: str, params: list) -> tuple[int, int]:
    return store.con.execute(f"SELECT sum(is_error::INT), count(*) FROM audits WHERE {where}",
                             params).fetchall()[0]


def test_sample_shape(sample) -> None:
    assert sample.validation.clean
    (row,) = sample.con.execute(
        "SELECT count(DISTINCT month), count(DISTINCT queue), count(DISTINCT market), "
        "count(DISTINCT site), count(DISTINCT site_type), count(DISTINCT moderator_id), "
        "count(DISTINCT error_reason), sum((dispute_status = 'overturned')::INT), "
        "count(comment) FROM audits").fetchall()
    months, queues, markets, sites, types, mods, reasons, overturned, comments = row
    assert months >= 13 and queues >= 6 and markets >= 8 and sites >= 6 and types == 2
    assert mods >= 200 and reasons >= 5 and overturned > 20 and comments > 500
    (cal,) = sample.con.execute(
        "SELECT count(DISTINCT session_id), min(n), max(n), min(items), max(items) FROM "
        "(SELECT session_id, count(DISTINCT rater_id) FILTER (WHERE rater_role <> 'expert') "
        "AS n, count(DISTINCT item_id) AS items FROM calibration GROUP BY 1)").fetchall()
    assert cal[0] >= 13 and 15 <= cal[1] <= cal[2] <= 30 and 20 <= cal[3] <= cal[4] <= 40


def test_planted_jump(sample) -> None:
    site, queue = PLANTED["jump"]["site"], PLANTED["jump"]["queue"]
    jump = _rate(sample, "site = ? AND queue = ? AND month = '2026-08'", [site, queue])
    before = _rate(sample, "site = ? AND queue = ? AND month BETWEEN '2026-02' AND '2026-07'",
                   [site, queue])
    _, p = fisher_exact([[jump[0], jump[1] - jump[0]], [before[0], before[1] - before[0]]])
    assert jump[0] / jump[1] > 3 * before[0] / before[1] and p < 1e-6


def test_planted_mix_shift(sample) -> None:
    site = PLANTED["mix_shift"]["site"]
    sep, oct_ = _rate(sample, "month = '2026-09'", []), _rate(sample, "month = '2026-10'", [])
    _, p = proportions_ztest([oct_[0], sep[0]], [oct_[1], sep[1]])
    assert oct_[0] / oct_[1] > sep[0] / sep[1] and p < 0.05
    share = sample.con.execute("SELECT month, avg((site = ?)::INT) FROM audits WHERE month IN "
                               "('2026-09', '2026-10') GROUP BY 1 ORDER BY 1",
                               [site]).fetchall()
    assert share[1][1] > 3 * share[0][1]
    rates = sample.con.execute(
        "SELECT site, avg(is_error::INT) FILTER (WHERE month = '2026-09'), "
        "avg(is_error::INT) FILTER (WHERE month = '2026-10') FROM audits GROUP BY 1").fetchall()
    assert sum(octr < sepr for _, sepr, octr in rates) >= 6


def test_planted_new_hires(sample) -> None:
    new = _rate(sample, "moderator_tenure_days < 90", [])
    old = _rate(sample, "moderator_tenure_days >= 90", [])
    _, p = proportions_ztest([new[0], old[0]], [new[1], old[1]])
    assert new[0] / new[1] > 1.4 * old[0] / old[1] and p < 1e-6


def test_planted_lenient_raters_and_skew(sample) -> None:
    """Under-enforcement (a non-expert labels a violating item ``no_violation``) at the
    lenient site is consistent with the planted probability; every other site's is
    significantly below it and below the lenient site's."""
    rows = sample.con.execute(
        "SELECT c.site, sum((c.label = 'no_violation')::INT), count(*) FROM calibration c "
        "JOIN (SELECT session_id, item_id, label FROM calibration WHERE rater_role = "
        "'expert') g USING (session_id, item_id) WHERE c.rater_role <> 'expert' AND "
        "g.label <> 'no_violation' GROUP BY 1").fetchall()
    misses = {site: (int(k), int(n)) for site, k, n in rows}
    planted = PLANTED["lenient_raters"]
    k, n = misses.pop(planted["site"])
    p_miss = float(planted["miss_violation_probability"])
    assert binomtest(k, n, p_miss).pvalue > 0.01
    assert len(misses) >= 5
    for site, (k_other, n_other) in misses.items():
        assert binomtest(k_other, n_other, p_miss, alternative="less").pvalue < 1e-3, site
        _, p = fisher_exact([[k, n - k], [k_other, n_other - k_other]], alternative="greater")
        assert p < 0.01, site
    nv, items = sample.con.execute(
        "SELECT sum((label = 'no_violation')::INT), count(*) FROM calibration "
        "WHERE rater_role = 'expert'").fetchall()[0]
    assert binomtest(int(nv), int(items),
                     float(PLANTED["skewed_labels"]["no_violation_share"])).pvalue > 0.01


def test_planted_calibration_drift(sample) -> None:
    site = PLANTED["calibration_drift"]["site"]
    rows = sample.con.execute(
        "SELECT c.session_date, avg((c.label = g.label)::INT) FROM calibration c JOIN "
        "(SELECT session_id, item_id, label FROM calibration WHERE rater_role = 'expert') g "
        "USING (session_id, item_id) WHERE c.site = ? AND c.rater_role <> 'expert' "
        "GROUP BY 1 ORDER BY 1", [site]).fetchall()
    half = len(rows) // 2
    first, last = [r[1] for r in rows[:half]], [r[1] for r in rows[half:]]
    assert mannwhitneyu(first, last, alternative="greater").pvalue < 0.01


def test_null_world_has_no_jump(tmp_path: Path) -> None:
    generate(tmp_path, months=13, audits_per_month=2000, planted=False)
    with open_store(tmp_path) as store:
        site, queue = PLANTED["jump"]["site"], PLANTED["jump"]["queue"]
        jump = _rate(store, "site = ? AND queue = ? AND month = '2026-08'", [site, queue])
        rest = _rate(store, "site = ? AND queue = ? AND month <> '2026-08'", [site, queue])
        _, p = fisher_exact([[jump[0], jump[1] - jump[0]], [rest[0], rest[1] - rest[0]]])
        assert p > 0.001
