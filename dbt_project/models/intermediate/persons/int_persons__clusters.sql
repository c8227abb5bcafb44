{{ config(
    tags=['entity_resolution'],
    indexes=[
        {'columns': ['source_table', 'source_record_key', 'role'], 'unique': true},
        {'columns': ['person_id']},
    ],
) }}

-- Every person mention with the master person it resolves to. The master is named by its
-- anchor: the 12-digit personal ID when the mention carries one or its CMND group was linked
-- to one, else the CMND, else the mention itself. person_id is derived from the anchor
-- alone, so re-running or rebuilding from raw data gives the same IDs; a person first known
-- by a CMND and later linked to a personal ID is a merge (master_data.person_ids keeps
-- the old ID resolving to the new one).
with

mentions as (
    select * from {{ ref('int_persons__mentions') }}
),

links as (
    select * from {{ ref('int_persons__links') }}
    where is_accepted
),

resolved as (
    select
        mentions.person_mention_id,
        mentions.source_system,
        mentions.source_table,
        mentions.source_record_key,
        mentions.role,
        mentions.identity_key,
        coalesce(links.anchor_key, mentions.identity_key) as anchor_key,
        case
            when mentions.personal_id_number is not null then 'personal_id_number'
            when links.anchor_key is not null and mentions.id_card_number is not null
                then 'id_card_linked_by_' || links.evidence
            when links.anchor_key is not null then 'name_linked_by_' || links.evidence
            when mentions.id_card_number is not null then 'id_card_number'
            else 'unmatched'
        end as match_rule,
        coalesce(links.match_score, 1.0) as match_score
    from mentions
    left join links on mentions.identity_key = links.identity_key
)

select
    case
        when resolved.anchor_key like 'personal_id:%'
            then {{ person_id("substr(anchor_key, 13)") }}
        else {{ person_id('anchor_key') }}
    end as person_id,
    resolved.*
from resolved
