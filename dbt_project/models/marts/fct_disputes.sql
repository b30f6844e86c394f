-- One row per dispute on an invoice, from the ledger's flag or a customer's reply, with its reason code.
with disputes as (
    select * from {{ ref('int_disputes_collected') }}
    where disputed_on_date <= {{ as_of_date() }}
),

invoices as (
    select invoice_id, invoice_number, invoice_amount_reporting from {{ ref('int_invoices_converted') }}
),

final as (
    select
        disputes.*,
        invoices.invoice_number,
        invoices.invoice_amount_reporting
    from disputes
    inner join invoices on disputes.invoice_id = invoices.invoice_id
)

select * from final
