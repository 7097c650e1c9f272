"""The column label registry: every label is human text with its unit, tables and charts
take their headers and axis labels from it, an explicit label still wins."""

from __future__ import annotations

import re

import pandas as pd
import pytest
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


def test_reference_and_target_lines_are_labelled_with_their_values() -> None:
    frame = pd.DataFrame({"site": ["a", "b"], "accuracy": [0.97, 0.91],
                          "ci_low": [0.95, 0.89], "ci_high": [0.98, 0.93]})
    fig = plots.interval_dots(frame, "site", "accuracy", "ci_low", "ci_high",
                              reference=0.953, reference_label="Org average", target=0.955)
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["Org average 95.3%", "Target 95.5%"]
    styles = sorted(line.get_linestyle() for line in fig.axes[0].get_lines())
    assert styles == ["-", "--"]  # distinct styles: target solid, average dashed
    assert "Org average 95.3%" in plots.alt_text(fig)


@pytest.mark.parametrize("top", [1, 2, 3, 7])
def test_count_axes_have_whole_number_ticks(top: int) -> None:
    frame = pd.DataFrame({"reason": ["x", "y", "z"], "n_errors": [top, 1, 1]})
    for fig, axis in ((plots.bar_counts(frame, "reason", "n_errors"), "x"),
                      (plots.pareto_bars(frame, "reason", "n_errors"), "y")):
        ax = fig.axes[0]
        ticks = ax.get_xticks() if axis == "x" else ax.get_yticks()
        assert all(float(t).is_integer() for t in ticks), ticks
        labels = [t.get_text() for t in (ax.get_xticklabels() if axis == "x"
                                         else ax.get_yticklabels()) if t.get_text()]
        assert len(labels) == len(set(labels)), labels  # never "0 0 0 1 1 1"


def test_long_tables_show_the_top_rows_and_name_the_csv() -> None:
    frame = pd.DataFrame({"site": [f"s{i}" for i in range(23)], "n_audits": range(23)})
    html = table(frame, max_rows=10, csv="site_accuracy")._repr_html_()
    assert html.count("<tr>") == 11  # header + ten rows
    assert "13 more rows in tables/site_accuracy.csv." in html
    assert "more row" not in table(frame.head(5), max_rows=10, csv="x")._repr_html_()
    shown = interval_table(frame.assign(r=0.5, lo=0.4, hi=0.6), {"rate": ("r", "lo", "hi")},
                           keep=["site"], max_rows=3, csv="rates")._repr_html_()
    assert "20 more rows in tables/rates.csv." in shown


@given(st.floats(-1e6, 1e6, allow_nan=False), st.integers(0, 3))
def test_numbers_are_rounded_then_signed_without_scientific_notation(x: float,
                                                                     digits: int) -> None:
    from qa_insights.present.display import number, pp

    text = number(x, digits, sign=True)
    assert "e" not in text.lower() and not re.fullmatch(r"[-−+]0(\.0*)?", text)
    assert float(text.replace("−", "-").replace(",", "").lstrip("+")) == \
        pytest.approx(round(x, digits), abs=10 ** -digits)
    if round(x, digits) == 0:
        assert text == f"{0:.{digits}f}"
    assert pp(x).endswith(" pp")


def test_default_cell_format_has_no_scientific_notation() -> None:
    html = table(pd.DataFrame({"p_value": [4.7e-11], "odds_ratio": [-0.0001]}))._repr_html_()
    assert "e-" not in html and "-0.0" not in html and "0.000" in html


def test_default_cell_format_scales_its_decimals() -> None:
    frame = pd.DataFrame({"v": [1.39e6, 123.45, 2.5, 0.35, 3.0]})
    cells = re.findall(r'<td class="num">(.*?)</td>', table(frame)._repr_html_())
    assert cells == ["1,390,000", "123.5", "2.50", "0.350", "3"]
