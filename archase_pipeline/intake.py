"""Intake: turn a source's text rows into typed rows, quarantining the ones that break a rule.

Every source hands over its rows as a DuckDB view in the canonical columns (see
`CANONICAL`), each row with its identity `_row` and the file and line it came from.
Three gates, all set-wise in DuckDB (no Python loop per row, no pandas copy of a table):
1. types: bytes that are not UTF-8, dates not in the source's format, amounts that are
   not numbers; such a row cannot be typed, so it is quarantined here;
2. keys: a key seen on more than one row, a parent that is not loaded (`_key_unique`,
   `_customer_exists`, `_invoice_exists` flags, which the suites then expect true);
3. rules: the table's Great Expectations suite (`expectations/suites/`), run through GX's
   pandas data source on bounded chunks of `GX_CHUNK_ROWS` rows.
A row that fails any goes to the quarantine with the rule and a reason a person can act
on; every other row goes on. Nothing is dropped silently.

A suite's verdict on a row depends only on the row's content, its key flags, the suite
and its parameters; so a row that passed before with all of these the same is not sent
through GX again (`audit.validated_rows` keeps their hashes). That is what makes an
ordinary day, when 1% of the ledger changed, cost about 1% of the first load's checks.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from archase_pipeline.sources.text_tables import register_frame, row_count, table_columns
from archase_pipeline.warehouse import literal, quoted
from expectations.suites import suite_document
from expectations.validate import RuleOutcome, validate_batch

FUTURE_TOLERANCE_DAYS = 366
# Bounds the memory GX needs (a pandas frame of this many rows) whatever the ledger's size.
GX_CHUNK_ROWS = 250_000
QUARANTINE_COLUMNS = ["table_name", "source_file", "source_line", "record_key", "rule", "reason", "record"]
RECORD_VALUE_CHARS = 2000
VERDICTS = "audit.validated_rows"

CANONICAL = {
    "ar_customers": ["customer_id", "customer_name", "country", "timezone", "email"],
    "ar_invoices": ["invoice_id", "invoice_number", "customer_id", "issue_date", "due_date", "amount", "currency",
                    "fx_rate", "status", "dispute_reason", "source_url", "source_updated_at"],
    "ar_settlements": ["settlement_id", "invoice_id", "settlement_date", "amount", "kind", "status",
                       "source_updated_at"],
    "fx_rates": ["rate_date", "currency", "rate_to_reporting"],
}
KEYS = {
    "ar_customers": ["customer_id"],
    "ar_invoices": ["invoice_id"],
    "ar_settlements": ["settlement_id"],
    "fx_rates": ["currency", "rate_date"],
    "crm_companies": ["company_id"],
    "crm_owners": ["owner_id"],
    "mail_messages": ["message_id"],
}


@dataclass
class IntakeResult:
    """Per raw table, the view of its valid rows (until `discard_working_tables`); the quarantine;
    each rule's outcome; how many rows were read and how many the suite validated this time."""

    tables: dict[str, str]
    quarantine: pd.DataFrame
    outcomes: list[RuleOutcome] = field(default_factory=list)
    rows_read: dict[str, int] = field(default_factory=dict)
    rows_validated: dict[str, int] = field(default_factory=dict)


