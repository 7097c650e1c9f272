"""The event log (qa_insights.business.events, present.events, reports.events, the chart
markers): the standardised DiD against a hand-computed case and statsmodels OLS, the planted
retraining found on the sample data and the no-effect events not, silence on null data over
many seeds (binomial bound), markers drawn, descriptions escaped, the table validated."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.lines import Line2D
from scipy.stats import binom

from qa_insights.business.events import (
    event_readouts,
    events_touching,
    first_after_month,
    read_event,
    readout_table,
    standardised_control,
    store_events,
)
from qa_insights.data.opening import open_store
from qa_insights.data.sample_data import NO_EFFECT_EVENTS, PLANTED
from qa_insights.present import display as qd
from qa_insights.present import plots
from qa_insights.present.events import event_sentence
from qa_insights.reports.events import EVENT_LABELS, event_display

ROOT = Path(__file__).resolve().parents[1]
MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]


def _event(date: str, scope: str = "site", value: str = "a") -> dict[str, str]:
    return {"date": date, "scope": scope, "scope_value": value, "kind": "training",
            "description": "Retraining"}


def test_standardised_control_by_hand() -> None:
    # Unit a: 10/100 before, 10/100 after; unit b: 20/100 before, 180/900 after.
    c = pd.DataFrame({"month": ["m1", "m2"] * 2, "site": ["a", "a", "b", "b"],
                      "n_audits": [100, 100, 100, 900], "n_errors": [10, 10, 20, 180]})
    cells = standardised_control(c, "site", ["a", "b"], ["m1"], ["m2"]).set_index("period")
    rate = cells["n_errors"] / cells["n_audits"]
    # weights 0.5 / 0.5 (before audits): rates 0.5 * 0.1 + 0.5 * 0.2 in both periods
    assert rate["before"] == pytest.approx(0.15) and rate["after"] == pytest.approx(0.15)
    var_after = 0.25 * 0.1 * 0.9 / 100 + 0.25 * 0.2 * 0.8 / 900
    assert cells.loc["after", "n_audits"] == pytest.approx(0.15 * 0.85 / var_after)
    # before the event the standardised rate is the pooled rate, with the pooled variance
    var_before = 0.25 * (0.1 * 0.9 + 0.2 * 0.8) / 100
    assert cells.loc["before", "n_audits"] == pytest.approx(0.15 * 0.85 / var_before)


def test_did_by_hand_and_against_statsmodels_ols_interaction() -> None:
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(3)
    rows = []
    for site, base in (("a", 0.08), ("b", 0.05)):
        for m_i, month in enumerate(MONTHS[:6]):
            n = int(rng.integers(150, 400))
            p = base * (0.6 if site == "a" and m_i >= 3 else 1.0)
            rows.append({"site": site, "month": month, "n_audits": n,
                         "n_errors": int(rng.binomial(n, p))})
    counts = pd.DataFrame(rows)
    r = read_event(counts, _event("2026-04-02"), "2026-06")
    cell = counts.assign(period=np.where(counts.month >= "2026-04", "after", "before")) \
        .groupby(["site", "period"])[["n_audits", "n_errors"]].sum()
    p = cell["n_errors"] / cell["n_audits"]
    by_hand = (p["a", "after"] - p["a", "before"]) - (p["b", "after"] - p["b", "before"])
    se = math.sqrt(sum(p[k] * (1 - p[k]) / cell.loc[k, "n_audits"] for k in p.index))
    assert r.did is not None
    assert r.did.estimate == pytest.approx(by_hand) and r.did.std_err == pytest.approx(se)
    # One row per audit: the interaction of a linear probability model is the DiD, and its
    # HC0 (sandwich) standard error is the four cells' binomial one.
    units = []
    for (site, period), row in cell.iterrows():
        y = np.r_[np.ones(int(row.n_errors)), np.zeros(int(row.n_audits - row.n_errors))]
        units.append(pd.DataFrame({"y": y, "treated": int(site == "a"),
                                   "after": int(period == "after")}))
    fit = smf.ols("y ~ treated * after", data=pd.concat(units)).fit(cov_type="HC0")
    assert fit.params["treated:after"] == pytest.approx(r.did.estimate, abs=1e-10)
    assert fit.bse["treated:after"] == pytest.approx(r.did.std_err, rel=1e-9)


def _null_counts(rng: np.random.Generator, effect: float = 1.0, treated: int = 0,
                 start: int = 6) -> pd.DataFrame:
    """7 sites x 12 months, each site its own rate, a mix shift in the last month (the
    worst site's volume x 6), and ``effect`` on ``treated`` from month ``start`` on."""
    rates = np.array([0.03, 0.04, 0.05, 0.035, 0.09, 0.045, 0.025])
    n = rng.poisson(300, size=(12, 7))
    n[-1, 4] *= 6
    mult = np.ones((12, 7))
    mult[start:, treated] = effect
    x = rng.binomial(n, np.clip(rates * mult, 0, 1))
    months, sites = np.meshgrid(MONTHS, [f"s{k}" for k in range(7)], indexing="ij")
    return pd.DataFrame({"month": months.ravel(), "site": sites.ravel(),
                         "n_audits": n.ravel(), "n_errors": x.ravel()})


@pytest.mark.slow
def test_null_data_stays_silent_over_many_seeds() -> None:
    # One event per seed at a random site and month on data without any effect (with a mix
    # shift between control sites in the last month): the false "significant" rate of the
    # deciding test stays within the binomial bound of alpha = 0.05.
    runs, alpha, false = 200, 0.05, 0
    for seed in range(runs):
        rng = np.random.default_rng(seed)
        site, month = int(rng.integers(0, 7)), int(rng.integers(3, 12))
        r = read_event(_null_counts(rng), _event(f"{MONTHS[month]}-05", value=f"s{site}"),
                       "2026-12", alpha=alpha)
        false += bool(readout_table([r], alpha=alpha)["significant"].iloc[0])
    assert false <= binom.ppf(0.999, runs, alpha), f"{false} of {runs} significant"


def test_pooled_control_would_be_fooled_by_the_mix_shift() -> None:
    # Why the control is standardised: with the worst site's volume x 6 in the last month,
    # pooling the control's audits would show a rise that no site had.
    counts = _null_counts(np.random.default_rng(0))
    control = counts[counts.site != "s0"]
    before, after = MONTHS[:11], MONTHS[11:]
    pooled = [control[control.month.isin(m)] for m in (before, after)]
    rise = [f.n_errors.sum() / f.n_audits.sum() for f in pooled]
    assert rise[1] - rise[0] > 0.01
    cells = standardised_control(counts, "site", [f"s{k}" for k in range(1, 7)], before,
                                 after).set_index("period")
    rate = cells.n_errors / cells.n_audits
    assert abs(rate["after"] - rate["before"]) < 0.006


@pytest.mark.slow
def test_planted_effect_is_found_in_most_seeds() -> None:
    # Halving one site's 4% error rate for 6 of 12 months (about 1,800 audits after)
    runs, found = 40, 0
    for seed in range(runs):
        rng = np.random.default_rng(1000 + seed)
        r = read_event(_null_counts(rng, effect=0.5, treated=1, start=6),
                       _event("2026-07-02", value="s1"), "2026-12")
        found += bool(r.did and r.did.significant and r.did.estimate < 0)
    assert found >= 0.8 * runs


def test_org_event_and_too_early_event() -> None:
    counts = pd.DataFrame({"month": MONTHS[:4], "n_audits": 1000,
                           "n_errors": [50, 50, 20, 20]})
    org = read_event(counts, _event("2026-03-01", "org", ""), "2026-04")
    assert org.did is None and org.change is not None and org.change.significant
    assert "no untouched scope" in org.note
    late = read_event(counts, _event("2026-04-20", "org", ""), "2026-04")
    assert late.after == [] and "2026-05" in late.note
    row = readout_table([org, late]).to_dict("records")
    assert "cannot be told from anything else" in event_sentence(row[0], n_events=2)
    assert event_sentence(row[1], n_events=2).endswith("(the after period starts 2026-05).")


def test_first_after_month_and_touching() -> None:
    assert first_after_month("2026-08-15") == "2026-08"
    assert first_after_month("2026-12-16") == "2027-01"
    e = pd.DataFrame([_event("2026-01-05", "org", ""), _event("2026-02-01", "site", "a"),
                      _event("2026-03-01", "queue", "a")])
    assert events_touching(e, "site", "a").scope.tolist() == ["org", "site"]
    assert events_touching(e, "queue", "spam").scope.tolist() == ["org"]


@pytest.fixture(scope="module")
def sample():
    with open_store(ROOT / "data_samples") as store:
        yield store


def test_sample_readout_finds_the_planted_retraining_only(sample) -> None:
    events = store_events(sample)
    planted = PLANTED["retraining"]
    assert len(events) == 1 + len(NO_EFFECT_EVENTS)
    table, _ = event_readouts(sample, events, "2026-10")
    hit = table[table.scope_value == planted["site"]].iloc[0]
    assert hit.significant and hit.did < 0 and hit.test == "difference-in-differences"
    assert hit.date == "2026-08-03" and hit.after == "2026-08 to 2026-10"
    others = table[table.scope_value != planted["site"]]
    assert len(others) == len(NO_EFFECT_EVENTS) and not others.significant.any()


def test_markers_drawn_on_trend_and_control_chart() -> None:
    frame = pd.DataFrame({"month": MONTHS[:4], "p": [0.05, 0.05, 0.03, 0.03],
                          "error_rate": [0.05, 0.05, 0.03, 0.03], "centre": 0.04,
                          "lcl": 0.01, "ucl": 0.07, "out_of_control": False})
    events = pd.DataFrame([_event("2026-03-16"), _event("2027-01-01")])
    for fig in (plots.trend(frame, "month", "error_rate", events=events),
                plots.control_chart(frame, events=events)):
        ax = fig.axes[0]
        markers = [line for line in ax.get_lines() if line.get_color() == plots.EVENT_COLOUR]
        assert len(markers) == 1  # the 2027 event is off the axis
        # 2026-03 is the third slot (x = 2); the 16th of 31 days is just past its middle
        assert markers[0].get_xdata()[0] == pytest.approx(2 - 0.5 + 15.5 / 31)
        texts = [t.get_text() for t in ax.texts]
        assert "Training: Retraining" in texts
        assert "Events marked: training on 2026-03-16 (Retraining)." in plots.alt_text(fig)
    assert not any(isinstance(a, Line2D) and a.get_color() == plots.EVENT_COLOUR
                   for a in plots.trend(frame, "month", "error_rate").axes[0].get_lines())


def test_descriptions_are_escaped_in_html() -> None:
    row = readout_table([read_event(
        pd.DataFrame({"month": MONTHS[:2], "n_audits": 500, "n_errors": [25, 20]}),
        {**_event("2026-02-01", "org", ""), "description": "<b>Tool</b> & co"}, "2026-02",
        pre_months=1)]).to_dict("records")[0]
    for html in (qd.bullets([event_sentence(row)])._repr_html_(),
                 qd.table(event_display(pd.DataFrame([row])), labels=EVENT_LABELS)._repr_html_()):
        assert "&lt;b&gt;Tool&lt;/b&gt; &amp; co" in html and "<b>Tool" not in html


def test_events_table_is_validated(tmp_path: Path) -> None:
    (tmp_path / "audits.csv").write_text(
        (ROOT / "docs" / "data-contract.md").read_text().split("```csv\n")[1].split("```")[0])
    (tmp_path / "events.csv").write_text(
        "date,scope,scope_value,kind,description\n"
        "2026-08-03,site,a,training,ok\n"
        "2026-08-04,org,x,training,org with a value\n"
        "2026-08-05,site,a,party,unknown kind\n"
        "2026-13-01,site,a,training,bad date\n")
    with open_store(tmp_path) as store:
        assert store.validation.tables["events"].loaded == 1
        reasons = set(store.validation.tables["events"].quarantined)
        assert reasons == {"scope_value: expected empty for scope 'org'",
                           "kind: expected one of policy_change, training, tooling, "
                           "vendor_change, guideline",
                           "date: expected a date YYYY-MM-DD"}
        assert store_events(store).description.tolist() == ["ok"]
    (tmp_path / "events.csv").unlink()
    with open_store(tmp_path) as store:
        assert store_events(store).empty


def test_control_chart_limits_are_frozen_on_the_months_before() -> None:
    counts = pd.DataFrame({"month": MONTHS[:8], "n_audits": 1000,
                           "n_errors": [50, 48, 52, 50, 49, 51, 20, 18]})
    r = read_event(counts, _event("2026-07-01", "org", ""), "2026-08")
    chart = r.chart.set_index("month")
    p_bar = 300 / 6000  # the six months before only
    assert chart.centre.eq(p_bar).all()
    # Laney's sigma_z of the months before is below 1 here, so the p-chart limits stand
    assert chart.loc["2026-07", "lcl"] == pytest.approx(p_bar - 3 * math.sqrt(
        p_bar * (1 - p_bar) / 1000))
    assert r.chart_signals == ["2026-07", "2026-08"] and r.chart_direction == "down"
    row = readout_table([r]).to_dict("records")[0]
    assert "2026-07, 2026-08 below the limits" in event_sentence(row)


@pytest.mark.slow
def test_generator_null_world_events_read_out_as_nothing(tmp_path: Path) -> None:
    # The generator's null world keeps the events table but plants no effect: over several
    # seeds the readout (Holm over the three events, family-wise alpha 0.05) stays silent,
    # allowing one false alarm in six families (P(2+ of 6 at 0.05) < 0.033).
    from qa_insights.data.sample_data import generate

    alarms = 0
    for seed in range(1, 7):
        folder = tmp_path / str(seed)
        generate(folder, seed=seed, audits_per_month=1500, planted=False)
        with open_store(folder) as store:
            table, _ = event_readouts(store, store_events(store), "2026-10")
        assert len(table) == 1 + len(NO_EFFECT_EVENTS)
        alarms += bool(table.significant.any())
    assert alarms <= 1


def test_pick_event_and_design() -> None:
    from qa_insights.business.events import event_design, pick_event

    e = pd.DataFrame([_event("2026-08-03"), _event("2026-10-02", "org", "")])
    assert pick_event(e, "latest") == _event("2026-08-03")
    assert pick_event(e.iloc[1:], "latest") is None
    with pytest.raises(ValueError, match="no event on '2026-01-01'; events on: 2026-08-03, "
                                         "2026-10-02"):
        pick_event(e, "2026-01-01")
    with pytest.raises(ValueError, match="org-wide"):
        event_design(_event("2026-10-02", "org", ""))
    assert event_design(_event("2026-08-16")) == ("site", ["a"], "2026-09")


def test_ingested_store_keeps_events_and_budgets(tmp_path: Path) -> None:
    from qa_insights.data.ingest import ingest
    from qa_insights.data.sample_data import generate

    generate(tmp_path / "d", months=3, audits_per_month=200)
    (tmp_path / "d" / "budgets.csv").write_text("month,scope,scope_value,amount,currency\n"
                                                "2026-10,org,,1000,USD\n")
    ingest(tmp_path / "d", tmp_path / "s.duckdb")
    with open_store(tmp_path / "s.duckdb") as store:
        assert store_events(store).kind.tolist() == ["training", "guideline", "vendor_change"]
        assert store.query("SELECT count(*) AS n FROM budgets").n[0] == 1
    with open_store(tmp_path / "s.duckdb", months=["2026-10"]) as store:
        assert store_events(store).empty  # the events are dated 2026-08 and 2026-09
