{{ config(
    tags=['entity_resolution'],
    indexes=[{'columns': ['identity_key'], 'unique': true}],
) }}

-- 12-digit personal IDs that are another person's ID mistyped: two personal-ID groups whose
-- ID numbers are one keystroke apart (two adjacent digits swapped, or one digit mistyped:
-- util.identity_number_typo) and that say they are one person, by either evidence:
--   name_and_birth_date  the same name and the same birth date known to the day. Two
--                        people of one name and birthday are rare, and their IDs one
--                        keystroke apart rarer still (twins share a birthday, not a name).
--   shared_partner       the same spouse or co-parent (a marriage, or a birth registration
--                        naming both parents by their IDs), where the records do not
--                        disagree: no two names stated that differ, no two birth years.
--                        A parent named on a birth registration by the ID alone has no
--                        other evidence; two people with one partner and IDs one keystroke
--                        apart are as rare as a chance neighbour among a million numbers.
--   sole_neighbour       a single record that states nothing but the ID (a parent named on
--                        a birth registration by number alone, with no partner elsewhere)
--                        whose number is one keystroke from exactly one personal ID of a
--                        person known by name: that record is the typo.
-- The weaker group (no birth registration, fewer records) is the typo and resolves to the
-- stronger one's person; dq_mistyped_identity_numbers tells the agency that wrote it.
with

groups as (
    select * from {{ ref('int_persons__identity_groups') }}
    where identity_kind = 'personal_id'
),

keyed as (
    select distinct
        groups.identity_key,
        groups.personal_id_number,
        groups.has_registered_birth,
        groups.mention_count,
        groups.best_source_rank,
        spellings.name_match_key,
        day_list.birth_day
    from groups
    cross join lateral unnest(groups.name_match_keys) as spellings (name_match_key)
    cross join lateral unnest(groups.birth_days) as day_list (birth_day)
),

marriages as (
    select * from {{ ref('stg_civil_registry__marriages') }}
),

births as (
    select * from {{ ref('stg_civil_registry__births') }}
),

-- Who is whose partner, by 12-digit personal ID, both ways round.
partnerships as (
    select
        husband_personal_id_number as personal_id_number,
        wife_personal_id_number as partner_personal_id_number
    from marriages
    where husband_personal_id_number is not null and wife_personal_id_number is not null
    union
    select
        wife_personal_id_number as personal_id_number,
        husband_personal_id_number as partner_personal_id_number
    from marriages
    where husband_personal_id_number is not null and wife_personal_id_number is not null
    union
    select
        father_id_number as personal_id_number,
        mother_id_number as partner_personal_id_number
    from births
    where length(father_id_number) = 12 and length(mother_id_number) = 12
    union
    select
        mother_id_number as personal_id_number,
        father_id_number as partner_personal_id_number
    from births
    where length(father_id_number) = 12 and length(mother_id_number) = 12
),

-- Personal-ID groups of one record that states nothing but the number, with every number
-- one keystroke from it (each digit mistyped, each two adjacent digits swapped).
bare_numbers as (
    select
        identity_key,
        personal_id_number
    from groups
    where
        mention_count = 1
        and name_match_keys is null
        and birth_days is null
        and stated_birth_years is null
),

keystroke_variants as (
    select
        bare_numbers.identity_key,
        left(bare_numbers.personal_id_number, positions.position - 1)
        || digits.digit::text
        || substr(bare_numbers.personal_id_number, positions.position + 1) as variant
    from bare_numbers
    cross join generate_series(1, 12) as positions (position)
    cross join generate_series(0, 9) as digits (digit)
    where substr(bare_numbers.personal_id_number, positions.position, 1) <> digits.digit::text
    union all
    select
        bare_numbers.identity_key,
        left(bare_numbers.personal_id_number, positions.position - 1)
        || substr(bare_numbers.personal_id_number, positions.position + 1, 1)
        || substr(bare_numbers.personal_id_number, positions.position, 1)
        || substr(bare_numbers.personal_id_number, positions.position + 2) as variant
    from bare_numbers
    cross join generate_series(1, 11) as positions (position)
),

