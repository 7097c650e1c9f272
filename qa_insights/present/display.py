"""Formatting for report notebooks: numbers, intervals, tables, notices and recorded values.

Every string that comes from data is HTML-escaped here, so a site called
``<script>...</script>`` shows as text. Tables are plain ``<table class="dataframe
qa-table">`` markup (no scripts, no per-table CSS); rows of segments below the minimum
sample size are greyed out and footnoted.

:func:`record` stores a key number in the executed notebook (like scrapbook's ``glue``): the
build engine copies the recorded values into the notebook metadata and the manifest, and
tests compare them with direct library calls.

Examples
--------
>>> pct(0.03812)
'3.8%'
>>> interval(0.038, 0.031, 0.046)
'3.8% (3.1–4.6%)'
>>> escape("<b>site</b>")
'&lt;b&gt;site&lt;/b&gt;'
"""

from __future__ import annotations

import html
import json
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qa_insights.present.findings import format_p_value
from qa_insights.present.labels import label as column_label

__all__ = [
    "RECORD_MIMETYPE",
    "Table",
    "bullets",
    "count",
    "escape",
    "headline",
    "interval",
    "interval_table",
    "money",
    "notice",
    "number",
    "pct",
    "pp",
    "quality_headline",
    "quality_table",
    "read_records",
    "record",
    "summary",
    "table",
]

#: MIME type of the outputs written by :func:`record`.
RECORD_MIMETYPE = "application/vnd.qa-insights.record+json"

_MISSING = "–"


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, numbers.Real) and math.isnan(value))


def pct(value: float | None, digits: int = 1) -> str:
    """A proportion as a percentage, ``"–"`` when missing.

    Examples
    --------
    >>> pct(0.9625), pct(float("nan")), pct(1.0, 0), pct(-0.0001)
    ('96.2%', '–', '100%', '0.0%')
    """
    return _MISSING if value is None or _is_missing(value) else f"{number(100 * float(value), digits)}%"


def interval(value: float | None, low: float | None, high: float | None,
             digits: int = 1) -> str:
    """A proportion with its interval: ``"3.8% (3.1–4.6%)"``.

    Examples
    --------
    >>> interval(0.5, float("nan"), 0.6)
    '50.0%'
    """
    if value is None or _is_missing(value):
        return _MISSING
    if low is None or high is None or _is_missing(low) or _is_missing(high):
        return pct(value, digits)
    return (f"{pct(value, digits)} ({100 * float(low):.{digits}f}–"
            f"{100 * float(high):.{digits}f}%)")


def number(value: float | None, digits: int = 1, *, sign: bool = False) -> str:
    """A number rounded first, then signed: no scientific notation, no "-0.0", a true
    minus sign (−) and, with ``sign``, a "+" on values that round above zero.

    Examples
    --------
    >>> number(-0.04), number(-0.04, sign=True), number(2.614, sign=True), number(1e-9, 3)
    ('0.0', '0.0', '+2.6', '0.000')
    >>> number(-1234.5, 0)
    '−1,234'
    """
    if value is None or _is_missing(value):
        return _MISSING
    rounded = round(float(value), digits)
    if rounded == 0:
        rounded = 0.0  # also turns -0.0 into 0.0
    text = f"{abs(rounded):,.{digits}f}"
    if rounded < 0:
        return f"−{text}"
    return f"+{text}" if sign and rounded > 0 else text


def pp(value: float | None, digits: int = 1, *, sign: bool = True) -> str:
    """A difference of rates already in percentage points, as text: ``"+2.6 pp"``,
    ``"−0.4 pp"``, ``"0.0 pp"`` (never ``"-0.0"``).

    Examples
    --------
    >>> pp(2.614), pp(-0.04), pp(-0.36), pp(float("nan"))
    ('+2.6 pp', '0.0 pp', '−0.4 pp', '–')
    """
    text = number(value, digits, sign=sign)
    return text if text == _MISSING else f"{text} pp"


