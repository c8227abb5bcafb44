{{ config(
    tags=['entity_resolution'],
    indexes=[{'columns': ['identity_key'], 'unique': true}],
) }}

-- 12-digit personal IDs that are another person's ID mistyped: two personal-ID groups with
-- the same name and the same birth date known to the day, whose ID numbers are one
-- keystroke apart (two adjacent digits swapped, or one digit mistyped:
-- util.identity_number_typo). Two people of one name and birthday are rare, and their IDs
-- one keystroke apart rarer still (twins share a birthday, not a name). The weaker group
-- (no birth registration, fewer records) is the typo and resolves to the stronger one's
-- person; dq_mistyped_identity_numbers tells the agency that wrote it.
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

pairs as (
    select distinct on (one.identity_key, other.identity_key)
        one.identity_key,
        other.identity_key as other_key,
        util.identity_number_typo(one.personal_id_number, other.personal_id_number) as typo,
        -- The stronger group is the person; the other wrote the ID wrong.
        (one.has_registered_birth, one.mention_count, -one.best_source_rank)
        < (other.has_registered_birth, other.mention_count, -other.best_source_rank)
        or (
            (one.has_registered_birth, one.mention_count, -one.best_source_rank)
            = (other.has_registered_birth, other.mention_count, -other.best_source_rank)
            and one.personal_id_number > other.personal_id_number
        ) as one_is_the_typo
    from keyed as one
    inner join keyed as other
        on
            one.name_match_key = other.name_match_key
            and one.birth_day = other.birth_day
            and one.identity_key <> other.identity_key
    where util.identity_number_typo(one.personal_id_number, other.personal_id_number) is not null
),

typos as (
    select
        identity_key,
        other_key as anchor_key,
        typo
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
