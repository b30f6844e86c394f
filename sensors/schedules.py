"""The daily run: every asset, each morning, in the team's time zone."""

from __future__ import annotations

import dagster as dg

daily_job = dg.define_asset_job("archase_daily", selection=dg.AssetSelection.all(),
                                description="Ingest, dbt build, publish: the whole pipeline.")

daily_schedule = dg.ScheduleDefinition(
    name="archase_daily_schedule",
    job=daily_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
