with

source as (
    select * from {{ source('raw_land', 'quyen_su_dung') }}
    where _deleted_at is null
),

renamed as (
    select
        id::integer as land_right_source_id,
        thua_dat_id::integer as land_parcel_source_id,
        chu_su_dung_id::integer as land_user_source_id,
        nullif(btrim(giay_chung_nhan_id), '')::integer as certificate_source_id,
        util.try_numeric(ty_le) as ownership_share,
        util.parse_date(tu_ngay) as valid_from,
        util.parse_date(den_ngay) as valid_to,
        util.try_timestamp(ngay_cap_nhat) as source_updated_at,
        _batch_id,
        _loaded_at
    from source
)

select * from renamed
