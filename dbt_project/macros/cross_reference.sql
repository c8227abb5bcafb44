{#- The body of an xref mart: every source record that names an entity ('person' or
    'organization'), with the master record it resolves to, the rule that put it there
    and how sure that is, and the agency that owns the record. extra_columns are the
    entity's own columns of its clusters model, after the shared ones. -#}
{% macro cross_reference(entity, extra_columns=[]) -%}
    with

    clusters as (
        select * from {{ ref('int_' ~ entity ~ 's__clusters') }}
    ),

    mentions as (
        select * from {{ ref('int_' ~ entity ~ 's__mentions') }}
    ),

    agencies as (
        select * from {{ ref('source_agencies') }}
    )

    select
        clusters.{{ entity }}_mention_id,
        clusters.{{ entity }}_id,
        clusters.source_system,
        agencies.agency_name_vi as owning_agency_vi,
        agencies.agency_name_en as owning_agency_en,
        clusters.source_table,
        clusters.source_record_key,
        clusters.role,
        clusters.anchor_key,
        clusters.match_rule,
        clusters.match_score,
    {%- for column in extra_columns %}
            clusters.{{ column }},
    {%- endfor %}
        mentions.source_updated_at
    from clusters
    inner join mentions
        on clusters.{{ entity }}_mention_id = mentions.{{ entity }}_mention_id
    left join agencies on clusters.source_system = agencies.source_system
{%- endmacro %}
