"""The forecast in the warehouse (schema `forecast`), and its 4-week figure as a tracked KPI."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from archase_pipeline.backtest import collected
from archase_pipeline.forecast import ForecastInputs, open_invoices_at


def replace_rows(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, where: str = "",
                 params: list | None = None) -> None:
    """Replace the rows matching `where` (all rows when empty) of forecast.<table> with `frame`."""
    con.execute("create schema if not exists forecast")
    con.register("_frame", frame)
    try:
        con.execute(f"create table if not exists forecast.{table} as select * from _frame limit 0")
        con.execute(f"delete from forecast.{table} {('where ' + where) if where else ''}", params or [])
        con.execute(f"insert into forecast.{table} by name select * from _frame")
    finally:
        con.unregister("_frame")


def save_forecast(con, weekly: pd.DataFrame, per_invoice: pd.DataFrame, as_of: dt.date) -> None:
    replace_rows(con, "cash_forecast_weekly", weekly, "as_of = ?", [as_of])
    replace_rows(con, "invoice_payment_forecast", per_invoice)


def snapshot_4_weeks(con, inputs: ForecastInputs, weekly: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Keep today's 4-week figure, and fill in what came for snapshots 4 weeks old or more."""
    total = weekly[(weekly["dimension"] == "total") & (weekly["week"] == 4)]
    row = pd.DataFrame([{
        "as_of": as_of,
        "expected_4w": float(total["cumulative_expected"].iloc[0]) if len(total) else 0.0,
        "p10_4w": float(total["cumulative_p10"].iloc[0]) if len(total) else 0.0,
        "p90_4w": float(total["cumulative_p90"].iloc[0]) if len(total) else 0.0,
        "actual_4w": None,
        "abs_pct_error_4w": None,
    }]).astype({"actual_4w": "float64", "abs_pct_error_4w": "float64"})
    replace_rows(con, "forecast_snapshots", row, "as_of = ?", [as_of])
    snapshots = con.execute("select * from forecast.forecast_snapshots order by as_of").df()
    snapshots["as_of"] = pd.to_datetime(snapshots["as_of"]).dt.date
    for i, snap in snapshots.iterrows():
        day = pd.Timestamp(snap["as_of"])
        if pd.isna(snap["actual_4w"]) and day + pd.Timedelta(days=28) <= pd.Timestamp(as_of):
            actual = float(collected(inputs, open_invoices_at(inputs, day), day, 4)[:4].sum())
            snapshots.loc[i, "actual_4w"] = actual
            snapshots.loc[i, "abs_pct_error_4w"] = abs(snap["expected_4w"] - actual) / actual if actual else None
    replace_rows(con, "forecast_snapshots", snapshots)
    return snapshots
