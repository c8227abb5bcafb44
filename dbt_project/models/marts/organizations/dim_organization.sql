{{ config(
    indexes=[
        {'columns': ['enterprise_code']},
        {'columns': ['registration_number']},
        {'columns': ['agency_code']},
        {'columns': ['organization_type', 'current_commune_code']},
        {'columns': ['legacy_commune_code']},
        {'columns': ['industry_code']},
        {'columns': ['parent_organization_id']},
        {'columns': ['organization_name_key gin_trgm_ops'], 'type': 'gin'},
        {'columns': ['address_key gin_trgm_ops'], 'type': 'gin'},
    ],
) }}

-- One row per organization: enterprises and their branches and household businesses from
-- the business register, state agencies and their units from the cadre system. Codes are
-- decoded by the seeds; every address carries its legacy and its current commune.
with

enterprises as (
    select * from {{ ref('stg_enterprise__enterprises') }}
    where has_valid_enterprise_code
),

household_businesses as (
    select * from {{ ref('stg_enterprise__household_businesses') }}
),

agencies as (
    select * from {{ ref('stg_cadre__agencies') }}
),

legal_forms as (
    select * from {{ ref('legal_form_codes') }}
),

statuses as (
    select * from {{ ref('enterprise_status_codes') }}
),

organizations as (
    select
        {{ stable_id('enterprise', 'enterprise_code') }} as organization_id,
        organization_type,
        enterprise_code,
        null::text as registration_number,
        null::text as agency_code,
        organization_name,
        organization_name_key,
        legal_form_code,
        industry_code,
        industry_division_code,
        status,
        charter_capital_vnd,
        case
            when parent_enterprise_code is not null
                then {{ stable_id('enterprise', 'parent_enterprise_code') }}
        end as parent_organization_id,
        null::text as government_level,
        legacy_commune_code,
        current_commune_code,
        address_line,
        registered_on,
        'enterprise' as source_system,
        source_updated_at
    from enterprises
    union all
    select
        {{ stable_id('household_business', 'registration_number') }} as organization_id,
        'household_business' as organization_type,
        null as enterprise_code,
        registration_number,
        null as agency_code,
        organization_name,
        organization_name_key,
        null as legal_form_code,
        industry_code,
        industry_division_code,
        status,
        null as charter_capital_vnd,
        null as parent_organization_id,
        null as government_level,
        legacy_commune_code,
        current_commune_code,
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
        agency_name_key as organization_name_key,
        null as legal_form_code,
        null as industry_code,
        null as industry_division_code,
        'active' as status,
        null as charter_capital_vnd,
        case
            when parent_agency_code is not null
                then {{ stable_id('state_agency', 'parent_agency_code') }}
        end as parent_organization_id,
        government_level,
        legacy_commune_code,
        current_commune_code,
        null as address_line,
        null as registered_on,
        'cadre' as source_system,
        source_updated_at
    from agencies
),

sections as (
    select * from {{ ref('vsic_sections') }}
),

divisions as (
    select * from {{ ref('vsic_divisions') }}
),

communes as (
    select * from {{ ref('stg_reference__admin_units') }}
    where level = 'commune'
),

final as (
    select
        organizations.organization_id,
        organizations.organization_type,
        organizations.enterprise_code,
        organizations.registration_number,
        organizations.agency_code,
        organizations.organization_name,
        organizations.organization_name_key,
        organizations.legal_form_code,
        legal_forms.name_vi as legal_form_name_vi,
        legal_forms.name_en as legal_form_name_en,
        organizations.industry_code,
        organizations.industry_division_code,
        divisions.name_vi as industry_division_name_vi,
        divisions.name_en as industry_division_name_en,
        sections.section_code as industry_section_code,
        sections.name_vi as industry_section_name_vi,
        sections.name_en as industry_section_name_en,
        organizations.status,
        statuses.name_vi as status_name_vi,
        statuses.name_en as status_name_en,
        organizations.charter_capital_vnd,
        organizations.parent_organization_id,
        organizations.government_level,
        organizations.legacy_commune_code,
        organizations.current_commune_code,
        organizations.address_line,
        -- The address with the names of its commune on both maps, for a search by street,
        -- ward or former commune typed without diacritics (trigram index).
        util.name_key(concat_ws(
            ' ', organizations.address_line, current_communes.admin_unit_name,
            legacy_communes.admin_unit_name
        )) as address_key,
        organizations.registered_on,
        organizations.source_system,
        organizations.source_updated_at
    from organizations
    left join legal_forms on organizations.legal_form_code = legal_forms.legal_form_code
    left join statuses on organizations.status = statuses.status
    left join divisions
        on organizations.industry_division_code = divisions.division_code
    left join communes as current_communes
        on
            current_communes.generation = 'current'
            and organizations.current_commune_code = current_communes.admin_unit_code
    left join communes as legacy_communes
        on
            legacy_communes.generation = 'legacy'
            and organizations.legacy_commune_code = legacy_communes.admin_unit_code
    left join sections
        on
            {{ vsic_division('organizations.industry_code') }}
            between sections.first_division and sections.last_division
)

select * from final
