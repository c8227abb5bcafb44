{{ config(
    indexes=[
        {'columns': ['land_parcel_id', 'valid_from']},
    ],
) }}

-- Every version of a parcel kho has seen (area, land use, planning zone, boundary), valid
-- from the source's update time until the next version or the parcel's deletion: asked "as
-- of" a date, the version whose interval contains the date answers. Dates before the first
-- version kho saw have no answer here.
with

versions as (
    select * from {{ ref('snp_land__parcels') }}
),

land_uses as (
    select * from {{ ref('land_use_codes') }}
),

planning_zones as (
    select * from {{ ref('stg_reference__planning_zones') }}
),

final as (
    select
        versions.dbt_scd_id as land_parcel_version_id,
        {{ land_parcel_id('versions') }} as land_parcel_id,
        versions.land_parcel_source_id,
        versions.legacy_commune_code,
        versions.current_commune_code,
        versions.map_sheet_number,
        versions.parcel_number,
        versions.area_m2,
        versions.land_use_code,
        land_uses.land_use_group,
        land_uses.name_vi as land_use_name_vi,
        land_uses.name_en as land_use_name_en,
        versions.planning_zone,
        planning_zones.planning_zone_code,
        planning_zones.name_en as planning_zone_name_en,
        versions.boundary_wkt,
        versions.boundary_wkt_vn2000,
        versions.boundary_crs,
        versions.dbt_valid_from as valid_from,
        versions.dbt_valid_to as valid_to,
        versions.dbt_valid_to is null as is_current
    from versions
    left join land_uses on versions.land_use_code = land_uses.land_use_code
    left join planning_zones
        on {{ planning_zone_key('versions.planning_zone') }} = planning_zones.zone_key
)

select * from final
