"""Privacy of what a build publishes.

* The full month set built on the sample data (every report, whatever the notebooks show):
  no rendered HTML and no CSV holds a raw ``moderator_id``, ``auditor_id`` or calibration
  ``rater_id`` of the input, no header claims analyst mode, and any table with a person
  column has no row below the minimum count.
* The engine enforces it: a manager-facing report that shows raw ids fails
  (``RawIdsInReport``, naming the files, not the ids) and is not published; people shown
  through ``ReportContext.people`` appear as keyed pseudonyms.
* Analyst mode shows the raw ids, explicitly: the header says so and the manifest records
  ``analyst_mode: true``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from qa_insights.present.privacy import MIN_AUDITS_PER_PERSON, MIN_CALIBRATION_ITEMS
from qa_insights.reports.engine.build import build
from qa_insights.reports.engine.kinds import ReportSpec
from qa_insights.reports.engine.publish import raw_id_hits
from tests.report_helpers import manifest, tiny_notebook

pytest_plugins = ["tests.fixtures_reports"]

ANALYST_BANNER = "Analyst mode: this report may show raw moderator ids"
PERSON_COLUMNS = {"moderator_id", "auditor_id", "rater_id", "moderator", "auditor", "rater"}
COUNT_COLUMNS = ("n_audits", "n_items", "n_ratings", "n")
MIN_N = MIN_AUDITS_PER_PERSON


def _raw_ids(data: Path) -> set[str]:
    """Every person id of the input files, read independently of the store."""
    audits = pd.read_csv(data / "audits.csv", dtype=str, keep_default_na=False)
    ids = set(audits["moderator_id"]) | set(audits.get("auditor_id", []))
    if (data / "calibration.csv").exists():
        ids |= set(pd.read_csv(data / "calibration.csv", dtype=str,
                               keep_default_na=False)["rater_id"])
    return {i for i in ids if i}


def _scan(paths: list[Path], ids: set[str]) -> dict[str, list[str]]:
    """File -> raw ids found as whole words, embedded images left out."""
    pattern = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(
        re.escape(i) for i in sorted(ids, key=len, reverse=True)) + r")(?![A-Za-z0-9_])")
    found = {}
    for path in paths:
        text = re.sub(r"data:[\w.+/-]+;base64,[A-Za-z0-9+/=]+", " ", path.read_text())
        hits = sorted(set(pattern.findall(text)))
        if hits:
            found[path.name] = hits[:5]
    return found


@pytest.mark.slow
def test_full_month_set_shows_no_raw_ids(built_month: dict) -> None:
    out, data = Path(built_month["out"]), Path(built_month["data"])
    ids = _raw_ids(data)
    assert len(ids) > 100  # moderators, auditors, experts
    html = sorted(out.rglob("*.html"))
    csvs = sorted(out.rglob("*.csv"))
    assert len(html) >= 6 and len(csvs) >= 3
    assert _scan(html + csvs, ids) == {}
    for path in html:
        if path.name != "index.html":
            assert ANALYST_BANNER not in path.read_text(), path.name
    for entry in manifest(out, built_month["month"])["reports"].values():
        assert entry["parameters"]["analyst_mode"] is False


#: Minimum count behind a per-person row, by the count column the table carries.
MINIMUM = {"n_items": MIN_CALIBRATION_ITEMS}


@pytest.mark.slow
def test_person_tables_respect_the_minimum_count(built_month: dict) -> None:
    below = {}
    for path in sorted(Path(built_month["out"]).rglob("*.csv")):
        frame = pd.read_csv(path)
        people = PERSON_COLUMNS & set(frame.columns)
        counts = [c for c in COUNT_COLUMNS if c in frame.columns]
        if people and counts:
            minimum = MINIMUM.get(counts[0], MIN_N)
            if not (frame[counts[0]] >= minimum).all():
                below[path.name] = int((frame[counts[0]] < minimum).sum())
    assert below == {}


_PEOPLE = """
import warnings
warnings.simplefilter("ignore")
from IPython.display import display
from qa_insights.present import display as qd
from qa_insights.quality.metrics import quality_summary
from qa_insights.reports.engine.context import resolve_context
from qa_insights.reports.engine.tables import write_table
from qa_insights.data.opening import open_store
store = open_store(data_dir)
ctx = resolve_context(store, month=month, analyst_mode=analyst_mode)
people = quality_summary(store, "moderator_id", filters=ctx.filters)
people = people[people.n_audits >= ctx.min_n][["moderator_id", "n_audits", "accuracy"]]
SHOW
"""


@pytest.mark.slow
def test_engine_refuses_raw_ids_unless_analyst_mode(sample_data: Path, tmp_path: Path) -> None:
    notebooks, out = tmp_path / "notebooks", tmp_path / "out"
    tiny_notebook(notebooks / "people.ipynb", _PEOPLE.replace(
        "SHOW", "shown = ctx.people(people)\ndisplay(qd.table(shown))\n"
                "write_table(shown, 'people_accuracy', tables_dir)"))
    tiny_notebook(notebooks / "leak.ipynb", _PEOPLE.replace(
        "SHOW", "display(qd.table(people))\nwrite_table(people, 'leak_accuracy', tables_dir)"))
    registry = {n: ReportSpec(n, f"{n}.ipynb", n.title()) for n in ("people", "leak")}
    ids = _raw_ids(sample_data)

    managers = build(data_dir=sample_data, out_dir=out, registry=registry, jobs=2,
                     progress=False, notebooks_dir=notebooks)
    month = managers.months[0]
    assert {r.task.stem: r.status for r in managers.results} == {"people": "ok",
                                                                 "leak": "failed"}
    entry = manifest(out, month)["reports"]["leak"]
    assert entry["error"]["ename"] == "RawIdsInReport"
    assert "leak.html" in entry["error"]["evalue"] and "leak_accuracy.csv" in entry[
        "error"]["evalue"]
    assert not (out / month / "leak.html").exists()
    assert not (out / month / "tables" / "leak_accuracy.csv").exists()
    published = sorted(p for p in out.rglob("*") if p.suffix in (".html", ".csv"))
    assert _scan(published, ids) == {}  # including the index and the error message
    page = (out / month / "people.html").read_text()
    assert "MOD-" in page and ANALYST_BANNER not in page
    table = pd.read_csv(out / month / "tables" / "people_accuracy.csv")
    assert table["moderator_id"].str.match(r"^MOD-[0-9a-f]{10}$").all() and len(table) > 0

    analysts = build(data_dir=sample_data, out_dir=tmp_path / "analyst", registry=registry,
                     jobs=2, progress=False, notebooks_dir=notebooks, analyst_mode=True)
    assert {r.status for r in analysts.results} == {"ok"}
    for stem in ("people", "leak"):
        page = (tmp_path / "analyst" / month / f"{stem}.html").read_text()
        assert ANALYST_BANNER in page
        assert _scan([tmp_path / "analyst" / month / f"{stem}.html"], ids), stem  # raw ids
        assert manifest(tmp_path / "analyst", month)["reports"][stem]["parameters"][
            "analyst_mode"] is True


def test_raw_id_hits_whole_words_only(tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    page.write_text('<td>M0412</td><td>XM0007</td><td>M0007x</td><td>a b-c</td>'
                    '<img src="data:image/png;base64,TTAwMDc+M0007/Q==">')
    ids = frozenset({"M0412", "M0007", "b-c", "zzz"})
    assert raw_id_hits([page], ids) == {"r.html": 2}  # M0412 and "b-c"
