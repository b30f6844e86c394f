"""Shared fixtures: the IBM export and a small demo company, each run once through the real pipeline."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from archase_pipeline.config import load_config
from archase_pipeline.demo.company import generate
from archase_pipeline.runner import run_pipeline

REPO = Path(__file__).resolve().parent.parent
IBM_CSV = REPO.parent / "shared" / "data" / "ibm-late-payment-histories.csv"
SMALL_DEMO_END = dt.date(2026, 6, 30)


def write_config(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def ibm_config_data(tmp: Path, csv_path: Path = IBM_CSV, as_of: str = "2014-12-31") -> dict:
    example = yaml.safe_load((REPO / "examples" / "ibm_late_payments.yml").read_text())
    example["warehouse"] = str(tmp / "ibm.duckdb")
    example["as_of"] = as_of
    example["sources"]["ar"]["path"] = str(csv_path)
    example["sources"]["sheet"]["path"] = str(tmp / "ibm.xlsx")
    return example


@pytest.fixture(scope="session")
def ibm_run(tmp_path_factory):
    """The IBM export through the whole pipeline (as of the end of 2014, after the last settlement)."""
    tmp = tmp_path_factory.mktemp("ibm")
    config = load_config(write_config(tmp / "ibm.yml", ibm_config_data(tmp)))
    outcome = run_pipeline(config, say=lambda _line: None)
    assert outcome.success, outcome.failures
    return config


def small_demo_config_data(tmp: Path) -> dict:
    return {
        "warehouse": str(tmp / "demo.duckdb"),
        "as_of": SMALL_DEMO_END.isoformat(),
        "demo": {"seed": 7, "customers": 60, "invoices": 1500, "months": 8, "directory": str(tmp / "demo"),
                 "end_date": SMALL_DEMO_END.isoformat()},
        "sources": {"sheet": {"kind": "xlsx", "path": str(tmp / "published" / "archase.xlsx")}},
    }


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory):
    """A small demo company, generated and run once."""
    tmp = tmp_path_factory.mktemp("demo")
    config = load_config(write_config(tmp / "archase.yml", small_demo_config_data(tmp)))
    settings = config.demo
    generate(settings.directory, seed=settings.seed, customers=settings.customers, invoices=settings.invoices,
             months=settings.months, end_date=settings.end_date)
    outcome = run_pipeline(config, say=lambda _line: None)
    assert outcome.success, outcome.failures
    return config
