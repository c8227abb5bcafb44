with

source as (
    select * from {{ source('raw_land', 'bien_dong') }}
    where _deleted_at is null
),

renamed as (
    select
        id::integer as land_transfer_source_id,
        thua_dat_id::integer as land_parcel_source_id,
        lower(btrim(loai_bien_dong)) as transfer_kind,
        nullif(btrim(ben_chuyen_id), '')::integer as from_land_user_source_id,
        nullif(btrim(ben_nhan_id), '')::integer as to_land_user_source_id,
        util.parse_date(ngay_bien_dong) as transferred_on,
        util.try_timestamp(ngay_cap_nhat) as source_updated_at,
        _batch_id,
        _loaded_at
    from source
)

select * from renamed
