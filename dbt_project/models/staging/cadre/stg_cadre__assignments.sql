with

source as (
    {{ raw_rows('raw_cadre', 'qua_trinh_cong_tac') }}
),

renamed as (
    select
        source.id::integer as assignment_source_id,
        btrim(source.ma_can_bo) as civil_servant_code,
        nullif(btrim(source.ma_co_quan), '') as agency_code,
        util.clean_text(source.chuc_vu) as position_title,
        nullif(btrim(source.ma_ngach), '') as grade_code,
        util.try_numeric(source.he_so_luong) as salary_coefficient,
        util.parse_date(source.tu_ngay) as valid_from,
        util.parse_date(source.den_ngay) as valid_to,
        util.try_timestamp(source.ngay_sua) as source_updated_at,
        {{ value_notes('source') }} as value_notes,
        source._source_key,
        source._batch_id,
        source._loaded_at
    from source
)

select * from renamed
