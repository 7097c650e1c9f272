"""The agreement coefficients the suite reports side by side: one registry with each
coefficient's key, display name, what it measures and the function that estimates it.

Adding a coefficient touches this registry (one :class:`Coefficient` line) and the module
that computes it; :func:`qa_insights.agreement.table.agreement_table`, the calibration
report and the MQR read the registry.

Examples
--------
>>> list(COEFFICIENTS)
['percent_agreement', 'fleiss_kappa', 'gwet_ac1', 'krippendorff_alpha', 'brennan_prediger']
>>> COEFFICIENTS["gwet_ac1"].name
"Gwet's AC1"
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from qa_insights.agreement.fleiss import fleiss_kappa_ci
from qa_insights.agreement.gwet import brennan_prediger_ci, gwet_ac1_ci, percent_agreement_ci
from qa_insights.agreement.kappa import AgreementEstimate
from qa_insights.agreement.krippendorff_alpha import krippendorff_alpha_ci

__all__ = ["COEFFICIENTS", "Coefficient", "coefficient_name"]


@dataclass(frozen=True)
class Coefficient:
    """One agreement coefficient.

    Attributes
    ----------
    key : str
        Stable identifier (used in code and tables' lookups).
    name : str
        Display name; equal to the ``coefficient`` its estimate carries.
    meaning : str
        What it measures, in a reader's words.
    estimate : callable
        ``estimate(ratings, categories=..., confidence=...)`` -> :class:`AgreementEstimate`
        with an interval.
    percent : bool
        Shown as a percentage (a share) rather than a coefficient.
    """

    key: str
    name: str
    meaning: str
    estimate: Callable[..., AgreementEstimate]
    percent: bool = False


def _registry(*items: Coefficient) -> dict[str, Coefficient]:
    return {c.key: c for c in items}


#: The coefficients, in the order reports show them.
COEFFICIENTS: dict[str, Coefficient] = _registry(
    Coefficient("percent_agreement", "percent agreement",
                "share of rater pairs giving the same label", percent_agreement_ci,
                percent=True),
    Coefficient("fleiss_kappa", "Fleiss' kappa",
                "agreement beyond chance; low when one label dominates", fleiss_kappa_ci),
    Coefficient("gwet_ac1", "Gwet's AC1",
                "agreement beyond chance, robust to a dominant label", gwet_ac1_ci),
    Coefficient("krippendorff_alpha", "Krippendorff's alpha (nominal)",
                "like kappa; handles missing ratings", krippendorff_alpha_ci),
    Coefficient("brennan_prediger", "Brennan-Prediger",
                "agreement beyond chance with all labels equally likely", brennan_prediger_ci),
)


def coefficient_name(key: str) -> str:
    """Display name of coefficient ``key``.

    Examples
    --------
    >>> coefficient_name("fleiss_kappa")
    "Fleiss' kappa"
    """
    return COEFFICIENTS[key].name
