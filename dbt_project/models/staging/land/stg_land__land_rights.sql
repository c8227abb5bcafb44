with

source as (
    {{ raw_rows('raw_land', 'quyen_su_dung') }}
),

renamed as (
    select
        source.id::integer as land_right_source_id,
        source.thua_dat_id::integer as land_parcel_source_id,
        source.chu_su_dung_id::integer as land_user_source_id,
        nullif(btrim(source.giay_chung_nhan_id), '')::integer as certificate_source_id,
        util.try_numeric(source.ty_le) as ownership_share,
        util.parse_date(source.tu_ngay) as valid_from,
        util.parse_date(source.den_ngay) as valid_to,
        util.try_timestamp(source.ngay_cap_nhat) as source_updated_at,
        {{ value_notes('source') }} as value_notes,
        source._source_key,
        source._batch_id,
        source._loaded_at
    from source
)

select * from renamed
