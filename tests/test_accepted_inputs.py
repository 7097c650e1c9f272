"""Whatever validation accepts builds right, or is refused clearly (issue 21).

Every case is generated here from the seeded sample generator: the same audits in the
plain layout (one ``audits.csv``) and in the layout under test must give the same counts,
or validation must refuse the layout with a message naming the path.
"""

from __future__ import annotations

import functools
import json
import re
import statistics
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qa_insights.data.opening import open_store
from qa_insights.data.queries import audit_counts
from qa_insights.data.sample_data import generate
from qa_insights.quality.metrics import quality_summary

OPTIONAL = ["error_reason", "severity", "handle_time_s", "dispute_status", "comment"]


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three months of seeded sample data in the plain layout."""
    folder = tmp_path_factory.mktemp("plain")
    generate(folder, months=3, audits_per_month=1500, seed=21)
    return folder


@functools.cache
def _audits(plain: Path) -> pd.DataFrame:
    """The plain audits as text, with the month validation gives each row (``_month``);
    computed once (callers do not modify it)."""
    frame = pd.read_csv(plain / "audits.csv", dtype=str, keep_default_na=False)
    with open_store(plain) as store:
        months = store.query("SELECT audit_id, month AS _month FROM audits")
    return frame.merge(months, on="audit_id", how="left", validate="one_to_one")


def _counts(folder: Path, months: list[str] | None = None) -> pd.DataFrame:
    """Audit counts by month of ``folder`` (opened with the month window ``months``)."""
    with open_store(folder, months=months) as store:
        return audit_counts(store, ["month"])


@functools.cache
def _plain_counts(folder: Path, months: tuple[str, ...] | None = None) -> pd.DataFrame:
    """:func:`_counts` of the plain layout, computed once per window."""
    return _counts(folder, None if months is None else list(months))


def _notes_of_a_clean_copy(folder: Path, plain: Path) -> list[str]:
    """Validation's notes on ``folder``, after checking that it quarantines nothing and
    gives the plain layout's counts."""
    with open_store(folder) as store:
        counts = audit_counts(store, ["month"])
        notes = store.validation.notes()
        assert store.validation.clean
    pd.testing.assert_frame_equal(counts, _plain_counts(plain))
    return notes


