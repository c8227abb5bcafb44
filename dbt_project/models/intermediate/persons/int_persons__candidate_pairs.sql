{{ config(
    tags=['entity_resolution'],
    indexes=[{'columns': ['identity_key']}, {'columns': ['anchor_key']}],
) }}

-- Pairs worth comparing: a group without a 12-digit personal ID (a CMND group, a record with
-- no ID, a disputed record) and a personal-ID group that may be the same person, found by
-- any of four blocking rules, each tolerant of what the others miss. The first three leave
-- out, before any comparison, a pair of two places apart (no commune on the post-2025 map
-- in common) whose birth days are both known and agree at no level util.birth_date_level
-- grades above 1, or (the third) whose names differ at every level util.name_level grades:
-- such pairs are most of a province's namesakes and birthday sharers, and without a place
-- in common the evidence against them leaves a link out of the question.
--   same_name               the same words in any order (and the same birth year, unless
--                           the name is rare or the group states no year)
--   same_family_given_year  the same family and given name and birth year (a middle name
--                           dropped, added or mistyped)
--   same_birth_day_and_word the same birth date and family or given name (a typo elsewhere)
--   same_household_member_and_year
--                           a household member in common (int_persons__households) and the
--                           same birth year: a person whose personal ID is known only from a
--                           child's birth registration, where the parents are named by ID
-- Each pair carries its comparison levels (util.name_level, util.birth_date_level, sex,
-- util.place_level, util.household_level), the best over the spellings, dates and places
-- each side holds; int_persons__match_weights says what each level is worth and
-- int_persons__links decides.
with

groups as (
    select * from {{ ref('int_persons__identity_groups') }}
),

-- Each side's birth day where it states exactly one (none where it states several: those
-- are compared date by date below, never pruned).
anchors as (
    select
        *,
        case when cardinality(birth_days) = 1 then birth_days[1] end as sole_birth_day
    from groups
    where identity_kind = 'personal_id'
),

unanchored as (
    select
        *,
        case when cardinality(birth_days) = 1 then birth_days[1] end as sole_birth_day
    from groups
    where identity_kind <> 'personal_id' and name_keys is not null and not has_conflicting_sex
),

-- How many personal-ID groups give each name: the term frequency that makes agreeing on a
-- common name weaker evidence than on a rare one.
name_frequencies as (
    select
        spellings.name_match_key,
        count(*) as anchors_with_name
    from anchors
    cross join lateral unnest(anchors.name_match_keys) as spellings (name_match_key)
    group by spellings.name_match_key
),

-- Each group's names as match keys (the group keeps them beside its spellings), and as
-- family and given words.
anchor_match_keys as (
    select
        anchors.identity_key as anchor_key,
        spellings.name_match_key,
        anchors.id_birth_year,
        anchors.sole_birth_day,
        anchors.current_communes
    from anchors
    cross join lateral unnest(anchors.name_match_keys) as spellings (name_match_key)
),

anchor_names as (
    select
        anchors.identity_key as anchor_key,
        spellings.name_key,
        split_part(spellings.name_key, ' ', 1) as family_word,
        reverse(split_part(reverse(spellings.name_key), ' ', 1)) as given_word,
        anchors.id_birth_year,
        anchors.sole_birth_day,
        anchors.current_communes
    from anchors
    cross join lateral unnest(anchors.name_keys) as spellings (name_key)
),

-- Each personal-ID group's birth dates with its family and given words: the third rule
-- joins on both at once (an equality the planner can hash, not a filter per pair).
anchor_day_words as (
    select distinct
        anchor_names.anchor_key,
        anchor_names.name_key,
        day_list.birth_day,
        words.word,
        anchors.current_communes
    from anchors
    cross join lateral unnest(anchors.birth_days) as day_list (birth_day)
    inner join anchor_names on anchors.identity_key = anchor_names.anchor_key
    cross join lateral (
        values (anchor_names.family_word), (anchor_names.given_word)
    ) as words (word)
),

unanchored_day_words as (
    select distinct
        unanchored.identity_key,
        spellings.name_key,
        day_list.birth_day,
        words.word,
        unanchored.current_communes
    from unanchored
    cross join lateral unnest(unanchored.birth_days) as day_list (birth_day)
    cross join lateral unnest(unanchored.name_keys) as spellings (name_key)
    cross join lateral (
        values
        (split_part(spellings.name_key, ' ', 1)),
        (reverse(split_part(reverse(spellings.name_key), ' ', 1)))
    ) as words (word)
),

