-- Every parcel must resolve to a commune on the post-2025 map; a parcel that does not would
-- vanish from every search by current commune. Commune codes that are no commune at all
-- never get this far: ingestion quarantines them (rule unknown_code).
select
    land_parcel_id,
    legacy_commune_code
from {{ ref('dim_land_parcel') }}
where current_commune_code is null
