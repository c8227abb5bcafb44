with

source as (
    {{ raw_rows('raw_land', 'giay_chung_nhan') }}
),

renamed as (
    select
        source.id::integer as certificate_source_id,
        btrim(source.so_phat_hanh) as certificate_serial,
        nullif(btrim(source.so_vao_so), '') as register_entry_number,
        util.parse_date(source.ngay_cap) as issued_on,
        util.clean_text(source.co_quan_cap) as issuing_authority,
        source.thua_dat_id::integer as land_parcel_source_id,
        util.try_timestamp(source.ngay_cap_nhat) as source_updated_at,
        {{ value_notes('source') }} as value_notes,
        source._source_key,
        source._batch_id,
        source._loaded_at
    from source
)

select * from renamed
