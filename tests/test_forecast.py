"""The cash forecast: its rules on a hand-worked case, point in time, and its backtest on IBM's history."""

from __future__ import annotations

import csv
import datetime as dt
import json

import duckdb
import pandas as pd
import pytest

from archase_pipeline.backtest import accuracy, backtest
from archase_pipeline.cli import main
from archase_pipeline.config import load_config
from archase_pipeline.forecast import ForecastInputs, ForecastSettings, forecast, load_inputs, week_probabilities
from archase_pipeline.forecast_store import snapshot_4_weeks
from archase_pipeline.runner import run_pipeline
from tests.conftest import IBM_CSV, ibm_config_data, write_config

D = pd.Timestamp("2025-06-30")


def _inputs(open_due_dates: list[str]) -> ForecastInputs:
    """A customer who paid two past invoices 0 and 10 days after due (both paid on one day, so
    recency weighs them alike), and open invoices of 100 due on the given days."""
    history = [("h1", "2025-05-01", "2025-05-11"), ("h2", "2025-05-11", "2025-05-11")]  # delays 10 and 0
    invoices = [{"invoice_id": i, "customer_id": "c", "issue_date": pd.Timestamp("2025-04-01"),
                 "due_date": pd.Timestamp(due), "amount": 100.0, "fx_rate": 1.0, "currency": "USD"}
                for i, due, _ in history]
    invoices += [{"invoice_id": f"o{n}", "customer_id": "c", "issue_date": pd.Timestamp("2025-06-01"),
                  "due_date": pd.Timestamp(due), "amount": 100.0, "fx_rate": 1.0, "currency": "USD"}
                 for n, due in enumerate(open_due_dates)]
    settlements = pd.DataFrame([{"invoice_id": i, "effective_date": pd.Timestamp(paid), "amount": 100.0,
                                 "kind": "payment"} for i, _, paid in history])
    empty_promises = pd.DataFrame(columns=["promise_id", "invoice_id", "customer_id", "made_on_date",
                                           "promised_date", "sent_at"]).astype({"made_on_date": "datetime64[ns]",
                                                                                 "promised_date": "datetime64[ns]"})
    return ForecastInputs(
        invoices=pd.DataFrame(invoices), settlements=settlements,
        customers=pd.DataFrame([{"customer_id": "c", "tier": "key", "country_code": "GB", "owner_name": "Maya"}]),
        promises=empty_promises,
        disputes=pd.DataFrame({"invoice_id": pd.Series(dtype=str), "disputed_on_date": pd.Series(dtype="datetime64[ns]")}),
    )


def test_week_probabilities_on_a_hand_worked_customer():
    # o0 due 3 Jul (d+3): paid 0 days late -> 3 Jul, week 1; 10 days late -> 13 Jul, week 2.
    # o1 due 25 Jun (5 days overdue): only the 10-day delay is still possible -> 5 Jul, week 1.
    # o2 due 10 Jun (20 days overdue): later than anything seen -> expected now, in week 1.
    open_inv, probs = week_probabilities(_inputs(["2025-07-03", "2025-06-25", "2025-06-10"]), D, ForecastSettings())
    by_id = dict(zip(open_inv["invoice_id"], probs))
    assert by_id["o0"][:3] == pytest.approx([0.5, 0.5, 0.0])
    assert by_id["o1"][:2] == pytest.approx([1.0, 0.0])
    assert by_id["o2"][:2] == pytest.approx([1.0, 0.0])
    assert probs.sum(axis=1) == pytest.approx([1.0, 1.0, 1.0])


def test_weekly_expected_and_week_boundaries():
    weekly, per_invoice = forecast(_inputs(["2025-07-03"]), D.date(), ForecastSettings(draws=400))
    total = weekly[weekly["dimension"] == "total"].set_index("week")
    assert total.loc[1, "expected"] == pytest.approx(50.0) and total.loc[2, "expected"] == pytest.approx(50.0)
    # Week k covers (d + 7(k-1), d + 7k].
    assert (total.loc[1, "start"], total.loc[1, "end"]) == (dt.date(2025, 7, 1), dt.date(2025, 7, 7))
    assert (total.loc[13, "start"], total.loc[13, "end"]) == (dt.date(2025, 9, 23), dt.date(2025, 9, 29))
    # One invoice of 100, paid in week 1 or 2: each week's P10 is 0 and P90 is 100.
    assert (total.loc[1, "p10"], total.loc[1, "p90"]) == (0.0, 100.0)
    assert per_invoice["expected_in_horizon"].sum() == pytest.approx(100.0)


def _cut_export(path, cut: dt.date) -> None:
    """IBM's export as it stood at `cut`: later invoices gone, later settlements blank."""
    with IBM_CSV.open(newline="") as source, path.open("w", newline="") as target:
        reader = csv.DictReader(source)
        writer = csv.DictWriter(target, fieldnames=reader.fieldnames)
        writer.writeheader()
        for row in reader:
            if dt.datetime.strptime(row["InvoiceDate"], "%m/%d/%Y").date() > cut:
                continue
            if dt.datetime.strptime(row["SettledDate"], "%m/%d/%Y").date() > cut:
                row = {**row, "SettledDate": "", "DaysToSettle": "", "DaysLate": ""}
            writer.writerow(row)


