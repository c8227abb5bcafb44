{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ take_up_changed_person_records() }}",
    indexes=[
        {'columns': ['person_mention_id'], 'unique': true},
        {'columns': ['source_table', 'source_record_key']},
        {'columns': ['identity_key']},
        {'columns': ['_batch_id']},
    ],
) }}

-- Every source record that names a person, in one shape: who it says the person is (ID
-- numbers, name, sex, birth facts, where the person lives: a land holder's address, a
-- household business's, which is its owner's home, a death registered where one lived) and
-- in what role. Entity resolution reads this. _batch_id is the batch that loaded the record
-- as it is now: the models that resolve mentions incrementally (incremental_mentions) take
-- up those of batches after the last they took. Built incrementally so too: a build reads
-- the records of staging rows loaded since the last, and drops the mentions of records
-- deleted (take_up_changed_person_records).
with

births as (
    select * from {{ ref('stg_civil_registry__births') }} as staged
    {{ of_changed_person_records('khai_sinh', 'staged.birth_registration_number') }}
),

deaths as (
    select * from {{ ref('stg_civil_registry__deaths') }} as staged
    {{ of_changed_person_records('khai_tu', 'staged.death_registration_number') }}
),

marriages as (
    select * from {{ ref('stg_civil_registry__marriages') }} as staged
    {{ of_changed_person_records('ket_hon', 'staged.marriage_registration_number') }}
),

civil_servants as (
    select * from {{ ref('stg_cadre__civil_servants') }} as staged
    {{ of_changed_person_records('ho_so_can_bo', 'staged.civil_servant_code') }}
),

enterprises as (
    select * from {{ ref('stg_enterprise__enterprises') }} as staged
    {{ of_changed_person_records('enterprises', 'staged.enterprise_code') }}
),

household_businesses as (
    select * from {{ ref('stg_enterprise__household_businesses') }} as staged
    {{ of_changed_person_records('household_businesses', 'staged.registration_number') }}
),

land_users as (
    select * from {{ ref('stg_land__land_users') }} as staged
    {{ of_changed_person_records('chu_su_dung', 'staged.land_user_source_id::text') }}
),

