with source as (
    select * from {{ source('raw', 'ar_customers') }}
),

renamed as (
    select
        customer_id,
        coalesce(customer_name, customer_id) as customer_name,
        country as country_code,
        timezone,
        lower(email) as email,
        _source as source_system,
        _loaded_at as loaded_at
    from source
)

select * from renamed
