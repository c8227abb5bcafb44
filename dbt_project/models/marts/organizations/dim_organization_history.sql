{{ config(
    indexes=[
        {'columns': ['organization_id', 'valid_from']},
    ],
) }}

-- Every version of an enterprise, branch or household business kho has seen, valid from
-- the source's update time until the next version (or the record's deletion): asked
-- "as of" a date, the version whose interval contains the date answers. Dates before the
-- first version kho saw have no answer here.
with

enterprises as (
    select * from {{ ref('snp_enterprise__enterprises') }}
    where has_valid_enterprise_code
),

household_businesses as (
    select * from {{ ref('snp_enterprise__household_businesses') }}
),

versions as (
    select
        {{ stable_id('enterprise', 'enterprise_code') }} as organization_id,
        organization_type,
        organization_name,
        legal_form_code,
        industry_code,
        status,
        legal_representative_full_name as representative_name,
        legal_representative_personal_id_number as representative_personal_id_number,
        legacy_commune_code,
        current_commune_code,
        address_line,
        dbt_valid_from as valid_from,
        dbt_valid_to as valid_to,
        dbt_scd_id
    from enterprises
    union all
    select
        {{ stable_id('household_business', 'registration_number') }} as organization_id,
        'household_business' as organization_type,
        organization_name,
        null as legal_form_code,
        industry_code,
        status,
        owner_full_name as representative_name,
        owner_personal_id_number as representative_personal_id_number,
        legacy_commune_code,
        current_commune_code,
        address_line,
        dbt_valid_from as valid_from,
        dbt_valid_to as valid_to,
        dbt_scd_id
    from household_businesses
),

legal_forms as (
    select * from {{ ref('legal_form_codes') }}
),

statuses as (
    select * from {{ ref('enterprise_status_codes') }}
),

sections as (
    select * from {{ ref('vsic_sections') }}
),

divisions as (
    select * from {{ ref('vsic_divisions') }}
),

final as (
    select
        versions.dbt_scd_id as organization_version_id,
        versions.organization_id,
        versions.organization_type,
        versions.organization_name,
        versions.legal_form_code,
        legal_forms.name_vi as legal_form_name_vi,
        legal_forms.name_en as legal_form_name_en,
        versions.industry_code,
        divisions.name_vi as industry_division_name_vi,
        divisions.name_en as industry_division_name_en,
        sections.section_code as industry_section_code,
        sections.name_vi as industry_section_name_vi,
        sections.name_en as industry_section_name_en,
        versions.status,
        statuses.name_vi as status_name_vi,
        statuses.name_en as status_name_en,
        versions.representative_name,
        case
            when versions.representative_personal_id_number is not null
                then {{ person_id('versions.representative_personal_id_number') }}
        end as representative_person_id,
        versions.legacy_commune_code,
        versions.current_commune_code,
        versions.address_line,
        versions.valid_from,
        versions.valid_to,
        versions.valid_to is null as is_current
    from versions
    left join legal_forms on versions.legal_form_code = legal_forms.legal_form_code
    left join statuses on versions.status = statuses.status
    left join divisions
        on left(versions.industry_code, 2) = divisions.division_code
    left join sections
        on
            {{ vsic_division('versions.industry_code') }}
            between sections.first_division and sections.last_division
)

select * from final
