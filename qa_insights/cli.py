"""The qa-insights command: sample data, validation and report builds.

Exit codes: 0 success; 1 rows were quarantined (validate) or a report failed (build);
2 a fatal input or usage problem, with a message that says what to fix.

Examples
--------
::

    qa-insights sample-data --out data_samples
    qa-insights validate data_samples
    qa-insights build --month 2026-10 --data data_samples --out reports
    qa-insights export data_samples --out /lake/qa/clean
    qa-insights build --engine spark --data /lake/qa/clean
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["EXAMPLES", "data_location", "main"]

#: One example per subcommand, shown at the end of its help.
EXAMPLES: dict[str, str] = {
    "sample-data": "qa-insights sample-data --out data_samples --months 15 --seed 1",
    "validate": "qa-insights validate data_samples --quarantine-dir quarantine",
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
    from qa_insights.data.store import open_store

    with open_store(args.data_dir) as store:
        summary = store.validation.summary()
        print(f"Validated {args.data_dir} (fingerprint {store.fingerprint[:12]})")
        print(summary.to_string(index=False))
        if store.validation.clean:
            print("All rows loaded.")
            return 0
        written = store.write_quarantine(args.quarantine_dir)
        total = sum(t.quarantined_total for t in store.validation.tables.values())
        print(f"{total} row(s) quarantined; see {', '.join(str(p) for p in written)}")
        return 1


def _cmd_export(args: argparse.Namespace) -> int:
    from qa_insights.data.errors import DataError
    from qa_insights.data.store import open_store

    try:
        store = open_store(args.data_dir, months=args.months)
    except (DataError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with store:
        out = store.export_clean(args.out)
        loaded = {name: t.loaded for name, t in store.validation.tables.items() if t.present}
    print(f"Wrote the clean tables of {args.data_dir} to {out}: "
          + ", ".join(f"{name} {n:,} rows" for name, n in loaded.items()))
    return 0


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
    from qa_insights.data.store import open_store

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

    p = sub.add_parser("sample-data", help="write seeded sample data for all four tables")
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
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("export", help="validate, then write the clean tables as Parquet "
                       "(audits/month=YYYY-MM/) for the Spark engine or a data lake")
    p.add_argument("data_dir", type=data_location)
    p.add_argument("--out", type=Path, required=True, help="folder for the clean tables")
    p.add_argument("--months", nargs="+", metavar="YYYY-MM",
                   help="only these months (default all)")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("build", help="execute and render the reports")
    p.add_argument("--month", help="month to build, YYYY-MM (default: latest in the data)")
    p.add_argument("--all-months", action="store_true", help="build every month in the data")
    p.add_argument("--reports", default="all",
                   help="comma-separated report kinds, any case: "
                        f"{','.join(REPORTS)} (default all); KIND:SCOPE=NAME asks for one "
                        "report, e.g. rca:queue=spam or rca:site=bpo_beta_cebu")
    p.add_argument("--data", type=data_location, default=Path("data_samples"),
                   help="data folder, or a URL of a clean export for --engine spark")
    p.add_argument("--out", type=Path, default=Path("reports"), help="output folder")
    p.add_argument("--jobs", type=int, default=None, help="parallel reports (default: cores)")
    p.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    p.add_argument("--analyst-mode", action="store_true",
                   help="show raw moderator ids (never for manager-facing output)")
    p.add_argument("--engine", choices=("duckdb", "spark"), default=None,
                   help="query engine (default $QA_INSIGHTS_ENGINE or duckdb); the Spark "
                        "master is $QA_INSIGHTS_SPARK_MASTER (default local[2])")
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
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
