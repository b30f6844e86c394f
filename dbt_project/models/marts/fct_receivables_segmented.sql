-- Open receivables as of the run date with a priority score and the components behind it, so a
-- person sees why an invoice ranks where it does. Points (dbt vars, see dbt_project.yml):
-- ageing band rank x priority_points_per_band; value band index x priority_points_per_value_band;
-- the tier's points; recent disputes x priority_points_per_recent_dispute (capped); and a late
-- payer's points. A disputed invoice keeps its score but is held: it must not be chased.
{%- set value_edges = var('priority_value_bands') %}
{%- set tier_points = var('priority_tier_points') %}
with aging as (
    select * from {{ ref('fct_receivables_aging') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

scored as (
    select
        aging.*,
        customers.payment_behaviour,
        customers.disputes_last_365_days,
        case
            {%- for edge in value_edges %}
            when aging.outstanding_amount_reporting < {{ edge }} then {{ loop.index0 }}
            {%- endfor %}
            else {{ value_edges | length }}
        end as value_band_rank,
        case
            {%- for edge in value_edges %}
            when aging.outstanding_amount_reporting < {{ edge }}
                then '{{ "<" ~ edge if loop.first else value_edges[loop.index0 - 1] ~ "-" ~ edge }}'
            {%- endfor %}
            else '{{ value_edges[-1] }}+'
        end as value_band,
        aging.aging_band_rank * {{ var('priority_points_per_band') }} as aging_points,
        case aging.tier
            {%- for tier, points in tier_points.items() %}
            when '{{ tier }}' then {{ points }}
            {%- endfor %}
            else 0
        end as tier_points,
        least(customers.disputes_last_365_days * {{ var('priority_points_per_recent_dispute') }},
            {{ var('priority_max_dispute_points') }}) as dispute_points,
        case when customers.payment_behaviour in ('slow', 'chronic') then {{ var('priority_late_payer_points') }} else 0 end
            as behaviour_points
    from aging
    left join customers on aging.customer_id = customers.customer_id
),

final as (
    select
        *,
        value_band_rank * {{ var('priority_points_per_value_band') }} as value_points,
        aging_points + value_band_rank * {{ var('priority_points_per_value_band') }} + tier_points
            + dispute_points + behaviour_points as priority_score,
        is_disputed as is_chase_held,
        aging_band || ' days band (' || cast(aging_points as varchar) || ') + value ' || value_band || ' ('
            || cast(value_band_rank * {{ var('priority_points_per_value_band') }} as varchar) || ') + '
            || tier || ' tier (' || cast(tier_points as varchar) || ') + '
            || cast(disputes_last_365_days as varchar) || ' disputes in 365 days (' || cast(dispute_points as varchar)
            || ') + ' || payment_behaviour || ' payer (' || cast(behaviour_points as varchar) || ')'
            || case when is_disputed then '; held: invoice disputed' else '' end as priority_reason
    from scored
)

select * from final
