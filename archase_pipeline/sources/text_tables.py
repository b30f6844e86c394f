"""Read CSV and XLSX files as text, keeping the line each row came from.

Sources read every cell as text so that parsing and its errors happen in one place
(`archase_pipeline.intake`), where a bad cell quarantines its row instead of failing
the whole file.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from archase_pipeline.sources.errors import SourceError


def read_text_table(path: Path, *, fmt: str = "csv", sheet: str | None = None, encoding: str = "utf-8",
                    date_format: str = "%Y-%m-%d") -> pd.DataFrame:
    """All cells as strings (blank → NA), with `_source_file` and `_source_line` (1 = header)."""
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path}: file not found; check the path in the config")
    try:
        if fmt == "xlsx":
            frame = pd.read_excel(path, sheet_name=sheet or 0, engine="openpyxl")
            # Date cells arrive as timestamps: write them back in the configured format so that
            # they parse exactly like the text dates of a CSV export.
            for column in frame.columns:
                if pd.api.types.is_datetime64_any_dtype(frame[column]):
                    frame[column] = frame[column].dt.strftime(date_format)
            frame = frame.astype("string")
        else:
            text, bad_lines = _decode(path.read_bytes(), encoding)
            frame = pd.read_csv(io.StringIO(text), dtype="string", keep_default_na=False, na_values=[""],
                                skipinitialspace=True)
    except LookupError:
        raise SourceError(f"{path}: unknown encoding '{encoding}'; use e.g. utf-8 or cp1252") from None
    except pd.errors.EmptyDataError:
        raise SourceError(f"{path}: the file is empty (no header row); export it again") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise SourceError(f"{path}: cannot be read as {fmt.upper()} ({exc}); check the export") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame["_source_file"] = str(path)
    frame["_source_line"] = pd.array(range(2, len(frame) + 2), dtype="Int64")
    if fmt != "xlsx":
        frame["_bad_bytes"] = frame["_source_line"].isin(bad_lines)
    return frame


def _decode(raw: bytes, encoding: str) -> tuple[str, set[int]]:
    """The text, and the numbers of the lines holding bytes that are not in the encoding.

    Those bytes become U+FFFD so the rest of the file still reads; intake quarantines
    exactly those lines (their content cannot be trusted) and loads the others.
    """
    try:
        return raw.decode(encoding), set()
    except UnicodeDecodeError:
        bad = set()
        for number, line in enumerate(raw.split(b"\n"), start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError:
                bad.add(number)
        return raw.decode(encoding, errors="replace"), bad


def require_columns(frame: pd.DataFrame, path: Path, mapping: dict[str, str]) -> None:
    """Fail the batch, naming every missing column, when a mapped column is not in the file."""
    missing = [f"'{column}' (mapped as {field})" for field, column in mapping.items() if column not in frame.columns]
    if missing:
        found = ", ".join(c for c in frame.columns if not c.startswith("_"))
        raise SourceError(
            f"{path}: column {', '.join(missing)} is not in the file; the columns found are: {found}. "
            "Fix sources.ar.columns in the config or the export's header"
        )
