-- Invoices with their state and their amount in the reporting currency, converted at the
-- invoice's own rate where the source gives one, else at the rate in force on the issue date,
-- else at the config's static rate (kpi-spec: "converted at the invoice's own rate").
with invoices as (
    select * from {{ ref('stg_ledger__invoices') }}
),

fx_rates as (
    select * from {{ ref('stg_ledger__fx_rates') }}
),

rate_periods as (
    select
        currency,
        rate_date as valid_from_date,
        lead(rate_date) over (partition by currency order by rate_date) as valid_to_date,
        rate_to_reporting
    from fx_rates
),

static_rates as (
    {% set rates = var('static_fx_rates', {}) %}
    select cast('{{ var("reporting_currency") }}' as varchar) as currency, cast(1.0 as double) as rate_to_reporting
    {%- for currency, rate in rates.items() %}
    union all
    select '{{ currency }}', cast({{ rate }} as double)
    {%- endfor %}
),

converted as (
    select
        invoices.*,
        coalesce(
            invoices.source_fx_rate,
            rate_periods.rate_to_reporting,
            static_rates.rate_to_reporting
        ) as fx_rate
    from invoices
    left join rate_periods
        on invoices.currency = rate_periods.currency
        and invoices.issue_date >= rate_periods.valid_from_date
        and (invoices.issue_date < rate_periods.valid_to_date or rate_periods.valid_to_date is null)
    left join static_rates
        on invoices.currency = static_rates.currency
),

final as (
    select
        *,
        -- Exact decimals from here on: running sums of doubles leave residues like -1e-12 that
        -- would turn an empty ledger's ratios into noise instead of null.
        cast(invoice_amount * fx_rate as decimal(38, 6)) as invoice_amount_reporting,
        -- kpi-spec: voided and deleted invoices are excluded everywhere; drafts are not receivables.
        source_status not in ('voided', 'deleted', 'draft') as is_receivable
    from converted
)

select * from final
