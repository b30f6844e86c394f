"""Load each source into the warehouse's `raw` schema: the ledger, the CRM and the mailbox.

These functions are what the Dagster ingest assets call; they work without Dagster too.
Each returns what it loaded, for the asset's metadata.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from archase_pipeline.audit import CheckRecord, record_source_total
from archase_pipeline.config import ArchaseConfig, FileArSource
from archase_pipeline.intake import QUARANTINE_COLUMNS, check_rows, prepare_ledger
from archase_pipeline.quality import batch_checks, freshness_check
from archase_pipeline.sources import ar_demo, ar_file, crm_demo, maildir
from archase_pipeline.warehouse import LoadStats, merge_rows, table_exists

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
    checks: list[CheckRecord] = field(default_factory=list)
    source_last_updated_at: dt.datetime | None = None
    totals: dict[str, float] = field(default_factory=dict)


def read_ledger_tables(config: ArchaseConfig) -> tuple[str, dict[str, pd.DataFrame], str]:
    """(source name, text tables, date format) for the configured AR source."""
    ar = config.sources.ar
    if isinstance(ar, FileArSource):
        return ar_file.SOURCE_NAME, ar_file.read_file_ledger(ar), ar.date_format
    return ar_demo.SOURCE_NAME, ar_demo.read_demo_ledger(config.demo.directory), "%Y-%m-%d"


def load_ledger(con: duckdb.DuckDBPyConnection, config: ArchaseConfig, batch_id: str) -> LedgerLoad:
    """Read, check and load the AR source; record its own open total for reconciliation."""
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

    last_update = _source_last_update(config, tables)
    checks = [record for table in LEDGER_KEYS
              for record in batch_checks(table, result.outcomes, result.rows_read.get(table, 0),
                                         config.quality.max_quarantined_share)]
    checks.append(freshness_check(last_update, config.reference_time, config.quality.payment_data_max_age_hours))
    as_of, total, basis = _source_open_total(config, tables, date_format)
    quarantined_lines = set(quarantine.loc[quarantine["table_name"] == "ar_invoices", "source_line"].dropna())
    invoices_text = tables["invoices"]
    open_by_row = open_amounts_from_text(invoices_text, tables["settlements"], date_format, as_of, config)
    quarantined_open = float(open_by_row[invoices_text["_source_line"].isin(quarantined_lines).to_numpy()].sum())
    record_source_total(con, source, batch_id, as_of, total if total is not None else float(open_by_row.sum()),
                        quarantined_open, basis)
    return LedgerLoad(
        source=source,
        stats=stats,
        quarantine=quarantine,
        checks=checks,
        source_last_updated_at=last_update,
        totals={"invoice_amount_loaded": float(result.tables["ar_invoices"]["amount"].sum())},
    )


def _source_last_update(config: ArchaseConfig, tables: dict[str, pd.DataFrame]) -> dt.datetime | None:
    """The source's own last change: the export file's time, or the ledger's latest updated_at."""
    if isinstance(config.sources.ar, FileArSource):
        return dt.datetime.fromtimestamp(config.sources.ar.path.stat().st_mtime, dt.UTC)
    stamps = pd.concat([pd.to_datetime(tables[t].get("source_updated_at"), errors="coerce", utc=True)
                        for t in ("invoices", "settlements") if "source_updated_at" in tables[t]])
    return None if stamps.dropna().empty else stamps.max().to_pydatetime()


def _source_open_total(config: ArchaseConfig, tables, date_format) -> tuple[dt.date, float | None, str]:
    """(as of, total, basis): the demo ledger's aged receivables report, else the export's own rows."""
    report = config.demo.directory / "ledger" / "aged_receivables.csv"
    if not isinstance(config.sources.ar, FileArSource) and report.exists():
        frame = pd.read_csv(report)
        return dt.date.fromisoformat(str(frame["as_of"].iloc[0])), float(frame["open_amount_reporting"].sum()), \
            "aged receivables report"
    return config.run_date, None, "export's own rows"


