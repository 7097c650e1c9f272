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

import matplotlib
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.text import Text

from qa_insights.present.labels import label as column_label

__all__ = [
    "EVENT_COLOUR",
    "GREY",
    "PALETTE",
    "alt_text",
    "bar_counts",
    "control_chart",
    "effect_bars",
    "figure_png",
    "interval_dots",
    "legend_label",
    "pareto_bars",
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
    """PNG bytes of ``fig`` (tight bounding box, white background).

    Every text is drawn as it is: mathtext is off, so a name such as ``cost $5 or $6`` or
    ``$x^2$`` from the data is shown as written (and cannot fail the report).
    """
    buf = io.BytesIO()
    with matplotlib.rc_context({"text.parse_math": False}):  # texts created while drawing
        for text in fig.findobj(Text):
            text.set_parse_math(False)
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
                      "axes.spines.right": False, "text.parse_math": False})
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


def legend_label(name: object) -> str:
    """A data value as a legend label that matplotlib keeps: a label starting with ``_``
    would be hidden from the legend, so it gets a zero-width space in front.

    Examples
    --------
    >>> legend_label("_night_shift")
    '\u200b_night_shift'
    >>> legend_label("dublin")
    'dublin'
    """
    text = str(name)
    return "\u200b" + text if text.startswith("_") else text


def _fmt(value: float, percent: bool) -> str:
    return f"{100 * value:.1f}%" if percent else f"{value:,.4g}"


#: Colour of event markers (a neutral purple, apart from the series and limit colours).
EVENT_COLOUR = "#6A3D9A"
#: Characters of an event's marker label (kind and description), so that it fits along the
#: axis's height.
_EVENT_LABEL_CHARS = 30


def _event_position(xs: Sequence[str], date: str) -> float | None:
    """Where an event dated ``date`` (YYYY-MM-DD) falls on a categorical time axis of
    months (``YYYY-MM``: within the month's slot, by its day) or days (``YYYY-MM-DD``:
    between its neighbours); None outside the axis or for other labels."""
    if not xs:
        return None
    day = pd.Timestamp(str(date)[:10])
    if all(len(x) == 7 for x in xs) and str(date)[:7] in xs:
        days = day.days_in_month
        return xs.index(str(date)[:7]) - 0.5 + (day.day - 0.5) / days
    if all(len(x) == 10 for x in xs):
        ordinals = [pd.Timestamp(x).toordinal() for x in xs]
        if ordinals == sorted(ordinals) and ordinals[0] <= day.toordinal() <= ordinals[-1]:
            return float(np.interp(day.toordinal(), ordinals, np.arange(len(xs))))
    return None


def _event_markers(ax: Any, xs: Sequence[str], events: pd.DataFrame | None) -> list[str]:
    """Draw each event of ``events`` (``date``, ``kind``, ``description``) on the axis as a
    dotted vertical line labelled along it; returns alt-text phrases of those drawn."""
    if events is None or not len(events):
        return []
    drawn = []
    for ev in events.to_dict("records"):
        x = _event_position(list(xs), str(ev["date"]))
        if x is None:
            continue
        kind = column_label(str(ev.get("kind") or "event"))
        text = " ".join(str(ev.get("description") or "").split())
        full = f"{kind}: {text}" if text else kind
        short = full if len(full) <= _EVENT_LABEL_CHARS else \
            full[:_EVENT_LABEL_CHARS - 1].rstrip() + "\u2026"
        ax.axvline(x, color=EVENT_COLOUR, linestyle=":", linewidth=1.4, zorder=1)
        ax.annotate(legend_label(short), xy=(x, 0.98),
                    xycoords=("data", "axes fraction"), xytext=(-3, 0),
                    textcoords="offset points", rotation=90, ha="right", va="top",
                    fontsize="x-small", color=EVENT_COLOUR)
        drawn.append(f"{kind.lower()} on {str(ev['date'])[:10]} ({text})")
    return drawn


