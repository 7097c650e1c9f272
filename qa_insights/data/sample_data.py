"""Seeded generator of realistic sample data for the contract tables.

The organisation it simulates: 7 queues, 9 markets, 7 sites (3 in-house, 4 BPO), about
300 moderators with tenure, 25 auditors, monthly calibration sessions, volumes and costs
per month x site x queue, and targets. On top of a gently improving baseline it plants
effects that the reports must find (see :data:`PLANTED` and ``data_samples/README.md``):

* ``jump``: one BPO site's error rate jumps in one queue in one month;
* ``mix_shift``: in the last month volume moves toward the weakest site, so the org error
  rate rises although every site improves its own rate (a mix effect);
* ``new_hires``: moderators in their first 90 days err more often;
* ``lenient_raters``: one site's raters under-enforce in calibration;
* ``calibration_drift``: another site's raters drift away from the expert over sessions;
* ``skewed_labels``: most calibration items are ``no_violation``, so kappa is low while raw
  agreement and AC1 are high;
* ``retraining``: one in-house site's error rate halves from an event of the ``events``
  table on (which also holds :data:`NO_EFFECT_EVENTS`, events without effect).
* operations (:data:`qa_insights.data.sample_operations.PLANTED_OPERATIONS`, made in that
  module): a project burning over its budget, a savings initiative that saves nothing, a
  vendor invoicing above its new rate card, and a month whose SLA attainment drops while
  the backlog grows (at the mix-shift site).

Same seed, same bytes. Work is vectorised with NumPy and Arrow, one month at a time, so
10 million audits take about a minute and bounded memory.

Examples
--------
>>> import tempfile
>>> paths = generate(tempfile.mkdtemp(), months=13, audits_per_month=200, seed=1)
>>> sorted(paths)
['audits', 'calibration', 'events', 'projects', 'rate_cards', 'savings', 'sites', 'targets', 'volumes']
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from qa_insights.data.contract import NO_VIOLATION, TABLES, VOLUMES_OPERATIONS
from qa_insights.data.sample_operations import audit_projects, operations_tables

__all__ = ["NO_EFFECT_EVENTS", "PART_ROWS", "PLANTED", "SITES", "SITE_ATTRIBUTES", "QUEUES",
           "MARKETS", "generate", "month_range"]

#: Queue -> (base error rate, share of audited items that truly violate, mean handle time s).
QUEUES: dict[str, tuple[float, float, float]] = {
    "hate_speech": (0.050, 0.45, 62.0),
    "harassment": (0.055, 0.40, 58.0),
    "minor_safety": (0.030, 0.35, 75.0),
    "violent_extremism": (0.040, 0.30, 80.0),
    "nudity": (0.025, 0.50, 25.0),
    "spam": (0.015, 0.60, 12.0),
    "misinformation": (0.065, 0.35, 90.0),
}

#: Site -> (site type, error-rate multiplier, share of org volume, cost per productive hour,
#: UTC offset used when formatting some of its timestamps).
SITES: dict[str, tuple[str, float, float, float, str]] = {
    "inhouse_dublin": ("in_house", 0.75, 0.16, 46.0, "+01:00"),
    "inhouse_austin": ("in_house", 0.80, 0.14, 52.0, "-05:00"),
    "inhouse_singapore": ("in_house", 0.85, 0.10, 44.0, "+08:00"),
    "bpo_alpha_manila": ("bpo", 1.05, 0.20, 15.0, "+08:00"),
    "bpo_beta_cebu": ("bpo", 3.00, 0.10, 12.0, "+08:00"),
    "bpo_gamma_hyderabad": ("bpo", 1.15, 0.18, 14.0, "+05:30"),
    "bpo_delta_bogota": ("bpo", 1.20, 0.12, 17.0, "-05:00"),
}

#: Site -> (vendor, region, country): the sites reference table (``sites.csv``).
SITE_ATTRIBUTES: dict[str, tuple[str, str, str]] = {
    "inhouse_dublin": ("in-house", "EMEA", "IE"),
    "inhouse_austin": ("in-house", "AMER", "US"),
    "inhouse_singapore": ("in-house", "APAC", "SG"),
    "bpo_alpha_manila": ("alpha", "APAC", "PH"),
    "bpo_beta_cebu": ("beta", "APAC", "PH"),
    "bpo_gamma_hyderabad": ("gamma", "APAC", "IN"),
    "bpo_delta_bogota": ("delta", "AMER", "CO"),
}

#: Market -> share of volume.
MARKETS: dict[str, float] = {"US": 0.22, "BR": 0.13, "IN": 0.14, "ID": 0.10, "DE": 0.08,
                             "MX": 0.09, "PH": 0.09, "NG": 0.07, "FR": 0.08}

#: Error reasons with base weights; new hires add weight to ``policy_misread``.
ERROR_REASONS: dict[str, float] = {
    "policy_misread": 0.26, "missed_context": 0.22, "language_gap": 0.12,
    "satire_misjudged": 0.10, "guideline_gap": 0.12, "fatigue": 0.10, "tooling_issue": 0.08,
}

COMMENTS = (
    "Borderline case; escalated to policy.",
    'Quote was "satire", not an attack.',
    "Context in the thread changes the meaning.",
    "Slur used in a reclaimed sense, see guideline 4.2.",
    "Moderator missed the image overlay text.",
    "Spam ring, same URL as yesterday's batch.",
    "Coded language – needs the glossary update.",
    "Agreed with moderator after second look,\nbut severity stays major.",
    "Local-language idiom; auditor is a native speaker.",
    "Policy changed on the 3rd; moderator used the old rule.",
)

#: The planted effects, relative to the last month of the generated range (offset 0 is the
#: last month, -2 two months before). ``generate(..., planted=False)`` switches them off.
PLANTED: dict[str, dict[str, Any]] = {
    "jump": {"site": "bpo_gamma_hyderabad", "queue": "harassment", "month_offset": -2,
             "error_rate_multiplier": 6.0},
    "mix_shift": {"site": "bpo_beta_cebu", "month_offset": 0, "volume_multiplier": 6.0,
                  "every_site_rate_multiplier": 0.85},
    "new_hires": {"tenure_days_below": 90, "error_rate_multiplier": 1.8},
    "lenient_raters": {"site": "bpo_beta_cebu", "miss_violation_probability": 0.45},
    "calibration_drift": {"site": "bpo_delta_bogota", "accuracy_loss_per_session": 0.02},
    "skewed_labels": {"no_violation_share": 0.88},
    "monthly_improvement": {"rate_multiplier_per_month": 0.985},
    "retraining": {"site": "inhouse_singapore", "month_offset": -2, "day": 3,
                   "error_rate_multiplier": 0.5},
}

#: Events of the ``events`` table besides the planted retraining, with no effect on the
#: data: (month offset, day, scope, scope value, kind, description).
NO_EFFECT_EVENTS: tuple[tuple[int, int, str, str, str, str], ...] = (
    (-1, 8, "queue", "spam", "guideline", "Spam guideline: link shorteners & redirects"),
    (-1, 21, "site", "bpo_delta_bogota", "vendor_change",
     "Vendor's <QA lead> replaced; same team"),
)

_EPOCH_DAY = np.datetime64("1970-01-01", "D")


def month_range(end_month: str, months: int) -> list[str]:
    """The ``months`` consecutive months ending with ``end_month`` ('YYYY-MM').

    >>> month_range("2026-02", 3)
    ['2025-12', '2026-01', '2026-02']
    """
    end = np.datetime64(end_month, "M")
    return [str(end - k) for k in range(months - 1, -1, -1)]


@dataclass(frozen=True)
class _Staff:
    moderator_id: np.ndarray  # str ids
    site: np.ndarray  # site index
    hire_day: np.ndarray  # days since epoch
    skill: np.ndarray  # error-rate multiplier


def _staff(rng: np.random.Generator, first_day: int, last_day: int) -> _Staff:
    site_names = list(SITES)
    per_site = [int(round(300 * SITES[s][2])) + 12 for s in site_names]
    site_idx = np.repeat(np.arange(len(site_names)), per_site)
    n = site_idx.size
    veteran = rng.random(n) < 0.75
    hire = np.where(veteran,
                    first_day - rng.integers(120, 1500, n),
                    rng.integers(first_day - 60, last_day - 20, n))
    skill = np.exp(rng.normal(0.0, 0.25, n))
    ids = np.array([f"M{i:04d}" for i in range(1, n + 1)])
    return _Staff(ids, site_idx, hire, skill)


def _month_days(month: str) -> tuple[int, int]:
    start = np.datetime64(month, "D")
    end = (np.datetime64(month, "M") + 1).astype("datetime64[D]")
    return int((start - _EPOCH_DAY).astype(int)), int((end - _EPOCH_DAY).astype(int))


def _volume_weights(month_index: int, n_months: int, planted: bool) -> np.ndarray:
    """Site x queue volume weights for one month (rows: sites, columns: queues)."""
    site_share = np.array([v[2] for v in SITES.values()])
    queue_share = np.array([0.17, 0.16, 0.08, 0.06, 0.18, 0.25, 0.10])
    w = np.outer(site_share, queue_share)
    if planted and month_index == n_months - 1 + int(PLANTED["mix_shift"]["month_offset"]):
        w[list(SITES).index(str(PLANTED["mix_shift"]["site"]))] *= float(
            PLANTED["mix_shift"]["volume_multiplier"])
    weights: np.ndarray = w / w.sum()
    return weights


def _mix_shift_growth(month_index: int, n_months: int, planted: bool) -> float:
    """Growth of total volume in the mix-shift month: the shifted site's volume is multiplied,
    the other sites keep theirs (1.0 in every other month)."""
    shift = PLANTED["mix_shift"]
    if not planted or month_index != n_months - 1 + int(shift["month_offset"]):
        return 1.0
    return 1.0 + SITES[str(shift["site"])][2] * (float(shift["volume_multiplier"]) - 1)


def _audits_for_month(rng: np.random.Generator, month: str, month_index: int, n_months: int,
                      n_audits: int, first_id: int, staff: _Staff, planted: bool,
                      typed_timestamps: bool) -> pa.Table:
    site_names, queue_names = list(SITES), list(QUEUES)
    weights = _volume_weights(month_index, n_months, planted)
    # Sampling noise of the audit mix around the volume mix.
    weights = rng.dirichlet(weights.ravel() * 4000).reshape(weights.shape)
    cell = rng.choice(weights.size, size=n_audits, p=weights.ravel())
    site, queue = np.divmod(cell, len(queue_names))
    market = rng.choice(len(MARKETS), size=n_audits, p=np.array(list(MARKETS.values())))

    day0, day1 = _month_days(month)
    seconds = rng.integers(day0 * 86400, day1 * 86400, n_audits)
    audit_day = seconds // 86400

    moderator = np.empty(n_audits, dtype=np.int64)
    for s in range(len(site_names)):
        rows = np.flatnonzero(site == s)
        pool = np.flatnonzero((staff.site == s) & (staff.hire_day <= day0))
        moderator[rows] = rng.choice(pool, size=rows.size)
    tenure = audit_day - staff.hire_day[moderator]

    base = np.array([v[0] for v in QUEUES.values()])[queue]
    site_mult = np.array([v[1] for v in SITES.values()])[site]
    rate = base * site_mult * staff.skill[moderator]
    if planted:
        rate *= float(PLANTED["monthly_improvement"]["rate_multiplier_per_month"]) ** month_index
        rate *= np.where(tenure < int(PLANTED["new_hires"]["tenure_days_below"]),
                         float(PLANTED["new_hires"]["error_rate_multiplier"]), 1.0)
        jump = PLANTED["jump"]
        if month_index == n_months - 1 + int(jump["month_offset"]):
            hit = (site == site_names.index(str(jump["site"]))) & (
                queue == queue_names.index(str(jump["queue"])))
            rate = np.where(hit, rate * float(jump["error_rate_multiplier"]), rate)
        if month_index == n_months - 1 + int(PLANTED["mix_shift"]["month_offset"]):
            rate *= float(PLANTED["mix_shift"]["every_site_rate_multiplier"])
        retraining = PLANTED["retraining"]
        if month_index >= n_months - 1 + int(retraining["month_offset"]):
            rate = np.where(site == site_names.index(str(retraining["site"])),
                            rate * float(retraining["error_rate_multiplier"]), rate)
    else:
        rate *= 1.3  # the null world: no planted effects, a comparable overall level
    is_error = rng.random(n_audits) < np.clip(rate, 0.0, 0.9)

    labels = np.array(queue_names + [NO_VIOLATION])
    nv = len(queue_names)
    prevalence = np.array([v[1] for v in QUEUES.values()])[queue]
    violating = rng.random(n_audits) < prevalence
    other_policy = (queue + rng.integers(1, nv, n_audits)) % nv
    truth = np.where(violating, np.where(rng.random(n_audits) < 0.9, queue, other_policy), nv)
    wrong_policy = (truth + rng.integers(1, nv, n_audits)) % nv
    under = rng.random(n_audits) < 0.65
    moderator_label = np.where(
        ~is_error, truth,
        np.where(truth == nv, queue, np.where(under, nv, wrong_policy)))

    disputed = is_error & (rng.random(n_audits) < 0.15)
    overturned = disputed & (rng.random(n_audits) < 0.3)
    dispute = np.where(overturned, "overturned", np.where(disputed, "upheld", "none"))

    new_hire = tenure < 90
    reason_names = np.array(list(ERROR_REASONS))
    reason_p = np.array(list(ERROR_REASONS.values()))
    reason_new = reason_p.copy()
    reason_new[0] += 0.25
    reason = np.where(new_hire,
                      rng.choice(reason_names.size, n_audits, p=reason_new / reason_new.sum()),
                      rng.choice(reason_names.size, n_audits, p=reason_p))
    high_harm = np.isin(queue, [queue_names.index("minor_safety"),
                                queue_names.index("violent_extremism")])
    sev_draw = rng.random(n_audits)
    critical_cut = np.where(high_harm, 0.20, 0.05)
    severity = np.where(sev_draw < critical_cut, "critical",
                        np.where(sev_draw < critical_cut + 0.40, "major", "minor"))

    aht = np.array([v[2] for v in QUEUES.values()])[queue]
    handle = aht * np.exp(rng.normal(-0.1, 0.45, n_audits)) * np.where(new_hire, 1.3, 1.0) \
        * np.where(np.array([v[0] for v in SITES.values()])[site] == "bpo", 0.85, 1.0)

    has_comment = rng.random(n_audits) < np.where(is_error, 0.35, 0.03)
    comment = np.array(COMMENTS)[rng.integers(0, len(COMMENTS), n_audits)]

    ts = pa.array(seconds, type=pa.timestamp("s"))
    utc_text = pc.strftime(ts, format="%Y-%m-%dT%H:%M:%SZ")
    offsets = np.array([v[4] for v in SITES.values()])[site]
    off_sign = np.where(np.char.startswith(offsets, "-"), -1, 1)
    off_h = np.char.partition(np.char.lstrip(offsets, "+-"), ":")
    off_seconds = off_sign * (off_h[:, 0].astype(int) * 3600 + off_h[:, 2].astype(int) * 60)
    local = pc.strftime(pa.array(seconds + off_seconds, type=pa.timestamp("s")),
                        format="%Y-%m-%dT%H:%M:%S")
    local_text = pc.binary_join_element_wise(local, pa.array(offsets), "")
    use_offset = rng.random(n_audits) < 0.15
    audited_at = pc.if_else(pa.array(use_offset), local_text, utc_text)
    if typed_timestamps:  # Parquet exports carry a real UTC timestamp type
        audited_at = pa.array(seconds, type=pa.timestamp("s", tz="UTC"))

    ids = np.arange(first_id, first_id + n_audits)
    error_fields = is_error | overturned
    return pa.table({
        "audit_id": pc.binary_join_element_wise(
            "A", pc.utf8_lpad(pc.cast(pa.array(ids), pa.string()), 9, "0"), ""),
        "audited_at": audited_at,
        "item_id": pc.binary_join_element_wise(
            "I", pc.cast(pa.array(rng.integers(10**8, 10**9, n_audits)), pa.string()), ""),
        "queue": pa.array(np.array(queue_names)[queue]),
        "market": pa.array(np.array(list(MARKETS))[market]),
        "site": pa.array(np.array(site_names)[site]),
        "site_type": pa.array(np.array([v[0] for v in SITES.values()])[site]),
        "moderator_id": pa.array(staff.moderator_id[moderator]),
        "moderator_tenure_days": pa.array(tenure),
        "auditor_id": pa.array(np.array([f"Q{i:03d}" for i in range(1, 26)])[
            rng.integers(0, 25, n_audits)]),
        "moderator_decision": pa.array(labels[moderator_label]),
        "auditor_decision": pa.array(labels[truth]),
        "error_reason": pa.array(np.where(error_fields, reason_names[reason], None)),  # type: ignore[call-overload]
        "severity": pa.array(np.where(error_fields, severity, None)),  # type: ignore[call-overload]
        "handle_time_s": pa.array(np.round(handle, 1)),
        "dispute_status": pa.array(dispute),
        "comment": pa.array(np.where(has_comment, comment, None)),  # type: ignore[call-overload]
    })


def _calibration(rng: np.random.Generator, months: list[str], staff: _Staff,
                 planted: bool) -> pa.Table:
    site_names, queue_names = list(SITES), list(QUEUES)
    nv_share = float(PLANTED["skewed_labels"]["no_violation_share"]) if planted else 0.6
    lenient_site = site_names.index(str(PLANTED["lenient_raters"]["site"]))
    drift_site = site_names.index(str(PLANTED["calibration_drift"]["site"]))
    rows: dict[str, list[object]] = {c: [] for c in TABLES["calibration"].names}
    session_no = 0
    for m_i, month in enumerate(months):
        day0, _ = _month_days(month)
        for k in range(2 if m_i % 3 == 2 else 1):
            session_no += 1
            session = f"CAL-{month}-{'ab'[k]}"
            date = str(np.datetime64(day0 + 6 + 14 * k, "D"))
            n_items = int(rng.integers(20, 31))
            queue = rng.integers(0, len(queue_names), n_items)
            gold_violates = rng.random(n_items) > nv_share
            gold = np.where(gold_violates, np.array(queue_names)[queue], NO_VIOLATION)
            n_raters = int(rng.integers(15, 26))
            eligible = np.flatnonzero(staff.hire_day <= day0)
            raters = rng.choice(eligible, size=n_raters, replace=False)
            experts = [("E01", "policy_hq")] if session_no % 2 else [("E02", "policy_hq")]
            for item in range(n_items):
                item_id = f"C{session_no:03d}-{item + 1:02d}"
                for rater_id, rater_site in experts:
                    _append(rows, session, date, item_id, queue_names[queue[item]], rater_id,
                            "expert", rater_site, gold[item])
                for r in raters:
                    accuracy = 0.93 - 0.06 * (staff.skill[r] - 1.0)
                    if planted and staff.site[r] == drift_site:
                        accuracy -= float(PLANTED["calibration_drift"][
                            "accuracy_loss_per_session"]) * session_no
                    label = gold[item]
                    if gold_violates[item]:
                        miss = 1.0 - accuracy
                        if planted and staff.site[r] == lenient_site:
                            miss = float(PLANTED["lenient_raters"]["miss_violation_probability"])
                        if rng.random() < miss:
                            label = NO_VIOLATION
                    elif rng.random() < (1.0 - accuracy) * 0.5:
                        label = queue_names[queue[item]]
                    role = "auditor" if r % 9 == 0 else "moderator"
                    _append(rows, session, date, item_id, queue_names[queue[item]],
                            str(staff.moderator_id[r]), role, site_names[staff.site[r]], label)
    return pa.table(rows)


def _append(rows: dict[str, list[object]], *values: object) -> None:
    for key, value in zip(rows, values, strict=True):
        rows[key].append(value)


def _volumes(rng: np.random.Generator, months: list[str], planted: bool) -> pa.Table:
    site_names, queue_names = list(SITES), list(QUEUES)
    rows: dict[str, list[Any]] = {c: [] for c in TABLES["volumes"].names
                                  if c not in {o.name for o in VOLUMES_OPERATIONS}}
    for m_i, month in enumerate(months):
        w = _volume_weights(m_i, len(months), planted)
        total = 2_400_000 * (1 + 0.01 * m_i) * float(np.exp(rng.normal(0, 0.03)))
        total *= _mix_shift_growth(m_i, len(months), planted)
        items = np.round(w * total * np.exp(rng.normal(0, 0.02, w.shape))).astype(int)
        for s, site in enumerate(site_names):
            site_type, _, _, hourly, _ = SITES[site]
            for q, queue in enumerate(queue_names):
                aht = QUEUES[queue][2] * (0.85 if site_type == "bpo" else 1.0)
                hours = items[s, q] * aht / 3600 / 0.82
                rows["month"].append(month)
                rows["site"].append(site)
                rows["queue"].append(queue)
                rows["items_handled"].append(int(items[s, q]))
                rows["productive_hours"].append(round(float(hours), 1))
                rows["headcount"].append(round(float(hours / 138), 1))
                rows["cost"].append(round(float(hours * hourly / 0.82), 2))
                rows["currency"].append("USD")
    return pa.table(rows)


def _targets(months: list[str]) -> pa.Table:
    # The sample's targets are given: the optional ``method`` column is not written.
    rows: dict[str, list[object]] = {c: [] for c in TABLES["targets"].names if c != "method"}

    def add(metric: str, scope: str, value: str | None, month: str, target: float,
            direction: str) -> None:
        for key, v in zip(rows, (metric, scope, value, month, target, direction), strict=True):
            rows[key].append(v)

    for month in months:
        add("accuracy", "org", None, month, 0.955, "higher_is_better")
        add("critical_error_rate", "org", None, month, 0.004, "lower_is_better")
        add("calibration_accuracy", "org", None, month, 0.85, "higher_is_better")
        add("handle_time_s", "org", None, month, 55.0, "lower_is_better")
        add("cost_per_item", "org", None, month, 0.30, "lower_is_better")
        for site, (site_type, *_rest) in SITES.items():
            add("accuracy", "site", site, month, 0.965 if site_type == "in_house" else 0.95,
                "higher_is_better")
        for site, (site_type, *_rest) in SITES.items():  # each site's own cost budget
            add("cost_per_item", "site", site, month,
                0.90 if site_type == "in_house" else 0.25, "lower_is_better")
        for queue in QUEUES:
            add("accuracy", "queue", queue, month, 0.95, "higher_is_better")
    return pa.table(rows)


def _sites() -> pa.Table:
    """The sites reference table: type, vendor, region and one extra attribute (country)."""
    names = list(SITES)
    return pa.table({"site": names, "site_type": [SITES[s][0] for s in names],
                     "vendor": [SITE_ATTRIBUTES[s][0] for s in names],
                     "region": [SITE_ATTRIBUTES[s][1] for s in names],
                     "country": [SITE_ATTRIBUTES[s][2] for s in names]})


def _events(months: list[str]) -> pa.Table:
    """The planted retraining (its effect is planted only when ``planted``) and the
    no-effect events, those whose month is in ``months``."""
    r = PLANTED["retraining"]
    events = [(int(r["month_offset"]), int(r["day"]), "site", str(r["site"]), "training",
               "Retraining on the harassment and hate-speech policies")]
    rows: dict[str, list[str | None]] = {c: [] for c in TABLES["events"].names}
    for offset, day, scope, value, kind, text in sorted([*events, *NO_EFFECT_EVENTS]):
        if -offset < len(months):
            for key, v in zip(rows, (f"{months[len(months) - 1 + offset]}-{day:02d}", scope,
                                     value or None, kind, text), strict=True):
                rows[key].append(v)
    return pa.table(rows, schema=pa.schema([(c, pa.string()) for c in rows]))


def _write(table: pa.Table, path: Path, fmt: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        pq.write_table(table, path, compression="zstd")
    else:
        _write_csv(table, path)
    return path


def _write_csv(table: pa.Table, path: Path) -> None:
    """CSV with quotes only where a value needs them (DuckDB's writer; Arrow quotes every
    string), rows in order."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads = 1")
    con.register("generated", table)
    con.execute(f"COPY generated TO '{str(path).replace(chr(39), chr(39) * 2)}' "
                "(HEADER, DELIMITER ',')")
    con.close()


