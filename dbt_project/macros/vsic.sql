{#- The VSIC division (the first two digits) of an industry code as a number, for the
    section it falls in; null when the code does not start with two digits. -#}
{% macro vsic_division(column) -%}
    case when {{ column }} ~ '^[0-9]{2}' then left({{ column }}, 2)::integer end
{%- endmacro %}
