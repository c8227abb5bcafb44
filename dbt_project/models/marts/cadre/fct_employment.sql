{{ config(
    indexes=[
        {'columns': ['person_id']},
        {'columns': ['organization_id', 'grade_code']},
    ],
) }}

-- One row per assignment of a civil servant in the career history: agency, position,
-- grade and salary coefficient, from / to. A record that stays open after the person's
-- registered death is flagged (the agency never closed it), not hidden.
with

assignments as (
    select * from {{ ref('stg_cadre__assignments') }}
),

civil_servants as (
    select * from {{ ref('stg_cadre__civil_servants') }}
),

grades as (
    select * from {{ ref('civil_servant_grade_codes') }}
),

-- The death date dim_person holds (its latest registration), so both agree.
deaths as (
    select
        person_id,
        death_date
    from {{ ref('dim_person') }}
    where is_deceased
),

persons as (
    select * from {{ ref('int_persons__clusters') }}
    where source_table = 'ho_so_can_bo' and role = 'subject'
),

final as (
    select
        {{ stable_id('employment', 'assignments.assignment_source_id::text') }}
            as employment_id,
        assignments.assignment_source_id,
        assignments.civil_servant_code,
        persons.person_id,
        civil_servants.full_name,
        case
            when assignments.agency_code is not null
                then {{ stable_id('state_agency', 'assignments.agency_code') }}
        end as organization_id,
        assignments.agency_code,
        assignments.position_title,
        assignments.grade_code,
        grades.name_vi as grade_name_vi,
        grades.name_en as grade_name_en,
        assignments.salary_coefficient,
        assignments.valid_from,
        assignments.valid_to,
        assignments.valid_to is null as is_current,
        coalesce(
            deaths.person_id is not null
            -- Still open after a death whose date the register could not read: after it.
            and (assignments.valid_to is null or assignments.valid_to > deaths.death_date),
            false
        ) as is_active_after_death,
        assignments.source_updated_at
    from assignments
    left join civil_servants
        on assignments.civil_servant_code = civil_servants.civil_servant_code
    left join grades on assignments.grade_code = grades.grade_code
    left join persons on assignments.civil_servant_code = persons.source_record_key
    left join deaths on persons.person_id = deaths.person_id
)

select * from final