#: Audits generated (and held in memory) at once: a larger month is written in parts of
#: at most this many rows, each from its own seeded stream, so memory stays near 1.5 GB
#: whatever the month's size (10M audits in one month included).
PART_ROWS = 1_000_000


def _month_parts(month_rng: np.random.Generator, seed: int, month_index: int,
                 n: int) -> list[tuple[np.random.Generator, int]]:
    """Random streams and row counts of a month's parts: the month's own stream when it
    fits in one part (so smaller data keeps its bytes), else one stream per part."""
    if n <= PART_ROWS:
        return [(month_rng, n)]
    sizes = [PART_ROWS] * (n // PART_ROWS) + ([n % PART_ROWS] if n % PART_ROWS else [])
    return [(np.random.default_rng([seed, month_index, k]), size)
            for k, size in enumerate(sizes)]


def generate(out_dir: str | os.PathLike[str], *, months: int = 15, audits_per_month: int = 2000,
             seed: int = 1, end_month: str = "2026-10", fmt: str = "csv",
             partition_by_month: bool = False, planted: bool = True) -> dict[str, Path]:
    """Write the tables of a simulated QA organisation into ``out_dir``.

    Parameters
    ----------
    out_dir : path
        Destination folder (created). Existing files of the tables are replaced.
    months : int
        Number of consecutive months, ending with ``end_month`` (at least 13 for
        year-over-year comparisons).
    audits_per_month : int
        Audits per month (on average; the monthly count varies by a few percent).
    seed : int
        Random seed; the same seed gives the same bytes.
    end_month : str
        Last month, 'YYYY-MM'.
    fmt : {"csv", "parquet"}
        File format.
    partition_by_month : bool
        Write audits as hive partitions ``audits/month=YYYY-MM/part-<k>.<ext>`` (one part
        per :data:`PART_ROWS` audits).
    planted : bool
        Plant the documented effects (:data:`PLANTED`); False gives a null world in which
        no segment differs from its expectation beyond noise of site and queue levels.

    Returns
    -------
    dict
        Table name -> written path (file or folder).
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt: expected 'csv' or 'parquet', got {fmt!r}")
    if months < 1 or audits_per_month < 1:
        raise ValueError("months and audits_per_month must be at least 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ext = "parquet" if fmt == "parquet" else "csv"
    for name in TABLES:
        for stale in (out / f"{name}.csv", out / f"{name}.parquet"):
            stale.unlink(missing_ok=True)
    month_list = month_range(end_month, months)
    rng = np.random.default_rng(seed)
    first_day, _ = _month_days(month_list[0])
    _, last_day = _month_days(month_list[-1])
    staff = _staff(rng, first_day, last_day)

    paths: dict[str, Path] = {}
    audits_dir = out / "audits"
    if audits_dir.is_dir():
        import shutil

        shutil.rmtree(audits_dir)
    writer: pq.ParquetWriter | None = None
    csv_parts: list[pa.Table] = []
    next_id = 1
    for m_i, month in enumerate(month_list):
        month_rng = np.random.default_rng([seed, m_i])
        n = int(round(audits_per_month * float(np.exp(month_rng.normal(0, 0.04)))))
        # The audit budget follows volume: the shifted site's extra volume adds audits.
        n = int(n * _mix_shift_growth(m_i, months, planted))
        for part, (part_rng, part_n) in enumerate(_month_parts(month_rng, seed, m_i, n)):
            table = audit_projects(_audits_for_month(
                part_rng, month, m_i, months, part_n, next_id, staff, planted,
                typed_timestamps=fmt == "parquet"))
            next_id += part_n
            if partition_by_month:
                _write(table, audits_dir / f"month={month}" / f"part-{part}.{ext}", fmt)
            elif fmt == "csv":
                csv_parts.append(table)
            else:
                # Parquet is the large-data format: write part by part to bound memory.
                writer = writer or pq.ParquetWriter(out / "audits.parquet", table.schema,
                                                    compression="zstd")
                writer.write_table(table)
    if writer is not None:
        writer.close()
    paths["audits"] = (audits_dir if partition_by_month else
                       _write(pa.concat_tables(csv_parts), out / "audits.csv", fmt)
                       if fmt == "csv" else out / "audits.parquet")
    paths["calibration"] = _write(_calibration(rng, month_list, staff, planted),
                                  out / f"calibration.{ext}", fmt)
    paths["targets"] = _write(_targets(month_list), out / f"targets.{ext}", fmt)
    paths["sites"] = _write(_sites(), out / f"sites.{ext}", fmt)
    events = _events(month_list)
    if events.num_rows:  # a window before the first event has no events file (optional)
        paths["events"] = _write(events, out / f"events.{ext}", fmt)
    operations = operations_tables(_volumes(rng, month_list, planted), month_list, seed=seed,
                                   sites={s: (v[0], v[3]) for s, v in SITES.items()},
                                   planted=planted)
    paths.update({name: _write(table, out / f"{name}.{ext}", fmt)
                  for name, table in operations.items()})
    return paths
