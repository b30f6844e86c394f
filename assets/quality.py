"""The quality gate: every publish asset sits behind it.

It reconciles open AR with the source's own total, reads every check's latest outcome
(ingest suites, freshness, dbt tests), writes the Exceptions tab, and fails its blocking
check when any blocking check failed, so nothing below it is published.
"""

import dagster as dg

from archase_pipeline import publish
from archase_pipeline.audit import latest_checks, latest_source_total, record_checks, record_verdict, verdict_from
from archase_pipeline.exceptions_report import exceptions_frame
from archase_pipeline.quality import reconciliation_check
from archase_pipeline.reports import markdown_preview
from archase_pipeline.resources import ArchaseSettings
from archase_pipeline.warehouse import connect, table_exists

GATE_KEY = dg.AssetKey(["quality", "gate"])
# The gate must run after the dbt step even when a failing test made dbt skip the marts below
# it (Dagster skips a step whose upstream output was not yielded). A staging view is built
# whatever the tests say, so depending on it orders the gate after the whole dbt step
# without being skipped with the marts; the ingest assets order it after every load.
GATED_ON = [["staging", "stg_ledger__invoices"], ["raw", "quarantine"], ["raw", "mail_messages"],
            ["raw", "crm_companies"]]


def _open_ar_on(con, day) -> float | None:
    if not table_exists(con, "marts", "kpi_daily"):
        return None
    row = con.execute("select open_ar_amount from marts.kpi_daily where kpi_date = ?", [day]).fetchone()
    return None if row is None else float(row[0])


@dg.asset(
    key=GATE_KEY,
    group_name="quality",
    deps=[dg.AssetKey(k) for k in GATED_ON],
    check_specs=[
        dg.AssetCheckSpec("publishing_allowed", asset=GATE_KEY, blocking=True,
                          description="every blocking check passed; otherwise nothing is published"),
        dg.AssetCheckSpec("open_ar_reconciles_to_source", asset=GATE_KEY,
                          description="open AR matches the source's own total within the tolerance"),
    ],
    kinds={"excel"},
)
def quality_gate(context: dg.AssetExecutionContext, archase: ArchaseSettings):
    """Decide whether today's data may be published, and say why in the Exceptions tab."""
    config = archase.load()
    with connect(config.warehouse, memory_limit=config.duckdb_memory_limit) as con:
        total = latest_source_total(con)
        reconciliation = reconciliation_check(
            total, _open_ar_on(con, total["as_of_date"]) if total else None,
            config.quality.reconciliation_tolerance, config.reporting_currency)
        record_checks(con, context.run_id, [reconciliation])
        checks = latest_checks(con)
        quarantined = con.execute("select count(*) from raw.quarantine").fetchone()[0] \
            if table_exists(con, "raw", "quarantine") else 0
        verdict = verdict_from(checks, quarantined)
        record_verdict(con, context.run_id, verdict)
        exceptions = exceptions_frame(con)
    publish.publish_tab(config, publish.EXCEPTIONS_TAB, exceptions)
    context.log.info(verdict.line())
    yield dg.MaterializeResult(metadata={
        "verdict": verdict.status,
        "blocking_failures": ", ".join(verdict.blocking_failures) or "none",
        "quarantined_rows": quarantined,
        "checks_evaluated": len(checks),
        "exceptions": dg.MetadataValue.md(markdown_preview(exceptions, rows=20)),
    })
    yield dg.AssetCheckResult(
        check_name="open_ar_reconciles_to_source", passed=reconciliation.passed,
        severity=dg.AssetCheckSeverity.ERROR, metadata={"message": reconciliation.message},
    )
    yield dg.AssetCheckResult(
        check_name="publishing_allowed", passed=verdict.status != "blocked",
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"verdict": verdict.line(), "blocking_failures": ", ".join(verdict.blocking_failures) or "none"},
    )
