{#- Models land in the schema named by their layer (staging, intermediate, marts), not
    "<target>_<layer>": analysts query marts.fct_invoices, whatever the target. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name else target.schema }}
{%- endmacro %}
