"""Forecast assets: expected collections for the next 13 weeks, and the backtest that measures them."""

import base64
import os

import dagster as dg

from archase_pipeline import forecast_store
from archase_pipeline.backtest import accuracy, backtest
from archase_pipeline.forecast import ForecastSettings, forecast, load_inputs
from archase_pipeline.forecast_report import backtest_chart_png
from archase_pipeline.reports import markdown_preview
from archase_pipeline.resources import ArchaseSettings
from archase_pipeline.warehouse import connect

# After the dbt step (a staging view is always built; see assets/quality.py for why not a mart).
FORECAST_DEPS = [dg.AssetKey(["staging", "stg_ledger__invoices"]), dg.AssetKey(["raw", "mail_messages"])]


@dg.asset(key=["forecast", "cash_forecast"], group_name="forecast", deps=FORECAST_DEPS, kinds={"duckdb"})
def cash_forecast(archase: ArchaseSettings) -> dg.MaterializeResult:
    """Expected cash per week for 13 weeks with P10/P50/P90, overall and by currency, tier and owner."""
    config = archase.load()
    with connect(config.warehouse, memory_limit=config.duckdb_memory_limit) as con:
        inputs = load_inputs(con)
        weekly, per_invoice = forecast(inputs, config.run_date, ForecastSettings(), config.reporting_currency)
        forecast_store.save_forecast(con, weekly, per_invoice, config.run_date)
        snapshots = forecast_store.snapshot_4_weeks(con, inputs, weekly, config.run_date)
    total = weekly[weekly["dimension"] == "total"]
    four = total[total["week"] == 4]
    return dg.MaterializeResult(metadata={
        "as_of": str(config.run_date),
        "open_invoices": len(per_invoice),
        "expected_4_weeks": dg.MetadataValue.float(float(four["cumulative_expected"].iloc[0]) if len(four) else 0.0),
        "expected_13_weeks": dg.MetadataValue.float(float(total["expected"].sum())),
        "weeks": dg.MetadataValue.md(markdown_preview(
            total[["week", "start", "end", "expected", "p10", "p50", "p90"]], rows=13)),
        "tracked_4_week_accuracy": dg.MetadataValue.md(markdown_preview(snapshots.tail(10), rows=10)),
    })


@dg.asset(key=["forecast", "backtest"], group_name="forecast", deps=FORECAST_DEPS, kinds={"duckdb"})
def forecast_backtest(archase: ArchaseSettings) -> dg.MaterializeResult:
    """At every month end, the 13-week forecast against what was collected, with two baselines."""
    config = archase.load()
    with connect(config.warehouse, memory_limit=config.duckdb_memory_limit) as con:
        inputs = load_inputs(con)
        results = backtest(inputs, config.run_date, ForecastSettings(draws=1))
        scores = accuracy(results) if len(results) else results
        forecast_store.replace_rows(con, "backtest_results", results)
        if len(scores):
            forecast_store.replace_rows(con, "backtest_accuracy", scores)
    metadata = {"month_ends": int(results["as_of"].nunique()) if len(results) else 0}
    if len(results):
        png = backtest_chart_png(results)
        chart = config.workbook_path.parent / "forecast_backtest.png"
        chart.parent.mkdir(parents=True, exist_ok=True)
        chart.write_bytes(png)
        pivot = scores.pivot(index="horizon_weeks", columns="method", values="wape").reset_index()
        metadata.update({
            "wape_by_horizon": dg.MetadataValue.md(markdown_preview(pivot)),
            "accuracy": dg.MetadataValue.md(markdown_preview(scores, rows=20)),
            "chart": dg.MetadataValue.md(f"![backtest](data:image/png;base64,{base64.b64encode(png).decode()})"),
            "chart_file": dg.MetadataValue.path(os.fspath(chart)),
        })
        for row in scores[scores["horizon_weeks"] == 4].itertuples():
            metadata[f"wape_4w_{row.method}"] = dg.MetadataValue.float(row.wape if row.wape is not None else 0.0)
    return dg.MaterializeResult(metadata=metadata)
