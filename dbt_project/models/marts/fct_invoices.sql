-- One row per invoice in the ledger (voided, deleted and draft ones too, marked as such), with
-- its state, settled and outstanding amounts as of the run date, in invoice and reporting currency.
with invoices as (
    select * from {{ ref('int_invoices_converted') }}
),

settlements as (
    select * from {{ ref('int_settlements_converted') }}
    where effective_date <= {{ as_of_date() }}
),

disputes as (
    select * from {{ ref('int_disputes_collected') }}
    where disputed_on_date <= {{ as_of_date() }}
),

settled as (
    select
        invoice_id,
        sum(settlement_amount) as settled_amount,
        sum(case when settlement_kind = 'payment' then settlement_amount else 0 end) as paid_amount,
        sum(case when settlement_kind = 'credit_note' then settlement_amount else 0 end) as credited_amount,
        sum(case when settlement_kind = 'write_off' then settlement_amount else 0 end) as written_off_amount,
        max(effective_date) as last_settlement_date
    from settlements
    group by invoice_id
),

latest_dispute as (
    select invoice_id, dispute_reason, disputed_on_date, dispute_source
    from (
        select *, row_number() over (partition by invoice_id order by disputed_on_date desc, dispute_id) as recency
        from disputes
    ) as ranked
    where recency = 1
),

final as (
    select
        invoices.invoice_id,
        invoices.invoice_number,
        invoices.customer_id,
        invoices.issue_date,
        invoices.due_date,
        invoices.currency,
        invoices.fx_rate,
        invoices.invoice_amount,
        invoices.invoice_amount_reporting,
        coalesce(settled.settled_amount, 0) as settled_amount,
        coalesce(settled.paid_amount, 0) as paid_amount,
        coalesce(settled.credited_amount, 0) as credited_amount,
        coalesce(settled.written_off_amount, 0) as written_off_amount,
        settled.last_settlement_date,
        case when invoices.is_receivable then invoices.invoice_amount - coalesce(settled.settled_amount, 0) else 0 end
            as outstanding_amount,
        case when invoices.is_receivable
            then (invoices.invoice_amount - coalesce(settled.settled_amount, 0)) * invoices.fx_rate else 0 end
            as outstanding_amount_reporting,
        invoices.source_status,
        case
            when invoices.source_status in ('voided', 'deleted', 'draft') then invoices.source_status
            when invoices.issue_date > {{ as_of_date() }} then 'not_yet_issued'
            when invoices.invoice_amount - coalesce(settled.settled_amount, 0) > 0.005 then 'open'
            when coalesce(settled.written_off_amount, 0) > 0 then 'written_off'
            when coalesce(settled.paid_amount, 0) = 0 then 'credited'
            else 'paid'
        end as invoice_state,
        {{ as_of_date() }} - invoices.due_date as days_past_due,
        latest_dispute.invoice_id is not null as is_disputed,
        latest_dispute.dispute_reason,
        latest_dispute.disputed_on_date,
        invoices.is_receivable,
        invoices.source_system,
        invoices.source_url,
        invoices.source_file,
        invoices.source_line,
        {{ as_of_date() }} as as_of_date
    from invoices
    left join settled on invoices.invoice_id = settled.invoice_id
    left join latest_dispute on invoices.invoice_id = latest_dispute.invoice_id
)

select * from final
