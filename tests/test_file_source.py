"""The file AR source: a CSV/XLSX export through a column mapping; bad rows quarantined, none lost."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from openpyxl import load_workbook

from archase_pipeline import ingest, intake
from archase_pipeline.config import ArchaseConfig
from archase_pipeline.sinks.workbook import write_tab
from archase_pipeline.sources.errors import SourceError
from archase_pipeline.warehouse import connect

HEADER = "Invoice,Customer,Issued,Due,Amount,Settled,Disputed\n"
GOOD = [
    "A1,C1,01/15/2024,02/14/2024,100.00,02/20/2024,No",
    "A2,C1,01/20/2024,02/19/2024,\"1,250.50\",,Yes",
    "A3,C2,02/01/2024,03/02/2024,80.00,,No",
]


def config_for(tmp_path, csv_name="ar.csv", **ar) -> ArchaseConfig:
    return ArchaseConfig.model_validate({
        "warehouse": str(tmp_path / "w.duckdb"),
        "as_of": "2024-03-31",
        "sources": {
            "ar": {"kind": "file", "path": str(tmp_path / csv_name), "date_format": "%m/%d/%Y",
                   "columns": {"invoice_id": "Invoice", "customer_id": "Customer", "issue_date": "Issued",
                               "due_date": "Due", "amount": "Amount", "settled_date": "Settled",
                               "disputed": "Disputed"}, **ar},
            "crm": {"kind": "none"}, "mail": {"kind": "none"},
        },
    })


def load(tmp_path, lines, raw: bytes | None = None, as_of: str = "2024-03-31"):
    path = tmp_path / "ar.csv"
    if raw is not None:
        path.write_bytes(raw)
    else:
        path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    config = config_for(tmp_path)
    config.as_of = dt.date.fromisoformat(as_of)
    with connect(config.warehouse) as con:
        result = ingest.load_ledger(con, config, "batch-1")
        invoices = con.execute("select * from raw.ar_invoices order by invoice_id").df()
        settlements = con.execute("select * from raw.ar_settlements order by settlement_id").df()
    return result, invoices, settlements


def test_good_rows_load_with_settlements_from_the_settled_date(tmp_path):
    result, invoices, settlements = load(tmp_path, GOOD)
    assert list(invoices["invoice_id"]) == ["A1", "A2", "A3"]
    assert invoices.set_index("invoice_id").loc["A2", "amount"] == 1250.50
    assert invoices.set_index("invoice_id").loc["A2", "dispute_reason"] == "other"
    assert list(settlements["invoice_id"]) == ["A1"]  # blank settled date: still open
    assert settlements.iloc[0]["settlement_date"] == pd.Timestamp("2024-02-20")
    assert settlements.iloc[0]["amount"] == 100.0
    assert len(result.quarantine) == 0


@pytest.mark.parametrize(
    ("bad_line", "rule", "reason_part"),
    [
        ("B1,C1,2024-01-15,02/14/2024,10.00,,No", "issue_date_is_date", "'2024-01-15' is not a date in the format %m/%d/%Y"),
        ("B1,C1,01/15/2024,02/14/2024,ten,,No", "amount_is_number", "'ten' is not a number"),
        ("B1,C1,01/15/2024,02/14/2024,-5.00,,No", "amount_positive", "not positive"),
        ("B1,C1,01/15/2024,02/14/2024,0,,No", "amount_positive", "not positive"),
        ("B1,C1,03/15/2024,02/14/2024,10.00,,No", "due_not_before_issue", "due_date is before issue_date"),
        ("B1,,01/15/2024,02/14/2024,10.00,,No", "customer_id_present", "customer_id is empty"),
        ("B1,C1,01/15/2031,02/14/2031,10.00,,No", "issue_date_not_far_future", "more than a year after the run date"),
        ("B1,C1,01/15/2024,02/14/2024,10.00,31/02/2024,No", "settlement_date_is_date", "not a date"),
    ],
)
def test_a_bad_row_is_quarantined_with_its_line_and_reason_and_the_rest_load(tmp_path, bad_line, rule, reason_part):
    result, invoices, _ = load(tmp_path, [*GOOD, bad_line])
    q = result.quarantine
    assert len(q) == 1, q
    row = q.iloc[0]
    assert row["rule"] == rule and reason_part in row["reason"]
    assert row["source_line"] == 5 and row["source_file"].endswith("ar.csv")
    assert '"invoice_id": "B1"' in row["record"]
    expected_invoices = ["A1", "A2", "A3"] if rule != "settlement_date_is_date" else ["A1", "A2", "A3", "B1"]
    assert sorted(invoices["invoice_id"]) == expected_invoices


def test_duplicate_invoice_numbers_quarantine_every_copy(tmp_path):
    result, invoices, settlements = load(tmp_path, [*GOOD, "A1,C1,01/15/2024,02/14/2024,999.00,,No"])
    dupes = result.quarantine[result.quarantine["rule"] == "invoice_id_unique"]
    assert sorted(dupes["source_line"]) == [2, 5]
    assert sorted(invoices["invoice_id"]) == ["A2", "A3"]
    # A1's settlement cannot load without its invoice, and says so.
    assert "its invoice is quarantined" in result.quarantine[result.quarantine["table_name"] == "ar_settlements"].iloc[0]["reason"]


def test_formula_looking_cells_load_as_text_and_reach_the_workbook_inert(tmp_path):
    formula = '=HYPERLINK("http://attacker.example","click")'
    _, invoices, _ = load(tmp_path, [*GOOD, 'F1,"' + formula.replace('"', '""') + '",01/15/2024,02/14/2024,10.00,,No'])
    assert invoices.set_index("invoice_id").loc["F1", "customer_id"] == formula

    write_tab(tmp_path / "book.xlsx", "Ageing", invoices[["invoice_id", "customer_id"]])
    sheet = load_workbook(tmp_path / "book.xlsx")["Ageing"]
    cells = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2)}
    assert cells["F1"].data_type == "s" and cells["F1"].value == "'" + formula


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (HEADER.encode(), "has a header but no rows"),
        (b"Invoice,Customer,Issued,Amount\nA1,C1,01/15/2024,10\n", "column 'Due' (mapped as due_date)"),
    ],
)
def test_a_file_that_cannot_be_read_fails_with_what_to_do(tmp_path, content, message):
    with pytest.raises(SourceError) as error:
        load(tmp_path, [], raw=content)
    assert message in str(error.value) and "ar.csv" in str(error.value)


def test_a_line_with_bytes_that_are_not_utf8_is_quarantined_and_the_rest_load(tmp_path):
    raw = (HEADER + "\n".join(GOOD) + "\nB1,C\xe9,01/15/2024,02/14/2024,1,,No\n").encode("latin-1")
    result, invoices, _ = load(tmp_path, [], raw=raw)
    assert sorted(invoices["invoice_id"]) == ["A1", "A2", "A3"]
    rules = set(result.quarantine["rule"])
    assert "text_is_utf8" in rules and set(result.quarantine["source_line"]) == {5}
    assert "not UTF-8" in result.quarantine.iloc[0]["reason"] and "\ufffd" in result.quarantine.iloc[0]["record"]


def test_a_10_mb_cell_is_quarantined_not_loaded(tmp_path):
    result, invoices, _ = load(tmp_path, [*GOOD, "B1," + "X" * 10_000_000 + ",01/15/2024,02/14/2024,10.00,,No"])
    assert sorted(invoices["invoice_id"]) == ["A1", "A2", "A3"]
    row = result.quarantine[result.quarantine["rule"] == "customer_id_length"].iloc[0]
    assert row["source_line"] == 5 and "longer than 10,000 characters" in row["reason"]
    assert len(row["record"]) < 5_000  # the quarantine keeps the row readable, not 10 MB


def test_a_payment_for_an_unknown_invoice_and_a_currency_without_rate(tmp_path):
    path = tmp_path / "ar.csv"
    path.write_text(HEADER.replace(",Disputed", ",Disputed,Currency") + "\n".join(
        [line + ",USD" for line in GOOD] + ["C1,C1,01/15/2024,02/14/2024,10.00,,No,XYZ"]) + "\n")
    config = config_for(tmp_path)
    config.sources.ar.columns.currency = "Currency"
    with connect(config.warehouse) as con:
        result = ingest.load_ledger(con, config, "b")
    row = result.quarantine.iloc[0]
    assert row["rule"] == "currency_has_rate" and "add it to fx_rates in the config" in row["reason"]


def test_loading_the_same_export_twice_adds_nothing_and_a_blanked_settlement_reopens(tmp_path):
    load(tmp_path, GOOD)
    _, invoices, settlements = load(tmp_path, GOOD)
    assert len(invoices) == 3 and len(settlements) == 1
    assert set(invoices["_batch_id"]) == {"batch-1"}
    # A re-export in which A1's settlement is blank: A1 is open again.
    _, _, settlements = load(tmp_path, [GOOD[0].replace("02/20/2024", ""), *GOOD[1:]])
    assert len(settlements) == 0


def test_xlsx_export_reads_like_the_csv(tmp_path):
    frame = pd.DataFrame({
        "Invoice": ["X1", "X2"], "Customer": ["C1", "C2"],
        "Issued": [dt.datetime(2024, 1, 15), dt.datetime(2024, 1, 20)],
        "Due": [dt.datetime(2024, 2, 14), dt.datetime(2024, 2, 19)],
        "Amount": [100.0, 200.0], "Settled": [dt.datetime(2024, 2, 1), None], "Disputed": ["No", "No"],
    })
    frame.to_excel(tmp_path / "ar.xlsx", index=False)
    config = config_for(tmp_path, "ar.xlsx")
    with connect(config.warehouse) as con:
        result = ingest.load_ledger(con, config, "b")
        rows = con.execute("select invoice_id, issue_date, amount from raw.ar_invoices order by 1").fetchall()
    assert len(result.quarantine) == 0
    assert rows == [("X1", dt.date(2024, 1, 15), 100.0), ("X2", dt.date(2024, 1, 20), 200.0)]


def test_a_row_that_passed_unchanged_is_not_validated_again_but_a_changed_one_is(tmp_path):
    first, _, _ = load(tmp_path, GOOD)
    assert first.rows_validated["ar_invoices"] == 3
    again, _, _ = load(tmp_path, GOOD)
    assert again.rows_validated["ar_invoices"] == 0 and len(again.quarantine) == 0
    # The next day A3's amount turns negative: only that row goes through the suite, and fails.
    changed, invoices, _ = load(tmp_path, [GOOD[0], GOOD[1], GOOD[2].replace("80.00", "-80.00")])
    assert changed.rows_validated["ar_invoices"] == 1
    assert list(changed.quarantine["rule"]) == ["amount_positive"]
    assert sorted(invoices["invoice_id"]) == ["A1", "A2"]


def test_a_backfill_to_an_earlier_run_date_validates_again_what_a_later_date_allowed(tmp_path):
    next_year = "N1,C1,01/15/2025,02/14/2025,10.00,,No"  # within a year of 2024-03-31, not of 2023-06-30
    late, _, _ = load(tmp_path, [*GOOD, next_year])
    assert len(late.quarantine) == 0
    early, invoices, _ = load(tmp_path, [*GOOD, next_year], as_of="2023-06-30")
    assert early.rows_validated["ar_invoices"] == 4
    assert list(early.quarantine["rule"]) == ["issue_date_not_far_future"]
    assert "N1" not in set(invoices["invoice_id"])


def test_the_suite_runs_in_bounded_chunks_and_still_sees_duplicates_across_them(tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "GX_CHUNK_ROWS", 2048)  # the smallest chunk: one DuckDB vector
    lines = [f"D{i},C1,01/15/2024,02/14/2024,10.00,,No" for i in range(5000)]
    lines[4500] = "D7,C1,01/15/2024,02/14/2024,10.00,,No"  # a copy of row 7, two chunks later
    lines[4999] = "D4999,C1,01/15/2024,02/14/2024,0,,No"  # a bad amount in the last chunk
    result, invoices, _ = load(tmp_path, lines)
    q = result.quarantine
    assert sorted(q.loc[q["rule"] == "invoice_id_unique", "source_line"]) == [7 + 2, 4500 + 2]
    assert list(q.loc[q["rule"] == "amount_positive", "source_line"]) == [4999 + 2]
    assert len(invoices) == 5000 - 3
