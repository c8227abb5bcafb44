{{ config(
    indexes=[{'columns': ['person_id']}, {'columns': ['source_system']}],
) }}

-- Persons the civil registry records as deceased whom another register still holds active:
-- still employed (an assignment open after the death), still the legal representative or
-- owner of a business that is not dissolved, or still the sole holder of a current land
-- right. One row per (person, case, record), with the agency that must update the record.
with

persons as (
    select * from {{ ref('dim_person') }}
    where is_deceased
),

employment as (
    select * from {{ ref('fct_employment') }}
    where is_active_after_death
),

enterprise_roles as (
    select * from {{ ref('fct_enterprise_role') }}
    where organization_status is distinct from 'dissolved'
),

land_rights as (
    select * from {{ ref('fct_land_right') }}
    where is_current
),

-- Parcels with one current holder of any kind (a person sharing with an organization is
-- not a sole holder).
sole_holders as (
    select
        land_parcel_id,
        min(land_right_id::text)::uuid as land_right_id
    from land_rights
    group by land_parcel_id
    having count(*) = 1
),

agencies as (
    select * from {{ ref('source_agencies') }}
),

cases as (
    select
        employment.person_id,
        'still_employed' as case_kind,
        'cadre' as source_system,
        'qua_trinh_cong_tac' as source_table,
        employment.assignment_source_id::text as source_record_key,
        employment.organization_id,
        null::uuid as land_parcel_id,
        employment.valid_from as active_since
    from employment
    union all
    select
        enterprise_roles.person_id,
        'still_' || enterprise_roles.role as case_kind,
        'enterprise' as source_system,
        case enterprise_roles.role
            when 'owner' then 'household_businesses' else 'enterprises'
        end as source_table,
        coalesce(organizations.enterprise_code, organizations.registration_number)
            as source_record_key,
        enterprise_roles.organization_id,
        null::uuid as land_parcel_id,
        enterprise_roles.registered_on as active_since
    from enterprise_roles
    inner join {{ ref('dim_organization') }} as organizations
        on enterprise_roles.organization_id = organizations.organization_id
    where enterprise_roles.person_id is not null
    union all
    select
        land_rights.person_id,
        'still_sole_land_user' as case_kind,
        'land' as source_system,
        'quyen_su_dung' as source_table,
        land_rights.land_right_source_id::text as source_record_key,
        null::uuid as organization_id,
        land_rights.land_parcel_id,
        land_rights.valid_from as active_since
    from land_rights
    inner join sole_holders on land_rights.land_right_id = sole_holders.land_right_id
    where land_rights.holder_type = 'person'
)

select
    {{ row_id('cases.case_kind', 'cases.source_table', 'cases.source_record_key') }}
        as case_id,
    cases.person_id,
    persons.full_name,
    persons.death_date,
    cases.case_kind,
    cases.source_system,
    agencies.agency_name_vi as owning_agency_vi,
    agencies.agency_name_en as owning_agency_en,
    cases.source_table,
    cases.source_record_key,
    cases.organization_id,
    cases.land_parcel_id,
    cases.active_since
from cases
inner join persons on cases.person_id = persons.person_id
left join agencies on cases.source_system = agencies.source_system
