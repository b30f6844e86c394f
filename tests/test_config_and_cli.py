"""The config's clear errors, and the CLI commands a user runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archase_pipeline.cli import main
from archase_pipeline.config import ConfigError, load_config
from tests.conftest import ibm_config_data, write_config


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ("kpi:\n  dso_window_days: 0\n", "kpi.dso_window_days", "greater than 0"),
        ("reporting_currency: dollars\n", "reporting_currency", "should match pattern"),
        ("mode: yolo\n", "mode", "'dry_run', 'pilot' or 'live'"),
        ("warehous: x.duckdb\n", "warehous", "Extra inputs are not permitted"),
        ("sources:\n  ar: {kind: file, columns: {invoice_id: a}}\n", "sources.ar.path", "Field required"),
        ("sources:\n  ar: {kind: xero}\n", "sources.ar.kind 'xero'", "not in this release"),
        ("kpi:\n  aging_band_edges: [60, 30]\n", "kpi.aging_band_edges", "strictly increasing"),
        ("as_of: 2025-02-30\n", "as_of", "date"),
    ],
)
def test_a_wrong_config_names_the_file_the_key_and_the_reason(tmp_path, text, key, reason):
    path = tmp_path / "bad.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert str(path) in message and key in message and reason in message


def test_broken_yaml_and_missing_file_are_clear(tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text("kpi: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "absent.yml")


def test_cli_exits_2_with_the_config_error_before_anything_runs(tmp_path, capsys):
    path = tmp_path / "bad.yml"
    path.write_text("kpi:\n  promise_grace_days: -1\n")
    assert main(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "kpi.promise_grace_days" in err and str(path) in err and "Traceback" not in err


def test_kpis_json_has_the_documented_keys(ibm_run, capsys):
    assert main(["kpis", "--config", str(ibm_run.source_file), "--as-of", "2013-06-30", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert set(figures) >= {"as_of", "currency", "open_ar", "current_ar", "aging", "over_60_ar", "over_60_share",
                            "sales_window", "dso", "bpdso", "add", "dso_countback", "cei", "open_invoices",
                            "promise_kept_rate", "promise_kept_rate_amount", "dispute_rate"}
    assert list(figures["aging"]) == ["current", "1-30", "31-60", "61-90", "90+"]
    assert figures["as_of"] == "2013-06-30" and figures["promise_kept_rate"] is None


def test_kpis_for_a_day_outside_the_history_says_what_covers_it(ibm_run, capsys):
    assert main(["kpis", "--config", str(ibm_run.source_file), "--as-of", "2030-01-01"]) == 2
    assert "covers 2012-01-03 to 2014-12-31" in capsys.readouterr().err


def test_console_script_prints_readable_kpis(ibm_run):
    exe = Path(sys.executable).parent / "archase"
    result = subprocess.run([str(exe), "kpis", "--config", str(ibm_run.source_file), "--as-of", "2013-06-30"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "KPIs as of 2013-06-30" in result.stdout and "DSO" in result.stdout


def test_cli_run_prints_progress_and_a_summary(tmp_path, capsys):
    config = write_config(tmp_path / "ibm.yml", ibm_config_data(tmp_path, as_of="2013-06-30"))
    assert main(["run", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "✓ archase_dbt_models" in out and "marts/kpi_daily" in out
    assert "KPIs as of 2013-06-30" in out and str(tmp_path / "ibm.xlsx") in out


def test_demo_generates_without_running(tmp_path, capsys):
    config = write_config(tmp_path / "demo.yml", {"demo": {"directory": str(tmp_path / "demo")}})
    assert main(["demo", "--config", str(config), "--customers", "20", "--invoices", "300", "--no-run"]) == 0
    out = capsys.readouterr().out
    # 300 invoices asked for, plus the 7 deliberately bad invoice rows the demo always adds.
    assert "20 customers, 307 invoices" in out
    lines = (tmp_path / "demo" / "ledger" / "invoices.csv").read_text().splitlines()
    assert len(lines) == 1 + 307
    assert any((tmp_path / "demo" / "maildir" / "new").iterdir())
