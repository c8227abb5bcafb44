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

{#-
  on-run-start: a command that writes (build, run, ...) stops before writing anything if
  its parsed project puts a mart anywhere but the build schema, as a parse cache left by a
  command that only reads would (kho keeps its builds' parse cache apart from dbt's own,
  pipelines/dbt/assets.py; this is the check that it holds).
-#}
{% macro assert_marts_in_build_schema() %}
    {%- if execute -%}
        {%- set expected = marts_build_schema() | trim -%}
        {%- for node in graph.nodes.values() -%}
            {%- if node.resource_type == 'model' and node.fqn[1] == 'marts'
                and node.schema != expected -%}
                {{ exceptions.raise_compiler_error(
                    'the mart ' ~ node.name ~ ' would be built in ' ~ node.schema ~ ', not in '
                    ~ expected ~ ': the project was parsed for another command (a stale '
                    ~ 'parse cache?); nothing was built') }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
