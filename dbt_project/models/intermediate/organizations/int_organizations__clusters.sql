{{ config(
    tags=['entity_resolution'],
    indexes=[
        {'columns': ['source_table', 'source_record_key', 'role'], 'unique': true},
        {'columns': ['organization_id']},
    ],
) }}

-- Every organization mention with the master organization it resolves to. The code a record
-- carries decides (enterprise code, household-business registration number, agency code).
-- A record without one is linked by its name (without diacritics) when exactly one coded
-- organization has that name, in the same commune where the record states one; otherwise it
-- stands alone. organization_id is derived from the anchor alone, as dim_organization does.
with

mentions as (
    select * from {{ ref('int_organizations__mentions') }}
),

coded_names as (
    select distinct
        code_key,
        name_key,
        legacy_commune_code
    from mentions
    where code_key is not null and name_key is not null
),

name_links as (
    select
        uncoded.organization_mention_id,
        min(coded_names.code_key) as code_key
    from mentions as uncoded
    inner join coded_names
        on
            uncoded.name_key = coded_names.name_key
            and (
                uncoded.legacy_commune_code is null
                or uncoded.legacy_commune_code = coded_names.legacy_commune_code
            )
    where uncoded.code_key is null
    group by uncoded.organization_mention_id
    having count(distinct coded_names.code_key) = 1
),

resolved as (
    select
        mentions.organization_mention_id,
        mentions.source_system,
        mentions.source_table,
        mentions.source_record_key,
        mentions.role,
        coalesce(
            mentions.code_key,
            name_links.code_key,
            'mention:' || mentions.organization_mention_id
        ) as anchor_key,
        case
            when mentions.code_key is not null then split_part(mentions.code_key, ':', 1) || '_code'
            when name_links.code_key is not null then 'name_and_commune'
            else 'unmatched'
        end as match_rule,
        case when name_links.code_key is not null then 0.95 else 1.0 end as match_score
    from mentions
    left join name_links
        on mentions.organization_mention_id = name_links.organization_mention_id
)

select
    case split_part(resolved.anchor_key, ':', 1)
        when 'enterprise' then {{ stable_id('enterprise', "split_part(anchor_key, ':', 2)") }}
        when 'household_business'
            then {{ stable_id('household_business', "split_part(anchor_key, ':', 2)") }}
        when 'state_agency' then {{ stable_id('state_agency', "split_part(anchor_key, ':', 2)") }}
        else {{ stable_id('organization', 'anchor_key') }}
    end as organization_id,
    resolved.*
from resolved