def test_forecast_is_point_in_time_the_cut_export_gives_the_same(ibm_run, tmp_path):
    cut = dt.date(2013, 6, 30)
    _cut_export(tmp_path / "cut.csv", cut)
    config = load_config(write_config(tmp_path / "cut.yml",
                                      ibm_config_data(tmp_path, csv_path=tmp_path / "cut.csv", as_of=cut.isoformat())))
    assert run_pipeline(config, say=lambda _line: None).success

    def weekly_at(warehouse):
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            return forecast(load_inputs(con), cut)[0]
        finally:
            con.close()

    full, from_cut = weekly_at(ibm_run.warehouse), weekly_at(config.warehouse)
    assert len(full) == len(from_cut) > 0
    pd.testing.assert_frame_equal(full.reset_index(drop=True), from_cut.reset_index(drop=True), rtol=1e-9)


def test_ibm_backtest_beats_both_baselines_at_four_weeks(ibm_run):
    con = duckdb.connect(str(ibm_run.warehouse), read_only=True)
    inputs = load_inputs(con)
    con.close()
    scores = accuracy(backtest(inputs, ibm_run.run_date, ForecastSettings(draws=1)))
    four = scores[scores["horizon_weeks"] == 4].set_index("method")["wape"]
    assert scores["month_ends"].min() >= 20
    assert four["model"] <= 0.75 * four["due_date"]
    assert four["model"] < four["customer_median"]


def test_inputs_coded_by_duckdb_forecast_like_inputs_coded_by_pandas(ibm_run):
    """load_inputs codes positions, customers and segments in SQL; hand-built frames get them in
    ForecastInputs. Both must describe the same ledger, so both must give the same forecast."""
    con = duckdb.connect(str(ibm_run.warehouse), read_only=True)
    coded = load_inputs(con)
    con.close()
    plain = ForecastInputs(
        invoices=coded.invoices.drop(columns=["_cust", "_segment_base"]).sample(frac=1, random_state=3),
        settlements=coded.settlements.drop(columns=["_inv"]),
        customers=coded.customers, promises=coded.promises,
        disputes=coded.disputes.drop(columns=["_inv"]),
    )
    as_of = dt.date(2013, 6, 30)  # 84 invoices open then (tests/test_ibm_kpis.py)
    by_duckdb, by_pandas = forecast(coded, as_of)[0], forecast(plain, as_of)[0]
    assert by_duckdb["expected"].sum() > 0
    pd.testing.assert_frame_equal(by_duckdb, by_pandas, rtol=1e-9)


def test_forecast_cli_json_shape(ibm_run, capsys):
    assert main(["forecast", "--config", str(ibm_run.source_file), "--as-of", "2013-06-30", "--weeks", "4",
                 "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload) == {"as_of", "currency", "weeks"} and payload["as_of"] == "2013-06-30"
    assert [w["week"] for w in payload["weeks"]] == [1, 2, 3, 4]
    first = payload["weeks"][0]
    assert set(first) == {"week", "start", "end", "expected", "p10", "p50", "p90"}
    assert (first["start"], first["end"]) == ("2013-07-01", "2013-07-07")
    assert all(w["p10"] <= w["p50"] <= w["p90"] for w in payload["weeks"])


def test_the_4_week_figure_is_kept_and_scored_when_its_4_weeks_have_passed(ibm_run, tmp_path):
    warehouse = tmp_path / ibm_run.warehouse.name  # the same name: dbt views name their catalog
    warehouse.write_bytes(ibm_run.warehouse.read_bytes())
    first, later = dt.date(2013, 6, 1), dt.date(2013, 7, 15)
    con = duckdb.connect(str(warehouse))
    inputs = load_inputs(con)
    for day in (first, later):
        weekly, _ = forecast(inputs, day, ForecastSettings(draws=200))
        snapshots = snapshot_4_weeks(con, inputs, weekly, day)
    con.close()
    scored = snapshots.set_index("as_of").loc[first]
    # What came in the 28 days after 1 June from invoices open on 1 June, straight from the CSV.
    came = 0.0
    with IBM_CSV.open(newline="") as handle:
        for row in csv.DictReader(handle):
            issued = dt.datetime.strptime(row["InvoiceDate"], "%m/%d/%Y").date()
            settled = dt.datetime.strptime(row["SettledDate"], "%m/%d/%Y").date()
            if issued <= first < settled <= first + dt.timedelta(days=28):
                came += float(row["InvoiceAmount"])
    assert scored["actual_4w"] == pytest.approx(came)
    assert scored["abs_pct_error_4w"] == pytest.approx(abs(scored["expected_4w"] - came) / came)
    assert pd.isna(snapshots.set_index("as_of").loc[later, "actual_4w"])