def open_amounts_from_text(invoices: pd.DataFrame, settlements: pd.DataFrame, date_format: str, as_of: dt.date,
                           config: ArchaseConfig) -> pd.Series:
    """Each export row's open amount at `as_of` in reporting currency, read leniently from the text.

    This is the source's own view (every row, valid or not), computed apart from the
    marts so that the two can be reconciled.
    """
    def dates(series):
        return pd.to_datetime(series, format=date_format, errors="coerce")

    amount = pd.to_numeric(invoices["amount"].astype("string").str.replace(",", "", regex=False), errors="coerce")
    status = invoices["status"].astype("string").str.lower().fillna("authorised")
    currency = invoices["currency"].astype("string").str.upper().fillna(config.reporting_currency)
    rate = pd.to_numeric(invoices["fx_rate"], errors="coerce")
    static = currency.map({**config.fx_rates, config.reporting_currency: 1.0}).astype("float64")
    rate = rate.fillna(static)
    settled = pd.Series(0.0, index=invoices.index)
    if len(settlements):
        s = settlements.assign(
            amount=pd.to_numeric(settlements["amount"].astype("string").str.replace(",", "", regex=False),
                                 errors="coerce"),
            day=dates(settlements["settlement_date"]),
        )
        s = s[(s["day"] <= pd.Timestamp(as_of)) & (s.get("status", "active").astype("string").str.lower()
                                                    .fillna("active") == "active")]
        paid = s.groupby("invoice_id")["amount"].sum()
        settled = invoices["invoice_id"].map(paid).fillna(0.0)
    outstanding = (amount - settled) * rate
    counted = (dates(invoices["issue_date"]) <= pd.Timestamp(as_of)) & ~status.isin(["voided", "deleted", "draft"]) \
        & (amount > 0) & (outstanding > 0.005)
    return outstanding.where(counted, 0.0).fillna(0.0)


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


def _checked(con, table: str, frame: pd.DataFrame, keys: list[str], *, source: str, batch_id: str,
             config: ArchaseConfig, parameters: dict | None = None) -> tuple[LoadStats, pd.DataFrame, list[CheckRecord]]:
    """Validate a batch with its suite, load the valid rows, and say what was held back."""
    valid, quarantine, outcomes = check_rows(table, frame, keys[0], parameters)
    stats = merge_rows(con, table, valid, keys, source=source, batch_id=batch_id)
    checks = batch_checks(table, outcomes, len(frame), config.quality.max_quarantined_share)
    return stats, quarantine, checks


def _save_quarantine(con, source: str, batch_id: str, parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    quarantine = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=QUARANTINE_COLUMNS)
    quarantine = quarantine.assign(source=source, batch_id=batch_id,
                                   quarantined_at=pd.Timestamp(dt.datetime.now(dt.UTC).replace(tzinfo=None)))
    replace_quarantine(con, source, quarantine)
    return quarantine


@dataclass
class TableLoads:
    stats: dict[str, LoadStats]
    quarantine: pd.DataFrame
    checks: list[CheckRecord]


def load_crm(con: duckdb.DuckDBPyConnection, config: ArchaseConfig, batch_id: str) -> TableLoads:
    if config.sources.crm.kind == "demo":
        source, tables = crm_demo.SOURCE_NAME, crm_demo.read_demo_crm(config.demo.directory)
    else:
        # No CRM: empty tables of the right shape, so the marts build with 'standard' tiers and no owners.
        source = "none"
        tables = {name: pd.DataFrame({c: pd.Series(dtype="string") for c in cols}) for name, cols in CRM_COLUMNS.items()}
        tables["crm_companies"]["updated_at"] = pd.Series(dtype="datetime64[us]")
    stats, quarantines, checks = {}, [], []
    for table, key in (("crm_companies", "company_id"), ("crm_owners", "owner_id")):
        stats[table], quarantine, table_checks = _checked(con, table, tables[table], [key], source=source,
                                                          batch_id=batch_id, config=config)
        quarantines.append(quarantine)
        checks.extend(table_checks)
    return TableLoads(stats, _save_quarantine(con, source, batch_id, quarantines), checks)


def load_mail(con: duckdb.DuckDBPyConnection, config: ArchaseConfig, batch_id: str) -> TableLoads:
    countries = {}
    if table_exists(con, "raw", "ar_customers"):
        countries = dict(con.execute(
            "select lower(email), country from raw.ar_customers where email is not null").fetchall())
    if config.sources.mail.kind == "maildir":
        messages, refs = maildir.read_maildir(config.maildir_path, countries)
        source = maildir.SOURCE_NAME
    else:
        messages, refs = maildir.empty_frames()
        source = "none"
    stats, quarantine, checks = _checked(con, "mail_messages", messages, ["message_id"], source=source,
                                         batch_id=batch_id, config=config)
    stats = {
        "mail_messages": stats,
        "mail_invoice_refs": merge_rows(con, "mail_invoice_refs", refs, ["message_id", "invoice_number"],
                                        source=source, batch_id=batch_id),
    }
    return TableLoads(stats, _save_quarantine(con, source, batch_id, [quarantine]), checks)
