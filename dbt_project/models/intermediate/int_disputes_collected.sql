-- Every dispute on a receivable invoice: flagged in the ledger export, or raised in a customer
-- reply. A ledger flag carries no date of its own, so it counts from the invoice's issue date.
with invoices as (
    select * from {{ ref('int_invoices_converted') }}
    where is_receivable
),

messages as (
    select * from {{ ref('stg_mail__messages') }}
),

invoice_refs as (
    select * from {{ ref('stg_mail__invoice_refs') }}
),

ledger_disputes as (
    select
        'ledger:' || invoice_id as dispute_id,
        invoice_id,
        customer_id,
        issue_date as disputed_on_date,
        lower(ledger_dispute_reason) as stated_reason,
        'ledger' as dispute_source,
        cast(null as varchar) as message_id
    from invoices
    where ledger_dispute_reason is not null
),

reply_disputes as (
    select
        messages.message_id || ':' || invoices.invoice_id as dispute_id,
        invoices.invoice_id,
        invoices.customer_id,
        messages.written_on_date as disputed_on_date,
        messages.dispute_reason as stated_reason,
        'email reply' as dispute_source,
        messages.message_id
    from messages
    inner join invoice_refs on messages.message_id = invoice_refs.message_id
    inner join invoices on invoice_refs.invoice_number = upper(invoices.invoice_number)
    where messages.reply_intent = 'dispute'
),

unioned as (
    select * from ledger_disputes
    union all
    select * from reply_disputes
),

final as (
    select
        dispute_id,
        invoice_id,
        customer_id,
        disputed_on_date,
        case
            when stated_reason in ({% for r in var('dispute_reasons') %}'{{ r }}'{% if not loop.last %}, {% endif %}{% endfor %})
                then stated_reason
            else 'other'
        end as dispute_reason,
        dispute_source,
        message_id
    from unioned
)

select * from final
