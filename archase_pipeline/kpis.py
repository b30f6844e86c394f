"""Read the KPI snapshot of one day from `marts.kpi_daily`, in the shape `archase kpis` prints."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from archase_pipeline.config import ArchaseConfig
from archase_pipeline.warehouse import connect, table_exists


class KpiUnavailable(Exception):
    """No KPIs for that day; the message says what to run."""


def _number(value):
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else round(value, 6)


def kpis_as_of(config: ArchaseConfig, as_of: dt.date) -> dict:
    """Every kpi-spec figure for `as_of`; null where the spec says null (a zero denominator)."""
    warehouse = Path(config.warehouse)
    if not warehouse.exists():
        raise KpiUnavailable(f"{warehouse}: no warehouse yet; run `archase run --config {config.source_file or 'archase.yml'}` first")
    with connect(warehouse, read_only=True) as con:
        if not table_exists(con, "marts", "kpi_daily"):
            raise KpiUnavailable(f"{warehouse}: marts.kpi_daily is missing; run `archase run` first")
        cursor = con.execute("select * from marts.kpi_daily where kpi_date = ?", [as_of])
        columns = [d[0] for d in cursor.description]
        row = cursor.fetchone()
        snapshot = None
        if row is not None and table_exists(con, "forecast", "forecast_snapshots"):
            snapshot = con.execute(
                "select expected_4w, p10_4w, p90_4w, actual_4w, abs_pct_error_4w from forecast.forecast_snapshots "
                "where as_of = ?", [as_of]).fetchone()
        if row is None:
            first, last = con.execute("select min(kpi_date), max(kpi_date) from marts.kpi_daily").fetchone()
            raise KpiUnavailable(
                f"no KPIs for {as_of}: marts.kpi_daily covers {first} to {last}; "
                "for a later day set `as_of` in the config (or leave it empty for today) and run `archase run`"
            )
    record = dict(zip(columns, row))
    labels = config.kpi.aging_band_labels
    band_columns = {label: "aging_" + label.replace("-", "_").replace("+", "_plus") + "_amount" for label in labels}
    return {
        "as_of": as_of.isoformat(),
        "currency": record["currency"],
        "open_ar": _number(record["open_ar_amount"]),
        "current_ar": _number(record["current_ar_amount"]),
        "aging": {label: _number(record[column]) for label, column in band_columns.items()},
        "over_60_ar": _number(record["over_60_ar_amount"]),
        "over_60_share": _number(record["over_60_share"]),
        "sales_window": _number(record["sales_window_amount"]),
        "dso": _number(record["dso"]),
        "bpdso": _number(record["bpdso"]),
        "add": _number(record["add_days"]),
        "dso_countback": _number(record["dso_countback"]),
        "dso_countback_is_lower_bound": bool(record["is_dso_countback_lower_bound"]),
        "cei": _number(record["cei_mtd"]),
        "open_invoices": int(record["open_invoices"]),
        "promise_kept_rate": _number(record["promise_kept_rate"]),
        "promise_kept_rate_amount": _number(record["promise_kept_rate_amount"]),
        "dispute_rate": _number(record["dispute_rate_mtd"]),
        # The cash forecast's 4-week figure of the run on that day, and what came (forecast accuracy).
        "forecast_4w": None if snapshot is None else dict(zip(
            ["expected", "p10", "p90", "actual", "abs_pct_error"], [_number(v) for v in snapshot])),
    }


def format_kpis(k: dict) -> str:
    """The same figures for a person: one line each."""

    def money(v):
        return "n/a" if v is None else f"{v:,.2f} {k['currency']}"

    def ratio(v, pct=True):
        return "n/a (no denominator)" if v is None else (f"{v * 100:.1f}%" if pct else f"{v:.1f}")

    lines = [
        f"KPIs as of {k['as_of']}",
        f"  open AR            {money(k['open_ar'])}  ({k['open_invoices']:,} open invoices)",
        "  ageing             " + ", ".join(f"{band}: {money(v)}" for band, v in k["aging"].items()),
        f"  over 60 days       {money(k['over_60_ar'])}  ({ratio(k['over_60_share'])} of open AR)",
        f"  DSO                {ratio(k['dso'], False)} days (best possible {ratio(k['bpdso'], False)}, "
        f"delinquent {ratio(k['add'], False)}; countback {ratio(k['dso_countback'], False)}"
        f"{' lower bound' if k['dso_countback_is_lower_bound'] else ''})",
        f"  CEI month to date  {ratio(k['cei'] / 100 if k['cei'] is not None else None)}",
        f"  promise kept rate  {ratio(k['promise_kept_rate'])} by count, {ratio(k['promise_kept_rate_amount'])} by amount",
        f"  dispute rate MTD   {ratio(k['dispute_rate'])}",
    ]
    return "\n".join(lines)
