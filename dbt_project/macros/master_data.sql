{#-
  The tables of schema master_data that dbt models read. pipelines/master_data/ids.py owns
  and fills them after each publication; no build drops them. Created empty here so that
  the first build of a new warehouse finds them.
-#}
{% macro create_master_data_tables() %}
create schema if not exists master_data;
create table if not exists master_data.person_links (
    identity_key text primary key,
    anchor_key text not null,
    evidence text not null,
    first_published_at timestamptz not null default now(),
    last_published_at timestamptz not null default now()
);
{% endmacro %}
