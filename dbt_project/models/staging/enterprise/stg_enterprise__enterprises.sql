with

source as (
    select * from {{ source('raw_enterprise', 'enterprises') }}
    where _deleted_at is null
),

renamed as (
    select
        regexp_replace(enterprise_code, '[^0-9-]', '', 'g') as enterprise_code,
        nullif(regexp_replace(parent_enterprise_code, '[^0-9-]', '', 'g'), '')
            as parent_enterprise_code,
        case upper(unit_type) when 'BRANCH' then 'branch' else 'enterprise' end
            as organization_type,
        normalize(btrim(name), nfc) as organization_name,
        upper(btrim(legal_form_code)) as legal_form_code,
        btrim(main_vsic_code) as industry_code,
        lower(btrim(status_code)) as status,
        charter_capital_vnd::bigint as charter_capital_vnd,
        normalize(btrim(address_line), nfc) as address_line,
        btrim(ward_code) as legacy_commune_code,
        util.try_date(registration_date, 'YYYY-MM-DD') as registered_on,
        normalize(btrim(legal_rep_name), nfc) as legal_representative_name,
        regexp_replace(legal_rep_id_no, '[^0-9]', '', 'g') as legal_representative_id_number,
        util.try_date(legal_rep_dob, 'YYYY-MM-DD') as legal_representative_birth_date,
        util.try_timestamp(updated_at) as source_updated_at,
        _batch_id,
        _loaded_at
    from source
)

select * from renamed
