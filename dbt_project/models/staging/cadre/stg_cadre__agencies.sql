with

source as (
    select * from {{ source('raw_cadre', 'dm_co_quan') }}
    where _deleted_at is null
),

renamed as (
    select
        btrim(ma_co_quan) as agency_code,
        normalize(btrim(ten_co_quan), nfc) as agency_name,
        nullif(btrim(ma_co_quan_cha), '') as parent_agency_code,
        case cap_hanh_chinh
            when 'TINH' then 'province'
            when 'HUYEN' then 'district'
            when 'XA' then 'commune'
        end as government_level,
        btrim(ma_dvhc) as legacy_commune_code,
        util.try_timestamp(ngay_sua) as source_updated_at,
        _batch_id,
        _loaded_at
    from source
)

select * from renamed
