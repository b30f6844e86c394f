"""Read CSV and XLSX files as text tables inside DuckDB, keeping the line each row came from.

Sources read every cell as text so that parsing and its errors happen in one place
(`archase_pipeline.intake`), where a bad cell quarantines its row instead of failing
the whole file. A CSV is read by DuckDB's own reader, in parallel and without a Python
object per cell: a 10-million-row export never becomes a pandas frame.

Each table is a temporary view named by the caller, with the file's columns (names
stripped, values text, blank → NULL) plus `_row` (0-based, the row's identity in the
batch), `_source_file`, `_source_line` (1 = the header) and `_bad_bytes`.
"""

from __future__ import annotations

import codecs
import os
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

from archase_pipeline.sources.errors import SourceError
from archase_pipeline.warehouse import literal, quoted

_BLOCK = 64 * 2**20


def read_text_table(con: duckdb.DuckDBPyConnection, path: Path, name: str, *, fmt: str = "csv",
                    sheet: str | None = None, encoding: str = "utf-8", date_format: str = "%Y-%m-%d") -> str:
    """Create the text view `name` over the file at `path`; returns `name`."""
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path}: file not found; check the path in the config")
    if path.stat().st_size == 0:
        raise SourceError(f"{path}: the file is empty (no header row); export it again")
    if fmt == "xlsx":
        _load_xlsx(con, path, name, sheet, date_format)
    else:
        _load_csv(con, path, name, encoding)
    columns = table_columns(con, f"_file_{name}")
    stripped = ", ".join(f"nullif(trim({quoted(c)}), '') as {quoted(str(c).strip())}" for c in columns
                         if c != "_bad_bytes")
    bad = "_bad_bytes" if "_bad_bytes" in columns else "false"
    con.execute(
        f"create or replace temp view {name} as select {stripped}, rowid as _row, "
        f"{literal(str(path))} as _source_file, rowid + 2 as _source_line, {bad} as _bad_bytes from _file_{name}"
    )
    return name


def _load_csv(con: duckdb.DuckDBPyConnection, path: Path, name: str, encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise SourceError(f"{path}: unknown encoding '{encoding}'; use e.g. utf-8 or cp1252") from None
    bad_lines = _undecodable_lines(path, encoding)
    readable = path
    if bad_lines or codecs.lookup(encoding).name != "utf-8":
        # DuckDB reads UTF-8: transcode into a temporary copy, bad bytes as U+FFFD, so the rest still
        # reads; intake quarantines exactly the lines that held them (their content cannot be trusted).
        handle, copy = tempfile.mkstemp(suffix=".csv", prefix="archase_")
        os.close(handle)
        readable = Path(copy)
        readable.write_text(path.read_bytes().decode(encoding, errors="replace"), encoding="utf-8")
    # The whole file may be one line (a 10 MB cell): allow a line as long as the file.
    max_line = max(2_000_000, readable.stat().st_size + 1)
    try:
        con.execute(
            f"create or replace temp table _file_{name} as select * from read_csv(?, header = true, "
            "all_varchar = true, delim = ',', quote = '\"', escape = '\"', comment = '', null_padding = true, "
            f"max_line_size = {max_line}, buffer_size = {max(max_line * 2, 32 * 2**20)})",
            [str(readable)],
        )
    except duckdb.Error as exc:
        # DuckDB's message quotes the offending line, which may be huge or private: keep its first line.
        first = str(exc).strip().splitlines()[0][:300]
        raise SourceError(f"{path}: cannot be read as CSV ({first}); check the export") from None
    finally:
        if readable != path:
            readable.unlink(missing_ok=True)
    if bad_lines:
        con.execute(f"alter table _file_{name} add column _bad_bytes boolean default false")
        con.register("_bad_lines", pd.DataFrame({"line": sorted(bad_lines)}))
        try:
            con.execute(f"update _file_{name} set _bad_bytes = true where rowid + 2 in (select line from _bad_lines)")
        finally:
            con.unregister("_bad_lines")


def _undecodable_lines(path: Path, encoding: str) -> set[int]:
    """Line numbers holding bytes that are not in the encoding; the file is read in bounded blocks."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as stream:
            while block := stream.read(_BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        return set()
    except UnicodeDecodeError:
        bad = set()
        with path.open("rb") as stream:
            for number, line in enumerate(stream, start=1):
                try:
                    line.decode(encoding)
                except UnicodeDecodeError:
                    bad.add(number)
        return bad


def _load_xlsx(con: duckdb.DuckDBPyConnection, path: Path, name: str, sheet: str | None, date_format: str) -> None:
    try:
        frame = pd.read_excel(path, sheet_name=sheet or 0, engine="openpyxl")
    except ValueError as exc:
        raise SourceError(f"{path}: cannot be read as XLSX ({exc}); check the export") from None
    # Date cells arrive as timestamps: write them back in the configured format so that they
    # parse exactly like the text dates of a CSV export.
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].dt.strftime(date_format)
    frame = frame.astype("string").astype(object).where(frame.notna(), None)
    frame.columns = [str(c).strip() for c in frame.columns]
    register_frame(con, f"_file_{name}", frame)


def register_frame(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> str:
    """Copy a (small) pandas frame into the temp table `name`, in its row order."""
    con.register("_incoming_frame", frame)
    try:
        con.execute(f"create or replace temp table {name} as select * from _incoming_frame")
    finally:
        con.unregister("_incoming_frame")
    return name


def table_columns(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    return [row[0] for row in con.execute(f"describe {name}").fetchall()]


def row_count(con: duckdb.DuckDBPyConnection, name: str) -> int:
    return int(con.execute(f"select count(*) from {name}").fetchone()[0])


def require_columns(con: duckdb.DuckDBPyConnection, name: str, path: Path, mapping: dict[str, str]) -> None:
    """Fail the batch, naming every missing column, when a mapped column is not in the file."""
    present = table_columns(con, name)
    missing = [f"'{column}' (mapped as {field})" for field, column in mapping.items() if column not in present]
    if missing:
        found = ", ".join(c for c in present if not c.startswith("_"))
        raise SourceError(
            f"{path}: column {', '.join(missing)} is not in the file; the columns found are: {found}. "
            "Fix sources.ar.columns in the config or the export's header"
        )
