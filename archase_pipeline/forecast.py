"""Expected cash collections for the next weeks from the receivables open at an as-of date.

For every invoice open at `d`, a distribution of its payment date is learned from what was
known at `d` only (point in time):
- the customer's own history of paying relative to the due date (payments dated <= d,
  each weighted by its share of its invoice), shrunk toward its segment (tier, value band,
  country) when the history is thin: weight n / (n + `shrinkage`) on the customer;
- conditioned on the invoice still being unpaid at `d`: an overdue invoice is expected from
  week 1, never in the past;
- an open promise moves the expectation to the promised date, weighted by the customer's
  promise kept rate (shrunk toward everyone's); an open dispute draws its delay from the
  history of disputed invoices instead;
- partial payments count: what is expected is the outstanding amount.
Week k covers the days (d + 7(k-1), d + 7k]. P10/P50/P90 come from simulating every
invoice's payment week independently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

GRID_MIN, GRID_MAX = -120, 730  # payment delays (days after due) the histograms resolve
VALUE_BANDS = [1_000, 10_000, 50_000]


@dataclass
class ForecastSettings:
    weeks: int = 13
    shrinkage: float = 5.0
    draws: int = 1000
    seed: int = 7
    grace_days: int = 3
    # Chosen on the IBM backtest (60 days beat 180 and 365 at every horizon): see README.
    half_life_days: float = 60.0


@dataclass
class ForecastInputs:
    """Event-level data over all time; every function here filters it to what was known at `d`.

    On creation the invoices are put in invoice_id order and every settlement and dispute
    gets its invoice's position (`_inv`), every invoice its customer's (`_cust`): the
    functions below then gather and sum over integer positions, not join on text keys.
    """

    invoices: pd.DataFrame  # invoice_id, customer_id, issue_date, due_date, amount, fx_rate, currency
    settlements: pd.DataFrame  # invoice_id, effective_date, amount, kind
    customers: pd.DataFrame  # customer_id, tier, country_code, owner_name
    promises: pd.DataFrame  # promise_id, invoice_id, customer_id, made_on_date, promised_date, matched_amount, promised_amount
    disputes: pd.DataFrame  # invoice_id, disputed_on_date

    def __post_init__(self) -> None:
        if "_inv" not in self.settlements.columns or "_inv" not in self.disputes.columns:
            # `load_inputs` has DuckDB do this; frames built by hand (tests, notebooks) get it here.
            self.invoices = self.invoices.sort_values("invoice_id", kind="stable").reset_index(drop=True)
            by_id = pd.Index(self.invoices["invoice_id"])
            self.settlements = self.settlements.assign(_inv=by_id.get_indexer(self.settlements["invoice_id"]))
            self.disputes = self.disputes.assign(_inv=by_id.get_indexer(self.disputes["invoice_id"]))
        if "_cust" in self.invoices.columns and "_segment_base" in self.invoices.columns:
            return  # `load_inputs` had DuckDB code the customers and segments
        # A customer the CRM does not know is still its own customer: codes come from the ledger.
        codes, _ = pd.factorize(self.invoices["customer_id"])
        self.invoices["_cust"] = codes
        info = self.customers.drop_duplicates("customer_id").set_index("customer_id")
        tier = self.invoices["customer_id"].map(info["tier"]).fillna("standard").astype(str)
        country = self.invoices["customer_id"].map(info["country_code"]).fillna("?").astype(str)
        tier_code, _ = pd.factorize(tier)
        country_code, countries = pd.factorize(country)
        # The segment's tier and country as one integer; the value band is added per row.
        self.invoices["_segment_base"] = (tier_code.astype(np.int64) * max(len(countries), 1)
                                          + country_code) * (len(VALUE_BANDS) + 1)


def load_inputs(con: duckdb.DuckDBPyConnection) -> ForecastInputs:
    """The inputs from the warehouse, coded in DuckDB: invoice positions (`_inv`), customer codes
    (`_cust`) and segment bases (`_segment_base`), as `ForecastInputs` would code them in pandas."""
    con.execute(
        f"""
        create or replace temp table _forecast_invoices as
        with coded as (
            select i.invoice_id, i.customer_id, i.issue_date, i.due_date, i.invoice_amount as amount, i.fx_rate,
                   i.currency, coalesce(c.tier, 'standard') as tier, coalesce(c.country_code, '?') as country
            from intermediate.int_invoices_converted i
            left join marts.dim_customers c on c.customer_id = i.customer_id
            where i.is_receivable
        ),
        -- Codes from small tables joined in, not windows over every invoice (each one a sort).
        customer_codes as (
            select customer_id, row_number() over (order by customer_id) - 1 as _cust
            from (select distinct customer_id from coded)
        ),
        tier_codes as (
            select tier, row_number() over (order by tier) - 1 as code from (select distinct tier from coded)
        ),
        country_codes as (
            select country, row_number() over (order by country) - 1 as code from (select distinct country from coded)
        )
        select row_number() over (order by invoice_id) - 1 as _pos, invoice_id, coded.customer_id, issue_date,
               due_date, amount, fx_rate, currency, customer_codes._cust,
               (tier_codes.code * (select count(*) from country_codes) + country_codes.code)
                   * {len(VALUE_BANDS) + 1} as _segment_base
        from coded
        join customer_codes on customer_codes.customer_id is not distinct from coded.customer_id
        join tier_codes using (tier)
        join country_codes using (country)
        """)
    invoices = con.execute("select * exclude (_pos) from _forecast_invoices order by _pos").df()
    settlements = con.execute(
        """
        select s.invoice_id, s.effective_date, s.settlement_amount as amount, s.settlement_kind as kind,
               coalesce(i._pos, -1) as _inv
        from intermediate.int_settlements_converted s left join _forecast_invoices i using (invoice_id)
        """).df()
    customers = con.execute("select customer_id, tier, country_code, owner_name from marts.dim_customers").df()
    promises = con.execute(
        """
        select m.message_id || ':' || i.invoice_id as promise_id, i.invoice_id, i.customer_id,
               m.written_on_date as made_on_date, m.promised_date, m.sent_at
        from staging.stg_mail__messages m
        join staging.stg_mail__invoice_refs r on m.message_id = r.message_id
        join intermediate.int_invoices_converted i on r.invoice_number = upper(i.invoice_number)
        where m.reply_intent = 'promise' and m.promised_date is not null and i.is_receivable
        """).df()
    disputes = con.execute(
        """
        select d.invoice_id, d.disputed_on_date, coalesce(i._pos, -1) as _inv
        from intermediate.int_disputes_collected d left join _forecast_invoices i using (invoice_id)
        """).df()
    con.execute("drop table _forecast_invoices")
    for frame, columns in ((invoices, ["issue_date", "due_date"]), (settlements, ["effective_date"]),
                           (promises, ["made_on_date", "promised_date"]), (disputes, ["disputed_on_date"])):
        for column in columns:
            frame[column] = pd.to_datetime(frame[column])
    return ForecastInputs(invoices, settlements, customers, promises, disputes)


def open_invoices_at(inputs: ForecastInputs, d: pd.Timestamp) -> pd.DataFrame:
    """Invoices issued by `d` with more than half a cent outstanding after settlements dated <= d.

    In invoice_id order (`inputs.invoices` is), so the simulation draws the same for the same
    open invoices however they were loaded.
    """
    invoices, s = inputs.invoices, inputs.settlements
    known = (s["effective_date"] <= d).to_numpy() & (s["_inv"].to_numpy() >= 0)
    settled = np.bincount(s["_inv"].to_numpy()[known], weights=s["amount"].to_numpy()[known],
                          minlength=len(invoices))
    issued = (invoices["issue_date"] <= d).to_numpy()
    outstanding = invoices["amount"].to_numpy() - settled
    keep = issued & (outstanding > 0.005)
    out = invoices[keep].assign(outstanding=outstanding[keep])
    out["outstanding_reporting"] = out["outstanding"] * out["fx_rate"]
    return out.reset_index(names="_pos")


def _segments(frame: pd.DataFrame) -> np.ndarray:
    """Each row's segment (tier, value band, country) as an integer, from its invoice."""
    band = np.searchsorted(VALUE_BANDS, (frame["amount"] * frame["fx_rate"]).to_numpy(), side="right")
    return frame["_segment_base"].to_numpy() + band


