with

source as (
    {{ raw_rows('raw_civil_registry', 'ket_hon') }}
),

renamed as (
    select
        btrim(source.so_dang_ky) as marriage_registration_number,
        {{ identity_columns('source.chong_so_dinh_danh', 'husband_') }},
        {{ person_name_columns('source.chong_ho_ten', 'husband_') }},
        {{ identity_columns('source.vo_so_dinh_danh', 'wife_') }},
        {{ person_name_columns('source.vo_ho_ten', 'wife_') }},
        util.parse_date(source.ngay_dang_ky) as registered_on,
        nullif(btrim(source.noi_dang_ky_ma_xa), '') as registration_legacy_commune_code,
        communes.current_commune_code as registration_current_commune_code,
        util.try_timestamp(source.thoi_diem_cap_nhat) as source_updated_at,
        {{ value_notes(
            'source',
            names=['chong_ho_ten', 'vo_ho_ten'],
            identity_numbers=['chong_so_dinh_danh', 'vo_so_dinh_danh']
        ) }} as value_notes,
        source._source_key,
        source._batch_id,
        source._loaded_at
    from source
    {{ current_commune_join('source.noi_dang_ky_ma_xa') }}
)

select * from renamed