def _events_alt(drawn: Sequence[str]) -> str:
    return f" Events marked: {'; '.join(drawn)}." if drawn else ""


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
        Chart title and axis label (default: the value column's
        :func:`qa_insights.present.labels.label`).
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
    ax.set_xlabel(xlabel or column_label(value))
    ax.set_ylabel("")
    ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(mticker.StrMethodFormatter("{x:,.0f}"))
    if not alt and len(data):
        top, low = data.iloc[0], data.iloc[-1]
        alt = (f"Bar chart: {title or value}. Highest {top[label]} ({top[value]:,}), lowest "
               f"{low[label]} ({low[value]:,}); {len(data)} bars.")
    return set_alt_text(fig, alt or f"Bar chart: {title or value}. No data.")


def _reference_line(ax: Any, x: float, text: str, colour: str, style: str,
                    percent: bool, slot: int) -> None:
    """A vertical reference line labelled directly with its name and value."""
    ax.axvline(x, color=colour, linestyle=style, linewidth=1.2)
    ax.annotate(f"{text} {_fmt(x, percent)}", xy=(x, 1.0), xycoords=("data", "axes fraction"),
                xytext=(3, 2 + 11 * slot), textcoords="offset points", color=colour,
                fontsize="small", ha="left", va="bottom", annotation_clip=False)


def interval_dots(frame: pd.DataFrame, label: str, value: str, low: str, high: str, *,
                  n: str | None = None, min_n: int | None = None, title: str = "",
                  xlabel: str = "", percent: bool = True, reference: float | None = None,
                  reference_label: str = "Average", target: float | None = None,
                  target_label: str = "Target", alt: str = "") -> Figure:
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
        Chart title and axis label (default: the value column's
        :func:`qa_insights.present.labels.label`).
    percent : bool
        Format the axis as percentages.
    reference : float, optional
        A dashed vertical reference line (e.g. the organisation's value), labelled
        ``reference_label`` and its value at its top.
    reference_label : str
        Name of the reference line ("Org average").
    target : float, optional
        A solid vertical target line, labelled ``target_label`` and its value.
    target_label : str
        Name of the target line.
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
    lines = [(v, t, c, ls) for v, t, c, ls in
             ((reference, reference_label, "#555555", "--"),
              (target, target_label, PALETTE[3], "-")) if v is not None]
    for slot, (x, text, colour, style) in enumerate(sorted(lines, key=lambda t: t[0])):
        _reference_line(ax, float(x), text, colour, style, percent, slot)
    if percent:
        ax.xaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=1))
    ax.set_title(title, pad=6 + 12 * len(lines))  # room for the line labels
    ax.set_xlabel(xlabel or column_label(value))
    if not alt and len(data):
        ranked = data[~small] if (~small).any() else data
        best, worst = ranked.iloc[0], ranked.iloc[-1]
        alt = (f"Dot-and-interval chart: {title or value}, {len(data)} segments. Highest "
               f"{best[label]} {_fmt(best[value], percent)} ({_fmt(best[low], percent)} to "
               f"{_fmt(best[high], percent)}), lowest {worst[label]} "
               f"{_fmt(worst[value], percent)} ({_fmt(worst[low], percent)} to "
               f"{_fmt(worst[high], percent)})."
               + (f" {int(small.sum())} segments below {min_n} audits in grey."
                  if small.any() else "")
               + "".join(f" {t} {_fmt(x, percent)} marked by a line." for x, t, _, _ in lines))
    return set_alt_text(fig, alt or f"Chart: {title or value}. No data.")


