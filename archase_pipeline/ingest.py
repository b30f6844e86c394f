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
from archase_pipeline.intake import (CANONICAL, KEYS, QUARANTINE_COLUMNS, check_table, discard_working_tables,
                                     drop_source_text, latest_source_update, prepare_ledger, source_open_totals)
from archase_pipeline.quality import batch_checks, freshness_check
from archase_pipeline.sources import ar_demo, ar_file, crm_demo, maildir
from archase_pipeline.warehouse import LoadStats, merge_relation, merge_rows, table_exists

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
    rows_validated: dict[str, int] = field(default_factory=dict)


def read_ledger_tables(con: duckdb.DuckDBPyConnection, config: ArchaseConfig) -> tuple[str, dict[str, str | None], str]:
    """(source name, text views, date format) for the configured AR source."""
    ar = config.sources.ar
    if isinstance(ar, FileArSource):
        return ar_file.SOURCE_NAME, ar_file.read_file_ledger(con, ar), ar.date_format
    return ar_demo.SOURCE_NAME, ar_demo.read_demo_ledger(con, config.demo.directory), "%Y-%m-%d"


def load_ledger(con: duckdb.DuckDBPyConnection, config: ArchaseConfig, batch_id: str) -> LedgerLoad:
    """Read, check and load the AR source; record its own open total for reconciliation."""
    source, views, date_format = read_ledger_tables(con, config)
    result = prepare_ledger(
        con,
        views,
        date_format=date_format,
        run_date=config.run_date,
        reporting_currency=config.reporting_currency,
        known_rates=set(config.fx_rates),
    )
    drop_source_text(con)
    stats = {
        table: merge_relation(con, table, relation, KEYS[table], source=source, batch_id=batch_id)
        for table, relation in result.tables.items()
    }
    quarantine = result.quarantine.assign(source=source, batch_id=batch_id,
                                          quarantined_at=pd.Timestamp(dt.datetime.now(dt.UTC).replace(tzinfo=None)))
    replace_quarantine(con, source, quarantine)

    last_update = _source_last_update(con, config)
    checks = [record for table in CANONICAL
              for record in batch_checks(table, result.outcomes, result.rows_read.get(table, 0),
                                         config.quality.max_quarantined_share)]
    checks.append(freshness_check(last_update, config.reference_time, config.quality.payment_data_max_age_hours))
    as_of, report_total, basis = _source_open_total(config)
    total, quarantined_open = source_open_totals(con, as_of, {**config.fx_rates, config.reporting_currency: 1.0},
                                                 config.reporting_currency)
    record_source_total(con, source, batch_id, as_of, report_total if report_total is not None else total,
                        quarantined_open, basis)
    loaded = con.execute(f"select coalesce(sum(amount), 0) from {result.tables['ar_invoices']}").fetchone()[0]
    discard_working_tables(con)
    return LedgerLoad(
        source=source,
        stats=stats,
        quarantine=quarantine,
        checks=checks,
        source_last_updated_at=last_update,
        totals={"invoice_amount_loaded": float(loaded)},
        rows_validated=result.rows_validated,
    )


def _source_last_update(con: duckdb.DuckDBPyConnection, config: ArchaseConfig) -> dt.datetime | None:
    """The source's own last change: the export file's time, or the ledger's latest updated_at."""
    if isinstance(config.sources.ar, FileArSource):
        return dt.datetime.fromtimestamp(config.sources.ar.path.stat().st_mtime, dt.UTC)
    return latest_source_update(con)


def _source_open_total(config: ArchaseConfig) -> tuple[dt.date, float | None, str]:
    """(as of, total, basis): the demo ledger's aged receivables report, else the export's own rows."""
    report = config.demo.directory / "ledger" / "aged_receivables.csv"
    if not isinstance(config.sources.ar, FileArSource) and report.exists():
        frame = pd.read_csv(report)
        return dt.date.fromisoformat(str(frame["as_of"].iloc[0])), float(frame["open_amount_reporting"].sum()), \
            "aged receivables report"
    return config.run_date, None, "export's own rows"


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
    result = check_table(con, table, frame, parameters)
    stats = merge_relation(con, table, result.tables[table], keys, source=source, batch_id=batch_id)
    discard_working_tables(con)
    checks = batch_checks(table, result.outcomes, len(frame), config.quality.max_quarantined_share)
    return stats, result.quarantine, checks


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
        source, tables = crm_demo.SOURCE_NAME, crm_demo.read_demo_crm(con, config.demo.directory)
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
