"""Structured findings with one plain-language sentence each, built from the numbers.

Every finding carries its kind, scope, numbers, p-value and significance, and a sentence
generated from those numbers (never written per dataset). The rule: a change, difference
or association is only called real when its test says so; otherwise the sentence says
"no significant change" (or difference, or association) and gives the numbers.

:func:`change_findings` turns an :func:`qa_insights.rca.change.explain_change` (or
:func:`qa_insights.stats.lmdi.lmdi`) result into the headline of a month: the overall change
and the segments whose own rate moved. All of these are one family of tests: the p-values
of the overall change and of every segment are adjusted together by weighted Holm (the
overall change carries half the weight, the segments share the other half), so the chance
of any false "significant" in a month without real change stays below ``alpha``, and the
headline's verdict does not depend much on how finely the segments are cut. The p-values
shown are the adjusted ones.

Examples
--------
>>> import pandas as pd
>>> from qa_insights.stats.lmdi import lmdi
>>> jan = pd.DataFrame({"site": ["in_house", "bpo_a", "bpo_b"],
...                     "n_audits": [50_000, 30_000, 20_000], "n_errors": [1_000, 1_200, 1_200]})
>>> feb = pd.DataFrame({"site": ["in_house", "bpo_a", "bpo_b"],
...                     "n_audits": [40_000, 30_000, 50_000], "n_errors": [720, 1_050, 2_750]})
>>> print(change_findings(lmdi(jan, feb, "site"))[0].sentence)
Org error rate rose 0.4 pts to 3.8% (p < 0.001). +0.7 pts come from volume moving to bpo_b (mix); every site's own rate fell significantly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from qa_insights.data.scalars import as_float, as_int
from qa_insights.stats.differences import HypothesisTest, adjust_p_values
from qa_insights.stats.experiments import ABTest, DiD
from qa_insights.stats.proportions import compare_proportions

__all__ = [
    "Finding",
    "ab_test_finding",
    "association_finding",
    "change_findings",
    "did_finding",
    "findings_table",
    "format_p",
    "format_p_value",
    "format_pct",
    "format_pts",
    "pairwise_findings",
    "reason_mix_finding",
]


@dataclass(frozen=True)
class Finding:
    """One finding.

    Attributes
    ----------
    kind : str
        ``rate_change``, ``segment_change``, ``reason_mix``, ``association``,
        ``pairwise``, ``ab_test`` or ``did``.
    scope : str
        What it is about (``"Org"``, a queue, a site, ...).
    sentence : str
        The plain-language sentence.
    significant : bool
        Whether the test (after any adjustment) rejects at ``alpha``.
    p_value : float
        The p-value the decision used (adjusted where the finding says so).
    numbers : dict
        The numbers behind the sentence.
    """

    kind: str
    scope: str
    sentence: str
    significant: bool
    p_value: float
    numbers: dict[str, Any] = field(default_factory=dict)


def format_p_value(p: float, alpha: float = 0.05) -> str:
    """A p-value as text that never contradicts the verdict ``p < alpha``.

    ``< 0.001`` and ``> 0.99`` at the ends; otherwise three decimals below 0.01, three
    significant figures from 0.01 to 0.1 (where the usual levels lie: 0.0473, not 0.05)
    and two decimals above. When the rounded number would fall on the other side of
    ``alpha`` than ``p``, or on ``alpha`` itself, digits are added until it does not, so
    "0.0500" is never printed beside "significant" nor "0.05" beside "no significant".

    Parameters
    ----------
    p : float
        The p-value (NaN or infinite: ``"no test"``).
    alpha : float
        The level the verdict used.

    Returns
    -------
    str

    Examples
    --------
    >>> format_p_value(0.0473), format_p_value(0.0546), format_p_value(1.0)
    ('0.0473', '0.0546', '> 0.99')
    >>> format_p_value(0.049996), format_p_value(0.0104, alpha=0.01)
    ('0.049996', '0.0104')
    """
    if not np.isfinite(p):
        return "no test"
    if p < 0.001 and alpha > 0.001:
        return "< 0.001"
    if p > 0.99 and alpha <= 0.99:
        return "> 0.99"
    decimals = 3 if p < 0.01 else 4 if p < 0.1 else 2
    for extra in range(12):
        text = f"{p:.{decimals + extra}f}"
        shown = float(text)
        if (shown < alpha) == (p < alpha) and shown > 0 and (shown != alpha or p == alpha):
            return text
    return f"{p:.3g}"


def format_p(p: float, alpha: float = 0.05) -> str:
    """``p < 0.001``, ``p = 0.0473``, ``p = 0.21`` or ``p > 0.99``
    (:func:`format_p_value` with ``p`` in front).

    Examples
    --------
    >>> format_p(0.0004), format_p(0.0042), format_p(0.0473), format_p(0.213)
    ('p < 0.001', 'p = 0.004', 'p = 0.0473', 'p = 0.21')
    >>> format_p(1.0)
    'p > 0.99'
    """
    text = format_p_value(p, alpha)
    if text == "no test":
        return text
    return f"p {text}" if text[0] in "<>" else f"p = {text}"


def format_pct(rate: float) -> str:
    """A rate as a percentage: one decimal from 1%, two below.

    Examples
    --------
    >>> format_pct(0.0377), format_pct(0.0045)
    ('3.8%', '0.45%')
    """
    return f"{rate * 100:.1f}%" if abs(rate) >= 0.01 else f"{rate * 100:.2f}%"


def format_pts(x: float, sign: bool = False) -> str:
    """Percentage points: one decimal from 0.1 pts, two below.

    Examples
    --------
    >>> format_pts(0.3667), format_pts(-0.042, sign=True)
    ('0.4', '-0.04')
    """
    text = f"{x:+.1f}" if abs(x) >= 0.095 else f"{x:+.2f}"
    return text if sign else text.lstrip("+").lstrip("-")


def _ci(level: float) -> str:
    """``95% CI`` or ``98.3% CI``: the level an interval was computed at."""
    text = f"{level * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text}% CI"


def _direction(x: float, up: str = "rose", down: str = "fell") -> str:
    return up if x > 0 else down


def _scope(overall: Mapping[str, Any], scope: str | None) -> str:
    if scope is not None:
        return scope
    filters = overall.get("filters") or {}
    return " / ".join(str(v) for v in filters.values()) or "Org"


def _label(row: pd.Series, by: Sequence[str]) -> str:
    return " / ".join(str(row[b]) for b in by)


def change_findings(decomposition: pd.DataFrame, *, alpha: float = 0.05,
                    scope: str | None = None, max_segments: int = 3) -> list[Finding]:
    """The headline of a month: the overall change of the error rate, explained by mix and
    rate, and the segments whose own rate changed significantly.

    A segment is named as a cause only when its own test backs it: for its rate, its
    two-proportion test in the weighted-Holm family of the month; for the mix, the
    two-proportion test of its share of audits (Holm over the segments), and only when
    the overall change is significant. Otherwise the sentence gives the mix / rate split
    without naming a segment. The adjusted p-values behind every named segment are in
    ``numbers["named"]``.

    Parameters
    ----------
    decomposition : DataFrame
        Result of :func:`qa_insights.rca.change.explain_change` or :func:`qa_insights.stats.lmdi.lmdi`
        with ``scale=100`` (effects in pts; ``attrs["overall"]`` present).
    alpha : float
        Family-wise significance level (weighted Holm over the overall test, weight 1/2,
        and every segment present in both periods, weight 1/(2 m)).
    scope : str, optional
        Name of the whole (default: the filter values, or ``"Org"``).
    max_segments : int
        At most this many segment findings, largest absolute rate effect first.

    Returns
    -------
    list of Finding
        First the ``rate_change`` finding, then up to ``max_segments``
        ``segment_change`` findings (only significant segments get one). The headline's
        ``numbers`` hold ``segment_p_adjusted`` (label -> adjusted p of the segment's own
        rate change), ``share_p_adjusted`` (label -> Holm-adjusted p of its audit-share
        change; empty when the overall change is not significant) and ``named`` (one
        dict per segment the sentence names: ``segment``, ``claim`` ``"mix"`` or
        ``"rate"``, ``p_adjusted``).

    Raises
    ------
    ValueError
        When the frame lacks ``attrs["overall"]`` or is not in pts.

    Examples
    --------
    >>> from qa_insights.stats.lmdi import lmdi
    >>> before = pd.DataFrame({"site": ["a", "b", "c"], "n_audits": [2000, 2000, 2000],
    ...                        "n_errors": [40, 40, 40]})
    >>> found = change_findings(lmdi(before, before.assign(n_errors=[90, 45, 38]), "site"))
    >>> print(found[0].sentence)
    Org error rate rose 0.9 pts to 2.9% (p = 0.003). +0.9 pts from sites' own rates, led by a (+0.8 pts).
    >>> [f.scope for f in found[1:]]        # b and c moved within chance: not named
    ['a']
    """
    o = decomposition.attrs.get("overall")
    if not o or o.get("scale") != 100.0:
        raise ValueError("expected an explain_change / lmdi result with scale=100 "
                         "(attrs['overall'] missing or effects not in pts)")
    by, name = list(o["by"]), _scope(o, scope)
    d = decomposition
    overall = compare_proportions(int(o["n_errors_after"]), int(o["n_audits_after"]),
                                  int(o["n_errors_before"]), int(o["n_audits_before"]))
    both = d[(d["n_audits_before"] > 0) & (d["n_audits_after"] > 0)]
    seg = [compare_proportions(as_int(r.n_errors_after), as_int(r.n_audits_after),
                               as_int(r.n_errors_before), as_int(r.n_audits_before))
           for r in both.itertuples()]
    raw = np.array([overall.p_value] + [c.p_value for c in seg])
    # Weighted Holm: the overall change carries half the weight, so its verdict barely
    # depends on how finely the segments are cut.
    weights = np.r_[max(len(seg), 1), np.ones(len(seg))]
    adjusted = adjust_p_values(raw, "holm", weights)
    ok = np.isfinite(raw)
    sig = np.where(np.isfinite(adjusted), adjusted < alpha, False)
    labels = [_label(row, by) for _, row in both.iterrows()]

    numbers = {"rate_before": o["rate_before"], "rate_after": o["rate_after"],
               "change_pts": o["change"], "mix_pts": o["mix_effect"],
               "rate_pts": o["rate_effect"], "p_value_raw": overall.p_value,
               "p_adjusted": adjusted[0], "tests_in_family": int(ok.sum()),
               "month": o.get("month"), "compare_month": o.get("compare_month"),
               "segment_p_adjusted": dict(zip(labels, map(float, adjusted[1:]))),
               "share_p_adjusted": {}, "named": []}
    if sig[0]:
        text = (f"{name} error rate {_direction(o['change'])} {format_pts(o['change'])} pts "
                f"to {format_pct(o['rate_after'])} ({format_p(adjusted[0], alpha)}).")
        numbers["share_p_adjusted"] = _share_p_adjusted(d, o, by)
        explained = _explain(d, o, by, both.assign(_p=adjusted[1:]), numbers, alpha)
        text = " ".join(filter(None, [text, explained]))
    else:
        when = (f" in {o['compare_month']}, " if o.get("compare_month") else " before, ")
        after = f" in {o['month']}" if o.get("month") else " after"
        text = (f"{name} error rate: no significant change ({format_pct(o['rate_before'])}"
                f"{when}{format_pct(o['rate_after'])}{after}; {format_p(adjusted[0], alpha)}).")
    out = [Finding("rate_change", name, text, bool(sig[0]), float(adjusted[0]), numbers)]

    rows = [(r, c, p) for r, c, p, s in zip(both.itertuples(index=False), seg, adjusted[1:],
                                            sig[1:]) if s]
    rows.sort(key=lambda t: -abs(as_float(t[0].rate_effect)))
    for r, c, p in rows[:max_segments]:
        row = pd.Series(r._asdict())  # type: ignore[operator, misc]  # stubs: no _asdict
        label = _label(row, by)
        effect = as_float(r.rate_effect)
        text = (f"{label} error rate {_direction(c.difference)} "
                f"{format_pts(c.difference * 100)} pts to {format_pct(c.p1)} "
                f"({format_p(p, alpha)}), {'adding' if effect > 0 else 'taking'} "
                f"{format_pts(effect)} pts {'to' if effect > 0 else 'from'} the "
                f"{'org' if name == 'Org' else name} rate.")
        out.append(Finding("segment_change", label, text, True, float(p), {
            **{b: row[b] for b in by}, "rate_before": c.p2, "rate_after": c.p1,
            "change_pts": c.difference * 100, "rate_effect_pts": effect,
            "mix_effect_pts": r.mix_effect, "p_value_raw": c.p_value, "p_adjusted": p}))
    return out


def _share_p_adjusted(d: pd.DataFrame, o: Mapping[str, Any], by: list[str]
                      ) -> dict[str, float]:
    """Holm-adjusted p-values of each segment's change of audit share (two-proportion
    test of its audits out of all audits, after vs before), by segment label."""
    raw = [compare_proportions(int(r["n_audits_after"]), int(o["n_audits_after"]),
                               int(r["n_audits_before"]), int(o["n_audits_before"])).p_value
           for _, r in d.iterrows()]
    adjusted = adjust_p_values(raw, "holm")
    return {_label(r, by): float(p) for (_, r), p in zip(d.iterrows(), adjusted)}


def _explain(d: pd.DataFrame, o: Mapping[str, Any], by: list[str], both: pd.DataFrame,
             numbers: dict[str, Any], alpha: float) -> str:
    """The mix / rate sentence of a significant change; records named segments in
    ``numbers["named"]``. ``both`` has the adjusted rate p-values in column ``_p``."""
    noun = by[0].replace("_", " ") if len(by) == 1 else "segment"
    mix, rate = o["mix_effect"], o["rate_effect"]
    largest = max(abs(mix), abs(rate))
    parts = []
    if abs(mix) >= 0.25 * largest:
        share_p = d.apply(lambda r: numbers["share_p_adjusted"][_label(r, by)], axis=1)
        same = d[(np.sign(d["mix_effect"]) == np.sign(mix)) & (share_p < alpha)]
        if same.empty:
            parts.append(f"{format_pts(mix, sign=True)} pts are mix (no {noun}'s share of "
                         "audits changed significantly)")
        else:
            top = same.loc[same["mix_effect"].abs().idxmax()]
            label = _label(top, by)
            moved = "to" if top["share_after"] > top["share_before"] else "away from"
            parts.append(f"{format_pts(mix, sign=True)} pts come from volume moving {moved} "
                         f"{label} (mix)")
            numbers["named"].append({"segment": label, "claim": "mix",
                                     "p_adjusted": numbers["share_p_adjusted"][label]})
    change = np.sign(both["rate_after"] - both["rate_before"])
    backed = both[(both["_p"] < alpha) & (change == np.sign(rate))]
    if len(both) > 1 and len(backed) == len(both):
        parts.append(f"every {noun}'s own rate {_direction(rate)} significantly")
        numbers["named"].extend({"segment": _label(r, by), "claim": "rate",
                                 "p_adjusted": float(r["_p"])} for _, r in both.iterrows())
    elif abs(rate) >= 0.25 * largest:
        text = f"{format_pts(rate, sign=True)} pts from {noun}s' own rates"
        if backed.empty:
            parts.append(f"{text} (no single {noun}'s change significant)")
        else:
            top = backed.loc[backed["rate_effect"].abs().idxmax()]
            label = _label(top, by)
            parts.append(f"{text}, led by {label} "
                         f"({format_pts(top['rate_effect'], sign=True)} pts)")
            numbers["named"].append({"segment": label, "claim": "rate",
                                     "p_adjusted": float(top["_p"])})
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "." if text else ""


def reason_mix_finding(mix: pd.DataFrame, *, scope: str = "Org",
                       alpha: float = 0.05) -> Finding:
    """Finding from :func:`qa_insights.rca.change.reason_mix` (or ``reason_mix_change``).

    The mix is called changed only by the test of the reasons x periods table; a reason
    is named only when its own share change is significant too (Holm-adjusted p of its
    adjusted residual, the ``p_adjusted`` column).

    Parameters
    ----------
    mix : DataFrame
        Result of :func:`qa_insights.rca.change.reason_mix` (``attrs["test"]`` and the
        ``p_adjusted`` column present).
    scope : str
        Name of the whole the sentence starts with.
    alpha : float
        The level ``reason_mix`` used (the p-values are printed precisely enough not to
        contradict it).

    Returns
    -------
    Finding
        Kind ``reason_mix``; ``numbers`` hold the test, ``reasons_p_adjusted`` (reason ->
        adjusted p) and ``named`` (the reasons the sentence names, with their adjusted p).

    Examples
    --------
    >>> from qa_insights.rca.change import reason_mix
    >>> b = pd.DataFrame({"error_reason": ["fatigue", "policy_misread"], "n_errors": [50, 50]})
    >>> a = pd.DataFrame({"error_reason": ["fatigue", "policy_misread"], "n_errors": [80, 20]})
    >>> print(reason_mix_finding(reason_mix(b, a)).sentence)
    Org error-reason mix changed (chi-square, p < 0.001): fatigue rose 30.0 pts to 80.0% of errors (adjusted p < 0.001).
    """
    t, top = mix.attrs["test"], mix.iloc[0]
    p_adj = dict(zip(mix["error_reason"], map(float, mix["p_adjusted"])))
    numbers = {"test": t["test"], "statistic": t["statistic"], "cramers_v": t["effect_size"],
               "top_reason": top["error_reason"], "share_before": top["share_before"],
               "share_after": top["share_after"], "reasons_p_adjusted": p_adj, "named": []}
    if not t["significant"]:
        text = (f"{scope} error-reason mix: no significant change ({t['test']}, "
                f"{format_p(t['p_value'], alpha)}).")
        return Finding("reason_mix", scope, text, False, t["p_value"], numbers)
    text = f"{scope} error-reason mix changed ({t['test']}, {format_p(t['p_value'], alpha)}): "
    moved = mix[mix["significant_reason"]]
    if moved.empty:
        text += "no single reason's share moved significantly on its own."
    else:
        r = moved.iloc[0]
        text += (f"{r['error_reason']} {_direction(r['share_change'])} "
                 f"{format_pts(r['share_change'])} pts to {format_pct(r['share_after'])} "
                 f"of errors (adjusted {format_p(r['p_adjusted'], alpha)}).")
        numbers["named"].append({"reason": r["error_reason"],
                                 "p_adjusted": float(r["p_adjusted"])})
    return Finding("reason_mix", scope, text, True, t["p_value"], numbers)


def association_finding(test: HypothesisTest, rows: str, columns: str, *,
                        scope: str = "Org", alpha: float = 0.05) -> Finding:
    """Finding from an independence test of ``rows`` x ``columns`` (e.g. site x error type).

    ``alpha`` is the level the test used; the p-value is printed precisely enough not to
    contradict it.

    Examples
    --------
    >>> from qa_insights.stats.differences import independence_test
    >>> r = independence_test([[30, 10], [20, 40]])
    >>> print(association_finding(r, "site", "error_type").sentence)
    Org: error type differs by site (chi-square, p < 0.001, Cramer's V = 0.41).
    """
    what, by = columns.replace("_", " "), rows.replace("_", " ")
    if test.significant:
        text = (f"{scope}: {what} differs by {by} ({test.test}, {format_p(test.p_value, alpha)}, "
                f"Cramer's V = {test.effect_size:.2f}).")
    else:
        text = (f"{scope}: no significant association between {by} and {what} "
                f"({test.test}, {format_p(test.p_value, alpha)}).")
    return Finding("association", scope, text, test.significant, test.p_value,
                   test.as_dict())


def pairwise_findings(pairs: pd.DataFrame, *, scope: str = "Org") -> list[Finding]:
    """One finding per significant pair of :func:`qa_insights.stats.differences.pairwise_proportions`.

    The interval printed is the pair's ``ci_level`` interval, which inverts the pair's
    test at the level of the multiplicity adjustment, so it excludes 0 exactly when the
    adjusted p-value is below ``alpha`` (``pairs.attrs["alpha"]``, default 0.05).

    Examples
    --------
    >>> from qa_insights.stats.differences import pairwise_proportions
    >>> c = pd.DataFrame({"site": ["a", "b"], "n_audits": [500, 500], "n_errors": [10, 30]})
    >>> print(pairwise_findings(pairwise_proportions(c, "site"))[0].sentence)
    b's error rate (6.0%) is 4.0 pts higher than a's (2.0%) (95% CI +1.6 to +6.6 pts, adjusted p = 0.001).
    """
    alpha = float(pairs.attrs.get("alpha", 0.05))
    out = []
    for r in pairs[pairs["significant"]].itertuples():
        difference, p_adjusted = as_float(r.difference), as_float(r.p_adjusted)
        ci_low, ci_high = as_float(r.ci_low), as_float(r.ci_high)
        high, rate_high, low, rate_low = ((r.group_a, r.rate_a, r.group_b, r.rate_b)
                                          if difference > 0 else
                                          (r.group_b, r.rate_b, r.group_a, r.rate_a))
        ci = ((ci_low * 100, ci_high * 100) if difference > 0
              else (-ci_high * 100, -ci_low * 100))
        text = (f"{high}'s error rate ({format_pct(as_float(rate_high))}) is "
                f"{format_pts(abs(difference) * 100)} pts higher than {low}'s "
                f"({format_pct(as_float(rate_low))}) ({_ci(as_float(r.ci_level))} "
                f"{format_pts(ci[0], True)} to {format_pts(ci[1], True)} pts, adjusted "
                f"{format_p(p_adjusted, alpha)}).")
        numbers = dict(r._asdict())  # type: ignore[operator, misc]  # stubs: no _asdict
        out.append(Finding("pairwise", scope, text, True, p_adjusted, numbers))
    return out


def ab_test_finding(result: ABTest, *, name: str = "The intervention",
                    minimum_effect: float | None = None, alpha: float = 0.05) -> Finding:
    """Finding from :func:`qa_insights.stats.experiments.ab_test` (``alpha`` as given to
    it); the interval printed is at its ``ci_level``.

    Examples
    --------
    >>> from qa_insights.stats.experiments import ab_test
    >>> print(ab_test_finding(ab_test(50, 1000, 40, 1000, minimum_effect=-0.01),
    ...                       minimum_effect=-0.01).sentence)
    The intervention: no significant change in the error rate (5.0% control, 4.0% treatment, p = 0.28); power to detect 1.0 pts was 19% (6745 audits per arm needed for 80%).
    """
    r = result
    if r.significant:
        text = (f"{name} {_direction(r.difference, 'raised', 'lowered')} the error rate by "
                f"{format_pts(r.difference * 100)} pts ({format_pct(r.rate_control)} to "
                f"{format_pct(r.rate_treatment)}; {_ci(r.ci_level)} "
                f"{format_pts(r.ci_low * 100, True)} to {format_pts(r.ci_high * 100, True)} "
                f"pts, {format_p(r.p_value, alpha)}).")
    else:
        text = (f"{name}: no significant change in the error rate "
                f"({format_pct(r.rate_control)} control, {format_pct(r.rate_treatment)} "
                f"treatment, {format_p(r.p_value, alpha)})")
        if minimum_effect is not None and np.isfinite(r.power_minimum_effect):
            text += (f"; power to detect {format_pts(abs(minimum_effect) * 100)} pts was "
                     f"{r.power_minimum_effect:.0%} ({r.n_per_arm_needed} audits per arm "
                     "needed for 80%)")
        text += "."
    return Finding("ab_test", name, text, r.significant, r.p_value, r.as_dict())


def did_finding(result: DiD, *, treated: str = "The treated site",
                control: str = "the control sites", alpha: float = 0.05) -> Finding:
    """Finding from :func:`qa_insights.stats.experiments.difference_in_differences`
    (``alpha`` as given to it); the interval printed is at its ``ci_level``.

    Examples
    --------
    >>> from qa_insights.stats.experiments import difference_in_differences
    >>> cells = pd.DataFrame({"group": ["treated"] * 2 + ["control"] * 2,
    ...                       "period": ["before", "after"] * 2,
    ...                       "n_audits": [2000, 2000, 6000, 6000],
    ...                       "n_errors": [120, 70, 300, 290]})
    >>> print(did_finding(difference_in_differences(cells)).sentence)
    The treated site's error rate fell 2.3 pts more than the control sites' (95% CI -3.9 to -0.8 pts, p = 0.003).
    """
    r = result
    if r.significant:
        word = "fell" if r.estimate < 0 else "rose"
        text = (f"{treated}'s error rate {word} {format_pts(r.estimate * 100)} pts more than "
                f"{control}' ({_ci(r.ci_level)} {format_pts(r.ci_low * 100, True)} to "
                f"{format_pts(r.ci_high * 100, True)} pts, {format_p(r.p_value, alpha)}).")
    else:
        text = (f"{treated}: no significant difference from {control} in the change of the "
                f"error rate ({format_pts(r.estimate * 100, True)} pts, "
                f"{format_p(r.p_value, alpha)}).")
    return Finding("did", treated, text, r.significant, r.p_value, r.as_dict())


def findings_table(findings: Sequence[Finding]) -> pd.DataFrame:
    """Findings as a frame: ``kind``, ``scope``, ``significant``, ``p_value``,
    ``sentence`` (one row each, in order)."""
    return pd.DataFrame([{"kind": f.kind, "scope": f.scope, "significant": f.significant,
                          "p_value": f.p_value, "sentence": f.sentence} for f in findings],
                        columns=["kind", "scope", "significant", "p_value", "sentence"])
