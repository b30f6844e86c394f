-- Each receivable invoice's open amount as a step function of time: one row per day on which
-- its outstanding amount or its ageing band changes (its issue date, each settlement date, and
-- the days it crosses a band edge). kpi_daily sums these steps, so its cost grows with
-- invoice and settlement events plus days, never with invoices x days. A band edge after the
-- day an invoice closed for good (settled in full by its last settlement) would only move a
-- zero amount, so it is left out: most invoices are paid before they reach the later edges.
with invoices as (
    select * from {{ ref('int_invoices_converted') }}
    where is_receivable
),

settlements as (
    select * from {{ ref('int_settlements_converted') }}
),

closed_invoices as (
    select invoices.invoice_id, max(settlements.effective_date) as closed_on_date
    from invoices
    inner join settlements on invoices.invoice_id = settlements.invoice_id
    group by invoices.invoice_id, invoices.invoice_amount_reporting
    having invoices.invoice_amount_reporting - sum(settlements.settlement_amount_reporting) <= 0.005
),

change_points as (
    select invoice_id, issue_date as change_date, cast(0 as decimal(38, 6)) as settled_amount_reporting
    from invoices

    union all

    select invoice_id, effective_date, settlement_amount_reporting
    from settlements

    {% for edge in [0] + var('aging_band_edges') %}
    union all

    select invoices.invoice_id, cast(due_date + {{ edge + 1 }} as date), cast(0 as decimal(38, 6))
    from invoices
    left join closed_invoices on invoices.invoice_id = closed_invoices.invoice_id
    where cast(due_date + {{ edge + 1 }} as date) > issue_date
        and (closed_invoices.closed_on_date is null or cast(due_date + {{ edge + 1 }} as date) <= closed_on_date)
    {% endfor %}
),

points_by_day as (
    select
        invoice_id,
        change_date,
        sum(settled_amount_reporting) as settled_amount_reporting
    from change_points
    group by invoice_id, change_date
),

balances as (
    select
        points_by_day.invoice_id,
        points_by_day.change_date,
        invoices.invoice_amount_reporting - sum(points_by_day.settled_amount_reporting) over (
            by_invoice rows between unbounded preceding and current row
        ) as outstanding_amount_reporting,
        lead(points_by_day.change_date) over by_invoice as next_change_date,
        {{ aging_band('points_by_day.change_date - invoices.due_date') }} as aging_band
    from points_by_day
    inner join invoices on points_by_day.invoice_id = invoices.invoice_id
    -- One window for the running sum and the next step: the rows are sorted once.
    window by_invoice as (partition by points_by_day.invoice_id order by points_by_day.change_date)
),

final as (
    select
        invoice_id,
        change_date,
        next_change_date,
        aging_band,
        outstanding_amount_reporting,
        -- kpi-spec: open when outstanding > 0.005; an overpaid invoice adds nothing.
        outstanding_amount_reporting > 0.005 as is_open,
        case when outstanding_amount_reporting > 0.005 then outstanding_amount_reporting else 0 end
            as open_amount_reporting
    from balances
)

select * from final
