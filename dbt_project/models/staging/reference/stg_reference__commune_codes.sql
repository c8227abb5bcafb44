{{ config(
    materialized='table',
    indexes=[{'columns': ['commune_code'], 'unique': true}],
) }}

-- Every commune code a source may write, of either generation, with the commune it is on
-- the post-2025 map: a legacy code's default successor, or a current code itself. Sources
-- write legacy codes; a code that is both (many current communes kept a legacy code) is
-- read as legacy, as the sources mean it.
with

units as (
    select * from {{ ref('stg_reference__admin_units') }}
    where level = 'commune'
),

crosswalk as (
    select * from {{ ref('stg_reference__admin_unit_crosswalk') }}
    where is_default
),

legacy as (
    select
        units.admin_unit_code as commune_code,
        'legacy' as generation,
        crosswalk.current_commune_code,
        crosswalk.effective_date
    from units
    left join crosswalk on units.admin_unit_code = crosswalk.legacy_commune_code
    where units.generation = 'legacy'
),

current_only as (
    select
        units.admin_unit_code as commune_code,
        'current' as generation,
        units.admin_unit_code as current_commune_code,
        null::date as effective_date
    from units
    where
        units.generation = 'current'
        and units.admin_unit_code not in (select legacy.commune_code from legacy)
)

select * from legacy
union all
select * from current_only