def money(value: float | None, currency: str, *, sign: bool = False,
          per_unit: bool = False) -> str:
    """An amount of money with its currency code: ``"USD 1.39M"``, ``"USD 335.9k"``,
    ``"USD 950"``; with ``per_unit`` (a cost per item or per audit) three decimals and no
    k/M: ``"USD 0.411"``. Rounded first, then signed as :func:`number` (true minus; with
    ``sign``, "+" on amounts that round above zero); ``"–"`` when missing. The currency
    comes from the data (the ``volumes`` table's required ``currency`` column); only when
    the data has no money at all (no volumes) is it empty, and the bare number is shown.

    Examples
    --------
    >>> money(1_391_520.0, "USD"), money(-335_912.0, "USD", sign=True), money(950.4, "EUR")
    ('USD 1.39M', 'USD −335.9k', 'EUR 950')
    >>> money(0.41127, "USD", per_unit=True), money(3_012.0, "USD", sign=True)
    ('USD 0.411', 'USD +3.0k')
    >>> money(float("nan"), "USD"), money(0.0, "")
    ('–', '0')
    """
    if value is None or _is_missing(value):
        return _MISSING
    v = float(value)
    if per_unit:
        text = number(v, 3, sign=sign)
    elif abs(round(v, -4)) >= 1e6:
        text = number(v / 1e6, 2, sign=sign) + "M"
    elif abs(round(v)) >= 1e3:
        text = number(v / 1e3, 1, sign=sign) + "k"
    else:
        text = number(v, 0, sign=sign)
    code = str(currency or "").strip()
    return f"{code} {text}" if code else text


def count(value: float | None) -> str:
    """A count with thousands separators, ``"–"`` when missing.

    Examples
    --------
    >>> count(12345), count(None)
    ('12,345', '–')
    """
    return _MISSING if value is None or _is_missing(value) else f"{int(value):,}"


def escape(value: Any) -> str:
    """Any value as HTML-escaped text (quotes included).

    Examples
    --------
    >>> escape('a "b" & <c>')
    'a &quot;b&quot; &amp; &lt;c&gt;'
    """
    return html.escape(str(value), quote=True)


def _default_format(value: Any) -> str:
    if _is_missing(value):
        return _MISSING
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        size = abs(float(value))
        digits = (0 if float(value).is_integer() or size >= 1000 else 1 if size >= 100
                  else 2 if size >= 1 else 3)
        return number(float(value), digits)
    return str(value)


