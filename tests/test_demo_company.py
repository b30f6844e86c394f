"""The demo company: deterministic for a seed, and with the variety the checks and KPIs need."""

from __future__ import annotations

import csv
import datetime as dt
import email
import hashlib
from collections import Counter

from archase_pipeline.demo.company import generate

END = dt.date(2026, 3, 31)


def _digest(directory):
    h = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(directory)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def test_same_seed_same_company_other_seed_other_company(tmp_path):
    a = generate(tmp_path / "a", seed=3, customers=40, invoices=600, months=6, end_date=END)
    b = generate(tmp_path / "b", seed=3, customers=40, invoices=600, months=6, end_date=END)
    c = generate(tmp_path / "c", seed=4, customers=40, invoices=600, months=6, end_date=END)
    assert _digest(a.directory) == _digest(b.directory) != _digest(c.directory)


def test_demo_has_the_variety_that_makes_segments_and_checks_mean_something(tmp_path):
    company = generate(tmp_path / "d", seed=42, customers=150, invoices=3000, months=12, end_date=END)
    ledger = tmp_path / "d" / "ledger"
    invoices = list(csv.DictReader((ledger / "invoices.csv").open()))
    settlements = list(csv.DictReader((ledger / "settlements.csv").open()))
    customers = list(csv.DictReader((ledger / "customers.csv").open()))
    companies = list(csv.DictReader((tmp_path / "d" / "crm" / "companies.csv").open()))

    assert {i["currency"] for i in invoices} == {"USD", "EUR", "GBP"}
    assert {"AUTHORISED", "VOIDED"} <= {i["status"] for i in invoices}
    assert {"payment", "credit_note", "write_off"} <= {s["kind"] for s in settlements}
    assert len({c["timezone"] for c in customers}) >= 5 and len({c["country"] for c in customers}) >= 5
    assert set(Counter(c["tier"] for c in companies)) == {"strategic", "key", "standard", "small"}
    # Some invoices are paid in more than one settlement (partial payments).
    assert max(Counter(s["invoice_id"] for s in settlements).values()) >= 2
    # Deliberately bad rows: negative amount, unknown customer, due before issue, a duplicate id.
    assert any(i["amount"].startswith("-") for i in invoices)
    assert any(i["customer_id"] == "C99999" for i in invoices)
    assert any(i["due_date"] < i["issue_date"] for i in invoices if i["due_date"] and i["issue_date"])
    assert max(Counter(i["invoice_id"] for i in invoices).values()) == 2
    assert company.counts["bad_records"] >= 5

    messages = [email.message_from_bytes(p.read_bytes()) for p in (tmp_path / "d" / "maildir" / "new").iterdir()]
    subjects = Counter(m["Subject"].split(" ")[0] for m in messages)
    assert {"Re:", "Remittance", "Automatic", "Question"} <= set(subjects)
    assert all(m["Message-ID"] and m["Date"] and m["From"] for m in messages)
