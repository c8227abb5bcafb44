with

source as (
    select * from {{ source('raw_land', 'thua_dat') }}
    where _deleted_at is null
),

renamed as (
    select
        id::integer as land_parcel_source_id,
        btrim(ma_xa) as legacy_commune_code,
        so_to_ban_do::integer as map_sheet_number,
        so_thua::integer as parcel_number,
        util.try_numeric(dien_tich) as area_m2,
        upper(btrim(ma_loai_dat)) as land_use_code,
        normalize(btrim(khu_quy_hoach), nfc) as planning_zone,
        ranh_gioi as boundary_wkt,
        util.try_timestamp(ngay_cap_nhat) as source_updated_at,
        _batch_id,
        _loaded_at
    from source
)

select * from renamed
