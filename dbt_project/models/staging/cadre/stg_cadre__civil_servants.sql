with

source as (
    select * from {{ source('raw_cadre', 'ho_so_can_bo') }}
    where _deleted_at is null
),

renamed as (
    select
        btrim(ma_can_bo) as civil_servant_code,
        normalize(btrim(ho_ten), nfc) as full_name,
        util.name_key(ho_ten) as full_name_key,
        util.try_date(ngay_sinh, 'YYYY-MM-DD') as birth_date,
        case gioi_tinh when '1' then 'male' when '0' then 'female' end as sex,
        regexp_replace(so_cccd, '[^0-9]', '', 'g') as personal_id_number,
        btrim(ma_co_quan) as agency_code,
        btrim(ma_ngach) as grade_code,
        bac_luong::integer as salary_step,
        util.try_numeric(he_so_luong) as salary_coefficient,
        normalize(btrim(chuc_vu), nfc) as position_title,
        util.try_date(ngay_tuyen_dung, 'YYYY-MM-DD') as recruited_on,
        lower(btrim(trang_thai)) as employment_status,
        util.try_timestamp(ngay_sua) as source_updated_at,
        _batch_id,
        _loaded_at
    from source
)

select * from renamed
