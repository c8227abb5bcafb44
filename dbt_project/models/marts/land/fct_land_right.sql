{{ config(
    indexes=[
        {'columns': ['land_parcel_id']},
        {'columns': ['person_id']},
        {'columns': ['organization_id']},
    ],
) }}

-- One row per land-use right: who holds which parcel, with what share and certificate,
-- from when to when (the register keeps closed rights, so history is the source's own).
with

rights as (
    select * from {{ ref('stg_land__land_rights') }}
),

parcels as (
    select * from {{ ref('stg_land__parcels') }}
),

holders as (
    select * from {{ ref('int_land__holders') }}
),

certificates as (
    select * from {{ ref('stg_land__certificates') }}
),

final as (
    select
        {{ stable_id('land_right', 'rights.land_right_source_id::text') }} as land_right_id,
        rights.land_right_source_id,
        {{ land_parcel_id('parcels') }} as land_parcel_id,
        rights.land_user_source_id,
        holders.holder_type,
        holders.person_id,
        holders.organization_id,
        holders.holder_name,
        rights.ownership_share,
        certificates.certificate_serial,
        certificates.issued_on as certificate_issued_on,
        rights.valid_from,
        rights.valid_to,
        rights.valid_to is null or rights.valid_to > current_date as is_current,
        rights.source_updated_at
    from rights
    inner join parcels on rights.land_parcel_source_id = parcels.land_parcel_source_id
    left join holders on rights.land_user_source_id = holders.land_user_source_id
    left join certificates on rights.certificate_source_id = certificates.certificate_source_id
)

select * from final
