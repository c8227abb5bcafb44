with

source as (
    {{ raw_rows('raw_cadre', 'dm_co_quan') }}
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
        {{ value_notes('source') }} as value_notes,
        source._source_key,
        source._batch_id,
        source._loaded_at
    from source
    {{ current_commune_join('source.ma_dvhc') }}
)

select * from renamed
