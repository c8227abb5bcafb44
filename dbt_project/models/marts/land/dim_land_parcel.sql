with

parcels as (
    select * from {{ ref('stg_land__parcels') }}
),

certificates as (
    select * from {{ ref('stg_land__certificates') }}
),

crosswalk as (
    select * from {{ ref('stg_reference__admin_unit_crosswalk') }}
    where is_default
),

latest_certificates as (
    select distinct on (land_parcel_source_id)
        land_parcel_source_id,
        certificate_serial,
        issued_on
    from certificates
    order by land_parcel_source_id asc, issued_on desc nulls last
),

final as (
    select
        {{ stable_id(
            'land_parcel',
            "parcels.legacy_commune_code || ':' || parcels.map_sheet_number"
            ~ " || ':' || parcels.parcel_number"
        ) }} as land_parcel_id,
        parcels.land_parcel_source_id,
        parcels.legacy_commune_code,
        crosswalk.current_commune_code,
        parcels.map_sheet_number,
        parcels.parcel_number,
        parcels.area_m2,
        parcels.land_use_code,
        parcels.planning_zone,
        parcels.boundary_wkt,
        latest_certificates.certificate_serial,
        latest_certificates.issued_on as certificate_issued_on,
        parcels.source_updated_at
    from parcels
    left join latest_certificates
        on parcels.land_parcel_source_id = latest_certificates.land_parcel_source_id
    left join crosswalk
        on parcels.legacy_commune_code = crosswalk.legacy_commune_code
)

select * from final
