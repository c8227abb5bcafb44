-- The current rights on a parcel share it: their shares sum to at most 1.
select
    land_parcel_id,
    sum(ownership_share) as total_share
from {{ ref('fct_land_right') }}
where is_current
group by land_parcel_id
having sum(ownership_share) > 1.0001
