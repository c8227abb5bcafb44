-- Every source record that names an organization, in one shape: the code it carries (an
-- enterprise code, a household-business registration number, a state agency's code), its
-- name and commune where the record states them, and the role it is named in.
with

enterprises as (
    select * from {{ ref('stg_enterprise__enterprises') }}
),

household_businesses as (
    select * from {{ ref('stg_enterprise__household_businesses') }}
),

agencies as (
    select * from {{ ref('stg_cadre__agencies') }}
),

civil_servants as (
    select * from {{ ref('stg_cadre__civil_servants') }}
),

assignments as (
    select * from {{ ref('stg_cadre__assignments') }}
),

land_users as (
    select * from {{ ref('stg_land__land_users') }}
    where holder_type <> 'person'
),

mentions as (
    select
        'enterprise' as source_system,
        'enterprises' as source_table,
        enterprise_code as source_record_key,
        'subject' as role,
        case when has_valid_enterprise_code then 'enterprise:' || enterprise_code end
            as code_key,
        organization_name,
        organization_name_key as name_key,
        legacy_commune_code,
        source_updated_at
    from enterprises
    union all
    select
        'enterprise' as source_system,
        'household_businesses' as source_table,
        registration_number as source_record_key,
        'subject' as role,
        'household_business:' || registration_number as code_key,
        organization_name,
        organization_name_key as name_key,
        legacy_commune_code,
        source_updated_at
    from household_businesses
    union all
    select
        'cadre' as source_system,
        'dm_co_quan' as source_table,
        agency_code as source_record_key,
        'subject' as role,
        'state_agency:' || agency_code as code_key,
        agency_name as organization_name,
        agency_name_key as name_key,
        legacy_commune_code,
        source_updated_at
    from agencies
    union all
    select
        'cadre' as source_system,
        'ho_so_can_bo' as source_table,
        civil_servant_code as source_record_key,
        'agency' as role,
        'state_agency:' || agency_code as code_key,
        null as organization_name,
        null as name_key,
        null as legacy_commune_code,
        source_updated_at
    from civil_servants
    where agency_code is not null
    union all
    select
        'cadre' as source_system,
        'qua_trinh_cong_tac' as source_table,
        assignment_source_id::text as source_record_key,
        'agency' as role,
        'state_agency:' || agency_code as code_key,
        null as organization_name,
        null as name_key,
        null as legacy_commune_code,
        source_updated_at
    from assignments
    where agency_code is not null
    union all
    select
        'land' as source_system,
        'chu_su_dung' as source_table,
        land_user_source_id::text as source_record_key,
        'holder' as role,
        case
            when enterprise_code is not null then 'enterprise:' || enterprise_code
            when household_business_registration_number is not null
                then 'household_business:' || household_business_registration_number
        end as code_key,
        holder_name as organization_name,
        holder_name_key as name_key,
        null as legacy_commune_code,
        source_updated_at
    from land_users
)

select
    {{ row_id('source_system', 'source_table', 'source_record_key', 'role') }}
        as organization_mention_id,
    mentions.*
from mentions
