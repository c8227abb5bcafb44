with

source as (
    {{ raw_rows('raw_land', 'thua_dat') }}
),

renamed as (
    select
        source.id::integer as land_parcel_source_id,
        btrim(source.ma_xa) as legacy_commune_code,
        communes.current_commune_code,
        source.so_to_ban_do::integer as map_sheet_number,
        source.so_thua::integer as parcel_number,
        util.try_numeric(source.dien_tich) as area_m2,
        upper(btrim(source.ma_loai_dat)) as land_use_code,
        util.clean_text(source.khu_quy_hoach) as planning_zone,
        -- The register keeps VN-2000 metres; the ingest added WGS 84 (pipelines geometry.py).
        source._geometry_wgs84 as boundary_wkt,
        nullif(btrim(source.ranh_gioi), '') as boundary_wkt_vn2000,
        nullif(btrim(source.he_toa_do), '') as boundary_crs,
        util.try_timestamp(source.ngay_cap_nhat) as source_updated_at,
        {{ value_notes('source') }} as value_notes,
        source._source_key,
        source._batch_id,
        source._loaded_at
    from source
    {{ current_commune_join('source.ma_xa') }}
)

select * from renamed
