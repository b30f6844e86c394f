"""What the publish assets put in the workbook: the KPI tab and the Ageing tab."""

from __future__ import annotations

import duckdb
import pandas as pd

from archase_pipeline.config import ArchaseConfig
from archase_pipeline.sinks.workbook import published_note, write_tab
from archase_pipeline.warehouse import table_exists

KPI_TAB = "KPIs"
AGEING_TAB = "Ageing"
EXCEPTIONS_TAB = "Exceptions"
FORECAST_TAB = "Forecast"


def kpi_tab_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Newest day first: what finance reads each morning is on top; with the tracked 4-week forecast."""
    if not table_exists(con, "forecast", "forecast_snapshots"):
        return con.execute("select * from marts.kpi_daily order by kpi_date desc").df()
    return con.execute(
        """
        select k.*, f.expected_4w as forecast_4w_expected, f.actual_4w as forecast_4w_actual,
               f.abs_pct_error_4w as forecast_4w_abs_pct_error
        from marts.kpi_daily as k left join forecast.forecast_snapshots as f on f.as_of = k.kpi_date
        order by k.kpi_date desc
        """).df()


def ageing_tab_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        """
        select invoice_number, customer_id, customer_name, tier, owner_name, country_code, issue_date, due_date,
               days_past_due, aging_band, currency, outstanding_amount, outstanding_amount_reporting,
               is_disputed, source_url
        from marts.fct_receivables_aging
        order by aging_band_rank desc, outstanding_amount_reporting desc
        """
    ).df()


def forecast_tab_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        """
        select dimension, dimension_value, week, start, "end", expected, p10, p50, p90,
               cumulative_expected, cumulative_p10, cumulative_p90
        from forecast.cash_forecast_weekly
        where as_of = (select max(as_of) from forecast.cash_forecast_weekly)
        order by case dimension when 'total' then 0 when 'currency' then 1 when 'tier' then 2 else 3 end,
                 dimension_value, week
        """
    ).df()


def publish_tab(config: ArchaseConfig, tab: str, frame: pd.DataFrame) -> None:
    write_tab(config.workbook_path, tab, frame, note=published_note(config.run_date, config.mode))