def trend(frame: pd.DataFrame, x: str, y: str, *, low: str | None = None,
          high: str | None = None, hue: str | None = None, title: str = "",
          ylabel: str = "", percent: bool = True, alt: str = "",
          hue_order: Sequence[str] | None = None,
          events: pd.DataFrame | None = None) -> Figure:
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
    events : DataFrame, optional
        Events to mark (``date`` YYYY-MM-DD, ``kind``, ``description``, e.g. from
        :func:`qa_insights.business.events.events_touching`): a dotted vertical line at
        the event's day, labelled with its kind and description; events outside the axis
        are left out.

    Returns
    -------
    Figure

    Examples
    --------
    >>> f = pd.DataFrame({"month": ["2026-08", "2026-09"], "error_rate": [0.05, 0.03]})
    >>> e = pd.DataFrame({"date": ["2026-09-03"], "kind": ["training"],
    ...                   "description": ["Retraining"]})
    >>> alt_text(trend(f, "month", "error_rate", events=e)).split(". ")[-1]
    'Events marked: training on 2026-09-03 (Retraining).'
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
                label=None if name is None else legend_label(name))
        if len(part):
            first, last = part.iloc[0], part.iloc[-1]
            sentences.append(f"{'' if name is None else f'{name}: '}"
                             f"{_fmt(first[y], percent)} in {first[x]} to "
                             f"{_fmt(last[y], percent)} in {last[x]}")
    all_xs = sorted(frame[x].astype(str).unique())
    drawn = _event_markers(ax, all_xs, events)
    if hue is not None:
        ax.legend(frameon=False, fontsize="small", loc="best")
    if percent:
        ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=1))
    ax.tick_params(axis="x", labelrotation=45)
    ax.set_title(title)
    ax.set_xlabel("")
    ax.set_ylabel(ylabel or column_label(y))
    if not alt:
        alt = (f"Line chart: {title or y}. " + "; ".join(sentences) + "."
               if sentences else f"Line chart: {title or y}. No data.") + _events_alt(drawn)
    return set_alt_text(fig, alt)


def control_chart(chart: pd.DataFrame, period: str = "month", *, title: str = "",
                  ylabel: str = "Error rate", alt: str = "",
                  events: pd.DataFrame | None = None) -> Figure:
    """A p-chart or Laney p' chart (:func:`qa_insights.stats.control_charts.p_chart` /
    ``laney_p_chart`` of one group): the rate per period, the centre line and the control
    limits; out-of-control points are marked with a red diamond. The legend stands outside
    the axes, to their right, so it never hides a point.

    Parameters
    ----------
    chart : DataFrame
        One group's chart with ``period``, ``p``, ``centre``, ``lcl``, ``ucl`` and
        ``out_of_control``.
    period : str
        Time column.
    title, ylabel : str
        Chart title and axis label.
    alt : str
        Alt text; by default names the last point, the limits and the flagged periods.
    events : DataFrame, optional
        Events to mark, as in :func:`trend`.

    Returns
    -------
    Figure

    Examples
    --------
    >>> chart = pd.DataFrame({"month": ["2026-09", "2026-10"], "p": [0.05, 0.09],
    ...     "centre": [0.06, 0.06], "lcl": [0.03, 0.03], "ucl": [0.08, 0.08],
    ...     "out_of_control": [False, True]})
    >>> "out-of-control periods: 2026-10" in alt_text(control_chart(chart))
    True
    """
    data = chart.sort_values(period)
    fig = Figure(figsize=(8.0, 3.6), layout="constrained")
    ax = fig.add_subplot()
    xs = data[period].astype(str).tolist()
    ax.plot(xs, data["p"], marker="o", markersize=4, color=PALETTE[0], label="error rate")
    ax.plot(xs, data["centre"], color=GREY, linewidth=1, label="centre line")
    ax.step(xs, data["ucl"], where="mid", color=PALETTE[3], linestyle="--", linewidth=1,
            label="control limits")
    ax.step(xs, data["lcl"], where="mid", color=PALETTE[3], linestyle="--", linewidth=1)
    flagged = data[data["out_of_control"].astype(bool)]
    if len(flagged):
        ax.scatter(flagged[period].astype(str), flagged["p"], marker="D", s=70,
                   color=PALETTE[3], zorder=4, label="out of control")
    drawn = _event_markers(ax, xs, events)
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=1))
    ax.tick_params(axis="x", labelrotation=45)
    # Outside the axes, right of the plot: never over a point, whatever the data.
    fig.legend(*ax.get_legend_handles_labels(), loc="outside right upper", frameon=False,
               fontsize="small")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    if not alt and len(data):
        last = data.iloc[-1]
        flags = ", ".join(flagged[period].astype(str)) or "none"
        alt = (f"Control chart: {title or 'error rate'}. Last point {last[period]} "
               f"{_fmt(last['p'], True)} (limits {_fmt(last['lcl'], True)} to "
               f"{_fmt(last['ucl'], True)}, centre {_fmt(last['centre'], True)}); "
               f"out-of-control periods: {flags}." + _events_alt(drawn))
    return set_alt_text(fig, alt or f"Control chart: {title}. No data.")


