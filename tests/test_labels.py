"""The column label registry: every label is human text with its unit, tables and charts
take their headers and axis labels from it, an explicit label still wins."""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from qa_insights.present import plots
from qa_insights.present.display import interval_table, quality_table, table
from qa_insights.present.labels import LABELS, label, labels_for

SNAKE = re.compile(r"[a-z0-9]_[a-z0-9]")


def test_every_registry_label_is_human_text() -> None:
    for column, text in LABELS.items():
        assert not SNAKE.search(text), (column, text)
        assert text[:1].isupper() or text.startswith("p-"), (column, text)


def test_conflicting_notebook_labels_resolve_to_one() -> None:
    assert label("accuracy") == "Accuracy, %"
    assert label("error_rate") == "Error rate, %"
    assert label("false_negative") == "Under-enforcement (false negatives), %"
    assert label("n_audits") == "Audits"
    assert label("mix_effect").endswith("(pp)")  # changes of rates in percentage points


@given(st.from_regex(r"[a-z]{1,8}(_[a-z]{1,8}){0,3}", fullmatch=True))
def test_any_column_gets_a_label_without_snake_case(column: str) -> None:
    assert not SNAKE.search(label(column))
    assert labels_for([column]) == {column: label(column)}


def _headers(html: str) -> list[str]:
    return re.findall(r'<th scope="col"[^>]*>(.*?)</th>', html)


def test_table_headers_come_from_the_registry_unless_given() -> None:
    frame = pd.DataFrame({"site": ["a"], "n_audits": [3], "outside_window": [0]})
    assert _headers(table(frame)._repr_html_()) == ["Site", "Audits", "Outside the months read"]
    assert _headers(table(frame, labels={"site": "Vendor site"})._repr_html_())[0] == \
        "Vendor site"


def test_interval_columns_say_95_percent_interval() -> None:
    frame = pd.DataFrame({"queue": ["q"], "accuracy": [0.9], "lo": [0.8], "hi": [0.95]})
    html = interval_table(frame, {"accuracy": ("accuracy", "lo", "hi")},
                          keep=["queue"])._repr_html_()
    assert _headers(html) == ["Queue", "Accuracy, % (95% interval)"]


def test_quality_table_labels_its_segment_column() -> None:
    s = pd.DataFrame({"site_type": ["bpo"], "n_audits": [10], "n_errors": [1],
                      "accuracy": [0.9], "ci_low": [0.6], "ci_high": [0.98],
                      "critical_error_rate": [0.0], "critical_ci_low": [0.0],
                      "critical_ci_high": [0.28]})
    assert _headers(quality_table(s, "site_type")._repr_html_())[0] == "Site type"


def test_chart_axes_default_to_the_registry_label() -> None:
    frame = pd.DataFrame({"site": ["a", "b"], "n_audits": [30, 12], "accuracy": [0.9, 0.8],
                          "ci_low": [0.85, 0.7], "ci_high": [0.95, 0.9],
                          "month": ["2026-01", "2026-02"], "mix_effect": [0.1, -0.2],
                          "rate_effect": [0.3, 0.0]})
    assert plots.bar_counts(frame, "site", "n_audits").axes[0].get_xlabel() == "Audits"
    dots = plots.interval_dots(frame, "site", "accuracy", "ci_low", "ci_high")
    assert dots.axes[0].get_xlabel() == "Accuracy, %"
    assert plots.trend(frame, "month", "accuracy").axes[0].get_ylabel() == "Accuracy, %"
    bars = plots.effect_bars(frame, "site", ["mix_effect", "rate_effect"])
    assert [t.get_text() for t in bars.axes[0].get_legend().get_texts()] == \
        ["Mix effect (pp)", "Rate effect (pp)"]
