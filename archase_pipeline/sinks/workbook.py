"""The local stand-in for the Google Sheet: an .xlsx workbook with one tab per output.

Each publish replaces its own tab and leaves the others alone. Text that a spreadsheet
would run as a formula (=, +, -, @ at the start) is written as text, so a customer's
name or an email subject can never become a live formula in a collector's workbook.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    if value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def write_tab(path: Path, tab: str, frame: pd.DataFrame, note: str | None = None) -> None:
    """Replace one tab of the workbook (created if missing) with `frame`; atomic on disk."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        book = load_workbook(path)
    else:
        book = Workbook()
        book.remove(book.active)
    if tab in book.sheetnames:
        index = book.sheetnames.index(tab)
        book.remove(book[tab])
        sheet = book.create_sheet(tab, index)
    else:
        sheet = book.create_sheet(tab)
    row_offset = 0
    if note:
        sheet.append([note])
        sheet.cell(1, 1).font = Font(italic=True)
        row_offset = 1
    sheet.append(list(frame.columns))
    for cell in sheet[row_offset + 1]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False, name=None):
        sheet.append([safe_cell(v) for v in row])
    sheet.freeze_panes = sheet.cell(row_offset + 2, 1)
    for column_cells in sheet.iter_cols(min_row=row_offset + 1, max_row=min(sheet.max_row, row_offset + 50)):
        width = max((len(str(c.value)) for c in column_cells if c.value is not None), default=8)
        sheet.column_dimensions[column_cells[0].column_letter].width = min(max(width + 2, 10), 60)
    # Write beside and rename, so a crash never leaves a half-written workbook.
    handle, temp_name = tempfile.mkstemp(suffix=".xlsx", dir=path.parent)
    os.close(handle)
    book.save(temp_name)
    os.replace(temp_name, path)


def published_note(as_of: dt.date, mode: str) -> str:
    return f"archase · as of {as_of.isoformat()} · mode {mode} · written {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
