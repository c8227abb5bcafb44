{#-
  Models go to the schema their folder names (staging, intermediate, marts), not
  <target>_<schema>; except that marts are written aside, to the build schema (marts_build
  unless the var marts_build_schema says otherwise). kho publishes a build whose tests all
  passed by renaming that schema to marts in one transaction (pipelines/dbt/publish.py):
  the API reads marts only, so it never sees a half-built or failed build. Commands that
  only read (docs generate, compile, show, ...) look at the published marts.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif custom_schema_name | trim == 'marts' -%}
        {{ marts_build_schema() }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

{% macro marts_build_schema() -%}
    {%- if flags.WHICH in ['build', 'run', 'test', 'seed', 'snapshot', 'retry', 'clone'] -%}
        {{ var('marts_build_schema', 'marts_build') }}
    {%- else -%}
        marts
    {%- endif -%}
{%- endmacro %}
