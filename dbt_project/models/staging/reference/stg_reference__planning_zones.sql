-- The planning zones code list (seed planning_zones) with the key a land register's
-- free-text zone is matched on (macro planning_zone_key).
with

zones as (
    select * from {{ ref('planning_zones') }}
),

final as (
    select
        planning_zone_code,
        name_vi,
        name_en,
        {{ planning_zone_key('name_vi') }} as zone_key
    from zones
)

select * from final
