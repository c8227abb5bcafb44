with

source as (
    select * from {{ source('raw_civil_registry', 'khai_sinh') }}
    where _deleted_at is null
),

communes as (
    select * from {{ ref('stg_reference__commune_codes') }}
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
        util.id_digits(source.cha_so_dinh_danh) as father_id_number,
        util.id_digits(source.me_so_dinh_danh) as mother_id_number,
        util.parse_date(source.ngay_dang_ky) as registered_on,
        util.try_timestamp(source.thoi_diem_cap_nhat) as source_updated_at,
        source._batch_id,
        source._loaded_at
    from source
    left join communes on btrim(source.noi_sinh_ma_xa) = communes.commune_code
)

select * from renamed
