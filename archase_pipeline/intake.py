"""Intake: turn a source's text rows into typed rows, quarantining the ones that break a rule.

Every AR source hands over its rows as text in the canonical columns (see `CANONICAL`),
with the file and line each came from. Here they are parsed and checked column-wise
(no Python loop per row). A row that breaks a row rule goes to the quarantine with the
rule and a reason a person can act on; every other row goes on. Nothing is dropped
silently: a row either loads or is quarantined.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import pandas as pd

INVOICE_STATUSES = {"draft", "submitted", "authorised", "paid", "voided", "deleted"}
SETTLEMENT_KINDS = {"payment", "credit_note", "write_off"}
SETTLEMENT_STATUSES = {"active", "deleted"}
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

    def quarantined(self, table: str) -> int:
        return int((self.quarantine["table_name"] == table).sum())


class _Checker:
    """Collects (row, rule, reason) failures for one table and splits valid from invalid rows."""

    def __init__(self, table: str, frame: pd.DataFrame, key: str):
        self.table = table
        self.frame = frame.reset_index(drop=True)
        self.key = key
        self.failures: list[pd.DataFrame] = []

    def fail(self, mask: pd.Series, rule: str, reason: pd.Series | str) -> None:
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        reasons = reason[mask] if isinstance(reason, pd.Series) else pd.Series(reason, index=mask[mask].index)
        self.failures.append(pd.DataFrame({"row": mask[mask].index, "rule": rule, "reason": reasons.values}))

    def required(self, columns: list[str]) -> None:
        for column in columns:
            blank = self.frame[column].isna() | (self.frame[column].astype("string").str.strip() == "")
            self.fail(blank, f"{column}_present", f"{column} is empty; fill it in the source and reload")

    def split(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        if not self.failures:
            return self.frame, pd.DataFrame(columns=QUARANTINE_COLUMNS)
        failures = pd.concat(self.failures, ignore_index=True)
        bad_rows = self.frame.loc[failures["row"]]
        record = bad_rows[[c for c in self.frame.columns if not c.startswith("_")]].astype("string")
        quarantine = pd.DataFrame({
            "table_name": self.table,
            "source_file": bad_rows["_source_file"].values,
            "source_line": bad_rows["_source_line"].astype("Int64").values,
            "record_key": bad_rows[self.key].astype("string").fillna("").values,
            "rule": failures["rule"].values,
            "reason": failures["reason"].values,
            "record": [json.dumps({k: v for k, v in row.items() if pd.notna(v)}, ensure_ascii=False)
                       for row in record.to_dict("records")],
        })
        valid = self.frame.drop(index=failures["row"].unique())
        return valid, quarantine


def _parse_dates(text: pd.Series, date_format: str) -> pd.Series:
    cleaned = text.astype("string").str.strip()
    parsed = pd.to_datetime(cleaned, format=date_format, errors="coerce")
    return parsed.dt.date


def _parse_amounts(text: pd.Series) -> pd.Series:
    cleaned = text.astype("string").str.strip().str.replace(",", "", regex=False)
    return pd.to_numeric(cleaned, errors="coerce")


def _dates(checker: _Checker, column: str, date_format: str, required: bool = True) -> pd.Series:
    raw = checker.frame[column]
    parsed = _parse_dates(raw, date_format)
    present = raw.notna() & (raw.astype("string").str.strip() != "")
    checker.fail(present & parsed.isna(), f"{column}_is_date",
                 f"{column} '" + raw.astype("string").str.slice(0, 40) + f"' is not a date in the format {date_format}")
    return parsed


def prepare_ledger(
    tables: dict[str, pd.DataFrame],
    *,
    date_format: str,
    run_date: dt.date,
    reporting_currency: str,
    known_rates: set[str],
) -> IntakeResult:
    """Parse and check customers, invoices, settlements and FX rates of one AR batch."""
    quarantines: list[pd.DataFrame] = []
    latest_allowed = run_date + dt.timedelta(days=FUTURE_TOLERANCE_DAYS)

    # Customers
    customers = _Checker("ar_customers", tables["customers"], "customer_id")
    customers.required(["customer_id"])
    customers.fail(customers.frame["customer_id"].duplicated(keep=False) & customers.frame["customer_id"].notna(),
                   "customer_id_unique", "customer_id appears on more than one row; keep one and reload")
    valid_customers, q = customers.split()
    quarantines.append(q)
    customer_ids = set(valid_customers["customer_id"].astype(str))

    # FX rates
    rates_frame = tables.get("fx_rates")
    valid_rates = pd.DataFrame({"rate_date": pd.Series(dtype="datetime64[us]"), "currency": pd.Series(dtype="string"),
                                "rate_to_reporting": pd.Series(dtype="float64")})
    if rates_frame is not None and len(rates_frame):
        rates = _Checker("fx_rates", rates_frame, "currency")
        rates.required(["rate_date", "currency", "rate_to_reporting"])
        rate_dates = _dates(rates, "rate_date", "%Y-%m-%d")
        rate_values = _parse_amounts(rates.frame["rate_to_reporting"])
        rates.fail(rate_values.isna() | (rate_values <= 0), "rate_positive", "rate_to_reporting must be a positive number")
        rates.frame = rates.frame.assign(rate_date=rate_dates, rate_to_reporting=rate_values)
        valid_rates, q = rates.split()
        quarantines.append(q)
        valid_rates = valid_rates[["rate_date", "currency", "rate_to_reporting"]]
    currencies_with_rates = known_rates | set(valid_rates["currency"]) | {reporting_currency}

    # Invoices
    inv = _Checker("ar_invoices", tables["invoices"], "invoice_id")
    inv.required(["invoice_id", "customer_id", "issue_date", "due_date", "amount", "currency"])
    issue = _dates(inv, "issue_date", date_format)
    due = _dates(inv, "due_date", date_format)
    amount = _parse_amounts(inv.frame["amount"])
    amount_text = inv.frame["amount"].astype("string")
    has_amount = amount_text.notna() & (amount_text.str.strip() != "")
    inv.fail(has_amount & amount.isna(), "amount_is_number",
             "amount '" + amount_text.str.slice(0, 40) + "' is not a number")
    inv.fail(amount <= 0, "amount_positive",
             "amount " + amount.astype("string") + " is not positive; a credit belongs in settlements as a credit note")
    inv.fail(pd.Series(due < issue), "due_not_before_issue", "due_date is before issue_date; check the terms")
    inv.fail(pd.Series(issue > latest_allowed), "issue_date_not_far_future",
             f"issue_date is more than {FUTURE_TOLERANCE_DAYS} days after the run date; check the year")
    status = inv.frame["status"].astype("string").str.strip().str.lower().fillna("authorised")
    inv.fail(~status.isin(INVOICE_STATUSES), "status_allowed",
             "status '" + status + f"' is not one of {sorted(INVOICE_STATUSES)}")
    currency = inv.frame["currency"].astype("string").str.strip().str.upper()
    fx_rate = _parse_amounts(inv.frame["fx_rate"])
    inv.fail(currency.notna() & ~currency.isin(currencies_with_rates) & fx_rate.isna(), "currency_has_rate",
             "currency '" + currency + "' has no rate to the reporting currency; add it to fx_rates in the config")
    inv.fail(inv.frame["customer_id"].notna() & ~inv.frame["customer_id"].astype(str).isin(customer_ids)
             & (inv.frame["customer_id"].astype("string").str.strip() != ""),
             "customer_known", "customer_id '" + inv.frame["customer_id"].astype("string")
             + "' is not in the customer list; add the customer or correct the id")
    ids = inv.frame["invoice_id"]
    inv.fail(ids.duplicated(keep=False) & ids.notna(), "invoice_id_unique",
             "invoice_id '" + ids.astype("string") + "' appears on more than one row; the source must have one")
    inv.frame = inv.frame.assign(issue_date=issue, due_date=due, amount=amount, status=status, currency=currency,
                                 fx_rate=fx_rate)
    valid_invoices, q = inv.split()
    quarantines.append(q)
    invoice_ids = set(valid_invoices["invoice_id"].astype(str))
    bad_invoice_ids = set(tables["invoices"]["invoice_id"].dropna().astype(str)) - invoice_ids

    # Settlements
    st = _Checker("ar_settlements", tables["settlements"], "settlement_id")
    st.required(["settlement_id", "invoice_id", "settlement_date", "amount"])
    sdate = _dates(st, "settlement_date", date_format)
    samount = _parse_amounts(st.frame["amount"])
    st.fail(st.frame["amount"].notna() & samount.isna(), "amount_is_number", "amount is not a number")
    st.fail(samount <= 0, "amount_positive", "settlement amount is not positive")
    kind = st.frame["kind"].astype("string").str.strip().str.lower().fillna("payment")
    st.fail(~kind.isin(SETTLEMENT_KINDS), "kind_allowed", "kind '" + kind + f"' is not one of {sorted(SETTLEMENT_KINDS)}")
    sstatus = st.frame["status"].astype("string").str.strip().str.lower().fillna("active")
    st.fail(~sstatus.isin(SETTLEMENT_STATUSES), "status_allowed", "status '" + sstatus + "' is not active or deleted")
    sinv = st.frame["invoice_id"].astype("string")
    st.fail(sinv.notna() & sinv.isin(bad_invoice_ids), "invoice_loaded",
            "its invoice '" + sinv + "' was quarantined; fix the invoice and both load")
    st.fail(sinv.notna() & ~sinv.isin(invoice_ids) & ~sinv.isin(bad_invoice_ids), "invoice_known",
            "invoice_id '" + sinv + "' is not in the ledger; a payment for an unknown invoice")
    sid = st.frame["settlement_id"]
    st.fail(sid.duplicated(keep=False) & sid.notna(), "settlement_id_unique", "settlement_id appears more than once")
    st.frame = st.frame.assign(settlement_date=sdate, amount=samount, kind=kind, status=sstatus)
    valid_settlements, q = st.split()
    quarantines.append(q)

    quarantine = pd.concat([q for q in quarantines if len(q)], ignore_index=True) if any(
        len(q) for q in quarantines) else pd.DataFrame(columns=QUARANTINE_COLUMNS)
    return IntakeResult(
        tables={
            "ar_customers": _canonical(valid_customers, "customers"),
            "ar_invoices": _canonical(valid_invoices, "invoices"),
            "ar_settlements": _canonical(valid_settlements, "settlements"),
            "fx_rates": valid_rates.reset_index(drop=True),
        },
        quarantine=quarantine,
    )


_TYPES = {
    "issue_date": "date32[pyarrow]", "due_date": "date32[pyarrow]", "settlement_date": "date32[pyarrow]",
    "amount": "float64", "fx_rate": "float64",
}


def _canonical(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Keep the canonical columns plus the file and line, with stable types for DuckDB."""
    columns = CANONICAL[kind] + ["_source_file", "_source_line"]
    out = frame.reindex(columns=columns).reset_index(drop=True)
    for column in out.columns:
        if column in _TYPES:
            out[column] = pd.to_datetime(out[column]).dt.date if column.endswith("_date") else out[column].astype(
                "float64")
        elif column == "_source_line":
            out[column] = out[column].astype("Int64")
        else:
            out[column] = out[column].astype("string")
    return out.rename(columns={"_source_file": "source_file", "_source_line": "source_line"})
