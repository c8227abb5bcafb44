{#- A deterministic UUID from a namespace and a natural key: rebuilding gives the same id. -#}
{% macro stable_id(namespace, key_expression) -%}
    md5('{{ namespace }}:' || {{ key_expression }})::uuid
{%- endmacro %}

{#- A person's ID from their anchor (a personal ID number, a CMND, ...): deterministic
    like stable_id, but keyed with the installation's secret (kho_secrets.keys, made by
    kho when it prepares the warehouse), so that nobody holding an ID can find the number
    behind it by hashing candidates. -#}
{% macro person_id(key_expression) -%}
    md5(
        (select k.value from kho_secrets.keys as k where k.name = 'person_id_key')
        || ':person:' || {{ key_expression }}
    )::uuid
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
