-- Money rule: on the run date, each ageing band of kpi_daily (the step sweep) equals the sum of
-- the aged receivables report (invoice by invoice): two computations, one answer.
{{ config(meta={'dagster': {'ref': {'name': 'kpi_daily'}}}) }}
{%- set labels = aging_band_labels() %}
with report as (
    select aging_band, sum(outstanding_amount_reporting) as report_amount
    from {{ ref('fct_receivables_aging') }}
    group by aging_band
),

kpis as (
    select * from {{ ref('kpi_daily') }}
    where kpi_date = {{ as_of_date() }}
),

bands as (
    {%- for label in labels %}
    select '{{ label }}' as aging_band, {{ aging_band_column(label) }}_amount as kpi_amount from kpis
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select bands.aging_band, bands.kpi_amount, coalesce(report.report_amount, 0) as report_amount
from bands
left join report on bands.aging_band = report.aging_band
where abs(bands.kpi_amount - coalesce(report.report_amount, 0)) > 0.01
