{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ take_up_changed_mentions(
        ref('int_persons__mentions'), 'mention_identity_key', 'identity_key'
    ) }}",
    tags=['entity_resolution'],
    indexes=[
        {'columns': ['person_mention_id'], 'unique': true},
        {'columns': ['identity_key']},
        {'columns': ['mention_identity_key']},
    ],
) }}

-- Which identity each person mention is resolved from: the identity number it carries
-- (int_persons__mentions' identity_key), unless that is a 12-digit personal ID whose holder
-- the record plainly is not. An ID number is strong evidence, not truth: a land holding
-- filed under the spouse's ID, or a borrowed ID, would otherwise make two people one.
--
-- The ID's holder is who its birth registration names (the civil registry issues the ID),
-- else the name most of its records give among those that agree with what the ID number
-- itself says (its sex and birth year digits). A record that disagrees with the holder on
-- the name (not merely a typo or a middle name: util.name_level 0) and on the birth date
-- (util.birth_date_level 0) or on the sex the ID states is disputed: it stands apart as
-- 'mention:<id>', and entity resolution links it by its name and birth date like a record
-- with no ID (int_persons__links); dq_shared_identity_numbers reports the ID. A record that
-- names no one (a parent given by ID alone) or states no birth date and no sex is never
-- disputed.
--
-- Built incrementally (incremental_mentions): a build judges again the mentions of every
-- identity number that a mention new, changed or deleted since the last carries or carried
-- (mention_identity_key), and only those.
with

mentions as (
    select * from {{ ref('int_persons__mentions') }}
    {% if is_incremental() -%}
        where identity_key in (
            select changed.changed_key from {{ changed_mention_keys() }} as changed
        )
    {%- endif %}
),

personal_ids as (
    select
        person_mention_id,
        identity_key,
        source_table,
        role,
        source_rank,
        full_name_key,
        name_match_key,
        sex,
        util.sex_of_personal_id(personal_id_number) as id_sex,
        extract(year from birth_date)::integer as stated_birth_year,
        util.birth_year_of_personal_id(personal_id_number) as id_birth_year,
        util.birth_day(birth_date, birth_date_precision) as birth_day
    from mentions
    where personal_id_number is not null and full_name_key is not null
),

-- Only IDs whose records give more than one name can be disputed.
named_twice as (
    select identity_key
    from personal_ids
    group by identity_key
    having count(distinct name_match_key) > 1
),

candidates as (
    select personal_ids.*
    from personal_ids
    inner join named_twice on personal_ids.identity_key = named_twice.identity_key
),

-- The holder's name per ID: the birth registration's, else the most given name among
-- records consistent with the ID's own digits.
holder_names as (
    select distinct on (identity_key)
        identity_key,
        name_match_key
    from (
        select
            identity_key,
            name_match_key,
            bool_or(source_table = 'khai_sinh' and role = 'subject') as is_registered_birth,
            count(*) filter (
                where (sex is null or sex = id_sex)
                and (stated_birth_year is null or stated_birth_year = id_birth_year)
            ) as consistent_records,
            min(source_rank) as best_source_rank
        from candidates
        group by identity_key, name_match_key
    ) as spellings
    where is_registered_birth or consistent_records > 0
    order by
        identity_key asc,
        is_registered_birth desc,
        consistent_records desc,
        best_source_rank asc,
        name_match_key asc
),

holders as (
    select
        candidates.identity_key,
        candidates.full_name_key,
        candidates.birth_day,
        candidates.id_birth_year,
        candidates.id_sex
    from candidates
    inner join holder_names
        on
            candidates.identity_key = holder_names.identity_key
            and candidates.name_match_key = holder_names.name_match_key
),

judged as (
    select
        candidates.person_mention_id,
        bool_and(
            util.name_level(candidates.full_name_key, holders.full_name_key) = 0
            and (
                coalesce(candidates.sex <> holders.id_sex, false)
                or coalesce(util.birth_date_level(
                    candidates.birth_day, candidates.stated_birth_year,
                    holders.birth_day, holders.id_birth_year
                ) = 0, false)
            )
        ) as is_disputed
    from candidates
    inner join holders on candidates.identity_key = holders.identity_key
    group by candidates.person_mention_id
)

select
    mentions.person_mention_id,
    mentions.personal_id_number,
    case
        when judged.is_disputed
            then 'mention:' || mentions.person_mention_id
        else mentions.identity_key
    end as identity_key,
    coalesce(judged.is_disputed, false) as has_disputed_identity_number,
    mentions.identity_key as mention_identity_key,
    mentions.source_table,
    mentions._batch_id
from mentions
left join judged on mentions.person_mention_id = judged.person_mention_id
