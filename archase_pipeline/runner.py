"""Run the whole pipeline in process, as `archase run` and `archase demo` do, with progress.

The run goes to the Dagster instance of `$DAGSTER_HOME` when it is set (so `make ui`
shows CLI runs too), else to a temporary one. Progress lines come from the run's own
event log, read while the run goes on.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg
from dagster import DagsterEventType

from archase_pipeline.config import ArchaseConfig

PROGRESS_EVENTS = {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE,
                   DagsterEventType.ASSET_MATERIALIZATION}
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


@dataclass
class RunOutcome:
    success: bool
    run_id: str
    materialized: list[str]
    failures: list[str]
    seconds: float


def _describe(entry) -> str | None:
    event = entry.dagster_event
    if event is None:
        return None
    if event.event_type == DagsterEventType.STEP_START:
        return f"  … {event.step_key}"
    if event.event_type == DagsterEventType.STEP_SUCCESS:
        return f"  ✓ {event.step_key}"
    if event.event_type == DagsterEventType.STEP_FAILURE:
        error = event.step_failure_data.error
        message = "\n      ".join(error.message.strip().splitlines()[:25]) if error else "failed"
        return f"  ✗ {event.step_key}: {message}"
    if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
        materialization = event.step_materialization_data.materialization
        rows = materialization.metadata.get("dagster/row_count")
        suffix = f" ({rows.value:,} rows)" if rows is not None else ""
        return f"      {materialization.asset_key.to_user_string()}{suffix}"
    return None


def run_pipeline(config: ArchaseConfig, *, say: Callable[[str], None] = print,
                 selection: list[dg.AssetKey] | None = None) -> RunOutcome:
    """Materialize every asset (or `selection`) for this config, printing progress with `say`."""
    from archase_pipeline.definitions import build_definitions

    config_path = config.source_file
    defs = build_definitions(config_path)
    job = defs.resolve_implicit_global_asset_job_def()
    instance = dg.DagsterInstance.get() if _has_dagster_home() else dg.DagsterInstance.ephemeral()
    run_id = str(uuid.uuid4())
    started = time.monotonic()
    result: dict = {}

    def execute() -> None:
        try:
            result["value"] = job.execute_in_process(
                run_config=QUIET_LOGS, instance=instance, run_id=run_id, raise_on_error=False,
                asset_selection=selection,
            )
        except BaseException as exc:  # reported below, after the progress loop stops
            result["error"] = exc

    worker = threading.Thread(target=execute, name="archase-run")
    worker.start()
    seen = 0
    while True:
        alive = worker.is_alive()
        logs = instance.all_logs(run_id, of_type=PROGRESS_EVENTS)
        for entry in logs[seen:]:
            line = _describe(entry)
            if line:
                say(line)
        seen = len(logs)
        if not alive:
            break
        time.sleep(0.3)
    worker.join()
    if "error" in result:
        raise result["error"]
    outcome = result["value"]
    materialized = [
        e.asset_key.to_user_string() for e in outcome.get_asset_materialization_events()
    ]
    failures = [e.step_key for e in outcome.get_step_failure_events()]
    return RunOutcome(outcome.success, run_id, materialized, failures, time.monotonic() - started)


def _has_dagster_home() -> bool:
    return bool(os.environ.get("DAGSTER_HOME"))
