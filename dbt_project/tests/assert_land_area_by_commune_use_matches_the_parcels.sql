-- The pre-aggregated land area answers what grouping the parcels answers: one row per
-- (legacy commune, current commune, land-use code), with the same count and area.
with

aggregated as (
    select * from {{ ref('agg_land_area_by_commune_use') }}
),

parcels as (
    select * from {{ ref('dim_land_parcel') }}
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

compared as (
    select
        coalesce(aggregated.legacy_commune_code, grouped.legacy_commune_code)
            as legacy_commune_code,
        coalesce(aggregated.current_commune_code, grouped.current_commune_code)
            as current_commune_code,
        coalesce(aggregated.land_use_code, grouped.land_use_code) as land_use_code,
        aggregated.parcel_count as aggregated_count,
        grouped.parcel_count as grouped_count,
        aggregated.area_m2 as aggregated_area_m2,
        grouped.area_m2 as grouped_area_m2
    from aggregated
    full outer join grouped
        on
            aggregated.legacy_commune_code = grouped.legacy_commune_code
            and aggregated.current_commune_code = grouped.current_commune_code
            and aggregated.land_use_code is not distinct from grouped.land_use_code
)

select * from compared
where
    aggregated_count is distinct from grouped_count
    or aggregated_area_m2 is distinct from grouped_area_m2
