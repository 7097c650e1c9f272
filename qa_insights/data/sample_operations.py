"""Seeded operations tables of the sample data (issue 19): projects, rate cards, savings and
the delivery columns of volumes (SLA, backlog, planned hours).

:func:`qa_insights.data.sample_data.generate` calls :func:`operations_tables` with the
volumes it made and writes what it returns. The tables draw from their own random stream
(seed, 19), so the other tables keep their bytes apart from the columns and costs changed
here on purpose. The planted effects are :data:`PLANTED_OPERATIONS`: a project burning over
its budget, a savings initiative that saves nothing, a vendor invoicing above its new rate
card, and a month whose SLA attainment drops while the backlog grows.

Examples
--------
>>> import pyarrow as pa
>>> audit_projects(pa.table({"queue": ["spam", "hate_speech"]}))["project_id"].to_pylist()
['ads', 'feed']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from qa_insights.data.contract import TABLES

__all__ = ["PLANTED_OPERATIONS", "PROJECTS", "TASK_TYPES", "audit_projects", "operations_tables"]

#: Project -> (customer, queues it covers); a queue's work belongs to one project.
PROJECTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "feed": ("social_feed", ("hate_speech", "harassment", "misinformation")),
    "ads": ("ads_review", ("spam", "nudity")),
    "safety": ("child_safety", ("minor_safety", "violent_extremism")),
}

#: Queue -> task type (what rate cards price).
TASK_TYPES: dict[str, str] = {"hate_speech": "text_review", "harassment": "text_review",
                              "misinformation": "text_review", "spam": "text_review",
                              "nudity": "media_review", "minor_safety": "media_review",
                              "violent_extremism": "media_review"}

#: Planted operations effects (month offsets relative to the last month, as in PLANTED).
PLANTED_OPERATIONS: dict[str, dict[str, Any]] = {
    "over_budget": {"project": "ads", "budget_of_run_rate": 0.9},
    "missed_saving": {"initiative": "dublin workflow tooling", "site": "inhouse_dublin",
                      "start_offset": -5, "planned_share_of_cost": 0.08},
    "delivered_saving": {"initiative": "alpha rate renegotiation", "vendor": "alpha",
                         "site": "bpo_alpha_manila", "start_offset": -6, "price_cut": 0.10},
    "overbilling": {"vendor": "delta", "site": "bpo_delta_bogota", "from_offset": -3,
                    "card_cut": 0.05},
    "sla_drop": {"site": "bpo_beta_cebu", "month_offset": 0, "attainment": 0.82,
                 "backlog_multiplier": 4.0},
}

_SLA_ATTAINMENT = 0.955


def _month_at(months: list[str], offset: int) -> str:
    """The month ``offset`` months from the last (the first month when the range is short)."""
    return months[max(len(months) - 1 + offset, 0)]


def _project_of(queue: str) -> str:
    return next(p for p, (_, queues) in PROJECTS.items() if queue in queues)


def _vendor_price(cost_per_hour: float) -> float:
    """Price per productive hour billed by a BPO site whose volumes cost ``cost_per_hour``."""
    return round(cost_per_hour / 0.82, 4)


def _operations_volumes(rng: np.random.Generator, volumes: pa.Table, months: list[str],
                        sites: Mapping[str, tuple[str, float]], planted: bool) -> pa.Table:
    """Volumes with the optional operations columns, and the delivered saving's price cut."""
    month = np.array(volumes["month"].to_pylist())
    site = np.array(volumes["site"].to_pylist())
    queue = volumes["queue"].to_pylist()
    items = volumes["items_handled"].to_numpy().astype(float)
    hours = volumes["productive_hours"].to_numpy()
    cost = volumes["cost"].to_numpy().copy()
    cut = PLANTED_OPERATIONS["delivered_saving"]
    after = (site == cut["site"]) & (month >= _month_at(months, cut["start_offset"]))
    cost[after] = np.round(cost[after] * (1 - cut["price_cut"]), 2)
    site_month = {(s, m): rng.normal(0.0, 0.006) for s in sites for m in months}
    attainment = _SLA_ATTAINMENT + np.array([site_month[(s, m)] for s, m in zip(site, month,
                                                                                strict=True)])
    backlog = items * 0.04 * np.exp(rng.normal(0.0, 0.08, items.size))
    drop = PLANTED_OPERATIONS["sla_drop"]
    if planted:
        hit = (site == drop["site"]) & (month == _month_at(months, drop["month_offset"]))
        attainment[hit] = drop["attainment"] + rng.normal(0.0, 0.006, int(hit.sum()))
        backlog[hit] *= drop["backlog_multiplier"]
    due = np.round(items * rng.uniform(0.97, 1.03, items.size))
    extra = {
        "project_id": [_project_of(q) for q in queue],
        "task_type": [TASK_TYPES[q] for q in queue],
        "items_due": due.astype(np.int64),
        "items_within_sla": np.round(due * np.clip(attainment, 0, 1)).astype(np.int64),
        "backlog_end": np.round(backlog).astype(np.int64),
        "sla_hours": [48.0 if TASK_TYPES[q] == "media_review" else 24.0 for q in queue],
        "planned_productive_hours": np.round(hours * np.exp(rng.normal(0, 0.03, hours.size)),
                                             1),
    }
    out = volumes.set_column(volumes.schema.get_field_index("cost"), "cost", pa.array(cost))
    for name, values in extra.items():
        out = out.append_column(name, pa.array(values))
    return out


