"""The demo CRM source: companies (with tier and account owner) and owners, as HubSpot holds them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from archase_pipeline.sources.errors import SourceError
from archase_pipeline.sources.text_tables import read_text_table

SOURCE_NAME = "demo_crm"


def read_demo_crm(directory: Path) -> dict[str, pd.DataFrame]:
    crm = Path(directory) / "crm"
    if not crm.exists():
        raise SourceError(f"{crm}: no demo CRM here; run `archase demo` (or `make demo`) first")
    companies = read_text_table(crm / "companies.csv")
    companies["updated_at"] = pd.to_datetime(companies["updated_at"], utc=True).dt.tz_localize(None)
    owners = read_text_table(crm / "owners.csv")
    return {"crm_companies": companies, "crm_owners": owners}
