"""The report kinds ``qa-insights build`` knows: one registry, read by the planner, the
command line's help and the index page's order.

Adding a report kind touches this registry (one :class:`ReportSpec` line) and adds its
notebook to ``qa_insights/reports/notebooks/`` (plus, usually, a content module beside
:mod:`qa_insights.reports.mqr`).

Examples
--------
>>> [spec.key for spec in REPORTS.values()]
['mqr', 'mbr', 'calibration', 'rca', 'target_planning', 'experiment_readout']
>>> [(s.key, s.targets) for s in select_reports("MQR, rca:queue=spam, rca:vendor=alpha")]
[('mqr', ()), ('rca', (('queue', 'spam'), ('vendor', 'alpha')))]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa_insights.data.dimensions import is_dimension_name
from qa_insights.reports.engine.tables import slugify

__all__ = ["REPORTS", "ReportSpec", "UnknownReport", "index_rank", "report_stem",
           "select_reports"]


class UnknownReport(ValueError):
    """A report selection names a report kind or a scope the registry does not know."""


@dataclass(frozen=True)
class ReportSpec:
    """A kind of report.

    Attributes
    ----------
    key : str
        Name used on the command line (``--reports mqr,rca``), matched case-insensitively.
    notebook : str
        Notebook file name in the notebooks folder; its output stem is the same name.
    title : str
        Title of the report header and the index.
    per_queue : bool
        One report per queue (the busiest of the month) instead of one per month.
    target_scopes : tuple of str
        Scopes a single report of this kind can be asked for by name
        (``--reports rca:site=NAME``); empty: none.
    site_attributes : bool
        A single report may also be asked for by any other attribute of the data's sites
        table (``rca:country=PH``); the build checks the attribute and the value against
        the data before it runs anything.
    targets : tuple of (scope, value)
        The single reports asked for (set by :func:`select_reports`); empty: the default.
    """

    key: str
    notebook: str
    title: str
    per_queue: bool = False
    target_scopes: tuple[str, ...] = ()
    site_attributes: bool = False
    targets: tuple[tuple[str, str], ...] = ()

    @property
    def stem(self) -> str:
        """Output file stem of a once-a-month report."""
        return Path(self.notebook).stem


#: The reports ``qa-insights build`` knows, in build order (also the index's order).
REPORTS: dict[str, ReportSpec] = {s.key: s for s in (
    ReportSpec("mqr", "monthly_quality_report.ipynb", "Monthly Quality Report"),
    ReportSpec("mbr", "monthly_business_review.ipynb", "Monthly Business Review"),
    ReportSpec("calibration", "calibration_report.ipynb", "Calibration Report"),
    ReportSpec("rca", "rca_deep_dive.ipynb", "Root-Cause Deep Dive", per_queue=True,
               target_scopes=("queue", "site", "market", "vendor", "region"),
               site_attributes=True),
    ReportSpec("target_planning", "target_planning.ipynb", "Target Planning"),
    ReportSpec("experiment_readout", "experiment_readout.ipynb", "Experiment Readout"),
)}


def index_rank(key: str, registry: Mapping[str, ReportSpec] = REPORTS) -> int:
    """Position of report kind ``key`` in the registry (unknown kinds last).

    Examples
    --------
    >>> index_rank("mbr"), index_rank("something else")
    (1, 6)
    """
    return list(registry).index(key) if key in registry else len(registry)


def report_stem(key: str, scope: str = "org", value: str | None = None,
                registry: Mapping[str, ReportSpec] = REPORTS) -> str:
    """Output file stem of one report: the kind's own stem for the organisation,
    ``<key>_<queue>`` for a queue (as the busiest-queue deep dives), ``<key>_<scope>_<value>``
    for a site, market, vendor, region or other site attribute (values made file-safe by
    :func:`qa_insights.reports.engine.tables.slugify`). A report links to another one as
    ``report_stem(...) + ".html"`` in the same month's folder.

    Examples
    --------
    >>> report_stem("mqr"), report_stem("rca", "queue", "spam")
    ('monthly_quality_report', 'rca_spam')
    >>> report_stem("rca", "site", "bpo_beta_cebu"), report_stem("rca", "vendor", "alpha")
    ('rca_site_bpo_beta_cebu', 'rca_vendor_alpha')
    """
    if value is None or scope == "org":
        return registry[key].stem
    prefix = key if scope == "queue" else f"{key}_{scope}"
    return f"{prefix}_{slugify(value)}"


def _parse_one(item: str, registry: Mapping[str, ReportSpec]) -> tuple[str, tuple[str, str] | None]:
    name, _, target = item.partition(":")
    key = name.strip().lower()
    if key not in registry:
        raise UnknownReport(f"unknown report {name.strip()!r}; valid: "
                            f"{', '.join(registry)} (or all)")
    if not target:
        return key, None
    scope, equals, value = target.partition("=")
    scope = scope.strip().lower()
    spec = registry[key]
    allowed = spec.target_scopes
    known = scope in allowed or (spec.site_attributes and is_dimension_name(scope))
    if not equals or not known or not value.strip():
        more = ", or another attribute of the sites table" if spec.site_attributes else ""
        hint = (f"use {key}:{allowed[0]}=NAME ({', '.join(allowed)}{more})" if allowed
                else f"{key} is built for the whole organisation only")
        raise UnknownReport(f"report {item.strip()!r}: {hint}")
    return key, (scope, value.strip())


def select_reports(reports: str | Sequence[str] | None,
                   registry: Mapping[str, ReportSpec] = REPORTS) -> list[ReportSpec]:
    """The report kinds a selection asks for, in the order given: names are
    case-insensitive, ``all`` (or None) is every kind, and ``KIND:SCOPE=NAME`` asks for one
    report of that scope (``rca:queue=spam``, ``rca:site=bpo_beta_cebu``,
    ``rca:vendor=alpha``). Whether the data has that scope and value is checked when the
    build plans (:func:`qa_insights.reports.engine.build.plan`).

    Raises
    ------
    UnknownReport
        An unknown kind, a scope the kind cannot take, or an empty selection.

    Examples
    --------
    >>> [s.key for s in select_reports("all")]
    ['mqr', 'mbr', 'calibration', 'rca', 'target_planning', 'experiment_readout']
    >>> select_reports("rca:site=inhouse_dublin,rca:queue=spam")[0].targets
    (('site', 'inhouse_dublin'), ('queue', 'spam'))
    >>> select_reports("mqr:site=x")
    Traceback (most recent call last):
    ...
    qa_insights.reports.engine.kinds.UnknownReport: report 'mqr:site=x': mqr is built for the whole organisation only
    >>> select_reports("rca:Vendor Name=x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    qa_insights.reports.engine.kinds.UnknownReport: report 'rca:Vendor Name=x': use rca:queue=NAME (queue, site, market, vendor, region, or another attribute of the sites table)
    """
    if reports is None or reports == "all" or list(reports) == ["all"]:
        return list(registry.values())
    items = [r for r in (reports.split(",") if isinstance(reports, str) else reports)
             if r.strip()]
    if not items:
        raise UnknownReport(f"no report given; valid: {', '.join(registry)} (or all)")
    chosen: dict[str, list[tuple[str, str]] | None] = {}
    for item in items:
        key, target = _parse_one(item, registry)
        if target is None:
            chosen[key] = None  # the default set wins over single targets
        elif key not in chosen or chosen[key] is not None:
            chosen.setdefault(key, [])
            targets = chosen[key]
            if targets is not None and target not in targets:
                targets.append(target)
    return [dataclasses.replace(registry[key], targets=tuple(targets or ()))
            for key, targets in chosen.items()]
