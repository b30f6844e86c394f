-- The floor: one hand-written DuckDB script computing what the pipeline computes for the
-- benchmark straight from the same CSV files: ageing as of the run date, kpi_daily's balances
-- and DSO over the whole history, and the segmented receivables with their priority score.
-- benchmarks/bench.py substitutes {ledger}, {crm} and {as_of}.
create or replace temp table inv as
select invoice_id, customer_id, cast(issue_date as date) as issue_date, cast(due_date as date) as due_date,
       cast(amount as double) as amount, cast(fx_rate as double) as fx_rate,
       cast(cast(amount as double) * cast(fx_rate as double) as decimal(38, 6)) as amount_rep
from read_csv('{ledger}/invoices.csv', header = true, all_varchar = true)
where lower(status) not in ('voided', 'deleted', 'draft');

create or replace temp table pay as
select s.invoice_id, greatest(cast(s.settlement_date as date), i.issue_date) as day,
       cast(s.amount as double) as amount,
       cast(cast(s.amount as double) * i.fx_rate as decimal(38, 6)) as amount_rep
from read_csv('{ledger}/settlements.csv', header = true, all_varchar = true) as s
join inv as i using (invoice_id)
where lower(s.status) = 'active';

-- Each invoice's open amount and band as a step function; the day-by-day sums are running totals.
create or replace temp table steps as
with points as (
    select invoice_id, issue_date as day, 0::decimal(38, 6) as paid from inv
    union all select invoice_id, day, amount_rep from pay
    union all select invoice_id, due_date + e, 0 from inv, (values (1), (31), (61), (91)) as t(e)
    where due_date + e > issue_date
), by_day as (
    select invoice_id, day, sum(paid) as paid from points group by all
)
select b.invoice_id, b.day,
       lead(b.day) over (partition by b.invoice_id order by b.day) as next_day,
       i.amount_rep - sum(b.paid) over (partition by b.invoice_id order by b.day) as outstanding,
       case when b.day - i.due_date <= 0 then 0 when b.day - i.due_date <= 30 then 1
            when b.day - i.due_date <= 60 then 2 when b.day - i.due_date <= 90 then 3 else 4 end as band
from by_day as b join inv as i using (invoice_id);

create or replace temp table floor_kpi_daily as
with deltas as (
    select day, band, case when outstanding > 0.005 then outstanding else 0 end as amount from steps
    union all
    select next_day, band, -(case when outstanding > 0.005 then outstanding else 0 end) from steps
    where next_day is not null
), daily as (
    select day,
           sum(amount) filter (where band = 0) as b0, sum(amount) filter (where band = 1) as b1,
           sum(amount) filter (where band = 2) as b2, sum(amount) filter (where band = 3) as b3,
           sum(amount) filter (where band = 4) as b4
    from deltas where day <= date '{as_of}' group by day
), sales as (
    select issue_date as day, sum(amount_rep) as sales from inv group by issue_date
), spine as (
    select unnest(range((select min(issue_date) from inv), date '{as_of}' + 1, interval 1 day))::date as day
), running as (
    select spine.day,
           sum(coalesce(b0, 0)) over w as current_ar,
           sum(coalesce(b0, 0) + coalesce(b1, 0) + coalesce(b2, 0) + coalesce(b3, 0) + coalesce(b4, 0)) over w as open_ar,
           sum(coalesce(b3, 0) + coalesce(b4, 0)) over w as over_60_ar,
           sum(coalesce(sales, 0)) over (order by spine.day rows between 89 preceding and current row) as sales_90
    from spine left join daily using (day) left join sales using (day)
    window w as (order by spine.day rows between unbounded preceding and current row)
)
select day as kpi_date, open_ar, current_ar, over_60_ar, sales_90,
       open_ar / nullif(sales_90, 0) * 90 as dso, current_ar / nullif(sales_90, 0) * 90 as bpdso
from running;

create or replace temp table floor_aging as
with settled as (select invoice_id, sum(amount) as paid from pay where day <= date '{as_of}' group by all)
select i.invoice_id, i.customer_id, date '{as_of}' - i.due_date as days_past_due,
       (i.amount - coalesce(s.paid, 0)) * i.fx_rate as outstanding_rep
from inv as i left join settled as s using (invoice_id)
where i.issue_date <= date '{as_of}' and i.amount - coalesce(s.paid, 0) > 0.005;

create or replace temp table floor_segmented as
with behaviour as (
    select i.customer_id,
           count(*) filter (where i.amount - s.paid <= 0.005) as settled_invoices,
           avg(s.last_day - i.due_date) filter (where i.amount - s.paid <= 0.005) as avg_days_after_due
    from inv as i
    join (select invoice_id, sum(amount) as paid, max(day) as last_day from pay where day <= date '{as_of}'
          group by all) as s using (invoice_id)
    where i.issue_date <= date '{as_of}'
    group by all
), tiers as (
    select ledger_customer_id as customer_id, lower(tier) as tier
    from read_csv('{crm}/companies.csv', header = true, all_varchar = true)
)
select a.invoice_id,
       20 * case when a.days_past_due <= 0 then 0 when a.days_past_due <= 30 then 1 when a.days_past_due <= 60 then 2
                 when a.days_past_due <= 90 then 3 else 4 end
     + 10 * case when a.outstanding_rep < 1000 then 0 when a.outstanding_rep < 10000 then 1
                 when a.outstanding_rep < 50000 then 2 else 3 end
     + case coalesce(t.tier, 'standard') when 'strategic' then 15 when 'key' then 10 when 'standard' then 5 else 0 end
     + case when coalesce(b.settled_invoices, 0) >= 3 and b.avg_days_after_due > 15 then 10 else 0 end
       as priority_score
from floor_aging as a
left join tiers as t using (customer_id)
left join behaviour as b using (customer_id);
