{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ take_up_changed_identity_groups(
        ref('int_persons__identities'), ref('int_persons__households')
    ) }}",
    tags=['entity_resolution'],
    indexes=[{'columns': ['identity_key'], 'unique': true}],
) }}

-- Person mentions grouped by the identity they are resolved from (int_persons__identities:
-- the identity number they carry, unless disputed), with what each group says about its
-- person, where it lives and was born (int_persons__places) included. Linking the groups
-- to each other is int_persons__links' job.
--
-- Built incrementally (incremental_mentions): a build computes again the groups whose
-- members, what they say or their household changed since the last.
with

mentions as (
    select * from {{ ref('int_persons__mentions') }}
),

identities as (
    select * from {{ ref('int_persons__identities') }}
    {% if is_incremental() -%}
        where identity_key in (
            select changed.identity_key from {{ changed_identity_groups() }} as changed
        )
    {%- endif %}
),

places as (
    select * from {{ ref('int_persons__places') }}
),

households as (
    select * from {{ ref('int_persons__households') }}
),

keyed as (
    select
        identities.identity_key,
        split_part(identities.identity_key, ':', 1) as identity_kind,
        identities.personal_id_number,
        identities.has_disputed_identity_number,
        mentions.full_name_key,
        mentions.name_match_key,
        mentions.sex,
        mentions.birth_date,
        util.birth_day(mentions.birth_date, mentions.birth_date_precision) as birth_day,
        mentions.source_table = 'khai_sinh' and mentions.role = 'subject'
            as is_registered_birth,
        mentions.source_rank,
        identities.person_mention_id,
        identities._batch_id
    from mentions
    inner join identities on mentions.person_mention_id = identities.person_mention_id
),

groups as (
    select
        identity_key,
        identity_kind,
        count(*) as mention_count,
        bool_or(is_registered_birth) as has_registered_birth,
        min(source_rank) as best_source_rank,
        bool_or(has_disputed_identity_number) as has_disputed_identity_number,
        -- A disputed record's ID number, which its group does not stand for.
        case when identity_kind = 'personal_id' then min(personal_id_number) end
            as personal_id_number,
        array_agg(distinct full_name_key) filter (where full_name_key is not null)
            as name_keys,
        array_agg(distinct name_match_key) filter (where name_match_key is not null)
            as name_match_keys,
        -- What the ID number itself says beats what any record states.
        coalesce(
            case
                when identity_kind = 'personal_id' then
                    util.sex_of_personal_id(min(personal_id_number))
            end,
            case when count(distinct sex) = 1 then min(sex) end
        ) as sex,
        count(distinct sex) > 1 as has_conflicting_sex,
        array_agg(distinct extract(year from birth_date)::integer)
        filter (where birth_date is not null) as stated_birth_years,
        case
            when identity_kind = 'personal_id' then
                util.birth_year_of_personal_id(min(personal_id_number))
        end as id_birth_year,
        array_agg(distinct birth_day) filter (where birth_day is not null) as birth_days,
        {{ members_fingerprint() }} as _members_fingerprint
    from keyed
    group by identity_key, identity_kind
),

-- Where the group's records say its person lives and was born (util.place_level).
group_places as (
    select
        identities.identity_key,
        array_agg(distinct places.legacy_commune_code) filter (
            where places.place_kind = 'residence' and places.legacy_commune_code is not null
        ) as residence_communes,
        array_agg(distinct places.legacy_commune_code || ':' || places.street_key) filter (
            where places.place_kind = 'residence' and places.street_key is not null
        ) as residence_addresses,
        array_agg(distinct places.legacy_commune_code) filter (
            where places.place_kind = 'birth' and places.legacy_commune_code is not null
        ) as birth_communes,
        array_agg(distinct places.current_commune_code) as current_communes
    from places
    inner join identities on places.person_mention_id = identities.person_mention_id
    group by identities.identity_key
),

-- Who the group's records say its person shares a household with (int_persons__households).
group_households as (
    select
        identities.identity_key,
        {{ group_household_ids() }} as household_ids
    from households
    inner join identities on households.person_mention_id = identities.person_mention_id
    group by identities.identity_key
),

final as (
    select
        groups.*,
        group_places.residence_communes,
        group_places.residence_addresses,
        group_places.birth_communes,
        group_places.current_communes,
        group_households.household_ids
    from groups
    left join group_places on groups.identity_key = group_places.identity_key
    left join group_households on groups.identity_key = group_households.identity_key
)

select * from final
