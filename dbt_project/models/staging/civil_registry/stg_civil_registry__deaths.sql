with

source as (
    select * from {{ source('raw_civil_registry', 'khai_tu') }}
    where _deleted_at is null
),

renamed as (
    select
        btrim(so_dang_ky) as death_registration_number,
        regexp_replace(so_dinh_danh, '[^0-9]', '', 'g') as personal_id_number,
        normalize(btrim(ho_ten), nfc) as full_name,
        util.try_date(ngay_mat, 'DD/MM/YYYY') as death_date,
        btrim(noi_mat_ma_xa) as death_legacy_commune_code,
        util.try_date(ngay_dang_ky, 'DD/MM/YYYY') as registered_on,
        util.try_timestamp(thoi_diem_cap_nhat) as source_updated_at,
        _batch_id,
        _loaded_at
    from source
)

select * from renamed
