"""The data contract: one declarative definition of the input tables.

Validation (:mod:`qa_insights.data.store`), the sample-data generator
(:mod:`qa_insights.data.sample_data`) and the documentation (``docs/data-contract.md``,
checked by a test) all read this module, so the contract is written once.

Names (queues, markets, sites, labels, reasons, ids) are open sets: any non-empty
string. Only a handful of columns have a fixed set of allowed values.

Examples
--------
>>> from qa_insights.data.contract import TABLES
>>> TABLES["audits"].column("site_type").allowed
('in_house', 'bpo')
>>> [c.name for c in TABLES["volumes"].required_columns][:3]
['month', 'site', 'queue']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Column", "Table", "TABLES", "EVENT_KINDS", "NO_VIOLATION", "RATE_METRICS",
           "SEVERITY_WEIGHTS", "VOLUMES_OPERATIONS", "is_rate_metric"]

ColumnType = Literal["string", "timestamp", "date", "month", "integer", "number"]

#: The label a moderator or auditor gives when content breaks no policy.
NO_VIOLATION = "no_violation"

#: Target metrics that are fractions in [0, 1] (as is any metric whose name ends in ``_rate``).
RATE_METRICS: tuple[str, ...] = ("accuracy", "critical_error_rate", "calibration_accuracy")


def is_rate_metric(metric: str) -> bool:
    """Whether a target of ``metric`` is a fraction in [0, 1].

    Examples
    --------
    >>> is_rate_metric("accuracy"), is_rate_metric("appeal_rate"), is_rate_metric("cost_per_item")
    (True, True, False)
    """
    return metric in RATE_METRICS or metric.endswith("_rate")


#: Default weights of the severity-weighted quality score.
SEVERITY_WEIGHTS: dict[str, float] = {"critical": 5.0, "major": 2.0, "minor": 1.0}


@dataclass(frozen=True)
class Column:
    """One column of a contract table.

    Parameters
    ----------
    name : str
        Exact column name (lower case, no spaces).
    type : {"string", "timestamp", "date", "month", "integer", "number"}
        Logical type; ``month`` is ``YYYY-MM``.
    required : bool
        Whether the column must exist and every row must have a value.
    description : str
        One line for the documentation.
    example : str
        Value shown in the example row of the documentation.
    allowed : tuple of str, optional
        Fixed set of allowed values (``None`` for open sets).
    min_value : float, optional
        Smallest allowed value of a numeric column.
    max_value : float, optional
        Largest plausible value of a numeric column (larger values are typing errors or
        sentinels, and would overflow the engine's integers).
    personal : bool
        Personal data (pseudonymise in manager-facing output).
    """

    name: str
    type: ColumnType
    required: bool
    description: str
    example: str
    allowed: tuple[str, ...] | None = None
    min_value: float | None = None
    personal: bool = False
    max_value: float | None = None


@dataclass(frozen=True)
class Table:
    """One table of the data contract.

    Parameters
    ----------
    name : str
        Table name, also the file or folder name (``audits.csv``, ``audits/``).
    description : str
        What one row is.
    columns : tuple of Column
        Contract columns, in documentation order.
    key : tuple of str
        Columns that identify a row; two rows with the same key and different
        content are a conflict (both quarantined).
    required_table : bool
        Whether a data folder must contain this table.
    """

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    required_table: bool = False
    _by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {c.name: c for c in self.columns})

    def column(self, name: str) -> Column:
        """Return the column called ``name`` (``KeyError`` if it is not in the contract)."""
        return self._by_name[name]

    @property
    def names(self) -> list[str]:
        """Contract column names in order."""
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[Column]:
        """Columns that must be present with a value in every row."""
        return [c for c in self.columns if c.required]


_SITE_TYPES = ("in_house", "bpo")
_SEVERITIES = ("critical", "major", "minor")
_DISPUTES = ("none", "upheld", "overturned")

AUDITS = Table(
    name="audits",
    description="One row per audited moderation decision.",
    key=("audit_id",),
    required_table=True,
    columns=(
        Column("audit_id", "string", True, "Unique id of the audit.", "A0000123"),
        Column("audited_at", "timestamp", True,
               "When the audit was done (ISO 8601; an offset or Z is converted to UTC; "
               "no offset means UTC). Decides the month.", "2026-10-14T09:31:05Z"),
        Column("item_id", "string", False, "Id of the moderated item.", "I0091823"),
        Column("queue", "string", True, "Moderation queue (policy area).", "hate_speech"),
        Column("market", "string", True, "Market or country.", "BR"),
        Column("site", "string", True, "Moderation site.", "bpo_alpha_manila"),
        Column("site_type", "string", True,
               "In-house or outsourced (may instead come from the `sites` table).", "bpo",
               allowed=_SITE_TYPES),
        Column("moderator_id", "string", True,
               "Moderator who made the decision (personal data).", "M0412", personal=True),
        Column("moderator_tenure_days", "integer", False,
               "Moderator tenure on the audit day.", "212", min_value=0,
               max_value=36500),
        Column("auditor_id", "string", False, "QA auditor (personal data).", "Q017",
               personal=True),
        Column("moderator_decision", "string", True,
               "Moderator's label: no_violation or a policy label.", "hate_speech"),
        Column("auditor_decision", "string", True,
               "Auditor's label: the truth unless the audit was overturned.", "no_violation"),
        Column("error_reason", "string", False, "RCA taxonomy reason, set on errors.",
               "policy_misread"),
        Column("severity", "string", False, "Severity of the error.", "major",
               allowed=_SEVERITIES),
        Column("handle_time_s", "number", False, "Moderator handling time in seconds.",
               "41.5", min_value=0, max_value=86400),
        Column("dispute_status", "string", False,
               "Dispute outcome; an overturned audit is not an error.", "none",
               allowed=_DISPUTES),
        Column("comment", "string", False, "Auditor's free text (untrusted).",
               "Satire, not an attack."),
    ),
)

CALIBRATION = Table(
    name="calibration",
    description="Long form: one row per rater per item of a calibration session.",
    key=("session_id", "item_id", "rater_id"),
    columns=(
        Column("session_id", "string", True, "Calibration session.", "CAL-2026-10-a"),
        Column("session_date", "date", True, "Day of the session (YYYY-MM-DD).",
               "2026-10-08"),
        Column("item_id", "string", True, "Calibration item.", "C0017"),
        Column("queue", "string", True, "Queue of the item.", "harassment"),
        Column("rater_id", "string", True, "Rater (personal data).", "M0412",
               personal=True),
        Column("rater_role", "string", True, "Role of the rater; the expert is gold.",
               "moderator", allowed=("moderator", "auditor", "expert")),
        Column("site", "string", True, "Site of the rater.", "inhouse_dublin"),
        Column("label", "string", True, "The rater's label.", "no_violation"),
    ),
)

VOLUMES = Table(
    name="volumes",
    description="One row per month x site x queue: volume, hours, headcount and cost.",
    key=("month", "site", "queue"),
    columns=(
        Column("month", "month", True, "Month (YYYY-MM).", "2026-10"),
        Column("site", "string", True, "Moderation site.", "bpo_alpha_manila"),
        Column("queue", "string", True, "Moderation queue.", "spam"),
        Column("items_handled", "integer", True, "Decisions made.", "48211", min_value=0,
               max_value=1e12),
        Column("productive_hours", "number", True, "Productive hours.", "1290.5",
               min_value=0, max_value=1e9),
        Column("headcount", "number", True, "Moderators (FTE).", "9.5", min_value=0,
               max_value=1e7),
        Column("cost", "number", True, "Fully loaded cost, in `currency`.", "23010.0",
               min_value=0, max_value=1e15),
        Column("currency", "string", True, "ISO 4217 code; one currency per file.", "USD"),
    ),
)

TARGETS = Table(
    name="targets",
    description="One row per metric x scope x month.",
    key=("metric", "scope", "scope_value", "month"),
    columns=(
        Column("metric", "string", True,
               "accuracy, critical_error_rate, calibration_accuracy, handle_time_s, "
               "cost_per_item (or another metric name).", "accuracy"),
        Column("scope", "string", True, "Level the target applies to.", "site",
               allowed=("org", "site", "queue", "market")),
        Column("scope_value", "string", False, "Site, queue or market; empty for org.",
               "bpo_alpha_manila"),
        Column("month", "month", True, "Month (YYYY-MM).", "2026-10"),
        Column("target", "number", True,
               "Target value; a rate (accuracy, critical_error_rate, calibration_accuracy, "
               "any *_rate) is a fraction between 0 and 1.", "0.965"),
        Column("direction", "string", True, "Which way is better.", "higher_is_better",
               allowed=("higher_is_better", "lower_is_better")),
        Column("method", "string", False,
               "How the target was set (qa_insights.business.target_setting / cascade); empty: given.",
               "trailing median of 6 months, 10% closer to 1"),
    ),
)

BUDGETS = Table(
    name="budgets",
    description="Optional. One row per month x scope: the cost budget (budget vs actual).",
    key=("month", "scope", "scope_value"),
    columns=(
        Column("month", "month", True, "Month (YYYY-MM).", "2026-10"),
        Column("scope", "string", True, "Level the budget applies to.", "vendor",
               allowed=("org", "site", "queue", "vendor")),
        Column("scope_value", "string", False, "Site, queue or vendor; empty for org.",
               "alpha"),
        Column("amount", "number", True, "Budgeted cost, in `currency`.", "150000",
               min_value=0),
        Column("currency", "string", True, "ISO 4217 code; the same as volumes.", "USD"),
    ),
)

SITES = Table(
    name="sites",
    description=("Optional. One row per site: its type, vendor, region and any other "
                 "attributes (extra columns). Joined to the audits by `site`, so audits "
                 "need only `site`; every attribute is a dimension wherever `site` is."),
    key=("site",),
    columns=(
        Column("site", "string", True, "Moderation site, as written in the audits.",
               "bpo_alpha_manila"),
        Column("site_type", "string", False,
               "In-house or outsourced; audits may then leave `site_type` out (where both "
               "give it, they must agree).", "bpo", allowed=_SITE_TYPES),
        Column("vendor", "string", False, "Company running the site (`in-house` for your own).",
               "alpha"),
        Column("region", "string", False, "Region of the site.", "APAC"),
    ),
)

#: Kinds of event in the ``events`` table.
EVENT_KINDS: tuple[str, ...] = ("policy_change", "training", "tooling", "vendor_change",
                                "guideline")

EVENTS = Table(
    name="events",
    description=("Optional. One row per event that may change quality (a retraining, a new "
                 "guideline, a tool or vendor change): marked on the trend and control "
                 "charts of its scope and read out before/after."),
    key=("date", "scope", "scope_value", "kind"),
    columns=(
        Column("date", "date", True, "Day the change took effect (YYYY-MM-DD).",
               "2026-08-03"),
        Column("scope", "string", True, "Level the change applies to.", "site",
               allowed=("org", "site", "queue", "market")),
        Column("scope_value", "string", False, "Site, queue or market; empty for org.",
               "bpo_alpha_manila"),
        Column("kind", "string", True, "What kind of change.", "training",
               allowed=EVENT_KINDS),
        Column("description", "string", True, "One line for the charts and readouts "
               "(untrusted text).", "Retraining on the harassment policy"),
    ),
)

# --- Operations (issue 19): projects, rate cards, savings, delivery columns -----------
# Optional tables and optional columns of audits and volumes; a data folder without them
# builds every report as before.
PROJECTS = Table(
    name="projects",
    description="Optional. One row per annotation project: dates and budget (project burn).",
    key=("project_id",),
    columns=(
        Column("project_id", "string", True, "Project id, as on volumes and audits.", "P-ads"),
        Column("customer", "string", False, "Product or customer the project serves.",
               "ads_review"),
        Column("task_type", "string", False, "Main task type of the project.", "image_label"),
        Column("start_date", "date", True, "First day (YYYY-MM-DD).", "2026-01-01"),
        Column("end_date", "date", True, "Last day (YYYY-MM-DD).", "2026-12-31"),
        Column("budget", "number", True, "Budget for the whole project, in `currency`.",
               "900000", min_value=0),
        Column("currency", "string", True, "ISO 4217 code; the same as volumes.", "USD"),
    ),
)

RATE_CARDS = Table(
    name="rate_cards",
    description="Optional. One row per vendor x task type x unit x period: the contracted "
                "price (billing check).",
    key=("vendor", "task_type", "unit", "valid_from"),
    columns=(
        Column("vendor", "string", True, "Vendor, as in the vendor scorecard.", "alpha"),
        Column("task_type", "string", True, "Task type, as on volumes.", "image_label"),
        Column("unit", "string", True, "What is billed: items handled or productive hours.",
               "item", allowed=("item", "hour")),
        Column("unit_price", "number", True, "Price of one unit, in `currency`.", "0.085",
               min_value=0),
        Column("currency", "string", True, "ISO 4217 code; the same as volumes.", "USD"),
        Column("valid_from", "date", True, "First day the price applies.", "2026-01-01"),
        Column("valid_to", "date", False, "Last day it applies; empty: open-ended.",
               "2026-12-31"),
    ),
)

SAVINGS = Table(
    name="savings",
    description="Optional. One row per cost-saving initiative (savings register).",
    key=("initiative",),
    columns=(
        Column("initiative", "string", True, "Name of the initiative.", "spam auto-triage"),
        Column("scope", "string", True, "Where the saving is made.", "queue",
               allowed=("org", "site", "queue", "vendor")),
        Column("scope_value", "string", False, "Site, queue or vendor; empty for org.", "spam"),
        Column("start_month", "month", True, "First month the saving applies (YYYY-MM).",
               "2026-06"),
        Column("planned_monthly_saving", "number", True,
               "Planned saving per month, in `currency`.", "12000", min_value=0),
        Column("currency", "string", True, "ISO 4217 code; the same as volumes.", "USD"),
    ),
)

#: Optional columns of ``volumes`` for projects, rate cards, delivery and staffing.
VOLUMES_OPERATIONS: tuple[Column, ...] = (
    Column("project_id", "string", False, "Annotation project of the row's work.", "P-ads"),
    Column("task_type", "string", False, "Task type (billing check against rate cards).",
           "image_label"),
    Column("items_due", "integer", False, "Items whose SLA deadline fell in the month.",
           "47000", min_value=0, max_value=1e12),
    Column("items_within_sla", "integer", False, "Of those, items done within the SLA.",
           "45600", min_value=0, max_value=1e12),
    Column("backlog_end", "integer", False, "Items waiting at the end of the month.",
           "3200", min_value=0, max_value=1e12),
    Column("sla_hours", "number", False, "The SLA: hours allowed per item.", "24",
           min_value=0, max_value=1e5),
    Column("planned_productive_hours", "number", False,
           "Staffing plan: productive hours planned for the month.", "1300",
           min_value=0, max_value=1e9),
)
VOLUMES = Table(VOLUMES.name, VOLUMES.description, VOLUMES.columns + VOLUMES_OPERATIONS,
                VOLUMES.key, VOLUMES.required_table)
AUDITS = Table(AUDITS.name, AUDITS.description, AUDITS.columns + (
    Column("project_id", "string", False, "Annotation project of the audited item.",
           "P-ads"),), AUDITS.key, AUDITS.required_table)
# --- end of operations ---------------------------------------------------------------

#: Every contract table by name.
TABLES: dict[str, Table] = {t.name: t for t in (AUDITS, CALIBRATION, VOLUMES, TARGETS,
                                                BUDGETS, SITES, EVENTS, PROJECTS,
                                                RATE_CARDS, SAVINGS)}


def markdown_table(table: Table) -> str:
    """The contract of ``table`` as a Markdown table (used by docs/data-contract.md, and
    a test keeps the two identical).

    >>> print(markdown_table(TABLES["targets"]).splitlines()[2])
    | metric | string | yes |  | accuracy, critical_error_rate, calibration_accuracy, handle_time_s, cost_per_item (or another metric name). | accuracy |
    """
    lines = ["| column | type | required | allowed values | description | example |",
             "|---|---|---|---|---|---|"]
    for c in table.columns:
        allowed = ", ".join(f"`{a}`" for a in c.allowed) if c.allowed else ""
        if c.min_value is not None:
            allowed = f">= {c.min_value:g}"
        if c.max_value is not None:
            allowed += (" and " if allowed else "") + f"<= {c.max_value:g}"
        note = c.description + (" Personal data." if c.personal and "personal" not in
                                c.description else "")
        lines.append(f"| {c.name} | {c.type} | {'yes' if c.required else 'no'} | {allowed} "
                     f"| {note} | {c.example} |")
    return "\n".join(lines)