class Intake:
    """The rows of one load on their way in; failures by row identity in `_intake_failures`."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.outcomes: list[RuleOutcome] = []
        self.rows_read: dict[str, int] = {}
        self.rows_validated: dict[str, int] = {}
        self.views: dict[str, str] = {}
        con.execute("create or replace temp table _intake_failures "
                    "(table_name varchar, row_id bigint, rule varchar, reason varchar)")

    # -- gate 1: types -------------------------------------------------------------------------
    def type_rows(self, table: str, view: str, *, dates: dict[str, str] | None = None, numbers: tuple = (),
                  lower: dict[str, str | None] | None = None, upper: tuple = (),
                  parents: dict[str, tuple[str, str]] | None = None) -> str:
        """`_typed_<table>`: the view's rows typed, with key flags and a content hash; failures recorded.

        One pass over the rows: dates, numbers and codes typed (a date or number that did not
        type keeps its text as `_text_<column>`, for the reason and the quarantine); `_key_unique`; for each
        (flag → (column, parent's valid rows)) whether the parent is loaded; `_content_hash`
        of everything the suite sees. After it the view's text is not needed any more.
        """
        dates, lower = dates or {}, lower or {}
        self.views[table] = view
        typed = {}
        for column in table_columns(self.con, view):
            c = f"t.{quoted(column)}"
            if column in dates:
                typed[column] = f"cast(try_strptime({c}, {literal(dates[column])}) as date)"
            elif column in numbers:
                typed[column] = f"try_cast(replace({c}, ',', '') as double)"
            elif column in lower:
                default = "null" if lower[column] is None else literal(lower[column])
                typed[column] = f"coalesce(lower({c}), {default})"
            elif column in upper:
                typed[column] = f"upper({c})"
            else:
                typed[column] = c
        selected = [f"{sql} as {quoted(column)}" for column, sql in typed.items()]
        # The text is kept only where it did not type: for the reason and the quarantine, without a
        # second copy of every date and amount (at 10M rows that copy made DuckDB spill).
        selected += [f"case when {typed[column]} is null then t.{quoted(column)} end as {quoted('_text_' + column)}"
                     for column in (*dates, *numbers) if column in typed]
        flags = self._key_flags(table, typed, parents or {})
        checked = [quoted(c) for c in typed if not c.startswith("_")] + [name for _, name in flags]
        self.con.execute(
            f"create or replace temp table _typed_{table} as select *, hash({', '.join(checked)}) as _content_hash "
            f"from (select {', '.join(selected)}, {', '.join(f'{sql} as {name}' for sql, name in flags)} "
            f"from {view} t {self._key_joins(table, typed, view, parents or {})})")
        self.rows_read[table] = row_count(self.con, f"_typed_{table}")
        self.fail_where(table, "_bad_bytes", "text_is_utf8",
                        literal("the line has bytes that are not UTF-8; save the export as UTF-8 and reload"))
        for column, date_format in dates.items():
            self.fail_where(table, f"_text_{column} is not null and {column} is null", f"{column}_is_date",
                            f"'{column} ''' || left(_text_{column}, 40) || ''' is not a date in the format "
                            f"{date_format.replace(chr(39), chr(39) * 2)}'")
        for column in numbers:
            self.fail_where(table, f"_text_{column} is not null and {column} is null", f"{column}_is_number",
                            f"'{column} ''' || left(_text_{column}, 40) || ''' is not a number'")
        return f"_typed_{table}"

    def fail_where(self, table: str, condition: str, rule: str, reason_sql: str) -> None:
        """Record the typed rows meeting `condition` as failing `rule`, with a reason per row."""
        failing = self.con.execute(
            f"insert into _intake_failures select {literal(table)}, _row, {literal(rule)}, {reason_sql} "
            f"from _typed_{table} where {condition} returning row_id, reason"
        ).fetchall()
        # One pass: the first failing row's reason is the rule's summary.
        self.outcomes.append(RuleOutcome(table, rule, failing[0][1] if failing else rule, self.rows_read[table],
                                         [row_id for row_id, _ in failing]))

    # -- gate 2: keys --------------------------------------------------------------------------
    @staticmethod
    def _key_flags(table: str, typed: dict[str, str], parents: dict[str, tuple[str, str]]) -> list[tuple[str, str]]:
        """(SQL, name) of `_key_unique` and of each parent flag."""
        nulls = " or ".join(f"{typed[k]} is null" for k in KEYS[table])
        flags = [(f"({nulls}) or _dup._k0 is null", "_key_unique")]
        for index, (flag, (column, _)) in enumerate(parents.items()):
            flags.append((f"{typed[column]} is null or p{index}._k is not null", flag))
        return flags

    @staticmethod
    def _key_joins(table: str, typed: dict[str, str], view: str, parents: dict[str, tuple[str, str]]) -> str:
        """The keys seen on more than one row (a hash aggregate, then a join with those few), and the parents."""
        keys = [typed[k] for k in KEYS[table]]
        grouped = ", ".join(f"{sql} as _k{i}" for i, sql in enumerate(keys))
        joins = [f"left join (select {grouped} from {view} t group by all having count(*) > 1) _dup on "
                 + " and ".join(f"_dup._k{i} = {sql}" for i, sql in enumerate(keys))]
        for index, (column, parent) in enumerate(parents.values()):
            joins.append(f"left join (select distinct {quoted(column)} as _k from {parent}) p{index} "
                         f"on p{index}._k = {typed[column]}")
        return " ".join(joins)

    # -- gate 3: the suite, on bounded chunks --------------------------------------------------
    def apply_suite(self, table: str, parameters: dict | None = None, widening_date: str | None = None) -> None:
        """Validate with GX the typed rows no earlier load vouches for; record each rule's failures.

        `widening_date` names a parameter that is a latest allowed date: a row that passed under
        an earlier bound passes under any later one (the run date moves on), not an earlier one
        (a backfill), so it is revalidated then.
        """
        parameters = dict(parameters or {})
        bound = parameters.get(widening_date) if widening_date else None
        exact = {k: (sorted(v) if isinstance(v, (set, list)) else v) for k, v in parameters.items() if k != widening_date}
        # The suite and its exact parameters: a verdict given under others does not carry over.
        suite_key = json.dumps([suite_document(table), exact], sort_keys=True, default=str)
        columns = [c for c in table_columns(self.con, f"_typed_{table}")
                   if not c.startswith(("_text_", "_source_", "_row", "_bad_bytes", "_content_hash"))]
        self._ensure_verdicts()
        self.con.execute(
            f"create or replace temp table _to_validate as select t._row from _typed_{table} t "
            f"where not exists (select 1 from _intake_failures f where f.table_name = ? and f.row_id = t._row) "
            f"and not exists (select 1 from {VERDICTS} v where v.table_name = ? and v.content_hash = t._content_hash "
            f"and v.suite_hash = hash(?) and (v.latest_allowed_date is null or v.latest_allowed_date <= ?))",
            [table, table, suite_key, bound])
        self.rows_validated[table] = row_count(self.con, "_to_validate")

        failing: dict[str, list[int]] = {}
        reasons: dict[str, str] = {}
        result = self.con.execute(
            f"select {', '.join('t.' + quoted(c) for c in columns)}, t._row from _typed_{table} t "
            f"semi join _to_validate v on v._row = t._row")
        while len(chunk := result.fetch_df_chunk(max(1, GX_CHUNK_ROWS // 2048))):
            ids = chunk.pop("_row").to_numpy()
            for outcome in validate_batch(table, chunk, parameters):
                failing.setdefault(outcome.rule, []).extend(int(ids[p]) for p in outcome.failing_positions)
                reasons[outcome.rule] = outcome.reason
        if not reasons:
            reasons = {o.rule: o.reason for o in validate_batch(table, pd.DataFrame(), parameters)}
        for rule, reason in reasons.items():
            self.outcomes.append(RuleOutcome(table, rule, reason, self.rows_read[table], failing.get(rule, [])))
        failures = pd.DataFrame([(table, row, rule, reasons[rule]) for rule, rows in failing.items() for row in rows],
                                columns=["table_name", "row_id", "rule", "reason"])
        if len(failures):
            register_frame(self.con, "_new_failures", failures)
            self.con.execute("insert into _intake_failures select * from _new_failures")
        # Remember what passed now, under the current bound, for the next load; forget verdicts
        # on rows the source no longer holds or given under another suite (the table stays the
        # size of the source). A verdict carried over keeps its own, earlier, bound.
        self.con.execute(
            f"delete from {VERDICTS} v where v.table_name = ? and (v.suite_hash <> hash(?) or not exists "
            f"(select 1 from _typed_{table} t where t._content_hash = v.content_hash))", [table, suite_key])
        self.con.execute(
            f"insert into {VERDICTS} select distinct ?, t._content_hash, hash(?), cast(? as date) "
            f"from _typed_{table} t semi join _to_validate v on v._row = t._row "
            f"where not exists (select 1 from _intake_failures f where f.table_name = ? and f.row_id = t._row)",
            [table, suite_key, bound, table])

    def _ensure_verdicts(self) -> None:
        self.con.execute("create schema if not exists audit")
        self.con.execute(f"create table if not exists {VERDICTS} "
                         "(table_name varchar, content_hash ubigint, suite_hash ubigint, latest_allowed_date date)")

    # -- results -------------------------------------------------------------------------------
    def valid(self, table: str, columns: list[str], with_source: bool = True) -> str:
        """`_valid_<table>`: the rows that failed nothing, in `columns` (plus their file and line)."""
        selected = ", ".join(quoted(c) for c in columns)
        if with_source:
            selected += ", _source_file as source_file, _source_line as source_line"
        self.con.execute(
            f"create or replace temp view _valid_{table} as select {selected} from _typed_{table} t "
            f"where not exists (select 1 from _intake_failures f where f.table_name = {literal(table)} "
            f"and f.row_id = t._row)")
        return f"_valid_{table}"

    def quarantine(self) -> pd.DataFrame:
        """Each failure with its row as the source wrote it (long values cut), file and line."""
        parts = []
        for table in self.views:
            columns = [c for c in table_columns(self.con, self.views[table]) if not c.startswith("_")]
            present = set(table_columns(self.con, f"_typed_{table}"))
            # The source's own text where a value did not type, so the record shows what to fix.
            text = {c: f"coalesce(t.{quoted('_text_' + c)}, cast(t.{quoted(c)} as varchar))"
                    if f"_text_{c}" in present else f"t.{quoted(c)}" for c in columns}
            cut = ", ".join(f"{quoted(c)} := case when length(cast({t} as varchar)) > {RECORD_VALUE_CHARS} "
                            f"then left(cast({t} as varchar), {RECORD_VALUE_CHARS}) || '…' "
                            f"else cast({t} as varchar) end" for c, t in text.items())
            frame = self.con.execute(
                f"select f.table_name, t._source_file as source_file, t._source_line as source_line, "
                f"left(cast({text[KEYS[table][0]]} as varchar), 200) as record_key, f.rule, f.reason, "
                f"struct_pack({cut}) as _record "
                f"from _intake_failures f join _typed_{table} t on t._row = f.row_id where f.table_name = ? "
                f"order by t._row, f.rule", [table]).df()
            if len(frame):
                frame["record"] = [json.dumps({k: v for k, v in r.items() if v is not None}, ensure_ascii=False,
                                              default=str) for r in frame.pop("_record")]
                parts.append(frame)
        if not parts:
            return pd.DataFrame(columns=QUARANTINE_COLUMNS)
        quarantine = pd.concat(parts, ignore_index=True)[QUARANTINE_COLUMNS]
        quarantine["source_line"] = quarantine["source_line"].astype("Int64")
        return quarantine

    def result(self, tables: dict[str, str]) -> IntakeResult:
        return IntakeResult(tables=tables, quarantine=self.quarantine(), outcomes=self.outcomes,
                            rows_read=self.rows_read, rows_validated=self.rows_validated)


def source_open_totals(con: duckdb.DuckDBPyConnection, as_of: dt.date, rates: dict[str, float],
                       reporting_currency: str) -> tuple[float, float]:
    """(open total, of which on quarantined rows) at `as_of` in reporting currency, over every row read.

    The source's own view, valid rows or not, computed from intake's typed working tables
    apart from the marts so that the two can be reconciled: an amount that did not type
    counts as nothing, a missing rate as the config's static one.
    """
    register_frame(con, "_static_rates", pd.DataFrame({"currency": list(rates), "rate": list(rates.values())}))
    total, quarantined = con.execute("""
        with paid as (
            select invoice_id, sum(amount) as settled
            from _typed_ar_settlements
            where settlement_date <= ? and status = 'active'
            group by invoice_id
        ),
        rows as (
            select i._row, i.amount, i.issue_date, i.status,
                   (i.amount - coalesce(p.settled, 0)) * coalesce(i.fx_rate, r.rate) as outstanding
            from _typed_ar_invoices i
            left join paid p on p.invoice_id = i.invoice_id
            left join _static_rates r on r.currency = coalesce(i.currency, ?)
        )
        select coalesce(sum(outstanding), 0),
               coalesce(sum(outstanding) filter (where _row in (
                   select row_id from _intake_failures where table_name = 'ar_invoices')), 0)
        from rows
        where issue_date <= ? and status not in ('voided', 'deleted', 'draft') and amount > 0 and outstanding > 0.005
    """, [as_of, reporting_currency, as_of]).fetchone()
    con.execute("drop table _static_rates")
    return float(total), float(quarantined)


def latest_source_update(con: duckdb.DuckDBPyConnection) -> dt.datetime | None:
    """The latest `source_updated_at` of the invoices and settlements read (UTC), if the source gives one."""
    latest = con.execute(
        "select timezone('UTC', max(try_cast(source_updated_at as timestamptz))) from ("
        "select source_updated_at from _typed_ar_invoices union all "
        "select source_updated_at from _typed_ar_settlements)").fetchone()[0]
    return None if latest is None else latest.replace(tzinfo=dt.UTC)


def drop_source_text(con: duckdb.DuckDBPyConnection) -> None:
    """Free the text of the files read once every table is typed (a 10M-row export is gigabytes)."""
    _drop_temporary(con, ("_file_",))


def discard_working_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the text tables and intake's working tables, once the valid rows are merged into `raw`."""
    _drop_temporary(con, ("_valid_", "_typed_", "_to_validate", "_intake_failures", "_new_failures", "_frame_",
                          "_file_", "_text_", "_demo_", "_export", "_crm_"))


def _drop_temporary(con: duckdb.DuckDBPyConnection, prefixes: tuple[str, ...]) -> None:
    for kind in ("view", "table"):
        names = con.execute(f"select {kind}_name from duckdb_{kind}s() where temporary").fetchall()
        for (name,) in names:
            if name.startswith(prefixes):
                con.execute(f"drop {kind} if exists {quoted(name)}")


def check_table(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame,
                parameters: dict | None = None) -> IntakeResult:
    """A batch that needs no typing (the CRM, the mailbox): its key flags and its suite.

    The valid rows are a view over working tables: merge them, then `discard_working_tables`.
    """
    frame = frame.reset_index(drop=True)
    meta = {"_row": range(len(frame))}
    if "_bad_bytes" not in frame.columns:
        meta["_bad_bytes"] = False
    for column in ("_source_file", "_source_line"):
        if column not in frame.columns:
            meta[column] = pd.Series(None, index=frame.index, dtype="object" if column == "_source_file" else "Int64")
    register_frame(con, f"_frame_{table}", frame.assign(**meta))
    intake = Intake(con)
    intake.type_rows(table, f"_frame_{table}")
    intake.apply_suite(table, parameters)
    columns = [c for c in frame.columns if not c.startswith("_")]
    return intake.result({table: intake.valid(table, columns, with_source=False)})


def prepare_ledger(
    con: duckdb.DuckDBPyConnection,
    views: dict[str, str | None],
    *,
    date_format: str,
    run_date: dt.date,
    reporting_currency: str,
    known_rates: set[str],
) -> IntakeResult:
    """Type and check customers, FX rates, invoices and settlements of one AR batch.

    The valid rows are views over working tables: merge them, then `discard_working_tables`.
    """
    latest_allowed = run_date + dt.timedelta(days=FUTURE_TOLERANCE_DAYS)
    intake = Intake(con)
    tables = {}

    intake.type_rows("ar_customers", views["customers"])
    intake.apply_suite("ar_customers")
    tables["ar_customers"] = intake.valid("ar_customers", CANONICAL["ar_customers"])

    rate_currencies: set[str] = set()
    if views.get("fx_rates"):
        intake.type_rows("fx_rates", views["fx_rates"], dates={"rate_date": "%Y-%m-%d"},
                         numbers=("rate_to_reporting",), upper=("currency",))
        intake.apply_suite("fx_rates")
        tables["fx_rates"] = intake.valid("fx_rates", CANONICAL["fx_rates"], with_source=False)
        rate_currencies = {r[0] for r in con.execute("select distinct currency from _valid_fx_rates").fetchall()}
    else:
        con.execute("create or replace temp table _valid_fx_rates "
                    "(rate_date date, currency varchar, rate_to_reporting double)")
        tables["fx_rates"] = "_valid_fx_rates"

    intake.type_rows("ar_invoices", views["invoices"], dates={"issue_date": date_format, "due_date": date_format},
                     numbers=("amount", "fx_rate"), lower={"status": "authorised"}, upper=("currency",),
                     parents={"_customer_exists": ("customer_id", "_valid_ar_customers")})
    # A row that carries its own rate needs no rate table for its currency.
    own_rates = {r[0] for r in con.execute(
        "select distinct currency from _typed_ar_invoices where fx_rate is not null and currency is not null"
    ).fetchall()}
    intake.apply_suite("ar_invoices", {
        "currencies_with_rates": sorted(set(known_rates) | rate_currencies | own_rates | {reporting_currency}),
        "latest_allowed_date": latest_allowed,
    }, widening_date="latest_allowed_date")
    tables["ar_invoices"] = intake.valid("ar_invoices", CANONICAL["ar_invoices"])

    intake.type_rows("ar_settlements", views["settlements"], dates={"settlement_date": date_format},
                     numbers=("amount",), lower={"kind": "payment", "status": "active"},
                     parents={"_invoice_exists": ("invoice_id", "_valid_ar_invoices")})
    intake.apply_suite("ar_settlements", {"latest_allowed_date": latest_allowed},
                       widening_date="latest_allowed_date")
    tables["ar_settlements"] = intake.valid("ar_settlements", CANONICAL["ar_settlements"])

    # Say why a payment of a held-back invoice is held back too: the invoice, not the payment, needs fixing.
    con.execute("""
        update _intake_failures f
        set reason = 'its invoice is quarantined (see that row); fix the invoice and both load'
        from _typed_ar_settlements s
        where f.table_name = 'ar_settlements' and f.rule = 'invoice_known' and s._row = f.row_id
          and s.invoice_id in (select invoice_id from _typed_ar_invoices where invoice_id is not null)
    """)
    return intake.result(tables)
