-- One row per day of the history (first issue date .. the run date) with every figure of
-- kpi-spec.md. Balances come from summing each invoice's balance steps (issue, settlement and
-- band-edge days) as running totals, so the cost is O(events + days), not invoices x days.
{%- set labels = aging_band_labels() %}
{%- set edges = var('aging_band_edges') %}
{%- set window_days = var('dso_window_days') %}
{%- set promise_window = var('promise_window_days') %}
with invoices as (
    select * from {{ ref('int_invoices_converted') }}
    where is_receivable and issue_date <= {{ as_of_date() }}
),

steps as (
    select * from {{ ref('int_invoice_balance_steps') }}
),

promises as (
    select * from {{ ref('int_promises_matched') }}
),

disputes as (
    select * from {{ ref('int_disputes_collected') }}
),

bounds as (
    select min(issue_date) as first_day from invoices
),

spine as (
    {{ date_spine('(select first_day from bounds)', as_of_date()) }}
),

band_deltas as (
    -- A step adds its open amount to its band from its own day, and takes it away again on the
    -- day of the invoice's next step.
    select change_date as event_date, aging_band, open_amount_reporting as delta_amount,
        case when is_open then 1 else 0 end as delta_open_invoices
    from steps
    union all
    select next_change_date, aging_band, -open_amount_reporting,
        case when is_open then -1 else 0 end
    from steps
    where next_change_date is not null
),

daily_balance_deltas as (
    select
        event_date,
        {%- for label in labels %}
        sum(case when aging_band = '{{ label }}' then delta_amount else 0 end) as {{ aging_band_column(label) }}_delta,
        {%- endfor %}
        sum(delta_open_invoices) as open_invoices_delta
    from band_deltas
    where event_date <= {{ as_of_date() }}
    group by event_date
),

daily_sales as (
    select issue_date as event_date, sum(invoice_amount_reporting) as sales_amount, count(*) as invoices_issued
    from invoices
    group by issue_date
),

first_disputes as (
    select invoice_id, min(disputed_on_date) as first_disputed_on_date
    from disputes
    group by invoice_id
),

daily_disputes as (
    -- Month to date, an invoice counts as disputed from the day its dispute is known, and only
    -- in the month it was issued (kpi-spec: disputed invoices issued in the period).
    select
        greatest(invoices.issue_date, first_disputes.first_disputed_on_date) as event_date,
        count(*) as disputed_invoices,
        sum(invoices.invoice_amount_reporting) as disputed_amount
    from invoices
    inner join first_disputes on invoices.invoice_id = first_disputes.invoice_id
    where date_trunc('month', greatest(invoices.issue_date, first_disputes.first_disputed_on_date))
        = date_trunc('month', invoices.issue_date)
    group by 1
),

daily_promises as (
    select
        matures_on_date as event_date,
        sum(case when promise_status = 'kept' then 1 else 0 end) as promises_kept,
        sum(case when promise_status = 'partially_kept' then 1 else 0 end) as promises_partially_kept,
        sum(case when promise_status = 'broken' then 1 else 0 end) as promises_broken,
        sum(promised_amount_reporting) as promised_amount,
        sum(kept_amount_reporting) as kept_amount
    from promises
    where promise_status in ('kept', 'partially_kept', 'broken')
    group by matures_on_date
),

running as (
    select
        spine.day,
        {%- for label in labels %}
        sum(coalesce(b.{{ aging_band_column(label) }}_delta, 0)) over to_date as {{ aging_band_column(label) }}_amount,
        {%- endfor %}
        sum(coalesce(b.open_invoices_delta, 0)) over to_date as open_invoices,
        sum(coalesce(s.sales_amount, 0)) over dso_window as sales_window_amount,
        sum(coalesce(s.sales_amount, 0)) over month_to_date as sales_mtd_amount,
        sum(coalesce(s.invoices_issued, 0)) over month_to_date as invoices_issued_mtd,
        sum(coalesce(d.disputed_invoices, 0)) over month_to_date as disputed_invoices_mtd,
        sum(coalesce(d.disputed_amount, 0)) over month_to_date as disputed_amount_mtd,
        {%- for column in ['promises_kept', 'promises_partially_kept', 'promises_broken', 'promised_amount', 'kept_amount'] %}
        sum(coalesce(p.{{ column }}, 0)) over promise_window as window_{{ column }},
        {%- endfor %}
        sum(coalesce(s.sales_amount, 0)) over (partition by date_trunc('month', spine.day)) as month_sales_amount
    from spine
    left join daily_balance_deltas as b on spine.day = b.event_date
    left join daily_sales as s on spine.day = s.event_date
    left join daily_disputes as d on spine.day = d.event_date
    left join daily_promises as p on spine.day = p.event_date
    window
        to_date as (order by spine.day rows between unbounded preceding and current row),
        month_to_date as (
            partition by date_trunc('month', spine.day) order by spine.day
            rows between unbounded preceding and current row
        ),
        dso_window as (order by spine.day rows between {{ window_days - 1 }} preceding and current row),
        promise_window as (order by spine.day rows between {{ promise_window - 1 }} preceding and current row)
),

