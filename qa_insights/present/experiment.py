"""The plain-language verdict of an experiment readout.

An effect is claimed only when the difference-in-differences is significant; a
non-significant result is reported as "no detectable effect" with the smallest effect the
design could detect, never as "no effect". A significant result whose pre-period trends
were not parallel is "inconclusive", because the estimate may carry the earlier trend.

Examples
--------
>>> from qa_insights.stats.experiments import DiD
>>> d = DiD(0.05, 0.05, 0.04, 0.04, 0.0, 0.005, -0.0098, 0.0098, 0.0, 1.0, False)
>>> experiment_verdict(d, None, 0.014)[0]
'Verdict: no detectable effect on the error rate (+0.00 pts, p > 0.99); the design could detect 1.4 pts with 80% power, so a smaller effect is not ruled out.'
"""

from __future__ import annotations

import math

import pandas as pd

from qa_insights.present.findings import did_finding, format_p, format_pts
from qa_insights.stats.experiment_design import Trends
from qa_insights.stats.experiments import DiD

__all__ = ["experiment_verdict", "preregistration"]

_GUARD_NAMES = {"critical_error_rate": "critical-error rate",
                "handle_time_s": "mean handle time"}


def preregistration(mde: float, *, power: float = 0.8) -> str:
    """The design's minimum detectable effect, stated before the result.

    Examples
    --------
    >>> preregistration(0.0123)
    'Before the result: with the audits this design gives, a change of 1.2 pts in the error rate is detected with 80% power; smaller changes may go unseen.'
    """
    if not math.isfinite(mde):
        return ("Before the result: this design has too few audits to detect any change in "
                f"the error rate with {power:.0%} power.")
    return (f"Before the result: with the audits this design gives, a change of "
            f"{format_pts(mde * 100)} pts in the error rate is detected with {power:.0%} "
            "power; smaller changes may go unseen.")


def _guardrail(row: pd.Series) -> str:
    name = _GUARD_NAMES.get(row["guardrail"], str(row["guardrail"]))
    seconds = row["guardrail"] == "handle_time_s"

    def amount(x: float, sign: bool = False) -> str:
        return f"{x:+.1f} s" if seconds and sign else (
            f"{abs(x):.1f} s" if seconds else f"{format_pts(x * 100, sign)} pts")

    if row["significant"]:
        word = "rose" if row["estimate"] > 0 else "fell"
        return (f"Guardrail: the {name} {word} {amount(row['estimate'])} more in the treated "
                f"group than in the control (95% CI {amount(row['ci_low'], True)} to "
                f"{amount(row['ci_high'], True)}, {format_p(row['p_value'])}).")
    return (f"Guardrail: no significant change in the {name} relative to the control "
            f"({amount(row['estimate'], True)}, {format_p(row['p_value'])}).")


def experiment_verdict(did: DiD, trends: Trends | None, mde: float,
                       guardrails: pd.DataFrame | None = None, *,
                       treated: str = "The treated group",
                       control: str = "the control group") -> list[str]:
    """Sentences of the readout, the verdict first.

    Parameters
    ----------
    did : DiD
        The error rate's difference-in-differences.
    trends : Trends or None
        The pre-period check (None: too few months to check).
    mde : float
        The design's minimum detectable DiD (rate units).
    guardrails : DataFrame, optional
        Rows of :attr:`qa_insights.business.experiment.Readout.guardrails`.
    treated, control : str
        Names of the groups in the sentences.

    Returns
    -------
    list of str
        Verdict, the estimate, the trends check, then one sentence per guardrail.
    """
    if not did.significant:
        detect = (f"the design could detect {format_pts(mde * 100)} pts with 80% power"
                  if math.isfinite(mde) else "the design had too few audits to detect any")
        verdict = (f"Verdict: no detectable effect on the error rate "
                   f"({format_pts(did.estimate * 100, True)} pts, {format_p(did.p_value)}); "
                   f"{detect}, so a smaller effect is not ruled out.")
    elif trends is not None and not trends.parallel:
        verdict = ("Verdict: inconclusive. The error rate changed relative to the control, "
                   "but the groups were already moving apart before the change, so the "
                   "estimate may carry that earlier trend.")
    else:
        word = "lowered" if did.estimate < 0 else "raised"
        verdict = (f"Verdict: the change {word} the error rate by "
                   f"{format_pts(did.estimate * 100)} pts relative to the control "
                   f"(95% CI {format_pts(did.ci_low * 100, True)} to "
                   f"{format_pts(did.ci_high * 100, True)} pts).")
    out = [verdict, did_finding(did, treated=treated, control=control).sentence]
    if trends is None:
        out.append("Fewer than 3 months before the change: parallel trends cannot be checked.")
    elif trends.parallel:
        out.append(f"Before the change the two groups' error rates moved alike: the slopes "
                   f"differ by {format_pts(trends.difference * 100, True)} pts a month, "
                   f"not significantly ({format_p(trends.p_value)}).")
    else:
        out.append(f"Before the change the slopes differed by "
                   f"{format_pts(trends.difference * 100, True)} pts a month "
                   f"({format_p(trends.p_value)}): the parallel-trends assumption is in doubt.")
    if guardrails is not None:
        out.extend(_guardrail(r) for _, r in guardrails.iterrows())
    return out
