-- Every parcel whose legacy commune is a real pre-2025 commune must resolve to a commune on
-- the post-2025 map; a parcel that does not would vanish from every search by current
-- commune. Codes that are no commune at all are the source's error, reported by
-- warn_parcels_with_unknown_commune_codes.
select
    parcels.land_parcel_id,
    parcels.legacy_commune_code
from {{ ref('dim_land_parcel') }} as parcels
inner join {{ ref('dim_admin_unit') }} as units
    on
        units.generation = 'legacy'
        and units.level = 'commune'
        and parcels.legacy_commune_code = units.admin_unit_code
where parcels.current_commune_code is null
