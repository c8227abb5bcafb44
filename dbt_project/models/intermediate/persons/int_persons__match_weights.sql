{{ config(
    tags=['entity_resolution'],
    schema='entity_resolution',
    materialized='incremental',
    full_refresh=false,
) }}

-- What each comparison level is worth, as Fellegi and Sunter defined it, from the data of
-- the build that estimated it: for each comparison (name, birth_date, sex, place,
-- household) and level (util.name_level, util.birth_date_level; sex 1 agrees, 0 differs;
-- util.place_level, util.household_level),
--   m  the chance that two records of one person compare at that level, counted on pairs
--      of records that share a personal ID;
--   u  the chance that two different people do, counted on pairs drawn at random (a fixed
--      sample, so rebuilds agree).
-- A pair's Bayes factor is the product of m / u over its levels (a level not known on
-- either side counts 1); int_persons__links turns it into a match probability, with the
-- name's own frequency as u where the names agree, and estimates by expectation
-- maximisation how many groups have a personal-ID record at all.
--
-- Estimated once and kept, as a trained model is: every build after the first scores its
-- pairs with the same weights, so an incremental build and a full one (even one rebuilt
-- from raw, --full-refresh) link alike, and a build does not pay for the estimate. The
-- table lives in a schema of its own, apart from the layers a rebuild from raw drops; kho
-- drops it, and so estimates the weights again, when what they are computed with
-- changes (pipelines/dbt/incremental.py: the staging and persons SQL, the macros, the
-- project file, the reference data).
{%- set sample_size = 2000 %}
with

groups as (
    select * from {{ ref('int_persons__identity_groups') }}
),

identities as (
    select * from {{ ref('int_persons__identities') }}
),

mentions as (
    select * from {{ ref('int_persons__mentions') }}
),

places as (
    select * from {{ ref('int_persons__places') }}
),

households as (
    select * from {{ ref('int_persons__households') }}
),

-- u: random pairs of a group without a personal ID and a personal-ID group, each side
-- by its first spelling and date, and by all its places (as candidate pairs compare them:
-- a group that names more communes agrees with more strangers). The samples are
-- materialized: inlined, each would be sorted again for every row of the other.
unanchored_sample as materialized (
    select
        identity_key,
        name_keys[1] as name_key,
        birth_days[1] as birth_day,
        coalesce(extract(year from birth_days[1])::integer, stated_birth_years[1])
            as birth_year,
        sex,
        residence_communes,
        residence_addresses,
        birth_communes,
        current_communes,
        household_ids
    from groups
    where identity_kind <> 'personal_id' and name_keys is not null
    order by md5(identity_key)
    limit {{ sample_size }}
),

anchor_sample as materialized (
    select
        identity_key,
        name_keys[1] as name_key,
        birth_days[1] as birth_day,
        coalesce(extract(year from birth_days[1])::integer, id_birth_year) as birth_year,
        sex,
        residence_communes,
        residence_addresses,
        birth_communes,
        current_communes,
        household_ids,
        personal_id_number
    from groups
    where identity_kind = 'personal_id' and name_keys is not null
    order by md5(identity_key)
    limit {{ sample_size }}
),

random_pairs as (
    select
        util.name_level(sampled.name_key, anchor.name_key) as name_level,
        util.birth_date_level(
            sampled.birth_day, sampled.birth_year, anchor.birth_day, anchor.birth_year
        ) as birth_date_level,
        case
            when sampled.sex is not null and anchor.sex is not null
                then (sampled.sex = anchor.sex)::integer
        end as sex_level,
        util.place_level(
            sampled.residence_communes, sampled.residence_addresses,
            sampled.birth_communes, sampled.current_communes,
            anchor.residence_communes, anchor.residence_addresses,
            anchor.birth_communes, anchor.current_communes
        ) as place_level,
        util.household_level(
            sampled.household_ids, null, anchor.household_ids, anchor.personal_id_number
        ) as household_level
    from unanchored_sample as sampled
    cross join anchor_sample as anchor
),

-- Every level each comparison can give.
comparison_levels as (
    select
        'name' as comparison,
        level
    from unnest(array[0, 2, 3, 4]) as name_levels (level)
    union all
    select
        'birth_date' as comparison,
        level
    from generate_series(0, 6) as date_levels (level)
    union all
    select
        'sex' as comparison,
        level
    from generate_series(0, 1) as sex_levels (level)
    union all
    select
        'place' as comparison,
        level
    from generate_series(0, 4) as place_levels (level)
    union all
    select
        'household' as comparison,
        level
    from generate_series(0, 1) as household_levels (level)
),

