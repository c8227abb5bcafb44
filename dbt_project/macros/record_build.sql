{#-
  on-run-end of `dbt build`: record in the build schema which build this is and whether
  every node succeeded. Publishing (pipelines/dbt/publish.py) refuses a build whose record
  is missing or not 'succeeded', so a build with a failing error-severity test, an error
  or a skipped node is never published.
-#}
{% macro record_build(results) %}
{%- if execute and flags.WHICH == 'build' -%}
{%- set bad = [] -%}
{%- set built = [] -%}
{%- for result in results -%}
{%- if result.status in ['error', 'fail', 'skipped', 'runtime error'] -%}
                {%- do bad.append(result.node.unique_id ~ ': ' ~ result.status) -%}
            {%- elif result.node.resource_type == 'model' and result.status == 'success' -%}
                {%- do built.append(result.node.name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set schema = marts_build_schema() -%}
        create schema if not exists {{ schema }};
        create table if not exists {{ schema }}.kho_build (
            invocation_id text primary key,
            started_at timestamptz not null,
            finished_at timestamptz not null,
            status text not null,
            nodes integer not null,
            failures text[] not null,
            built text[] not null,
            selected text
        );
        insert into {{ schema }}.kho_build values (
            '{{ invocation_id }}',
            '{{ run_started_at.isoformat() }}',
            now(),
            '{{ "failed" if bad else "succeeded" }}',
            {{ results | length }},
            {{ text_array(bad) }},
            {{ text_array(built) }},
            {{ "'" ~ (invocation_args_dict.get('select') | string | replace("'", "''")) ~ "'" if invocation_args_dict.get('select') else 'null' }}
        );
    {%- else -%}
select 1
{%- endif -%}
{% endmacro %}

{% macro text_array(values) -%}
array[{% for v in values %}'{{ v | replace("'", "''") }}'{{ "," if not loop.last }}{% endfor %}]::text[]
{%- endmacro %}
