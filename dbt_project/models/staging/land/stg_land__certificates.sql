with

source as (
    select * from {{ source('raw_land', 'giay_chung_nhan') }}
    where _deleted_at is null
),

renamed as (
    select
        id::integer as certificate_source_id,
        btrim(so_phat_hanh) as certificate_serial,
        nullif(btrim(so_vao_so), '') as register_entry_number,
        util.parse_date(ngay_cap) as issued_on,
        util.clean_text(co_quan_cap) as issuing_authority,
        thua_dat_id::integer as land_parcel_source_id,
        util.try_timestamp(ngay_cap_nhat) as source_updated_at,
        _batch_id,
        _loaded_at
    from source
)

select * from renamed
