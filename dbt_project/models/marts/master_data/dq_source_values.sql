{{ config(
    indexes=[
        {'columns': ['source_system', 'source_table', 'source_record_key']},
        {'columns': ['rule']},
    ],
) }}

-- Every source value kho did not take as written: set aside (ingestion found it breaks its
-- column's rule, so the record landed without it: an unreadable ID, a date that cannot
-- be, an unknown code) or normalised (an ID written in groups or without its leading
-- zero, invisible characters or an honorific in a name, a CMND filed as a CCCD). One row
-- per value and rule, with the value as the source wrote it, what kho read, and the
-- agency to tell. The raw layer keeps every row as landed.
{%- set staged = [
    ('stg_land__parcels', 'land', 'thua_dat', 'land_parcel_source_id'),
    ('stg_land__land_users', 'land', 'chu_su_dung', 'land_user_source_id'),
    ('stg_land__certificates', 'land', 'giay_chung_nhan', 'certificate_source_id'),
    ('stg_land__land_rights', 'land', 'quyen_su_dung', 'land_right_source_id'),
    ('stg_land__land_transfers', 'land', 'bien_dong', 'land_transfer_source_id'),
    ('stg_enterprise__enterprises', 'enterprise', 'enterprises', 'enterprise_code'),
    ('stg_enterprise__household_businesses', 'enterprise', 'household_businesses',
     'registration_number'),
    ('stg_civil_registry__births', 'civil_registry', 'khai_sinh',
     'birth_registration_number'),
    ('stg_civil_registry__deaths', 'civil_registry', 'khai_tu', 'death_registration_number'),
    ('stg_civil_registry__marriages', 'civil_registry', 'ket_hon',
     'marriage_registration_number'),
    ('stg_cadre__agencies', 'cadre', 'dm_co_quan', 'agency_code'),
    ('stg_cadre__civil_servants', 'cadre', 'ho_so_can_bo', 'civil_servant_code'),
    ('stg_cadre__assignments', 'cadre', 'qua_trinh_cong_tac', 'assignment_source_id'),
] %}
with

noted as (
    {%- for model, source_system, source_table, key in staged %}
        select
            '{{ source_system }}' as source_system,
            '{{ source_table }}' as source_table,
            {{ key }}::text as source_record_key,
            value_notes
        from {{ ref(model) }}
        where value_notes is not null
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

agencies as (
    select * from {{ ref('source_agencies') }}
),

final as (
    select
        {{ row_id(
            'noted.source_system', 'noted.source_table', 'noted.source_record_key',
            "note.value ->> 'column_name'", "note.value ->> 'rule'"
        ) }} as source_value_note_id,
        noted.source_system,
        agencies.agency_name_vi as owning_agency_vi,
        agencies.agency_name_en as owning_agency_en,
        noted.source_table,
        noted.source_record_key,
        note.value ->> 'column_name' as column_name,
        note.value ->> 'outcome' as outcome,
        note.value ->> 'rule' as rule,
        note.value ->> 'raw_value' as raw_value,
        note.value ->> 'value' as value_read
    from noted
    cross join lateral jsonb_array_elements(noted.value_notes) as note (value)
    left join agencies on noted.source_system = agencies.source_system
)

select * from final
