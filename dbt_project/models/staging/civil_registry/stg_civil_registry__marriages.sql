with

source as (
    select * from {{ source('raw_civil_registry', 'ket_hon') }}
    where _deleted_at is null
),

communes as (
    select * from {{ ref('stg_reference__commune_codes') }}
),

renamed as (
    select
        btrim(source.so_dang_ky) as marriage_registration_number,
        {{ identity_columns('source.chong_so_dinh_danh', 'husband_') }},
        {{ person_name_columns('source.chong_ho_ten', 'husband_') }},
        {{ identity_columns('source.vo_so_dinh_danh', 'wife_') }},
        {{ person_name_columns('source.vo_ho_ten', 'wife_') }},
        util.parse_date(source.ngay_dang_ky) as registered_on,
        nullif(btrim(source.noi_dang_ky_ma_xa), '') as registration_legacy_commune_code,
        communes.current_commune_code as registration_current_commune_code,
        util.try_timestamp(source.thoi_diem_cap_nhat) as source_updated_at,
        source._batch_id,
        source._loaded_at
    from source
    left join communes on btrim(source.noi_dang_ky_ma_xa) = communes.commune_code
)

select * from renamed
