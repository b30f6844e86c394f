-- One row per active settlement of a receivable invoice: payments, credit notes, write-offs.
with settlements as (
    select * from {{ ref('int_settlements_converted') }}
),

invoices as (
    select invoice_id, invoice_number, due_date from {{ ref('int_invoices_converted') }}
),

final as (
    select
        settlements.settlement_id,
        settlements.invoice_id,
        invoices.invoice_number,
        settlements.customer_id,
        settlements.settlement_date,
        settlements.effective_date,
        settlements.settlement_kind,
        settlements.currency,
        settlements.settlement_amount,
        settlements.settlement_amount_reporting,
        settlements.settlement_date - invoices.due_date as days_after_due
    from settlements
    inner join invoices on settlements.invoice_id = invoices.invoice_id
)

select * from final
