{#- Ageing bands of kpi-spec.md, from the `aging_band_edges` setting (default 30, 60, 90):
    'current' (days past due <= 0), '1-30', '31-60', '61-90', '90+'. -#}
{% macro aging_band_labels() -%}
    {%- set edges = var('aging_band_edges') -%}
    {%- set labels = ['current'] -%}
    {%- set low = namespace(value=1) -%}
    {%- for edge in edges -%}
        {%- do labels.append(low.value ~ '-' ~ edge) -%}
        {%- set low.value = edge + 1 -%}
    {%- endfor -%}
    {%- do labels.append(edges[-1] ~ '+') -%}
    {{ return(labels) }}
{%- endmacro %}

{#- The column-name form of a band label: '1-30' -> 'aging_1_30', '90+' -> 'aging_90_plus'. -#}
{% macro aging_band_column(label) -%}
    aging_{{ label | replace('-', '_') | replace('+', '_plus') }}
{%- endmacro %}

{% macro aging_band(days_past_due) -%}
    {%- set labels = aging_band_labels() -%}
    {%- set edges = var('aging_band_edges') -%}
    case
        when {{ days_past_due }} <= 0 then 'current'
        {%- for edge in edges %}
        when {{ days_past_due }} <= {{ edge }} then '{{ labels[loop.index] }}'
        {%- endfor %}
        else '{{ labels[-1] }}'
    end
{%- endmacro %}

{#- The band's position, 0 for current: used to order bands and to score priority. -#}
{% macro aging_band_rank(days_past_due) -%}
    {%- set edges = var('aging_band_edges') -%}
    case
        when {{ days_past_due }} <= 0 then 0
        {%- for edge in edges %}
        when {{ days_past_due }} <= {{ edge }} then {{ loop.index }}
        {%- endfor %}
        else {{ edges | length + 1 }}
    end
{%- endmacro %}