balances as (
    select
        *,
        {% for label in labels %}{{ aging_band_column(label) }}_amount{% if not loop.last %} + {% endif %}{% endfor %}
            as open_ar_amount,
        aging_current_amount as current_ar_amount,
        {#- over 60: the bands whose lower edge is past 60 days (61-90 and 90+ by default) #}
        {%- set over = [] %}
        {%- for label in labels[1:] %}
            {%- set low = 1 if loop.first else edges[loop.index0 - 1] + 1 %}
            {%- if low > 60 %}{% do over.append(aging_band_column(label) ~ '_amount') %}{% endif %}
        {%- endfor %}
        {{ over | join(' + ') if over else '0' }} as over_60_ar_amount
    from running
),

months as (
    select
        cast(date_trunc('month', day) as date) as month_start,
        count(*) as days_in_spine,
        max(month_sales_amount) as month_sales_amount
    from balances
    group by 1
),

months_cumulative as (
    select
        month_start,
        month_sales_amount,
        -- whole months: the calendar length, even for the first, partial month of the spine
        cast(cast(month_start + interval '1 month' as date) - month_start as integer) as month_days,
        sum(month_sales_amount) over (order by month_start rows between unbounded preceding and current row)
            as cumulative_sales_amount
    from months
),

countback_terms as (
    -- kpi-spec countback DSO, set-based: walking back month by month, a month contributes all of
    -- its days while the open AR left exceeds its sales, then a fraction, then nothing.
    select
        b.day,
        b.open_ar_amount,
        m.month_start,
        case when m.month_start = cast(date_trunc('month', b.day) as date)
            then b.sales_mtd_amount else m.month_sales_amount end as sales_amount,
        case when m.month_start = cast(date_trunc('month', b.day) as date)
            then extract(day from b.day) else m.month_days end as month_days,
        case when m.month_start = cast(date_trunc('month', b.day) as date)
            then 0
            else b.sales_mtd_amount + coalesce(prev.cumulative_sales_amount, 0) - m.cumulative_sales_amount
        end as sales_after_month_amount
    from balances as b
    inner join months_cumulative as m on m.month_start <= cast(date_trunc('month', b.day) as date)
    left join months_cumulative as prev
        on prev.month_start = cast(cast(date_trunc('month', b.day) as date) - interval '1 month' as date)
),

countback as (
    select
        day,
        sum(
            case
                when open_ar_amount - sales_after_month_amount <= 0.005 then 0
                when open_ar_amount >= sales_after_month_amount + sales_amount then month_days
                else month_days * (open_ar_amount - sales_after_month_amount) / sales_amount
            end
        ) as dso_countback,
        max(open_ar_amount) - sum(sales_amount) > 0.005 as is_dso_countback_lower_bound
    from countback_terms
    group by day
),

final as (
    select
        b.day as kpi_date,
        '{{ var("reporting_currency") }}' as currency,
        b.open_ar_amount,
        b.current_ar_amount,
        {%- for label in labels %}
        b.{{ aging_band_column(label) }}_amount,
        {%- endfor %}
        b.over_60_ar_amount,
        {{ safe_divide('b.over_60_ar_amount', 'b.open_ar_amount') }} as over_60_share,
        b.open_invoices,
        b.sales_window_amount,
        {{ window_days }} as dso_window_days,
        {{ safe_divide('b.open_ar_amount', 'b.sales_window_amount') }} * {{ window_days }} as dso,
        {{ safe_divide('b.current_ar_amount', 'b.sales_window_amount') }} * {{ window_days }} as bpdso,
        {{ safe_divide('b.open_ar_amount - b.current_ar_amount', 'b.sales_window_amount') }} * {{ window_days }}
            as add_days,
        c.dso_countback,
        c.is_dso_countback_lower_bound,
        b.sales_mtd_amount,
        coalesce(p0.open_ar_amount, 0) as open_ar_previous_month_end_amount,
        {{ safe_divide(
            'coalesce(p0.open_ar_amount, 0) + b.sales_mtd_amount - b.open_ar_amount',
            'coalesce(p0.open_ar_amount, 0) + b.sales_mtd_amount - b.current_ar_amount'
        ) }} * 100 as cei_mtd,
        b.window_promises_kept as promises_kept,
        b.window_promises_partially_kept as promises_partially_kept,
        b.window_promises_broken as promises_broken,
        {{ safe_divide(
            'b.window_promises_kept',
            'b.window_promises_kept + b.window_promises_partially_kept + b.window_promises_broken'
        ) }} as promise_kept_rate,
        {{ safe_divide('b.window_kept_amount', 'b.window_promised_amount') }} as promise_kept_rate_amount,
        b.invoices_issued_mtd,
        b.disputed_invoices_mtd,
        {{ safe_divide('b.disputed_invoices_mtd', 'b.invoices_issued_mtd') }} as dispute_rate_mtd,
        {{ safe_divide('b.disputed_amount_mtd', 'b.sales_mtd_amount') }} as dispute_rate_mtd_amount
    from balances as b
    inner join countback as c on b.day = c.day
    left join balances as p0 on p0.day = {{ previous_month_end('b.day') }}
)

select * from final
