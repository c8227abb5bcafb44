{{ config(
    tags=['entity_resolution'],
    indexes=[
        {'columns': ['source_table', 'source_record_key', 'role'], 'unique': true},
        {'columns': ['person_id']},
    ],
) }}

-- Every person mention with the master person it resolves to. The master is named by its
-- anchor: the 12-digit personal ID when the mention's identity carries one or was linked
-- to one (a mistyped personal ID to the person's right one), else the CMND, else the
-- mention itself. person_id is derived from the anchor alone, so re-running or rebuilding
-- from raw data gives the same IDs; a person first known by a CMND and later linked to a
-- personal ID is a merge (master_data.person_ids keeps the old ID resolving to the new one).
with

mentions as (
    select * from {{ ref('int_persons__mentions') }}
),

identities as (
    select * from {{ ref('int_persons__identities') }}
),

links as (
    select * from {{ ref('int_persons__links') }}
    where is_accepted
),

typos as (
    select * from links
    where outcome = 'identity_number_typo'
),

resolved as (
    select
        mentions.person_mention_id,
        mentions.source_system,
        mentions.source_table,
        mentions.source_record_key,
        mentions.role,
        identities.identity_key,
        -- A link to a mistyped personal ID goes on to the right one.
        coalesce(typos_of_links.anchor_key, links.anchor_key, identities.identity_key)
            as anchor_key,
        case
            when links.outcome = 'identity_number_typo'
                then 'personal_id_typo_linked_by_' || links.evidence
            when identities.has_disputed_identity_number and links.anchor_key is not null
                then 'disputed_id_linked_by_' || links.evidence
            when identities.has_disputed_identity_number then 'disputed_id_unmatched'
            when mentions.personal_id_number is not null then 'personal_id_number'
            when links.anchor_key is not null and mentions.id_card_number is not null
                then 'id_card_linked_by_' || links.evidence
            when links.anchor_key is not null then 'name_linked_by_' || links.evidence
            when mentions.id_card_number is not null then 'id_card_number'
            else 'unmatched'
        end as match_rule,
        coalesce(links.match_score, 1.0) as match_score,
        links.match_weight
    from mentions
    inner join identities on mentions.person_mention_id = identities.person_mention_id
    left join links on identities.identity_key = links.identity_key
    left join typos as typos_of_links on links.anchor_key = typos_of_links.identity_key
)

select
    case
        when resolved.anchor_key like 'personal_id:%'
            then {{ person_id("substr(anchor_key, 13)") }}
        else {{ person_id('anchor_key') }}
    end as person_id,
    resolved.*
from resolved
