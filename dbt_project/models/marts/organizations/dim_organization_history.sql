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
)

select
    dbt_scd_id as organization_version_id,
    organization_id,
    organization_type,
    organization_name,
    legal_form_code,
    industry_code,
    status,
    representative_name,
    case
        when representative_personal_id_number is not null
            then {{ stable_id('person', 'representative_personal_id_number') }}
    end as representative_person_id,
    legacy_commune_code,
    current_commune_code,
    address_line,
    valid_from,
    valid_to,
    valid_to is null as is_current
from versions
