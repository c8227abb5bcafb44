{{ config(severity='warn') }}

-- Parcels whose commune code is no pre-2025 commune of the province: the land register's
-- own errors, to be sent back to it.
select
    parcels.land_parcel_id,
    parcels.legacy_commune_code
from {{ ref('dim_land_parcel') }} as parcels
left join {{ ref('dim_admin_unit') }} as units
    on
        units.generation = 'legacy'
        and units.level = 'commune'
        and parcels.legacy_commune_code = units.admin_unit_code
where units.admin_unit_code is null