mentions as (
    select
        'civil_registry' as source_system,
        'khai_sinh' as source_table,
        birth_registration_number as source_record_key,
        'subject' as role,
        personal_id_number,
        id_card_number,
        full_name,
        full_name_normalized,
        full_name_key,
        sex,
        birth_date,
        birth_date_precision,
        birth_legacy_commune_code,
        birth_current_commune_code,
        null as residence_address,
        null as residence_commune_code,
        source_updated_at,
        _batch_id
    from births
    union all
    -- A birth record names the parents by their ID numbers only.
    select
        'civil_registry' as source_system,
        'khai_sinh' as source_table,
        births.birth_registration_number as source_record_key,
        parents.role,
        {{ personal_id_of_read('parents.id_number') }} as personal_id_number,
        {{ id_card_of_read('parents.id_number') }} as id_card_number,
        null as full_name,
        null as full_name_normalized,
        null as full_name_key,
        parents.sex,
        null as birth_date,
        null as birth_date_precision,
        null as birth_legacy_commune_code,
        null as birth_current_commune_code,
        null as residence_address,
        null as residence_commune_code,
        births.source_updated_at,
        births._batch_id
    from births
    cross join
        lateral (
            values
            ('father', 'male', births.father_id_number),
            ('mother', 'female', births.mother_id_number)
        ) as parents (role, sex, id_number)
    where parents.id_number is not null
    union all
    select
        'civil_registry' as source_system,
        'khai_tu' as source_table,
        death_registration_number as source_record_key,
        'subject' as role,
        personal_id_number,
        id_card_number,
        full_name,
        full_name_normalized,
        full_name_key,
        null as sex,
        null as birth_date,
        null as birth_date_precision,
        null as birth_legacy_commune_code,
        null as birth_current_commune_code,
        null as residence_address,
        death_legacy_commune_code as residence_commune_code,
        source_updated_at,
        _batch_id
    from deaths
    union all
    select
        'civil_registry' as source_system,
        'ket_hon' as source_table,
        marriage_registration_number as source_record_key,
        'husband' as role,
        husband_personal_id_number as personal_id_number,
        husband_id_card_number as id_card_number,
        husband_full_name as full_name,
        husband_full_name_normalized as full_name_normalized,
        husband_full_name_key as full_name_key,
        'male' as sex,
        null as birth_date,
        null as birth_date_precision,
        null as birth_legacy_commune_code,
        null as birth_current_commune_code,
        null as residence_address,
        null as residence_commune_code,
        source_updated_at,
        _batch_id
    from marriages
    union all
    select
        'civil_registry' as source_system,
        'ket_hon' as source_table,
        marriage_registration_number as source_record_key,
        'wife' as role,
        wife_personal_id_number as personal_id_number,
        wife_id_card_number as id_card_number,
        wife_full_name as full_name,
        wife_full_name_normalized as full_name_normalized,
        wife_full_name_key as full_name_key,
        'female' as sex,
        null as birth_date,
        null as birth_date_precision,
        null as birth_legacy_commune_code,
        null as birth_current_commune_code,
        null as residence_address,
        null as residence_commune_code,
        source_updated_at,
        _batch_id
    from marriages
    union all
    select
        'cadre' as source_system,
        'ho_so_can_bo' as source_table,
        civil_servant_code as source_record_key,
        'subject' as role,
        personal_id_number,
        id_card_number,
        full_name,
        full_name_normalized,
        full_name_key,
        sex,
        birth_date,
        birth_date_precision,
        null as birth_legacy_commune_code,
        null as birth_current_commune_code,
        null as residence_address,
        null as residence_commune_code,
        source_updated_at,
        _batch_id
    from civil_servants
    union all
    select
        'enterprise' as source_system,
        'enterprises' as source_table,
        enterprise_code as source_record_key,
        'legal_representative' as role,
        legal_representative_personal_id_number as personal_id_number,
        legal_representative_id_card_number as id_card_number,
        legal_representative_full_name as full_name,
        legal_representative_full_name_normalized as full_name_normalized,
        legal_representative_full_name_key as full_name_key,
        null as sex,
        legal_representative_birth_date as birth_date,
        legal_representative_birth_date_precision as birth_date_precision,
        null as birth_legacy_commune_code,
        null as birth_current_commune_code,
        null as residence_address,
        null as residence_commune_code,
        source_updated_at,
        _batch_id
    from enterprises
    where legal_representative_full_name is not null
    union all
    select
        'enterprise' as source_system,
        'household_businesses' as source_table,
        registration_number as source_record_key,
        'owner' as role,
        owner_personal_id_number as personal_id_number,
        owner_id_card_number as id_card_number,
        owner_full_name as full_name,
        owner_full_name_normalized as full_name_normalized,
        owner_full_name_key as full_name_key,
        null as sex,
        owner_birth_date as birth_date,
        owner_birth_date_precision as birth_date_precision,
        null as birth_legacy_commune_code,
        null as birth_current_commune_code,
        address_line as residence_address,
        legacy_commune_code as residence_commune_code,
        source_updated_at,
        _batch_id
    from household_businesses
    where owner_full_name is not null
    union all
    select
        'land' as source_system,
        'chu_su_dung' as source_table,
        land_user_source_id::text as source_record_key,
        'holder' as role,
        personal_id_number,
        id_card_number,
        holder_name as full_name,
        holder_name_normalized as full_name_normalized,
        holder_name_key as full_name_key,
        sex,
        birth_date,
        birth_date_precision,
        null as birth_legacy_commune_code,
        null as birth_current_commune_code,
        address as residence_address,
        null as residence_commune_code,
        source_updated_at,
        _batch_id
    from land_users
    where holder_type = 'person'
)

select
    {{ row_id('source_system', 'source_table', 'source_record_key', 'role') }}
        as person_mention_id,
    mentions.*,
    -- The identity number the mention carries: every mention with the same 12-digit
    -- personal ID is one person, and so is every mention with the same 9-digit CMND (each
    -- was issued to one person); a mention with neither stands alone.
    case
        when mentions.personal_id_number is not null
            then 'personal_id:' || mentions.personal_id_number
        when mentions.id_card_number is not null
            then 'id_card:' || mentions.id_card_number
        else
            'mention:' || {{ row_id('source_system', 'source_table', 'source_record_key', 'role') }}
    end as identity_key,
    -- How far each source is trusted for a person's name and birth facts (1 = most).
    case mentions.source_system
        when 'civil_registry' then 1
        when 'cadre' then 2
        when 'enterprise' then 3
        when 'land' then 4
    end as source_rank,
    -- The name's words in order (util.name_match_key), read once per record here rather
    -- than by every model that compares names on every build.
    util.name_match_key(mentions.full_name_key) as name_match_key
from mentions
