"""Generate the demo company: a ledger export, a CRM export and a Maildir inbox.

Everything is deterministic for a seed. What it writes under `directory`:
- `ledger/customers.csv`, `ledger/invoices.csv`, `ledger/settlements.csv`,
  `ledger/fx_rates.csv`: the AR ledger in the columns of the demo AR source;
- `crm/companies.csv`, `crm/owners.csv`: companies with tiers and account owners;
- `maildir/`: customer replies as RFC 822 messages (promises, disputes, remittance
  claims, out-of-office, questions), readable by any mail client.

Payment behaviour is drawn per customer (prompt, steady, slow, chronic), so segments
mean something; promises are written together with the settlements that keep or break
them, so the promise figures have a true answer. A handful of deliberately bad records
give the data checks work to do.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from archase_pipeline.demo import wording
from archase_pipeline.demo.wording import COUNTRIES, TIERS

REPORTING_CURRENCY = "USD"
BASE_RATES = {"USD": 1.0, "EUR": 1.09, "GBP": 1.27}
AR_MAILBOX = "ar@archase-demo.example"


@dataclass
class DemoCompany:
    """What was generated, with counts for the summary."""

    directory: Path
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Customer:
    customer_id: str
    name: str
    country: str
    timezone: str
    currency: str
    tier: str
    email: str
    terms_days: int
    behaviour: str
    mean_delay: float
    delay_spread: float
    partial_prob: float
    dispute_prob: float
    promise_reliability: float


BEHAVIOURS = {
    # name: (share, mean days paid after due, spread, partial payment prob, dispute prob, promise reliability)
    "prompt": (0.35, -4.0, 4.0, 0.02, 0.01, 0.95),
    "steady": (0.35, 8.0, 7.0, 0.05, 0.03, 0.8),
    "slow": (0.2, 35.0, 15.0, 0.12, 0.05, 0.55),
    "chronic": (0.1, 85.0, 35.0, 0.2, 0.08, 0.3),
}


def generate(
    directory: Path,
    *,
    seed: int = 42,
    customers: int = 1500,
    invoices: int = 40_000,
    months: int = 18,
    end_date: dt.date | None = None,
) -> DemoCompany:
    """Write the demo company under `directory`, replacing any earlier one."""
    end_date = end_date or dt.date.today()
    rng = np.random.default_rng(seed)
    directory = fresh_company_directory(directory)
    start_date = end_date - dt.timedelta(days=round(months * 30.44))
    owners = _owners(rng)
    custs = _customers(rng, customers)
    rates = _fx_rates(rng, start_date, end_date)
    builder = _LedgerBuilder(rng, custs, rates, start_date, end_date)
    builder.build(invoices)
    builder.add_bad_records()

    _write_csv(directory / "ledger" / "customers.csv", [
        {"customer_id": c.customer_id, "name": c.name, "country": c.country, "timezone": c.timezone,
         "currency": c.currency, "email": c.email, "payment_terms_days": c.terms_days}
        for c in custs
    ])
    _write_csv(directory / "ledger" / "invoices.csv", builder.invoice_rows)
    _write_csv(directory / "ledger" / "settlements.csv", builder.settlement_rows)
    _write_csv(directory / "ledger" / "fx_rates.csv", [
        {"rate_date": d.isoformat(), "currency": cur, "rate_to_reporting": f"{r:.6f}"}
        for (cur, d), r in sorted(rates.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ])
    _write_csv(directory / "ledger" / "aged_receivables.csv", _aged_receivables(builder, end_date))
    _write_csv(directory / "crm" / "owners.csv", owners)
    _write_csv(directory / "crm" / "companies.csv", [
        {"company_id": f"H{10_000 + i}", "ledger_customer_id": c.customer_id, "name": c.name,
         "domain": c.email.split("@")[1], "tier": c.tier,
         "owner_id": owners[int(rng.integers(len(owners)))]["owner_id"],
         "updated_at": f"{end_date.isoformat()}T06:00:00Z"}
        for i, c in enumerate(custs)
    ])
    message_count = _write_maildir(directory / "maildir", builder.replies)
    return DemoCompany(directory, {
        "customers": len(custs),
        "invoices": len(builder.invoice_rows),
        "settlements": len(builder.settlement_rows),
        "owners": len(owners),
        "replies": message_count,
        "bad_records": builder.bad_records,
    })


def fresh_company_directory(directory: Path) -> Path:
    """An empty company folder with ledger/ and crm/, replacing any earlier company there."""
    directory = Path(directory)
    if directory.exists():
        shutil.rmtree(directory)
    (directory / "ledger").mkdir(parents=True)
    (directory / "crm").mkdir()
    return directory


def _owners(rng: np.random.Generator) -> list[dict]:
    rows = []
    for i, (first, last) in enumerate(wording.OWNER_NAMES):
        rows.append({"owner_id": str(500 + i), "first_name": first, "last_name": last,
                     "email": f"{first.lower()}.{last.lower()}@archase-demo.example"})
    return rows


def _customers(rng: np.random.Generator, count: int) -> list[_Customer]:
    behaviour_names = list(BEHAVIOURS)
    shares = np.array([BEHAVIOURS[b][0] for b in behaviour_names])
    tier_names = list(TIERS)
    tier_shares = np.array([TIERS[t]["share"] for t in tier_names])
    country_names = list(COUNTRIES)
    country_weights = np.array([COUNTRIES[c]["weight"] for c in country_names], dtype=float)
    out = []
    used_names: set[str] = set()
    for i in range(count):
        name = wording.company_name(rng, used_names)
        country = country_names[rng.choice(len(country_names), p=country_weights / country_weights.sum())]
        info = COUNTRIES[country]
        behaviour = behaviour_names[rng.choice(len(behaviour_names), p=shares)]
        _, mean_delay, spread, partial, dispute, reliability = BEHAVIOURS[behaviour]
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:20]
        out.append(_Customer(
            customer_id=f"C{i + 1:05d}",
            name=name,
            country=country,
            timezone=info["timezones"][int(rng.integers(len(info["timezones"])))],
            currency=info["currency"],
            tier=tier_names[rng.choice(len(tier_names), p=tier_shares)],
            email=f"accounts@{slug}.example",
            terms_days=int(rng.choice([14, 30, 30, 30, 45, 60])),
            behaviour=behaviour,
            mean_delay=mean_delay + rng.normal(0, 3),
            delay_spread=spread,
            partial_prob=partial,
            dispute_prob=dispute,
            promise_reliability=reliability,
        ))
    return out


def _fx_rates(rng: np.random.Generator, start: dt.date, end: dt.date) -> dict[tuple[str, dt.date], float]:
    """Monthly rates (first of each month) drifting gently around a base."""
    rates: dict[tuple[str, dt.date], float] = {}
    month = start.replace(day=1)
    level = {cur: base for cur, base in BASE_RATES.items()}
    while month <= end:
        for cur in BASE_RATES:
            if cur != REPORTING_CURRENCY:
                level[cur] *= float(np.exp(rng.normal(0, 0.012)))
            rates[(cur, month)] = round(level[cur], 6)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return rates


@dataclass
class _Reply:
    customer: _Customer
    sent_on: dt.date
    kind: str
    invoice_numbers: list[str]
    promised_date: dt.date | None = None
    amount: float | None = None
    reason: str | None = None
    paid_on: dt.date | None = None
    back_on: dt.date | None = None


class _LedgerBuilder:
    """Draws invoices, their settlements, and the replies that go with them."""

    def __init__(self, rng, customers, rates, start, end):
        self.rng = rng
        self.customers = customers
        self.rates = rates
        self.start = start
        self.end = end
        self.invoice_rows: list[dict] = []
        self.settlement_rows: list[dict] = []
        self.replies: list[_Reply] = []
        self.bad_records = 0
        self._settlement_seq = 0

    def build(self, invoice_count: int) -> None:
        rng = self.rng
        weights = np.array([TIERS[c.tier]["volume"] for c in self.customers], dtype=float)
        owner_of = rng.choice(len(self.customers), size=invoice_count, p=weights / weights.sum())
        span = (self.end - self.start).days
        offsets = np.sort(rng.integers(0, span + 1, size=invoice_count))
        for n, (cidx, offset) in enumerate(zip(owner_of, offsets)):
            self._invoice(n + 1, self.customers[int(cidx)], self.start + dt.timedelta(days=int(offset)))

    def _rate(self, currency: str, day: dt.date) -> float:
        return self.rates[(currency, day.replace(day=1))]

    def _invoice(self, n: int, cust: _Customer, issue: dt.date) -> None:
        rng = self.rng
        number = f"INV-{n:06d}"
        due = issue + dt.timedelta(days=cust.terms_days)
        amount = round(float(np.exp(rng.normal(TIERS[cust.tier]["log_amount"], 0.8))), 2)
        status = "AUTHORISED"
        roll = rng.random()
        if roll < 0.01:
            status = "VOIDED"
        elif roll < 0.013 and (self.end - issue).days < 20:
            status = "DRAFT"
        self.invoice_rows.append({
            "invoice_id": f"inv-{n:06d}", "invoice_number": number, "customer_id": cust.customer_id,
            "issue_date": issue.isoformat(), "due_date": due.isoformat(), "amount": f"{amount:.2f}",
            "currency": cust.currency, "fx_rate": f"{self._rate(cust.currency, issue):.6f}",
            "status": status, "updated_at": f"{min(self.end, due).isoformat()}T08:00:00Z",
        })
        if status != "AUTHORISED":
            return
        self._settle(number, f"inv-{n:06d}", cust, issue, due, amount)
        roll = rng.random()
        if roll < 0.015:
            sent = due + dt.timedelta(days=int(rng.integers(2, 10)))
            back = sent + dt.timedelta(days=int(rng.integers(3, 15)))
            if sent <= self.end:
                self.replies.append(_Reply(cust, sent, "out_of_office", [number], back_on=back))
        elif roll < 0.035:
            sent = issue + dt.timedelta(days=int(rng.integers(1, 20)))
            if sent <= self.end:
                self.replies.append(_Reply(cust, sent, "question", [number]))

    def _pay(self, invoice_id: str, day: dt.date, amount: float, kind: str = "payment") -> None:
        if day > self.end or amount <= 0:
            return
        self._settlement_seq += 1
        self.settlement_rows.append({
            "settlement_id": f"set-{self._settlement_seq:07d}", "invoice_id": invoice_id,
            "settlement_date": day.isoformat(), "amount": f"{amount:.2f}", "kind": kind,
            "status": "ACTIVE", "updated_at": f"{day.isoformat()}T18:00:00Z",
        })

    def _settle(self, number, invoice_id, cust, issue, due, amount) -> None:
        rng = self.rng
        delay = int(round(rng.normal(cust.mean_delay, cust.delay_spread)))
        pay_day = max(issue + dt.timedelta(days=1), due + dt.timedelta(days=delay))
        remaining = amount

        if rng.random() < cust.dispute_prob:
            disputed_on = issue + dt.timedelta(days=int(rng.integers(3, 25)))
            if disputed_on <= self.end:
                reason = wording.DISPUTE_REASONS[int(rng.integers(len(wording.DISPUTE_REASONS)))]
                self.replies.append(_Reply(cust, disputed_on, "dispute", [number], reason=reason))
                # A dispute is resolved by a credit note for part of the invoice, and the rest paid late.
                credit_day = disputed_on + dt.timedelta(days=int(rng.integers(10, 45)))
                credit = round(amount * float(rng.uniform(0.1, 1.0)), 2)
                self._pay(invoice_id, credit_day, credit, "credit_note")
                remaining = round(amount - credit, 2)
                pay_day = max(pay_day, credit_day + dt.timedelta(days=int(rng.integers(0, 20))))
        elif rng.random() < 0.02:
            credit = round(amount * float(rng.uniform(0.05, 0.3)), 2)
            self._pay(invoice_id, issue + dt.timedelta(days=int(rng.integers(1, 20))), credit, "credit_note")
            remaining = round(amount - credit, 2)

        late_by = (pay_day - due).days
        if late_by > 12 and rng.random() < 0.2:
            pay_day, remaining = self._promise(number, invoice_id, cust, due, pay_day, remaining)
        if remaining <= 0.005:
            return
        if cust.behaviour == "chronic" and late_by > 150 and rng.random() < 0.4:
            self._pay(invoice_id, due + dt.timedelta(days=int(rng.integers(150, 200))), remaining, "write_off")
            return
        if rng.random() < cust.partial_prob:
            first = round(remaining * float(rng.uniform(0.3, 0.7)), 2)
            early = max(issue + dt.timedelta(days=1), pay_day - dt.timedelta(days=int(rng.integers(10, 40))))
            self._pay(invoice_id, early, first)
            remaining = round(remaining - first, 2)
        if cust.behaviour == "chronic" and rng.random() < 0.05:
            return  # never paid: stays open, ages into 90+
        self._pay(invoice_id, pay_day, remaining)
        if rng.random() < 0.03 and pay_day <= self.end:
            self.replies.append(_Reply(cust, pay_day, "remittance", [number], paid_on=pay_day, amount=remaining))

    def _promise(self, number, invoice_id, cust, due, pay_day, remaining):
        """A reply promising payment, and settlements that keep, partly keep or break it."""
        rng = self.rng
        made_on = due + dt.timedelta(days=int(rng.integers(5, 12)))
        if made_on > self.end:
            return pay_day, remaining
        promised = made_on + dt.timedelta(days=int(rng.integers(3, 22)))
        if rng.random() < 0.12:
            # Superseded: a second promise before the first one matures.
            self.replies.append(_Reply(cust, made_on, "promise", [number], promised_date=promised))
            made_on = made_on + dt.timedelta(days=int(rng.integers(1, max(2, (promised - made_on).days + 1))))
            if made_on > self.end:
                return pay_day, remaining
            promised = made_on + dt.timedelta(days=int(rng.integers(5, 25)))
        self.replies.append(_Reply(cust, made_on, "promise", [number], promised_date=promised))
        outcome = rng.random()
        grace = 3
        if outcome < cust.promise_reliability:
            kept_on = promised + dt.timedelta(days=int(rng.integers(-3, grace + 1)))
            return max(made_on, kept_on), remaining
        if outcome < cust.promise_reliability + (1 - cust.promise_reliability) * 0.3:
            part = round(remaining * float(rng.uniform(0.3, 0.7)), 2)
            self._pay(invoice_id, max(made_on, promised - dt.timedelta(days=1)), part)
            later = promised + dt.timedelta(days=int(rng.integers(grace + 5, 60)))
            return later, round(remaining - part, 2)
        return max(pay_day, promised + dt.timedelta(days=int(rng.integers(grace + 3, 70)))), remaining

    def add_bad_records(self) -> None:
        """Deliberately bad rows: each is one a real export has been seen to contain."""
        good = self.invoice_rows[len(self.invoice_rows) // 2]
        bad = [
            {**good, "invoice_id": "bad-0001", "invoice_number": "INV-B0001", "customer_id": ""},
            {**good, "invoice_id": "bad-0002", "invoice_number": "INV-B0002", "amount": "-150.00"},
            {**good, "invoice_id": "bad-0003", "invoice_number": "INV-B0003", "customer_id": "C99999"},
            {**good, "invoice_id": "bad-0004", "invoice_number": "INV-B0004",
             "due_date": (dt.date.fromisoformat(good["issue_date"]) - dt.timedelta(days=10)).isoformat()},
            {**good, "invoice_id": "bad-0005", "invoice_number": "INV-B0005", "issue_date": ""},
            {**good, "invoice_id": "bad-0006", "invoice_number": "INV-B0006", "amount": "twelve"},
            {**good, "amount": f"{float(good['amount']) + 10:.2f}"},  # a second row for an existing id
        ]
        self.invoice_rows.extend(bad)
        self._settlement_seq += 1
        self.settlement_rows.append({
            "settlement_id": f"set-{self._settlement_seq:07d}", "invoice_id": "inv-999999",
            "settlement_date": good["issue_date"], "amount": "99.00", "kind": "payment",
            "status": "ACTIVE", "updated_at": f"{good['issue_date']}T18:00:00Z",
        })
        self.bad_records = len(bad) + 1


def _aged_receivables(builder: "_LedgerBuilder", as_of: dt.date) -> list[dict]:
    """The ledger's own aged receivables total per currency, as Xero's report would give it."""
    paid: dict[str, float] = {}
    for row in builder.settlement_rows:
        if row["settlement_date"] <= as_of.isoformat():
            paid[row["invoice_id"]] = paid.get(row["invoice_id"], 0.0) + float(row["amount"])
    totals: dict[str, list[float]] = {}
    for row in builder.invoice_rows:
        try:
            amount = float(row["amount"])
        except ValueError:
            continue
        if row["status"] != "AUTHORISED" or not row["issue_date"] or row["issue_date"] > as_of.isoformat():
            continue
        open_amount = amount - paid.get(row["invoice_id"], 0.0)
        if amount > 0 and open_amount > 0.005:
            pair = totals.setdefault(row["currency"], [0.0, 0.0])
            pair[0] += open_amount
            pair[1] += open_amount * float(row["fx_rate"])
    return [{"as_of": as_of.isoformat(), "currency": cur, "open_amount": f"{a:.2f}", "open_amount_reporting": f"{r:.2f}"}
            for cur, (a, r) in sorted(totals.items())]


def _write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _write_maildir(path: Path, replies: list[_Reply]) -> int:
    """A Maildir (new/, cur/, tmp/) whose file names are stable for a seed, unlike mailbox.Maildir.add."""
    for sub in ("new", "cur", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    replies = sorted(replies, key=lambda r: (r.sent_on, r.customer.customer_id, r.kind))
    rng = np.random.default_rng(len(replies))
    for n, reply in enumerate(replies):
        (path / "new" / f"{n:06d}.archase-demo").write_bytes(wording.reply_message(reply, n, rng, AR_MAILBOX))
    return len(replies)
