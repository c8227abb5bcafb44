{{ config(
    indexes=[
        {'columns': ['land_parcel_id']},
        {'columns': ['from_person_id']},
        {'columns': ['to_person_id']},
    ],
) }}

-- One row per change of rights on a parcel (biến động): sale, inheritance, gift, ...
with

transfers as (
    select * from {{ ref('stg_land__land_transfers') }}
),

parcels as (
    select * from {{ ref('stg_land__parcels') }}
),

holders as (
    select * from {{ ref('int_land__holders') }}
),

kinds as (
    select * from {{ ref('land_transfer_kinds') }}
),

final as (
    select
        {{ stable_id('land_transfer', 'transfers.land_transfer_source_id::text') }}
            as land_transfer_id,
        transfers.land_transfer_source_id,
        {{ land_parcel_id('parcels') }} as land_parcel_id,
        transfers.transfer_kind,
        kinds.name_vi as transfer_kind_name_vi,
        kinds.name_en as transfer_kind_name_en,
        transfers.transferred_on,
        transfers.from_land_user_source_id,
        from_holders.person_id as from_person_id,
        from_holders.organization_id as from_organization_id,
        from_holders.holder_name as from_holder_name,
        transfers.to_land_user_source_id,
        to_holders.person_id as to_person_id,
        to_holders.organization_id as to_organization_id,
        to_holders.holder_name as to_holder_name,
        transfers.source_updated_at
    from transfers
    inner join parcels on transfers.land_parcel_source_id = parcels.land_parcel_source_id
    left join kinds on transfers.transfer_kind = kinds.transfer_kind
    left join holders as from_holders
        on transfers.from_land_user_source_id = from_holders.land_user_source_id
    left join holders as to_holders
        on transfers.to_land_user_source_id = to_holders.land_user_source_id
)

select * from final
