"""The `archase` command: run the pipeline, make the demo company, read KPIs.

Every subcommand takes `--config PATH` (else `$ARCHASE_CONFIG`, else `archase.yml`).
Exit codes: 0 done, 1 the run failed, 2 bad input (config, arguments, missing data).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from archase_pipeline.audit import Verdict, latest_verdict
from archase_pipeline.config import ArchaseConfig, ConfigError, load_config
from archase_pipeline.exceptions_report import exceptions_report, format_exceptions
from archase_pipeline.kpis import KpiUnavailable, format_kpis, kpis_as_of
from archase_pipeline.sources.errors import SourceError
from archase_pipeline.warehouse import connect


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; use YYYY-MM-DD") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="archase", description="Accounts-receivable collections pipeline.")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--config", help="config file (default: $ARCHASE_CONFIG, else archase.yml)")
        return p

    command("run", "Materialize every asset for the config: ingest, dbt build, publish.")
    demo = command("demo", "Generate the demo company, run the whole pipeline on it, and say where the results are.")
    demo.add_argument("--seed", type=int, help="random seed (default from the config: 42)")
    demo.add_argument("--customers", type=int, help="number of customers (default 1500)")
    demo.add_argument("--invoices", type=int, help="number of invoices (default 40000)")
    demo.add_argument("--months", type=int, help="months of history (default 18)")
    demo.add_argument("--no-run", action="store_true", help="only generate the demo company")
    exceptions = command("exceptions", "What the last run quarantined or failed, one line each, with what to do.")
    exceptions.add_argument("--json", action="store_true", help="one JSON object")
    forecast = command("forecast", "Expected collections per week from the receivables open at a day.")
    forecast.add_argument("--as-of", type=_date, help="the day (default: the run date)")
    forecast.add_argument("--weeks", type=int, default=13, choices=range(1, 27), metavar="N", help="weeks (1-26)")
    forecast.add_argument("--json", action="store_true", help="one JSON object")
    bench = command("bench", "Benchmark the pipeline against the hand-written DuckDB floor on N synthetic invoices.")
    bench.add_argument("--invoices", type=int, default=100_000, help="invoices to generate (default 100000)")
    kpis = command("kpis", "Print the KPIs of kpi-spec.md for one day.")
    kpis.add_argument("--as-of", type=_date, help="the day (default: the run date)")
    kpis.add_argument("--json", action="store_true", help="one JSON object")
    return parser


def _summary(config: ArchaseConfig) -> str:
    lines = [
        "",
        "Results",
        f"  warehouse (DuckDB)  {config.warehouse}   (schemas raw, staging, intermediate, marts; see README)",
        f"  workbook            {config.workbook_path}",
        f"  KPI chart           {config.workbook_path.parent / 'kpi_daily.png'}",
        "  Dagster UI          make ui  → http://127.0.0.1:3000",
        "",
    ]
    try:
        lines.append(format_kpis(kpis_as_of(config, config.run_date)))
    except KpiUnavailable as exc:
        lines.append(f"  (no KPIs: {exc})")
    return "\n".join(lines)


def _run(config: ArchaseConfig) -> int:
    from archase_pipeline.runner import run_pipeline

    print(f"archase run · config {config.source_file or '(defaults)'} · as of {config.run_date} · mode {config.mode}")
    outcome = run_pipeline(config)
    verdict = _verdict(config, outcome.run_id)
    if verdict is None:
        print(f"\nRun failed at: {', '.join(outcome.failures) or 'unknown step'} (run {outcome.run_id}). "
              "The step's error is above; fix it and run again.", file=sys.stderr)
        return 1
    print(f"\nDone in {outcome.seconds:.1f} s: {len(outcome.materialized)} assets materialized.")
    print(_summary(config))
    print()
    print(verdict.line())
    if verdict.status == "blocked":
        print("Nothing was published. `archase exceptions` says what failed and what to do.", file=sys.stderr)
        return 1
    return 0 if outcome.success else 1


def _verdict(config: ArchaseConfig, run_id: str) -> Verdict | None:
    """The gate's verdict for this run, or None when the run stopped before the gate."""
    if not Path(config.warehouse).exists():
        return None
    with connect(config.warehouse, read_only=True, memory_limit=config.duckdb_memory_limit) as con:
        latest = latest_verdict(con)
    if latest is None or latest["run_id"] != run_id:
        return None
    failures = [f for f in (latest["blocking_failures"] or "").split("; ") if f]
    return Verdict(latest["status"], failures, int(latest["quarantined_rows"]))


def _exceptions(config: ArchaseConfig, as_json: bool) -> int:
    if not Path(config.warehouse).exists():
        raise KpiUnavailable(f"{config.warehouse}: no warehouse yet; run `archase run` first")
    with connect(config.warehouse, read_only=True, memory_limit=config.duckdb_memory_limit) as con:
        report = exceptions_report(con)
    print(json.dumps(report, indent=2, default=str) if as_json else format_exceptions(report))
    return 0


def _demo(config: ArchaseConfig, args: argparse.Namespace) -> int:
    from archase_pipeline.demo.company import generate

    settings = config.demo
    overrides = {k: getattr(args, k) for k in ("seed", "customers", "invoices", "months") if getattr(args, k)}
    settings = settings.model_copy(update=overrides)
    config = config.model_copy(update={"demo": settings})
    company = generate(settings.directory, seed=settings.seed, customers=settings.customers,
                       invoices=settings.invoices, months=settings.months,
                       end_date=settings.end_date or config.run_date)
    counts = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in company.counts.items())
    print(f"Demo company written to {company.directory}: {counts}")
    if args.no_run:
        return 0
    return _run(config)


def _forecast(config: ArchaseConfig, as_of: dt.date, weeks: int, as_json: bool) -> int:
    """Computed point in time from the warehouse: only what was known at `as_of` is used."""
    from archase_pipeline.forecast import ForecastSettings, forecast, load_inputs
    from archase_pipeline.forecast_report import forecast_json, format_forecast

    if not Path(config.warehouse).exists():
        raise KpiUnavailable(f"{config.warehouse}: no warehouse yet; run `archase run` first")
    with connect(config.warehouse, read_only=True, memory_limit=config.duckdb_memory_limit) as con:
        inputs = load_inputs(con)
    weekly, _ = forecast(inputs, as_of, ForecastSettings(weeks=weeks), config.reporting_currency)
    payload = forecast_json(weekly, as_of, config.reporting_currency, weeks)
    print(json.dumps(payload, indent=2) if as_json else format_forecast(payload))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load_config(args.config)
        if args.command == "run":
            return _run(config)
        if args.command == "demo":
            return _demo(config, args)
        if args.command == "exceptions":
            return _exceptions(config, args.json)
        if args.command == "forecast":
            return _forecast(config, args.as_of or config.run_date, args.weeks, args.json)
        if args.command == "bench":
            from benchmarks.bench import run as run_bench

            result = run_bench(args.invoices)
            return 0 if result["comparison"]["same_results"] else 1
        if args.command == "kpis":
            figures = kpis_as_of(config, args.as_of or config.run_date)
            print(json.dumps(figures, indent=2) if args.json else format_kpis(figures))
            return 0
    except (ConfigError, SourceError, KpiUnavailable) as exc:
        print(f"archase: {exc}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
