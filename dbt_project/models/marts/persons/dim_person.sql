{{ config(
    post_hook=[
        "create index if not exists dim_person_id_number_idx on {{ this }} (personal_id_number)",
    ]
) }}

with

births as (
    select * from {{ ref('stg_civil_registry__births') }}
),

deaths as (
    select * from {{ ref('stg_civil_registry__deaths') }}
),

civil_servants as (
    select * from {{ ref('stg_cadre__civil_servants') }}
),

enterprises as (
    select * from {{ ref('stg_enterprise__enterprises') }}
),

household_businesses as (
    select * from {{ ref('stg_enterprise__household_businesses') }}
),

land_users as (
    select * from {{ ref('stg_land__land_users') }}
),

-- Every record that names a person by a 12-digit personal ID, with the trust given to its
-- source for names and birth facts (1 = most trusted).
person_mentions as (
    select
        personal_id_number,
        full_name,
        sex,
        birth_date,
        birth_legacy_commune_code,
        'civil_registry' as source_system,
        1 as source_rank,
        source_updated_at
    from births
    union all
    select
        personal_id_number,
        full_name,
        sex,
        birth_date,
        null as birth_legacy_commune_code,
        'cadre' as source_system,
        2 as source_rank,
        source_updated_at
    from civil_servants
    union all
    select
        legal_representative_id_number as personal_id_number,
        legal_representative_name as full_name,
        null as sex,
        legal_representative_birth_date as birth_date,
        null as birth_legacy_commune_code,
        'enterprise' as source_system,
        3 as source_rank,
        source_updated_at
    from enterprises
    union all
    select
        owner_id_number as personal_id_number,
        owner_name as full_name,
        null as sex,
        owner_birth_date as birth_date,
        null as birth_legacy_commune_code,
        'enterprise' as source_system,
        3 as source_rank,
        source_updated_at
    from household_businesses
    union all
    select
        id_document_number as personal_id_number,
        holder_name as full_name,
        sex,
        birth_date,
        null as birth_legacy_commune_code,
        'land' as source_system,
        4 as source_rank,
        source_updated_at
    from land_users
    where holder_type = 'person' and id_document_type = 'CCCD'
),

valid_mentions as (
    select * from person_mentions
    where personal_id_number ~ '^[0-9]{12}$'
),

ranked as (
    select
        *,
        row_number() over (
            partition by personal_id_number
            order by source_rank asc, source_updated_at desc nulls last
        ) as preference
    from valid_mentions
),

sources_per_person as (
    select
        personal_id_number,
        array_agg(distinct source_system order by source_system) as source_systems,
        max(source_updated_at) as last_source_update_at
    from valid_mentions
    group by personal_id_number
),

last_deaths as (
    select distinct on (personal_id_number)
        personal_id_number,
        death_date
    from deaths
    where personal_id_number ~ '^[0-9]{12}$'
    order by personal_id_number asc, registered_on desc nulls last
),

final as (
    select
        {{ stable_id('person', 'ranked.personal_id_number') }} as person_id,
        ranked.personal_id_number,
        ranked.full_name,
        util.name_key(ranked.full_name) as full_name_key,
        ranked.sex,
        ranked.birth_date,
        ranked.birth_legacy_commune_code,
        last_deaths.death_date,
        last_deaths.personal_id_number is not null as is_deceased,
        ranked.source_system as attributes_source_system,
        sources_per_person.source_systems,
        sources_per_person.last_source_update_at
    from ranked
    inner join sources_per_person
        on ranked.personal_id_number = sources_per_person.personal_id_number
    left join last_deaths
        on ranked.personal_id_number = last_deaths.personal_id_number
    where ranked.preference = 1
)

select * from final
