with source as (
    select * from {{ source('raw', 'mail_messages') }}
),

renamed as (
    select
        message_id,
        lower(from_address) as from_address,
        subject,
        cast(sent_at as timestamp) as sent_at,
        cast(written_on as date) as written_on_date,
        intent as reply_intent,
        cast(promised_date as date) as promised_date,
        cast(promised_amount as double) as stated_amount,
        dispute_reason,
        cast(paid_date as date) as claimed_paid_date,
        file_name
    from source
)

select * from renamed
