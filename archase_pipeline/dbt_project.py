"""The dbt project, resolved once, and the arguments archase runs it with."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from archase_pipeline.config import ArchaseConfig

PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"

archase_dbt_project = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)
# Under `dagster dev` this re-parses the project on load, so edits to models show at once.
archase_dbt_project.prepare_if_dev()


def dbt_executable() -> str:
    """The dbt installed beside this Python (the project's venv), even when the venv is not activated."""
    beside = Path(sys.executable).parent / "dbt"
    return os.fspath(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def dbt_cli_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=archase_dbt_project, dbt_executable=dbt_executable())


def ensure_manifest() -> Path:
    """The manifest Dagster reads the graph from; parsed here when it is missing or stale."""
    manifest = archase_dbt_project.manifest_path
    sources = [p for p in PROJECT_DIR.rglob("*") if p.suffix in {".sql", ".yml"} and "target" not in p.parts]
    newest = max((p.stat().st_mtime for p in sources), default=0)
    if not manifest.exists() or manifest.stat().st_mtime < newest:
        dbt_cli_resource().cli(["--quiet", "parse"], target_path=Path("target")).wait()
    return manifest


def dbt_build_args(config: ArchaseConfig) -> list[str]:
    """Always `dbt build` (models and data tests together), with the config's settings as vars.

    Unit tests check the models' logic on fixed inputs, not the day's data: they run in
    `make test` (tests/test_pipeline.py), not in every daily build, where they cost a second.
    """
    return ["build", "--vars", json.dumps(config.dbt_vars(), sort_keys=True), "--threads", str(config.dbt_threads),
            "--exclude-resource-type", "unit_test"]


def dbt_environment(config: ArchaseConfig) -> dict[str, str]:
    """What profiles.yml reads: the warehouse as an absolute path, since dbt runs in dbt_project/."""
    return {
        "ARCHASE_WAREHOUSE": os.fspath(config.warehouse.resolve()),
        "ARCHASE_DBT_THREADS": str(config.dbt_threads),
        "ARCHASE_DUCKDB_MEMORY": config.duckdb_memory_limit,
    }


def failed_nodes(invocation) -> list[str]:
    """Models, seeds and snapshots that errored (a failing test is not a build failure).

    Empty when dbt succeeded or only tests failed; when dbt died before writing its results
    (a compile error), the process's own error is returned.
    """
    if invocation.is_successful():
        return []
    try:
        results = invocation.get_artifact("run_results.json").get("results", [])
    except Exception:  # no artifact: dbt stopped before running anything
        return [str(invocation.get_error() or "dbt exited with an error")]
    errors = [f"{r['unique_id']}: {(r.get('message') or '').strip()[:300]}" for r in results
              if r["status"] == "error" and not r["unique_id"].startswith(("test.", "unit_test."))]
    if errors or any(r["status"] in ("fail", "error") for r in results):
        return errors
    return ["dbt exited with an error; see the step's logs"]
