"""The executive summary (reports/summary.py): four moves in order, a driver named only when
its own test backs it, non-significant moves described without a cause, the target status as
a word with its value, an action with an owner and a date, one findings row per claim."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from qa_insights.present.display import pct, pp
from qa_insights.present.findings import change_findings
from qa_insights.reports.summary import (
    FINDINGS_COLUMNS,
    adjustment_note,
    executive_summary,
    findings_frame,
    markdown,
)
from qa_insights.stats.lmdi import lmdi
from qa_insights.stats.proportions import compare_proportions, wilson_interval

pytest_plugins = ["tests.fixtures_reports"]

SITES = ["in_house", "bpo_a", "bpo_b"]


def _headline(before: pd.DataFrame, after: pd.DataFrame, target: float | None = 0.95
              ) -> dict:
    """The MQR headline numbers of two months of counts, computed here from SciPy-checked
    library primitives (Wilson interval, two-proportion test), not from the MQR code."""
    n, e = int(after.n_audits.sum()), int(after.n_errors.sum())
    n0, e0 = int(before.n_audits.sum()), int(before.n_errors.sum())
    low, high = wilson_interval(n - e, n)
    test = compare_proportions(e, n, e0, n0)
    acc = 1 - e / n
    status = None if target is None else ("met" if low >= target else
                                          "missed" if high < target else "at risk")
    return {"accuracy": acc, "ci_low": float(low), "ci_high": float(high), "n_audits": n,
            "target": target, "target_status": status, "previous_month": "2026-09",
            "previous_accuracy": 1 - e0 / n0, "mom_difference": -test.difference,
            "mom_ci_low": -test.ci_high, "mom_ci_high": -test.ci_low,
            "mom_p_value": test.p_value, "mom_test": "two-proportion z",
            "mom_significant": test.p_value < 0.05}


def _summary(before: pd.DataFrame, after: pd.DataFrame, target: float | None = 0.95):
    d = lmdi(before, after, "site")
    d.attrs["overall"].update(month="2026-10", compare_month="2026-09")
    found = change_findings(d, scope="Org")
    return executive_summary(_headline(before, after, target), month="2026-10",
                             scope_label="whole organisation", change=found, decomposition=d,
                             dimension="site"), d, found


BEFORE = pd.DataFrame({"site": SITES, "n_audits": [5000, 3000, 2000],
                       "n_errors": [100, 120, 120]})


def test_volume_moving_to_a_worse_site_is_named_as_mix_with_its_own_figures() -> None:
    after = pd.DataFrame({"site": SITES, "n_audits": [4000, 3000, 5000],
                          "n_errors": [80, 120, 300]})
    claims, d, found = _summary(BEFORE, after)
    assert [c.kind for c in claims] == ["month_change", "driver_mix", "target_status",
                                        "action"]
    what, why, target, action = claims
    assert what.significant and "more than normal month-to-month variation" in what.sentence
    assert f"was {pct(what.numbers['accuracy'])} in October 2026" in what.sentence
    row = d.set_index("site").loc["bpo_b"]
    assert why.scope == "bpo_b" and "volume moving to bpo_b" in why.sentence
    # the figure printed is bpo_b's own mix effect, as in the change table, not the total mix
    assert pp(row.mix_effect) in why.sentence
    assert why.numbers["mix_effect_pp"] == pytest.approx(row.mix_effect)
    named = found[0].numbers["named"][0]
    assert why.p_adjusted == named["p_adjusted"] and f"adjusted for {why.adjusted_for} " \
        "comparisons" in why.sentence
    assert target.sentence.startswith(("Accuracy met the 95.0% target",
                                       "Accuracy missed the 95.0% target",
                                       "Against the 95.0% target"))
    assert action.sentence.startswith("Action: vendor management") and "bpo_b" in \
        action.sentence and "15 November 2026" in action.sentence
    assert len(claims) <= 5


def test_a_site_whose_own_rate_rose_is_named_as_rate_with_training_as_owner() -> None:
    after = BEFORE.assign(n_errors=[100, 240, 120])
    claims, _, found = _summary(BEFORE, after)
    why, action = claims[1], claims[-1]
    assert why.kind == "driver_rate" and why.scope == "bpo_a"
    assert why.p_adjusted == pytest.approx(found[1].p_value)
    assert f"adjusted for {found[0].numbers['tests_in_family']} comparisons" in why.sentence
    assert action.sentence.startswith("Action: training and coaching reviews")


def test_noise_is_within_normal_variation_and_names_no_cause() -> None:
    after = BEFORE.assign(n_errors=[104, 116, 121])
    claims, _, _ = _summary(BEFORE, after, target=0.95)
    what, why = claims[0], claims[1]
    assert not what.significant and "within normal month-to-month variation" in what.sentence
    assert why.kind == "no_cause" and why.sentence.startswith("No cause is established")
    assert "as description only" in why.sentence
    for word in ("slight", "trend towards", "nearly significant", "came from"):
        assert word not in " ".join(c.sentence for c in claims)
    assert claims[-1].sentence.startswith(("No action needed", "No corrective action",
                                           "Action: the quality lead"))


@pytest.mark.parametrize("target, word", [(0.90, "met"), (0.99, "missed"),
                                          (0.966, "at risk")])
def test_target_status_is_a_word_with_the_target_value(target: float, word: str) -> None:
    claims, _, _ = _summary(BEFORE, BEFORE.assign(n_errors=[104, 116, 121]), target)
    sentence = claims[2].sentence
    assert claims[2].numbers["status"] == word and word in sentence
    assert pct(target) in sentence


def test_no_previous_month_and_no_target() -> None:
    h = {"accuracy": .97, "ci_low": .96, "ci_high": .98, "n_audits": 1000, "target": None,
         "target_status": None, "previous_month": None}
    claims = executive_summary(h, month="2026-01", scope_label="site x")
    assert "no audits in December 2025" in claims[0].sentence
    assert claims[1].sentence == "No accuracy target is set for this scope and month."
    assert claims[-1].sentence == "No action needed this month."


def test_findings_rows_and_markdown_carry_the_same_sentences() -> None:
    claims, _, found = _summary(BEFORE, BEFORE.assign(n_errors=[100, 240, 120]))
    frame = findings_frame(claims, "monthly_quality_report")
    assert list(frame.columns) == list(FINDINGS_COLUMNS)
    assert frame.sentence.tolist() == [c.sentence for c in claims]
    assert json.loads(frame.numbers.iloc[0])["n_audits"] == claims[0].numbers["n_audits"]
    text = markdown(claims, "MQR")
    assert text.splitlines()[2] == " ".join(c.sentence for c in claims)
    note = adjustment_note(found[0])  # the segments of the change section
    assert f"adjusted for {found[0].numbers['tests_in_family']} comparisons" in note


def _bound(draws: int, rate: float = 0.05) -> int:
    """Largest number of false claims in ``draws`` null draws that is still consistent with
    a claim rate of ``rate`` (one-sided binomial 99.9% quantile)."""
    from scipy import stats

    return int(stats.binom.ppf(0.999, draws, rate))


@pytest.mark.slow
def test_null_sample_data_summary_claims_no_change_and_no_driver() -> None:
    """On the sample generator's null world (``qa-insights sample-data --null``) the summary
    claims a change of the month, or names a driver, no more often than its 5% test level
    allows (binomial bound over the seeds)."""
    import contextlib
    import io
    import tempfile

    from qa_insights.data.sample_data import generate
    from qa_insights.reports.engine.notebook import open_report
    from qa_insights.reports.mqr import (
        change_dimension,
        explain_month,
        headline_numbers,
        month_findings,
        quality_trend,
    )

    draws, changes, drivers = 30, 0, 0
    for seed in range(draws):
        with tempfile.TemporaryDirectory() as d:
            generate(d, months=2, audits_per_month=2000, seed=seed, planted=False)
            with contextlib.redirect_stdout(io.StringIO()):
                store, ctx = open_report(month="2026-10", data_dir=d, scope="org",
                                         scope_value="", analyst_mode=False, min_n=30)
            with store:
                decomposition = explain_month(store, ctx)
                claims = executive_summary(
                    headline_numbers(store, ctx, quality_trend(store, ctx, 2)),
                    month=ctx.month, scope_label=ctx.scope_label,
                    change=month_findings(decomposition, ctx), decomposition=decomposition,
                    dimension=change_dimension(ctx))
        changes += bool(claims[0].significant)
        drivers += any(c.kind in ("driver_mix", "driver_rate") for c in claims)
    assert changes <= _bound(draws), f"{changes} of {draws} null months claim a change"
    assert drivers <= _bound(draws), f"{drivers} of {draws} null months name a driver"


def test_the_null_bound_is_the_binomial_quantile() -> None:
    from scipy import stats

    k = _bound(30)
    assert stats.binom.cdf(k, 30, 0.05) >= 0.999 > stats.binom.cdf(k - 1, 30, 0.05)


def test_without_a_cause_the_largest_movement_is_described_among_large_segments() -> None:
    before = pd.DataFrame({"site": ["big", "tiny"], "n_audits": [5000, 9],
                           "n_errors": [150, 1]})
    after = pd.DataFrame({"site": ["big", "tiny"], "n_audits": [5000, 9],
                          "n_errors": [165, 4]})
    d = lmdi(before, after, "site")
    found = change_findings(d, scope="Org")
    h = _headline(before, after)
    everyone = executive_summary(h, month="2026-10", scope_label="org", change=found,
                                 decomposition=d)[1]
    large = executive_summary(h, month="2026-10", scope_label="org", change=found,
                              decomposition=d, min_n=30)[1]
    assert everyone.kind == large.kind == "no_cause"
    assert large.scope == "big" and "among sites with 30 or more audits" in large.sentence
    assert pp(d.set_index("site").loc["big", "rate_effect"]) in large.sentence


def test_merge_findings_replaces_only_the_reports_own_rows(tmp_path) -> None:
    from qa_insights.reports.engine.tables import merge_findings, write_findings

    target = tmp_path / "tables" / "findings.csv"
    claims, _, _ = _summary(BEFORE, BEFORE.assign(n_errors=[100, 240, 120]))
    frame = findings_frame(claims, "ignored")
    for report in ("monthly_quality_report", "rca_spam", "monthly_quality_report"):
        source = write_findings(frame, tmp_path / "staging" / "tables")
        merge_findings(source, target, report)
    rows = pd.read_csv(target)
    assert rows.report.tolist() == ["rca_spam"] * 4 + ["monthly_quality_report"] * 4
    assert rows.sentence.tolist() == frame.sentence.tolist() * 2
    merge_findings(tmp_path / "missing.csv", target, "rca_spam")  # the report wrote none
    assert pd.read_csv(target).report.unique().tolist() == ["monthly_quality_report"]


@pytest.mark.slow
def test_engine_publishes_summary_and_findings_and_drops_them_when_gone(
        sample_data, tmp_path) -> None:
    """A report's summary.md and findings rows are published beside it; a rebuild that
    writes none removes them (no stale e-mail body or claims), other reports' rows stay."""
    from qa_insights.reports.engine.build import ReportSpec, build
    from tests.report_helpers import tiny_notebook

    notebooks, out = tmp_path / "notebooks", tmp_path / "out"
    writes = ("import pandas as pd\n"
              "from qa_insights.reports.engine.tables import write_findings, write_summary\n"
              "write_summary('# T\\n\\nAll well.\\n', tables_dir)\n"
              "write_findings(pd.DataFrame({'report': ['x'], 'sentence': ['All well.']}), "
              "tables_dir)")
    for name in ("one", "two"):
        tiny_notebook(notebooks / f"{name}.ipynb", writes)
    registry = {n: ReportSpec(n, f"{n}.ipynb", n.title()) for n in ("one", "two")}
    first = build(data_dir=sample_data, out_dir=out, registry=registry, jobs=1,
                  progress=False, notebooks_dir=notebooks)
    month_dir = out / first.months[0]
    assert (month_dir / "one.summary.md").read_text() == "# T\n\nAll well.\n"
    rows = pd.read_csv(month_dir / "tables" / "findings.csv")
    assert sorted(rows.report) == ["one", "two"] and set(rows.sentence) == {"All well."}
    tiny_notebook(notebooks / "one.ipynb", "print('nothing to say')")
    build(data_dir=sample_data, out_dir=out, registry=registry, jobs=1, progress=False,
          notebooks_dir=notebooks, force=True)
    assert not (month_dir / "one.summary.md").exists()
    assert (month_dir / "two.summary.md").exists()
    assert pd.read_csv(month_dir / "tables" / "findings.csv").report.tolist() == ["two"]


