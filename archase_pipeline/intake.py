"""Intake: turn a source's text rows into typed rows, quarantining the ones that break a rule.

Every AR source hands over its rows as text in the canonical columns (see `CANONICAL`),
with the file and line each came from. Two gates, column-wise (no Python loop per row):
1. types: bytes that are not UTF-8, dates not in the source's format, amounts that are
   not numbers; such a row cannot be typed, so it is quarantined here;
2. rules: the table's Great Expectations suite (`expectations/suites/`) on the typed
   batch: mandatory fields, ranges, allowed values, uniqueness, referential integrity.
A row that fails either goes to the quarantine with the rule and a reason a person can
act on; every other row goes on. Nothing is dropped silently.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from expectations.validate import RuleOutcome, validate_batch

FUTURE_TOLERANCE_DAYS = 366
QUARANTINE_COLUMNS = ["table_name", "source_file", "source_line", "record_key", "rule", "reason", "record"]

CANONICAL = {
    "customers": ["customer_id", "customer_name", "country", "timezone", "email"],
    "invoices": ["invoice_id", "invoice_number", "customer_id", "issue_date", "due_date", "amount", "currency",
                 "fx_rate", "status", "dispute_reason", "source_url", "source_updated_at"],
    "settlements": ["settlement_id", "invoice_id", "settlement_date", "amount", "kind", "status",
                    "source_updated_at"],
    "fx_rates": ["rate_date", "currency", "rate_to_reporting"],
}


@dataclass
class IntakeResult:
    tables: dict[str, pd.DataFrame]
    quarantine: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=QUARANTINE_COLUMNS))
    outcomes: list[RuleOutcome] = field(default_factory=list)
    rows_read: dict[str, int] = field(default_factory=dict)

    def quarantined(self, table: str) -> int:
        return int(self.quarantine.loc[self.quarantine["table_name"] == table, "source_line"].nunique()) if len(
            self.quarantine) else 0


class _Batch:
    """One table's rows on their way in: failures by row position, from typing and from the suite."""

    def __init__(self, table: str, frame: pd.DataFrame, key: str):
        self.table = table
        self.frame = frame.reset_index(drop=True)
        self.key = key
        self.failures: list[pd.DataFrame] = []
        self.outcomes: list[RuleOutcome] = []

    def fail(self, mask: pd.Series, rule: str, reason: pd.Series | str) -> None:
        """Record the rows of `mask` as failing `rule`; `reason` is one text or one per row."""
        mask = mask.fillna(False).astype(bool)
        positions = [int(p) for p in np.flatnonzero(mask.to_numpy())]
        if isinstance(reason, str):
            summary, reasons = reason, reason
        else:
            reasons = reason[mask].to_numpy()
            summary = str(reasons[0]) if positions else rule
        self.outcomes.append(RuleOutcome(self.table, rule, summary, len(self.frame), positions))
        if positions:
            self.failures.append(pd.DataFrame({"row": positions, "rule": rule, "reason": reasons}))

    def check_text(self) -> None:
        """Lines the reader found bytes in that are not in the file's encoding."""
        if "_bad_bytes" in self.frame.columns:
            self.fail(self.frame["_bad_bytes"], "text_is_utf8",
                      "the line has bytes that are not UTF-8; save the export as UTF-8 and reload")

    def parse_dates(self, column: str, date_format: str) -> pd.Series:
        raw = self.frame[column].astype("string").str.strip()
        parsed = pd.to_datetime(raw, format=date_format, errors="coerce")
        present = raw.notna() & (raw != "")
        self.fail(present & parsed.isna(), f"{column}_is_date",
                  f"{column} '" + raw.str.slice(0, 40) + f"' is not a date in the format {date_format}")
        return parsed.dt.date.where(parsed.notna(), None)

    def parse_amounts(self, column: str) -> pd.Series:
        raw = self.frame[column].astype("string").str.strip()
        parsed = pd.to_numeric(raw.str.replace(",", "", regex=False), errors="coerce")
        present = raw.notna() & (raw != "")
        self.fail(present & parsed.isna(), f"{column}_is_number", f"{column} '" + raw.str.slice(0, 40) + "' is not a number")
        return parsed.astype("float64")

    def apply_suite(self, suite_table: str, parameters: dict) -> None:
        """Run the GX suite on the rows that typed cleanly; positions map back to the batch."""
        typed_ok = self._failed_positions()
        positions = [i for i in range(len(self.frame)) if i not in typed_ok]
        subset = self.frame.iloc[positions].drop(columns=["_source_file", "_source_line"], errors="ignore")
        for outcome in validate_batch(suite_table, subset, parameters):
            failing = [positions[i] for i in outcome.failing_positions]
            mask = pd.Series(False, index=self.frame.index)
            mask.iloc[failing] = True
            self.fail(mask, outcome.rule, outcome.reason)

    def _failed_positions(self) -> set[int]:
        return set().union(*(set(f["row"]) for f in self.failures)) if self.failures else set()

    def split(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        if not self.failures:
            return self.frame, pd.DataFrame(columns=QUARANTINE_COLUMNS)
        failures = pd.concat(self.failures, ignore_index=True)
        bad_rows = self.frame.iloc[failures["row"].to_numpy()]
        record = bad_rows[[c for c in self.frame.columns if not c.startswith("_")]].astype("string")
        quarantine = pd.DataFrame({
            "table_name": self.table,
            "source_file": bad_rows["_source_file"].values if "_source_file" in bad_rows else None,
            "source_line": bad_rows["_source_line"].astype("Int64").values if "_source_line" in bad_rows else pd.NA,
            "record_key": bad_rows[self.key].astype("string").fillna("").str.slice(0, 200).values,
            "rule": failures["rule"].values,
            "reason": failures["reason"].values,
            "record": [json.dumps({k: (v if len(v) <= 2000 else v[:2000] + "…")
                                   for k, v in row.items() if pd.notna(v)}, ensure_ascii=False)
                       for row in record.to_dict("records")],
        })
        valid = self.frame.drop(index=self.frame.index[sorted(set(failures["row"]))])
        return valid, quarantine


def check_rows(table: str, frame: pd.DataFrame, key: str, parameters: dict | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame, list[RuleOutcome]]:
    """(valid rows, quarantine, outcomes) of a batch that needs no typing, only its suite."""
    batch = _Batch(table, frame, key)
    batch.apply_suite(table, parameters or {})
    valid, quarantine = batch.split()
    return valid.drop(columns=[c for c in valid.columns if c.startswith("_")]), quarantine, batch.outcomes


def _normalise(series: pd.Series, default: str, upper: bool = False) -> pd.Series:
    text = series.astype("string").str.strip()
    text = text.str.upper() if upper else text.str.lower()
    return text.where(text.notna() & (text != ""), default)


def prepare_ledger(
    tables: dict[str, pd.DataFrame],
    *,
    date_format: str,
    run_date: dt.date,
    reporting_currency: str,
    known_rates: set[str],
) -> IntakeResult:
    """Type and check customers, FX rates, invoices and settlements of one AR batch."""
    latest_allowed = run_date + dt.timedelta(days=FUTURE_TOLERANCE_DAYS)
    batches: list[_Batch] = []

    customers = _Batch("ar_customers", tables["customers"], "customer_id")
    customers.check_text()
    customers.apply_suite("ar_customers", {})
    valid_customers, _ = customers.split()
    batches.append(customers)

    valid_rates = pd.DataFrame({"rate_date": pd.Series(dtype="datetime64[us]"), "currency": pd.Series(dtype="string"),
                                "rate_to_reporting": pd.Series(dtype="float64")})
    if tables.get("fx_rates") is not None and len(tables["fx_rates"]):
        rates = _Batch("fx_rates", tables["fx_rates"], "currency")
        rates.frame = rates.frame.assign(rate_date=rates.parse_dates("rate_date", "%Y-%m-%d"),
                                         rate_to_reporting=rates.parse_amounts("rate_to_reporting"),
                                         currency=_normalise(rates.frame["currency"], None, upper=True))
        rates.apply_suite("fx_rates", {})
        valid_rates = rates.split()[0][["rate_date", "currency", "rate_to_reporting"]]
        batches.append(rates)

    invoices = _Batch("ar_invoices", tables["invoices"], "invoice_id")
    invoices.check_text()
    invoices.frame = invoices.frame.assign(
        issue_date=invoices.parse_dates("issue_date", date_format),
        due_date=invoices.parse_dates("due_date", date_format),
        amount=invoices.parse_amounts("amount"),
        fx_rate=invoices.parse_amounts("fx_rate"),
        status=_normalise(invoices.frame["status"], "authorised"),
        currency=_normalise(invoices.frame["currency"], None, upper=True),
    )
    # A row that carries its own rate needs no rate table for its currency.
    own_rates = set(invoices.frame.loc[invoices.frame["fx_rate"].notna(), "currency"].dropna())
    # Referential integrity as a join; a missing key is the `_present` rule's to report, not this one's.
    invoices.frame["_customer_exists"] = invoices.frame["customer_id"].isin(
        valid_customers["customer_id"].dropna()) | invoices.frame["customer_id"].isna()
    invoices.apply_suite("ar_invoices", {
        "currencies_with_rates": sorted(known_rates | set(valid_rates["currency"].dropna()) | own_rates
                                        | {reporting_currency}),
        "latest_allowed_date": latest_allowed,
    })
    valid_invoices, _ = invoices.split()
    batches.append(invoices)
    quarantined_invoice_ids = set(tables["invoices"]["invoice_id"].dropna().astype(str)) - set(
        valid_invoices["invoice_id"].astype(str))

    settlements = _Batch("ar_settlements", tables["settlements"], "settlement_id")
    settlements.check_text()
    settlements.frame = settlements.frame.assign(
        settlement_date=settlements.parse_dates("settlement_date", date_format),
        amount=settlements.parse_amounts("amount"),
        kind=_normalise(settlements.frame.get("kind", pd.Series(pd.NA, index=settlements.frame.index)), "payment"),
        status=_normalise(settlements.frame.get("status", pd.Series(pd.NA, index=settlements.frame.index)), "active"),
    )
    settlements.frame["_invoice_exists"] = settlements.frame["invoice_id"].isin(
        valid_invoices["invoice_id"]) | settlements.frame["invoice_id"].isna()
    settlements.apply_suite("ar_settlements", {
        "latest_allowed_date": latest_allowed,
    })
    batches.append(settlements)

    quarantines, outcomes, valid = [], [], {}
    for batch in batches:
        rows, quarantine = batch.split()
        valid[batch.table] = rows
        quarantines.append(quarantine)
        outcomes.extend(batch.outcomes)
    quarantine = pd.concat([q for q in quarantines if len(q)], ignore_index=True) if any(
        len(q) for q in quarantines) else pd.DataFrame(columns=QUARANTINE_COLUMNS)
    # Say why a payment of a held-back invoice is held back too: the invoice, not the payment, needs fixing.
    held = (quarantine["table_name"] == "ar_settlements") & (quarantine["rule"] == "invoice_known") & \
        quarantine["record"].map(lambda r: json.loads(r).get("invoice_id") in quarantined_invoice_ids)
    quarantine.loc[held, "reason"] = "its invoice is quarantined (see that row); fix the invoice and both load"
    return IntakeResult(
        tables={
            "ar_customers": _canonical(valid["ar_customers"], "customers"),
            "ar_invoices": _canonical(valid["ar_invoices"], "invoices"),
            "ar_settlements": _canonical(valid["ar_settlements"], "settlements"),
            "fx_rates": valid_rates.reset_index(drop=True),
        },
        quarantine=quarantine,
        outcomes=outcomes,
        rows_read={b.table: len(b.frame) for b in batches},
    )


def _canonical(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Keep the canonical columns plus the file and line, with stable types for DuckDB."""
    columns = CANONICAL[kind] + ["_source_file", "_source_line"]
    out = frame.reindex(columns=columns).reset_index(drop=True)
    for column in out.columns:
        if column.endswith("_date"):
            out[column] = pd.to_datetime(out[column]).dt.date
        elif column in ("amount", "fx_rate"):
            out[column] = out[column].astype("float64")
        elif column == "_source_line":
            out[column] = out[column].astype("Int64")
        else:
            out[column] = out[column].astype("string")
    return out.rename(columns={"_source_file": "source_file", "_source_line": "source_line"})
