"""The suites as Dagster asset checks: their specs, and results from recorded outcomes."""

import dagster as dg

from archase_pipeline.audit import CheckRecord
from archase_pipeline.quality import BATCH_RULE, FRESHNESS_RULE, check_names
from expectations.suites import rules


def raw_check_specs(table: str) -> list[dg.AssetCheckSpec]:
    """One check per rule of the table's suite, one for typing, one for the batch as a whole.

    None is `blocking` in Dagster's sense, which would also stop the analytics: publishing
    is stopped by the quality gate, which reads these outcomes.
    """
    descriptions = {r.name: r.reason for r in rules(table)}
    descriptions["rows_typed"] = "dates, amounts and text bytes parse in the source's format"
    descriptions[BATCH_RULE] = "at most max_quarantined_share of the batch is quarantined (blocks publishing)"
    specs = [dg.AssetCheckSpec(name, asset=dg.AssetKey(["raw", table]), description=descriptions[name])
             for name in check_names(table)]
    if table == "ar_settlements":
        specs.append(dg.AssetCheckSpec(FRESHNESS_RULE, asset=dg.AssetKey(["raw", table]),
                                       description="the ledger's own last update is recent (blocks publishing)"))
    return specs


def to_check_result(record: CheckRecord) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(record.asset_key.split("/")),
        check_name=record.check_name,
        passed=record.passed,
        severity=dg.AssetCheckSeverity.ERROR if record.blocking else dg.AssetCheckSeverity.WARN,
        metadata={
            "message": record.message,
            "failing_rows": record.failing_rows,
            "checked_rows": record.checked_rows,
            "blocks_publishing": record.blocking,
        },
    )
