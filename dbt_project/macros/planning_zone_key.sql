-- A planning zone's name as it is matched to the planning_zones code list: lower case,
-- without diacritics, punctuation and extra spaces ("Khu đô thị - thương mại" and
-- "khu do thi thuong mai" match).
{% macro planning_zone_key(column) -%}
    nullif(trim(regexp_replace(util.name_key({{ column }}), '[^a-z0-9]+', ' ', 'g')), '')
{%- endmacro %}
