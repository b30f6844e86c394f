-- Money rule: over all time, an invoice's active settlements never exceed its amount by more than a cent.
{{ config(meta={'dagster': {'ref': {'name': 'fct_settlements'}}}) }}
with settled as (
    select invoice_id, sum(settlement_amount) as settled_amount
    from {{ ref('fct_settlements') }}
    group by invoice_id
)

select settled.invoice_id, invoices.invoice_amount, settled.settled_amount
from settled
inner join {{ ref('fct_invoices') }} as invoices on settled.invoice_id = invoices.invoice_id
where settled.settled_amount > invoices.invoice_amount + 0.01
