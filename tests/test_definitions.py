"""The Dagster definitions load, with the assets and keys users find in the UI."""

from __future__ import annotations

import json

import dagster as dg

from archase_pipeline.config import ArchaseConfig
from archase_pipeline.dbt_project import dbt_build_args


def test_definitions_load_with_every_layer():
    from archase_pipeline.definitions import defs

    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    for key in ["raw/ar_invoices", "raw/quarantine", "raw/mail_messages", "staging/stg_ledger__invoices",
                "intermediate/int_invoice_balance_steps", "marts/kpi_daily", "marts/fct_receivables_segmented",
                "publish/kpi_tab", "publish/ageing_tab", "publish/forecast_tab", "quality/gate",
                "forecast/cash_forecast", "forecast/backtest"]:
        assert key in keys
    assert defs.resolve_schedule_def("archase_daily_schedule").cron_schedule == "0 6 * * *"


def test_dbt_sources_are_the_ingest_assets():
    from archase_pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    parents = {k.to_user_string() for k in graph.get(dg.AssetKey(["staging", "stg_ledger__invoices"])).parent_keys}
    assert parents == {"raw/ar_invoices"}


def test_dbt_build_args_always_build_with_the_config_as_vars():
    config = ArchaseConfig.model_validate({"as_of": "2025-03-31", "kpi": {"dso_window_days": 60}, "dbt_threads": 3})
    args = dbt_build_args(config)
    assert args[0] == "build" and "run" not in args and "test" not in args
    dbt_vars = json.loads(args[args.index("--vars") + 1])
    assert dbt_vars["as_of"] == "2025-03-31" and dbt_vars["dso_window_days"] == 60
    assert args[args.index("--threads") + 1] == "3"
