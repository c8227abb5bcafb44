{{ config(
    indexes=[{'columns': ['person_id']}, {'columns': ['source_system', 'attribute']}],
) }}

-- Where a source record disagrees with the master person it resolves to: a birth date (both
-- known to the day; 1 January, where a year alone is stored, is compared by its year), a name
-- (compared without diacritics, case, tone placement or word order, so only a different name
-- counts), or the sex. One row per (record, attribute), with the master's value, the source
-- it came from, and the agency that owns the disagreeing record.
with

clusters as (
    select * from {{ ref('int_persons__clusters') }}
),

mentions as (
    select * from {{ ref('int_persons__mentions') }}
),

persons as (
    select
        *,
        util.name_match_key(full_name_key) as name_match_key
    from {{ ref('dim_person') }}
    where mention_count > 1
),

agencies as (
    select * from {{ ref('source_agencies') }}
),

stated as (
    select
        clusters.person_id,
        mentions.person_mention_id,
        mentions.source_system,
        mentions.source_table,
        mentions.source_record_key,
        mentions.role,
        mentions.full_name,
        mentions.full_name_key,
        mentions.name_match_key,
        mentions.sex,
        mentions.birth_date,
        util.birth_day(mentions.birth_date, mentions.birth_date_precision) is not null
            as birth_day_known
    from mentions
    inner join clusters on mentions.person_mention_id = clusters.person_mention_id
),

compared as (
    select
        stated.*,
        persons.full_name as master_full_name,
        persons.full_name_key as master_full_name_key,
        persons.name_match_key as master_name_match_key,
        persons.full_name_source_system,
        persons.sex as master_sex,
        persons.sex_source_system,
        persons.birth_date as master_birth_date,
        persons.birth_date_source_system,
        util.birth_day(persons.birth_date, persons.birth_date_precision) is not null
            as master_birth_day_known
    from stated
    inner join persons on stated.person_id = persons.person_id
),

conflicts as (
    select
        compared.*,
        checks.attribute,
        checks.stated_value,
        checks.master_value,
        checks.master_source_system
    from compared
    cross join
        lateral (
            values
            (
                'birth_date',
                compared.birth_date::text,
                compared.master_birth_date::text,
                compared.birth_date_source_system,
                compared.birth_date is not null and compared.master_birth_date is not null
                and case
                    when compared.birth_day_known and compared.master_birth_day_known
                        then compared.birth_date <> compared.master_birth_date
                    else
                        extract(year from compared.birth_date)
                        <> extract(year from compared.master_birth_date)
                end
            ),
            (
                'full_name',
                compared.full_name,
                compared.master_full_name,
                compared.full_name_source_system,
                compared.full_name_key is not null and compared.master_full_name_key is not null
                and compared.name_match_key <> compared.master_name_match_key
            ),
            (
                'sex',
                compared.sex,
                compared.master_sex,
                compared.sex_source_system,
                compared.sex is not null and compared.master_sex is not null
                and compared.sex <> compared.master_sex
            )
        ) as checks (attribute, stated_value, master_value, master_source_system, is_conflict)
    where checks.is_conflict
)

select
    {{ row_id('conflicts.person_mention_id::text', 'conflicts.attribute') }} as conflict_id,
    conflicts.person_id,
    conflicts.attribute,
    conflicts.stated_value,
    conflicts.master_value,
    conflicts.master_source_system,
    conflicts.source_system,
    agencies.agency_name_vi as owning_agency_vi,
    agencies.agency_name_en as owning_agency_en,
    conflicts.source_table,
    conflicts.source_record_key,
    conflicts.role
from conflicts
left join agencies on conflicts.source_system = agencies.source_system
