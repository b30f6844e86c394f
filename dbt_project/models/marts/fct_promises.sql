-- One row per promise to pay on one invoice, with its status as of the run date (kpi-spec.md).
with promises as (
    select * from {{ ref('int_promises_matched') }}
),

invoices as (
    select invoice_id, invoice_number, source_url from {{ ref('int_invoices_converted') }}
),

final as (
    select
        promises.promise_id,
        promises.invoice_id,
        invoices.invoice_number,
        promises.customer_id,
        promises.promise_source,
        promises.message_id,
        promises.made_on_date,
        promises.promised_date,
        promises.matures_on_date,
        promises.currency,
        promises.outstanding_when_promised_amount,
        promises.promised_amount,
        promises.matched_amount,
        promises.promised_amount_reporting,
        promises.kept_amount_reporting,
        promises.is_superseded,
        promises.promise_status,
        invoices.source_url
    from promises
    inner join invoices on promises.invoice_id = invoices.invoice_id
)

select * from final
