"""The reply parser on the wording customers use."""

from __future__ import annotations

import datetime as dt

import pytest

from archase_pipeline.replies import find_date, read_reply

WRITTEN = dt.date(2025, 3, 4)  # a Tuesday


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("We will pay on 2025-03-15.", True, dt.date(2025, 3, 15)),
        ("We will pay on 07/03/2025.", True, dt.date(2025, 3, 7)),
        ("We will pay on 3/7/2025.", False, dt.date(2025, 3, 7)),
        ("Payment is planned for 15 March.", True, dt.date(2025, 3, 15)),
        ("Payment is planned for March 15th.", False, dt.date(2025, 3, 15)),
        ("We will pay on Friday, 14 Mar 2025.", True, dt.date(2025, 3, 14)),
        ("We will pay this Friday.", True, dt.date(2025, 3, 7)),
        ("You can expect payment in 10 days.", True, dt.date(2025, 3, 14)),
        ("We will pay by the end of the month.", True, dt.date(2025, 3, 31)),
        ("We will pay on 10 January.", True, dt.date(2026, 1, 10)),  # no year: the next 10 January
    ],
)
def test_promised_dates_in_varied_wording(text, day_first, expected):
    assert find_date(text, WRITTEN, day_first) == expected


@pytest.mark.parametrize(
    ("subject", "body", "intent", "reason", "invoices"),
    [
        ("Re: Payment reminder for INV-000123", "Sorry. We will pay invoice INV-000123 on 2025-03-20.", "promise",
         None, ["INV-000123"]),
        ("Re: Invoice INV-000123", "The unit price on INV-000123 does not match our price list.", "dispute",
         "pricing", ["INV-000123"]),
        ("Re: Invoice INV-000123", "We never received the goods billed on INV-000123.", "dispute", "not_received",
         ["INV-000123"]),
        ("Re: Invoice INV-000123", "The goods were damaged and defective.", "dispute", "quality", ["INV-000123"]),
        ("Re: Invoice INV-000123", "Only part of the order arrived; wrong quantity.", "dispute", "quantity",
         ["INV-000123"]),
        ("Re: Invoice INV-000123", "INV-000123 looks like a duplicate of INV-000100.", "dispute", "duplicate",
         ["INV-000100", "INV-000123"]),
        ("Remittance advice INV-000123", "We paid INV-000123 on 2025-03-01, amount 1,200.50.", "remittance", None,
         ["INV-000123"]),
        ("Automatic reply: out of office", "I am out of the office until 10 March.", "out_of_office", None, []),
        ("Question about INV-000123", "Could you send a copy with our PO number?", "question", None, ["INV-000123"]),
    ],
)
def test_reply_intents(subject, body, intent, reason, invoices):
    reading = read_reply(subject, body, WRITTEN, day_first=True)
    assert reading.intent == intent
    assert reading.dispute_reason == reason
    assert reading.invoice_numbers == invoices


def test_remittance_claim_carries_its_date_and_amount():
    reading = read_reply("Remittance", "We paid INV-000123 on 2025-03-01, amount 1,200.50.", WRITTEN, True)
    assert reading.paid_date == dt.date(2025, 3, 1) and reading.promised_amount == 1200.50


def test_auto_submitted_header_wins():
    assert read_reply("Re: INV-000001", "We will pay on Friday.", WRITTEN, True, auto_submitted=True).intent == \
        "out_of_office"
