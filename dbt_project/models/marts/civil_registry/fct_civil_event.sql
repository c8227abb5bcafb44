{{ config(
    indexes=[
        {'columns': ['person_id']},
        {'columns': ['event_type', 'event_date']},
    ],
) }}

-- One row per person taking part in a civil-registry event: the child of a birth, the
-- deceased of a death, each spouse of a marriage. Places carry both commune codes.
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
        'death' as event_type,
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
        case
            when events.personal_id_number is not null
                then {{ stable_id('person', 'events.personal_id_number') }}
        end as person_id,
        events.full_name,
        events.event_date,
        events.event_date_precision,
        events.legacy_commune_code,
        events.current_commune_code,
        events.registered_on,
        events.source_updated_at
    from events
)

select * from final
