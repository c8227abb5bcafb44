{#- Column sets every staging model that names a person writes the same way. -#}

{#- full_name (clean NFC), full_name_normalized (lower case, one tone placement) and
    full_name_key (no diacritics), from a raw name column. -#}
{% macro person_name_columns(column, prefix='') -%}
    util.clean_text({{ column }}) as {{ prefix }}full_name,
    util.name_normalized({{ column }}) as {{ prefix }}full_name_normalized,
    util.name_key({{ column }}) as {{ prefix }}full_name_key
{%- endmacro %}

{#- The identity number as written, split by kind: a valid 12-digit personal ID number or
    a 9-digit identity card (CMND). Anything else keeps only id_number. -#}
{% macro identity_columns(column, prefix='') -%}
    util.id_digits({{ column }}) as {{ prefix }}id_number,
    util.personal_id_of({{ column }}) as {{ prefix }}personal_id_number,
    util.id_card_of({{ column }}) as {{ prefix }}id_card_number
{%- endmacro %}

{#- A date as the source wrote it, parsed, with how much of it the source knew. -#}
{% macro date_columns(column, name) -%}
    util.parse_date({{ column }}) as {{ name }},
    util.date_precision({{ column }}) as {{ name }}_precision
{%- endmacro %}

{#- Statistics for a freshly built table (autovacuum would get to it too late). -#}
{% macro analyze_table() -%}
    {%- if model.config.materialized in ['table', 'incremental'] -%}
        analyze {{ this }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
