"""Validate one ingested batch with its Great Expectations suite, through GX's pandas data source.

GX's SQL path over DuckDB is broken upstream (GX issues 10738 and 11579), so each batch is
validated as the pandas frame it already is before it is loaded. Rows that break a row
rule come back by position, so that intake can quarantine exactly them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from functools import cache

import pandas as pd

from expectations.suites import Rule, rules, suite_document

# GX prints progress bars and usage-statistics notes; none of it belongs in a pipeline's log.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
logging.getLogger("great_expectations").setLevel(logging.ERROR)


@dataclass
class RuleOutcome:
    table: str
    rule: str
    reason: str
    checked_rows: int
    failing_positions: list[int] = field(default_factory=list)

    @property
    def failing_rows(self) -> int:
        return len(self.failing_positions)


@cache
def _validation(table: str):
    import great_expectations as gx

    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas(f"batch_{table}").add_dataframe_asset(table)
    batch = asset.add_batch_definition_whole_dataframe("whole batch")
    suite = context.suites.add(gx.ExpectationSuite(**suite_document(table)))
    return context.validation_definitions.add(gx.ValidationDefinition(name=f"raw_{table}", data=batch, suite=suite))


def _gx_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Plain dtypes GX handles everywhere: dates as timestamps, text as object with None."""
    out = frame.reset_index(drop=True).copy()
    for column in out.columns:
        series = out[column]
        if column.endswith("_date"):
            # Nanosecond timestamps: GX compares those column-wise, other date types one by one.
            out[column] = pd.to_datetime(series, errors="coerce").astype("datetime64[ns]")
        elif pd.api.types.is_string_dtype(series) or series.dtype == object:
            out[column] = series.astype(object).where(series.notna(), None)
        elif isinstance(series.dtype, pd.Int64Dtype):
            out[column] = series.astype("float64")
    return out


def validate_batch(table: str, frame: pd.DataFrame, parameters: dict | None = None) -> list[RuleOutcome]:
    """Run the suite of `raw.<table>` on `frame`; one outcome per rule, failing rows by position."""
    suite_rules: dict[str, Rule] = {r.name: r for r in rules(table)}
    if frame.empty:
        return [RuleOutcome(table, r.name, r.reason, 0) for r in suite_rules.values()]
    params = {k: (pd.Timestamp(v) if hasattr(v, "isoformat") and not isinstance(v, str) else v)
              for k, v in (parameters or {}).items()}
    result = _validation(table).run(
        batch_parameters={"dataframe": _gx_frame(frame)},
        expectation_parameters=params,
        result_format={"result_format": "COMPLETE", "partial_unexpected_count": 0},
    )
    outcomes = []
    for item in result.results:
        meta = item.expectation_config.meta or {}
        rule = suite_rules[meta["rule"]]
        if item.exception_info and item.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"expectation {rule.name} of expectations/suites/raw_{table}.json could not run: "
                f"{item.exception_info.get('exception_message')}"
            )
        positions = [int(i) for i in (item.result.get("unexpected_index_list") or [])]
        outcomes.append(RuleOutcome(table, rule.name, rule.reason, len(frame), positions))
    return outcomes
