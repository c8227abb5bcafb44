{{ config(
    indexes=[
        {'columns': ['land_parcel_source_id'], 'unique': true},
        {'columns': ['current_commune_code', 'land_use_code']},
        {'columns': ['legacy_commune_code', 'land_use_code']},
        {'columns': ['area_m2']},
        {'columns': ['current_commune_code', 'land_parcel_id']},
        {'columns': ['legacy_commune_code', 'land_parcel_id']},
    ],
) }}

-- One row per parcel of the land register, identified by its legacy commune, map sheet
-- and parcel number; located on both administrative maps; land use decoded. The indexes
-- on a commune code and the parcel ID give a commune's parcels in ID order (the API's
-- default page) without walking every parcel of the province by ID.
with

parcels as (
    select * from {{ ref('stg_land__parcels') }}
),

certificates as (
    select * from {{ ref('stg_land__certificates') }}
),

land_uses as (
    select * from {{ ref('land_use_codes') }}
),

planning_zones as (
    select * from {{ ref('stg_reference__planning_zones') }}
),

latest_certificates as (
    select distinct on (land_parcel_source_id)
        land_parcel_source_id,
        certificate_serial,
        issued_on
    from certificates
    order by land_parcel_source_id asc, issued_on desc nulls last, certificate_source_id desc
),

final as (
    select
        {{ land_parcel_id('parcels') }} as land_parcel_id,
        parcels.land_parcel_source_id,
        parcels.legacy_commune_code,
        parcels.current_commune_code,
        parcels.map_sheet_number,
        parcels.parcel_number,
        parcels.area_m2,
        parcels.land_use_code,
        land_uses.land_use_group,
        land_uses.name_vi as land_use_name_vi,
        land_uses.name_en as land_use_name_en,
        parcels.planning_zone,
        planning_zones.planning_zone_code,
        planning_zones.name_en as planning_zone_name_en,
        parcels.boundary_wkt,
        parcels.boundary_wkt_vn2000,
        parcels.boundary_crs,
        latest_certificates.certificate_serial,
        latest_certificates.issued_on as certificate_issued_on,
        parcels.source_updated_at
    from parcels
    left join latest_certificates
        on parcels.land_parcel_source_id = latest_certificates.land_parcel_source_id
    left join land_uses on parcels.land_use_code = land_uses.land_use_code
    left join planning_zones
        on {{ planning_zone_key('parcels.planning_zone') }} = planning_zones.zone_key
)

select * from final
