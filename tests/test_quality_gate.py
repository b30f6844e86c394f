"""The quality gate: a failing blocking check stops every publish asset while the analytics build."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from archase_pipeline.audit import CheckRecord, verdict_from
from archase_pipeline.cli import main
from archase_pipeline.config import load_config
from archase_pipeline.demo.company import generate
from archase_pipeline.quality import batch_checks, freshness_check, reconciliation_check
from expectations.validate import RuleOutcome
from tests.conftest import write_config

END = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def tiny_demo(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tiny") / "demo"
    generate(directory, seed=11, customers=40, invoices=700, months=5, end_date=END)
    return directory


def _config(tmp_path, demo_dir, as_of=END, **extra):
    directory = tmp_path / "demo"
    if not directory.exists():
        shutil.copytree(demo_dir, directory)
    data = {
        "warehouse": str(tmp_path / "w.duckdb"), "as_of": as_of.isoformat(),
        "demo": {"directory": str(directory), "end_date": END.isoformat()},
        "sources": {"sheet": {"kind": "xlsx", "path": str(tmp_path / "book.xlsx")}},
        **extra,
    }
    return write_config(tmp_path / "archase.yml", data)


def _marts_rows(config_path) -> dict[str, int]:
    config = load_config(config_path)
    con = duckdb.connect(str(config.warehouse), read_only=True)
    try:
        return {t: con.execute(f"select count(*) from marts.{t}").fetchone()[0]
                for t in ("fct_invoices", "kpi_daily", "fct_receivables_aging")}
    finally:
        con.close()


def _sheet_values(path, tab):
    book = load_workbook(path, read_only=True)
    return None if tab not in book.sheetnames else [row for row in book[tab].iter_rows(min_row=2, values_only=True)]


def test_stale_payment_data_blocks_every_publish_asset_but_not_the_analytics(tmp_path, tiny_demo, capsys):
    # The ledger was last updated on 30 June; a run as of 5 July is 5 days stale.
    config = _config(tmp_path, tiny_demo, as_of=END + dt.timedelta(days=5))
    assert main(["run", "--config", str(config)]) == 1
    captured = capsys.readouterr()
    assert "Verdict: blocked by raw/ar_settlements:payment_data_fresh" in captured.out

    # Analytics materialized ...
    assert all(n > 0 for n in _marts_rows(config).values())
    # ... but neither publish tab was written; only the Exceptions tab says why.
    book = tmp_path / "book.xlsx"
    assert _sheet_values(book, "KPIs") is None and _sheet_values(book, "Ageing") is None
    exceptions = _sheet_values(book, "Exceptions")
    assert exceptions[1][:2] == ("failed check", "blocking")
    assert "payment_data_fresh" in exceptions[1] and "sync the ledger" in exceptions[1][5]

    assert main(["exceptions", "--config", str(config), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"]["status"] == "blocked"
    assert report["verdict"]["blocking_failures"] == ["raw/ar_settlements:payment_data_fresh"]


def test_a_blocked_run_leaves_the_last_published_tabs_untouched(tmp_path, tiny_demo, capsys):
    config = _config(tmp_path, tiny_demo)
    assert main(["run", "--config", str(config)]) == 0
    book = tmp_path / "book.xlsx"
    kpis_before, ageing_before = _sheet_values(book, "KPIs"), _sheet_values(book, "Ageing")
    assert kpis_before and ageing_before

    # The next day's sync did not come: the run is blocked and publishes nothing.
    stale = _config(tmp_path, tiny_demo, as_of=END + dt.timedelta(days=2))
    assert main(["run", "--config", str(stale)]) == 1
    assert _sheet_values(book, "KPIs") == kpis_before and _sheet_values(book, "Ageing") == ageing_before
    assert "blocked" in capsys.readouterr().out


def test_an_overpaid_invoice_fails_a_dbt_money_rule_and_blocks(tmp_path, tiny_demo):
    config = _config(tmp_path, tiny_demo)
    settlements = tmp_path / "demo" / "ledger" / "settlements.csv"
    rows = list(csv.DictReader(settlements.open()))
    paid = next(r for r in rows if r["kind"] == "payment" and r["settlement_date"] < "2026-06-01")
    with settlements.open("a", newline="") as handle:
        csv.DictWriter(handle, fieldnames=list(rows[0])).writerow(
            {**paid, "settlement_id": "set-dup", "amount": "5000.00"})
    assert main(["run", "--config", str(config)]) == 1
    config_obj = load_config(config)
    con = duckdb.connect(str(config_obj.warehouse), read_only=True)
    failed = con.execute("select check_name from audit.check_results where not passed and blocking").fetchall()
    overpaid = con.execute("select outstanding_amount from marts.fct_invoices where invoice_id = ?",
                           [paid["invoice_id"]]).fetchone()[0]
    con.close()
    assert ("assert_outstanding_never_negative",) in failed
    assert overpaid == pytest.approx(-5000.0)
    assert _sheet_values(tmp_path / "book.xlsx", "KPIs") is None


def test_a_mostly_invalid_batch_blocks(tmp_path):
    path = tmp_path / "ar.csv"
    path.write_text("Invoice,Customer,Issued,Due,Amount\n"
                    "A1,C1,2026-06-01,2026-07-01,100\nA2,C1,2026-06-02,2026-07-02,-3\n"
                    "A3,C1,2026-06-03,2026-06-01,50\nA4,C2,2026-06-04,2026-07-04,20\n")
    config = write_config(tmp_path / "file.yml", {
        "warehouse": str(tmp_path / "w.duckdb"), "as_of": "2026-06-30",
        "sources": {"ar": {"kind": "file", "path": str(path), "settlement": "none",
                           "columns": {"invoice_id": "Invoice", "customer_id": "Customer", "issue_date": "Issued",
                                       "due_date": "Due", "amount": "Amount"}},
                    "crm": {"kind": "none"}, "mail": {"kind": "none"},
                    "sheet": {"kind": "xlsx", "path": str(tmp_path / "book.xlsx")}},
    })
    assert main(["run", "--config", str(config)]) == 1
    assert _sheet_values(tmp_path / "book.xlsx", "KPIs") is None
    assert _marts_rows(config)["fct_invoices"] == 2  # the two valid invoices still reach the marts


# The rules themselves, as plain functions with small inputs.

def test_batch_checks_warn_per_rule_and_block_past_the_share():
    outcomes = [RuleOutcome("ar_invoices", "amount_positive", "amount is not positive", 10, [1, 2]),
                RuleOutcome("ar_invoices", "amount_is_number", "amount 'x' is not a number", 10, [2])]
    records = {r.check_name: r for r in batch_checks("ar_invoices", outcomes, 10, max_share=0.1)}
    assert not records["amount_positive"].passed and not records["amount_positive"].blocking
    assert records["rows_typed"].failing_rows == 1
    assert records["batch_mostly_valid"].blocks and records["batch_mostly_valid"].failing_rows == 2
    assert records["customer_known"].passed


def test_freshness_is_measured_from_the_source_update():
    now = dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC)
    assert freshness_check(now - dt.timedelta(hours=23), now, 24).passed
    stale = freshness_check(now - dt.timedelta(hours=25), now, 24)
    assert stale.blocks and "25.0 h" in stale.message
    assert freshness_check(None, now, 24).blocks
    assert freshness_check(None, now, None).passed


def test_reconciliation_explains_the_gap_with_quarantined_invoices():
    total = {"open_amount_reporting": 1_000.0, "quarantined_open_amount_reporting": 150.0,
             "as_of_date": END, "basis": "aged receivables report"}
    assert reconciliation_check(total, 850.0, 1.0, "USD").passed
    gap = reconciliation_check(total, 800.0, 1.0, "USD")
    assert gap.blocks and "unexplained 50.00" in gap.message


def test_verdict_names_the_blocking_checks():
    checks = pd.DataFrame([
        CheckRecord("raw/ar_invoices", "amount_positive", False, False, "x").__dict__,
        CheckRecord("raw/ar_settlements", "payment_data_fresh", False, True, "stale").__dict__,
    ])
    verdict = verdict_from(checks, quarantined_rows=3)
    assert verdict.status == "blocked" and verdict.blocking_failures == ["raw/ar_settlements:payment_data_fresh"]
    assert verdict_from(checks.iloc[:1], 3).status == "passed_with_quarantine"
