with

source as (
    select * from {{ source('raw_cadre', 'qua_trinh_cong_tac') }}
    where _deleted_at is null
),

renamed as (
    select
        id::integer as assignment_source_id,
        btrim(ma_can_bo) as civil_servant_code,
        btrim(ma_co_quan) as agency_code,
        normalize(btrim(chuc_vu), nfc) as position_title,
        btrim(ma_ngach) as grade_code,
        util.try_numeric(he_so_luong) as salary_coefficient,
        util.try_date(tu_ngay, 'YYYY-MM-DD') as valid_from,
        util.try_date(den_ngay, 'YYYY-MM-DD') as valid_to,
        util.try_timestamp(ngay_sua) as source_updated_at,
        _batch_id,
        _loaded_at
    from source
)

select * from renamed
