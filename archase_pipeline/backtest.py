"""Backtest of the cash forecast: at every month end, forecast 13 weeks and compare with
what was collected from the invoices open at that date, against two baselines.

Horizon h is the cash of weeks 1..h together (what treasury plans with). WAPE is
sum |forecast - actual| / sum actual over the month ends; bias is sum (forecast - actual)
/ sum actual (positive: the forecast expected more than came).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from archase_pipeline.forecast import ForecastInputs, ForecastSettings, open_invoices_at, week_probabilities

METHODS = ["model", "due_date", "customer_median"]
HORIZONS = [1, 4, 13]


def _week_of(days_after: np.ndarray, weeks: int) -> np.ndarray:
    """0-based week index of a day `days_after` d (>= 1); days <= 0 fall in week 1; W = later."""
    return np.clip(np.ceil(np.maximum(days_after, 1) / 7), 1, weeks + 1).astype(int) - 1


def collected(inputs: ForecastInputs, open_inv: pd.DataFrame, d: pd.Timestamp, weeks: int) -> np.ndarray:
    """Cash actually received per week from the invoices open at `d` (reporting currency)."""
    pays = inputs.settlements[(inputs.settlements["kind"] == "payment") & (inputs.settlements["effective_date"] > d)
                              & inputs.settlements["invoice_id"].isin(open_inv["invoice_id"])]
    rate = pays["invoice_id"].map(open_inv.set_index("invoice_id")["fx_rate"])
    week = _week_of((pays["effective_date"] - d).dt.days.to_numpy(), weeks)
    out = np.zeros(weeks + 1)
    np.add.at(out, week, (pays["amount"] * rate).to_numpy())
    return out


def due_date_baseline(open_inv: pd.DataFrame, d: pd.Timestamp, weeks: int) -> np.ndarray:
    """Everything paid on its due date; an overdue invoice in week 1."""
    out = np.zeros(weeks + 1)
    np.add.at(out, _week_of((open_inv["due_date"] - d).dt.days.to_numpy(), weeks),
              open_inv["outstanding_reporting"].to_numpy())
    return out


def customer_median_baseline(inputs: ForecastInputs, open_inv: pd.DataFrame, d: pd.Timestamp,
                             weeks: int) -> np.ndarray:
    """Each invoice paid its customer's median delay after due (known at d); none known: on due."""
    pays = inputs.settlements[(inputs.settlements["effective_date"] <= d) & (inputs.settlements["kind"] == "payment")]
    hist = pays.merge(inputs.invoices[["invoice_id", "customer_id", "due_date"]], on="invoice_id")
    median = (hist["effective_date"] - hist["due_date"]).dt.days.groupby(hist["customer_id"]).median()
    delay = open_inv["customer_id"].map(median).fillna(0).to_numpy()
    out = np.zeros(weeks + 1)
    np.add.at(out, _week_of((open_inv["due_date"] - d).dt.days.to_numpy() + delay, weeks),
              open_inv["outstanding_reporting"].to_numpy())
    return out


def month_ends(inputs: ForecastInputs, data_end: dt.date, weeks: int) -> list[pd.Timestamp]:
    """Month ends with a month of history behind them and `weeks` of known outcome after them."""
    first = inputs.invoices["issue_date"].min() + pd.Timedelta(days=31)
    last = pd.Timestamp(data_end) - pd.Timedelta(days=7 * weeks)
    return list(pd.date_range(first, last, freq="ME")) if pd.notna(first) and first <= last else []


def backtest(inputs: ForecastInputs, data_end: dt.date, settings: ForecastSettings | None = None) -> pd.DataFrame:
    """One row per month end, method and week: forecast and actual cash."""
    settings = settings or ForecastSettings()
    rows = []
    for d in month_ends(inputs, data_end, settings.weeks):
        open_inv = open_invoices_at(inputs, d)
        if open_inv.empty:
            continue
        _, probs = week_probabilities(inputs, d, settings, open_inv)
        forecasts = {
            "model": (probs * open_inv["outstanding_reporting"].to_numpy()[:, None]).sum(axis=0),
            "due_date": due_date_baseline(open_inv, d, settings.weeks),
            "customer_median": customer_median_baseline(inputs, open_inv, d, settings.weeks),
        }
        actual = collected(inputs, open_inv, d, settings.weeks)
        for method, values in forecasts.items():
            for k in range(settings.weeks):
                rows.append({"as_of": d.date(), "method": method, "week": k + 1,
                             "forecast": float(values[k]), "actual": float(actual[k])})
    return pd.DataFrame(rows, columns=["as_of", "method", "week", "forecast", "actual"])


def accuracy(results: pd.DataFrame, horizons: list[int] = HORIZONS) -> pd.DataFrame:
    """WAPE and bias per method and horizon (cumulative weeks 1..h)."""
    rows = []
    for h in horizons:
        window = results[results["week"] <= h].groupby(["method", "as_of"])[["forecast", "actual"]].sum()
        for method, frame in window.groupby(level="method"):
            actual = frame["actual"].sum()
            rows.append({
                "method": method, "horizon_weeks": h, "month_ends": len(frame),
                "wape": float((frame["forecast"] - frame["actual"]).abs().sum() / actual) if actual else None,
                "bias": float((frame["forecast"] - frame["actual"]).sum() / actual) if actual else None,
            })
    return pd.DataFrame(rows)
