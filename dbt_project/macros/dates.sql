{#- A date spine, one row per day from start to end inclusive (DuckDB and PostgreSQL). -#}
{% macro date_spine(start_date, end_date) -%}
    select cast(spine_day as date) as day
    from generate_series(
        cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval '1 day'
    ) as spine(spine_day)
{%- endmacro %}

{% macro as_of_date() -%}
    cast('{{ var("as_of") }}' as date)
{%- endmacro %}

{#- The last day of the month before the one holding `day`. -#}
{% macro previous_month_end(day) -%}
    cast(cast(date_trunc('month', {{ day }}) as date) - 1 as date)
{%- endmacro %}

{% macro safe_divide(numerator, denominator) -%}
    ({{ numerator }}) / nullif({{ denominator }}, 0)
{%- endmacro %}
