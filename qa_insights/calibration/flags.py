"""When a rater or a site is flagged against the expert, and which way it leans.

One rule for every "out of band" list of the calibration report and the MQR: a group is
flagged only when its **interval clears the band**, never when a point estimate does.

Each group (a rater, or a site with its raters pooled) is checked on three one-sided
questions against the expert's golden label:

* **low accuracy**: share of ratings matching gold below ``min_accuracy`` (80%);
* **lenient**: *under-enforcement*, the share of items gold calls a violation that the
  group labelled no violation, above ``max_error`` (10%);
* **strict**: *over-enforcement*, the share of items gold calls no violation that the
  group actioned, above ``max_error``.

**Multiplicity.** Bonferroni over the ``3 m`` checks of the ``m`` groups scored: each check
is one-sided at ``alpha / (3 m)``, so every interval is an exact (Clopper-Pearson) two-sided
interval at level ``1 - 2 alpha / (3 m)`` (99.7% for 10 groups, 99.8% for 20), and a group
is flagged when an interval lies wholly on the wrong side of its band edge. Whatever the
groups' true rates, if none is truly outside the band the chance that any is flagged is at
most ``alpha`` (5%). Exact rather than Wilson bounds: at these levels and 20 or so items,
Wilson's one-sided tails are too thin (measured: 20% of simulated months flagged someone
when every rater sat on the band edge; exact bounds: 2%).

**Leaning**, defined here once and read by the callout, the tables and the charts:

* ``lenient``, ``strict`` or ``lenient and strict``: that interval clears the band;
* ``within band``: both rates at or below ``max_error`` (estimates; nothing flagged);
* ``no clear lean``: a rate is above the band but its interval reaches into it (too few
  items to tell);
* ``too few items``: fewer than ``min_items`` ratings (never tested);
* ``–``: no items to judge.

Examples
--------
>>> counts = pd.DataFrame({"n_items": [40, 40], "n_correct": [30, 36],
...                        "n_violation": [20, 20], "n_under": [10, 2],
...                        "n_over": [0, 2]})
>>> band_flags(counts)[["leaning", "outside_band", "flag_reason"]].values.tolist()
[['lenient', True, 'lenient'], ['within band', False, '']]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

__all__ = [
    "LEANINGS",
    "band_flags",
    "bonferroni_note",
    "clopper_pearson",
    "flag_level",
    "level_text",
]

#: The leaning words, in the order a table sorts them (flagged first).
LEANINGS = ("lenient and strict", "lenient", "strict", "no clear lean", "within band",
            "too few items", "–")

#: Checks per group (low accuracy, lenient, strict): the Bonferroni divisor per group.
N_CHECKS = 3


def clopper_pearson(successes: ArrayLike, n: ArrayLike, confidence: float = 0.95
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper-Pearson) two-sided interval of ``successes / n``; NaN where ``n`` is 0.

    Examples
    --------
    >>> low, high = clopper_pearson([0, 5], [10, 10])
    >>> low.round(4).tolist(), high.round(4).tolist()
    ([0.0, 0.1871], [0.3085, 0.8129])
    """
    x = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    x, m = np.broadcast_arrays(x, m)
    tail = (1 - confidence) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(x > 0, stats.beta.ppf(tail, x, m - x + 1), 0.0)
        high = np.where(x < m, stats.beta.ppf(1 - tail, x + 1, m - x), 1.0)
    empty = m <= 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def flag_level(n_groups: int, alpha: float = 0.05) -> float:
    """Two-sided level of the flag intervals for ``n_groups`` groups: ``1 - 2 alpha / (3 m)``
    (each of the three one-sided checks at ``alpha / (3 m)``).

    Examples
    --------
    >>> round(flag_level(20), 5)
    0.99833
    """
    return 1 - 2 * alpha / (N_CHECKS * max(int(n_groups), 1))


def level_text(level: float) -> str:
    """A confidence level as a percentage with the decimals it needs: ``99.8%``, ``99.95%``.

    Examples
    --------
    >>> level_text(0.99833), level_text(0.9995), level_text(0.95)
    ('99.8%', '99.95%', '95%')
    """
    for decimals in range(3):
        text = f"{100 * level:.{decimals}f}"
        if float(text) < 100 and abs(float(text) - 100 * level) < 0.049:
            return f"{text}%"
    return f"{100 * level:.3f}%"


