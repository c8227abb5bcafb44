{{ config(
    tags=['entity_resolution'],
    indexes=[{'columns': ['identity_key'], 'unique': true}],
) }}

-- Person mentions grouped by the identity number they carry (int_persons__mentions'
-- identity_key), with what each group says about the person. Linking the groups to each
-- other is int_persons__links' job.
with

mentions as (
    select * from {{ ref('int_persons__mentions') }}
),

keyed as (
    select
        identity_key,
        split_part(identity_key, ':', 1) as identity_kind,
        personal_id_number,
        util.name_match_key(full_name_key) as name_match_key,
        sex,
        birth_date,
        util.birth_day(birth_date, birth_date_precision) as birth_day
    from mentions
),

groups as (
    select
        identity_key,
        identity_kind,
        count(*) as mention_count,
        array_agg(distinct name_match_key) filter (where name_match_key is not null)
            as name_match_keys,
        -- What the ID number itself says beats what any record states.
        coalesce(
            util.sex_of_personal_id(min(personal_id_number)),
            case when count(distinct sex) = 1 then min(sex) end
        ) as sex,
        count(distinct sex) > 1 as has_conflicting_sex,
        array_agg(distinct extract(year from birth_date)::integer)
        filter (where birth_date is not null) as stated_birth_years,
        util.birth_year_of_personal_id(min(personal_id_number)) as id_birth_year,
        array_agg(distinct birth_day) filter (where birth_day is not null) as birth_days
    from keyed
    group by identity_key, identity_kind
)

select * from groups
