"""The one configuration file: where data comes from, where it goes, and the KPI settings.

A config is a YAML file found as `--config PATH`, else `$ARCHASE_CONFIG`, else
`archase.yml` in the working directory. It is validated with pydantic before anything
runs; a wrong config raises `ConfigError` naming the file, the key and the reason.
Relative paths in it are relative to the directory archase is run from (the repo root
in every example), so the same file works for the CLI, the tests and the Dagster UI.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DEFAULT_CONFIG_NAME = "archase.yml"
CONFIG_ENV_VAR = "ARCHASE_CONFIG"

# Connectors named in the design whose clients are not in this release yet. They are
# accepted by name so that a config that asks for them fails with a clear message
# instead of a schema error.
NOT_YET_AVAILABLE = {"xero", "quickbooks", "hubspot", "gmail", "google"}


class ConfigError(Exception):
    """A config that cannot be used; the message names the file, key and reason."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FileColumns(_Strict):
    """Which column of the export holds each field archase needs (names as in the file)."""

    invoice_id: str
    customer_id: str
    issue_date: str
    due_date: str
    amount: str
    invoice_number: str | None = None
    currency: str | None = None
    status: str | None = None
    disputed: str | None = None
    dispute_reason: str | None = None
    settled_date: str | None = None
    customer_name: str | None = None
    country: str | None = None


class DemoArSource(_Strict):
    kind: Literal["demo"] = "demo"


class FileArSource(_Strict):
    """A CSV or XLSX invoice export read through a column mapping.

    `settlement: settled_date` is the form in which a row's settlement is one full
    payment on the date in the `settled_date` column; a blank date means still open.
    """

    kind: Literal["file"]
    path: Path
    format: Literal["csv", "xlsx"] | None = None
    sheet: str | None = None
    date_format: str = "%Y-%m-%d"
    currency: str = Field(default="USD", description="Currency of every row when no currency column is mapped")
    settlement: Literal["settled_date", "none"] = "settled_date"
    true_values: list[str] = ["yes", "y", "true", "1"]
    columns: FileColumns

    @model_validator(mode="after")
    def _settled_date_needs_column(self) -> "FileArSource":
        if self.settlement == "settled_date" and not self.columns.settled_date:
            raise ValueError("settlement 'settled_date' needs columns.settled_date")
        return self

    @property
    def resolved_format(self) -> str:
        if self.format:
            return self.format
        return "xlsx" if self.path.suffix.lower() in {".xlsx", ".xlsm"} else "csv"


class PlannedSource(_Strict):
    """A vendor connector (Xero, QuickBooks, HubSpot, Gmail, Google Sheets)."""

    kind: Literal["xero", "quickbooks", "hubspot", "gmail", "google"]


class CrmSource(_Strict):
    kind: Literal["demo", "none"] = "demo"


class MailSource(_Strict):
    kind: Literal["maildir", "none"] = "maildir"
    path: Path | None = Field(default=None, description="Maildir folder; default: the demo company's inbox")


class SheetSink(_Strict):
    kind: Literal["xlsx"] = "xlsx"
    path: Path = Path("var/published/archase.xlsx")


ArSource = Annotated[DemoArSource | FileArSource | PlannedSource, Field(discriminator="kind")]


class Sources(_Strict):
    ar: ArSource = DemoArSource()
    crm: CrmSource | PlannedSource = CrmSource()
    mail: MailSource | PlannedSource = MailSource()
    sheet: SheetSink | PlannedSource = SheetSink()


class DemoSettings(_Strict):
    """The generated demo company: deterministic for a seed."""

    seed: int = 42
    customers: int = Field(default=1500, ge=5)
    invoices: int = Field(default=40_000, ge=20)
    months: int = Field(default=18, ge=2, le=60)
    directory: Path = Path("var/demo")
    end_date: dt.date | None = Field(default=None, description="Last day of the history; default the run date")


class KpiSettings(_Strict):
    """The settings of ../shared/kpi-spec.md, with its defaults."""

    aging_band_edges: list[int] = Field(default=[30, 60, 90], description="Upper edges in days past due")
    dso_window_days: int = Field(default=90, gt=0)
    promise_grace_days: int = Field(default=3, ge=0)
    promise_window_days: int = Field(default=30, gt=0)
    dispute_reasons: list[str] = ["pricing", "quantity", "quality", "duplicate", "not_received", "other"]

    @field_validator("aging_band_edges")
    @classmethod
    def _increasing(cls, edges: list[int]) -> list[int]:
        if not edges or any(e <= 0 for e in edges) or edges != sorted(set(edges)):
            raise ValueError("must be positive, strictly increasing day counts, e.g. [30, 60, 90]")
        return edges

    @property
    def aging_band_labels(self) -> list[str]:
        labels, low = ["current"], 1
        for edge in self.aging_band_edges:
            labels.append(f"{low}-{edge}")
            low = edge + 1
        labels.append(f"{self.aging_band_edges[-1]}+")
        return labels


