with

source as (
    {{ raw_rows('raw_enterprise', 'enterprises') }}
),

renamed as (
    select
        btrim(source.enterprise_code) as enterprise_code,
        util.is_enterprise_code(btrim(source.enterprise_code)) as has_valid_enterprise_code,
        nullif(btrim(source.parent_enterprise_code), '') as parent_enterprise_code,
        case upper(btrim(source.unit_type))
            when 'BRANCH' then 'branch' else 'enterprise'
        end as organization_type,
        util.clean_text(source.name) as organization_name,
        util.name_key(source.name) as organization_name_key,
        upper(btrim(source.legal_form_code)) as legal_form_code,
        btrim(source.main_vsic_code) as industry_code,
        left(btrim(source.main_vsic_code), 2) as industry_division_code,
        lower(btrim(source.status_code)) as status,
        util.try_numeric(source.charter_capital_vnd)::bigint as charter_capital_vnd,
        util.clean_text(source.address_line) as address_line,
        nullif(btrim(source.ward_code), '') as legacy_commune_code,
        communes.current_commune_code,
        util.parse_date(source.registration_date) as registered_on,
        {{ person_name_columns('source.legal_rep_name', 'legal_representative_') }},
        {{ identity_columns('source.legal_rep_id_no', 'legal_representative_') }},
        {{ date_columns('source.legal_rep_dob', 'legal_representative_birth_date') }},
        util.try_timestamp(source.updated_at) as source_updated_at,
        {{ value_notes(
            'source',
            names=['legal_rep_name'],
            identity_numbers=['legal_rep_id_no']
        ) }} as value_notes,
        source._source_key,
        source._batch_id,
        source._loaded_at
    from source
    {{ current_commune_join('source.ward_code') }}
)

select * from renamed
