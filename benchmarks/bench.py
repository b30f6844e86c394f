"""The benchmark: the pipeline against the hand-written floor on one synthetic ledger.

`archase bench --invoices N` (or `make bench SIZE=N`) generates N invoices, runs the
analytics path of the pipeline on them (ingest with its checks, dbt build, the quality
gate, the cash forecast; the workbook tabs and the backtest are left out), runs
`benchmarks/floor.sql` on the same files, checks that both computed the same figures,
and prints per stage wall time and peak RSS (of the process and its children, sampled),
writing everything to `benchmarks/results/`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import threading
import time
from pathlib import Path

import dagster as dg
import duckdb
import yaml

from archase_pipeline.config import load_config
from archase_pipeline.runner import run_pipeline
from benchmarks.synthetic import generate

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
LEFT_OUT = {"publish/kpi_tab", "publish/ageing_tab", "publish/forecast_tab", "forecast/backtest"}


def _tree_rss_bytes(root: int) -> int:
    """Resident memory of `root` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            statm = Path(f"/proc/{entry}/statm").read_text().split()
        except OSError:
            continue
        children.setdefault(int(stat[1]), []).append(int(entry))
        rss[int(entry)] = int(statm[1]) * page
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


class StageMeter:
    """Wall time and sampled peak RSS per named stage."""

    def __init__(self, interval: float = 0.1):
        self.interval = interval
        self.stage = "start"
        self.stages: dict[str, dict] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.enter(None)
        self._stop.set()
        self._thread.join()

    def enter(self, stage: str | None) -> None:
        now = time.perf_counter()
        current = self.stages.get(self.stage)
        if current is not None and current.get("end") is None:
            current["end"] = now
        if stage is not None:
            self.stage = stage
            self.stages[stage] = {"start": now, "end": None, "peak_rss": _tree_rss_bytes(os.getpid())}

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            info = self.stages.get(self.stage)
            if info is not None:
                info["peak_rss"] = max(info["peak_rss"], _tree_rss_bytes(os.getpid()))

    def report(self) -> dict[str, dict]:
        return {name: {"seconds": round(i["end"] - i["start"], 3), "peak_rss_mib": round(i["peak_rss"] / 2**20, 1)}
                for name, i in self.stages.items() if i.get("end") is not None}


def _pipeline(config_path: Path, meter: StageMeter) -> None:
    # Loading the definitions and starting the run: Dagster's and dbt's fixed cost before any asset.
    meter.enter("pipeline:startup")
    config = load_config(config_path)
    from archase_pipeline.definitions import build_definitions

    keys = [k for k in build_definitions(config_path).resolve_all_asset_keys() if k.to_user_string() not in LEFT_OUT]

    def on_progress(line: str) -> None:
        if line.strip().startswith("…"):
            meter.enter("pipeline:" + line.strip()[2:])

    outcome = run_pipeline(config, say=on_progress, selection=keys)
    meter.enter(None)
    # The gate blocking (an empty ledger has no fresh payment data) is the pipeline working;
    # any other failed step is not.
    failures = [f for f in outcome.failures if f != "quality__gate"]
    if failures:
        raise RuntimeError(f"pipeline failed at {failures} (run {outcome.run_id})")