def pareto_bars(frame: pd.DataFrame, label: str, value: str, *, cumulative: str | None = None,
                title: str = "", xlabel: str = "", alt: str = "") -> Figure:
    """Pareto chart: bars of a count per category, largest first, with the cumulative
    share as a line on a second axis (e.g. :func:`qa_insights.rca.change.reason_pareto`).

    Parameters
    ----------
    frame : DataFrame
        One row per category.
    label, value : str
        Category and count columns.
    cumulative : str, optional
        Cumulative-share column (0-1); computed from ``value`` when omitted.
    title, xlabel : str
        Chart title and count-axis label.
    alt : str
        Alt text; by default the top categories and how many make 80%.

    Returns
    -------
    Figure
    """
    data = frame.sort_values(value, ascending=False).reset_index(drop=True)
    total = float(data[value].sum()) or 1.0
    cum = data[cumulative] if cumulative else data[value].cumsum() / total
    fig = Figure(figsize=(8.0, 3.8), layout="constrained")
    ax = fig.add_subplot()
    names = data[label].astype(str).tolist()
    ax.bar(names, data[value].to_numpy(), color=PALETTE[0])
    ax.set_ylabel(xlabel or column_label(value))
    ax.yaxis.set_major_locator(mticker.MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(mticker.StrMethodFormatter("{x:,.0f}"))
    ax.tick_params(axis="x", labelrotation=30)
    ax2 = ax.twinx()
    ax2.plot(names, cum.to_numpy(), color=PALETTE[1], marker="o", markersize=4)
    ax2.set_ylim(0, 1.05)
    ax2.yaxis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=0))
    ax2.set_ylabel(column_label("cumulative_share"))
    ax2.grid(False)
    ax.set_title(title)
    if not alt and len(data):
        k = int((cum.to_numpy() < 0.8).sum()) + 1
        top = "; ".join(f"{n} {int(v):,} ({v / total:.0%})"
                        for n, v in zip(names[:3], data[value].iloc[:3]))
        alt = (f"Pareto chart: {title or value}, {len(data)} categories. Largest: {top}. "
               f"The first {min(k, len(data))} make up 80% or more.")
    return set_alt_text(fig, alt or f"Pareto chart: {title}. No data.")


def effect_bars(frame: pd.DataFrame, label: str, effects: Sequence[str], *,
                names: Sequence[str] | None = None, title: str = "", xlabel: str = "",
                alt: str = "") -> Figure:
    """Grouped horizontal bars of signed effects per segment (e.g. mix and rate effects
    of :func:`qa_insights.rca.change.explain_change`, in pts), segments in the frame's order.

    Parameters
    ----------
    frame : DataFrame
        One row per segment.
    label : str
        Segment column.
    effects : sequence of str
        Effect columns, one bar colour each.
    names : sequence of str, optional
        Legend names of ``effects``.
    title, xlabel : str
        Chart title and axis label (default: the value column's
        :func:`qa_insights.present.labels.label`).
    alt : str
        Alt text; by default the segment with the largest total and its effects.

    Returns
    -------
    Figure
    """
    data = frame.reset_index(drop=True)
    names = list(names or [column_label(e) for e in effects])
    fig, ax = _new_figure(len(data) * max(1, len(effects)) // 2 + 2)
    y = np.arange(len(data))
    height = 0.8 / max(1, len(effects))
    for i, column in enumerate(effects):
        ax.barh(y + (i - (len(effects) - 1) / 2) * height, data[column].to_numpy(),
                height=height, color=PALETTE[i % len(PALETTE)], label=legend_label(names[i]))
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_yticks(y, data[label].astype(str).tolist())
    ax.invert_yaxis()
    ax.legend(frameon=False, fontsize="small", loc="best")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    if not alt and len(data):
        sums = data[list(effects)].sum(axis=1).abs()
        top = data.iloc[int(sums.to_numpy().argmax())]
        parts = ", ".join(f"{n} {top[c]:+.2f}" for n, c in zip(names, effects))
        alt = (f"Bar chart: {title or 'effects'}, {len(data)} segments. Largest: "
               f"{top[label]} ({parts}).")
    return set_alt_text(fig, alt or f"Bar chart: {title}. No data.")
