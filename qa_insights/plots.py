"""Charts in the house style: seaborn, a colour-blind-safe palette, alt text on every chart.

Helpers build a :class:`matplotlib.figure.Figure` directly (not through pyplot), so nothing
is left open and a notebook shows each chart exactly once with ``display(fig)``. Every
helper attaches alt text that summarises the chart in words (:func:`set_alt_text`);
:func:`use_house_style` makes Jupyter publish it with the PNG (output metadata ``alt``),
which the report template writes into the ``<img alt=...>``.

Examples
--------
>>> import pandas as pd
>>> fig = bar_counts(pd.DataFrame({"site": ["a", "b"], "n_audits": [30, 12]}),
...                  "site", "n_audits", title="Audits by site")
>>> alt_text(fig)
'Bar chart: Audits by site. Highest a (30), lowest b (12); 2 bars.'
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

__all__ = [
    "GREY",
    "PALETTE",
    "alt_text",
    "bar_counts",
    "figure_png",
    "interval_dots",
    "set_alt_text",
    "trend",
    "use_house_style",
]

#: Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
PALETTE: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7",
                            "#56B4E9", "#F0E442", "#000000")
#: Colour of segments below the minimum sample size.
GREY = "#A0A0A0"

_ALT_ATTR = "_qa_alt_text"
_DPI = 110


def set_alt_text(fig: Figure, text: str) -> Figure:
    """Attach alt text (what the chart shows, in words) to ``fig``; returns ``fig``.

    Examples
    --------
    >>> alt_text(set_alt_text(Figure(), "Accuracy by site"))
    'Accuracy by site'
    """
    setattr(fig, _ALT_ATTR, " ".join(str(text).split()))
    return fig


def alt_text(fig: Figure) -> str:
    """The alt text of ``fig`` (its suptitle or axes title when none was set)."""
    text = getattr(fig, _ALT_ATTR, "")
    if not text:
        titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
        text = titles[0] if titles else "Chart"
    return text


def figure_png(fig: Figure, dpi: int = _DPI) -> bytes:
    """PNG bytes of ``fig`` (tight bounding box, white background)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    return buf.getvalue()


def _png_with_alt(fig: Figure) -> tuple[str, dict[str, Any]]:
    return base64.b64encode(figure_png(fig)).decode("ascii"), {"alt": alt_text(fig)}


def use_house_style() -> None:
    """Set the seaborn theme and palette, and make Jupyter publish figures as PNG with their
    alt text. Call once at the top of a notebook.

    Examples
    --------
    >>> use_house_style()                                               # doctest: +SKIP
    """
    sns.set_theme(context="notebook", style="whitegrid", palette=list(PALETTE),
                  rc={"figure.dpi": _DPI, "axes.titleweight": "bold",
                      "axes.titlelocation": "left", "axes.spines.top": False,
                      "axes.spines.right": False})
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return
    shell = get_ipython()
    if shell is None:
        return
    formatters = shell.display_formatter.formatters
    formatters["image/png"].for_type(Figure, _png_with_alt)
    for mime in ("image/svg+xml", "application/pdf", "image/jpeg"):
        formatters[mime].pop(Figure, None)


def _new_figure(n_rows: int = 1, width: float = 8.0) -> tuple[Figure, Any]:
    height = max(2.4, min(9.0, 0.9 + 0.34 * n_rows))
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def _fmt(value: float, percent: bool) -> str:
    return f"{100 * value:.1f}%" if percent else f"{value:,.4g}"


def bar_counts(frame: pd.DataFrame, label: str, value: str, *, title: str = "",
               xlabel: str = "", alt: str = "") -> Figure:
    """Horizontal bars of a count per segment, largest first.

    Parameters
    ----------
    frame : DataFrame
        One row per segment.
    label, value : str
        Columns with the segment name and the count.
    title, xlabel : str
        Chart title and axis label.
    alt : str
        Alt text; by default a sentence naming the largest and smallest segment.

    Returns
    -------
    Figure
    """
    data = frame.sort_values(value, ascending=False)
    fig, ax = _new_figure(len(data))
    labels = data[label].astype(str).tolist()
    ax.barh(labels, data[value].to_numpy(), color=PALETTE[0])
    ax.invert_yaxis()
    ax.set_title(title)
    ax.set_xlabel(xlabel or value)
    ax.set_ylabel("")
    ax.xaxis.set_major_formatter(mticker.StrMethodFormatter("{x:,.0f}"))
    if not alt and len(data):
        top, low = data.iloc[0], data.iloc[-1]
        alt = (f"Bar chart: {title or value}. Highest {top[label]} ({top[value]:,}), lowest "
               f"{low[label]} ({low[value]:,}); {len(data)} bars.")
    return set_alt_text(fig, alt or f"Bar chart: {title or value}. No data.")


