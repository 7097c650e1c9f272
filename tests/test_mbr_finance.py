"""The MBR a finance partner signs: money with its currency (and an error for mixed
currencies), budget against each scope's own target, what-if from the report month as
measured, no month-end projection for a closed month; and, on the built sample reports,
every money figure of the page carries its currency, the sentences equal the tables beside
them and the MBR's summary agrees with the MQR's (same change, same p-value, same driver)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from hypothesis import given
from hypothesis import strategies as st

from qa_insights.business.budgets import budget_vs_actual
from qa_insights.business.costs import budget_against_targets, cost_by_site
from qa_insights.business.targets import open_month_day
from qa_insights.business.whatif import change_audit_rate, from_measured, whatif_cells
from qa_insights.data.opening import open_store
from qa_insights.present.display import money
from qa_insights.quality.metrics import quality_summary
from qa_insights.reports import mbr as rm
from qa_insights.reports.business_summary import (
    budget_claims,
    budget_consistency,
    budget_detail,
    business_summary,
)
from qa_insights.reports.summary import executive_summary
from tests.fixtures_mbr import audits, target, volume, write_folder
from tests.report_helpers import built_pages

pytest_plugins = ["tests.fixtures_reports"]

MONTH = "2026-10"
MBR, MQR = "monthly_business_review", "monthly_quality_report"
_SCALE = {"k": 1e3, "M": 1e6, "": 1.0}


def _amount(text: str, currency: str = "USD") -> float:
    """A money figure read back: 'USD −335.9k' -> -335900.0."""
    m = re.fullmatch(rf"{currency} ([−+]?)([\d,]+(?:\.\d+)?)([kM]?)", text)
    assert m, text
    sign = -1.0 if m.group(1) == "−" else 1.0
    return sign * float(m.group(2).replace(",", "")) * _SCALE[m.group(3)]


@given(st.floats(-5e9, 5e9, allow_nan=False))
def test_money_reads_back_within_its_rounding(value: float) -> None:
    text = money(value, "USD", sign=True)
    back = _amount(text)
    unit = 1e6 * 0.005 if text.endswith("M") else 1e3 * 0.05 if text.endswith("k") else 0.5
    assert abs(back - value) <= unit + 1e-9 * abs(value)
    assert "-" not in text and "e" not in text.lower().replace("usd", "")


def test_money_per_unit_keeps_three_decimals_and_its_currency() -> None:
    assert money(0.41127, "EUR", per_unit=True) == "EUR 0.411"
    assert money(-0.0004, "EUR", per_unit=True, sign=True) == "EUR 0.000"


def test_mixed_currencies_are_an_error_naming_the_file_and_the_currencies(tmp_path: Path
                                                                          ) -> None:
    # Each site is in one currency, so a check per site alone would miss the mix.
    store = write_folder(tmp_path, audits=[audits(MONTH, "a", "spam", 40, 2),
                                           audits(MONTH, "b", "spam", 40, 2)],
                         volumes=[volume(MONTH, "a", "spam", 1000, 500.0),
                                  {**volume(MONTH, "b", "spam", 1000, 400.0),
                                   "currency": "EUR"}])
    with pytest.raises(ValueError, match=r"volumes \(volumes\.csv\).*\(EUR, USD\)"):
        cost_by_site(store, MONTH)


def test_budgets_in_two_currencies_are_an_error(tmp_path: Path) -> None:
    (tmp_path / "budgets.csv").write_text(
        "month,scope,scope_value,amount,currency\n"
        f"{MONTH},org,,1000,USD\n{MONTH},site,a,500,GBP\n", encoding="utf-8")
    store = write_folder(tmp_path, audits=[audits(MONTH, "a", "spam", 40, 2)],
                         volumes=[volume(MONTH, "a", "spam", 1000, 500.0)])
    with pytest.raises(ValueError, match=r"budgets \(budgets\.csv\).*\(GBP, USD\)"):
        budget_vs_actual(store, MONTH)


def test_budget_compares_each_scope_with_its_own_target() -> None:
    # Org target 0.30 per item; site "bpo" has its own 0.20; "inhouse" has none.
    costs = pd.DataFrame({"site": ["bpo", "inhouse"], "month": [MONTH] * 2,
                          "items_handled": [10_000, 2_000], "cost": [2_300.0, 1_900.0]})
    targets = pd.DataFrame([target("cost_per_item", "org", "", MONTH, 0.30, "lower_is_better"),
                            target("cost_per_item", "site", "bpo", MONTH, 0.20,
                                   "lower_is_better"),
                            target("cost_per_item", "site", "bpo", "2026-09", 0.10,
                                   "lower_is_better")])
    out = budget_against_targets(costs, targets).set_index("scope_value")
    # org: 12,000 items x 0.30 = 3,600 budget; cost 4,200: 600 (+16.7%) over.
    assert out.loc["", "budget"] == pytest.approx(3_600.0)
    assert out.loc["", "variance"] == pytest.approx(600.0)
    assert out.loc["", "variance_pct"] == pytest.approx(100 * 600 / 3_600)
    # bpo: 10,000 x 0.20 = 2,000 budget (not the org's 3,000); 300 (+15%) over.
    assert out.loc["bpo", "budget"] == pytest.approx(2_000.0)
    assert out.loc["bpo", ["variance", "variance_pct"]].tolist() == pytest.approx([300.0, 15.0])
    # inhouse: no target of its own, so no budget (the org's would say +217% over).
    assert pd.isna(out.loc["inhouse", "budget"]) and out.loc["inhouse", "status"] == "no budget"
    assert out.status.tolist() == ["over budget", "over budget", "no budget"]
    gaps = rm.budget_gaps(out.reset_index())
    assert gaps is not None and "inhouse" in gaps and "bpo" not in gaps


def test_whatif_baseline_is_the_month_as_measured(sample_data: Path) -> None:
    with open_store(sample_data) as store:
        cells = whatif_cells(store, MONTH)
        now = quality_summary(store, filters={"month": MONTH}).iloc[0]
    raw = change_audit_rate(cells, factor=0.5)
    out = from_measured(raw, now["error_rate"], now["error_ci_low"], now["error_ci_high"])
    base, scen, change = (out.iloc[i] for i in range(3))
    assert base["planned_audits"] == now["n_audits"]
    assert [base["error_rate"], base["error_ci_low"], base["error_ci_high"]] == pytest.approx(
        [now["error_rate"], now["error_ci_low"], now["error_ci_high"]])
    assert scen["error_rate"] - base["error_rate"] == pytest.approx(change["error_rate"])
    pd.testing.assert_series_equal(out.iloc[2], raw.iloc[2])     # the change as projected


def test_projection_day_only_while_the_month_is_open(tmp_path: Path) -> None:
    for name in ("open", "last", "later"):
        (tmp_path / name).mkdir()
    open_ = write_folder(tmp_path / "open", audits=[audits(MONTH, "a", "spam", 40, day=10)])
    assert open_month_day(open_, MONTH) == f"{MONTH}-10"
    last_day = write_folder(tmp_path / "last", audits=[audits(MONTH, "a", "spam", 40, day=31)])
    assert open_month_day(last_day, MONTH) is None
    later = write_folder(tmp_path / "later", audits=[audits(MONTH, "a", "spam", 40, day=10),
                                                     audits("2026-11", "a", "spam", 5, day=2)])
    assert open_month_day(later, MONTH) is None
    with pytest.raises(ValueError, match="no audits in 2026-12"):
        open_month_day(later, "2026-12")
    assert rm.closed_month_note(MONTH).count(".") == 1     # one line, one sentence


# --- the built reports ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, sample_data: Path) -> dict[str, Any]:
    return built_pages(sample_data, tmp_path_factory.mktemp("mbr-finance"), MONTH, "mbr,mqr",
                       (MBR, MQR), jobs=2)


def _tables(page: BeautifulSoup) -> list[pd.DataFrame]:
    out = []
    for t in page.select("table.qa-table"):
        head = [th.get_text(" ", strip=True) for th in t.select("thead th")]
        rows = [[td.get_text(" ", strip=True) for td in tr.select("td")]
                for tr in t.select("tbody tr")]
        rows = [r[-len(head):] for r in rows if r]
        out.append(pd.DataFrame(rows, columns=head[-len(rows[0]):] if rows else head))
    return out


_MONEY_HEADERS = ("Cost", "Budget", "Amount", "Allocated", "Audit cost", "Added by errors",
                  "Variance", "Cost per item", "Cost per correct decision", "Cost of errors")


@pytest.mark.slow
def test_every_money_cell_and_sentence_carries_the_currency(built: dict[str, Any]) -> None:
    page = built["pages"][MBR]
    checked = 0
    for table in _tables(page):
        for column in table.columns:
            if (not column.startswith(_MONEY_HEADERS) or column == "Budget from"
                    or column.startswith("Budget used")):  # shares of the budget, not money
                continue
            for cell in table[column]:
                if cell != "–":
                    assert cell.startswith("USD "), (column, cell)
                    checked += 1
    assert checked > 50
    text = page.get_text(" ", strip=True)
    # Every amount in thousands or millions, anywhere on the page, follows the currency.
    amounts = re.findall(r"(USD [−+]?|[(\s−+-])(\d[\d,]*(?:\.\d+)?[kM])\b", text)
    assert amounts and all(lead.startswith("USD") for lead, _ in amounts), \
        [a for a in amounts if not a[0].startswith("USD")][:5]
    assert " pts of cost" not in text and "Size (of last month" not in text
    assert "parameter is 0" not in text


@pytest.mark.slow
def test_cost_and_budget_sentences_equal_the_tables_beside_them(built: dict[str, Any]) -> None:
    page = built["pages"][MBR]
    rows = built["findings"][built["findings"]["report"] == MBR].set_index("kind")
    waterfall = next(t for t in _tables(page) if "Component" in t.columns).set_index("Component")
    cost = rows.loc["cost_change", "sentence"]
    after = waterfall.loc["Cost in October 2026", "Amount"]
    before = waterfall.loc["Cost in September 2026", "Amount"]
    mix = waterfall.filter(like="Mix", axis=0)["Amount"].iloc[0]
    assert cost.startswith(f"Cost was {after} in October 2026") and f"from {before}" in cost
    assert f"saved {mix.replace('−', '')}" in cost
    budget = next(t for t in _tables(page) if "Budget from" in t.columns).set_index("Scope")
    org = budget.loc["Whole organisation"]
    # one sentence for cost: the budget's variance is in it, not a sentence of its own
    assert "budget_status" not in rows.index
    over = org["Variance (% of budget)"].replace("USD +", "USD ")
    assert f"Cost was {after} in October 2026, {over} over its budget of {org['Budget']}, " \
        "and up" in cost
    detail = page.find(string=re.compile("^The organisation's budget of "))
    assert detail is not None and f"budget of {org['Budget']} is the" in detail
    with open_store(built["data"]) as store:
        costs = cost_by_site(store, MONTH)
    assert _amount(org["Cost"]) == pytest.approx(costs["cost"].sum(), abs=5e3)


@pytest.mark.slow
def test_whatif_starts_from_this_months_audits_and_error_rate(built: dict[str, Any]) -> None:
    with open_store(built["data"]) as store:
        now = quality_summary(store, filters={"month": MONTH}).iloc[0]
    whatifs = [t for t in _tables(built["pages"][MBR]) if "Scenario" in t.columns]
    assert len(whatifs) == 2
    rate = (f"{100 * now['error_rate']:.2f}% ({100 * now['error_ci_low']:.2f}–"
            f"{100 * now['error_ci_high']:.2f}%)")
    for t in whatifs:
        base = t.set_index("Scenario").loc["baseline"]
        assert base["Audits"] == f"{int(now['n_audits']):,}"
        assert base["Org error rate (95% interval)"] == rate


@pytest.mark.slow
def test_closed_month_has_no_projection_and_one_line_why(built: dict[str, Any]) -> None:
    text = built["pages"][MBR].get_text(" ", strip=True)
    assert text.count(rm.closed_month_note(MONTH)) == 1
    assert "NO DATA" not in text and "Look-back" not in text
    assert not (built["folder"] / "tables" / "mbr_month_end_projection.csv").exists()


@pytest.mark.slow
def test_mbr_summary_agrees_with_the_mqr(built: dict[str, Any]) -> None:
    f = built["findings"]
    mbr, mqr = (f[f["report"] == r].set_index("kind") for r in (MBR, MQR))
    for kind in ("month_change", "driver_mix", "target_status"):
        assert mbr.loc[kind, "sentence"] == mqr.loc[kind, "sentence"], kind
    assert mbr.loc["month_change", "p_value"] == mqr.loc["month_change", "p_value"]
    p_text = re.search(r"\(p [=<] [\d.]+\)", mqr.loc["month_change", "sentence"]).group(0)
    for report in (MBR, MQR):
        box = built["pages"][report].select_one(".qa-summary").get_text(" ", strip=True)
        assert p_text in box
        assert (built["folder"] / f"{report}.summary.md").read_text(encoding="utf-8") \
            .split("\n\n", 1)[1].strip() == box
    # The MBR's only test of the month's change is the MQR's headline test.
    mbr_text = built["pages"][MBR].get_text(" ", strip=True)
    assert "Error rate 3.21% in 2026-09" not in mbr_text
    assert mbr.index.tolist() == [*mqr.index[:-1], "cost_change", "action"]
    # the MQR's action, then finance's, in one sentence
    assert mbr.loc["action", "sentence"].startswith(mqr.loc["action", "sentence"][:-1] + "; ")
    assert len(_sentences(" ".join(mbr["sentence"]))) <= 7


def _sentences(text: str) -> list[str]:
    """Sentences of a paragraph: a full stop, then a space and a capital (numbers such as
    "0.007" or "USD 1.68M" do not end one)."""
    return re.split(r"(?<=\.)\s+(?=[A-Z])", text.strip())


def test_sentences_splits_on_full_stops_only() -> None:
    assert len(_sentences("Accuracy was 95.4% (p = 0.007). Cost was USD 1.68M. Done.")) == 3


@pytest.mark.slow
def test_mbr_summary_links_to_the_sections_and_deep_dives_below(built: dict[str, Any]) -> None:
    page = built["pages"][MBR]
    box = page.select_one(".qa-summary")
    notes = box.find_all_next("p", class_="qa-note", limit=2)
    detail = next(n for n in notes if n.get_text().startswith("In detail below"))
    hrefs = [a["href"] for a in detail.find_all("a")]
    assert len(hrefs) == 4 and all(h.startswith("#") for h in hrefs)
    for href in hrefs:  # every link lands on a heading of this page
        assert page.find(id=href[1:]) is not None, href
    assert page.find(id="Actions-the-numbers-suggest") in detail.find_all_next()


def test_mbr_summary_keeps_the_quality_claims_verbatim_and_in_order() -> None:
    h = {"accuracy": .953, "ci_low": .945, "ci_high": .960, "n_audits": 3112,
         "target": .955, "target_status": "at risk", "previous_month": None}
    quality = executive_summary(h, month=MONTH, scope_label="whole organisation")
    budget = pd.DataFrame({"scope": ["org", "site", "site"], "scope_value": ["", "a", "b"],
                           "items_handled": [3000, 1000, 2000], "cost": [990.0, 500.0, 490.0],
                           "budget": [900.0, 400.0, 600.0], "variance": [90.0, 100.0, -110.0],
                           "variance_pct": [10.0, 25.0, -110 / 6],
                           "budget_cost_per_item": [0.3, 0.4, 0.3],
                           "status": ["over budget", "over budget", "within budget"]})
    claims = business_summary(quality, None, budget_claims(budget, "USD", MONTH, "Org"))
    assert [c for c in claims if c.kind in ("month_change", "target_status")] == quality[:2]
    assert [c.kind for c in claims] == ["month_change", "target_status", "budget_status",
                                        "action", "action"]
    status = claims[2].sentence
    # 900 budget, 990 cost: 90 (+10.0%) over; sites 400 + 600 = 1,000, 100 (+11.1%) more.
    assert status == "Cost was USD 90 (+10.0%) over its budget of USD 900."
    detail = budget_detail(budget, "USD")
    assert detail is not None and \
        "Of the 2 sites with a target of their own, 1 was over budget" in detail
    assert "USD 0.300 cost-per-item target for 3,000 items" in detail
    assert "add up to USD 1.0k, USD 100 (+11.1%) more than the organisation's" in \
        budget_consistency(budget, "USD")
    assert claims[-1].numbers["owner"] == "finance" and "USD 0.330" in claims[-1].sentence
    assert budget_consistency(budget.assign(budget=[1000.0, 400.0, 600.0]), "USD") is None
