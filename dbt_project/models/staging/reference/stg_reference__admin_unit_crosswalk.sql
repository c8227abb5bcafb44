with

source as (
    select * from {{ source('reference', 'admin_unit_crosswalk') }}
),

renamed as (
    select
        legacy_commune_code,
        current_commune_code,
        is_default,
        effective_date
    from source
)

select * from renamed
