"""What a person reads about the results: markdown previews and the KPI chart."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import StrMethodFormatter  # noqa: E402
import pandas as pd  # noqa: E402


def markdown_preview(frame: pd.DataFrame, rows: int = 10) -> str:
    if frame.empty:
        return "_no rows_"
    return frame.head(rows).to_markdown(index=False, floatfmt=",.2f")


def kpi_chart_png(kpis: pd.DataFrame, band_columns: list[str]) -> bytes:
    """DSO over time above the ageing stack (open AR by band) over time."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True, height_ratios=[1, 1.4])
    days = pd.to_datetime(kpis["kpi_date"])
    top.plot(days, kpis["dso"], label="DSO", color="#1f4e79")
    top.plot(days, kpis["bpdso"], label="Best possible DSO", color="#7fa7d1", linestyle="--")
    top.set_ylabel("days")
    top.legend(loc="upper left")
    top.grid(alpha=0.3)
    stack = [kpis[c].fillna(0).to_numpy() for c in band_columns]
    labels = [c.removeprefix("aging_").removesuffix("_amount").replace("_plus", "+").replace("_", "-")
              for c in band_columns]
    bottom.stackplot(days, stack, labels=labels, colors=plt.cm.RdYlGn_r([i / max(1, len(stack) - 1)
                                                                           for i in range(len(stack))]))
    bottom.set_ylabel(f"open AR ({kpis['currency'].iloc[0] if len(kpis) else ''})")
    bottom.legend(loc="upper left", ncols=len(labels), fontsize=8)
    bottom.grid(alpha=0.3)
    bottom.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return buffer.getvalue()
