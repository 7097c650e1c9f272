"""qa-insights: content-moderation QA analytics with honest statistics.

The analyst's everyday functions are importable from the package root; every other name
lives in the module of its concern, one import path each (see docs/ARCHITECTURE.md)::

    import qa_insights as qa
    store = qa.open_store("data_samples")
    qa.quality_summary(store, by=["site"], filters={"month": "2026-10"})
    qa.laney_p_chart(qa.rate_series(store, by=["site"]), by=["site"])
    qa.explain_change(store, "2026-10", by=["site"])
    qa.rater_accuracy(qa.load_calibration(store))

Subpackages, lowest layer first: ``data`` (contract, reading, validation, stores, the counts
query), ``stats``, ``quality``, ``agreement``, ``calibration``, ``rca``, ``business``,
``present``, ``reports``; ``cli`` on top. A layer imports only from layers below it.
"""

from __future__ import annotations

from qa_insights.agreement.consensus import dawid_skene, majority_vote
from qa_insights.agreement.fleiss import fleiss_kappa
from qa_insights.agreement.gwet import brennan_prediger, gwet_ac1, percent_agreement
from qa_insights.agreement.kappa import cohen_kappa
from qa_insights.agreement.krippendorff_alpha import krippendorff_alpha
from qa_insights.agreement.table import agreement_table, bootstrap_ci
from qa_insights.business.cascade import cascade_target
from qa_insights.business.costs import (
    cost_by_site,
    cost_change,
    cost_tradeoff,
    efficiency,
    unit_economics,
)
from qa_insights.business.targets import month_end_projection, target_attainment
from qa_insights.business.whatif import change_audit_rate, move_volume
from qa_insights.calibration.load import load_calibration
from qa_insights.calibration.raters import drift_trend, rater_accuracy
from qa_insights.calibration.sessions import hardest_items, session_agreement
from qa_insights.data.errors import DataError
from qa_insights.data.opening import open_store
from qa_insights.data.protocol import Store
from qa_insights.data.queries import audit_counts
from qa_insights.present.findings import change_findings, findings_table
from qa_insights.present.privacy import pseudonymise, pseudonymise_columns
from qa_insights.quality.metrics import quality_summary, summarise_counts
from qa_insights.quality.trends import month_over_month, rate_series, year_over_year
from qa_insights.rca.change import explain_change, reason_mix_change, reason_pareto
from qa_insights.rca.clustering import cluster_profiles, error_profiles
from qa_insights.rca.comparisons import association, compare_values, pairwise_rates
from qa_insights.rca.drivers import driver_cells, logistic_drivers
from qa_insights.stats.control_charts import laney_p_chart, p_chart, run_rules
from qa_insights.stats.experiments import ab_test, difference_in_differences
from qa_insights.stats.proportions import compare_proportions, newcombe_interval, wilson_interval
from qa_insights.stats.sampling import (
    neyman_allocation,
    sample_size,
    sample_size_per_arm,
    stratified_error_rate,
)
from qa_insights.stats.shrinkage import coaching_list, moderator_error_rates, shrink_rates

__version__ = "0.1.0"

__all__ = [
    "DataError",
    "Store",
    "__version__",
    "ab_test",
    "agreement_table",
    "association",
    "audit_counts",
    "bootstrap_ci",
    "brennan_prediger",
    "cascade_target",
    "change_audit_rate",
    "change_findings",
    "cluster_profiles",
    "coaching_list",
    "cohen_kappa",
    "compare_proportions",
    "compare_values",
    "cost_by_site",
    "cost_change",
    "cost_tradeoff",
    "dawid_skene",
    "difference_in_differences",
    "drift_trend",
    "driver_cells",
    "efficiency",
    "error_profiles",
    "explain_change",
    "findings_table",
    "fleiss_kappa",
    "gwet_ac1",
    "hardest_items",
    "krippendorff_alpha",
    "laney_p_chart",
    "load_calibration",
    "logistic_drivers",
    "majority_vote",
    "moderator_error_rates",
    "month_end_projection",
    "month_over_month",
    "move_volume",
    "newcombe_interval",
    "neyman_allocation",
    "open_store",
    "p_chart",
    "pairwise_rates",
    "percent_agreement",
    "pseudonymise",
    "pseudonymise_columns",
    "quality_summary",
    "rate_series",
    "rater_accuracy",
    "reason_mix_change",
    "reason_pareto",
    "run_rules",
    "sample_size",
    "sample_size_per_arm",
    "session_agreement",
    "shrink_rates",
    "stratified_error_rate",
    "summarise_counts",
    "target_attainment",
    "unit_economics",
    "wilson_interval",
    "year_over_year",
]
