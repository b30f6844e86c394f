with source as (
    select * from {{ source('raw', 'crm_companies') }}
),

renamed as (
    select
        company_id,
        ledger_customer_id as customer_id,
        name as company_name,
        domain,
        lower(tier) as tier,
        owner_id,
        cast(updated_at as timestamp) as updated_at
    from source
)

select * from renamed
