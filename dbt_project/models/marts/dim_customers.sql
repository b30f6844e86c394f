-- One row per customer: who they are (tier, owner, country, time zone), how they pay, and
-- their dispute history, as of the run date. Customers without a CRM record are 'standard'.
with customers as (
    select * from {{ ref('stg_ledger__customers') }}
),

companies as (
    select * from {{ ref('stg_crm__companies') }}
),

owners as (
    select * from {{ ref('stg_crm__owners') }}
),

invoices as (
    select * from {{ ref('fct_invoices') }}
    where is_receivable and issue_date <= {{ as_of_date() }}
),

disputes as (
    select * from {{ ref('fct_disputes') }}
),

payment_behaviour as (
    select
        customer_id,
        count(*) filter (where invoice_state in ('paid', 'credited', 'written_off')) as settled_invoices,
        avg(last_settlement_date - due_date) filter (where invoice_state = 'paid') as avg_days_paid_after_due,
        avg(case when last_settlement_date > due_date then 1.0 else 0.0 end) filter (where invoice_state = 'paid')
            as share_paid_late,
        count(*) filter (where invoice_state = 'open') as open_invoices,
        coalesce(sum(outstanding_amount_reporting) filter (where invoice_state = 'open'), 0) as open_ar_amount,
        coalesce(sum(outstanding_amount_reporting) filter (where invoice_state = 'open' and days_past_due > 0), 0)
            as overdue_ar_amount,
        sum(written_off_amount * fx_rate) as written_off_amount_reporting,
        sum(invoice_amount_reporting) as invoiced_amount_reporting
    from invoices
    group by customer_id
),

dispute_history as (
    select
        customer_id,
        count(*) as disputes_total,
        count(*) filter (where disputed_on_date > {{ as_of_date() }} - 365) as disputes_last_365_days,
        max(disputed_on_date) as last_disputed_on_date
    from disputes
    group by customer_id
),

final as (
    select
        customers.customer_id,
        coalesce(companies.company_name, customers.customer_name) as customer_name,
        coalesce(companies.tier, 'standard') as tier,
        companies.company_id as crm_company_id,
        owners.owner_id,
        owners.owner_name,
        owners.owner_email,
        customers.country_code,
        customers.timezone,
        customers.email as contact_email,
        coalesce(payment_behaviour.settled_invoices, 0) as settled_invoices,
        payment_behaviour.avg_days_paid_after_due,
        payment_behaviour.share_paid_late,
        case
            when coalesce(payment_behaviour.settled_invoices, 0) < 3 then 'new'
            when payment_behaviour.avg_days_paid_after_due <= 0 then 'prompt'
            when payment_behaviour.avg_days_paid_after_due <= 15 then 'steady'
            when payment_behaviour.avg_days_paid_after_due <= 45 then 'slow'
            else 'chronic'
        end as payment_behaviour,
        coalesce(payment_behaviour.open_invoices, 0) as open_invoices,
        coalesce(payment_behaviour.open_ar_amount, 0) as open_ar_amount,
        coalesce(payment_behaviour.overdue_ar_amount, 0) as overdue_ar_amount,
        coalesce(dispute_history.disputes_total, 0) as disputes_total,
        coalesce(dispute_history.disputes_last_365_days, 0) as disputes_last_365_days,
        dispute_history.last_disputed_on_date,
        customers.source_system
    from customers
    left join companies on customers.customer_id = companies.customer_id
    left join owners on companies.owner_id = owners.owner_id
    left join payment_behaviour on customers.customer_id = payment_behaviour.customer_id
    left join dispute_history on customers.customer_id = dispute_history.customer_id
)

select * from final
