with

admin_units as (
    select * from {{ ref('stg_reference__admin_units') }}
),

crosswalk as (
    select * from {{ ref('stg_reference__admin_unit_crosswalk') }}
    where is_default
),

final as (
    select
        admin_units.admin_unit_id,
        admin_units.generation,
        admin_units.level,
        admin_units.admin_unit_code,
        admin_units.admin_unit_name,
        admin_units.short_name,
        admin_units.admin_unit_name_key,
        admin_units.unit_type,
        admin_units.parent_admin_unit_id,
        admin_units.province_code,
        admin_units.latitude,
        admin_units.longitude,
        admin_units.area_km2,
        admin_units.boundary_wkt,
        -- The outline the maps draw: the boundary file's; else, for a commune, the one
        -- derived from its parcels after the build (pipelines/dbt/outlines.py).
        admin_units.boundary_wkt as outline_wkt,
        case
            when admin_units.boundary_wkt is not null then 'boundary_file'
        end as outline_source,
        null::text as outline_parcels_digest,
        case
            when crosswalk.current_commune_code is not null
                then 'current:commune:' || crosswalk.current_commune_code
        end as successor_admin_unit_id
    from admin_units
    left join crosswalk
        on
            admin_units.generation = 'legacy'
            and admin_units.level = 'commune'
            and admin_units.admin_unit_code = crosswalk.legacy_commune_code
)

select * from final
