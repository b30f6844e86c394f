"""The forecast as people read it: the CLI's JSON and text, the backtest chart."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def forecast_json(weekly: pd.DataFrame, as_of, currency: str, weeks: int) -> dict:
    total = weekly[weekly["dimension"] == "total"].sort_values("week").head(weeks)
    return {
        "as_of": str(as_of),
        "currency": currency,
        "weeks": [
            {"week": int(r.week), "start": str(r.start), "end": str(r.end), "expected": round(r.expected, 2),
             "p10": round(r.p10, 2), "p50": round(r.p50, 2), "p90": round(r.p90, 2)}
            for r in total.itertuples()
        ],
    }


def format_forecast(payload: dict) -> str:
    lines = [f"Expected collections from receivables open at {payload['as_of']} ({payload['currency']})",
             f"  {'week':>4}  {'from':10}  {'to':10}  {'expected':>14}  {'P10':>14}  {'P50':>14}  {'P90':>14}"]
    for w in payload["weeks"]:
        lines.append(f"  {w['week']:>4}  {w['start']:10}  {w['end']:10}  {w['expected']:>14,.2f}  {w['p10']:>14,.2f}"
                     f"  {w['p50']:>14,.2f}  {w['p90']:>14,.2f}")
    total = sum(w["expected"] for w in payload["weeks"])
    lines.append(f"  total expected in {len(payload['weeks'])} weeks: {total:,.2f}")
    return "\n".join(lines)


def backtest_chart_png(results: pd.DataFrame, horizon: int = 4) -> bytes:
    """Forecast against actual cash of weeks 1..horizon at each month end, per method."""
    window = results[results["week"] <= horizon].groupby(["as_of", "method"])[["forecast", "actual"]].sum().reset_index()
    fig, ax = plt.subplots(figsize=(10, 4.5))
    actual = window[window["method"] == "model"]
    ax.plot(pd.to_datetime(actual["as_of"]), actual["actual"], color="black", linewidth=2, label="collected")
    styles = {"model": ("#1f4e79", "-"), "customer_median": ("#c55a11", "--"), "due_date": ("#7f7f7f", ":")}
    for method, (color, style) in styles.items():
        part = window[window["method"] == method]
        ax.plot(pd.to_datetime(part["as_of"]), part["forecast"], color=color, linestyle=style,
                label=method.replace("_", " "))
    ax.set_title(f"Cash of the next {horizon} weeks from receivables open at each month end")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return buffer.getvalue()
