"""The demo AR source: the ledger export the demo company generator writes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from archase_pipeline.sources.errors import SourceError
from archase_pipeline.sources.text_tables import read_text_table

SOURCE_NAME = "demo"
DEMO_INVOICE_URL = "https://ledger.archase-demo.example/invoices/{}"


def read_demo_ledger(directory: Path) -> dict[str, pd.DataFrame]:
    """The demo ledger as text tables in the canonical columns of `archase_pipeline.intake`."""
    ledger = Path(directory) / "ledger"
    if not ledger.exists():
        raise SourceError(f"{ledger}: no demo company here; run `archase demo` (or `make demo`) first")
    customers = read_text_table(ledger / "customers.csv").rename(columns={"name": "customer_name"})
    invoices = read_text_table(ledger / "invoices.csv").rename(columns={"updated_at": "source_updated_at"})
    invoices["source_url"] = invoices["invoice_number"].map(DEMO_INVOICE_URL.format, na_action="ignore")
    invoices["dispute_reason"] = pd.NA
    settlements = read_text_table(ledger / "settlements.csv").rename(columns={"updated_at": "source_updated_at"})
    fx_rates = read_text_table(ledger / "fx_rates.csv")
    return {"customers": customers, "invoices": invoices, "settlements": settlements, "fx_rates": fx_rates}