QUEUES = pd.DataFrame({"queue": ["spam", "hate", "tiny"], "n_audits": [3000, 2000, 12],
                       "n_errors": [120, 150, 3]})


def _missed(scope: str, min_n: int, deep_dives: tuple[str, ...] = ()) -> list:
    """A month whose accuracy missed a 99% target with no change against the month
    before (so no cause is established), summarised for a report of ``scope``."""
    d = lmdi(QUEUES, QUEUES, "queue")
    d.attrs["overall"].update(month="2026-10", compare_month="2026-09")
    return executive_summary(_headline(QUEUES, QUEUES, target=0.99), month="2026-10",
                             scope_label=f"{scope} x", change=change_findings(d, scope="x"),
                             decomposition=d, dimension="queue", min_n=min_n, scope=scope,
                             deep_dives=deep_dives)


def test_a_deep_dives_missed_action_points_to_its_own_breakdown() -> None:
    claims = _missed("site", min_n=30)
    assert [c.kind for c in claims[1:]] == ["no_cause", "target_status", "action"]
    assert claims[2].numbers["status"] == "missed"
    action = claims[-1].sentence
    # the queue with the most errors, counted here from the counts, not from the summary
    top = QUEUES.loc[QUEUES.n_errors.idxmax()]
    assert f"the errors of queue {top.queue}, which had the most errors this month " \
        f"({top.n_errors} of {QUEUES.n_errors.sum()}; see the breakdown by queue below)" \
        in action
    assert "deep dive" not in action and "15 November 2026" in action
    assert claims[-1].numbers["owner"] == "quality lead"
    # no queue with enough audits to name: the breakdown, no name
    none_large = _missed("site", min_n=10_000)[-1].sentence
    assert none_large.startswith("Action: the quality lead reviews the breakdown by queue "
                                 "below by 15 November 2026")
    assert not [q for q in QUEUES.queue if q in none_large]


def test_the_organisations_missed_action_names_the_deep_dives_built() -> None:
    linked = _missed("org", min_n=30, deep_dives=("site a", "queue spam"))[-1].sentence
    assert "reviews the deep dives of site a and queue spam (linked below) by 15 November " \
        "2026" in linked
    many = _missed("org", min_n=30, deep_dives=tuple(f"site {i}" for i in range(5)))
    assert "the deep dives of the 5 sites and queues that missed a target (linked below)" \
        in many[-1].sentence
    unlinked = _missed("org", min_n=30)[-1].sentence
    assert "deep dive" not in unlinked and "linked" not in unlinked
    assert "root-cause review" in unlinked