-- Each group without a personal ID with each birth year it states (or none).
unanchored_years as (
    select
        unanchored.identity_key,
        unanchored.name_keys,
        unanchored.name_match_keys,
        unanchored.sole_birth_day,
        unanchored.current_communes,
        stated.birth_year
    from unanchored
    cross join
        lateral unnest(
            coalesce(unanchored.stated_birth_years, array[null::integer])
        ) as stated (birth_year)
),

unanchored_names as (
    select
        unanchored_years.identity_key,
        spellings.name_key,
        split_part(spellings.name_key, ' ', 1) as family_word,
        reverse(split_part(reverse(spellings.name_key), ' ', 1)) as given_word,
        unanchored_years.birth_year,
        unanchored_years.sole_birth_day,
        unanchored_years.current_communes
    from unanchored_years
    cross join lateral unnest(unanchored_years.name_keys) as spellings (name_key)
),

-- The same as match keys, with how many personal-ID groups give each.
unanchored_match_keys as (
    select
        unanchored_years.identity_key,
        spellings.name_match_key,
        unanchored_years.birth_year,
        unanchored_years.sole_birth_day,
        unanchored_years.current_communes,
        coalesce(name_frequencies.anchors_with_name, 0) as anchors_with_name
    from unanchored_years
    cross join lateral unnest(unanchored_years.name_match_keys) as spellings (name_match_key)
    left join name_frequencies on spellings.name_match_key = name_frequencies.name_match_key
),

-- The first rule in two joins on equalities: the same name and birth year; and the same
-- name alone, for a group that states no year or gives a rare name (few of either).
blocked as (
    select
        unanchored_match_keys.identity_key,
        anchor_match_keys.anchor_key,
        'same_name' as blocking_rule
    from unanchored_match_keys
    inner join anchor_match_keys
        on
            unanchored_match_keys.name_match_key = anchor_match_keys.name_match_key
            and unanchored_match_keys.birth_year = anchor_match_keys.id_birth_year
            and (
                util.birth_days_may_agree(
                    unanchored_match_keys.sole_birth_day, anchor_match_keys.sole_birth_day
                )
                or unanchored_match_keys.current_communes && anchor_match_keys.current_communes
            )
    union all
    select
        unanchored_match_keys.identity_key,
        anchor_match_keys.anchor_key,
        'same_name' as blocking_rule
    from unanchored_match_keys
    inner join anchor_match_keys
        on unanchored_match_keys.name_match_key = anchor_match_keys.name_match_key
    where
        (
            unanchored_match_keys.birth_year is null
            or unanchored_match_keys.anchors_with_name <= {{ var('person_rare_name_anchors') }}
        )
        and (
            util.birth_days_may_agree(
                unanchored_match_keys.sole_birth_day, anchor_match_keys.sole_birth_day
            )
            or unanchored_match_keys.current_communes && anchor_match_keys.current_communes
        )
    union all
    select
        unanchored_names.identity_key,
        anchor_names.anchor_key,
        'same_family_given_year' as blocking_rule
    from unanchored_names
    inner join anchor_names
        on
            unanchored_names.family_word = anchor_names.family_word
            and unanchored_names.given_word = anchor_names.given_word
            and unanchored_names.birth_year = anchor_names.id_birth_year
            and (
                util.birth_days_may_agree(
                    unanchored_names.sole_birth_day, anchor_names.sole_birth_day
                )
                or unanchored_names.current_communes && anchor_names.current_communes
            )
    union all
    select
        unanchored_day_words.identity_key,
        anchor_day_words.anchor_key,
        'same_birth_day_and_word' as blocking_rule
    from unanchored_day_words
    inner join anchor_day_words
        on
            unanchored_day_words.birth_day = anchor_day_words.birth_day
            and unanchored_day_words.word = anchor_day_words.word
            and (
                util.name_level(unanchored_day_words.name_key, anchor_day_words.name_key) > 0
                or unanchored_day_words.current_communes && anchor_day_words.current_communes
            )
),

-- Household members and stated birth years of each group, for the fourth rule.
unanchored_members as (
    select distinct
        unanchored.identity_key,
        members.member_personal_id_number,
        stated.birth_year
    from unanchored
    cross join lateral unnest(unanchored.household_ids) as members (member_personal_id_number)
    cross join lateral unnest(unanchored.stated_birth_years) as stated (birth_year)
),

