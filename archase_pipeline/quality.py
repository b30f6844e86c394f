"""The rules that decide whether anything may be published, as plain functions.

Row rules quarantine rows and warn; a batch that is mostly invalid, stale payment data,
an unexplained gap to the source's own total or a failing dbt money rule blocks
publishing, while the analytics still build.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from archase_pipeline.audit import CheckRecord
from expectations.suites import rules
from expectations.validate import RuleOutcome

TYPE_RULE = "rows_typed"
BATCH_RULE = "batch_mostly_valid"
FRESHNESS_RULE = "payment_data_fresh"
RECONCILIATION_RULE = "open_ar_reconciles_to_source"


def check_names(table: str) -> list[str]:
    """Every check a raw table reports: its suite's rules, typing, and the batch's share."""
    return [TYPE_RULE, *[r.name for r in rules(table)], BATCH_RULE]


def batch_checks(table: str, outcomes: list[RuleOutcome], rows_read: int, max_share: float) -> list[CheckRecord]:
    """One record per rule of the table, typing rules folded into one, and the blocking share check."""
    asset = f"raw/{table}"
    suite_rules = {r.name for r in rules(table)}
    by_rule: dict[str, set[int]] = defaultdict(set)
    reasons: dict[str, str] = {}
    for o in outcomes:
        if o.table != table:
            continue
        name = o.rule if o.rule in suite_rules else TYPE_RULE
        by_rule[name].update(o.failing_positions)
        if o.failing_positions:
            reasons.setdefault(name, o.reason)
    records = []
    for name in check_names(table)[:-1]:
        failing = len(by_rule.get(name, ()))
        records.append(CheckRecord(
            asset, name, passed=failing == 0, blocking=False,
            message=(f"{failing:,} of {rows_read:,} rows quarantined: {reasons.get(name, name)}" if failing
                     else f"all {rows_read:,} rows pass"),
            failing_rows=failing, checked_rows=rows_read,
        ))
    bad = len(set().union(*by_rule.values())) if by_rule else 0
    share = bad / rows_read if rows_read else 0.0
    records.append(CheckRecord(
        asset, BATCH_RULE, passed=share <= max_share, blocking=True,
        message=(f"{bad:,} of {rows_read:,} rows ({share:.1%}) quarantined; the limit is {max_share:.0%}"
                 + ("" if share <= max_share else ": the batch looks broken, fix the export before publishing")),
        failing_rows=bad, checked_rows=rows_read,
    ))
    return records


def freshness_check(last_update: dt.datetime | None, reference: dt.datetime, max_age_hours: float | None) -> CheckRecord:
    """Stale payment data means chasing money already paid: it blocks publishing."""
    asset = "raw/ar_settlements"
    if max_age_hours is None:
        return CheckRecord(asset, FRESHNESS_RULE, True, True, "freshness check turned off in the config")
    if last_update is None:
        return CheckRecord(asset, FRESHNESS_RULE, False, True,
                           "the source gives no last-update time, so its freshness is unknown")
    age_hours = (reference - last_update).total_seconds() / 3600
    fresh = age_hours <= max_age_hours
    return CheckRecord(
        asset, FRESHNESS_RULE, fresh, True,
        f"payment data last updated {last_update:%Y-%m-%d %H:%M} UTC, {max(age_hours, 0):,.1f} h before "
        f"{reference:%Y-%m-%d %H:%M} UTC; the limit is {max_age_hours:g} h"
        + ("" if fresh else ": sync the ledger before chasing anyone"),
    )


def reconciliation_check(source_total: dict | None, marts_open: float | None, tolerance: float,
                         currency: str) -> CheckRecord:
    """Open AR from the marts against the source's own total; quarantined invoices explain a gap."""
    asset = "quality/gate"
    if source_total is None or marts_open is None:
        return CheckRecord(asset, RECONCILIATION_RULE, True, False,
                           "no source total for the run date to reconcile against")
    difference = float(source_total["open_amount_reporting"]) - float(marts_open)
    explained = float(source_total["quarantined_open_amount_reporting"] or 0)
    unexplained = round(difference - explained, 2) + 0.0  # + 0.0 turns -0.0 into 0.0 for display
    ok = abs(unexplained) <= tolerance
    return CheckRecord(
        asset, RECONCILIATION_RULE, ok, True,
        f"open AR {marts_open:,.2f} {currency} vs the source's {source_total['basis']} "
        f"{float(source_total['open_amount_reporting']):,.2f} on {source_total['as_of_date']}: "
        f"differs by {difference:,.2f}, of which quarantined invoices explain {explained:,.2f}; "
        f"unexplained {unexplained:,.2f} (tolerance {tolerance:,.2f})"
        + ("" if ok else ": find the missing or extra rows before publishing"),
    )
