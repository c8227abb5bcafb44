-- The data stewards' queue: candidate links entity resolution would not decide alone (a
-- match probability between person_link_review_probability and
-- person_link_accept_probability, or a personal ID two CMND groups would both take), with
-- both sides' evidence: the records, names, birth dates and sex each side gives, and the
-- comparison levels, weight and probability. A decision (kho review accept|reject) lands in
-- master_data.person_link_reviews and outranks the model from the next build on.
with

links as (
    select * from {{ ref('int_persons__links') }}
    where outcome in ('review', 'anchor_claimed_twice')
),

mentions as (
    select * from {{ ref('int_persons__mentions') }}
),

identities as (
    select * from {{ ref('int_persons__identities') }}
),

clusters as (
    select * from {{ ref('int_persons__clusters') }}
),

-- What each identity's records say, as the stewards read it.
sides as (
    select
        identities.identity_key,
        min(clusters.person_id::text)::uuid as person_id,
        array_agg(distinct mentions.full_name order by mentions.full_name)
        filter (where mentions.full_name is not null) as full_names,
        array_agg(distinct mentions.birth_date order by mentions.birth_date)
        filter (where mentions.birth_date is not null) as birth_dates,
        array_agg(distinct mentions.sex order by mentions.sex)
        filter (where mentions.sex is not null) as sexes,
        array_agg(
            mentions.source_system || '.' || mentions.source_table || ':'
            || mentions.source_record_key || ' (' || mentions.role || ')'
            order by mentions.source_system, mentions.source_table, mentions.source_record_key
        ) as records
    from identities
    inner join mentions on identities.person_mention_id = mentions.person_mention_id
    inner join clusters on identities.person_mention_id = clusters.person_mention_id
    where
        identities.identity_key in (
            select links.identity_key from links
            union all
            select links.anchor_key from links
        )
    group by identities.identity_key
),

final as (
    select
        md5(links.identity_key || '|' || links.anchor_key)::uuid as review_id,
        links.identity_key,
        links.anchor_key,
        links.outcome as reason,
        links.evidence,
        links.name_level,
        links.birth_date_level,
        links.sex_level,
        links.place_level,
        links.household_level,
        links.match_weight,
        links.match_score as match_probability,
        links.candidate_rank,
        links.candidates,
        record_side.person_id as record_person_id,
        record_side.full_names as record_full_names,
        record_side.birth_dates as record_birth_dates,
        record_side.sexes as record_sexes,
        record_side.records as record_records,
        candidate_side.person_id as candidate_person_id,
        substr(links.anchor_key, 13) as candidate_personal_id_number,
        candidate_side.full_names as candidate_full_names,
        candidate_side.birth_dates as candidate_birth_dates,
        candidate_side.sexes as candidate_sexes,
        candidate_side.records as candidate_records
    from links
    inner join sides as record_side on links.identity_key = record_side.identity_key
    inner join sides as candidate_side on links.anchor_key = candidate_side.identity_key
)

select * from final
