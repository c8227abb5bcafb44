with

source as (
    {{ raw_rows('raw_civil_registry', 'khai_tu') }}
),

renamed as (
    select
        btrim(source.so_dang_ky) as death_registration_number,
        {{ identity_columns('source.so_dinh_danh') }},
        {{ person_name_columns('source.ho_ten') }},
        {{ date_columns('source.ngay_mat', 'death_date') }},
        nullif(btrim(source.noi_mat_ma_xa), '') as death_legacy_commune_code,
        communes.current_commune_code as death_current_commune_code,
        util.parse_date(source.ngay_dang_ky) as registered_on,
        util.try_timestamp(source.thoi_diem_cap_nhat) as source_updated_at,
        {{ value_notes('source', names=['ho_ten'], identity_numbers=['so_dinh_danh']) }}
            as value_notes,
        source._source_key,
        source._batch_id,
        source._loaded_at
    from source
    {{ current_commune_join('source.noi_mat_ma_xa') }}
)

select * from renamed
