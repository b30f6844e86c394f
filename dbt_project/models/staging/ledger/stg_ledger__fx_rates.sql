with source as (
    select * from {{ source('raw', 'fx_rates') }}
),

renamed as (
    select
        cast(rate_date as date) as rate_date,
        upper(currency) as currency,
        cast(rate_to_reporting as double) as rate_to_reporting
    from source
)

select * from renamed
