-- Promises to pay with their status as of the run date, by kpi-spec.md:
-- a promise matures at promised_date + grace; the settlements of its invoice dated in
-- [made_on, promised_date + grace] are matched to it; matured, it is kept when they reach
-- promised_amount - 0.01, partially kept when above 0, broken when 0; open before it matures.
-- A later promise on the same invoice made before an older one matures supersedes it.
-- Because a superseding promise is made inside the older one's window, the windows of the
-- promises that are not superseded never overlap on an invoice, so "oldest first" matching
-- reduces to each promise taking the settlements inside its own window.
with invoices as (
    select * from {{ ref('int_invoices_converted') }}
    where is_receivable
),

settlements as (
    select * from {{ ref('int_settlements_converted') }}
    where effective_date <= {{ as_of_date() }}
),

messages as (
    select * from {{ ref('stg_mail__messages') }}
    where reply_intent = 'promise' and promised_date is not null
),

invoice_refs as (
    select * from {{ ref('stg_mail__invoice_refs') }}
),

promise_lines as (
    select
        messages.message_id || ':' || invoices.invoice_id as promise_id,
        messages.message_id,
        invoices.invoice_id,
        invoices.customer_id,
        invoices.currency,
        invoices.fx_rate,
        invoices.invoice_amount,
        messages.sent_at,
        messages.written_on_date as made_on_date,
        messages.promised_date,
        cast(messages.promised_date + {{ var('promise_grace_days') }} as date) as matures_on_date,
        messages.stated_amount,
        'email reply' as promise_source
    from messages
    inner join invoice_refs on messages.message_id = invoice_refs.message_id
    inner join invoices on invoice_refs.invoice_number = upper(invoices.invoice_number)
    where messages.written_on_date <= {{ as_of_date() }}
),

settled_before as (
    select
        promise_lines.promise_id,
        coalesce(sum(settlements.settlement_amount), 0) as settled_before_amount
    from promise_lines
    left join settlements
        on promise_lines.invoice_id = settlements.invoice_id
        and settlements.effective_date < promise_lines.made_on_date
    group by promise_lines.promise_id
),

with_amount as (
    select
        promise_lines.*,
        promise_lines.invoice_amount - settled_before.settled_before_amount as outstanding_when_promised_amount,
        -- kpi-spec: the promised amount defaults to the outstanding amount when promised.
        coalesce(
            promise_lines.stated_amount,
            promise_lines.invoice_amount - settled_before.settled_before_amount
        ) as promised_amount
    from promise_lines
    inner join settled_before on promise_lines.promise_id = settled_before.promise_id
),

superseded as (
    select distinct older.promise_id
    from with_amount as older
    inner join with_amount as newer
        on older.invoice_id = newer.invoice_id
        and older.promise_id <> newer.promise_id
        and (newer.made_on_date > older.made_on_date
            or (newer.made_on_date = older.made_on_date and newer.sent_at > older.sent_at))
        and newer.made_on_date < older.matures_on_date
),

matched as (
    select
        with_amount.promise_id,
        coalesce(sum(settlements.settlement_amount), 0) as matched_amount
    from with_amount
    left join settlements
        on with_amount.invoice_id = settlements.invoice_id
        and settlements.effective_date >= with_amount.made_on_date
        and settlements.effective_date <= with_amount.matures_on_date
    group by with_amount.promise_id
),

final as (
    select
        with_amount.promise_id,
        with_amount.message_id,
        with_amount.invoice_id,
        with_amount.customer_id,
        with_amount.promise_source,
        with_amount.made_on_date,
        with_amount.promised_date,
        with_amount.matures_on_date,
        with_amount.currency,
        with_amount.outstanding_when_promised_amount,
        with_amount.promised_amount,
        matched.matched_amount,
        cast(with_amount.promised_amount * with_amount.fx_rate as decimal(38, 6)) as promised_amount_reporting,
        cast(least(matched.matched_amount, with_amount.promised_amount) * with_amount.fx_rate as decimal(38, 6))
            as kept_amount_reporting,
        superseded.promise_id is not null as is_superseded,
        case
            when superseded.promise_id is not null then 'superseded'
            when {{ as_of_date() }} < with_amount.matures_on_date then 'open'
            when matched.matched_amount >= with_amount.promised_amount - 0.01 then 'kept'
            when matched.matched_amount > 0 then 'partially_kept'
            else 'broken'
        end as promise_status
    from with_amount
    inner join matched on with_amount.promise_id = matched.promise_id
    left join superseded on with_amount.promise_id = superseded.promise_id
    -- A promise on an invoice with nothing left to pay promises nothing: it is not counted.
    where with_amount.promised_amount > 0.005
)

select * from final
