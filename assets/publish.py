"""Publish assets: the workbook tabs (the local stand-in for the Google Sheet).

Every one depends on the quality gate, whose blocking check stops them all when the
data behind them failed a blocking check.
"""

import os

import dagster as dg

from archase_pipeline import publish
from archase_pipeline.reports import markdown_preview
from archase_pipeline.resources import ArchaseSettings
from archase_pipeline.warehouse import connect
from assets.quality import GATE_KEY

def _publish(archase: ArchaseSettings, tab: str, build) -> dg.MaterializeResult:
    config = archase.load()
    with connect(config.warehouse, read_only=True, memory_limit=config.duckdb_memory_limit) as con:
        frame = build(con)
    publish.publish_tab(config, tab, frame)
    return dg.MaterializeResult(metadata={
        "workbook": dg.MetadataValue.path(os.fspath(config.workbook_path)),
        "tab": tab,
        "dagster/row_count": len(frame),
        "preview": dg.MetadataValue.md(markdown_preview(frame.iloc[:, :8])),
    })

@dg.asset(key=["publish", "kpi_tab"], group_name="publish",
          deps=[dg.AssetKey(["marts", "kpi_daily"]), dg.AssetKey(["forecast", "cash_forecast"]), GATE_KEY],
          kinds={"excel"})
def kpi_tab(archase: ArchaseSettings) -> dg.MaterializeResult:
    """The KPI tab: every kpi_daily figure, newest day first."""
    return _publish(archase, publish.KPI_TAB, publish.kpi_tab_frame)

@dg.asset(key=["publish", "ageing_tab"], group_name="publish",
          deps=[dg.AssetKey(["marts", "fct_receivables_aging"]), GATE_KEY], kinds={"excel"})
def ageing_tab(archase: ArchaseSettings) -> dg.MaterializeResult:
    """The Ageing tab: open invoices as of the run date, oldest band and largest amount first."""
    return _publish(archase, publish.AGEING_TAB, publish.ageing_tab_frame)


@dg.asset(key=["publish", "forecast_tab"], group_name="publish",
          deps=[dg.AssetKey(["forecast", "cash_forecast"]), GATE_KEY], kinds={"excel"})
def forecast_tab(archase: ArchaseSettings) -> dg.MaterializeResult:
    """The Forecast tab: expected cash per week for 13 weeks, overall and by currency, tier and owner."""
    return _publish(archase, publish.FORECAST_TAB, publish.forecast_tab_frame)
