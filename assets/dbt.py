"""The dbt models as Dagster assets: staging, intermediate and marts, built and tested together."""

import base64
import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from archase_pipeline import dbt_project
from archase_pipeline.audit import CheckRecord, record_checks
from archase_pipeline.reports import kpi_chart_png, markdown_preview
from archase_pipeline.resources import ArchaseSettings
from archase_pipeline.warehouse import connect

PREVIEW_COLUMNS = {
    "kpi_daily": ["kpi_date", "open_ar_amount", "over_60_share", "dso", "bpdso", "cei_mtd", "promise_kept_rate"],
    "fct_receivables_segmented": ["invoice_number", "customer_name", "aging_band", "outstanding_amount_reporting",
                                  "priority_score", "priority_reason"],
}

class ArchaseDbtTranslator(DagsterDbtTranslator):
    """Keys and groups from the dbt path: models/marts/kpi_daily.sql -> marts/kpi_daily in group marts."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([self._layer(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return self._layer(dbt_resource_props)

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project) -> dg.AssetCheckSpec | None:
        """dbt tests as checks that do not fail the dbt step: an error-severity failure blocks
        publishing through the quality gate instead, so the Exceptions tab still says why."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        return dg.AssetCheckSpec(name=spec.name, asset=spec.asset_key, description=spec.description,
                                 additional_deps=spec.additional_deps, metadata=spec.metadata, blocking=False)

    @staticmethod
    def _layer(props: Mapping[str, Any]) -> str:
        fqn = props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"

def _relation_metadata(con, schema: str, name: str) -> dict:
    frame = con.execute(f'select * from "{schema}"."{name}" limit 10').df()
    count = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
    columns = [c for c in PREVIEW_COLUMNS.get(name, list(frame.columns)[:8]) if c in frame.columns]
    return {"dagster/row_count": count, "preview": dg.MetadataValue.md(markdown_preview(frame[columns]))}

def _kpi_metadata(con, config) -> dict:
    kpis = con.execute("select * from marts.kpi_daily order by kpi_date").df()
    if kpis.empty:
        return {}
    latest = kpis.iloc[-1]
    band_columns = [c for c in kpis.columns if c.startswith("aging_") and c.endswith("_amount")]
    png = kpi_chart_png(kpis, band_columns)
    chart_path = config.workbook_path.parent / "kpi_daily.png"
    chart_path.parent.mkdir(parents=True, exist_ok=True)
    chart_path.write_bytes(png)

    def number(value):
        return dg.MetadataValue.float(float(value)) if value == value and value is not None else dg.MetadataValue.null()

    return {
        "as_of": str(latest["kpi_date"])[:10],
        "open_ar": number(latest["open_ar_amount"]),
        "dso": number(latest["dso"]),
        "over_60_share": number(latest["over_60_share"]),
        "promise_kept_rate": number(latest["promise_kept_rate"]),
        "chart": dg.MetadataValue.md(f"![DSO and ageing](data:image/png;base64,{base64.b64encode(png).decode()})"),
        "chart_file": dg.MetadataValue.path(os.fspath(chart_path)),
    }

@dbt_assets(
    manifest=dbt_project.ensure_manifest(),
    project=dbt_project.archase_dbt_project,
    dagster_dbt_translator=ArchaseDbtTranslator(),
)
def archase_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, archase: ArchaseSettings):
    """`dbt build` of every model and test, with the config's KPI settings as vars."""
    config = archase.load()
    os.environ.update(dbt_project.dbt_environment(config))
    # dbt holds the DuckDB file while it runs: collect its events, then read row counts and
    # figures once it has exited. A failing test does not raise here: the quality gate
    # reads it and stops publishing, while the models that could build stay built.
    invocation = dbt.cli(dbt_project.dbt_build_args(config), context=context, raise_on_error=False)
    events = list(invocation.stream())
    broken = dbt_project.failed_nodes(invocation)
    if broken:
        raise dg.Failure(description="dbt could not build: " + "; ".join(broken))
    checks = []
    with connect(config.warehouse, read_only=True, memory_limit=config.duckdb_memory_limit) as con:
        for event in events:
            if isinstance(event, dg.Output):
                key = context.asset_key_for_output(event.output_name)
                layer, name = key.path[0], key.path[-1]
                extra = _relation_metadata(con, layer, name)
                if name == "kpi_daily":
                    extra.update(_kpi_metadata(con, config))
                event = event.with_metadata({**event.metadata, **extra})
            elif isinstance(event, dg.AssetCheckResult):
                checks.append(_check_record(event))
            yield event
    with connect(config.warehouse, memory_limit=config.duckdb_memory_limit) as con:
        record_checks(con, context.run_id, checks)


def _check_record(result: dg.AssetCheckResult) -> CheckRecord:
    """A dbt test as the gate reads it: an error-severity failure blocks publishing."""
    failing = result.metadata.get("dagster_dbt/failed_row_count")
    count = int(failing.value) if failing is not None and failing.value is not None else 0
    return CheckRecord(
        asset_key=result.asset_key.to_user_string(),
        check_name=result.check_name,
        passed=bool(result.passed),
        blocking=result.severity == dg.AssetCheckSeverity.ERROR,
        message=f"dbt test {'passed' if result.passed else f'failed on {count:,} rows'}",
        failing_rows=count,
    )