@dataclass
class Table:
    """An HTML table for a report; shown by Jupyter through ``_repr_html_``.

    Build it with :func:`table`. ``frame`` keeps the data for tests and CSV export.
    """

    frame: pd.DataFrame
    formats: Mapping[str, Callable[[Any], str]] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    greyed: Sequence[bool] | None = None
    caption: str = ""
    min_n: int | None = None
    classes: Mapping[str, Callable[[Any], str]] = field(default_factory=dict)
    more: int = 0
    csv: str = ""

    def _cell(self, column: str, value: Any) -> str:
        fmt = self.formats.get(column, _default_format)
        return escape(fmt(value))

    def _td(self, column: str, value: Any, numeric: bool) -> str:
        css = " ".join(filter(None, ["num" if numeric else "",
                                     self.classes[column](value) if column in self.classes
                                     else ""]))
        attr = f' class="{escape(css)}"' if css else ""
        return f"<td{attr}>{self._cell(column, value)}</td>"

    def _repr_html_(self) -> str:
        cols = list(self.frame.columns)
        numeric = {c for c in cols if pd.api.types.is_numeric_dtype(self.frame[c])
                   and not pd.api.types.is_bool_dtype(self.frame[c])}
        num = {c: ' class="num"' if c in numeric else "" for c in cols}
        head = "".join(f'<th scope="col"{num[c]}>'
                       f'{escape(self.labels.get(c) or column_label(c))}</th>'
                       for c in cols)
        rows = []
        greyed = list(self.greyed) if self.greyed is not None else [False] * len(self.frame)
        for grey, record_ in zip(greyed, self.frame.itertuples(index=False, name=None)):
            cells = "".join(self._td(c, v, c in numeric) for c, v in zip(cols, record_))
            rows.append(f'<tr class="below-min-n">{cells}</tr>' if grey else f"<tr>{cells}</tr>")
        caption = f"<caption>{escape(self.caption)}</caption>" if self.caption else ""
        note = ""
        if any(greyed) and self.min_n is not None:
            note = (f'<p class="qa-note">Greyed rows have fewer than {self.min_n} audits: '
                    "too few to compare or rank.</p>")
        if self.more:
            where = f" in tables/{escape(self.csv)}.csv" if self.csv else " not shown"
            note += (f'<p class="qa-note qa-more">{self.more:,} more '
                     f'row{"s" if self.more > 1 else ""}{where}.</p>')
        return (f'<table class="dataframe qa-table">{caption}<thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table>{note}")


def table(frame: pd.DataFrame, *, formats: Mapping[str, Callable[[Any], str]] | None = None,
          labels: Mapping[str, str] | None = None, min_n: int | None = None,
          n_column: str = "n_audits", caption: str = "",
          classes: Mapping[str, Callable[[Any], str]] | None = None,
          max_rows: int | None = None, csv: str = "") -> Table:
    """A report table with formatted, escaped cells and greyed-out small segments.

    Parameters
    ----------
    frame : DataFrame
        Rows to show, columns in display order (the index is not shown).
    formats : mapping, optional
        Column -> function value -> text (e.g. :func:`pct`); others get a default format.
    labels : mapping, optional
        Column -> header text; other columns get their
        :func:`qa_insights.present.labels.label`.
    min_n : int, optional
        Rows whose ``n_column`` is below it are greyed out with a footnote.
    n_column : str
        Column holding the sample size.
    caption : str
        Table caption.
    classes : mapping, optional
        Column -> function value -> CSS class of that cell (e.g. a RAG status colour;
        the cell keeps its text, so colour is never the only signal); ``""`` for none.
    max_rows : int, optional
        Show only the first ``max_rows`` rows (sort the frame by importance first), with a
        last line "N more rows in tables/<csv>.csv".
    csv : str
        Name of the CSV table holding every row (as given to
        :func:`qa_insights.reports.engine.tables.write_table`).

    Examples
    --------
    >>> t = table(pd.DataFrame({"site": ["<a>"], "n_audits": [12]}), min_n=30)
    >>> '<tr class="below-min-n"><td>&lt;a&gt;</td>' in t._repr_html_()
    True
    >>> t = table(pd.DataFrame({"status": ["met"]}), classes={"status": lambda v: f"s-{v}"})
    >>> '<td class="s-met">met</td>' in t._repr_html_()
    True
    >>> "2 more rows in tables/sites.csv" in table(pd.DataFrame({"n": [1, 2, 3]}), max_rows=1,
    ...                                            csv="sites")._repr_html_()
    True
    """
    more = max(0, len(frame) - max_rows) if max_rows is not None else 0
    frame = frame.head(max_rows) if max_rows is not None else frame
    greyed = None
    if min_n is not None and n_column in frame.columns:
        greyed = (frame[n_column].fillna(0) < min_n).tolist()
    return Table(frame.reset_index(drop=True), dict(formats or {}), dict(labels or {}),
                 greyed, caption, min_n, dict(classes or {}), more, csv)


@dataclass
class _Html:
    markup: str

    def _repr_html_(self) -> str:
        return self.markup


def notice(text: str, kind: str = "info") -> _Html:
    """A boxed message for the reader (``kind``: ``info``, ``warning`` or ``empty``).

    Examples
    --------
    >>> notice("No audits <yet>")._repr_html_()
    '<div class="qa-notice qa-notice-info" role="note">No audits &lt;yet&gt;</div>'
    """
    if kind not in ("info", "warning", "empty"):
        raise ValueError(f"kind must be info, warning or empty, got {kind!r}")
    return _Html(f'<div class="qa-notice qa-notice-{kind}" role="note">{escape(text)}</div>')


def headline(figures: Mapping[str, str], classes: Mapping[str, str] | None = None) -> _Html:
    """Key figures as a row of labelled tiles, e.g. ``{"Accuracy": "96.2% (95.4–96.9%)"}``.

    ``classes`` maps a figure's label to an extra CSS class of its tile (e.g. a RAG status
    colour; the label stays, so colour is never the only signal).

    Examples
    --------
    >>> "qa-figure" in headline({"Audits": "2,140"})._repr_html_()
    True
    >>> '<div class="qa-figure qa-status-met">' in headline({"Met": "3"},
    ...                                                   {"Met": "qa-status-met"}).markup
    True
    """
    extra = {k: f" {escape(v)}" for k, v in (classes or {}).items() if v}
    tiles = "".join(f'<div class="qa-figure{extra.get(k, "")}">'
                    f'<div class="qa-figure-value">{escape(v)}</div>'
                    f'<div class="qa-figure-label">{escape(k)}</div></div>'
                    for k, v in figures.items())
    return _Html(f'<div class="qa-headline">{tiles}</div>')


def quality_headline(summary: pd.DataFrame | pd.Series) -> _Html:
    """Headline tiles of one row of :func:`qa_insights.quality.metrics.quality_summary`: accuracy
    and critical-error rate with their intervals, audits and errors.

    Examples
    --------
    >>> row = pd.Series({"accuracy": 0.96, "ci_low": 0.95, "ci_high": 0.97, "n_audits": 2000,
    ...                  "n_errors": 80, "critical_error_rate": 0.004,
    ...                  "critical_ci_low": 0.002, "critical_ci_high": 0.008})
    >>> "96.0% (95.0–97.0%)" in quality_headline(row)._repr_html_()
    True

    A metric whose column the data lacks (``summary.attrs["unavailable"]``, set by
    :func:`~qa_insights.quality.metrics.quality_summary`) says so instead of a number:

    >>> row.attrs["unavailable"] = {"critical_error_rate": "not available: column severity missing"}
    >>> "not available: column severity missing" in quality_headline(row)._repr_html_()
    True
    """
    row = summary.iloc[0] if isinstance(summary, pd.DataFrame) else summary
    unavailable = summary.attrs.get("unavailable", {})
    return headline({
        "Accuracy (95% interval)": interval(row["accuracy"], row["ci_low"], row["ci_high"]),
        "Audits": count(row["n_audits"]),
        "Errors": count(row["n_errors"]),
        "Critical-error rate": unavailable.get("critical_error_rate") or interval(
            row["critical_error_rate"], row["critical_ci_low"], row["critical_ci_high"],
            digits=2),
    })


def quality_table(summary: pd.DataFrame, label: str, *, min_n: int | None = None,
                  caption: str = "") -> Table:
    """A readable table of :func:`qa_insights.quality.metrics.quality_summary` by ``label``: audits,
    errors, accuracy with interval, critical-error rate; small segments greyed.

    Examples
    --------
    >>> s = pd.DataFrame({"site": ["a"], "n_audits": [10], "n_errors": [1], "accuracy": [0.9],
    ...                   "ci_low": [0.6], "ci_high": [0.98], "critical_error_rate": [0.0],
    ...                   "critical_ci_low": [0.0], "critical_ci_high": [0.28]})
    >>> "90.0% (60.0–98.0%)" in quality_table(s, "site", min_n=30)._repr_html_()
    True
    """
    shown = pd.DataFrame({
        label: summary[label].astype(str),
        "n_audits": summary["n_audits"],
        "n_errors": summary["n_errors"],
        "accuracy": [interval(v, lo, hi) for v, lo, hi in
                     zip(summary["accuracy"], summary["ci_low"], summary["ci_high"])],
        "critical": [summary.attrs.get("unavailable", {}).get("critical_error_rate")
                     or interval(v, lo, hi, digits=2) for v, lo, hi in
                     zip(summary["critical_error_rate"], summary["critical_ci_low"],
                         summary["critical_ci_high"])],
    })
    labels = {label: column_label(label), "n_audits": "Audits",
              "n_errors": "Errors", "accuracy": "Accuracy (95% interval)",
              "critical": "Critical-error rate (95% interval)"}
    return table(shown, labels=labels, min_n=min_n, caption=caption)


def _ratio(value: Any) -> str:
    return _MISSING if _is_missing(value) else f"{float(value):.2f}"


def drivers_table(drivers: pd.DataFrame, *, caption: str = "") -> Table | _Html:
    """A readable table of :func:`qa_insights.rca.drivers.logistic_drivers`: driver, level,
    audits, error rate, odds ratio with interval (``reference`` for the baseline level) and
    p-value. An empty frame gives a notice that there were too few audits.

    Examples
    --------
    >>> d = pd.DataFrame({"driver": ["site_type"] * 2, "level": ["bpo", "in_house"],
    ...     "reference": [True, False], "odds_ratio": [1.0, 0.49], "ci_low": [None, 0.3],
    ...     "ci_high": [None, 0.8], "p_value": [None, 0.0004], "n_audits": [900, 800],
    ...     "error_rate": [0.06, 0.03]})
    >>> "0.49 (0.30–0.80)" in drivers_table(d)._repr_html_()
    True
    """
    if drivers.empty:
        return notice("Too few audits in this scope to estimate error drivers.")
    odds = ["reference" if ref else
            (f"{_ratio(v)} ({_ratio(lo)}–{_ratio(hi)})" if not _is_missing(lo) else _ratio(v))
            for ref, v, lo, hi in zip(drivers["reference"], drivers["odds_ratio"],
                                      drivers["ci_low"], drivers["ci_high"])]
    shown = pd.DataFrame({
        "driver": drivers["driver"].astype(str).str.replace("_", " "),
        "level": drivers["level"].astype(str),
        "n_audits": drivers["n_audits"],
        "error_rate": [pct(v) for v in drivers["error_rate"]],
        "odds": odds,
        "p_value": [_MISSING if _is_missing(v) else format_p_value(float(v))
                    for v in drivers["p_value"]],
    })
    labels = {"driver": "Driver", "level": "Level", "n_audits": "Audits",
              "error_rate": "Error rate", "odds": "Odds ratio of an error (95% interval)",
              "p_value": "p-value"}
    return table(shown, labels=labels, caption=caption)


def _jsonable(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return [_jsonable(r) for r in value.to_dict("records")]
    if isinstance(value, pd.Series):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return None if math.isnan(value) else float(value)
    if value is None or isinstance(value, str):
        return value
    return str(value)


def record(name: str, value: Any) -> None:
    """Record a key value in the executed notebook (shown nowhere; read back by the build
    engine, :func:`read_records` and tests).

    Numbers, strings, lists, dicts and DataFrames (as a list of row dicts) are stored as
    JSON; NaN becomes null.

    Examples
    --------
    >>> record("accuracy", 0.9625)                                      # doctest: +SKIP
    """
    from IPython.display import display

    payload = {"name": str(name), "value": _jsonable(value)}
    json.dumps(payload)  # fail here, in the notebook, if something is not serialisable
    display({RECORD_MIMETYPE: payload}, raw=True)


def read_records(notebook: str | Path | Any) -> dict[str, Any]:
    """Values recorded with :func:`record` in an executed notebook (path or NotebookNode);
    a later record of the same name wins.

    Examples
    --------
    >>> read_records("reports/2026-10/monthly_quality_report.ipynb")["month"]  # doctest: +SKIP
    '2026-10'
    """
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4) if isinstance(notebook, (str, Path)) \
        else notebook
    found = dict(nb.metadata.get("qa_insights", {}).get("records", {}))
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get(RECORD_MIMETYPE)
            if payload is not None:
                found[payload["name"]] = payload["value"]
    return found


def interval_table(frame: pd.DataFrame, intervals: Mapping[str, Sequence[str]], *,
                   keep: Sequence[str] = (), labels: Mapping[str, str] | None = None,
                   formats: Mapping[str, Callable[[Any], str]] | None = None,
                   min_n: int | None = None, n_column: str = "n_audits", caption: str = "",
                   digits: int = 1, percent: bool = True, max_rows: int | None = None,
                   csv: str = "") -> Table:
    """A table of ``keep`` columns followed by estimates shown with their intervals.

    Parameters
    ----------
    frame : DataFrame
        Rows to show.
    intervals : mapping
        New column -> ``(value, low, high)`` columns of ``frame``, shown as
        :func:`interval` text ("3.8% (3.1–4.6%)").
    keep : sequence of str
        Columns shown first, as they are (formatted by ``formats`` or the default).
    labels, formats, min_n, n_column, caption, max_rows, csv
        As in :func:`table` (``n_column`` is used for greying even when not kept).
    digits : int
        Decimals of the percentages.
    percent : bool
        False shows plain numbers (e.g. kappa "0.35 (0.04–0.66)", ``digits + 1`` decimals).

    Examples
    --------
    >>> f = pd.DataFrame({"site": ["a"], "n_audits": [12], "r": [0.5], "lo": [0.2],
    ...                   "hi": [0.8]})
    >>> html = interval_table(f, {"rate": ("r", "lo", "hi")}, keep=["site"],
    ...                       min_n=30)._repr_html_()
    >>> "50.0% (20.0–80.0%)" in html and "below-min-n" in html
    True
    """
    def plain(v: Any, lo: Any, hi: Any) -> str:
        if _is_missing(v):
            return _MISSING
        d = digits + 1
        text = f"{float(v):.{d}f}"
        return text if _is_missing(lo) or _is_missing(hi) else \
            f"{text} ({float(lo):.{d}f}–{float(hi):.{d}f})"

    more = max(0, len(frame) - max_rows) if max_rows is not None else 0
    frame = frame.head(max_rows) if max_rows is not None else frame
    shown = frame[list(keep)].copy()
    labels = dict(labels or {})
    for name, (value, low, high) in intervals.items():
        labels.setdefault(name, f"{column_label(name)} (95% interval)")
        shown[name] = [interval(v, lo, hi, digits=digits) if percent else plain(v, lo, hi)
                       for v, lo, hi in zip(frame[value], frame[low], frame[high])]
    greyed = None
    if min_n is not None and n_column in frame.columns:
        greyed = (frame[n_column].fillna(0) < min_n).tolist()
    return Table(shown.reset_index(drop=True), dict(formats or {}), labels,
                 greyed, caption, min_n, more=more, csv=csv)


def summary(sentences: Sequence[str]) -> _Html:
    """The executive summary: one escaped paragraph in a box that leads the report.

    Examples
    --------
    >>> summary(["Accuracy <fell>.", "No action needed."])._repr_html_()
    '<div class="qa-summary" role="note"><p>Accuracy &lt;fell&gt;. No action needed.</p></div>'
    """
    return _Html(f'<div class="qa-summary" role="note"><p>'
                 f'{escape(" ".join(sentences))}</p></div>')


def bullets(sentences: Sequence[str]) -> _Html:
    """Plain-language findings as an escaped bulleted list.

    Examples
    --------
    >>> bullets(["Rate <up>"])._repr_html_()
    '<ul class="qa-findings"><li>Rate &lt;up&gt;</li></ul>'
    """
    items = "".join(f"<li>{escape(s)}</li>" for s in sentences)
    return _Html(f'<ul class="qa-findings">{items}</ul>')
