"""What the publish assets put in the workbook: the KPI tab and the Ageing tab."""

from __future__ import annotations

import duckdb
import pandas as pd

from archase_pipeline.config import ArchaseConfig
from archase_pipeline.sinks.workbook import published_note, write_tab

KPI_TAB = "KPIs"
AGEING_TAB = "Ageing"
EXCEPTIONS_TAB = "Exceptions"


def kpi_tab_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Newest day first: what finance reads each morning is on top."""
    return con.execute("select * from marts.kpi_daily order by kpi_date desc").df()


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


def publish_tab(config: ArchaseConfig, tab: str, frame: pd.DataFrame) -> None:
    write_tab(config.workbook_path, tab, frame, note=published_note(config.run_date, config.mode))
