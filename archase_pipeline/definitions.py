"""The one Dagster entry point: assets, checks, schedules and resources for one config.

`workspace.yaml` loads `defs` from here; the config is `$ARCHASE_CONFIG`, else `archase.yml`.
"""

from __future__ import annotations

import os

import dagster as dg
from archase_pipeline.config import resolve_config_path
from archase_pipeline.dbt_project import dbt_cli_resource
from archase_pipeline.resources import ArchaseSettings
from assets.dbt import archase_dbt_models
from assets.ingest import ingest_crm, ingest_ledger, ingest_mail
from assets.forecast import cash_forecast, forecast_backtest
from assets.publish import ageing_tab, forecast_tab, kpi_tab
from assets.quality import quality_gate
from sensors.schedules import daily_job, daily_schedule

ALL_ASSETS = [ingest_ledger, ingest_crm, ingest_mail, archase_dbt_models, quality_gate, cash_forecast,
              forecast_backtest, kpi_tab, ageing_tab, forecast_tab]


def build_definitions(config_path: str | os.PathLike | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=ALL_ASSETS,
        jobs=[daily_job],
        schedules=[daily_schedule],
        resources={
            "archase": ArchaseSettings(config_path=os.fspath(resolve_config_path(config_path))),
            "dbt": dbt_cli_resource(),
        },
        # DuckDB takes one writer process at a time: steps run one after another in one process.
        executor=dg.in_process_executor,
    )


defs = build_definitions()
