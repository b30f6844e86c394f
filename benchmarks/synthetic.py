"""A synthetic ledger of N invoices, vectorised (no Python loop per invoice), in the demo layout.

It writes `ledger/customers.csv`, `ledger/invoices.csv`, `ledger/settlements.csv`,
`ledger/fx_rates.csv` and `crm/` under a directory, so that the pipeline reads it through
its own demo source and the floor reads the very same files.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from archase_pipeline.demo.company import fresh_company_directory

RATES = {"USD": 1.0, "EUR": 1.09, "GBP": 1.27}


def _ids(prefix: str, count: int, width: int) -> np.ndarray:
    """prefix + zero-padded 1..count, column-wise (and fine for count 0, the empty ledger)."""
    return (prefix + pd.Series(np.arange(1, count + 1)).astype(str).str.zfill(width)).to_numpy(dtype=object)


def generate(directory: Path, invoices: int, end_date: dt.date, seed: int = 1, months: int = 24) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    directory = fresh_company_directory(directory)
    n_customers = max(1, invoices // 25)
    start = pd.Timestamp(end_date) - pd.DateOffset(months=months)
    span = (pd.Timestamp(end_date) - start).days

    cust_ids = _ids("C", n_customers, 8)
    currency = rng.choice(list(RATES), size=n_customers, p=[0.6, 0.25, 0.15])
    mean_delay = rng.choice([-3.0, 8.0, 30.0, 75.0], size=n_customers, p=[0.35, 0.35, 0.2, 0.1])
    customers = pd.DataFrame({
        "customer_id": cust_ids, "name": "Customer " + pd.Series(cust_ids), "country": "US",
        "timezone": "America/New_York", "currency": currency,
        "email": pd.Series(cust_ids).str.lower() + "@bench.example", "payment_terms_days": 30,
    })

    owner = rng.integers(0, n_customers, size=invoices)
    issue = start + pd.to_timedelta(np.sort(rng.integers(0, span + 1, size=invoices)), unit="D")
    due = issue + pd.Timedelta(days=30)
    amount = np.round(np.exp(rng.normal(7.5, 1.0, size=invoices)), 2)
    inv_currency = currency[owner]
    fx = np.vectorize(RATES.get)(inv_currency) if invoices else np.zeros(0)
    status = np.where(rng.random(invoices) < 0.01, "VOIDED", "AUTHORISED")
    ids = _ids("inv-", invoices, 9)
    frame = pd.DataFrame({
        "invoice_id": ids, "invoice_number": pd.Series(ids).str.upper(), "customer_id": cust_ids[owner],
        "issue_date": issue.strftime("%Y-%m-%d"), "due_date": due.strftime("%Y-%m-%d"),
        "amount": amount, "currency": inv_currency, "fx_rate": fx, "status": status,
        "updated_at": f"{end_date.isoformat()}T06:00:00Z",
    })

    delay = np.round(rng.normal(mean_delay[owner], 10.0)).astype(int)
    paid_on = due + pd.to_timedelta(np.maximum(delay, -29), unit="D")
    partial = rng.random(invoices) < 0.1
    first_share = np.round(rng.uniform(0.3, 0.7, size=invoices), 2)
    paid = (paid_on <= pd.Timestamp(end_date)) & (status == "AUTHORISED")
    first_day = paid_on - pd.to_timedelta(rng.integers(5, 25, size=invoices), unit="D")
    first_day = pd.DatetimeIndex(np.maximum(first_day.values, issue.values))
    rows_full = paid & ~partial
    rows_part = paid & partial
    first_amount = np.round(amount * first_share, 2)
    settlements = pd.concat([
        pd.DataFrame({"invoice_id": ids[rows_full], "settlement_date": paid_on[rows_full].strftime("%Y-%m-%d"),
                      "amount": amount[rows_full]}),
        pd.DataFrame({"invoice_id": ids[rows_part], "settlement_date": first_day[rows_part].strftime("%Y-%m-%d"),
                      "amount": first_amount[rows_part]}),
        pd.DataFrame({"invoice_id": ids[rows_part], "settlement_date": paid_on[rows_part].strftime("%Y-%m-%d"),
                      "amount": np.round(amount[rows_part] - first_amount[rows_part], 2)}),
    ], ignore_index=True)
    settlements.insert(0, "settlement_id", _ids("set-", len(settlements), 10))
    settlements["kind"] = "payment"
    settlements["status"] = "ACTIVE"
    settlements["updated_at"] = f"{end_date.isoformat()}T06:00:00Z"

    months_index = pd.date_range(start.replace(day=1), pd.Timestamp(end_date), freq="MS")
    rates = pd.DataFrame([{"rate_date": m.strftime("%Y-%m-%d"), "currency": c, "rate_to_reporting": r}
                          for m in months_index for c, r in RATES.items()])
    companies = pd.DataFrame({"company_id": "H" + pd.Series(cust_ids), "ledger_customer_id": cust_ids,
                              "name": customers["name"], "domain": "bench.example",
                              "tier": rng.choice(["strategic", "key", "standard", "small"], size=n_customers,
                                                 p=[0.03, 0.12, 0.5, 0.35]),
                              "owner_id": "1", "updated_at": f"{end_date.isoformat()}T06:00:00Z"})
    owners = pd.DataFrame([{"owner_id": "1", "first_name": "Bench", "last_name": "Owner",
                            "email": "owner@bench.example"}])
    # DuckDB writes the CSVs: pandas' writer would take minutes at 10M rows.
    con = duckdb.connect()
    for name, table in (("ledger/customers.csv", customers), ("ledger/invoices.csv", frame),
                        ("ledger/settlements.csv", settlements), ("ledger/fx_rates.csv", rates),
                        ("crm/companies.csv", companies), ("crm/owners.csv", owners)):
        con.register("t", table)
        con.execute(f"copy t to '{directory / name}' (header, delimiter ',')")
        con.unregister("t")
    con.close()
    return {"customers": n_customers, "invoices": invoices, "settlements": len(settlements)}
