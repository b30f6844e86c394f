-- Active settlements of receivable invoices, in the reporting currency at the invoice's rate.
-- A settlement dated before its invoice's issue date takes effect on the issue date, because
-- outstanding(i, d) is only defined from the issue date on.
with settlements as (
    select * from {{ ref('stg_ledger__settlements') }}
),

invoices as (
    select * from {{ ref('int_invoices_converted') }}
),

final as (
    select
        settlements.settlement_id,
        settlements.invoice_id,
        invoices.customer_id,
        settlements.settlement_date,
        greatest(settlements.settlement_date, invoices.issue_date) as effective_date,
        settlements.settlement_kind,
        settlements.settlement_amount,
        invoices.currency,
        cast(settlements.settlement_amount * invoices.fx_rate as decimal(38, 6)) as settlement_amount_reporting
    from settlements
    inner join invoices on settlements.invoice_id = invoices.invoice_id
    where settlements.is_active and invoices.is_receivable
)

select * from final
