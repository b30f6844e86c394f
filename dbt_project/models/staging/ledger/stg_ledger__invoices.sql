with source as (
    select * from {{ source('raw', 'ar_invoices') }}
),

renamed as (
    select
        invoice_id,
        coalesce(invoice_number, invoice_id) as invoice_number,
        customer_id,
        cast(issue_date as date) as issue_date,
        cast(due_date as date) as due_date,
        cast(amount as double) as invoice_amount,
        upper(currency) as currency,
        cast(fx_rate as double) as source_fx_rate,
        lower(status) as source_status,
        dispute_reason as ledger_dispute_reason,
        source_url,
        source_file,
        source_line,
        _source as source_system,
        _loaded_at as loaded_at
    from source
)

select * from renamed
