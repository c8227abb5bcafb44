{{ config(
    tags=['entity_resolution'],
    indexes=[
        {'columns': ['organization_id']},
        {'columns': ['source_system', 'source_table', 'source_record_key']},
    ],
) }}

-- Every source record that names an organization, with the master organization it resolves
-- to, the rule that put it there and how sure that is, and the agency that owns the record.
with

clusters as (
    select * from {{ ref('int_organizations__clusters') }}
),

mentions as (
    select * from {{ ref('int_organizations__mentions') }}
),

agencies as (
    select * from {{ ref('source_agencies') }}
)

select
    clusters.organization_mention_id,
    clusters.organization_id,
    clusters.source_system,
    agencies.agency_name_vi as owning_agency_vi,
    agencies.agency_name_en as owning_agency_en,
    clusters.source_table,
    clusters.source_record_key,
    clusters.role,
    clusters.anchor_key,
    clusters.match_rule,
    clusters.match_score,
    mentions.source_updated_at
from clusters
inner join mentions on clusters.organization_mention_id = mentions.organization_mention_id
left join agencies on clusters.source_system = agencies.source_system
