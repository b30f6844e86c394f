with source as (
    select * from {{ source('raw', 'crm_owners') }}
),

renamed as (
    select
        owner_id,
        first_name || ' ' || last_name as owner_name,
        lower(email) as owner_email
    from source
)

select * from renamed
