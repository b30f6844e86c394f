"""The demo CRM source: companies (with tier and account owner) and owners, as HubSpot holds them."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from archase_pipeline.sources.errors import SourceError
from archase_pipeline.sources.text_tables import read_text_table

SOURCE_NAME = "demo_crm"


def read_demo_crm(con: duckdb.DuckDBPyConnection, directory: Path) -> dict[str, pd.DataFrame]:
    """Companies and owners as frames (a CRM is thousands of rows, not millions)."""
    crm = Path(directory) / "crm"
    if not crm.exists():
        raise SourceError(f"{crm}: no demo CRM here; run `archase demo` (or `make demo`) first")
    read_text_table(con, crm / "companies.csv", "_crm_companies")
    read_text_table(con, crm / "owners.csv", "_crm_owners")
    companies = con.execute(
        "select * exclude (_row) replace (cast(timezone('UTC', cast(updated_at as timestamptz)) as timestamp) "
        "as updated_at) from _crm_companies order by _row").df()
    owners = con.execute("select * exclude (_row) from _crm_owners order by _row").df()
    return {"crm_companies": companies, "crm_owners": owners}