def _history(inputs: ForecastInputs, d: pd.Timestamp, half_life_days: float) -> pd.DataFrame:
    """Cash payments known at `d`: delay after due, weighted by their share of the invoice."""
    s = inputs.settlements
    pays = s[(s["effective_date"] <= d).to_numpy() & (s["kind"] == "payment").to_numpy() & (s["_inv"] >= 0).to_numpy()]
    invoice = inputs.invoices.iloc[pays["_inv"].to_numpy()]
    hist = pd.DataFrame({
        "_inv": pays["_inv"].to_numpy(),
        "_cust": invoice["_cust"].to_numpy(),
        "delay": np.clip((pays["effective_date"].to_numpy() - invoice["due_date"].to_numpy())
                         // np.timedelta64(1, "D"), GRID_MIN, GRID_MAX),
    })
    # Recent behaviour speaks louder: a payment's weight halves every `half_life_days`.
    recency = 0.5 ** (((d - pays["effective_date"]).dt.days.to_numpy()) / half_life_days)
    hist["weight"] = np.clip(pays["amount"].to_numpy() / invoice["amount"].to_numpy(), 0, 1) * recency
    disputed = np.zeros(len(inputs.invoices), dtype=bool)
    known = inputs.disputes[(inputs.disputes["disputed_on_date"] <= d) & (inputs.disputes["_inv"] >= 0)]
    disputed[known["_inv"].to_numpy()] = True
    hist["is_disputed"] = disputed[hist["_inv"].to_numpy()]
    hist["segment"] = _segments(invoice)
    return hist


class _DelayCdf:
    """Per group, the weighted cumulative distribution of payment delays, kept sparse.

    The payments sorted by (group, delay) with running weights: the CDF of group g at delay
    x is a binary search, so memory grows with the payments, not groups x the day grid (at
    400,000 customers a dense grid took 2.7 GB an array). A group without history reads as
    1 everywhere ("no history": nothing is left to pay after any age, so such a group adds
    no mass to a mixture).
    """

    _SPAN = GRID_MAX - GRID_MIN + 2  # the grid's days, and one below it

    def __init__(self, groups: np.ndarray, delays: np.ndarray, weights: np.ndarray, size_groups: int):
        keys = groups.astype(np.int64) * self._SPAN + (delays - GRID_MIN + 1)
        order = np.argsort(keys, kind="stable")
        self.keys, groups, weights = keys[order], groups[order], weights[order]
        self.starts = np.searchsorted(groups, np.arange(size_groups), side="left")
        ends = np.append(self.starts[1:], len(weights))
        # Running weight within each group: the overall running sum less what came before the
        # group. A group's total is its own last running value, so its CDF reaches exactly 1.
        if len(weights):
            overall = np.cumsum(weights)
            before = np.where(self.starts > 0, overall[np.maximum(self.starts - 1, 0)], 0.0)
            self.running = overall - np.repeat(before, ends - self.starts)
            last = self.running[np.maximum(ends - 1, 0)]
        else:
            self.running, last = np.zeros(0), np.zeros(size_groups)
        self.totals = np.where(ends > self.starts, last, 0.0)

    def at(self, rows: np.ndarray, x: np.ndarray) -> np.ndarray:
        """The CDF of group `rows[i]` at delays `x[i, j]` (0 below the grid, 1 above it).

        A row of -1 (a group the history cannot name) reads as no history."""
        if not len(self.running):
            return np.ones(x.shape)
        unknown = rows < 0
        rows = np.where(unknown, 0, rows)
        offset = np.clip(x - GRID_MIN + 1, 0, self._SPAN - 1)
        keys = rows[:, None].astype(np.int64) * self._SPAN + offset
        position = np.searchsorted(self.keys, keys, side="right")  # payments of earlier groups, and ours <= x
        first = self.starts[rows][:, None]
        total = self.totals[rows][:, None]
        weight = np.where(position > first, self.running[np.maximum(position - 1, 0)], 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            cdf = np.where(total > 0, weight / np.where(total > 0, total, 1.0), 1.0)
        return np.where(unknown[:, None], 1.0, cdf)


def week_probabilities(inputs: ForecastInputs, d: pd.Timestamp, settings: ForecastSettings,
                       open_invoices: pd.DataFrame | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """(open invoices, probabilities n x (weeks + 1)): columns are weeks 1..W, then 'later'."""
    weeks = settings.weeks
    open_inv = open_invoices if open_invoices is not None else open_invoices_at(inputs, d)
    n = len(open_inv)
    if n == 0:
        return open_inv, np.zeros((0, weeks + 1))
    hist = _history(inputs, d, settings.half_life_days)
    age = (d - open_inv["due_date"]).dt.days.to_numpy()  # a: unpaid after `a` days past due
    edges = age[:, None] + 7 * np.arange(weeks + 1)[None, :]  # a, a+7, ..., a+7W

    def conditional(cdf: _DelayCdf, rows):
        at = cdf.at(rows, edges)
        remaining = 1.0 - at[:, :1]
        with np.errstate(invalid="ignore", divide="ignore"):
            probs = np.diff(at, axis=1) / remaining
        later = 1.0 - probs.sum(axis=1, keepdims=True)
        return np.hstack([probs, later]), remaining[:, 0]

    # Disputed invoices are paid later (or credited): they get their own pool, and are kept out
    # of the customer's and segment's, which describe an undisputed invoice.
    disp_hist = hist[hist["is_disputed"]]
    hist = hist[~hist["is_disputed"]]
    delay, weight = hist["delay"].to_numpy(), hist["weight"].to_numpy()
    customers = int(inputs.invoices["_cust"].max()) + 1 if len(inputs.invoices) else 0
    c_rows = open_inv["_cust"].to_numpy()
    s_rows = _segments(open_inv)
    cust_cum = _DelayCdf(hist["_cust"].to_numpy(), delay, weight, customers)
    seg_cum = _DelayCdf(hist["segment"].to_numpy(), delay, weight,
                        int(max(s_rows.max(), hist["segment"].to_numpy().max(initial=0))) + 1)
    all_cum = _DelayCdf(np.zeros(len(hist), dtype=np.int64), delay, weight, 1)
    disp_cum = _DelayCdf(np.zeros(len(disp_hist), dtype=np.int64), disp_hist["delay"].to_numpy(),
                         disp_hist["weight"].to_numpy(), 1)
    # How many invoices of its own a customer's history holds: the weight of its own pattern.
    paid = np.zeros(len(inputs.invoices), dtype=bool)
    paid[hist["_inv"].to_numpy()] = True  # a mask, not np.unique: no sort or hash of 10M positions
    counts = np.bincount(inputs.invoices["_cust"].to_numpy()[paid], minlength=customers)
    n_c = counts[c_rows]
    w_c = n_c / (n_c + settings.shrinkage)

    p_cust, r_cust = conditional(cust_cum, c_rows)
    p_seg, r_seg = conditional(seg_cum, s_rows)
    p_all, r_all = conditional(all_cum, np.zeros(n, dtype=int))
    # Mix the two conditional distributions with the customer's weight; a customer with nothing
    # left beyond `a` (never paid this late) leaves the tail to its segment.
    has_c, has_s = np.nan_to_num(r_cust) > 1e-9, np.nan_to_num(r_seg) > 1e-9
    mass_c = np.where(has_c, np.where(has_s, w_c, 1.0), 0.0)
    mass_s = np.where(has_s, 1.0 - mass_c, 0.0)
    total = mass_c + mass_s
    with np.errstate(invalid="ignore", divide="ignore"):
        probs = (np.nan_to_num(p_cust) * mass_c[:, None] + np.nan_to_num(p_seg) * mass_s[:, None]) / total[:, None]
    fallback = ~(total > 1e-9)
    probs[fallback] = np.nan_to_num(p_all[fallback])
    nothing = fallback & ~(np.nan_to_num(r_all) > 1e-9)
    # Overdue beyond anything seen: expected now, in week 1.
    probs[nothing] = 0.0
    probs[nothing, 0] = 1.0

    disputed_now = inputs.disputes[inputs.disputes["disputed_on_date"] <= d]["invoice_id"]
    is_disputed = open_inv["invoice_id"].isin(disputed_now).to_numpy()  # a few open rows: a text lookup is fine
    if is_disputed.any() and len(disp_hist) >= 10:
        p_disp, r_disp = conditional(disp_cum, np.zeros(n, dtype=int))
        ok = is_disputed & (np.nan_to_num(r_disp) > 1e-9)
        probs[ok] = p_disp[ok]

    probs = _apply_promises(inputs, d, settings, open_inv, probs)
    return open_inv.assign(is_disputed=is_disputed), np.clip(probs, 0.0, 1.0)


def _promise_kept_rates(inputs: ForecastInputs, d: pd.Timestamp, settings: ForecastSettings) -> tuple[pd.Series, float]:
    """Each customer's kept share of the promises matured by `d`, shrunk toward everyone's."""
    p = inputs.promises[inputs.promises["made_on_date"] <= d]
    matured = p[p["promised_date"] + pd.Timedelta(days=settings.grace_days) <= d]
    if matured.empty:
        return pd.Series(dtype=float), 0.5
    s = inputs.settlements[inputs.settlements["effective_date"] <= d]
    joined = matured.merge(s, on="invoice_id", how="left")
    in_window = (joined["effective_date"] >= joined["made_on_date"]) & (
        joined["effective_date"] <= joined["promised_date"] + pd.Timedelta(days=settings.grace_days))
    kept = joined[in_window].groupby("promise_id")["amount"].sum().gt(0)
    matured = matured.assign(kept=matured["promise_id"].map(kept).fillna(False).astype(float))
    overall = float(matured["kept"].mean())
    by_customer = matured.groupby("customer_id")["kept"].agg(["sum", "count"])
    rate = (by_customer["sum"] + settings.shrinkage * overall) / (by_customer["count"] + settings.shrinkage)
    return rate, overall


def _apply_promises(inputs, d, settings, open_inv, probs) -> np.ndarray:
    p = inputs.promises[(inputs.promises["made_on_date"] <= d)]
    p = p[p["promised_date"] + pd.Timedelta(days=settings.grace_days) > d]
    if p.empty or open_inv.empty:
        return probs
    latest = p.sort_values(["made_on_date", "sent_at"]).groupby("invoice_id").tail(1).set_index("invoice_id")
    rates, overall = _promise_kept_rates(inputs, d, settings)
    promised = open_inv["invoice_id"].map(latest["promised_date"])
    has = promised.notna().to_numpy()
    if not has.any():
        return probs
    keep = open_inv["customer_id"].map(rates).fillna(overall).to_numpy()[has]
    week = np.clip(np.ceil((promised[has] - d).dt.days.to_numpy() / 7), 1, settings.weeks + 1).astype(int) - 1
    point = np.zeros((has.sum(), probs.shape[1]))
    point[np.arange(has.sum()), week] = 1.0
    probs[has] = keep[:, None] * point + (1 - keep[:, None]) * probs[has]
    return probs


def _simulate(probs: np.ndarray, amounts: np.ndarray, groupings: list[tuple[np.ndarray, int]],
              settings: ForecastSettings) -> list[np.ndarray]:
    """Weekly totals per group and draw, (groups, draws, weeks + 1), for each grouping.

    Every invoice's payment week is drawn once per draw and summed under every grouping, so
    the total, the currencies, the tiers and the owners come from the same simulated futures.
    The draws are summed once, by the invoices' combination of groups (a few hundred at most
    in practice), and each grouping's totals are added up from those combinations.
    """
    if not len(probs):
        return _draw_weekly_totals(probs, amounts, groupings, settings)
    combos, combo_of = np.unique(np.stack([codes for codes, _ in groupings], axis=1), axis=0, return_inverse=True)
    if len(combos) > 4096:  # so many combinations that summing per grouping directly is cheaper
        return _draw_weekly_totals(probs, amounts, groupings, settings)
    (by_combo,) = _draw_weekly_totals(probs, amounts, [(combo_of.ravel(), len(combos))], settings)
    out = []
    for j, (_, n) in enumerate(groupings):
        totals = np.zeros((n, settings.draws, probs.shape[1]))
        np.add.at(totals, combos[:, j], by_combo)
        out.append(totals)
    return out


def _draw_weekly_totals(probs: np.ndarray, amounts: np.ndarray, groupings: list[tuple[np.ndarray, int]],
                        settings: ForecastSettings) -> list[np.ndarray]:
    """Weekly totals per group and draw for each grouping: every invoice's week drawn per draw."""
    rng = np.random.default_rng(settings.seed)
    cum = np.cumsum(probs, axis=1)
    cum[:, -1] = 1.0
    bins = probs.shape[1]
    outs = [np.zeros(n * settings.draws * bins) for _, n in groupings]
    chunk = max(1, min(100, 5_000_000 // max(len(probs), 1)))  # bounded memory: invoices x chunk draws
    for start in range(0, settings.draws, chunk):
        stop = min(start + chunk, settings.draws)
        u = rng.random((len(probs), stop - start))
        # A byte a draw (the passes below are memory-bound), unless the horizon is over 254 weeks.
        week = np.zeros(u.shape, dtype=np.uint8 if bins < 256 else np.int64)
        for k in range(bins - 1):  # the week a draw falls in: how many cumulative edges it passes
            week += u > cum[:, k : k + 1]
        weights = np.broadcast_to(amounts[:, None], week.shape).ravel()
        draw_week = (np.arange(start, stop)[None, :] * bins + week.astype(np.int64)).ravel()
        for (codes, _), out in zip(groupings, outs):
            # One flat index per (group, draw, week); bincount sums far faster than np.add.at.
            index = np.repeat(codes, stop - start) * (settings.draws * bins) + draw_week
            out += np.bincount(index, weights=weights, minlength=out.size)
    return [out.reshape(n, settings.draws, bins) for (_, n), out in zip(groupings, outs)]


def forecast(inputs: ForecastInputs, as_of: dt.date, settings: ForecastSettings | None = None,
             currency: str = "USD") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(weekly table by dimension, per-invoice probabilities) for the receivables open at `as_of`."""
    settings = settings or ForecastSettings()
    d = pd.Timestamp(as_of)
    open_inv, probs = week_probabilities(inputs, d, settings)
    amounts = open_inv["outstanding_reporting"].to_numpy() if len(open_inv) else np.zeros(0)
    info = inputs.customers.set_index("customer_id")
    dims = {
        "total": pd.Series("all", index=open_inv.index),
        "currency": open_inv["currency"],
        "tier": open_inv["customer_id"].map(info["tier"]).fillna("standard"),
        "owner": open_inv["customer_id"].map(info["owner_name"]).fillna("(no owner)"),
    }
    rows = []
    factorized = {dimension: pd.factorize(values.astype(str)) for dimension, values in dims.items()}
    simulated = _simulate(probs, amounts, [(codes, max(len(labels), 1)) for codes, labels in factorized.values()],
                          settings)
    for (dimension, (codes, labels)), sims in zip(factorized.items(), simulated):
        labels = list(labels) if len(labels) else (["all"] if dimension == "total" else [])
        expected = np.zeros((max(len(labels), 1), probs.shape[1]))
        np.add.at(expected, codes, probs * amounts[:, None])
        cumulative = np.cumsum(sims, axis=2)
        for g, label in enumerate(labels):
            for k in range(settings.weeks):
                start = d + pd.Timedelta(days=7 * k + 1)
                rows.append({
                    "as_of": as_of, "currency": currency, "dimension": dimension, "dimension_value": label,
                    "week": k + 1, "start": start.date(), "end": (start + pd.Timedelta(days=6)).date(),
                    "expected": float(expected[g, k]),
                    "p10": float(np.quantile(sims[g, :, k], 0.1)),
                    "p50": float(np.quantile(sims[g, :, k], 0.5)),
                    "p90": float(np.quantile(sims[g, :, k], 0.9)),
                    "cumulative_expected": float(expected[g, : k + 1].sum()),
                    "cumulative_p10": float(np.quantile(cumulative[g, :, k], 0.1)),
                    "cumulative_p90": float(np.quantile(cumulative[g, :, k], 0.9)),
                })
    invoice_probs = pd.DataFrame(probs, columns=[f"p_week_{k:02d}" for k in range(1, settings.weeks + 1)] + ["p_later"])
    per_invoice = pd.concat([open_inv[["invoice_id", "customer_id", "currency", "due_date", "outstanding",
                                       "outstanding_reporting", "is_disputed"]].reset_index(drop=True),
                             invoice_probs], axis=1) if len(open_inv) else invoice_probs
    if len(open_inv):
        per_invoice["expected_in_horizon"] = per_invoice["outstanding_reporting"] * (1 - per_invoice["p_later"])
        per_invoice.insert(0, "as_of", as_of)
    return pd.DataFrame(rows), per_invoice
