{{ config(
    indexes=[
        {'columns': ['person_id']},
        {'columns': ['event_type', 'event_date']},
    ],
) }}

-- One row per person taking part in a civil-registry event: the child and each named parent
-- of a birth, the deceased of a death, each spouse of a marriage, with the master person
-- entity resolution gave it. Places carry both commune codes.
with

births as (
    select * from {{ ref('stg_civil_registry__births') }}
),

deaths as (
    select * from {{ ref('stg_civil_registry__deaths') }}
),

marriages as (
    select * from {{ ref('stg_civil_registry__marriages') }}
),

events as (
    select
        'birth' as event_type,
        'khai_sinh' as source_table,
        birth_registration_number as registration_number,
        'subject' as role,
        personal_id_number,
        full_name,
        birth_date as event_date,
        birth_date_precision as event_date_precision,
        birth_legacy_commune_code as legacy_commune_code,
        birth_current_commune_code as current_commune_code,
        registered_on,
        source_updated_at
    from births
    union all
    select
        'birth' as event_type,
        'khai_sinh' as source_table,
        births.birth_registration_number as registration_number,
        parents.role,
        {{ personal_id_of_read('parents.id_number') }} as personal_id_number,
        null as full_name,
        births.birth_date as event_date,
        births.birth_date_precision as event_date_precision,
        births.birth_legacy_commune_code as legacy_commune_code,
        births.birth_current_commune_code as current_commune_code,
        births.registered_on,
        births.source_updated_at
    from births
    cross join
        lateral (
            values ('father', births.father_id_number), ('mother', births.mother_id_number)
        ) as parents (role, id_number)
    where parents.id_number is not null
    union all
    select
        'death' as event_type,
        'khai_tu' as source_table,
        death_registration_number as registration_number,
        'subject' as role,
        personal_id_number,
        full_name,
        death_date as event_date,
        death_date_precision as event_date_precision,
        death_legacy_commune_code as legacy_commune_code,
        death_current_commune_code as current_commune_code,
        registered_on,
        source_updated_at
    from deaths
    union all
    select
        'marriage' as event_type,
        'ket_hon' as source_table,
        marriage_registration_number as registration_number,
        'husband' as role,
        husband_personal_id_number as personal_id_number,
        husband_full_name as full_name,
        registered_on as event_date,
        'day' as event_date_precision,
        registration_legacy_commune_code as legacy_commune_code,
        registration_current_commune_code as current_commune_code,
        registered_on,
        source_updated_at
    from marriages
    union all
    select
        'marriage' as event_type,
        'ket_hon' as source_table,
        marriage_registration_number as registration_number,
        'wife' as role,
        wife_personal_id_number as personal_id_number,
        wife_full_name as full_name,
        registered_on as event_date,
        'day' as event_date_precision,
        registration_legacy_commune_code as legacy_commune_code,
        registration_current_commune_code as current_commune_code,
        registered_on,
        source_updated_at
    from marriages
),

final as (
    select
        {{ row_id('events.event_type', 'events.registration_number', 'events.role') }}
            as civil_event_id,
        events.event_type,
        events.registration_number,
        events.role,
        persons.person_id,
        events.full_name,
        events.event_date,
        events.event_date_precision,
        events.legacy_commune_code,
        events.current_commune_code,
        events.registered_on,
        events.source_updated_at
    from events
    left join {{ ref('int_persons__clusters') }} as persons
        on
            events.source_table = persons.source_table
            and events.registration_number = persons.source_record_key
            and events.role = persons.role
)

select * from final
