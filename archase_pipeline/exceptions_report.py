"""What was quarantined or failed: one line per row or check, with where it came from and what to do.

`archase exceptions`, the Exceptions tab and the gate's metadata all come from here.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from archase_pipeline.audit import latest_checks, latest_verdict
from archase_pipeline.warehouse import table_exists

COLUMNS = ["kind", "severity", "where", "key", "rule", "reason"]


def exceptions_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Failed checks first (blocking ones on top), then every quarantined row."""
    checks = latest_checks(con)
    failed = checks[~checks["passed"].astype(bool)] if len(checks) else checks
    check_rows = pd.DataFrame({
        "kind": "failed check",
        "severity": failed["blocking"].map({True: "blocking", False: "warning"}),
        "where": failed["asset_key"],
        "key": "",
        "rule": failed["check_name"],
        "reason": failed["message"],
    }) if len(failed) else pd.DataFrame(columns=COLUMNS)
    quarantine_rows = pd.DataFrame(columns=COLUMNS)
    if table_exists(con, "raw", "quarantine"):
        q = con.execute(
            """
            select source, table_name, source_file, source_line, record_key, rule, reason
            from raw.quarantine order by source, table_name, source_line, rule
            """
        ).df()
        if len(q):
            where = q["source_file"].fillna(q["source"]).astype(str)
            line = q["source_line"].astype("Int64").astype("string")
            quarantine_rows = pd.DataFrame({
                "kind": "quarantined row",
                "severity": "warning",
                "where": (where + (":" + line).fillna("")).values,
                "key": q["record_key"].fillna("").values,
                "rule": q["table_name"] + "." + q["rule"],
                "reason": q["reason"].values,
            })
    frames = [f for f in (check_rows, quarantine_rows) if len(f)]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True).sort_values(
        ["kind", "severity"], key=lambda s: s.map({"failed check": 0, "quarantined row": 1, "blocking": 0,
                                                   "warning": 1}), kind="stable").reset_index(drop=True)


def exceptions_report(con: duckdb.DuckDBPyConnection) -> dict:
    verdict = latest_verdict(con)
    frame = exceptions_frame(con)
    return {
        "verdict": None if verdict is None else {
            "status": verdict["status"],
            "blocking_failures": [f for f in (verdict["blocking_failures"] or "").split("; ") if f],
            "quarantined_rows": int(verdict["quarantined_rows"]),
            "decided_at": str(verdict["decided_at"]),
        },
        "exceptions": frame.to_dict("records"),
    }


def format_exceptions(report: dict) -> str:
    lines = []
    verdict = report["verdict"]
    if verdict:
        lines.append(f"Last run: {verdict['status'].replace('_', ' ')}"
                     + (f" (blocked by {', '.join(verdict['blocking_failures'])})" if verdict["blocking_failures"] else ""))
    if not report["exceptions"]:
        lines.append("No exceptions: every row loaded and every check passed.")
    for e in report["exceptions"]:
        key = f" [{e['key']}]" if e["key"] else ""
        lines.append(f"{e['severity'].upper():8} {e['kind']:15} {e['where']}{key} {e['rule']}: {e['reason']}")
    return "\n".join(lines)
