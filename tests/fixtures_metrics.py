"""Shared helpers of the metrics / trends / shrinkage / sampling tests: small random audit
tables that satisfy the data contract, written as CSV into a temporary folder and opened
with :func:`qa_insights.data.opening.open_store`, plus a plain-pandas reference of every count
(computed row by row, independently of the SQL in :mod:`qa_insights.quality.metrics`).

Import with ``from tests.fixtures_metrics import ...``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from qa_insights.data.opening import open_store
from qa_insights.data.protocol import Store

LABELS = ("no_violation", "hate_speech", "spam", "harassment")
SITES = ("inhouse_dublin", "bpo_alpha_manila", "bpo_beta_cebu")
SITE_TYPE = {"inhouse_dublin": "in_house", "bpo_alpha_manila": "bpo", "bpo_beta_cebu": "bpo"}
QUEUES = ("hate_speech", "spam")
MARKETS = ("US", "BR")


def random_audits(seed: int, n: int = 600, months: tuple[str, ...] = ("2026-09", "2026-10"),
                  error_p: float = 0.25, n_moderators: int = 12) -> pd.DataFrame:
    """Random contract-valid audits with every error type, severity and dispute outcome."""
    rng = np.random.default_rng(seed)
    month = rng.choice(months, n)
    day = rng.integers(1, 29, n)
    mod = rng.choice(LABELS, n, p=[0.5, 0.2, 0.2, 0.1])
    wrong = rng.random(n) < error_p
    other = np.array([rng.choice([lab for lab in LABELS if lab != m]) for m in mod])
    aud = np.where(wrong, other, mod)
    severity = np.where(wrong, rng.choice(["critical", "major", "minor", ""], n), "")
    dispute = np.where(wrong, rng.choice(["none", "upheld", "overturned", ""], n,
                                         p=[0.6, 0.2, 0.15, 0.05]),
                       rng.choice(["none", "upheld", ""], n, p=[0.8, 0.1, 0.1]))
    tenure = rng.integers(0, 1200, n).astype(object)
    tenure[rng.random(n) < 0.1] = ""
    site = rng.choice(SITES, n)
    return pd.DataFrame({
        "audit_id": [f"A{seed}-{i:05d}" for i in range(n)],
        "audited_at": [f"{m}-{d:02d}T{h:02d}:15:00Z" for m, d, h in
                       zip(month, day, rng.integers(0, 24, n))],
        "queue": rng.choice(QUEUES, n),
        "market": rng.choice(MARKETS, n),
        "site": site,
        "site_type": [SITE_TYPE[s] for s in site],
        "moderator_id": rng.choice([f"M{i:03d}" for i in range(n_moderators)], n),
        "moderator_tenure_days": tenure,
        "moderator_decision": mod,
        "auditor_decision": aud,
        "error_reason": np.where(wrong, rng.choice(["fatigue", "policy_misread"], n), ""),
        "severity": severity,
        "dispute_status": dispute,
    })


def store_from(tmp_path: Path, audits: pd.DataFrame,
               volumes: pd.DataFrame | None = None) -> Store:
    """Write ``audits`` (and ``volumes``) as CSV into ``tmp_path`` and open the store."""
    audits.to_csv(tmp_path / "audits.csv", index=False)
    if volumes is not None:
        volumes.to_csv(tmp_path / "volumes.csv", index=False)
    store = open_store(tmp_path, threads=1)
    assert store.validation.clean, store.validation.summary()
    return store


def reference_counts(audits: pd.DataFrame) -> pd.DataFrame:
    """Per-row indicators computed in plain Python from the raw strings (the test oracle)."""
    rows = []
    for r in audits.itertuples(index=False):
        overturned = r.dispute_status == "overturned"
        truth = r.moderator_decision if overturned else r.auditor_decision
        error = r.moderator_decision != r.auditor_decision and not overturned
        actioned = r.moderator_decision != "no_violation"
        violating = truth != "no_violation"
        rows.append({
            "month": r.audited_at[:7],
            "n_audits": 1,
            "n_errors": int(error),
            "n_false_positive": int(error and actioned and not violating),
            "n_false_negative": int(error and not actioned and violating),
            "n_wrong_policy": int(error and actioned and violating),
            "n_actioned": int(actioned),
            "n_violating": int(violating),
            "n_actioned_violating": int(actioned and violating),
            "n_critical": int(error and r.severity == "critical"),
            "n_major": int(error and r.severity == "major"),
            "n_minor": int(error and r.severity == "minor"),
            "n_findings": int(r.moderator_decision != r.auditor_decision),
            "n_disputed": int(r.moderator_decision != r.auditor_decision
                                  and r.dispute_status in ("upheld", "overturned")),
            "n_overturned": int(overturned),
        })
    return pd.concat([audits.reset_index(drop=True), pd.DataFrame(rows)], axis=1)
