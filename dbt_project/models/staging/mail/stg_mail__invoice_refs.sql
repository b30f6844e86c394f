with source as (
    select * from {{ source('raw', 'mail_invoice_refs') }}
),

renamed as (
    select distinct
        message_id,
        upper(invoice_number) as invoice_number
    from source
)

select * from renamed
