"""The whole graph materialized in process on a small demo company: twice, with the same result."""

from __future__ import annotations

import hashlib
import os
import subprocess

import duckdb
import pytest
from openpyxl import load_workbook

from archase_pipeline.dbt_project import PROJECT_DIR, dbt_environment, dbt_executable
from archase_pipeline.runner import run_pipeline

MARTS = ["fct_invoices", "fct_settlements", "fct_disputes", "dim_customers", "fct_receivables_aging",
         "fct_receivables_segmented", "fct_promises", "kpi_daily"]


def _fingerprints(path) -> dict[str, str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for table in MARTS:
            rows = con.execute(f"select * from marts.{table} order by all").fetchall()
            out[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return out
    finally:
        con.close()


def test_materializing_twice_gives_the_same_result_and_loads_nothing_new(small_demo):
    first = _fingerprints(small_demo.warehouse)
    con = duckdb.connect(str(small_demo.warehouse), read_only=True)
    raw_before = {t: con.execute(f"select count(*), count(distinct _batch_id) from raw.{t}").fetchone()
                  for t in ["ar_invoices", "ar_settlements", "ar_customers", "mail_messages"]}
    con.close()

    outcome = run_pipeline(small_demo, say=lambda _line: None)
    assert outcome.success

    assert _fingerprints(small_demo.warehouse) == first
    con = duckdb.connect(str(small_demo.warehouse), read_only=True)
    for table, (rows, batches) in raw_before.items():
        # Same rows, and still only the first load's batch id: the second load rewrote nothing.
        assert con.execute(f"select count(*), count(distinct _batch_id) from raw.{table}").fetchone() == (rows, 1)
    con.close()


def test_every_mart_has_rows_and_the_workbook_has_its_tabs(small_demo):
    con = duckdb.connect(str(small_demo.warehouse), read_only=True)
    counts = {t: con.execute(f"select count(*) from marts.{t}").fetchone()[0] for t in MARTS}
    open_invoices, open_ar = con.execute(
        "select open_invoices, open_ar_amount from marts.kpi_daily where kpi_date = ?", [small_demo.run_date]
    ).fetchone()
    ageing_total = con.execute("select sum(outstanding_amount_reporting) from marts.fct_receivables_aging").fetchone()[0]
    statuses = {r[0] for r in con.execute("select distinct promise_status from marts.fct_promises").fetchall()}
    con.close()
    assert all(n > 0 for n in counts.values()), counts
    # Two computations of open AR as of the run date: the step sweep and the per-invoice report.
    assert float(open_ar) == pytest.approx(float(ageing_total), abs=0.01)
    assert statuses >= {"kept", "partially_kept", "broken", "superseded"}

    book = load_workbook(small_demo.workbook_path, read_only=True)
    assert {"KPIs", "Ageing", "Exceptions", "Forecast"} <= set(book.sheetnames)
    ageing_rows = book["Ageing"].max_row - 2  # a note line and the header
    assert ageing_rows == open_invoices == counts["fct_receivables_aging"]


def test_kpi_daily_has_its_chart(small_demo):
    chart = small_demo.workbook_path.parent / "kpi_daily.png"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_dbt_unit_tests_pass(small_demo):
    env = {**os.environ, **dbt_environment(small_demo)}
    result = subprocess.run(
        [dbt_executable(), "test", "--select", "test_type:unit", "--profiles-dir", str(PROJECT_DIR)],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "PASS=6" in result.stdout
