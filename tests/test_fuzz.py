"""Fuzzing the store and the metrics with generated audit tables (hypothesis).

* Validation never crashes with an unexplained exception: any generated file either loads
  (bad rows quarantined, ``read = loaded + quarantined + duplicates collapsed``) or stops
  with :class:`qa_insights.data.errors.DataError`.
* On whatever loads, the metric functions (``quality_summary``, ``summarise_counts``,
  ``trends.rate_series``, ``proportions.wilson_interval``) never give an accuracy or an
  interval outside [0, 1], and never a NaN where the group has audits.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_insights.data.errors import DataError
from qa_insights.data.opening import open_store
from qa_insights.data.queries import COUNT_COLUMNS, audit_counts
from qa_insights.quality.metrics import quality_summary, summarise_counts
from qa_insights.quality.trends import rate_series
from qa_insights.stats.proportions import wilson_interval

COLUMNS = ["audit_id", "audited_at", "queue", "market", "site", "site_type", "moderator_id",
           "auditor_id", "moderator_decision", "auditor_decision", "error_reason", "severity",
           "handle_time_s", "dispute_status", "comment", "moderator_tenure_days"]

HOSTILE = ["", " ", "=1+1", "-2", "+cmd", "@SUM(A1)", "<script>alert(1)</script>",
           "x'; DROP TABLE audits; --", '"quoted, text"', "line\nbreak", "\t", "NaN", "nan",
           "NULL", "None", "inf", "-inf", "1e400", "0", "é\u200bü", "\x00", "a" * 300]

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def _text() -> st.SearchStrategy[str]:
    # Printable text, hostile strings, and arbitrary unicode (no surrogates: not encodable).
    return st.one_of(st.sampled_from(HOSTILE),
                     st.text(st.characters(blacklist_categories=("Cs",)), max_size=12))


def _cell(column: str) -> st.SearchStrategy[str]:
    valid = {
        "audit_id": st.sampled_from([f"A{i}" for i in range(8)]),
        "audited_at": st.sampled_from(["2026-10-01T10:00:00Z", "2026-09-30T23:59:59+02:00",
                                       "2026-11-01", "2025-02-29T00:00:00Z", "1999-12-31",
                                       "2026-10-15 08:00:00", "yesterday", "2100-01-01"]),
        "queue": st.sampled_from(["spam", "hate_speech", "Spam "]),
        "market": st.sampled_from(["US", "BR"]),
        "site": st.sampled_from(["s1", "s2"]),
        "site_type": st.sampled_from(["bpo", "in_house", "BPO"]),
        "moderator_id": st.sampled_from(["m1", "m2", "m3"]),
        "auditor_id": st.sampled_from(["a1", "a2", ""]),
        "moderator_decision": st.sampled_from(["spam", "no_violation", "hate_speech"]),
        "auditor_decision": st.sampled_from(["spam", "no_violation", "hate_speech"]),
        "error_reason": st.sampled_from(["", "policy_misread", "missed_context"]),
        "severity": st.sampled_from(["", "critical", "major", "minor", "huge"]),
        "handle_time_s": st.sampled_from(["10", "0", "-1", "3.5", "1e400", "fast", ""]),
        "dispute_status": st.sampled_from(["none", "upheld", "overturned", "", "pending"]),
        "comment": st.just(""),
        "moderator_tenure_days": st.sampled_from(["", "0", "400", "-5", "12.5", "x"]),
    }[column]
    # Mostly valid values, sometimes anything at all.
    return st.one_of(valid, valid, valid, _text())


@st.composite
def audit_tables(draw: st.DrawFn) -> str:
    """CSV text of an audits table: valid-looking rows mixed with garbage cells, sometimes
    a damaged header, ragged rows or raw junk lines."""
    header = list(COLUMNS)
    if draw(st.integers(0, 9)) == 0:  # damaged header: fatal or extra columns
        header = draw(st.permutations(header))[:draw(st.integers(0, len(header)))]
        header += draw(st.lists(st.sampled_from(["extra", "", "queue", "Audit_ID"]),
                                max_size=2))
    rows = draw(st.lists(st.fixed_dictionaries({c: _cell(c) for c in COLUMNS}),
                         min_size=0, max_size=25))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        cells = [row.get(c, "") for c in header]
        shape = draw(st.integers(0, 19))
        if shape == 0:
            cells = cells[:draw(st.integers(0, len(cells)))]  # too few fields
        elif shape == 1:
            cells = cells + ["surplus"]  # too many fields
        writer.writerow(cells)
        if shape == 2:
            buf.write(draw(st.sampled_from(['"unterminated,quote\n', ",,,\n", "\n",
                                            "\ufeffjunk\n"])))
    return buf.getvalue()


def _check_rates(frame: pd.DataFrame) -> None:
    has_audits = frame["n_audits"].to_numpy() > 0
    for col in ("accuracy", "ci_low", "ci_high", "error_rate", "error_ci_low",
                "error_ci_high", "critical_error_rate", "quality_score"):
        values = frame[col].to_numpy(dtype=float)
        assert not np.isnan(values[has_audits]).any(), (col, frame)
        finite = values[~np.isnan(values)]
        assert ((finite >= 0) & (finite <= 1)).all(), (col, frame)
    ok = has_audits
    assert (frame["ci_low"].to_numpy()[ok] <= frame["accuracy"].to_numpy()[ok] + 1e-12).all()
    assert (frame["accuracy"].to_numpy()[ok] <= frame["ci_high"].to_numpy()[ok] + 1e-12).all()
    for col in ("over_enforcement_share", "under_enforcement_rate", "wrong_policy_rate",
                "dispute_rate", "overturn_rate"):
        finite = frame[col].dropna().to_numpy(dtype=float)
        assert ((finite >= 0) & (finite <= 1)).all(), (col, frame)


@pytest.mark.slow
@SETTINGS
@given(table=audit_tables())
def test_validation_never_crashes_and_metrics_stay_in_range(tmp_path_factory, table) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "audits.csv").write_text(table, encoding="utf-8")
    try:
        store = open_store(folder)
    except DataError as exc:  # fatal input: must be explained
        assert str(exc).strip() and "audits" in str(exc), exc
        return
    with store:
        report = store.validation.tables["audits"]
        loaded = store.query("SELECT count(*) AS n FROM audits")["n"].iloc[0]
        assert loaded == report.loaded
        assert report.read == report.loaded + report.quarantined_total + report.duplicates
        for by in ((), ("site",), ("queue", "severity"), ("moderator_id",), ("tenure_band",)):
            summary = quality_summary(store, list(by))
            _check_rates(summary)
            assert int(summary["n_audits"].sum()) == loaded
        _check_rates(rate_series(store, ["site"], "week"))
        _check_rates(rate_series(store, [], "month", filters={"site": "x'; DROP TABLE audits; --"}))
        months = store.query("SELECT DISTINCT month FROM audits")["month"].tolist()
        for month in months[:2]:
            _check_rates(quality_summary(store, "queue", filters={"month": month}))
        assert store.query("SELECT count(*) AS n FROM audits")["n"].iloc[0] == loaded


@st.composite
def consistent_counts(draw: st.DrawFn) -> dict[str, int]:
    """A counts row as audit_counts returns it, including zero and extreme totals."""
    n = draw(st.one_of(st.integers(0, 5), st.integers(0, 10**9)))
    errors = draw(st.integers(0, n))
    crit = draw(st.integers(0, errors))
    major = draw(st.integers(0, errors - crit))
    minor = draw(st.integers(0, errors - crit - major))
    fp = draw(st.integers(0, errors))
    fn = draw(st.integers(0, errors - fp))
    wp = errors - fp - fn
    actioned = draw(st.integers(fp + wp, n))
    violating = draw(st.integers(fn + wp, n))
    both = draw(st.integers(wp, min(actioned, violating)))
    findings = draw(st.integers(0, n))
    disputed = draw(st.integers(0, findings))
    overturned = draw(st.integers(0, disputed))
    return {"n_audits": n, "n_errors": errors, "n_false_positive": fp,
            "n_false_negative": fn, "n_wrong_policy": wp, "n_actioned": actioned,
            "n_violating": violating, "n_actioned_violating": both, "n_critical": crit,
            "n_major": major, "n_minor": minor, "n_findings": findings,
            "n_disputed": disputed, "n_overturned": overturned}


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(consistent_counts(), min_size=1, max_size=8),
       confidence=st.sampled_from([0.5, 0.8, 0.95, 0.99, 0.999999]))
def test_summarise_counts_in_range_for_any_counts(rows, confidence) -> None:
    counts = pd.DataFrame(rows)[list(COUNT_COLUMNS)]
    _check_rates(summarise_counts(counts, confidence=confidence))


@settings(max_examples=300, deadline=None)
@given(n=st.integers(0, 10**12), share=st.floats(0, 1),
       confidence=st.floats(0.01, 0.999999))
def test_wilson_interval_in_unit_range(n, share, confidence) -> None:
    x = round(n * share)
    low, high = wilson_interval(x, n, confidence)
    if n == 0:
        assert np.isnan(low) and np.isnan(high)
        return
    assert 0.0 <= low <= x / n + 1e-12 and x / n - 1e-12 <= high <= 1.0


def test_metrics_on_an_empty_clean_table(tmp_path: Path) -> None:
    """Every row quarantined: zero audits give one row of zeros and NaN rates, no error."""
    (tmp_path / "audits.csv").write_text(",".join(COLUMNS) + "\n" + ",".join(
        ["A1", "not a date"] + ["x"] * (len(COLUMNS) - 2)) + "\n")
    with open_store(tmp_path) as store:
        assert store.validation.tables["audits"].loaded == 0
        overall = quality_summary(store)
        assert overall["n_audits"].tolist() == [0] and np.isnan(overall["accuracy"][0])
        assert audit_counts(store, ["site"]).empty
