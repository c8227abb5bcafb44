with

source as (
    {{ raw_rows('raw_land', 'bien_dong') }}
),

renamed as (
    select
        source.id::integer as land_transfer_source_id,
        source.thua_dat_id::integer as land_parcel_source_id,
        lower(btrim(source.loai_bien_dong)) as transfer_kind,
        nullif(btrim(source.ben_chuyen_id), '')::integer as from_land_user_source_id,
        nullif(btrim(source.ben_nhan_id), '')::integer as to_land_user_source_id,
        util.parse_date(source.ngay_bien_dong) as transferred_on,
        util.try_timestamp(source.ngay_cap_nhat) as source_updated_at,
        {{ value_notes('source') }} as value_notes,
        source._source_key,
        source._batch_id,
        source._loaded_at
    from source
)

select * from renamed
