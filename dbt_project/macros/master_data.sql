{#-
  The tables of schema master_data that dbt models read: person_links, which
  pipelines/master_data/ids.py fills after each publication, and person_link_reviews, the
  data stewards' decisions (kho review). No build drops them. Created empty here so that
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
create table if not exists master_data.person_link_reviews (
    identity_key text not null,
    anchor_key text not null,
    decision text not null check (decision in ('accept', 'reject')),
    reviewed_by text not null,
    reviewed_at timestamptz not null default now(),
    note text,
    primary key (identity_key, anchor_key)
);
{% endmacro %}
