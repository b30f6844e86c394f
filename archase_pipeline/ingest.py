"""Load each source into the warehouse's `raw` schema: the ledger, the CRM and the mailbox.

These functions are what the Dagster ingest assets call; they work without Dagster too.
Each returns what it loaded, for the asset's metadata.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from archase_pipeline.config import ArchaseConfig, FileArSource
from archase_pipeline.intake import QUARANTINE_COLUMNS, prepare_ledger
from archase_pipeline.sources import ar_demo, ar_file, crm_demo, maildir
from archase_pipeline.warehouse import LoadStats, merge_rows

LEDGER_KEYS = {
    "ar_customers": ["customer_id"],
    "ar_invoices": ["invoice_id"],
    "ar_settlements": ["settlement_id"],
    "fx_rates": ["currency", "rate_date"],
}
CRM_COLUMNS = {
    "crm_companies": ["company_id", "ledger_customer_id", "name", "domain", "tier", "owner_id", "updated_at"],
    "crm_owners": ["owner_id", "first_name", "last_name", "email"],
}


@dataclass
class LedgerLoad:
    source: str
    stats: dict[str, LoadStats]
    quarantine: pd.DataFrame
    source_last_updated_at: dt.datetime | None = None
    totals: dict[str, float] = field(default_factory=dict)


def read_ledger_tables(config: ArchaseConfig) -> tuple[str, dict[str, pd.DataFrame], str]:
    """(source name, text tables, date format) for the configured AR source."""
    ar = config.sources.ar
    if isinstance(ar, FileArSource):
        return ar_file.SOURCE_NAME, ar_file.read_file_ledger(ar), ar.date_format
    return ar_demo.SOURCE_NAME, ar_demo.read_demo_ledger(config.demo.directory), "%Y-%m-%d"


def load_ledger(con: duckdb.DuckDBPyConnection, config: ArchaseConfig, batch_id: str) -> LedgerLoad:
    source, tables, date_format = read_ledger_tables(config)
    result = prepare_ledger(
        tables,
        date_format=date_format,
        run_date=config.run_date,
        reporting_currency=config.reporting_currency,
        known_rates=set(config.fx_rates),
    )
    stats = {
        table: merge_rows(con, table, frame, LEDGER_KEYS[table], source=source, batch_id=batch_id)
        for table, frame in result.tables.items()
    }
    quarantine = result.quarantine.assign(source=source, batch_id=batch_id,
                                          quarantined_at=pd.Timestamp(dt.datetime.now(dt.UTC).replace(tzinfo=None)))
    replace_quarantine(con, source, quarantine)
    updated = pd.to_datetime(result.tables["ar_invoices"]["source_updated_at"], errors="coerce", utc=True)
    invoices = result.tables["ar_invoices"]
    return LedgerLoad(
        source=source,
        stats=stats,
        quarantine=quarantine,
        source_last_updated_at=None if updated.isna().all() else updated.max().to_pydatetime(),
        totals={"invoice_amount_loaded": float(invoices["amount"].sum())},
    )


def replace_quarantine(con: duckdb.DuckDBPyConnection, source: str, quarantine: pd.DataFrame) -> None:
    """The quarantine holds what the latest load of each source rejected."""
    columns = ["source", "batch_id", "quarantined_at", *QUARANTINE_COLUMNS]
    frame = quarantine.reindex(columns=columns)
    for column in ("source", "batch_id", "table_name", "source_file", "record_key", "rule", "reason", "record"):
        frame[column] = frame[column].astype("string")
    frame["source_line"] = frame["source_line"].astype("Int64")
    frame["quarantined_at"] = pd.to_datetime(frame["quarantined_at"])
    con.execute("create schema if not exists raw")
    con.register("_quarantine", frame)
    try:
        con.execute("create table if not exists raw.quarantine as select * from _quarantine limit 0")
        con.execute("delete from raw.quarantine where source = ?", [source])
        con.execute("insert into raw.quarantine select * from _quarantine")
    finally:
        con.unregister("_quarantine")


def load_crm(con: duckdb.DuckDBPyConnection, config: ArchaseConfig, batch_id: str) -> dict[str, LoadStats]:
    if config.sources.crm.kind == "demo":
        source, tables = crm_demo.SOURCE_NAME, crm_demo.read_demo_crm(config.demo.directory)
    else:
        # No CRM: empty tables of the right shape, so the marts build with 'standard' tiers and no owners.
        source = "none"
        tables = {name: pd.DataFrame({c: pd.Series(dtype="string") for c in cols}) for name, cols in CRM_COLUMNS.items()}
        tables["crm_companies"]["updated_at"] = pd.Series(dtype="datetime64[us]")
    return {
        "crm_companies": merge_rows(con, "crm_companies", tables["crm_companies"], ["company_id"], source=source,
                                    batch_id=batch_id),
        "crm_owners": merge_rows(con, "crm_owners", tables["crm_owners"], ["owner_id"], source=source,
                                 batch_id=batch_id),
    }


def load_mail(con: duckdb.DuckDBPyConnection, config: ArchaseConfig, batch_id: str) -> dict[str, LoadStats]:
    countries = {}
    if con.execute("select count(*) from information_schema.tables where table_schema='raw' "
                   "and table_name='ar_customers'").fetchone()[0]:
        countries = dict(con.execute(
            "select lower(email), country from raw.ar_customers where email is not null").fetchall())
    if config.sources.mail.kind == "maildir":
        messages, refs = maildir.read_maildir(config.maildir_path, countries)
        source = maildir.SOURCE_NAME
    else:
        messages, refs = maildir.empty_frames()
        source = "none"
    return {
        "mail_messages": merge_rows(con, "mail_messages", messages, ["message_id"], source=source, batch_id=batch_id),
        "mail_invoice_refs": merge_rows(con, "mail_invoice_refs", refs, ["message_id", "invoice_number"],
                                        source=source, batch_id=batch_id),
    }
