"""The qa-insights command: sample data, validation and report builds.

Exit codes: 0 success; 1 rows were quarantined or an optional column the reports use is
missing (validate), or a report failed (build);
2 a fatal input or usage problem, with a message that says what to fix.

Examples
--------
::

    qa-insights sample-data --out data_samples
    qa-insights validate data_samples
    qa-insights init exports/        # draft exports/qa_insights.yaml, then validate
    qa-insights build --month 2026-10 --data data_samples --out reports
    qa-insights ingest data_samples --store reports/.store.duckdb
    qa-insights build --store reports/.store.duckdb --out reports
    qa-insights export data_samples --out /lake/qa/clean
    qa-insights build --engine spark --data /lake/qa/clean
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa_insights.data.store import DuckDBStore as Store

__all__ = ["EXAMPLES", "data_location", "main"]

#: One example per subcommand, shown at the end of its help.
EXAMPLES: dict[str, str] = {
    "sample-data": "qa-insights sample-data --out data_samples --months 15 --seed 1",
    "init": "qa-insights init exports/ --out exports/qa_insights.yaml",
    "validate": "qa-insights validate data_samples --quarantine-dir quarantine",
    "ingest": "qa-insights ingest data_samples --store reports/.store.duckdb",
    "export": "qa-insights export data_samples --out /lake/qa/clean --months 2026-10",
    "build": "qa-insights build --month 2026-10 --data data_samples --out reports "
             "--reports mqr,rca:queue=spam",
    "targets": "qa-insights targets plan --period 2027-Q1 --method trailing_median "
               "--data data_samples --out targets_draft.csv",
}


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Plain-text help that shows each option's default (unless its text already does)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if ("default" not in text and action.default not in (None, False, argparse.SUPPRESS)
                and action.option_strings):
            text += " (default: %(default)s)"
        return text


def _with_help(parser: argparse.ArgumentParser, name: str, summary: str | None) -> None:
    parser.formatter_class = _HelpFormatter
    parser.description = parser.description or (summary[0].upper() + summary[1:] + "."
                                                 if summary else None)
    if name in EXAMPLES:
        parser.epilog = f"example:\n  {EXAMPLES[name]}"


def data_location(text: str) -> str | Path:
    """Parse a data folder argument: a URL (``s3a://``, ``hdfs://``) stays a string, so its
    ``://`` survives for the Spark engine; anything else is a :class:`~pathlib.Path`.

    Examples
    --------
    >>> data_location("s3a://bucket/qa/clean")
    's3a://bucket/qa/clean'
    >>> data_location("data_samples")
    PosixPath('data_samples')
    """
    return text if "://" in text else Path(text)


def _unexpected(exc: Exception) -> int:
    """Print an exception that is not a :class:`DataError` as one line (type, file if it
    names one, first line of its text) and return exit code 2."""
    where = getattr(exc, "filename", None)
    lines = str(exc).strip().splitlines()
    message = f"error: {type(exc).__name__}" + (f" ({where})" if where else "")
    print(message + (f": {lines[0]}" if lines else ""), file=sys.stderr)
    return 2


def _cmd_sample_data(args: argparse.Namespace) -> int:
    from qa_insights.data.sample_data import generate

    paths = generate(args.out, months=args.months, audits_per_month=args.audits_per_month,
                     seed=args.seed, end_month=args.end_month, fmt=args.format,
                     partition_by_month=args.partition_by_month, planted=not args.null)
    for name, path in paths.items():
        print(f"{name:<12} {path}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from qa_insights.data.errors import DataError

    try:
        return _validate(args)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 (exit 1 means "rows quarantined": all else is 2)
        return _unexpected(exc)


def _validate(args: argparse.Namespace) -> int:
    from qa_insights.data.opening import open_store

    with open_store(args.data_dir, config=args.config) as store:
        lines = [f"Validated {args.data_dir} (fingerprint {store.fingerprint[:12]})"
                 + (f" through the source mapping {store.mapping.mapping_file}"
                    if store.mapping else ""),
                 store.validation.summary().to_string(index=False)]
        lines += [f"note: {note}" for note in store.validation.notes()]
        findings, disabling = _column_findings(store)
        lines += findings
        if store.validation.clean:
            code = 1 if disabling else 0
            lines.append("All rows loaded.")
            if disabling:
                lines.append(f"Warning: optional column(s) {', '.join(disabling)} missing: "
                             "the metrics listed above are not available in the reports.")
        else:  # written before anything is printed: a closed pipe cannot stop it
            code = 1
            written = store.write_quarantine(args.quarantine_dir)
            total = sum(t.quarantined_total for t in store.validation.tables.values())
            lines.append(f"{total} row(s) quarantined; see "
                         f"{', '.join(str(p) for p in written)}")
    _print_lines(lines)
    return code


def _print_lines(lines: Sequence[str]) -> None:
    """Print ``lines``; when the reader has gone (``| head -1``), drop the rest quietly."""
    try:
        for line in lines:
            print(line)
        sys.stdout.flush()
    except BrokenPipeError:
        _stdout_closed()


def _stdout_closed() -> None:
    """Point stdout at the null device, so nothing more (nor the flush at exit) can fail
    on the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _column_findings(store: Store) -> tuple[list[str], list[str]]:
    """Lines on unknown and missing optional columns and unmapped labels, and the missing
    optional columns a report uses."""
    from qa_insights.data.columns import check_columns

    disabling: list[str] = []
    lines: list[str] = []
    dims = getattr(store, "dimensions", {})
    for table, header in store.columns.items():
        check = check_columns(table, header, list(dims))
        lines += check.lines()
        disabling += check.disabling
    if dims:
        lines.append("dimensions beyond the contract (usable in by= and filters=): " + ", ".join(
            f"{name} ({'from sites' if d.source == 'sites' else 'extra column'}"
            f"{', personal: pseudonymised in reports' if d.personal else ''})"
            for name, d in dims.items()))
    mapping = store.mapping
    for table, columns in (mapping.unmapped.items() if mapping else ()):
        for column, values in columns.items():
            shown = ", ".join(f"{v!r} ({n})" for v, n in sorted(values.items(),
                                                              key=lambda kv: -kv[1])[:10])
            lines.append(f"{table}: {column}: {len(values)} value(s) not in the mapping's "
                         f"value map, kept normalised: {shown}")
    return (["Columns:", *(f"  {line}" for line in lines)] if lines else []), disabling


def _cmd_export(args: argparse.Namespace) -> int:
    from qa_insights.data.errors import DataError
    from qa_insights.data.opening import open_store

    try:
        store = open_store(args.data_dir, months=args.months, config=args.config)
    except (DataError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with store:
        out = store.export_clean(args.out)
        loaded = {name: t.loaded for name, t in store.validation.tables.items() if t.present}
    print(f"Wrote the clean tables of {args.data_dir} to {out}: "
          + ", ".join(f"{name} {n:,} rows" for name, n in loaded.items()))
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    from qa_insights.data.errors import DataError
    from qa_insights.data.init_mapping import draft_mapping
    from qa_insights.data.mapping import MAPPING_FILE

    out = args.out or args.data_dir / MAPPING_FILE
    if out.exists() and not args.force:
        print(f"error: {out} exists; use --force to replace it, or --out for another file",
              file=sys.stderr)
        return 2
    try:
        draft = draft_mapping(args.data_dir)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out.write_text(draft.text, encoding="utf-8")
    print(f"Wrote {out}: " + "; ".join(f"{t} from {', '.join(f)}"
                                       for t, f in draft.tables.items()))
    if draft.undecided:
        print("Could not decide (marked TODO in the file):")
        for item in draft.undecided:
            print(f"  - {item}")
    print(f"Review it, then run: qa-insights validate {args.data_dir}"
          + (f" --config {out}" if args.out else ""))
    return 0


def _cmd_ingest(args: argparse.Namespace) -> int:
    from qa_insights.data.errors import DataError
    from qa_insights.data.ingest import ingest_cli

    try:
        return ingest_cli(args.data_dir, args.store, fmt=args.format)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _cmd_build(args: argparse.Namespace) -> int:
    from qa_insights.reports.engine.run import skip_slow_iri_checker

    skip_slow_iri_checker()
    from qa_insights.reports.engine.build import build_cli

    return build_cli(args)


def _cmd_targets_plan(args: argparse.Namespace) -> int:
    from qa_insights.business.actuals import metric_actuals
    from qa_insights.business.target_planning import (
        cascade_draft,
        draft_targets,
        period_months,
        propose_targets,
        with_cascade,
    )
    from qa_insights.data.errors import DataError
    from qa_insights.data.opening import open_store

    try:
        period_months(args.period)
        with open_store(args.data) as store:
            history = metric_actuals(store, scopes=("org", "site", "queue", "market"))
    except (DataError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    plan = propose_targets(history, args.period, window=args.window)
    draft = draft_targets(plan, args.method)
    if args.cascade:
        draft = with_cascade(draft, cascade_draft(draft, history, scope=args.cascade,
                                                  window=args.window))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    draft.to_csv(args.out, index=False)
    print(f"Wrote {len(draft)} draft targets for {args.period} ({args.method}) to {args.out}; "
          "edit, then commit it as targets.csv")
    return 0


def _parser() -> argparse.ArgumentParser:
    from qa_insights.reports.engine.kinds import REPORTS

    parser = argparse.ArgumentParser(
        prog="qa-insights", formatter_class=_HelpFormatter,
        description="Content-moderation QA analytics: sample data, validation, report builds.",
        epilog="examples:\n" + "\n".join(f"  {e}" for e in EXAMPLES.values())
        + "\n\nqa-insights COMMAND --help shows each command's options.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sample-data", help="write seeded sample data for every table")
    p.add_argument("--out", type=Path, default=Path("data_samples"), help="output folder")
    p.add_argument("--months", type=int, default=15, help="consecutive months (default 15)")
    p.add_argument("--audits-per-month", type=int, default=2000,
                   help="audits per month (default 2000)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--end-month", default="2026-10", help="last month, YYYY-MM")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv", help="file format")
    p.add_argument("--partition-by-month", action="store_true",
                   help="write audits as hive partitions audits/month=YYYY-MM/")
    p.add_argument("--null", action="store_true",
                   help="no planted effects (a null world for testing false alarms)")
    p.set_defaults(func=_cmd_sample_data)

    p = sub.add_parser("validate", help="validate a data folder against the contract")
    p.add_argument("data_dir", type=data_location)
    p.add_argument("--quarantine-dir", type=Path, default=Path("quarantine"),
                   help="where quarantined rows are written (default ./quarantine)")
    p.add_argument("--config", type=Path, default=None,
                   help="source mapping file (default DATA_DIR/qa_insights.yaml if present)")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("init", help="draft a source mapping (qa_insights.yaml) for a "
                       "folder of exports in their own shape")
    p.add_argument("data_dir", type=Path)
    p.add_argument("--out", type=Path, default=None,
                   help="where to write the mapping (default DATA_DIR/qa_insights.yaml)")
    p.add_argument("--force", action="store_true", help="replace an existing mapping file")
    p.set_defaults(func=_cmd_init)

    p = sub.add_parser("export", help="validate, then write the clean tables as Parquet "
                       "(audits/month=YYYY-MM/) for the Spark engine or a data lake")
    p.add_argument("data_dir", type=data_location)
    p.add_argument("--out", type=Path, required=True, help="folder for the clean tables")
    p.add_argument("--months", nargs="+", metavar="YYYY-MM",
                   help="only these months (default all)")
    p.add_argument("--config", type=Path, default=None,
                   help="source mapping file (default DATA_DIR/qa_insights.yaml if present)")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("ingest", help="validate a data folder once into a store that "
                       "reports and notebooks open without validating (only changed months "
                       "are validated again)")
    p.add_argument("data_dir", type=Path)
    p.add_argument("--store", type=Path, required=True,
                   help="the store: a DuckDB file, or a folder with --format parquet")
    p.add_argument("--format", choices=("duckdb", "parquet"), default="duckdb",
                   help="duckdb (default) or parquet: the clean hive-Parquet export the "
                        "Spark engine reads, with the DuckDB store inside")
    p.set_defaults(func=_cmd_ingest)

    p = sub.add_parser("build", help="execute and render the reports")
    p.add_argument("--month", help="month to build, YYYY-MM (default: latest in the data)")
    p.add_argument("--all-months", action="store_true", help="build every month in the data")
    p.add_argument("--reports", default="all",
                   help="comma-separated report kinds, any case: "
                        f"{','.join(REPORTS)} (default all); KIND:SCOPE=NAME asks for one "
                        "report, e.g. rca:queue=spam, rca:site=bpo_beta_cebu or (with a sites "
                        "table) rca:vendor=alpha, rca:region=APAC")
    p.add_argument("--data", type=data_location, default=Path("data_samples"),
                   help="data folder, or a URL of a clean export for --engine spark")
    p.add_argument("--store", type=Path, default=None,
                   help="an ingested store (qa-insights ingest) to build from instead of "
                        "--data; no report validates the raw data again")
    p.add_argument("--out", type=Path, default=Path("reports"), help="output folder")
    p.add_argument("--jobs", type=int, default=None, help="parallel reports (default: cores)")
    p.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    p.add_argument("--analyst-mode", action="store_true",
                   help="show raw moderator ids (never for manager-facing output)")
    p.add_argument("--engine", choices=("duckdb", "spark"), default=None,
                   help="query engine (default $QA_INSIGHTS_ENGINE or duckdb); the Spark "
                        "master is $QA_INSIGHTS_SPARK_MASTER (default local[2])")
    p.add_argument("--pdf", action="store_true",
                   help="also print each report to <report>.pdf beside its HTML (headless "
                        "Chromium: chromium on PATH or $QA_INSIGHTS_CHROMIUM)")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser("targets", help="plan next period's targets from history")
    plan = p.add_subparsers(dest="targets_command", required=True).add_parser(
        "plan", formatter_class=_HelpFormatter,
        description="Propose targets for a period with a method, as a draft targets.csv.")
    plan.add_argument("--period", required=True, help="YYYY-Qn or YYYY-MM")
    plan.add_argument("--method", default="by_metric",
                      choices=("trailing_median", "benchmark", "glide_path", "by_metric"),
                      help="target-setting method; by_metric: each metric's fitting one")
    plan.add_argument("--data", type=data_location, default=Path("data_samples"),
                      help="data folder")
    plan.add_argument("--out", type=Path, default=Path("targets_draft.csv"),
                      help="draft targets file")
    plan.add_argument("--window", type=int, default=6, help="months of history looked back")
    plan.add_argument("--cascade", choices=("site", "queue", "market"), default=None,
                      help="replace that scope's targets by the cascade of the org target")
    plan.set_defaults(func=_cmd_targets_plan)
    summaries = {a.dest: a.help for a in sub._choices_actions}
    for name, subparser in sub.choices.items():
        _with_help(subparser, name, summaries.get(name))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:  # the reader of our output went away: not an error of ours
        _stdout_closed()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
