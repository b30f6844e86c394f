"""The audit schema: every check's outcome, the sources' own totals, and each run's verdict.

Checks are recorded where they are evaluated (ingest, dbt, the gate) and read back by
the gate, `archase exceptions` and the Exceptions tab, so all three say the same thing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import duckdb
import pandas as pd

from archase_pipeline.warehouse import table_exists

CHECK_TABLE = "audit.check_results"


@dataclass
class CheckRecord:
    asset_key: str
    check_name: str
    passed: bool
    blocking: bool
    message: str
    failing_rows: int = 0
    checked_rows: int = 0

    @property
    def blocks(self) -> bool:
        return self.blocking and not self.passed


def _now() -> pd.Timestamp:
    return pd.Timestamp(dt.datetime.now(dt.UTC).replace(tzinfo=None))


def record_checks(con: duckdb.DuckDBPyConnection, run_id: str, records: list[CheckRecord]) -> None:
    if not records:
        return
    frame = pd.DataFrame([asdict(r) for r in records])
    frame.insert(0, "run_id", run_id)
    frame.insert(1, "evaluated_at", _now())
    frame["message"] = frame["message"].astype("string")
    con.execute("create schema if not exists audit")
    con.register("_checks", frame)
    try:
        con.execute(f"create table if not exists {CHECK_TABLE} as select * from _checks limit 0")
        con.execute(f"insert into {CHECK_TABLE} by name select * from _checks")
    finally:
        con.unregister("_checks")


def latest_checks(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """For each asset, the checks of its latest evaluation (a check dropped since is not counted)."""
    if not table_exists(con, "audit", "check_results"):
        return pd.DataFrame(columns=["asset_key", "check_name", "passed", "blocking", "message", "failing_rows",
                                     "checked_rows", "evaluated_at", "run_id"])
    return con.execute(
        f"""
        with latest_run as (
            select asset_key, arg_max(run_id, evaluated_at) as run_id
            from {CHECK_TABLE}
            group by asset_key
        )
        select c.asset_key, c.check_name, c.passed, c.blocking, c.message, c.failing_rows, c.checked_rows,
               c.evaluated_at, c.run_id
        from {CHECK_TABLE} as c
        inner join latest_run using (asset_key, run_id)
        qualify row_number() over (partition by c.asset_key, c.check_name order by c.evaluated_at desc) = 1
        order by c.blocking desc, c.passed, c.asset_key, c.check_name
        """
    ).df()


def record_source_total(con: duckdb.DuckDBPyConnection, source: str, batch_id: str, as_of: dt.date,
                        open_amount: float, quarantined_open_amount: float, basis: str) -> None:
    """What the source itself says is open (its aged receivables report, or the file's own rows)."""
    con.execute("create schema if not exists audit")
    con.execute(
        """
        create table if not exists audit.source_totals (
            source varchar, batch_id varchar, as_of_date date, open_amount_reporting double,
            quarantined_open_amount_reporting double, basis varchar, recorded_at timestamp
        )
        """
    )
    con.execute("insert into audit.source_totals values (?, ?, ?, ?, ?, ?, ?)",
                [source, batch_id, as_of, open_amount, quarantined_open_amount, basis, _now().to_pydatetime()])


def _latest_row(con: duckdb.DuckDBPyConnection, table: str, order_by: str) -> dict | None:
    if not table_exists(con, "audit", table):
        return None
    cursor = con.execute(f"select * from audit.{table} order by {order_by} desc limit 1")
    row = cursor.fetchone()
    return dict(zip([d[0] for d in cursor.description], row)) if row else None


def latest_source_total(con: duckdb.DuckDBPyConnection) -> dict | None:
    return _latest_row(con, "source_totals", "recorded_at")


@dataclass
class Verdict:
    status: str  # passed | passed_with_quarantine | blocked
    blocking_failures: list[str]
    quarantined_rows: int

    def line(self) -> str:
        if self.status == "blocked":
            return f"Verdict: blocked by {', '.join(self.blocking_failures)}; nothing was published"
        if self.status == "passed_with_quarantine":
            return f"Verdict: passed with {self.quarantined_rows:,} quarantined rows (`archase exceptions` lists them)"
        return "Verdict: passed"


def verdict_from(checks: pd.DataFrame, quarantined_rows: int) -> Verdict:
    failing = checks[checks["blocking"] & ~checks["passed"]]
    names = [f"{r.asset_key}:{r.check_name}" for r in failing.itertuples()]
    if names:
        return Verdict("blocked", names, quarantined_rows)
    return Verdict("passed_with_quarantine" if quarantined_rows else "passed", [], quarantined_rows)


def record_verdict(con: duckdb.DuckDBPyConnection, run_id: str, verdict: Verdict) -> None:
    con.execute("create schema if not exists audit")
    con.execute("create table if not exists audit.run_verdicts (run_id varchar, decided_at timestamp, "
                "status varchar, blocking_failures varchar, quarantined_rows bigint)")
    con.execute("insert into audit.run_verdicts values (?, ?, ?, ?, ?)",
                [run_id, _now().to_pydatetime(), verdict.status, "; ".join(verdict.blocking_failures),
                 verdict.quarantined_rows])


def latest_verdict(con: duckdb.DuckDBPyConnection) -> dict | None:
    return _latest_row(con, "run_verdicts", "decided_at")
