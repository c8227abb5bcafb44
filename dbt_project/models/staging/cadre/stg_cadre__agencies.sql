with

source as (
    select * from {{ source('raw_cadre', 'dm_co_quan') }}
    where _deleted_at is null
),

communes as (
    select * from {{ ref('stg_reference__commune_codes') }}
),

renamed as (
    select
        btrim(source.ma_co_quan) as agency_code,
        util.clean_text(source.ten_co_quan) as agency_name,
        util.name_key(source.ten_co_quan) as agency_name_key,
        nullif(btrim(source.ma_co_quan_cha), '') as parent_agency_code,
        case upper(btrim(source.cap_hanh_chinh))
            when 'TINH' then 'province'
            when 'HUYEN' then 'district'
            when 'XA' then 'commune'
        end as government_level,
        nullif(btrim(source.ma_dvhc), '') as legacy_commune_code,
        communes.current_commune_code,
        util.try_timestamp(source.ngay_sua) as source_updated_at,
        source._batch_id,
        source._loaded_at
    from source
    left join communes on btrim(source.ma_dvhc) = communes.commune_code
)

select * from renamed
