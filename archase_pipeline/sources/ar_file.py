"""The file AR source: a CSV or XLSX invoice export read through the config's column mapping.

In the `settled_date` form a row's settlement is one full payment of the row's amount on
that date; a blank settled date means the invoice is still open.
"""

from __future__ import annotations

import duckdb

from archase_pipeline.config import FileArSource
from archase_pipeline.sources.errors import SourceError
from archase_pipeline.sources.text_tables import read_text_table, require_columns, row_count
from archase_pipeline.warehouse import literal, quoted

SOURCE_NAME = "file"
_META = "_row, _source_file, _source_line, _bad_bytes"


def read_file_ledger(con: duckdb.DuckDBPyConnection, source: FileArSource, encoding: str = "utf-8") -> dict[str, str]:
    """The export as text views in the canonical columns of `archase_pipeline.intake`."""
    read_text_table(con, source.path, "_export", fmt=source.resolved_format, sheet=source.sheet, encoding=encoding,
                    date_format=source.date_format)
    mapping = {k: v for k, v in source.columns.model_dump().items() if v}
    require_columns(con, "_export", source.path, mapping)
    if row_count(con, "_export") == 0:
        raise SourceError(f"{source.path}: the file has a header but no rows; export it again")

    def column(field: str) -> str:
        return quoted(mapping[field]) if field in mapping else "cast(null as varchar)"

    true_values = ", ".join(literal(v.lower()) for v in source.true_values) or "''"
    disputed = f"coalesce(lower({column('disputed')}) in ({true_values}), false)"
    url = literal(source.path.as_posix() + "#L")
    con.execute(f"""
        create or replace temp view _text_invoices as
        select {column('invoice_id')} as invoice_id,
               coalesce({column('invoice_number')}, {column('invoice_id')}) as invoice_number,
               {column('customer_id')} as customer_id, {column('issue_date')} as issue_date,
               {column('due_date')} as due_date, {column('amount')} as amount,
               coalesce({column('currency')}, {literal(source.currency)}) as currency,
               cast(null as varchar) as fx_rate, {column('status')} as status,
               case when {disputed} then coalesce({column('dispute_reason')}, 'other')
                    else {column('dispute_reason')} end as dispute_reason,
               {url} || _source_line as source_url, cast(null as varchar) as source_updated_at, {_META}
        from _export;
        -- The export repeats the customer on every invoice: one row per customer, the first seen.
        create or replace temp view _text_customers as
        select distinct on (customer_id) customer_id, coalesce({column('customer_name')}, customer_id) as customer_name,
               {column('country')} as country, cast(null as varchar) as timezone, cast(null as varchar) as email,
               {_META}
        from (select *, {column('customer_id')} as customer_id from _export)
        where customer_id is not null
        order by customer_id, _row;
    """)
    settled = column("settled_date") if source.settlement == "settled_date" else "cast(null as varchar)"
    con.execute(f"""
        create or replace temp view _text_settlements as
        select {column('invoice_id')} || ':settled' as settlement_id, {column('invoice_id')} as invoice_id,
               {settled} as settlement_date, {column('amount')} as amount, 'payment' as kind, 'active' as status,
               cast(null as varchar) as source_updated_at, {_META}
        from _export
        where {settled} is not null
    """)
    return {"customers": "_text_customers", "invoices": "_text_invoices", "settlements": "_text_settlements",
            "fx_rates": None}
