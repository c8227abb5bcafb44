-- Parcels and their area per commune (both generations) and land-use code: what the API's
-- land area by use reads for the common shapes, grouped on codes only, the names attached
-- after from the land-use list.
with

parcels as (
    select * from {{ ref('dim_land_parcel') }}
),

land_uses as (
    select * from {{ ref('land_use_codes') }}
),

grouped as (
    select
        legacy_commune_code,
        current_commune_code,
        land_use_code,
        count(*) as parcel_count,
        sum(area_m2) as area_m2
    from parcels
    group by legacy_commune_code, current_commune_code, land_use_code
),

final as (
    select
        grouped.legacy_commune_code,
        grouped.current_commune_code,
        grouped.land_use_code,
        land_uses.land_use_group,
        land_uses.name_vi as land_use_name_vi,
        land_uses.name_en as land_use_name_en,
        grouped.parcel_count,
        grouped.area_m2
    from grouped
    left join land_uses on grouped.land_use_code = land_uses.land_use_code
)

select * from final
