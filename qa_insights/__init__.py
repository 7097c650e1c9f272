"""qa-insights: content-moderation QA analytics with honest statistics.

Everything an analyst needs is one attribute away, imported on first use so that
``import qa_insights`` stays fast::

    import qa_insights as qa
    store = qa.open_store("data_samples")
    qa.quality_summary(store, by=["site"], month="2026-10")
    qa.laney_p_chart(qa.rate_series(store, by=["site"]), by=["site"])
    qa.explain_change(store, "2026-10", by=["site"])
    qa.rater_accuracy(qa.load_calibration(store))

The modules (``qa_insights.metrics``, ``.trends``, ``.calibration``, ``.rca``, ``.lmdi``,
...) hold the rest; each has its own ``__all__``. Names that are also module names
(``lmdi``, ``ratings_matrix``) are imported from their module.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public name -> module that defines it.
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(["open_store", "DataError", "Store"], "store"),
    **dict.fromkeys(["quality_summary", "audit_counts", "summarise_counts"], "metrics"),
    **dict.fromkeys(["wilson_interval", "newcombe_interval", "compare_proportions"],
                    "proportions"),
    **dict.fromkeys(["rate_series", "month_over_month", "year_over_year"], "trends"),
    **dict.fromkeys(["p_chart", "laney_p_chart", "run_rules"], "control_charts"),
    **dict.fromkeys(["shrink_rates", "coaching_list", "moderator_error_rates"], "shrinkage"),
    **dict.fromkeys(["pseudonymise", "pseudonymise_columns"], "privacy"),
    **dict.fromkeys(["sample_size", "neyman_allocation", "stratified_error_rate"], "sampling"),
    **dict.fromkeys(["percent_agreement", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha",
                     "gwet_ac1", "brennan_prediger", "agreement_table", "bootstrap_ci"],
                    "agreement"),
    **dict.fromkeys(["load_calibration", "rater_accuracy",
                     "session_agreement", "hardest_items", "drift_trend"], "calibration"),
    **dict.fromkeys(["majority_vote", "dawid_skene"], "consensus"),
    **dict.fromkeys(["explain_change", "reason_pareto", "reason_mix_change"], "rca"),
    **dict.fromkeys(["association", "pairwise_rates", "compare_values"], "comparisons"),
    **dict.fromkeys(["logistic_drivers", "driver_cells"], "drivers"),
    **dict.fromkeys(["error_profiles", "cluster_profiles"], "clustering"),
    **dict.fromkeys(["ab_test", "sample_size_per_arm", "difference_in_differences"],
                    "experiments"),
    **dict.fromkeys(["change_findings", "findings_table"], "findings"),
    **dict.fromkeys(["target_attainment", "month_end_projection"], "targets"),
    "cascade_target": "cascade",
    **dict.fromkeys(["cost_by_site", "cost_change", "unit_economics", "efficiency",
                     "cost_tradeoff"], "costs"),
    **dict.fromkeys(["move_volume", "change_audit_rate"], "whatif"),
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'qa_insights' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"qa_insights.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
