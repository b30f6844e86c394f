"""The KPIs of the IBM export against an independent, naive computation written from kpi-spec.md.

Nothing here reads the project's SQL: the expected figures come from the CSV and the
spec's definitions, day by day and invoice by invoice, the slow obvious way.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt

import pytest

from archase_pipeline.kpis import kpis_as_of
from tests.conftest import IBM_CSV

AS_OF_DATES = [
    "2012-01-20", "2012-02-29", "2012-06-30", "2012-09-15", "2012-12-31", "2013-03-31",
    "2013-06-30", "2013-08-01", "2013-11-30", "2013-12-31", "2014-02-15",
]


def _read_ibm():
    invoices = []
    with IBM_CSV.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            parse = lambda text: dt.datetime.strptime(text, "%m/%d/%Y").date()  # noqa: E731
            invoices.append({
                "issue": parse(row["InvoiceDate"]), "due": parse(row["DueDate"]),
                "amount": float(row["InvoiceAmount"]),
                "settled": parse(row["SettledDate"]) if row["SettledDate"].strip() else None,
                "disputed": row["Disputed"] == "Yes",
            })
    return invoices


INVOICES = _read_ibm()


def outstanding(inv, d):
    paid = inv["amount"] if inv["settled"] and inv["settled"] <= d else 0.0
    return inv["amount"] - paid


def open_items(d):
    return [(inv, outstanding(inv, d)) for inv in INVOICES if inv["issue"] <= d and outstanding(inv, d) > 0.005]


def band(days):
    if days <= 0:
        return "current"
    if days <= 30:
        return "1-30"
    if days <= 60:
        return "31-60"
    if days <= 90:
        return "61-90"
    return "90+"


def sales(a, b):
    return sum(inv["amount"] for inv in INVOICES if a < inv["issue"] <= b)


def month_end_before(d):
    return d.replace(day=1) - dt.timedelta(days=1)


def countback(d, r):
    """kpi-spec: walk back month by month from the one holding d."""
    earliest = min(inv["issue"] for inv in INVOICES)
    days, month_start, first = 0.0, d.replace(day=1), True
    while True:
        if r <= 0.005:
            return days, False
        if first:
            n, s = d.day, sales(month_start - dt.timedelta(days=1), d)
        else:
            n = calendar.monthrange(month_start.year, month_start.month)[1]
            s = sales(month_start - dt.timedelta(days=1), month_start.replace(day=n))
        if r >= s:
            r -= s
            days += n
        else:
            return days + n * r / s, False
        if month_start <= earliest:
            return days, r > 0.005
        month_start = (month_start - dt.timedelta(days=1)).replace(day=1)
        first = False


def expected(d):
    items = open_items(d)
    bands = {b: 0.0 for b in ["current", "1-30", "31-60", "61-90", "90+"]}
    for inv, amount in items:
        bands[band((d - inv["due"]).days)] += amount
    open_ar = sum(bands.values())
    window = sales(d - dt.timedelta(days=90), d)
    p0 = month_end_before(d)
    open_p0 = sum(a for _, a in open_items(p0))
    mtd = sales(p0, d)
    cei_den = open_p0 + mtd - bands["current"]
    issued = [inv for inv in INVOICES if p0 < inv["issue"] <= d]
    cb, lower = countback(d, open_ar)
    ratio = lambda n, m: None if m == 0 else n / m  # noqa: E731
    return {
        "open_ar": open_ar, "current_ar": bands["current"], "aging": bands,
        "over_60_ar": bands["61-90"] + bands["90+"], "over_60_share": ratio(bands["61-90"] + bands["90+"], open_ar),
        "sales_window": window, "dso": ratio(open_ar * 90, window), "bpdso": ratio(bands["current"] * 90, window),
        "add": ratio((open_ar - bands["current"]) * 90, window), "dso_countback": cb,
        "dso_countback_is_lower_bound": lower,
        "cei": None if cei_den == 0 else (open_p0 + mtd - open_ar) / cei_den * 100,
        "open_invoices": len(items),
        "dispute_rate": ratio(sum(1 for inv in issued if inv["disputed"]), len(issued)),
        "promise_kept_rate": None, "promise_kept_rate_amount": None,
    }


def _close(actual, wanted, key):
    if wanted is None:
        assert actual is None, f"{key}: expected null, got {actual}"
    elif isinstance(wanted, bool):
        assert actual is wanted, key
    else:
        assert actual == pytest.approx(wanted, rel=1e-6, abs=1e-4), key


@pytest.mark.parametrize("as_of", AS_OF_DATES)
def test_ibm_kpis_match_an_independent_computation(ibm_run, as_of):
    d = dt.date.fromisoformat(as_of)
    actual = kpis_as_of(ibm_run, d)
    wanted = expected(d)
    assert actual["as_of"] == as_of and actual["currency"] == "USD"
    for key, value in wanted.items():
        if key == "aging":
            for band_name, amount in value.items():
                _close(actual["aging"][band_name], amount, f"aging {band_name}")
        else:
            _close(actual[key], value, key)


def test_ibm_empty_sales_window_gives_null_dso(ibm_run):
    # A year after the last invoice nothing was sold in 90 days: DSO is null, not 0 or infinity.
    late = kpis_as_of(ibm_run, dt.date(2014, 12, 31))
    assert late["sales_window"] == 0 and late["dso"] is None and late["open_ar"] == 0