def interval_dots(frame: pd.DataFrame, label: str, value: str, low: str, high: str, *,
                  n: str | None = None, min_n: int | None = None, title: str = "",
                  xlabel: str = "", percent: bool = True, reference: float | None = None,
                  alt: str = "") -> Figure:
    """Estimate and interval per segment (dot and line), best first; segments below
    ``min_n`` are grey.

    Parameters
    ----------
    frame : DataFrame
        One row per segment.
    label, value, low, high : str
        Columns: segment name, estimate and interval bounds.
    n : str, optional
        Column with the sample size (for greying with ``min_n``).
    min_n : int, optional
        Minimum sample size to be shown in colour.
    title, xlabel : str
        Chart title and axis label.
    percent : bool
        Format the axis as percentages.
    reference : float, optional
        A vertical reference line (e.g. the organisation's value or a target).
    alt : str
        Alt text; by default a sentence naming the best and worst segment.

    Returns
    -------
    Figure
    """
    data = frame.sort_values(value, ascending=False).reset_index(drop=True)
    fig, ax = _new_figure(len(data))
    small = (data[n] < min_n).to_numpy() if (n and min_n is not None) else np.zeros(len(data),
                                                                                    bool)
    y = np.arange(len(data))
    colours = [GREY if s else PALETTE[0] for s in small]
    ax.hlines(y, data[low], data[high], colors=colours, linewidth=2.5)
    ax.scatter(data[value], y, color=colours, zorder=3, s=36)
    ax.set_yticks(y, data[label].astype(str).tolist())
    ax.invert_yaxis()
    if reference is not None:
        ax.axvline(reference, color=PALETTE[3], linestyle="--", linewidth=1)
    if percent:
        ax.xaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=1))
    ax.set_title(title)
    ax.set_xlabel(xlabel or value)
    if not alt and len(data):
        ranked = data[~small] if (~small).any() else data
        best, worst = ranked.iloc[0], ranked.iloc[-1]
        alt = (f"Dot-and-interval chart: {title or value}, {len(data)} segments. Highest "
               f"{best[label]} {_fmt(best[value], percent)} ({_fmt(best[low], percent)} to "
               f"{_fmt(best[high], percent)}), lowest {worst[label]} "
               f"{_fmt(worst[value], percent)} ({_fmt(worst[low], percent)} to "
               f"{_fmt(worst[high], percent)})."
               + (f" {int(small.sum())} segments below {min_n} audits in grey."
                  if small.any() else ""))
    return set_alt_text(fig, alt or f"Chart: {title or value}. No data.")


def trend(frame: pd.DataFrame, x: str, y: str, *, low: str | None = None,
          high: str | None = None, hue: str | None = None, title: str = "",
          ylabel: str = "", percent: bool = True, alt: str = "",
          hue_order: Sequence[str] | None = None) -> Figure:
    """A line per series over time (``x`` sorted as text, e.g. months), with an optional
    interval band.

    Parameters
    ----------
    frame : DataFrame
        Long format: one row per ``x`` (and ``hue`` value).
    x, y : str
        Time column and value column.
    low, high : str, optional
        Interval bounds, drawn as a band.
    hue : str, optional
        Series column (one line per value, at most 8 colours).
    title, ylabel : str
        Chart title and axis label.
    percent : bool
        Format the axis as percentages.
    alt : str
        Alt text; by default a sentence with the first and last value of each series.
    hue_order : sequence of str, optional
        Order (and selection) of the series.

    Returns
    -------
    Figure
    """
    fig = Figure(figsize=(8.0, 3.6), layout="constrained")
    ax = fig.add_subplot()
    series = [(None, frame)] if hue is None else [
        (h, frame[frame[hue] == h]) for h in (hue_order or sorted(frame[hue].unique()))]
    sentences = []
    for i, (name, part) in enumerate(series):
        part = part.sort_values(x)
        colour = PALETTE[i % len(PALETTE)]
        xs = part[x].astype(str).tolist()
        if low and high:
            ax.fill_between(xs, part[low], part[high], color=colour, alpha=0.15, linewidth=0)
        ax.plot(xs, part[y], marker="o", markersize=3, color=colour,
                label=None if name is None else str(name))
        if len(part):
            first, last = part.iloc[0], part.iloc[-1]
            sentences.append(f"{'' if name is None else f'{name}: '}"
                             f"{_fmt(first[y], percent)} in {first[x]} to "
                             f"{_fmt(last[y], percent)} in {last[x]}")
    if hue is not None:
        ax.legend(frameon=False, fontsize="small", loc="best")
    if percent:
        ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=1))
    ax.tick_params(axis="x", labelrotation=45)
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel(ylabel or y)
    if not alt:
        alt = (f"Line chart: {title or y}. " + "; ".join(sentences) + "."
               if sentences else f"Line chart: {title or y}. No data.")
    return set_alt_text(fig, alt)
