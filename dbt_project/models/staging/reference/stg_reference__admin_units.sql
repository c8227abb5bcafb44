with

source as (
    select * from {{ source('reference', 'admin_units') }}
),

renamed as (
    select
        generation || ':' || level || ':' || code as admin_unit_id,
        generation,
        level,
        code as admin_unit_code,
        name as admin_unit_name,
        short_name,
        util.name_key(name) as admin_unit_name_key,
        unit_type,
        case
            when parent_code is null then null
            when generation = 'legacy' and level = 'commune'
                then generation || ':district:' || parent_code
            else generation || ':province:' || parent_code
        end as parent_admin_unit_id,
        province_code,
        latitude,
        longitude,
        area_km2
    from source
)

select * from renamed
