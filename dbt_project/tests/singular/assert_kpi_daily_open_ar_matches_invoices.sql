-- Money rule: kpi_daily's open AR equals the sum of outstanding invoice by invoice, computed the
-- direct way (amount minus settlements to that day) on the run date and the last three month
-- ends. (Every month end cost days x invoices: 41 s of a 10M-invoice build for little more cover.)
{{ config(meta={'dagster': {'ref': {'name': 'kpi_daily'}}}) }}
with check_days as (
    select kpi_date as day, open_ar_amount
    from {{ ref('kpi_daily') }}
    where kpi_date = {{ as_of_date() }}
        or (kpi_date = cast(date_trunc('month', kpi_date + 1) as date) - 1
            and kpi_date >= cast(date_trunc('month', {{ as_of_date() }}) as date) - interval '3 months')
),

invoices as (
    select invoice_id, issue_date, invoice_amount_reporting
    from {{ ref('int_invoices_converted') }}
    where is_receivable
),

settlements as (
    select invoice_id, effective_date, settlement_amount_reporting
    from {{ ref('int_settlements_converted') }}
),

outstanding as (
    select
        check_days.day,
        invoices.invoice_id,
        invoices.invoice_amount_reporting - coalesce(sum(settlements.settlement_amount_reporting), 0) as amount
    from check_days
    inner join invoices on invoices.issue_date <= check_days.day
    left join settlements
        on settlements.invoice_id = invoices.invoice_id and settlements.effective_date <= check_days.day
    group by check_days.day, invoices.invoice_id, invoices.invoice_amount_reporting
),

direct as (
    select day, sum(case when amount > 0.005 then amount else 0 end) as direct_open_ar
    from outstanding
    group by day
)

select check_days.day, check_days.open_ar_amount, coalesce(direct.direct_open_ar, 0) as direct_open_ar
from check_days
left join direct on check_days.day = direct.day
where abs(check_days.open_ar_amount - coalesce(direct.direct_open_ar, 0)) > 0.01