def _projects(volumes: pa.Table, months: list[str], planted: bool) -> pa.Table:
    """Projects from the third month to three months after the last; budgets 30% above the
    run rate of the last six months over the whole project (the over-budget project 10%
    below it)."""
    start = np.datetime64(months[min(2, len(months) - 1)], "D")
    end = (np.datetime64(months[-1], "M") + 4).astype("datetime64[D]") - 1
    n_months = len(months) - min(2, len(months) - 1) + 3
    frame = volumes.select(["month", "project_id", "cost"]).to_pandas()
    rows: dict[str, list[Any]] = {c: [] for c in TABLES["projects"].names}
    over = PLANTED_OPERATIONS["over_budget"]
    for project, (customer, queues) in PROJECTS.items():
        monthly = frame[frame["project_id"] == project].groupby("month")["cost"].sum()
        factor = over["budget_of_run_rate"] if planted and project == over["project"] else 1.3
        budget = float(monthly.iloc[-6:].mean()) * n_months * factor
        values = (project, customer, TASK_TYPES[queues[0]], str(start), str(end),
                  round(budget, -3), "USD")
        for key, v in zip(rows, values, strict=True):
            rows[key].append(v)
    return pa.table(rows)


def _rate_cards(months: list[str], sites: Mapping[str, tuple[str, float]],
                planted: bool) -> pa.Table:
    """Hourly price of every BPO vendor and task type; the delivered saving's vendor has a
    cheaper card from its start, and the overbilling vendor's card drops (its invoices do
    not)."""
    rows: dict[str, list[Any]] = {c: [] for c in TABLES["rate_cards"].names}
    first = str(np.datetime64(months[0], "D"))

    def add(vendor: str, task: str, price: float, start: str, end: str | None) -> None:
        for key, v in zip(rows, (vendor, task, "hour", round(price, 4), "USD", start, end),
                          strict=True):
            rows[key].append(v)

    changes = {PLANTED_OPERATIONS["delivered_saving"]["vendor"]: (
        PLANTED_OPERATIONS["delivered_saving"]["start_offset"],
        PLANTED_OPERATIONS["delivered_saving"]["price_cut"])}
    if planted:
        bill = PLANTED_OPERATIONS["overbilling"]
        changes[bill["vendor"]] = (bill["from_offset"], bill["card_cut"])
    for site, (site_type, cost_per_hour) in sites.items():
        if site_type != "bpo":
            continue
        vendor = site.split("_")[1]
        for task in sorted(set(TASK_TYPES.values())):
            price = _vendor_price(cost_per_hour)
            change = np.datetime64(_month_at(months, changes.get(vendor, (0, 0.0))[0]), "D")
            if vendor in changes and str(change) > first:
                price_cut = changes[vendor][1]
                add(vendor, task, price, first, str(change - 1))
                add(vendor, task, price * (1 - price_cut), str(change), None)
            else:
                add(vendor, task, price, first, None)
    return pa.table(rows)


def _savings(volumes: pa.Table, months: list[str], planted: bool) -> pa.Table:
    """The savings register: the delivered price cut (planned at what it saves: the cut
    times the cost per item before times the items after) and, planted, an initiative
    that saves nothing."""
    frame = volumes.select(["month", "site", "items_handled", "cost"]).to_pandas()
    rows: dict[str, list[Any]] = {c: [] for c in TABLES["savings"].names}
    done, missed = (PLANTED_OPERATIONS[k] for k in ("delivered_saving", "missed_saving"))
    for plan, scope, value in ((done, "vendor", done["vendor"]),
                               (missed, "site", missed["site"])):
        if plan is missed and not planted:
            continue
        start = _month_at(months, plan["start_offset"])
        site = frame[frame["site"] == plan["site"]].groupby("month")[
            ["items_handled", "cost"]].sum()
        share = float(plan.get("price_cut", plan.get("planned_share_of_cost", 0.0)))
        before = site[site.index < start].iloc[-6:]
        if before.empty:  # too few months for a baseline
            continue
        per_item = float((before["cost"] / before["items_handled"]).mean())
        planned = round(per_item * float(site.loc[site.index >= start, "items_handled"].mean())
                        * share, -2)
        for key, v in zip(rows, (plan["initiative"], scope, value, start, planned, "USD"),
                          strict=True):
            rows[key].append(v)
    return pa.table(rows)


def audit_projects(audits: pa.Table) -> pa.Table:
    """Audits with the project of their queue (:data:`PROJECTS`)."""
    queue = audits["queue"].to_pylist()
    return audits.append_column("project_id", pa.array([_project_of(q) for q in queue]))


def operations_tables(volumes: pa.Table, months: list[str], *, seed: int,
                      sites: Mapping[str, tuple[str, float]], planted: bool
                      ) -> dict[str, pa.Table]:
    """The operations tables of a sample, from its stream (seed, 19).

    Parameters
    ----------
    volumes : pyarrow.Table
        The sample's volumes (month x site x queue, with ``items_handled``,
        ``productive_hours`` and ``cost``).
    months : list of str
        The sample's months, oldest first.
    seed : int
        The sample's seed.
    sites : mapping
        Site -> (site type, cost per productive hour), every site of the volumes in the
        generator's order; the ``bpo`` sites get rate cards.
    planted : bool
        Plant :data:`PLANTED_OPERATIONS` (the delivered saving's price cut is made in
        both worlds).

    Returns
    -------
    dict
        ``volumes`` (with the operations columns), ``projects``, ``rate_cards`` and
        ``savings``, without a table that has no rows (a range too short for any
        initiative's baseline has no savings register).
    """
    rng = np.random.default_rng([seed, 19])
    ops = _operations_volumes(rng, volumes, months, sites, planted)
    tables = {"volumes": ops, "projects": _projects(ops, months, planted),
              "rate_cards": _rate_cards(months, sites, planted),
              "savings": _savings(ops, months, planted)}
    return {name: table for name, table in tables.items() if table.num_rows}
