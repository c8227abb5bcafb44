{{ config(
    post_hook=[
        "create index if not exists dim_organization_code_idx on {{ this }} (enterprise_code)",
    ]
) }}

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

crosswalk as (
    select * from {{ ref('stg_reference__admin_unit_crosswalk') }}
    where is_default
),

organizations as (
    select
        {{ stable_id('enterprise', 'enterprise_code') }} as organization_id,
        organization_type,
        enterprise_code,
        null::text as registration_number,
        null::text as agency_code,
        organization_name,
        legal_form_code,
        industry_code,
        status,
        charter_capital_vnd,
        case
            when parent_enterprise_code is not null
                then {{ stable_id('enterprise', 'parent_enterprise_code') }}
        end as parent_organization_id,
        null::text as government_level,
        legacy_commune_code,
        address_line,
        registered_on,
        'enterprise' as source_system,
        source_updated_at
    from enterprises
    where enterprise_code ~ '^[0-9]{10}(-[0-9]{3})?$'
    union all
    select
        {{ stable_id('household_business', 'registration_number') }} as organization_id,
        'household_business' as organization_type,
        null as enterprise_code,
        registration_number,
        null as agency_code,
        organization_name,
        null as legal_form_code,
        industry_code,
        status,
        null as charter_capital_vnd,
        null as parent_organization_id,
        null as government_level,
        legacy_commune_code,
        address_line,
        registered_on,
        'enterprise' as source_system,
        source_updated_at
    from household_businesses
    union all
    select
        {{ stable_id('state_agency', 'agency_code') }} as organization_id,
        'state_agency' as organization_type,
        null as enterprise_code,
        null as registration_number,
        agency_code,
        agency_name as organization_name,
        null as legal_form_code,
        null as industry_code,
        'active' as status,
        null as charter_capital_vnd,
        case
            when parent_agency_code is not null
                then {{ stable_id('state_agency', 'parent_agency_code') }}
        end as parent_organization_id,
        government_level,
        legacy_commune_code,
        null as address_line,
        null as registered_on,
        'cadre' as source_system,
        source_updated_at
    from agencies
),

final as (
    select
        organizations.organization_id,
        organizations.organization_type,
        organizations.enterprise_code,
        organizations.registration_number,
        organizations.agency_code,
        organizations.organization_name,
        util.name_key(organizations.organization_name) as organization_name_key,
        organizations.legal_form_code,
        organizations.industry_code,
        organizations.status,
        organizations.charter_capital_vnd,
        organizations.parent_organization_id,
        organizations.government_level,
        organizations.legacy_commune_code,
        crosswalk.current_commune_code,
        organizations.address_line,
        organizations.registered_on,
        organizations.source_system,
        organizations.source_updated_at
    from organizations
    left join crosswalk
        on organizations.legacy_commune_code = crosswalk.legacy_commune_code
)

select * from final
