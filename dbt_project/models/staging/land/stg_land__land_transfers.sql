with

source as (
    select * from {{ source('raw_land', 'bien_dong') }}
    where _deleted_at is null
),

renamed as (
    select
        id::integer as land_transfer_source_id,
        thua_dat_id::integer as land_parcel_source_id,
        btrim(loai_bien_dong) as transfer_type,
        ben_chuyen_id::integer as from_land_user_source_id,
        ben_nhan_id::integer as to_land_user_source_id,
        util.try_date(ngay_bien_dong, 'YYYY-MM-DD') as transferred_on,
        util.try_timestamp(ngay_cap_nhat) as source_updated_at,
        _batch_id,
        _loaded_at
    from source
)

select * from renamed
