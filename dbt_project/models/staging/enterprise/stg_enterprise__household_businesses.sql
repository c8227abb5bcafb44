with

source as (
    {{ raw_rows('raw_enterprise', 'household_businesses') }}
),

renamed as (
    select
        btrim(source.registration_no) as registration_number,
        util.clean_text(source.business_name) as organization_name,
        util.name_key(source.business_name) as organization_name_key,
        {{ person_name_columns('source.owner_name', 'owner_') }},
        {{ identity_columns('source.owner_id_no', 'owner_') }},
        {{ date_columns('source.owner_dob', 'owner_birth_date') }},
        btrim(source.vsic_code) as industry_code,
        left(btrim(source.vsic_code), 2) as industry_division_code,
        util.clean_text(source.address_line) as address_line,
        nullif(btrim(source.ward_code), '') as legacy_commune_code,
        communes.current_commune_code,
        util.parse_date(source.registration_date) as registered_on,
        lower(btrim(source.status_code)) as status,
        util.try_timestamp(source.updated_at) as source_updated_at,
        {{ value_notes(
            'source',
            names=['owner_name'],
            identity_numbers=['owner_id_no']
        ) }} as value_notes,
        source._source_key,
        source._batch_id,
        source._loaded_at
    from source
    {{ current_commune_join('source.ward_code') }}
)

select * from renamed
