with

source as (
    select * from {{ source('raw_civil_registry', 'khai_sinh') }}
    where _deleted_at is null
),

renamed as (
    select
        btrim(so_dang_ky) as birth_registration_number,
        regexp_replace(so_dinh_danh, '[^0-9]', '', 'g') as personal_id_number,
        normalize(btrim(ho_ten), nfc) as full_name,
        util.name_key(ho_ten) as full_name_key,
        case gioi_tinh when 'Nam' then 'male' when 'Nữ' then 'female' end as sex,
        util.try_date(ngay_sinh, 'DD/MM/YYYY') as birth_date,
        btrim(noi_sinh_ma_xa) as birth_legacy_commune_code,
        nullif(regexp_replace(cha_so_dinh_danh, '[^0-9]', '', 'g'), '')
            as father_personal_id_number,
        nullif(regexp_replace(me_so_dinh_danh, '[^0-9]', '', 'g'), '')
            as mother_personal_id_number,
        util.try_date(ngay_dang_ky, 'DD/MM/YYYY') as registered_on,
        util.try_timestamp(thoi_diem_cap_nhat) as source_updated_at,
        _batch_id,
        _loaded_at
    from source
)

select * from renamed
