with

source as (
    {{ raw_rows('raw_land', 'chu_su_dung') }}
),

typed as (
    select
        source.*,
        upper(btrim(source.loai_giay_to)) as document_type_as_written,
        -- A CCCD or CMND number is an identity number, whatever the kind it was filed
        -- under: its length says which (clerks file a 9-digit card under CCCD).
        case
            when upper(btrim(source.loai_giay_to)) in ('CCCD', 'CMND')
                then util.identity_number(source.so_giay_to)
        end as identity_number,
        -- A person's name is read as one (honorifics, punctuation); an organization's is
        -- its registered name, punctuation and all.
        case
            when upper(btrim(source.loai_chu)) = 'TC' then util.clean_text(source.ho_ten)
            else util.person_name(source.ho_ten)
        end as holder_name
    from source
),

renamed as (
    select
        typed.id::integer as land_user_source_id,
        case upper(btrim(typed.loai_chu))
            when 'CN' then 'person'
            when 'TC' then 'organization'
        end as holder_type,
        typed.holder_name,
        util.name_normalized(typed.holder_name) as holder_name_normalized,
        util.name_key(typed.holder_name) as holder_name_key,
        case
            when typed.document_type_as_written = 'CCCD' and length(typed.identity_number) = 9
                then 'CMND'
            else typed.document_type_as_written
        end as id_document_type,
        coalesce(
            typed.identity_number,
            nullif(regexp_replace(typed.so_giay_to, '[^0-9A-Za-z-]', '', 'g'), '')
        ) as id_document_number,
        case when length(typed.identity_number) = 12 then typed.identity_number end
            as personal_id_number,
        case when length(typed.identity_number) = 9 then typed.identity_number end
            as id_card_number,
        -- MST: the enterprise code of an organization.
        case
            when
                typed.document_type_as_written = 'MST'
                and util.is_enterprise_code(btrim(typed.so_giay_to))
                then btrim(typed.so_giay_to)
        end as enterprise_code,
        case
            when typed.document_type_as_written = 'GPKD' then nullif(btrim(typed.so_giay_to), '')
        end as household_business_registration_number,
        {{ date_columns('typed.ngay_sinh', 'birth_date') }},
        case btrim(typed.gioi_tinh) when 'Nam' then 'male' when 'Nữ' then 'female' end as sex,
        util.clean_text(typed.dia_chi) as address,
        util.try_timestamp(typed.ngay_cap_nhat) as source_updated_at,
        {{ value_notes('typed', normalised=[
            (
                'ho_ten',
                'typed.holder_name',
                "case when upper(btrim(typed.loai_chu)) <> 'TC'"
                ~ ' then util.person_name_notes(typed.ho_ten) end'
            ),
            (
                'so_giay_to',
                'typed.identity_number',
                'case when typed.identity_number is not null'
                ~ ' then util.identity_number_notes(typed.so_giay_to) end'
            ),
            (
                'loai_giay_to',
                "'CMND'",
                "case when typed.document_type_as_written = 'CCCD'"
                ~ " and length(typed.identity_number) = 9 then 'document_type_corrected' end"
            ),
        ]) }} as value_notes,
        typed._source_key,
        typed._batch_id,
        typed._loaded_at
    from typed
)

select * from renamed
