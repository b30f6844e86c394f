"""Dagster assets: ingest, dbt, publish. Thin: each calls into archase_pipeline."""