class QualitySettings(_Strict):
    """The data-quality gate: what blocks publishing."""

    payment_data_max_age_hours: float | None = Field(
        default=24, gt=0, description="Block when the ledger's own last update is older; null turns the check off")
    max_quarantined_share: float = Field(
        default=0.05, ge=0, le=1, description="Block when more of a batch than this is quarantined")
    reconciliation_tolerance: float = Field(
        default=1.0, ge=0, description="Reporting-currency amount by which open AR may differ from the source's own total")


class ArchaseConfig(_Strict):
    warehouse: Path = Path("var/archase.duckdb")
    reporting_currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    fx_rates: dict[str, float] = Field(
        default_factory=dict,
        description="Units of reporting currency per unit of each currency, for rows whose source gives no rate",
    )
    as_of: dt.date | None = Field(default=None, description="The run date; default today (UTC)")
    mode: Literal["dry_run", "pilot", "live"] = "dry_run"
    sources: Sources = Sources()
    demo: DemoSettings = DemoSettings()
    kpi: KpiSettings = KpiSettings()
    quality: QualitySettings = QualitySettings()
    dbt_threads: int = Field(default=2, ge=1)
    duckdb_memory_limit: str = Field(
        default="4GB", pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="DuckDB's memory limit for archase and for dbt; beyond it DuckDB spills to disk")
    source_file: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _no_planned_connectors(self) -> "ArchaseConfig":
        for name in ("ar", "crm", "mail", "sheet"):
            source = getattr(self.sources, name)
            if source.kind in NOT_YET_AVAILABLE:
                raise ValueError(
                    f"sources.{name}.kind '{source.kind}': this connector is not in this release yet; "
                    "use the local default (ar: demo or file, crm: demo or none, mail: maildir, sheet: xlsx)"
                )
        return self

    @property
    def run_date(self) -> dt.date:
        return self.as_of or dt.datetime.now(dt.UTC).date()

    @property
    def reference_time(self) -> dt.datetime:
        """"Now" for freshness: the end of the run date when it is set, else the current time (UTC)."""
        if self.as_of is None:
            return dt.datetime.now(dt.UTC)
        return dt.datetime.combine(self.as_of, dt.time(23, 59, 59), tzinfo=dt.UTC)

    @property
    def maildir_path(self) -> Path:
        mail = self.sources.mail
        return mail.path or (self.demo.directory / "maildir")

    @property
    def workbook_path(self) -> Path:
        return self.sources.sheet.path

    def dbt_vars(self) -> dict:
        """The settings dbt models read through `var()`."""
        return {
            "as_of": self.run_date.isoformat(),
            "reporting_currency": self.reporting_currency,
            "aging_band_edges": self.kpi.aging_band_edges,
            "dso_window_days": self.kpi.dso_window_days,
            "promise_grace_days": self.kpi.promise_grace_days,
            "promise_window_days": self.kpi.promise_window_days,
            "dispute_reasons": self.kpi.dispute_reasons,
            "static_fx_rates": self.fx_rates,
        }


class _TextDatesLoader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so pydantic validates them and names the key."""


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def resolve_config_path(path: str | os.PathLike | None = None) -> Path:
    if path:
        return Path(path)
    if os.environ.get(CONFIG_ENV_VAR):
        return Path(os.environ[CONFIG_ENV_VAR])
    return Path(DEFAULT_CONFIG_NAME)


def _describe(error: dict) -> str:
    key = ".".join(str(part) for part in error["loc"] if not str(part).startswith("function-"))
    # Discriminated unions put the chosen kind in the path; drop it so the key reads as in YAML.
    key = key.replace(".demo.", ".").replace(".file.", ".").replace(".maildir.", ".")
    message = error["msg"].removeprefix("Value error, ")
    return f"{key or '(top level)'}: {message}"


def load_config(path: str | os.PathLike | None = None) -> ArchaseConfig:
    """Read and validate the config; a missing `archase.yml` means all defaults (the demo)."""
    config_path = resolve_config_path(path)
    if not config_path.exists():
        if path or os.environ.get(CONFIG_ENV_VAR):
            raise ConfigError(f"{config_path}: config file not found; pass --config PATH to an existing file")
        return ArchaseConfig()
    try:
        data = yaml.load(config_path.read_text(encoding="utf-8"), Loader=_TextDatesLoader) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{config_path}: not valid YAML ({exc}); fix the syntax and run again") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{config_path}: the top level must be a mapping of keys, not {type(data).__name__}")
    try:
        config = ArchaseConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(e) for e in exc.errors())
        raise ConfigError(f"{config_path}: invalid config: {problems}") from None
    config.source_file = config_path
    return config
