with

source as (
    select * from {{ source('raw_land', 'chu_su_dung') }}
    where _deleted_at is null
),

renamed as (
    select
        id::integer as land_user_source_id,
        case loai_chu when 'CN' then 'person' when 'TC' then 'organization' end as holder_type,
        normalize(btrim(ho_ten), nfc) as holder_name,
        util.name_key(ho_ten) as holder_name_key,
        upper(btrim(loai_giay_to)) as id_document_type,
        regexp_replace(so_giay_to, '[^0-9A-Za-z-]', '', 'g') as id_document_number,
        util.try_date(ngay_sinh, 'DD/MM/YYYY') as birth_date,
        case gioi_tinh when 'Nam' then 'male' when 'Nữ' then 'female' end as sex,
        normalize(btrim(dia_chi), nfc) as address,
        util.try_timestamp(ngay_cap_nhat) as source_updated_at,
        _batch_id,
        _loaded_at
    from source
)

select * from renamed
