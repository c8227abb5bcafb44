{{ config(
    indexes=[
        {'columns': ['personal_id_number'], 'unique': true},
        {'columns': ['full_name_key gin_trgm_ops'], 'type': 'gin'},
        {'columns': ['birth_current_commune_code']},
        {'columns': ['birth_legacy_commune_code']},
    ],
) }}

-- One row per person known by a valid 12-digit personal ID number in any source. Each
-- attribute comes from the most trusted source that has it (civil registry, then cadre,
-- enterprise, land), the most recently updated record first; its source is kept beside it.
with

mentions as (
    select * from {{ ref('int_persons__mentions') }}
    where personal_id_number is not null
),

deaths as (
    select * from {{ ref('stg_civil_registry__deaths') }}
    where personal_id_number is not null
),

best_name as (
    select distinct on (personal_id_number)
        personal_id_number,
        full_name,
        full_name_normalized,
        full_name_key,
        source_system as full_name_source_system,
        source_updated_at as full_name_source_updated_at
    from mentions
    where full_name is not null
    order by personal_id_number asc, source_rank asc, source_updated_at desc nulls last
),

best_birth as (
    select distinct on (personal_id_number)
        personal_id_number,
        birth_date,
        birth_date_precision,
        source_system as birth_date_source_system,
        source_updated_at as birth_date_source_updated_at
    from mentions
    where birth_date is not null
    -- A full date beats a year alone, whatever its source.
    order by
        personal_id_number asc,
        birth_date_precision = 'year',
        source_rank asc,
        source_updated_at desc nulls last
),

best_sex as (
    select distinct on (personal_id_number)
        personal_id_number,
        sex,
        source_system as sex_source_system
    from mentions
    where sex is not null
    order by personal_id_number asc, source_rank asc, source_updated_at desc nulls last
),

birth_places as (
    select distinct on (personal_id_number)
        personal_id_number,
        birth_legacy_commune_code,
        birth_current_commune_code
    from mentions
    where birth_legacy_commune_code is not null
    order by personal_id_number asc, source_updated_at desc nulls last
),

sources_per_person as (
    select
        personal_id_number,
        array_agg(distinct source_system order by source_system) as source_systems,
        max(source_updated_at) as last_source_update_at
    from mentions
    group by personal_id_number
),

last_deaths as (
    select distinct on (personal_id_number)
        personal_id_number,
        death_date
    from deaths
    order by personal_id_number asc, registered_on desc nulls last
),

final as (
    select
        {{ stable_id('person', 'sources_per_person.personal_id_number') }} as person_id,
        sources_per_person.personal_id_number,
        best_name.full_name,
        best_name.full_name_normalized,
        best_name.full_name_key,
        -- The fourth digit of the ID encodes sex (even: male) when no source states it.
        coalesce(
            best_sex.sex,
            case
                when substr(sources_per_person.personal_id_number, 4, 1)::integer % 2 = 0
                    then 'male'
                else 'female'
            end
        ) as sex,
        best_birth.birth_date,
        best_birth.birth_date_precision,
        birth_places.birth_legacy_commune_code,
        birth_places.birth_current_commune_code,
        last_deaths.death_date,
        last_deaths.personal_id_number is not null as is_deceased,
        best_name.full_name_source_system,
        best_name.full_name_source_updated_at,
        best_birth.birth_date_source_system,
        best_birth.birth_date_source_updated_at,
        coalesce(best_sex.sex_source_system, 'personal_id_number') as sex_source_system,
        coalesce(best_name.full_name_source_system, best_birth.birth_date_source_system)
            as attributes_source_system,
        sources_per_person.source_systems,
        sources_per_person.last_source_update_at
    from sources_per_person
    left join best_name
        on sources_per_person.personal_id_number = best_name.personal_id_number
    left join best_birth
        on sources_per_person.personal_id_number = best_birth.personal_id_number
    left join best_sex
        on sources_per_person.personal_id_number = best_sex.personal_id_number
    left join birth_places
        on sources_per_person.personal_id_number = birth_places.personal_id_number
    left join last_deaths
        on sources_per_person.personal_id_number = last_deaths.personal_id_number
)

select * from final
