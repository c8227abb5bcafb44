with

source as (
    select * from {{ source('reference', 'admin_units') }}
),

boundaries as (
    select * from {{ source('reference', 'admin_unit_boundaries') }}
),

renamed as (
    select
        source.generation || ':' || source.level || ':' || source.code as admin_unit_id,
        source.generation,
        source.level,
        source.code as admin_unit_code,
        source.name as admin_unit_name,
        source.short_name,
        util.name_key(source.name) as admin_unit_name_key,
        source.unit_type,
        case
            when source.parent_code is null then null
            when source.generation = 'legacy' and source.level = 'commune'
                then source.generation || ':district:' || source.parent_code
            else source.generation || ':province:' || source.parent_code
        end as parent_admin_unit_id,
        source.province_code,
        source.latitude,
        source.longitude,
        source.area_km2,
        -- The outline of the operator's boundary file (KHO_ADMIN_BOUNDARIES), if any.
        boundaries.boundary_wkt
    from source
    left join boundaries
        on
            source.generation = boundaries.generation
            and source.code = boundaries.admin_unit_code
            and source.level in ('province', 'commune')
)

select * from renamed
