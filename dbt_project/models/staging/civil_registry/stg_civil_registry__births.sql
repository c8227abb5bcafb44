with

source as (
    {{ raw_rows('raw_civil_registry', 'khai_sinh') }}
),

renamed as (
    select
        btrim(source.so_dang_ky) as birth_registration_number,
        -- A re-registration (key ending .L) repeats an earlier registration of the person.
        btrim(source.so_dang_ky) like '%.L' as is_re_registration,
        {{ identity_columns('source.so_dinh_danh') }},
        {{ person_name_columns('source.ho_ten') }},
        case btrim(source.gioi_tinh) when 'Nam' then 'male' when 'Nữ' then 'female' end as sex,
        {{ date_columns('source.ngay_sinh', 'birth_date') }},
        nullif(btrim(source.noi_sinh_ma_xa), '') as birth_legacy_commune_code,
        communes.current_commune_code as birth_current_commune_code,
        util.identity_number(source.cha_so_dinh_danh) as father_id_number,
        util.identity_number(source.me_so_dinh_danh) as mother_id_number,
        util.parse_date(source.ngay_dang_ky) as registered_on,
        util.try_timestamp(source.thoi_diem_cap_nhat) as source_updated_at,
        {{ value_notes(
            'source',
            names=['ho_ten'],
            identity_numbers=['so_dinh_danh', 'cha_so_dinh_danh', 'me_so_dinh_danh']
        ) }} as value_notes,
        source._source_key,
        source._batch_id,
        source._loaded_at
    from source
    {{ current_commune_join('source.noi_sinh_ma_xa') }}
)

select * from renamed