def bonferroni_note(n_groups: int, noun: str = "rater", alpha: float = 0.05) -> str:
    """One sentence stating the multiplicity rule with its numbers.

    Examples
    --------
    >>> print(bonferroni_note(20))
    Intervals are exact at the 99.8% level: Bonferroni over 3 checks of 20 raters, so if no rater is truly outside the band the chance that any is flagged is at most 5%.
    """
    text = level_text(flag_level(n_groups, alpha))
    plural = noun if n_groups == 1 else f"{noun}s"
    return (f"Intervals are exact at the {text} level: Bonferroni over {N_CHECKS} checks of "
            f"{n_groups} {plural}, so if no {noun} is truly outside the band the chance that "
            f"any is flagged is at most {100 * alpha:.0f}%.")


def _leaning(under: np.ndarray, over: np.ndarray, under_low: np.ndarray,
             over_low: np.ndarray, max_error: float) -> np.ndarray:
    lenient = under_low > max_error
    strict = over_low > max_error
    known_u, known_o = ~np.isnan(under), ~np.isnan(over)
    inside = (~known_u | (under <= max_error)) & (~known_o | (over <= max_error))
    return np.select(
        [lenient & strict, lenient, strict, ~known_u & ~known_o, inside],
        ["lenient and strict", "lenient", "strict", "–", "within band"], "no clear lean")


def band_flags(counts: pd.DataFrame, *, min_accuracy: float = 0.8, max_error: float = 0.10,
               alpha: float = 0.05, min_items: int = 10) -> pd.DataFrame:
    """Rates, exact intervals at the Bonferroni level, leaning and flag of each group.

    Parameters
    ----------
    counts : DataFrame
        One row per group: ``n_items`` (ratings scored), ``n_correct``, ``n_violation``
        (ratings of items gold calls a violation), ``n_under`` (of those, labelled no
        violation), ``n_over`` (ratings of the other items that were actioned).
    min_accuracy : float
        Lower edge of the accuracy band.
    max_error : float
        Upper edge of the band of under- and over-enforcement.
    alpha : float
        Family-wise error rate of the flags.
    min_items : int
        Groups with fewer items are neither tested nor counted in the family.

    Returns
    -------
    DataFrame
        ``counts`` plus ``n_clean``, ``accuracy``, ``under_enforcement_rate``,
        ``over_enforcement_rate`` (NaN without a denominator), ``ci_level``, and the
        exact interval of each (``accuracy_ci_low``/``_high``, ``under_ci_low``/``_high``,
        ``over_ci_low``/``_high``), ``leaning`` (see the module), ``outside_band`` and
        ``flag_reason`` ("accuracy below 80%; lenient", "too few items (n < 10)", "").
    """
    need = {"n_items", "n_correct", "n_violation", "n_under", "n_over"}
    if not need <= set(counts.columns):
        raise ValueError(f"counts: expected columns {sorted(need)}; got {list(counts.columns)}")
    out = counts.copy()
    n = out["n_items"].to_numpy(float)
    n_v = out["n_violation"].to_numpy(float)
    n_c = n - n_v
    enough = n >= min_items
    level = flag_level(int(enough.sum()), alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        accuracy = np.where(n > 0, out["n_correct"].to_numpy(float) / n, np.nan)
        under = np.where(n_v > 0, out["n_under"].to_numpy(float) / n_v, np.nan)
        over = np.where(n_c > 0, out["n_over"].to_numpy(float) / n_c, np.nan)
    acc_lo, acc_hi = clopper_pearson(out["n_correct"], n, level)
    u_lo, u_hi = clopper_pearson(out["n_under"], n_v, level)
    o_lo, o_hi = clopper_pearson(out["n_over"], n_c, level)
    out = out.assign(n_clean=n_c.astype(int), accuracy=accuracy, under_enforcement_rate=under,
                     over_enforcement_rate=over, ci_level=level, accuracy_ci_low=acc_lo,
                     accuracy_ci_high=acc_hi, under_ci_low=u_lo, under_ci_high=u_hi,
                     over_ci_low=o_lo, over_ci_high=o_hi)
    leaning = _leaning(under, over, np.nan_to_num(u_lo), np.nan_to_num(o_lo), max_error)
    low_acc = acc_hi < min_accuracy
    parts = [np.where(low_acc, f"accuracy below {min_accuracy:.0%}", ""),
             np.where(np.isin(leaning, ["lenient", "lenient and strict"]), "lenient", ""),
             np.where(np.isin(leaning, ["strict", "lenient and strict"]), "strict", "")]
    reason = np.array(["; ".join(p for p in row if p) for row in zip(*parts, strict=True)],
                      dtype=object)
    out["leaning"] = np.where(enough | (leaning == "–"), leaning, "too few items")
    out["outside_band"] = enough & (reason != "")
    out["flag_reason"] = np.where(enough, reason, f"too few items (n < {min_items})")
    return out
