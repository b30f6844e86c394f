with source as (
    select * from {{ source('raw', 'ar_settlements') }}
),

renamed as (
    select
        settlement_id,
        invoice_id,
        cast(settlement_date as date) as settlement_date,
        cast(amount as double) as settlement_amount,
        lower(coalesce(kind, 'payment')) as settlement_kind,
        lower(coalesce(status, 'active')) = 'active' as is_active,
        _source as source_system,
        _loaded_at as loaded_at
    from source
)

select * from renamed
