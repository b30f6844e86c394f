"""Read a customer's reply: what it is (promise, dispute, remittance claim, out of office,
question) and the facts in it (invoice numbers, promised date, dispute reason).

Customers write dates as their country does, so numeric dates are read day-first or
month-first by the sender's country; relative dates ("this Friday", "in 10 days",
"end of the month") are resolved against the day the message was written, in the
sender's own time zone.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field

INVOICE_NUMBER = re.compile(r"\b(?:INV-\d{4,}|INV-B\d{4,})\b", re.IGNORECASE)
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))

_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_NUMERIC = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b")
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_RE})\.?(?:\s+(\d{{4}}))?\b", re.IGNORECASE)
_MONTH_DAY = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b", re.IGNORECASE)
_IN_DAYS = re.compile(r"\bin\s+(\d{1,3})\s+days?\b", re.IGNORECASE)
_THIS_WEEKDAY = re.compile(r"\b(?:this|on|by)\s+(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
                           re.IGNORECASE)
_END_OF_MONTH = re.compile(r"\bend of (?:the|this) month\b", re.IGNORECASE)
_AMOUNT = re.compile(r"\bamount\s+([0-9][0-9,]*\.\d{2})\b", re.IGNORECASE)

_PROMISE_WORDS = re.compile(
    r"\b(will pay|payment (?:for .* )?is planned|scheduled payment|expect payment|will be paid|will settle|"
    r"promise to pay|pay (?:it|this|the invoice) (?:on|by))\b", re.IGNORECASE)
_REMITTANCE_WORDS = re.compile(r"\b(we paid|have paid|remittance|payment was made|already paid)\b", re.IGNORECASE)
_OOO_WORDS = re.compile(r"\b(out of (?:the )?office|on leave|on vacation|automatic reply)\b", re.IGNORECASE)
_QUESTION_WORDS = re.compile(r"\?|\b(could you|can you|please send)\b", re.IGNORECASE)
_DISPUTE_REASONS = [
    ("duplicate", re.compile(r"\bduplicate\b|already paid (?:this|it) (?:before|twice)", re.IGNORECASE)),
    ("not_received", re.compile(r"never received|not received|did not receive|proof of delivery", re.IGNORECASE)),
    ("quality", re.compile(r"damaged|defective|faulty|poor quality|broken", re.IGNORECASE)),
    ("quantity", re.compile(r"more units|fewer units|quantity|only part of the order|short[- ]shipped", re.IGNORECASE)),
    ("pricing", re.compile(r"price|pricing|overcharged|rate is wrong|discount", re.IGNORECASE)),
    ("other", re.compile(r"\bdispute\b|\bdisputed\b|cannot book", re.IGNORECASE)),
]


@dataclass
class ReplyReading:
    intent: str
    invoice_numbers: list[str] = field(default_factory=list)
    promised_date: dt.date | None = None
    promised_amount: float | None = None
    dispute_reason: str | None = None
    paid_date: dt.date | None = None


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _next_on_or_after(written_on: dt.date, month: int, day: int) -> dt.date | None:
    """A date written without a year is the next such day on or after the day of writing."""
    for year in (written_on.year, written_on.year + 1):
        candidate = _safe_date(year, month, day)
        if candidate and candidate >= written_on - dt.timedelta(days=7):
            return candidate
    return None


def find_date(text: str, written_on: dt.date, day_first: bool) -> dt.date | None:
    """The first date the text names, absolute or relative to `written_on`."""
    found: list[tuple[int, dt.date]] = []
    for m in _ISO.finditer(text):
        if d := _safe_date(int(m[1]), int(m[2]), int(m[3])):
            found.append((m.start(), d))
    for m in _NUMERIC.finditer(text):
        a, b, year = int(m[1]), int(m[2]), int(m[3])
        day, month = (a, b) if day_first else (b, a)
        if d := _safe_date(year, month, day):
            found.append((m.start(), d))
    for m in _DAY_MONTH.finditer(text):
        month, day = _MONTHS[m[2].lower()], int(m[1])
        d = _safe_date(int(m[3]), month, day) if m[3] else _next_on_or_after(written_on, month, day)
        if d:
            found.append((m.start(), d))
    for m in _MONTH_DAY.finditer(text):
        month, day = _MONTHS[m[1].lower()], int(m[2])
        d = _safe_date(int(m[3]), month, day) if m[3] else _next_on_or_after(written_on, month, day)
        if d:
            found.append((m.start(), d))
    if found:
        # An absolute date wins over a relative phrase: "on Friday, 14 Mar 2025" means 14 March.
        return min(found, key=lambda pair: pair[0])[1]
    for m in _IN_DAYS.finditer(text):
        found.append((m.start(), written_on + dt.timedelta(days=int(m[1]))))
    for m in _THIS_WEEKDAY.finditer(text):
        ahead = (_WEEKDAYS[m[1].lower()] - written_on.weekday()) % 7 or 7
        found.append((m.start(), written_on + dt.timedelta(days=ahead)))
    for m in _END_OF_MONTH.finditer(text):
        last = calendar.monthrange(written_on.year, written_on.month)[1]
        found.append((m.start(), written_on.replace(day=last)))
    if not found:
        return None
    return min(found, key=lambda pair: pair[0])[1]


def read_reply(subject: str, body: str, written_on: dt.date, day_first: bool, auto_submitted: bool = False) -> ReplyReading:
    """Classify one reply and pull out its facts; the first matching intent wins, in order of risk."""
    text = f"{subject}\n{body}"
    invoices = sorted({m.upper() for m in INVOICE_NUMBER.findall(text)})
    if auto_submitted or _OOO_WORDS.search(text):
        return ReplyReading("out_of_office", invoices)
    for reason, pattern in _DISPUTE_REASONS:
        if pattern.search(body):
            return ReplyReading("dispute", invoices, dispute_reason=reason)
    if _REMITTANCE_WORDS.search(body):
        amount = _AMOUNT.search(body)
        return ReplyReading("remittance", invoices, paid_date=find_date(body, written_on, day_first),
                            promised_amount=float(amount[1].replace(",", "")) if amount else None)
    if _PROMISE_WORDS.search(body):
        return ReplyReading("promise", invoices, promised_date=find_date(body, written_on, day_first))
    if _QUESTION_WORDS.search(body):
        return ReplyReading("question", invoices)
    return ReplyReading("other", invoices)