anchor_members as (
    select
        anchors.identity_key as anchor_key,
        members.member_personal_id_number,
        anchors.id_birth_year
    from anchors
    cross join lateral unnest(anchors.household_ids) as members (member_personal_id_number)
),

blocked_by_household as (
    select
        unanchored_members.identity_key,
        anchor_members.anchor_key,
        'same_household_member_and_year' as blocking_rule
    from unanchored_members
    inner join anchor_members
        on
            unanchored_members.member_personal_id_number
            = anchor_members.member_personal_id_number
            and unanchored_members.birth_year = anchor_members.id_birth_year
),

pairs as (
    select
        identity_key,
        anchor_key,
        array_agg(distinct blocking_rule order by blocking_rule) as blocking_rules
    from (
        select * from blocked
        union all
        select * from blocked_by_household
    ) as found
    group by identity_key, anchor_key
),

compared as (
    select
        pairs.identity_key,
        split_part(pairs.identity_key, ':', 1) as identity_kind,
        pairs.anchor_key,
        pairs.blocking_rules,
        -- Most groups give one spelling and one date: those are compared directly, the
        -- others spelling by spelling and date by date.
        case
            when cardinality(unanchored.name_keys) = 1 and cardinality(anchors.name_keys) = 1
                then util.name_level(unanchored.name_keys[1], anchors.name_keys[1])
            else (
                select max(util.name_level(u.name_key, a.name_key))
                from unnest(unanchored.name_keys) as u (name_key)
                cross join unnest(anchors.name_keys) as a (name_key)
            )
        end as name_level,
        case
            when
                coalesce(cardinality(unanchored.birth_days), 0) <= 1
                and coalesce(cardinality(unanchored.stated_birth_years), 0) <= 1
                and coalesce(cardinality(anchors.birth_days), 0) <= 1
                then util.birth_date_level(
                    unanchored.birth_days[1],
                    coalesce(
                        extract(year from unanchored.birth_days[1])::integer,
                        unanchored.stated_birth_years[1]
                    ),
                    anchors.birth_days[1],
                    coalesce(
                        extract(year from anchors.birth_days[1])::integer, anchors.id_birth_year
                    )
                )
            else (
                select
                    max(util.birth_date_level(
                        u.birth_day, u.birth_year, a.birth_day, a.birth_year
                    ))
                from (
                    select
                        day_known.birth_day,
                        extract(year from day_known.birth_day)::integer as birth_year
                    from unnest(unanchored.birth_days) as day_known (birth_day)
                    union all
                    select
                        null::date as birth_day,
                        year_only.birth_year
                    from unnest(unanchored.stated_birth_years) as year_only (birth_year)
                    where
                        year_only.birth_year not in (
                            select extract(year from d.birth_day)::integer
                            from unnest(unanchored.birth_days) as d (birth_day)
                        )
                ) as u
                cross join (
                    select
                        day_known.birth_day,
                        extract(year from day_known.birth_day)::integer as birth_year
                    from unnest(anchors.birth_days) as day_known (birth_day)
                    union all
                    select
                        null::date as birth_day,
                        anchors.id_birth_year as birth_year
                    where anchors.birth_days is null
                ) as a
            )
        end as birth_date_level,
        case when unanchored.sex is not null then (unanchored.sex = anchors.sex)::integer end
            as sex_level,
        util.place_level(
            unanchored.residence_communes, unanchored.residence_addresses,
            unanchored.birth_communes, unanchored.current_communes,
            anchors.residence_communes, anchors.residence_addresses,
            anchors.birth_communes, anchors.current_communes
        ) as place_level,
        util.household_level(
            unanchored.household_ids, null, anchors.household_ids, anchors.personal_id_number
        ) as household_level,
        (
            select min(name_frequencies.anchors_with_name)
            from unnest(unanchored.name_match_keys) as u (name_match_key)
            inner join name_frequencies on u.name_match_key = name_frequencies.name_match_key
            where u.name_match_key = any(anchors.name_match_keys)
        ) as anchors_with_name
    from pairs
    inner join unanchored on pairs.identity_key = unanchored.identity_key
    inner join anchors on pairs.anchor_key = anchors.identity_key
)

select * from compared
