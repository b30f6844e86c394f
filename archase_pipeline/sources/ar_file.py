"""The file AR source: a CSV or XLSX invoice export read through the config's column mapping.

In the `settled_date` form a row's settlement is one full payment of the row's amount on
that date; a blank settled date means the invoice is still open.
"""

from __future__ import annotations

import pandas as pd

from archase_pipeline.config import FileArSource
from archase_pipeline.sources.errors import SourceError
from archase_pipeline.sources.text_tables import read_text_table, require_columns

SOURCE_NAME = "file"


def read_file_ledger(source: FileArSource, encoding: str = "utf-8") -> dict[str, pd.DataFrame]:
    """The export as text tables in the canonical columns of `archase_pipeline.intake`."""
    frame = read_text_table(source.path, fmt=source.resolved_format, sheet=source.sheet, encoding=encoding,
                            date_format=source.date_format)
    mapping = {k: v for k, v in source.columns.model_dump().items() if v}
    require_columns(frame, source.path, mapping)
    if frame.empty:
        raise SourceError(f"{source.path}: the file has a header but no rows; export it again")

    def column(field: str) -> pd.Series:
        name = mapping.get(field)
        return frame[name].str.strip() if name else pd.Series(pd.NA, index=frame.index, dtype="string")

    meta = frame[[c for c in frame.columns if c.startswith("_")]]
    invoice_id = column("invoice_id")
    currency = column("currency").fillna(source.currency)
    disputed = column("disputed").str.lower().isin([v.lower() for v in source.true_values])
    reason = column("dispute_reason").where(disputed | column("dispute_reason").notna())
    invoices = pd.DataFrame({
        "invoice_id": invoice_id,
        "invoice_number": column("invoice_number").fillna(invoice_id),
        "customer_id": column("customer_id"),
        "issue_date": column("issue_date"),
        "due_date": column("due_date"),
        "amount": column("amount"),
        "currency": currency,
        "fx_rate": pd.Series(pd.NA, index=frame.index, dtype="string"),
        "status": column("status"),
        "dispute_reason": reason.mask(disputed & reason.isna(), "other"),
        "source_url": source.path.as_posix() + "#L" + frame["_source_line"].astype("string"),
        "source_updated_at": pd.Series(pd.NA, index=frame.index, dtype="string"),
    }).join(meta)

    customers = pd.DataFrame({
        "customer_id": column("customer_id"),
        "customer_name": column("customer_name").fillna(column("customer_id")),
        "country": column("country"),
    }).join(meta)
    # The export repeats the customer on every invoice: one row per customer, the first seen.
    customers = customers.dropna(subset=["customer_id"]).drop_duplicates("customer_id")

    settlements = pd.DataFrame(columns=["settlement_id", "invoice_id", "settlement_date", "amount", "_source_file",
                                        "_source_line"])
    if source.settlement == "settled_date":
        settled = column("settled_date")
        paid = settled.notna() & (settled != "")
        settlements = pd.DataFrame({
            "settlement_id": invoice_id[paid] + ":settled",
            "invoice_id": invoice_id[paid],
            "settlement_date": settled[paid],
            "amount": column("amount")[paid],
            "kind": "payment",
            "status": "active",
        }).join(meta)
    return {"customers": customers, "invoices": invoices, "settlements": settlements, "fx_rates": None}
