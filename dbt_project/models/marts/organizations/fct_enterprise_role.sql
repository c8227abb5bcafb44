{{ config(
    indexes=[
        {'columns': ['organization_id']},
        {'columns': ['person_id']},
    ],
) }}

-- One row per person holding a role in a business: the legal representative of an
-- enterprise or branch, the owner of a household business, as the register holds it now.
-- Past holders are in the enterprise snapshot (snapshots.snp_enterprise__enterprises).
with

enterprises as (
    select * from {{ ref('stg_enterprise__enterprises') }}
    where has_valid_enterprise_code and legal_representative_full_name is not null
),

household_businesses as (
    select * from {{ ref('stg_enterprise__household_businesses') }}
    where owner_full_name is not null
),

roles as (
    select
        {{ stable_id('enterprise', 'enterprise_code') }} as organization_id,
        'enterprises' as source_table,
        enterprise_code as source_record_key,
        'legal_representative' as role,
        legal_representative_personal_id_number as personal_id_number,
        legal_representative_id_number as id_number,
        legal_representative_full_name as full_name,
        legal_representative_birth_date as birth_date,
        registered_on,
        status as organization_status,
        source_updated_at
    from enterprises
    union all
    select
        {{ stable_id('household_business', 'registration_number') }} as organization_id,
        'household_businesses' as source_table,
        registration_number as source_record_key,
        'owner' as role,
        owner_personal_id_number as personal_id_number,
        owner_id_number as id_number,
        owner_full_name as full_name,
        owner_birth_date as birth_date,
        registered_on,
        status as organization_status,
        source_updated_at
    from household_businesses
),

final as (
    select
        {{ row_id('roles.organization_id::text', 'roles.role') }} as enterprise_role_id,
        roles.organization_id,
        roles.role,
        persons.person_id,
        roles.id_number,
        roles.full_name,
        roles.birth_date,
        roles.registered_on,
        roles.organization_status,
        roles.source_updated_at
    from roles
    left join {{ ref('int_persons__clusters') }} as persons
        on
            roles.source_table = persons.source_table
            and roles.source_record_key = persons.source_record_key
            and roles.role = persons.role
)

select * from final
