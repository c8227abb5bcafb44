with

source as (
    select * from {{ source('raw_cadre', 'ho_so_can_bo') }}
    where _deleted_at is null
),

renamed as (
    select
        btrim(ma_can_bo) as civil_servant_code,
        {{ person_name_columns('ho_ten') }},
        {{ date_columns('ngay_sinh', 'birth_date') }},
        case btrim(gioi_tinh) when '1' then 'male' when '0' then 'female' end as sex,
        {{ identity_columns('so_cccd') }},
        nullif(btrim(ma_co_quan), '') as agency_code,
        nullif(btrim(ma_ngach), '') as grade_code,
        nullif(btrim(bac_luong), '')::integer as salary_step,
        util.try_numeric(he_so_luong) as salary_coefficient,
        util.clean_text(chuc_vu) as position_title,
        util.parse_date(ngay_tuyen_dung) as recruited_on,
        case upper(btrim(trang_thai))
            when 'DANG_CONG_TAC' then 'active'
            when 'NGHI_VIEC' then 'left'
            else lower(btrim(trang_thai))
        end as employment_status,
        util.try_timestamp(ngay_sua) as source_updated_at,
        _batch_id,
        _loaded_at
    from source
)

select * from renamed
