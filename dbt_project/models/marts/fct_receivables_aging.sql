-- The aged receivables report as of the run date: one row per open invoice with its band.
with invoices as (
    select * from {{ ref('fct_invoices') }}
    where invoice_state = 'open'
),

customers as (
    select customer_id, customer_name, tier, owner_name, country_code from {{ ref('dim_customers') }}
),

final as (
    select
        invoices.as_of_date,
        invoices.invoice_id,
        invoices.invoice_number,
        invoices.customer_id,
        customers.customer_name,
        customers.tier,
        customers.owner_name,
        customers.country_code,
        invoices.issue_date,
        invoices.due_date,
        invoices.days_past_due,
        {{ aging_band('invoices.days_past_due') }} as aging_band,
        {{ aging_band_rank('invoices.days_past_due') }} as aging_band_rank,
        invoices.currency,
        invoices.outstanding_amount,
        invoices.outstanding_amount_reporting,
        invoices.is_disputed,
        invoices.source_url
    from invoices
    left join customers on invoices.customer_id = customers.customer_id
)

select * from final
