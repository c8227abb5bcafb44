{{ config(
    indexes=[
        {'columns': ['personal_id_number'], 'unique': true},
        {'columns': ['id_card_number']},
        {'columns': ['full_name_key gin_trgm_ops'], 'type': 'gin'},
        {'columns': ['birth_current_commune_code']},
        {'columns': ['birth_legacy_commune_code']},
    ],
) }}

-- One row per master person, as entity resolution grouped the mentions (int_persons__
-- clusters). Survivorship: each attribute comes from the most trusted source that has it
-- (civil registry, then cadre, enterprise, land), the most recently updated record first; a
-- full birth date beats a year alone; its source and update time are kept beside it.
with

mentions as (
    select
        clusters.person_id,
        clusters.anchor_key,
        mentions.*
    from {{ ref('int_persons__mentions') }} as mentions
    inner join {{ ref('int_persons__clusters') }} as clusters
        on mentions.person_mention_id = clusters.person_mention_id
),

deaths as (
    select
        clusters.person_id,
        deaths.*
    from {{ ref('stg_civil_registry__deaths') }} as deaths
    inner join {{ ref('int_persons__clusters') }} as clusters
        on
            clusters.source_table = 'khai_tu'
            and clusters.role = 'subject'
            and deaths.death_registration_number = clusters.source_record_key
),

best_name as (
    select distinct on (person_id)
        person_id,
        full_name,
        full_name_normalized,
        full_name_key,
        source_system as full_name_source_system,
        source_updated_at as full_name_source_updated_at
    from mentions
    where full_name is not null
    order by
        person_id asc, source_rank asc, source_updated_at desc nulls last, person_mention_id asc
),

best_birth as (
    select distinct on (person_id)
        person_id,
        birth_date,
        birth_date_precision,
        source_system as birth_date_source_system,
        source_updated_at as birth_date_source_updated_at
    from mentions
    where birth_date is not null
    -- A date known to the day beats a year alone (or 1 January), whatever its source.
    order by
        person_id asc,
        util.birth_day(birth_date, birth_date_precision) is null,
        source_rank asc,
        source_updated_at desc nulls last, person_mention_id asc
),

best_sex as (
    select distinct on (person_id)
        person_id,
        sex,
        source_system as sex_source_system
    from mentions
    where sex is not null
    order by
        person_id asc, source_rank asc, source_updated_at desc nulls last, person_mention_id asc
),

birth_places as (
    select distinct on (person_id)
        person_id,
        birth_legacy_commune_code,
        birth_current_commune_code
    from mentions
    where birth_legacy_commune_code is not null
    order by person_id asc, source_updated_at desc nulls last, person_mention_id asc
),

sources_per_person as (
    select
        person_id,
        -- A master holds at most one personal ID, its anchor's: a record under another
        -- number (a mistyped one, or a disputed one, someone else's) does not make it the
        -- person's. People being issued one CMND each, min() picks it.
        min(substr(anchor_key, 13)) filter (where anchor_key like 'personal_id:%')
            as personal_id_number,
        min(id_card_number) as id_card_number,
        count(*) as mention_count,
        array_agg(distinct source_system order by source_system) as source_systems,
        max(source_updated_at) as last_source_update_at
    from mentions
    group by person_id
),

last_deaths as (
    select distinct on (person_id)
        person_id,
        death_date
    from deaths
    order by person_id asc, registered_on desc nulls last
),

final as (
    select
        sources_per_person.person_id,
        sources_per_person.personal_id_number,
        sources_per_person.id_card_number,
        best_name.full_name,
        best_name.full_name_normalized,
        best_name.full_name_key,
        -- The fourth digit of the ID encodes sex (even: male) when no source states it.
        -- The ID number's fourth digit is the state's record of sex: it beats what any
        -- register states (a disagreement is in dq_shared_identity_numbers).
        coalesce(
            util.sex_of_personal_id(sources_per_person.personal_id_number), best_sex.sex
        ) as sex,
        best_birth.birth_date,
        best_birth.birth_date_precision,
        birth_places.birth_legacy_commune_code,
        birth_places.birth_current_commune_code,
        last_deaths.death_date,
        last_deaths.person_id is not null as is_deceased,
        best_name.full_name_source_system,
        best_name.full_name_source_updated_at,
        best_birth.birth_date_source_system,
        best_birth.birth_date_source_updated_at,
        case
            when sources_per_person.personal_id_number is not null then 'personal_id_number'
            else best_sex.sex_source_system
        end as sex_source_system,
        coalesce(best_name.full_name_source_system, best_birth.birth_date_source_system)
            as attributes_source_system,
        sources_per_person.mention_count,
        sources_per_person.source_systems,
        sources_per_person.last_source_update_at
    from sources_per_person
    left join best_name
        on sources_per_person.person_id = best_name.person_id
    left join best_birth
        on sources_per_person.person_id = best_birth.person_id
    left join best_sex
        on sources_per_person.person_id = best_sex.person_id
    left join birth_places
        on sources_per_person.person_id = birth_places.person_id
    left join last_deaths
        on sources_per_person.person_id = last_deaths.person_id
)

select * from final
