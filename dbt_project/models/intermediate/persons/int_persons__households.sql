{{ config(
    tags=['entity_resolution'],
    indexes=[{'columns': ['person_mention_id']}],
) }}

-- Who each person mention says its person shares a household with, by 12-digit personal
-- ID: the other spouse of a marriage, the other parent of a birth registration, the other
-- holders of a parcel the person holds (a married couple's land is held by both). Entity
-- resolution compares them (the household comparison): a CMND holder whose co-holder is a
-- candidate's spouse is that candidate. One row per mention and household member.
with

mentions as (
    select * from {{ ref('int_persons__mentions') }}
),

land_rights as (
    select * from {{ ref('stg_land__land_rights') }}
),

land_users as (
    select * from {{ ref('stg_land__land_users') }}
),

marriages as (
    select * from {{ ref('stg_civil_registry__marriages') }}
),

births as (
    select * from {{ ref('stg_civil_registry__births') }}
),

partners as (
    select
        'ket_hon' as source_table,
        marriage_registration_number as source_record_key,
        'husband' as role,
        wife_personal_id_number as member_personal_id_number
    from marriages
    union all
    select
        'ket_hon' as source_table,
        marriage_registration_number as source_record_key,
        'wife' as role,
        husband_personal_id_number as member_personal_id_number
    from marriages
    union all
    select
        'khai_sinh' as source_table,
        birth_registration_number as source_record_key,
        'father' as role,
        {{ personal_id_of_read('mother_id_number') }} as member_personal_id_number
    from births
    union all
    select
        'khai_sinh' as source_table,
        birth_registration_number as source_record_key,
        'mother' as role,
        {{ personal_id_of_read('father_id_number') }} as member_personal_id_number
    from births
),

-- Holders of one parcel at one time (their rights overlap; a seller's right ends the day
-- the buyer's begins, and the two are no household).
co_holders as (
    select
        'chu_su_dung' as source_table,
        holder.land_user_source_id::text as source_record_key,
        'holder' as role,
        other_user.personal_id_number as member_personal_id_number
    from land_rights as holder
    inner join land_rights as other_holder
        on
            holder.land_parcel_source_id = other_holder.land_parcel_source_id
            and holder.land_user_source_id <> other_holder.land_user_source_id
            and coalesce(holder.valid_from, '-infinity')
            < coalesce(other_holder.valid_to, 'infinity')
            and coalesce(other_holder.valid_from, '-infinity')
            < coalesce(holder.valid_to, 'infinity')
    inner join land_users as other_user
        on other_holder.land_user_source_id = other_user.land_user_source_id
    where other_user.holder_type = 'person'
),

members as (
    select * from partners
    union
    select * from co_holders
),

final as (
    select
        mentions.person_mention_id,
        members.member_personal_id_number
    from members
    inner join mentions
        on
            members.source_table = mentions.source_table
            and members.source_record_key = mentions.source_record_key
            and members.role = mentions.role
    where
        members.member_personal_id_number is not null
        -- Nobody is their own household member (a holding filed under the spouse's ID).
        and members.member_personal_id_number
        is distinct from mentions.personal_id_number
)

select * from final