def _next_day(directory: Path, config_path: Path, as_of: dt.date) -> tuple[Path, int]:
    """An incremental day: 1% more invoices, issued the next day, and the run date moved on."""
    invoices = directory / "ledger" / "invoices.csv"
    con = duckdb.connect()
    try:
        count = con.execute(f"select count(*) from read_csv('{invoices}', header = true, all_varchar = true)"
                            ).fetchone()[0]
        new = max(1, count // 100)
        day = as_of + dt.timedelta(days=1)
        con.execute(
            f"""
            copy (
                select * from read_csv('{invoices}', header = true, all_varchar = true)
                union all
                select 'inv-new-' || i, 'INV-NEW-' || i, customer_id, '{day}', '{day + dt.timedelta(days=30)}',
                       amount, currency, fx_rate, 'AUTHORISED', '{day}T06:00:00Z'
                from (select row_number() over () as i, * from read_csv('{invoices}', header = true,
                      all_varchar = true) limit {new})
            ) to '{invoices}.next' (header, delimiter ',')
            """)
    finally:
        con.close()
    Path(f"{invoices}.next").replace(invoices)
    config = yaml.safe_load(config_path.read_text())
    config["as_of"] = day.isoformat()
    config["demo"]["end_date"] = day.isoformat()
    next_config = config_path.with_name(config_path.stem + "_next_day.yml")
    next_config.write_text(yaml.safe_dump(config))
    return next_config, new


def _floor(directory: Path, as_of: dt.date, database: Path) -> None:
    script = (HERE / "floor.sql").read_text().format(ledger=directory / "ledger", crm=directory / "crm",
                                                     as_of=as_of.isoformat())
    con = duckdb.connect(str(database))
    try:
        con.execute(script)
        for table in ("floor_kpi_daily", "floor_aging", "floor_segmented"):
            con.execute(f"create or replace table {table} as select * from {table}")
    finally:
        con.close()


def _compare(warehouse: Path, floor_db: Path) -> dict:
    """Both did the same work: the same figures, day by day and invoice by invoice."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute(f"attach '{floor_db}' as floor (read_only)")
        kpi = con.execute(
            """
            select count(*), count(*) filter (where abs(k.open_ar_amount - f.open_ar) > 0.01
                                             or abs(k.current_ar_amount - f.current_ar) > 0.01
                                             or abs(k.over_60_ar_amount - f.over_60_ar) > 0.01
                                             or abs(coalesce(k.dso, -1) - coalesce(f.dso, -1)) > 1e-6)
            from marts.kpi_daily as k full join floor.floor_kpi_daily as f on k.kpi_date = f.kpi_date
            """).fetchone()
        aging = con.execute(
            """
            select count(*), count(*) filter (where a.invoice_id is null or f.invoice_id is null
                                             or abs(a.outstanding_amount_reporting - f.outstanding_rep) > 0.01)
            from marts.fct_receivables_aging as a full join floor.floor_aging as f using (invoice_id)
            """).fetchone()
        segmented = con.execute(
            """
            select count(*), count(*) filter (where s.priority_score is distinct from f.priority_score)
            from marts.fct_receivables_segmented as s full join floor.floor_segmented as f using (invoice_id)
            """).fetchone()
    finally:
        con.close()
    result = {"kpi_daily_days": kpi[0], "kpi_daily_mismatches": kpi[1], "aging_rows": aging[0],
              "aging_mismatches": aging[1], "segmented_rows": segmented[0], "segmented_mismatches": segmented[1]}
    result["same_results"] = not (kpi[1] or aging[1] or segmented[1])
    return result


def run(invoices: int, *, work: Path = Path("var/bench"), as_of: dt.date = dt.date(2026, 6, 30),
        say=print, results_dir: Path = RESULTS) -> dict:
    work = Path(work).resolve()
    directory = work / f"ledger_{invoices}"
    meter = StageMeter()
    with meter:
        meter.enter("generate")
        counts = generate(directory, invoices, as_of)
        meter.enter(None)
        config_path = work / f"bench_{invoices}.yml"
        warehouse = work / f"bench_{invoices}.duckdb"
        floor_db = work / f"floor_{invoices}.duckdb"
        for path in (warehouse, floor_db):
            path.unlink(missing_ok=True)
        config_path.write_text(yaml.safe_dump({
            "warehouse": str(warehouse), "as_of": as_of.isoformat(),
            "demo": {"directory": str(directory), "end_date": as_of.isoformat()},
            "sources": {"ar": {"kind": "demo"}, "crm": {"kind": "demo"}, "mail": {"kind": "none"},
                        "sheet": {"kind": "xlsx", "path": str(work / "bench.xlsx")}},
        }))
        started = time.perf_counter()
        _pipeline(config_path, meter)
        pipeline_seconds = time.perf_counter() - started
        meter.enter("floor")
        started = time.perf_counter()
        _floor(directory, as_of, floor_db)
        floor_seconds = time.perf_counter() - started
        meter.enter(None)
        comparison = _compare(warehouse, floor_db)
        # The next day on the same warehouse: what a daily run costs once the history is loaded.
        next_config, new_invoices = _next_day(directory, config_path, as_of)
        started = time.perf_counter()
        with StageMeter() as next_meter:
            _pipeline(next_config, next_meter)
        next_day_seconds = time.perf_counter() - started
    stages = meter.report()
    result = {
        "invoices": invoices, "counts": counts, "as_of": as_of.isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "duckdb": duckdb.__version__,
                    "dagster": dg.__version__},
        "pipeline_seconds": round(pipeline_seconds, 2), "floor_seconds": round(floor_seconds, 2),
        "ratio_pipeline_to_floor": round(pipeline_seconds / floor_seconds, 2) if floor_seconds else None,
        "pipeline_peak_rss_mib": max((s["peak_rss_mib"] for n, s in stages.items() if n.startswith("pipeline:")),
                                     default=None),
        "floor_peak_rss_mib": stages.get("floor", {}).get("peak_rss_mib"),
        "stages": stages, "comparison": comparison,
        "next_day": {"new_invoices": new_invoices, "pipeline_seconds": round(next_day_seconds, 2),
                     "share_of_full_run": round(next_day_seconds / pipeline_seconds, 2),
                     "stages": next_meter.report()},
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / f"bench_{invoices}.json").write_text(json.dumps(result, indent=2) + "\n")
    say(format_result(result))
    return result


def format_result(r: dict) -> str:
    lines = [f"benchmark: {r['invoices']:,} invoices ({r['counts']['settlements']:,} settlements, "
             f"{r['counts']['customers']:,} customers)",
             f"  {'stage':45} {'seconds':>9} {'peak RSS MiB':>13}"]
    for name, s in r["stages"].items():
        lines.append(f"  {name:45} {s['seconds']:>9.2f} {s['peak_rss_mib']:>13,.0f}")
    for name, s in r["next_day"].get("stages", {}).items():
        lines.append(f"  {'next day ' + name:45} {s['seconds']:>9.2f} {s['peak_rss_mib']:>13,.0f}")
    c = r["comparison"]
    lines += [
        f"  pipeline {r['pipeline_seconds']:.2f} s, floor {r['floor_seconds']:.2f} s: "
        f"ratio {r['ratio_pipeline_to_floor']}x; peak RSS pipeline {r['pipeline_peak_rss_mib']} MiB, "
        f"floor {r['floor_peak_rss_mib']} MiB",
        f"  next day (+{r['next_day']['new_invoices']:,} invoices, 1%): {r['next_day']['pipeline_seconds']:.2f} s, "
        f"{r['next_day']['share_of_full_run']:.0%} of the full run",
        f"  same results: {c['same_results']} (kpi_daily {c['kpi_daily_days']} days, {c['kpi_daily_mismatches']} "
        f"differ; ageing {c['aging_rows']} rows, {c['aging_mismatches']} differ; segmented {c['segmented_rows']} "
        f"rows, {c['segmented_mismatches']} differ)",
    ]
    return "\n".join(lines)
