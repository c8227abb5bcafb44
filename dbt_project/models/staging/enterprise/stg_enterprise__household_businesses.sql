with

source as (
    select * from {{ source('raw_enterprise', 'household_businesses') }}
    where _deleted_at is null
),

renamed as (
    select
        btrim(registration_no) as registration_number,
        normalize(btrim(business_name), nfc) as organization_name,
        normalize(btrim(owner_name), nfc) as owner_name,
        regexp_replace(owner_id_no, '[^0-9]', '', 'g') as owner_id_number,
        util.try_date(owner_dob, 'YYYY-MM-DD') as owner_birth_date,
        btrim(vsic_code) as industry_code,
        normalize(btrim(address_line), nfc) as address_line,
        btrim(ward_code) as legacy_commune_code,
        util.try_date(registration_date, 'YYYY-MM-DD') as registered_on,
        lower(btrim(status_code)) as status,
        util.try_timestamp(updated_at) as source_updated_at,
        _batch_id,
        _loaded_at
    from source
)

select * from renamed
