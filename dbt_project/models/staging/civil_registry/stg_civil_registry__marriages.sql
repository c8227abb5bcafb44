with

source as (
    select * from {{ source('raw_civil_registry', 'ket_hon') }}
    where _deleted_at is null
),

renamed as (
    select
        btrim(so_dang_ky) as marriage_registration_number,
        regexp_replace(chong_so_dinh_danh, '[^0-9]', '', 'g') as husband_personal_id_number,
        normalize(btrim(chong_ho_ten), nfc) as husband_full_name,
        regexp_replace(vo_so_dinh_danh, '[^0-9]', '', 'g') as wife_personal_id_number,
        normalize(btrim(vo_ho_ten), nfc) as wife_full_name,
        util.try_date(ngay_dang_ky, 'DD/MM/YYYY') as registered_on,
        btrim(noi_dang_ky_ma_xa) as registration_legacy_commune_code,
        util.try_timestamp(thoi_diem_cap_nhat) as source_updated_at,
        _batch_id,
        _loaded_at
    from source
)

select * from renamed
