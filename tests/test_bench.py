"""The benchmark harness on a small ledger: the pipeline and the hand-written floor agree."""

from __future__ import annotations

import json

from benchmarks.bench import run


def test_bench_pipeline_and_floor_compute_the_same(tmp_path):
    result = run(3000, work=tmp_path, say=lambda _text: None, results_dir=tmp_path / "results")
    comparison = result["comparison"]
    assert comparison["same_results"], comparison
    assert comparison["kpi_daily_days"] > 700 and comparison["aging_rows"] > 0
    stages = result["stages"]
    assert {"generate", "floor", "pipeline:archase_dbt_models", "pipeline:ingest_ledger"} <= set(stages)
    assert all(s["seconds"] >= 0 and s["peak_rss_mib"] > 0 for s in stages.values())
    assert result["next_day"]["new_invoices"] == 30 and result["next_day"]["pipeline_seconds"] > 0
    saved = json.loads((tmp_path / "results" / "bench_3000.json").read_text())
    assert saved["invoices"] == 3000 and saved["ratio_pipeline_to_floor"] > 0
