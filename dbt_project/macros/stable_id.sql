{#- A deterministic UUID from a namespace and a natural key: rebuilding gives the same id. -#}
{% macro stable_id(namespace, key_expression) -%}
    md5('{{ namespace }}:' || {{ key_expression }})::uuid
{%- endmacro %}

{#- A deterministic UUID for a row identified by several columns (none of them null). -#}
{% macro row_id() -%}
    md5(concat_ws('|', {{ varargs | join(', ') }}))::uuid
{%- endmacro %}

{#- A parcel's ID from its natural key: legacy commune, map sheet, parcel number. -#}
{% macro land_parcel_id(relation) -%}
    {{ stable_id(
        'land_parcel',
        relation ~ ".legacy_commune_code || ':' || " ~ relation ~ ".map_sheet_number"
        ~ " || ':' || " ~ relation ~ ".parcel_number"
    ) }}
{%- endmacro %}
