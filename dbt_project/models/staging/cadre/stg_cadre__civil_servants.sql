with

source as (
    {{ raw_rows('raw_cadre', 'ho_so_can_bo') }}
),

renamed as (
    select
        btrim(source.ma_can_bo) as civil_servant_code,
        {{ person_name_columns('source.ho_ten') }},
        {{ date_columns('source.ngay_sinh', 'birth_date') }},
        case btrim(source.gioi_tinh) when '1' then 'male' when '0' then 'female' end as sex,
        {{ identity_columns('source.so_cccd') }},
        nullif(btrim(source.ma_co_quan), '') as agency_code,
        nullif(btrim(source.ma_ngach), '') as grade_code,
        nullif(btrim(source.bac_luong), '')::integer as salary_step,
        util.try_numeric(source.he_so_luong) as salary_coefficient,
        util.clean_text(source.chuc_vu) as position_title,
        util.parse_date(source.ngay_tuyen_dung) as recruited_on,
        case upper(btrim(source.trang_thai))
            when 'DANG_CONG_TAC' then 'active'
            when 'NGHI_VIEC' then 'left'
            else lower(btrim(source.trang_thai))
        end as employment_status,
        util.try_timestamp(source.ngay_sua) as source_updated_at,
        {{ value_notes('source', names=['ho_ten'], identity_numbers=['so_cccd']) }} as value_notes,
        source._source_key,
        source._batch_id,
        source._loaded_at
    from source
)

select * from renamed