-- m: pairs of records that share a 12-digit personal ID are one person (as good as
-- labelled: the few exceptions are what int_persons__identities disputes), so how often
-- such pairs compare at each level is how often one person's records do, whatever the
-- noise in this province's registers. (Splink estimates m from a label column the same
-- way; expectation maximisation on unlabelled pairs cannot tell apart the names and sexes
-- that go together, and drifts.) Groups of at most 10 records, a fixed sample of them.
labelled_groups as (
    select identity_key
    from groups
    where identity_kind = 'personal_id' and mention_count between 2 and 10
    order by md5(identity_key)
    limit {{ sample_size * 10 }}
),

labelled_records as (
    select
        identities.identity_key,
        mentions.person_mention_id,
        mentions.full_name_key as name_key,
        util.birth_day(mentions.birth_date, mentions.birth_date_precision) as birth_day,
        extract(year from mentions.birth_date)::integer as birth_year,
        mentions.sex,
        record_places.residence_communes,
        record_places.residence_addresses,
        record_places.birth_communes,
        record_places.current_communes,
        mentions.personal_id_number,
        (
            select array_agg(households.member_personal_id_number)
            from households
            where households.person_mention_id = mentions.person_mention_id
        ) as household_ids
    from labelled_groups
    inner join identities on labelled_groups.identity_key = identities.identity_key
    inner join mentions on identities.person_mention_id = mentions.person_mention_id
    left join lateral (
        select
            array_agg(places.legacy_commune_code) filter (
                where places.place_kind = 'residence'
            ) as residence_communes,
            array_agg(places.legacy_commune_code || ':' || places.street_key) filter (
                where places.place_kind = 'residence'
            ) as residence_addresses,
            array_agg(places.legacy_commune_code) filter (
                where places.place_kind = 'birth'
            ) as birth_communes,
            array_agg(places.current_commune_code) as current_communes
        from places
        where places.person_mention_id = mentions.person_mention_id
    ) as record_places on true
),

labelled_pairs as (
    select
        util.name_level(one.name_key, other.name_key) as name_level,
        util.birth_date_level(one.birth_day, one.birth_year, other.birth_day, other.birth_year)
            as birth_date_level,
        case
            when one.sex is not null and other.sex is not null
                then (one.sex = other.sex)::integer
        end as sex_level,
        util.place_level(
            one.residence_communes, one.residence_addresses,
            one.birth_communes, one.current_communes,
            other.residence_communes, other.residence_addresses,
            other.birth_communes, other.current_communes
        ) as place_level,
        util.household_level(
            one.household_ids, one.personal_id_number, other.household_ids,
            other.personal_id_number
        ) as household_level
    from labelled_records as one
    inner join labelled_records as other
        on
            one.identity_key = other.identity_key
            and one.person_mention_id < other.person_mention_id
),

-- Both samples counted by the five levels at once first (millions of pairs make a few
-- dozen rows), then by comparison and level.
combinations as (
    select
        'u' as sample,
        name_level,
        birth_date_level,
        sex_level,
        place_level,
        household_level,
        count(*) as pairs
    from random_pairs
    group by name_level, birth_date_level, sex_level, place_level, household_level
    union all
    select
        'm' as sample,
        name_level,
        birth_date_level,
        sex_level,
        place_level,
        household_level,
        count(*) as pairs
    from labelled_pairs
    group by name_level, birth_date_level, sex_level, place_level, household_level
),

level_counts as (
    select
        combinations.sample,
        levels.comparison,
        levels.level,
        sum(combinations.pairs) as pairs
    from combinations
    cross join
        lateral (
            values
            ('name', combinations.name_level),
            ('birth_date', combinations.birth_date_level),
            ('sex', combinations.sex_level),
            ('place', combinations.place_level),
            ('household', combinations.household_level)
        ) as levels (comparison, level)
    where levels.level is not null
    group by combinations.sample, levels.comparison, levels.level
),

probabilities as (
    select
        samples.sample,
        comparison_levels.comparison,
        comparison_levels.level,
        -- A level no pair of the sample reached is rarer than one in the sample, not
        -- impossible.
        greatest(coalesce(level_counts.pairs, 0), 0.5)
        / sum(greatest(coalesce(level_counts.pairs, 0), 0.5))
            over (partition by samples.sample, comparison_levels.comparison)
        ::double precision as probability
    from comparison_levels
    cross join (values ('m'), ('u')) as samples (sample)
    left join level_counts
        on
            samples.sample = level_counts.sample
            and comparison_levels.comparison = level_counts.comparison
            and comparison_levels.level = level_counts.level
),

final as (
    select
        comparison,
        level,
        max(probability) filter (where sample = 'm') as m_probability,
        max(probability) filter (where sample = 'u') as u_probability
    from probabilities
    group by comparison, level
)

select
    comparison,
    level,
    m_probability,
    u_probability,
    ln(m_probability / u_probability) / ln(2) as match_weight,
    current_timestamp as estimated_at
from final
{%- if is_incremental() %}
    -- Kept: nothing to add (PostgreSQL does not compute the estimate under a false
    -- condition).
    where false
{%- endif %}
