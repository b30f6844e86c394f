"""Names, countries and the varied wording of the demo company's customer replies.

The replies are written the way customers write: dates in the order of their country,
spelled out, or relative to the day they write ("this Friday", "in 10 days", "end of
the month"), so that the reply parser is exercised on realistic text.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from email.mime.text import MIMEText
from zoneinfo import ZoneInfo

import numpy as np

COUNTRIES = {
    "US": {"currency": "USD", "weight": 40, "day_first": False,
           "timezones": ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]},
    "CA": {"currency": "USD", "weight": 6, "day_first": False, "timezones": ["America/Toronto", "America/Vancouver"]},
    "GB": {"currency": "GBP", "weight": 18, "day_first": True, "timezones": ["Europe/London"]},
    "IE": {"currency": "EUR", "weight": 4, "day_first": True, "timezones": ["Europe/Dublin"]},
    "DE": {"currency": "EUR", "weight": 12, "day_first": True, "timezones": ["Europe/Berlin"]},
    "FR": {"currency": "EUR", "weight": 8, "day_first": True, "timezones": ["Europe/Paris"]},
    "NL": {"currency": "EUR", "weight": 5, "day_first": True, "timezones": ["Europe/Amsterdam"]},
    "AU": {"currency": "USD", "weight": 4, "day_first": True, "timezones": ["Australia/Sydney", "Australia/Perth"]},
    "SG": {"currency": "USD", "weight": 3, "day_first": True, "timezones": ["Asia/Singapore"]},
}

TIERS = {
    # share of customers, relative invoice volume, mean log amount
    "strategic": {"share": 0.03, "volume": 12.0, "log_amount": 9.6},
    "key": {"share": 0.12, "volume": 4.0, "log_amount": 8.7},
    "standard": {"share": 0.5, "volume": 1.0, "log_amount": 7.6},
    "small": {"share": 0.35, "volume": 0.5, "log_amount": 6.3},
}

OWNER_NAMES = [
    ("Maya", "Okafor"), ("Liam", "Brennan"), ("Sofia", "Lindqvist"), ("Arjun", "Mehta"),
    ("Chloe", "Dubois"), ("Noah", "Fischer"), ("Grace", "Tanaka"), ("Oscar", "Reyes"),
    ("Hannah", "Walsh"), ("Felix", "Novak"), ("Ines", "Carvalho"), ("Tom", "Adeyemi"),
]

DISPUTE_REASONS = ["pricing", "quantity", "quality", "duplicate", "not_received", "other"]

_PREFIX = ["Apex", "Blue", "Cedar", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper",
           "Kestrel", "Lumen", "Maple", "North", "Orbit", "Pine", "Quartz", "River", "Summit", "Tidal",
           "Umber", "Vale", "Willow", "Xeno", "Yarrow", "Zenith", "Atlas", "Beacon", "Copper", "Drift"]
_CORE = ["Logistics", "Foods", "Analytics", "Textiles", "Robotics", "Health", "Media", "Energy",
         "Builders", "Pharma", "Outfitters", "Systems", "Labs", "Freight", "Design", "Metals",
         "Dairy", "Optics", "Marine", "Software"]
_SUFFIX = ["Ltd", "GmbH", "Inc", "LLC", "SARL", "BV", "plc", "Pty Ltd", "Co", "Group"]

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

_DISPUTE_TEXT = {
    "pricing": "The unit price on {inv} does not match our agreed price list. Please issue a corrected invoice.",
    "quantity": "We were invoiced for more units than we received on {inv}; only part of the order arrived.",
    "quality": "The goods delivered under {inv} were damaged and defective. We dispute this invoice.",
    "duplicate": "{inv} looks like a duplicate of an invoice we already paid. Please check and cancel it.",
    "not_received": "We never received the goods or services billed on {inv}. Please send proof of delivery.",
    "other": "We dispute {inv}: the purchase order reference is wrong and our AP team cannot book it.",
}


def company_name(rng: np.random.Generator, used: set[str]) -> str:
    while True:
        name = f"{_PREFIX[rng.integers(len(_PREFIX))]} {_CORE[rng.integers(len(_CORE))]} {_SUFFIX[rng.integers(len(_SUFFIX))]}"
        if name in used:
            name = f"{name} {len(used) + 1}"
        if name not in used:
            used.add(name)
            return name


def spell_date(day: dt.date, written_on: dt.date, day_first: bool, style: int) -> str:
    """The promised date as a customer in that country might write it."""
    gap = (day - written_on).days
    if style == 0:
        return day.isoformat()
    if style == 1:
        return f"{day.day:02d}/{day.month:02d}/{day.year}" if day_first else f"{day.month}/{day.day}/{day.year}"
    if style == 2:
        return f"{day.day} {_MONTHS[day.month - 1]}" if day_first else f"{_MONTHS[day.month - 1]} {day.day}"
    if style == 3:
        return f"{_WEEKDAYS[day.weekday()]}, {day.day} {_MONTHS[day.month - 1][:3]} {day.year}"
    if style == 4 and 0 < gap < 7 and day.weekday() > written_on.weekday():
        return f"this {_WEEKDAYS[day.weekday()]}"
    if style == 5 and day == (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1) \
            and day.month == written_on.month:
        return "the end of the month"
    if style == 6 and gap > 0:
        return f"in {gap} days"
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _body(reply, rng: np.random.Generator, day_first: bool) -> tuple[str, str]:
    inv = ", ".join(reply.invoice_numbers)
    name = reply.customer.name
    if reply.kind == "promise":
        when = spell_date(reply.promised_date, reply.sent_on, day_first, int(rng.integers(0, 8)))
        opener = ["We will pay", "Payment for", "We have scheduled payment of", "You can expect payment for"][
            int(rng.integers(4))]
        if opener == "We will pay":
            text = f"Hello,\n\nSorry for the delay. We will pay invoice {inv} on {when}.\n"
        elif opener == "Payment for":
            text = f"Hi,\n\nPayment for {inv} is planned for {when}, once our payment run is approved.\n"
        elif opener == "We have scheduled payment of":
            text = f"Dear AR team,\n\nWe have scheduled payment of {inv} for {when}.\n"
        else:
            text = f"Hello,\n\nYou can expect payment for {inv} by {when}.\n"
        return f"Re: Payment reminder for {inv}", text + f"\nRegards,\nAccounts payable, {name}\n"
    if reply.kind == "dispute":
        return f"Re: Invoice {inv}", "Hello,\n\n" + _DISPUTE_TEXT[reply.reason].format(inv=inv) + f"\n\n{name}\n"
    if reply.kind == "remittance":
        paid = spell_date(reply.paid_on, reply.sent_on, day_first, 0)
        return (f"Remittance advice {inv}",
                f"Hello,\n\nWe paid {inv} on {paid}, amount {reply.amount:.2f}. Remittance attached.\n\n{name}\n")
    if reply.kind == "out_of_office":
        back = spell_date(reply.back_on, reply.sent_on, day_first, 2)
        return ("Automatic reply: out of office",
                f"I am out of the office until {back} with limited access to email.\n")
    return (f"Question about {inv}",
            f"Hi,\n\nCould you send a copy of {inv} with our PO number? We cannot find it.\n\n{name}\n")


def reply_message(reply, n: int, rng: np.random.Generator, ar_mailbox: str) -> bytes:
    """One RFC 822 message, dated in the customer's own time zone."""
    day_first = COUNTRIES[reply.customer.country]["day_first"]
    subject, body = _body(reply, rng, day_first)
    sent_at = dt.datetime.combine(reply.sent_on, dt.time(8 + int(rng.integers(0, 9)), int(rng.integers(0, 60))),
                                  tzinfo=ZoneInfo(reply.customer.timezone))
    # compat32 MIMEText: the modern header registry costs ~1 ms a message, 10 s for the demo.
    msg = MIMEText(body, "plain", "us-ascii" if body.isascii() else "utf-8")
    msg["From"] = email.utils.formataddr((f"Accounts payable, {reply.customer.name}", reply.customer.email))
    msg["To"] = ar_mailbox
    msg["Subject"] = subject
    msg["Date"] = email.utils.format_datetime(sent_at)
    msg["Message-ID"] = f"<reply-{n:06d}.{reply.customer.customer_id}@{reply.customer.email.split('@')[1]}>"
    if reply.kind == "out_of_office":
        msg["Auto-Submitted"] = "auto-replied"
    return msg.as_bytes()
