"""Ingest assets: the ledger, the CRM and the mailbox into the warehouse's `raw` schema.

Each batch is checked by its Great Expectations suite on the way in; the outcomes are
asset checks here and rows in `audit.check_results` for the quality gate.
"""

import dagster as dg

from archase_pipeline import ingest
from archase_pipeline.audit import record_checks
from archase_pipeline.reports import markdown_preview
from archase_pipeline.resources import ArchaseSettings
from archase_pipeline.warehouse import connect, new_batch_id
from expectations.asset_checks import raw_check_specs, to_check_result


def _raw(table: str, description: str, deps: list[str] | None = None) -> dg.AssetSpec:
    return dg.AssetSpec(key=["raw", table], group_name="ingest", description=description, kinds={"duckdb"},
                        deps=[dg.AssetKey(["raw", d]) for d in (deps or [])])


def _quarantine_metadata(quarantine) -> dict:
    by_rule = (quarantine.groupby(["table_name", "rule"]).size().reset_index(name="rows")
               if len(quarantine) else quarantine)
    return {
        "quarantined_rows": len(quarantine),
        "quarantine_by_rule": dg.MetadataValue.md(markdown_preview(by_rule, rows=30)),
    }


@dg.multi_asset(
    specs=[
        _raw("ar_customers", "Ledger customers."),
        _raw("ar_invoices", "Ledger invoices, amounts in invoice currency."),
        _raw("ar_settlements", "Payments, credit notes and write-offs."),
        _raw("fx_rates", "Rates to the reporting currency."),
        _raw("quarantine", "Rows the latest loads rejected, with the rule and the reason."),
    ],
    check_specs=[spec for t in ("ar_customers", "ar_invoices", "ar_settlements", "fx_rates")
                 for spec in raw_check_specs(t)],
    name="ingest_ledger",
)
def ingest_ledger(context: dg.AssetExecutionContext, archase: ArchaseSettings):
    """Read the AR source (demo, file), check every row, load the valid ones, quarantine the rest."""
    config = archase.load()
    batch_id = new_batch_id()
    with connect(config.warehouse, memory_limit=config.duckdb_memory_limit) as con:
        load = ingest.load_ledger(con, config, batch_id)
        record_checks(con, context.run_id, load.checks)
    quarantine = load.quarantine
    for table, stats in load.stats.items():
        metadata = {"source": load.source, "batch_id": batch_id, **stats.as_metadata(),
                    "quarantined_rows": int((quarantine["table_name"] == table).sum())}
        if table in load.rows_validated:
            # Rows GX checked this run; the others passed the same suite unchanged in an earlier load.
            metadata["rows_validated_by_suite"] = load.rows_validated[table]
        if table == "ar_invoices":
            metadata["invoice_amount_loaded"] = dg.MetadataValue.float(load.totals["invoice_amount_loaded"])
        if table == "ar_settlements" and load.source_last_updated_at:
            metadata["source_last_updated_at"] = load.source_last_updated_at.isoformat()
        yield dg.MaterializeResult(asset_key=["raw", table], metadata=metadata)
    yield dg.MaterializeResult(asset_key=["raw", "quarantine"], metadata={
        "dagster/row_count": len(quarantine),
        **_quarantine_metadata(quarantine),
        "preview": dg.MetadataValue.md(markdown_preview(
            quarantine[["table_name", "source_line", "record_key", "reason"]], rows=15)),
    })
    for record in load.checks:
        yield to_check_result(record)
    if len(quarantine):
        context.log.warning(f"{len(quarantine)} ledger rows quarantined; `archase exceptions` lists them")


@dg.multi_asset(
    specs=[
        _raw("crm_companies", "CRM companies with tier and account owner."),
        _raw("crm_owners", "CRM account owners."),
    ],
    check_specs=[spec for t in ("crm_companies", "crm_owners") for spec in raw_check_specs(t)],
    name="ingest_crm",
)
def ingest_crm(context: dg.AssetExecutionContext, archase: ArchaseSettings):
    """Read the CRM (demo, or none) into raw tables."""
    config = archase.load()
    with connect(config.warehouse, memory_limit=config.duckdb_memory_limit) as con:
        loads = ingest.load_crm(con, config, new_batch_id())
        record_checks(con, context.run_id, loads.checks)
    for table, table_stats in loads.stats.items():
        yield dg.MaterializeResult(asset_key=["raw", table], metadata=table_stats.as_metadata())
    for record in loads.checks:
        yield to_check_result(record)


@dg.multi_asset(
    specs=[
        _raw("mail_messages", "Customer replies with what the reply parser read in them.", deps=["ar_customers"]),
        _raw("mail_invoice_refs", "Invoice numbers named in each reply."),
    ],
    check_specs=raw_check_specs("mail_messages"),
    name="ingest_mail",
)
def ingest_mail(context: dg.AssetExecutionContext, archase: ArchaseSettings):
    """Read the mailbox (Maildir) and classify each reply: promise, dispute, remittance, ..."""
    config = archase.load()
    with connect(config.warehouse, memory_limit=config.duckdb_memory_limit) as con:
        loads = ingest.load_mail(con, config, new_batch_id())
        record_checks(con, context.run_id, loads.checks)
        intents = con.execute(
            "select intent, count(*) as messages from raw.mail_messages group by 1 order by 2 desc").df()
    yield dg.MaterializeResult(asset_key=["raw", "mail_messages"], metadata={
        **loads.stats["mail_messages"].as_metadata(),
        "by_intent": dg.MetadataValue.md(markdown_preview(intents)),
        **_quarantine_metadata(loads.quarantine),
    })
    yield dg.MaterializeResult(asset_key=["raw", "mail_invoice_refs"],
                               metadata=loads.stats["mail_invoice_refs"].as_metadata())
    for record in loads.checks:
        yield to_check_result(record)
