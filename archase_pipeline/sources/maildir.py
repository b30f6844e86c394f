"""The Maildir mailbox source: customer replies read from new/ and cur/, one row per message.

Each message is read with the standard library's email parser and classified by
`archase_pipeline.replies`; numeric dates are read in the order of the sender's
country, found through the ledger's customer emails.
"""

from __future__ import annotations

import datetime as dt
import email
import email.header
import email.utils
from pathlib import Path

import pandas as pd

from archase_pipeline.replies import read_reply
from archase_pipeline.sources.errors import SourceError

SOURCE_NAME = "maildir"
MONTH_FIRST_COUNTRIES = {"US", "CA"}  # where 3/7 means March 7; everyone else writes the day first

MESSAGE_COLUMNS = ["message_id", "from_address", "subject", "sent_at", "written_on", "intent", "promised_date",
                   "promised_amount", "dispute_reason", "paid_date", "body", "file_name"]


def _text_body(message: email.message.Message) -> str:
    """The first text/plain part, decoded by its own charset (bad bytes replaced, never fatal)."""
    for part in message.walk() if message.is_multipart() else [message]:
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True) or b""
            try:
                return payload.decode(part.get_content_charset() or "utf-8", errors="replace")
            except LookupError:
                return payload.decode("utf-8", errors="replace")
    return ""


def empty_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return _frames([], [])


def read_maildir(path: Path, country_by_email: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(messages, invoice references): one row per message, one per (message, invoice number)."""
    if not Path(path).is_dir():
        raise SourceError(f"{path}: no Maildir here (expected new/ and cur/ folders); check sources.mail.path")
    rows, refs = [], []
    files = sorted(p for sub in ("new", "cur") for p in (Path(path) / sub).glob("*") if p.is_file())
    for file in files:
        # compat32 parsing: the modern policy's header objects cost ~1 ms a message.
        message = email.message_from_bytes(file.read_bytes())
        sender = email.utils.parseaddr(str(message.get("From", "")))[1].lower()
        message_id = str(message.get("Message-ID", "")).strip() or f"<{file.name}@maildir>"
        try:
            sent = email.utils.parsedate_to_datetime(str(message["Date"]))
        except (TypeError, ValueError):
            sent = dt.datetime.fromtimestamp(file.stat().st_mtime, dt.UTC)
        # The day as the sender saw it: relative dates ("this Friday") are theirs.
        written_on = sent.date()
        subject = str(email.header.make_header(email.header.decode_header(message.get("Subject", ""))))
        body = _text_body(message)
        reading = read_reply(subject, body, written_on,
                             day_first=country_by_email.get(sender) not in MONTH_FIRST_COUNTRIES,
                             auto_submitted=str(message.get("Auto-Submitted", "no")).lower() != "no")
        rows.append({
            "message_id": message_id, "from_address": sender, "subject": subject,
            "sent_at": sent.astimezone(dt.UTC).replace(tzinfo=None), "written_on": written_on,
            "intent": reading.intent, "promised_date": reading.promised_date,
            "promised_amount": reading.promised_amount, "dispute_reason": reading.dispute_reason,
            "paid_date": reading.paid_date, "body": body[:20_000], "file_name": file.name,
            "_source_file": str(file),
        })
        refs.extend({"message_id": message_id, "invoice_number": number} for number in reading.invoice_numbers)
    return _frames(rows, refs)


def _frames(rows: list[dict], refs: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    messages = pd.DataFrame(rows, columns=[*MESSAGE_COLUMNS, "_source_file"])
    for column in ("written_on", "promised_date", "paid_date"):
        messages[column] = pd.to_datetime(messages[column]).dt.date
    messages["promised_amount"] = messages["promised_amount"].astype("float64")
    messages["sent_at"] = pd.to_datetime(messages["sent_at"])
    for column in ("message_id", "from_address", "subject", "intent", "dispute_reason", "body", "file_name"):
        messages[column] = messages[column].astype("string")
    return messages, pd.DataFrame(refs, columns=["message_id", "invoice_number"]).astype("string")
