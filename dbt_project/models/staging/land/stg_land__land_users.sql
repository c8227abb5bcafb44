with

source as (
    select * from {{ source('raw_land', 'chu_su_dung') }}
    where _deleted_at is null
),

renamed as (
    select
        id::integer as land_user_source_id,
        case upper(btrim(loai_chu))
            when 'CN' then 'person'
            when 'TC' then 'organization'
        end as holder_type,
        util.clean_text(ho_ten) as holder_name,
        util.name_normalized(ho_ten) as holder_name_normalized,
        util.name_key(ho_ten) as holder_name_key,
        upper(btrim(loai_giay_to)) as id_document_type,
        nullif(regexp_replace(so_giay_to, '[^0-9A-Za-z-]', '', 'g'), '') as id_document_number,
        -- The document number by kind: CCCD (12-digit ID), CMND (9-digit card), MST
        -- (enterprise code of an organization).
        case
            when upper(btrim(loai_giay_to)) in ('CCCD', 'CMND')
                then util.personal_id_of(so_giay_to)
        end as personal_id_number,
        case
            when upper(btrim(loai_giay_to)) = 'CMND' then util.id_card_of(so_giay_to)
        end as id_card_number,
        case
            when upper(btrim(loai_giay_to)) = 'MST' and util.is_enterprise_code(btrim(so_giay_to))
                then btrim(so_giay_to)
        end as enterprise_code,
        case
            when upper(btrim(loai_giay_to)) = 'GPKD' then nullif(btrim(so_giay_to), '')
        end as household_business_registration_number,
        {{ date_columns('ngay_sinh', 'birth_date') }},
        case btrim(gioi_tinh) when 'Nam' then 'male' when 'Nữ' then 'female' end as sex,
        util.clean_text(dia_chi) as address,
        util.try_timestamp(ngay_cap_nhat) as source_updated_at,
        _batch_id,
        _loaded_at
    from source
)

select * from renamed
