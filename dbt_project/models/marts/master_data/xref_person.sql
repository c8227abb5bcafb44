{{ config(
    tags=['entity_resolution'],
    indexes=[
        {'columns': ['person_id']},
        {'columns': ['source_system', 'source_table', 'source_record_key']},
    ],
) }}

-- Every source record that names a person, with the master person it resolves to, the
-- rule that put it there and how sure that is, and the agency that owns the record.
with

clusters as (
    select * from {{ ref('int_persons__clusters') }}
),

mentions as (
    select * from {{ ref('int_persons__mentions') }}
),

agencies as (
    select * from {{ ref('source_agencies') }}
)

select
    clusters.person_mention_id,
    clusters.person_id,
    clusters.source_system,
    agencies.agency_name_vi as owning_agency_vi,
    agencies.agency_name_en as owning_agency_en,
    clusters.source_table,
    clusters.source_record_key,
    clusters.role,
    clusters.identity_key,
    clusters.anchor_key,
    clusters.match_rule,
    clusters.match_score,
    clusters.match_weight,
    mentions.source_updated_at
from clusters
inner join mentions on clusters.person_mention_id = mentions.person_mention_id
left join agencies on clusters.source_system = agencies.source_system
