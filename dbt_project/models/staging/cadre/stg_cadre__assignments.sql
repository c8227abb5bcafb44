with

source as (
    select * from {{ source('raw_cadre', 'qua_trinh_cong_tac') }}
    where _deleted_at is null
),

renamed as (
    select
        id::integer as assignment_source_id,
        btrim(ma_can_bo) as civil_servant_code,
        nullif(btrim(ma_co_quan), '') as agency_code,
        util.clean_text(chuc_vu) as position_title,
        nullif(btrim(ma_ngach), '') as grade_code,
        util.try_numeric(he_so_luong) as salary_coefficient,
        util.parse_date(tu_ngay) as valid_from,
        util.parse_date(den_ngay) as valid_to,
        util.try_timestamp(ngay_sua) as source_updated_at,
        _batch_id,
        _loaded_at
    from source
)

select * from renamed
