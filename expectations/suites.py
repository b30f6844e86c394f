"""The Great Expectations suites of the raw tables, kept as JSON files in `expectations/suites/`.

One suite per raw table; each expectation carries `meta.rule` (the check's name in Dagster
and in the quarantine) and `meta.reason` (what a person reads and what to do).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SUITES_DIR = Path(__file__).resolve().parent / "suites"


@dataclass(frozen=True)
class Rule:
    table: str
    name: str
    reason: str
    expectation_type: str
    kwargs: dict


@cache
def suite_document(table: str) -> dict:
    """The suite of `raw.<table>` as its JSON document."""
    path = SUITES_DIR / f"raw_{table}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def rules(table: str) -> list[Rule]:
    return [
        Rule(table, e["meta"]["rule"], e["meta"]["reason"], e["type"], e["kwargs"])
        for e in suite_document(table)["expectations"]
    ]


def tables_with_suites() -> list[str]:
    return sorted(p.stem.removeprefix("raw_") for p in SUITES_DIR.glob("raw_*.json"))
