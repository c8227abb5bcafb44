-- Each legacy commune of the crosswalk names exactly one default successor.
select legacy_commune_code
from {{ ref('bridge_admin_unit_succession') }}
group by legacy_commune_code
having count(*) filter (where is_default) <> 1
