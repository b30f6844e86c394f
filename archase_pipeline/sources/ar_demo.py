"""The demo AR source: the ledger export the demo company generator writes."""

from __future__ import annotations

from pathlib import Path

import duckdb

from archase_pipeline.sources.errors import SourceError
from archase_pipeline.sources.text_tables import read_text_table

SOURCE_NAME = "demo"
DEMO_INVOICE_URL = "https://ledger.archase-demo.example/invoices/"
_META = "_row, _source_file, _source_line, _bad_bytes"


def read_demo_ledger(con: duckdb.DuckDBPyConnection, directory: Path) -> dict[str, str]:
    """The demo ledger as text views in the canonical columns of `archase_pipeline.intake`."""
    ledger = Path(directory) / "ledger"
    if not ledger.exists():
        raise SourceError(f"{ledger}: no demo company here; run `archase demo` (or `make demo`) first")
    for name in ("customers", "invoices", "settlements", "fx_rates"):
        read_text_table(con, ledger / f"{name}.csv", f"_demo_{name}")
    con.execute(f"""
        create or replace temp view _text_customers as
        select customer_id, name as customer_name, country, timezone, email, {_META} from _demo_customers;
        create or replace temp view _text_invoices as
        select invoice_id, invoice_number, customer_id, issue_date, due_date, amount, currency, fx_rate, status,
               cast(null as varchar) as dispute_reason, '{DEMO_INVOICE_URL}' || invoice_number as source_url,
               updated_at as source_updated_at, {_META}
        from _demo_invoices;
        create or replace temp view _text_settlements as
        select settlement_id, invoice_id, settlement_date, amount, kind, status, updated_at as source_updated_at,
               {_META}
        from _demo_settlements;
        create or replace temp view _text_fx_rates as
        select rate_date, currency, rate_to_reporting, {_META} from _demo_fx_rates;
    """)
    return {kind: f"_text_{kind}" for kind in ("customers", "invoices", "settlements", "fx_rates")}
