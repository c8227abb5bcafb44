{#- A deterministic UUID from a namespace and a natural key: rebuilding gives the same id. -#}
{% macro stable_id(namespace, key_expression) -%}
    md5('{{ namespace }}:' || {{ key_expression }})::uuid
{%- endmacro %}
