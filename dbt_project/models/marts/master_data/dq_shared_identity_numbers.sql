-- 12-digit personal ID numbers whose records look like two different people: the name
-- differs (without diacritics, case, tone placement or word order) and so does the birth
-- date known to the day (not by a day/month swap), or a record states a sex or birth year
-- that the ID number itself contradicts. Records that are plainly not the ID's holder
-- (int_persons__identities: another name, and another birth date or sex) no longer resolve
-- to the ID's person (disputed_records); the others keep resolving to one master until the
-- owning agencies correct them. This lists what they must check.
with

mentions as (
    select * from {{ ref('int_persons__mentions') }}
    where personal_id_number is not null
),

identities as (
    select * from {{ ref('int_persons__identities') }}
),

disputed as (
    select
        personal_id_number,
        count(*) as disputed_records
    from identities
    where has_disputed_identity_number
    group by personal_id_number
),

agencies as (
    select * from {{ ref('source_agencies') }}
),

stated as (
    select
        mentions.personal_id_number,
        mentions.source_system,
        agencies.agency_name_vi,
        agencies.agency_name_en,
        mentions.name_match_key,
        mentions.sex,
        mentions.birth_date,
        util.birth_day(mentions.birth_date, mentions.birth_date_precision) as birth_day
    from mentions
    left join agencies on mentions.source_system = agencies.source_system
),

contradictions as (
    select
        personal_id_number,
        count(distinct name_match_key) as distinct_names,
        count(distinct birth_day) as distinct_birth_dates,
        bool_or(sex <> util.sex_of_personal_id(personal_id_number)) as contradicts_id_sex,
        bool_or(
            extract(year from birth_date) <> util.birth_year_of_personal_id(personal_id_number)
        ) as contradicts_id_birth_year,
        array_agg(distinct source_system order by source_system) as source_systems,
        array_agg(distinct agency_name_vi order by agency_name_vi) as owning_agencies_vi,
        array_agg(distinct agency_name_en order by agency_name_en) as owning_agencies_en
    from stated
    group by personal_id_number
),

different_dates as (
    -- Two birth dates known to the day that are not each other with day and month swapped.
    select distinct one.personal_id_number
    from stated as one
    inner join stated as other
        on
            one.personal_id_number = other.personal_id_number
            and one.birth_day < other.birth_day
            and one.name_match_key <> other.name_match_key
    where one.birth_day is distinct from util.day_month_swapped(other.birth_day)
)

select
    contradictions.personal_id_number,
    {{ person_id('contradictions.personal_id_number') }} as person_id,
    contradictions.distinct_names,
    contradictions.distinct_birth_dates,
    different_dates.personal_id_number is not null as has_two_people_by_name_and_date,
    contradictions.contradicts_id_sex,
    contradictions.contradicts_id_birth_year,
    coalesce(disputed.disputed_records, 0) as disputed_records,
    contradictions.source_systems,
    contradictions.owning_agencies_vi,
    contradictions.owning_agencies_en
from contradictions
left join different_dates
    on contradictions.personal_id_number = different_dates.personal_id_number
left join disputed on contradictions.personal_id_number = disputed.personal_id_number
where
    different_dates.personal_id_number is not null
    or disputed.personal_id_number is not null
    or contradictions.contradicts_id_sex
    or contradictions.contradicts_id_birth_year