def _write_part(part: pd.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "csv":
        part.to_csv(path, index=False)
    else:
        part.to_parquet(path, index=False)


def _parts_oldest_lacking(audits: pd.DataFrame, root: Path, fmt: str,
                          lacking: list[str]) -> tuple[list[str], Path]:
    """``root/audits/part-<month>.<fmt>``, a file per month of ``audits``, the oldest
    without the columns ``lacking``; returns the months (oldest first) and that file."""
    months = sorted(audits["_month"].unique())
    folder = root / "audits"
    folder.mkdir()
    for month, part in audits.groupby("_month"):
        part = part.drop(columns="_month")
        if month == months[0]:
            part = part.drop(columns=lacking)
        _write_part(part, folder / f"part-{month}.{fmt}", fmt)
    return months, folder / f"part-{months[0]}.{fmt}"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_parts_lacking_optional_columns_are_unioned(plain: Path, tmp_path: Path,
                                                    fmt: str) -> None:
    audits = _audits(plain)
    # The oldest export predates the optional columns.
    months, old_part = _parts_oldest_lacking(audits, tmp_path, fmt, OPTIONAL)

    with open_store(tmp_path) as store:
        split = audit_counts(store, ["month"]).set_index("month")
        notes = store.validation.notes()
        split_summary = quality_summary(store, ["month"]).set_index("month")
    with open_store(plain) as store:
        whole = audit_counts(store, ["month"]).set_index("month")
        whole_summary = quality_summary(store, ["month"]).set_index("month")

    newer = months[1:]
    pd.testing.assert_frame_equal(split.loc[newer], whole.loc[newer])
    for column in ("critical_error_rate", "accuracy"):
        assert split_summary.loc[newer, column].tolist() == whole_summary.loc[newer,
                                                                              column].tolist()
    assert whole.loc[newer, "n_critical"].sum() > 0  # the case would catch a dropped column
    # The old part's rows have no severity or dispute: no critical error, and an overturned
    # audit is an error there, for that file only.
    old = audits[audits["_month"] == months[0]]
    overturned = int(((old["dispute_status"] == "overturned")
                      & (old["moderator_decision"] != old["auditor_decision"])).sum())
    assert split.loc[months[0], "n_critical"] == 0
    assert split.loc[months[0], "n_errors"] == whole.loc[months[0], "n_errors"] + overturned
    assert split.loc[months[0], "n_audits"] == whole.loc[months[0], "n_audits"]
    assert notes == [(f"audits: {old_part} lacks columns "
                      "'error_reason', 'severity', 'handle_time_s', 'dispute_status', "
                      "'comment' (given in other files): empty for that file's rows")]


def test_a_part_lacking_one_optional_column_is_named(plain: Path, tmp_path: Path) -> None:
    _, old_part = _parts_oldest_lacking(_audits(plain), tmp_path, "parquet", ["comment"])
    assert _notes_of_a_clean_copy(tmp_path, plain) == [
        f"audits: {old_part} lacks column 'comment' (given in other files): empty for that "
        "file's rows"]


def _partition_path(layout: str, month: str) -> str:
    year, number = month.split("-")
    return {"flat": f"part-{month}",
            "month": f"month={month}/part-0",
            "year_month": f"year={year}/month={int(number)}/part-0",
            "year_month_padded": f"year={year}/month={number}/part-0",
            "nested_other": f"region=all/day={month}-01/part-0"}[layout]


def _write_layout(audits: pd.DataFrame, folder: Path, layout: str, fmt: str) -> None:
    for month, part in audits.groupby("_month"):
        path = folder / "audits" / f"{_partition_path(layout, month)}.{fmt}"
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_part(part.drop(columns="_month"), path, fmt)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("layout", ["flat", "month", "year_month", "year_month_padded",
                                    "nested_other"])
def test_partition_layouts_give_the_plain_counts(plain: Path, tmp_path: Path, layout: str,
                                                 fmt: str) -> None:
    """Splitting the audits into parts by month, in any layout the readers accept, changes
    no count: neither of every month, nor of a report's month window (which opens only the
    window's partitions)."""
    audits = _audits(plain)
    months = sorted(audits["_month"].unique())
    _write_layout(audits, tmp_path, layout, fmt)
    pd.testing.assert_frame_equal(_counts(tmp_path), _plain_counts(plain))
    for window in (months[-1:], months[:2]):
        counts = _counts(tmp_path, months=window)
        pd.testing.assert_frame_equal(counts, _plain_counts(plain, tuple(window)))
        assert counts["month"].tolist() == window


@pytest.mark.parametrize("hidden", [".trash", ".ipynb_checkpoints", "_temporary/0"])
def test_hidden_folders_are_ignored_and_named(plain: Path, tmp_path: Path, hidden: str) -> None:
    audits = _audits(plain)
    _write_layout(audits, tmp_path, "flat", "csv")
    stale = tmp_path / "audits" / hidden
    stale.mkdir(parents=True)
    # A stale, non-identical copy: read as data it would double the audits and conflict.
    copy = audits.drop(columns="_month").assign(comment="stale copy")
    copy.to_csv(stale / "part-checkpoint.csv", index=False)
    top = tmp_path / "audits" / hidden.split("/")[0]
    assert _notes_of_a_clean_copy(tmp_path, plain) == [
        f"audits: {top}: hidden, ignored (not read as data)"]


def test_boolean_parquet_handle_time_is_quarantined(plain: Path, tmp_path: Path) -> None:
    audits = _audits(plain).drop(columns="_month").head(50).copy()
    audits["handle_time_s"] = [i % 2 == 0 for i in range(len(audits))]
    (tmp_path / "audits").mkdir()
    audits.to_parquet(tmp_path / "audits" / "part-0.parquet", index=False)
    with open_store(tmp_path) as store:
        report = store.validation.tables["audits"]
    assert report.quarantined == {
        "handle_time_s: expected a number (the column's type is BOOLEAN)": 50}


def test_absurd_numbers_are_quarantined_and_the_rest_builds(plain: Path,
                                                             tmp_path: Path) -> None:
    """1e19 tenure (beyond BIGINT) and 1e308 handle times would crash or poison later
    queries; they are quarantined with their reason and every other row counts as before."""
    audits = _audits(plain).drop(columns="_month")
    bad = audits.index[:3]
    audits.loc[bad[0], "moderator_tenure_days"] = "1e19"
    audits.loc[bad[1:], "handle_time_s"] = "1e308"
    audits.to_csv(tmp_path / "audits.csv", index=False)
    with open_store(tmp_path) as store:
        report = store.validation.tables["audits"]
        by_band = audit_counts(store, ["tenure_band"])
        worst = store.query("SELECT max(handle_time_s) AS m, max(moderator_tenure_days) AS t "
                            "FROM audits")
    assert report.quarantined == {
        "moderator_tenure_days: expected a value <= 36500 (larger is implausible)": 1,
        "handle_time_s: expected a value <= 86400 (larger is implausible)": 2}
    assert by_band["n_audits"].sum() == len(audits) - 3
    assert worst["m"].iloc[0] <= 86400 and worst["t"].iloc[0] <= 36500


def test_a_typo_month_is_named_and_never_the_default(plain: Path, tmp_path: Path) -> None:
    from qa_insights.reports.engine.context import default_report_month, resolve_context

    audits = _audits(plain).drop(columns="_month")
    months = sorted(_audits(plain)["_month"].unique())
    typo = audits.iloc[[0]].assign(audit_id="TYPO1", audited_at="2099-10-14T09:00:00Z")
    pd.concat([audits, typo]).to_csv(tmp_path / "audits.csv", index=False)
    with open_store(tmp_path) as store:
        notes = store.validation.notes()
        chosen = default_report_month(store)
        ctx = resolve_context(store, month="")
    # The median month of the data as loaded: the three real months and the typo's.
    median = f"{statistics.median([*_plain_counts(plain)['n_audits'], 1]):,.0f}"
    assert chosen == (months[-1], ("latest month with a plausible number of audits; skipped "
                      f"2099-10 (1 audit), under 10% of the median month, {median} audits: "
                      "a date typo?"))
    assert ctx.month == months[-1]
    assert notes == [(f"audits: audited_at: sparse months 2099-10 (1 audit), under 10% of the "
                     f"median month, {median} audits: a date typo? A build without --month "
                     "never picks them")]


HOSTILE_NAMES = ["cost $5 or $6", r"$\frac$", "_night_shift", "plain"]


def test_names_are_text_in_charts() -> None:
    """A name with ``$`` is drawn as written (mathtext would fail on ``$\\frac$`` and eat the
    dollars of ``cost $5 or $6``), and a name starting with ``_`` keeps its legend entry."""
    from matplotlib.text import Text

    from qa_insights.present.plots import bar_counts, figure_png, interval_dots, trend

    frame = pd.DataFrame({"site": HOSTILE_NAMES, "n": [40, 30, 20, 10],
                          "rate": [0.1, 0.2, 0.3, 0.4]})
    lines = pd.DataFrame({"month": ["2026-09", "2026-10"] * 4,
                          "site": [s for s in HOSTILE_NAMES for _ in range(2)],
                          "rate": np.linspace(0.1, 0.8, 8)})
    charts = [bar_counts(frame, "site", "n", title="Audits by site"),
              interval_dots(frame, "site", "rate", "rate", "rate", title="Rate by site"),
              trend(lines, "month", "rate", hue="site", title="Rate: cost $5 or $6")]
    for fig in charts:
        assert figure_png(fig).startswith(b"\x89PNG")
        drawn = [t for t in fig.findobj(Text) if "$" in t.get_text()]
        assert drawn and not any(t.get_parse_math() for t in drawn)
    legend = [t.get_text() for t in charts[2].axes[0].get_legend().get_texts()]
    assert [name.lstrip("\u200b") for name in legend] == sorted(HOSTILE_NAMES)


@functools.cache
def _calibration(plain: Path) -> pd.DataFrame:
    """The plain calibration table as the store loads it."""
    from qa_insights.calibration.load import load_calibration

    with open_store(plain) as store:
        return load_calibration(store)


def test_calibration_without_an_expert_says_what_is_missing(plain: Path) -> None:
    from qa_insights.calibration.gold_checks import missing_gold_note
    from qa_insights.calibration.raters import rater_accuracy

    calib = _calibration(plain)
    no_expert = calib[calib["rater_role"] != "expert"]
    raters = rater_accuracy(no_expert)
    assert raters.empty
    assert list(raters.columns) == list(rater_accuracy(calib).columns)
    assert not raters["outside_band"].any()
    assert missing_gold_note(no_expert, "2026-10", "whole organisation") == (
        "No expert rated the calibration items of 2026-10 for the whole organisation, so "
        "raters cannot be compared with the golden answer: add the expert's ratings "
        "(rater_role expert) to the calibration table.")
    assert missing_gold_note(calib, "2026-10", "whole organisation") == ""


def test_experts_who_disagree_leave_their_items_out_and_counted(plain: Path) -> None:
    """The documented rule: an item two experts labelled differently has no golden answer and
    is left out (and counted); raters are then scored exactly as when such items have no
    gold (``on_conflict="drop"``), and nothing raises."""
    from qa_insights.calibration.gold_checks import without_expert_conflicts
    from qa_insights.calibration.raters import rater_accuracy

    calib = _calibration(plain)
    experts = calib[calib["rater_role"] == "expert"].drop_duplicates(["session_id", "item_id"])
    disputed = experts.head(3)
    second = disputed.assign(rater_id="SECOND_EXPERT",
                             label=np.where(disputed["label"] == "spam", "hate_speech", "spam"))
    conflicted = pd.concat([calib, second], ignore_index=True)
    with pytest.raises(ValueError, match="experts disagree on 3 items"):
        rater_accuracy(conflicted)
    kept, note = without_expert_conflicts(conflicted)
    examples = ", ".join(f"session {s} item {i}" for s, i in sorted(
        zip(disputed["session_id"], disputed["item_id"], strict=True)))
    assert note == ("3 calibration items left out: their experts gave different labels, so "
                    f"they have no golden answer ({examples}).")
    assert len(kept) == len(calib) - int(calib.set_index(["session_id", "item_id"]).index.isin(
        disputed.set_index(["session_id", "item_id"]).index).sum())
    pd.testing.assert_frame_equal(rater_accuracy(kept),
                                  rater_accuracy(conflicted, on_conflict="drop"))


def _report_status(out: Path, month: str) -> dict[str, str]:
    manifest = json.loads((out / month / "manifest.json").read_text())
    return {name: entry["status"] for name, entry in manifest["reports"].items()}


@pytest.mark.slow
def test_reports_build_on_valid_stores_missing_pieces(plain: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    """No expert in the month, no volumes file, and site names with ``$`` or a leading
    ``_``: `qa-insights build` publishes every report (the MQR says what is missing; the
    calibration report scores the month against the raters' Dawid-Skene consensus and
    says so), exit 0."""
    from qa_insights.cli import main

    data = tmp_path / "data"
    audits = _audits(plain)
    month = max(audits["_month"].unique())
    sites = sorted(audits["site"].unique())
    renamed = {sites[0]: "cost $5 or $6", sites[1]: "_night_shift"}
    data.mkdir()
    audits.drop(columns="_month").replace({"site": renamed}).to_csv(data / "audits.csv",
                                                                    index=False)
    calib = _calibration(plain)
    calib = calib[~((calib["rater_role"] == "expert")
                    & (calib["session_date"].astype(str).str[:7] == month))]
    calib.replace({"site": renamed}).to_csv(data / "calibration.csv", index=False)
    out = tmp_path / "out"
    code = main(["build", "--month", month, "--data", str(data), "--out", str(out),
                 "--reports", "mqr,calibration,mbr", "--jobs", "2"])
    assert code == 0, capsys.readouterr()
    assert _report_status(out, month) == {"monthly_quality_report": "ok",
                                          "calibration_report": "ok",
                                          "monthly_business_review": "ok"}
    line = (f"No expert rated the calibration items of {month} for the whole organisation, "
            "so raters cannot be compared with the golden answer: add the expert's ratings "
            "(rater_role expert) to the calibration table.")
    assert line in (out / month / "monthly_quality_report.html").read_text()
    calibration = (out / month / "calibration_report.html").read_text()
    assert "raters are scored against the Dawid-Skene consensus of all raters" in calibration
    assert "scored against the raters&#x27; consensus, no expert" in calibration or \
        "scored against the raters' consensus, no expert" in calibration
    mbr = (out / month / "monthly_business_review.html").read_text()
    assert (f"No volumes for {month}: add the month's items handled and cost per site "
            "and queue to volumes.csv to see the what-ifs.") in mbr


@pytest.mark.slow
def test_experts_who_disagree_build_from_the_cli(plain: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture) -> None:
    from qa_insights.cli import main

    data = tmp_path / "data"
    data.mkdir()
    audits = _audits(plain)
    month = max(audits["_month"].unique())
    audits.drop(columns="_month").to_csv(data / "audits.csv", index=False)
    calib = _calibration(plain)
    experts = calib[(calib["rater_role"] == "expert")
                    & (calib["session_date"].astype(str).str[:7] == month)]
    disputed = experts.drop_duplicates(["session_id", "item_id"]).head(2)
    second = disputed.assign(rater_id="SECOND_EXPERT",
                             label=np.where(disputed["label"] == "spam", "hate_speech", "spam"))
    pd.concat([calib, second]).to_csv(data / "calibration.csv", index=False)
    out = tmp_path / "out"
    code = main(["build", "--month", month, "--data", str(data), "--out", str(out),
                 "--reports", "calibration", "--jobs", "1"])
    assert code == 0, capsys.readouterr()
    assert _report_status(out, month) == {"calibration_report": "ok"}
    assert ("2 calibration items left out: their experts gave different labels, so they "
            "have no golden answer") in (out / month / "calibration_report.html").read_text()


def test_privacy_scan_reads_text_not_markup(tmp_path: Path) -> None:
    """An auditor id ``system`` is not found in CSS (``system-ui``), class names or style
    attributes; in text, an attribute a reader sees or a CSV cell it is found, and the hit
    names the kind of id and the place, never the id."""
    from qa_insights.present.id_scan import id_places
    from qa_insights.reports.engine.publish import raw_id_hits

    kinds = {"system": "auditor_id", "M0412": "moderator_id"}
    clean = tmp_path / "clean.html"
    clean.write_text('<html><head><style>body { font-family: system-ui, sans-serif }</style>'
                     '</head><body class="system"><p style="font: 12px system-ui" '
                     'id="system">MOD-4e06948929</p><script>var system = 1;</script>'
                     '</body></html>')
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<table><tr><td>M0412</td></tr></table><img alt="audited by system">')
    table = tmp_path / "t.csv"
    table.write_text("auditor_id,n_audits\nsystem,31\n")
    assert raw_id_hits([clean, leaky, table], frozenset(kinds)) == {"leaky.html": 2,
                                                                    "t.csv": 1}
    assert id_places([clean, leaky, table], kinds) == {
        "leaky.html": ["moderator_id in the text of <td>",
                       "auditor_id in the alt attribute of <img>"],
        "t.csv": ["auditor_id in column auditor_id"]}


def test_pseudonym_key_is_part_of_the_build_key(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from qa_insights.reports.engine import run
    from qa_insights.reports.engine.publish import build_context, build_key

    Task = run.Task  # defined in run, or (newer code) imported there from engine.tasks

    notebook = tmp_path / "r.ipynb"
    notebook.write_text("{}")
    task = Task(report="mqr", stem="r", title="R", month="2026-10", notebook=notebook,
                parameters={"month": "2026-10"}, staging=tmp_path / "s", header={})
    keys = []
    for secret in ("first-secret", "first-secret", "second-secret"):
        monkeypatch.setenv("QA_INSIGHTS_PSEUDONYM_KEY", secret)
        context = build_context("f" * 64, [notebook])
        keys.append(build_key(task, context))
        assert secret not in json.dumps(context.pseudonym_key)
    assert keys[0] == keys[1] != keys[2]


def test_people_tables_suppress_small_cells_in_the_html() -> None:
    """Every per-person table shown through ``ctx.people`` leaves out people below the
    30-audit minimum (the RCA's "moderators in each group" lists 8-20 audits each)."""
    from qa_insights.present import display as qd
    from qa_insights.present.privacy import MIN_AUDITS_PER_PERSON
    from qa_insights.reports.engine.context import ReportContext

    rng = np.random.default_rng(21)
    members = pd.DataFrame({"moderator_id": [f"M{i:04d}" for i in range(40)],
                            "cluster": rng.integers(1, 4, 40),
                            "n_audits": rng.integers(8, 60, 40)})
    members["n_errors"] = rng.binomial(members["n_audits"], 0.1)
    ctx = ReportContext("2026-10", "org", "", 30, False, ("2026-10",), 1000)
    shown = ctx.people(members)  # pseudonymised with the session's secret key (conftest)
    html = str(qd.table(shown, caption="Moderators in each group")._repr_html_())
    header = re.findall(r"<th[^>]*>([^<]*)</th>", html)
    rows = [re.findall(r"<td[^>]*>([^<]*)</td>", row)
            for row in re.findall(r"<tr>(.*?)</tr>", html.split("<tbody>")[1])]
    from qa_insights.present.labels import label

    audits = [int(row[header.index(label("n_audits"))].replace(",", "")) for row in rows]
    small = int((members["n_audits"] < MIN_AUDITS_PER_PERSON).sum())
    assert small > 0 and shown.attrs["suppressed"] == small
    assert len(rows) == len(members) - small
    assert min(audits) >= MIN_AUDITS_PER_PERSON
    assert not any(f"M{i:04d}" in html for i in range(40))
    analyst = ReportContext("2026-10", "org", "", 30, True, ("2026-10",), 1000)
    assert len(analyst.people(members)) == len(members)


@pytest.mark.parametrize("damage", ["duplicated extra", "trailing comma", "unnamed column"])
def test_spreadsheet_headers_load_with_the_contract_columns(plain: Path, tmp_path: Path,
                                                            damage: str) -> None:
    """Extra columns are ignored by the contract, whatever their names: a repeated extra
    name, a trailing comma on every line (an unnamed last column) or an unnamed column in
    the middle load the same rows as the plain file, and validate names them."""
    lines = (plain / "audits.csv").read_text().splitlines()
    n_columns = len(lines[0].split(","))
    if damage == "duplicated extra":
        lines = [lines[0] + ",note,note"] + [line + ",a,b" for line in lines[1:]]
        note = "column 'note' appears more than once; not a contract column: ignored"
    elif damage == "trailing comma":
        lines = [line + "," for line in lines]
        note = f"column {n_columns + 1} has no name (a trailing comma?): ignored"
    else:
        # Only on the first line of a record: a quoted comment's continuation line is not one.
        lines = [lines[0].replace(",", ",,", 1)] + [
            line.replace(",", ",x,", 1) if re.match(r"A\d+,", line) else line
            for line in lines[1:]]
        note = "column 2 has no name (a trailing comma?): ignored"
    (tmp_path / "audits.csv").write_text("\n".join(lines) + "\n")
    assert _notes_of_a_clean_copy(tmp_path, plain) == [
        f"audits: {tmp_path / 'audits.csv'}: {note}"]


@pytest.mark.parametrize("quarantined", [False, True])
def test_validate_into_a_closed_pipe(plain: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch, quarantined: bool) -> None:
    """``qa-insights validate ... | head -1``: the reader closes the pipe; validate still
    writes the quarantine and returns its own exit code, without a BrokenPipeError."""
    import os
    import sys

    from qa_insights.cli import main

    data = tmp_path / "data"
    data.mkdir()
    audits = _audits(plain).drop(columns="_month")
    if quarantined:
        bad = audits.tail(1).assign(audit_id="BAD1", handle_time_s="fast")
        audits = pd.concat([audits, bad])
    audits.to_csv(data / "audits.csv", index=False)
    read_end, write_end = os.pipe()
    os.close(read_end)
    closed = open(write_end, "w")  # closed in the finally below
    monkeypatch.setattr(sys, "stdout", closed)
    try:
        code = main(["validate", str(data), "--quarantine-dir", str(tmp_path / "q")])
    finally:
        monkeypatch.undo()
        closed.close()
    assert code == (1 if quarantined else 0)
    assert (tmp_path / "q" / "audits.quarantine.csv").is_file() == quarantined


_READER = """
import warnings
warnings.simplefilter("ignore")
from qa_insights.reports.engine.notebook import open_report
store, ctx = open_report(month=month, data_dir=data_dir, months=[month])
print(ctx.n_audits)
"""


@pytest.mark.slow
def test_data_changing_during_a_build_fails_the_reports_that_finish_after(
        plain: Path, tmp_path: Path) -> None:
    """Each report records the fingerprint of the data it read (its month window), in the
    manifest and its header; a report that finishes after a data file changed is failed
    (exit non-zero), not published under a fingerprint that is not that of its data."""
    from qa_insights.reports.engine.build import ReportSpec, build

    from .report_helpers import manifest, tiny_notebook

    data = tmp_path / "data"
    _write_layout(_audits(plain), data, "month", "csv")
    month = _plain_counts(plain)["month"].iloc[-1]
    notebooks = tmp_path / "notebooks"
    tiny_notebook(notebooks / "reader.ipynb", _READER)
    changed = data / "audits" / f"month={month}" / "part-0.csv"
    tiny_notebook(notebooks / "changer.ipynb", _READER + (
        f"\nwith open({str(changed)!r}, 'a') as fh:\n    fh.write('')\n"
        "import os\nos.utime(" + repr(str(changed)) + ", ns=(1, 1))\n"))
    registry = {n: ReportSpec(n, f"{n}.ipynb", n.title()) for n in ("reader", "changer")}
    with open_store(data, months=[month]) as store:
        window_fingerprint = store.fingerprint
    with open_store(data) as store:
        assert store.fingerprint != window_fingerprint  # the case tells them apart
    summary = build(month=month, data_dir=data, out_dir=tmp_path / "out", registry=registry,
                    jobs=1, progress=False, notebooks_dir=notebooks)
    assert summary.exit_code == 1
    entries = manifest(tmp_path / "out", month)["reports"]
    assert entries["reader"]["status"] == "ok"
    assert entries["reader"]["input_fingerprint"] == window_fingerprint
    page = (tmp_path / "out" / month / "reader.html").read_text()
    assert window_fingerprint[:16] in page
    assert entries["changer"]["status"] == "failed"
    assert entries["changer"]["error"]["ename"] == "DataChanged"
    assert entries["changer"]["error"]["evalue"] == (
        f"the data in {data} changed during the build (audits/month={month}/part-0.csv): "
        "this report was not published; build again once the data is complete")
    assert not (tmp_path / "out" / month / "changer.html").exists()
