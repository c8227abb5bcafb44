{{ config(
    indexes=[
        {'columns': ['current_admin_unit_id']},
    ],
) }}

-- Legacy commune -> current commune, effective 1 July 2025: a legacy commune split
-- between several current communes has one row for each, its default successor flagged.
with

crosswalk as (
    select * from {{ ref('stg_reference__admin_unit_crosswalk') }}
)

select
    'legacy:commune:' || legacy_commune_code as legacy_admin_unit_id,
    'current:commune:' || current_commune_code as current_admin_unit_id,
    legacy_commune_code,
    current_commune_code,
    is_default,
    effective_date
from crosswalk