named_neighbours as (
    select
        keystroke_variants.identity_key,
        min(groups.identity_key) as other_key,
        count(*) as neighbours
    from keystroke_variants
    inner join groups on keystroke_variants.variant = groups.personal_id_number
    where groups.name_match_keys is not null
    group by keystroke_variants.identity_key
),

candidates as (
    select
        one.identity_key,
        other.identity_key as other_key,
        'name_and_birth_date' as evidence
    from keyed as one
    inner join keyed as other
        on
            one.name_match_key = other.name_match_key
            and one.birth_day = other.birth_day
            and one.identity_key <> other.identity_key
    union
    select
        'personal_id:' || one.personal_id_number as identity_key,
        'personal_id:' || other.personal_id_number as other_key,
        'shared_partner' as evidence
    from partnerships as one
    inner join partnerships as other
        on
            one.partner_personal_id_number = other.partner_personal_id_number
            and one.personal_id_number <> other.personal_id_number
    where
        -- One keystroke is at most two edits: a cheap test first, on millions of pairs.
        public.levenshtein_less_equal(one.personal_id_number, other.personal_id_number, 2) <= 2
        and util.identity_number_typo(one.personal_id_number, other.personal_id_number)
        is not null
    union
    select
        identity_key,
        other_key,
        'sole_neighbour' as evidence
    from named_neighbours
    where neighbours = 1
),

-- Each candidate with both groups' facts. Materialized, so that the typo test below is
-- a filter on these few pairs: as a join condition between the two groups, the planner may
-- test it on every pair of personal-ID groups (it misjudges how many candidates the
-- self-join on name and birth date makes: billions of tests at 100,000 persons).
compared as materialized (
    select
        candidates.identity_key,
        candidates.other_key,
        candidates.evidence,
        one.personal_id_number,
        other.personal_id_number as other_personal_id_number,
        -- The stronger group is the person; the other wrote the ID wrong (a bare number
        -- is the typo of its sole named neighbour).
        candidates.evidence = 'sole_neighbour'
        or (one.has_registered_birth, one.mention_count, -one.best_source_rank)
        < (other.has_registered_birth, other.mention_count, -other.best_source_rank)
        or (
            (one.has_registered_birth, one.mention_count, -one.best_source_rank)
            = (other.has_registered_birth, other.mention_count, -other.best_source_rank)
            and one.personal_id_number > other.personal_id_number
        )
            as one_is_the_typo,
        candidates.evidence = 'name_and_birth_date'
        or (
            (
                one.name_match_keys is null
                or other.name_match_keys is null
                or one.name_match_keys && other.name_match_keys
            )
            and (
                one.stated_birth_years is null
                or other.stated_birth_years is null
                or one.stated_birth_years && other.stated_birth_years
            )
        ) as is_consistent
    from candidates
    inner join groups as one on candidates.identity_key = one.identity_key
    inner join groups as other on candidates.other_key = other.identity_key
),

pairs as (
    -- Where both evidences hold, the pair's name and birth date is the one said.
    select distinct on (identity_key, other_key)
        identity_key,
        other_key,
        evidence,
        util.identity_number_typo(personal_id_number, other_personal_id_number) as typo,
        one_is_the_typo
    from compared
    where
        is_consistent
        and util.identity_number_typo(personal_id_number, other_personal_id_number) is not null
    order by identity_key, other_key, evidence
),

typos as (
    select
        identity_key,
        other_key as anchor_key,
        typo,
        evidence
    from pairs
    where one_is_the_typo
),

-- A group taken for the typo of two people, or the person of a typo and itself a typo, is
-- left alone: only a plain one-to-one case is resolved.
typo_counts as (
    select
        identity_key,
        count(*) as persons
    from typos
    group by identity_key
),

final as (
    select typos.*
    from typos
    inner join typo_counts on typos.identity_key = typo_counts.identity_key
    where
        typo_counts.persons = 1
        and not exists (
            select from typos as chained
            where chained.identity_key = typos.anchor_key
        )
)

select * from final
